"""Child process for the SIGKILL test: edits a draft and autosaves in a tight loop.

Waits for a line on stdin (so the parent can start it ahead of time), then prints
``pending <hash>`` before each autosave and ``committed <revision id> <hash>`` after it commits,
flushing each line, until it is killed.
"""

from __future__ import annotations

import sys

from studio.drafts.recovery import SessionLock
from studio.drafts.schema import content_hash
from studio.drafts.store import DraftStore, dumps


def main() -> None:
    db_path, draft_id, run = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    import psutil  # noqa: F401  (warm the lock's import before the parent says go)

    sys.stdin.readline()
    lock = SessionLock(sys.argv[4])
    lock.acquire()
    store = DraftStore(db_path)
    doc = store.get_project_doc(draft_id)
    print("ready", flush=True)
    step = 0
    while True:
        step += 1
        clips = doc["tracks"][0]["clips"]
        clips.append(
            {"source": f"take-{run}-{step}.mp4", "in": 0.0, "out": 1.0 + step % 7, "start": len(clips)}
        )
        if len(clips) > 40:
            del clips[: len(clips) - 40]
        doc["title"] = f"run {run} step {step} " + "x" * (step % 300)
        text = dumps(doc)
        digest = content_hash(text)
        print(f"pending {digest}", flush=True)
        rev = store.autosave(draft_id, text)
        print(f"committed {rev} {digest}", flush=True)


if __name__ == "__main__":
    main()
