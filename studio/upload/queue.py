"""The publish queue: jobs in SQLite, run in the background, resumed after anything.

A dispatcher thread hands due jobs (highest priority, then oldest; scheduled ones at their time)
to up to ``concurrency`` worker threads. Offline pauses the queue ("offline since …") and every
job waits with a growing pause; the network's return resumes them. Webhooks from the sync
engine wake the job they name. A scheduled job that came due while the app was closed runs at
start, or waits for the creator (setting ``late_jobs``: "run" or "ask").
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock

from studio.sync.engine import SyncEngine
from studio.sync.errors import ApiError, Offline
from studio.upload import states as S
from studio.upload.posting import PostingClient
from studio.upload.prepare import PrepareError, sha256_file
from studio.upload.store import Job, QueueStore
from studio.upload.worker import JobWorker, Later, upload_key

log = logging.getLogger(__name__)

OFFLINE_RETRY_S = (5.0, 10.0, 20.0, 40.0, 60.0)
RECONCILE_EVERY_S = 600.0
PROGRESS_EVERY_S = 0.25


@dataclass(frozen=True)
class QueueEvent:
    kind: str  # job | progress | status
    job: Job | None = None
    sent: int = 0  # progress: bytes of the file sent so far
    speed: float = 0.0  # progress: bytes per second over the last seconds
    message: str = ""


def job_key(account_id: str, content: str, caption: str) -> str:
    """The idempotency key: (account, the file's SHA-256 or the draft's revision, caption)."""
    return hashlib.sha256(f"{account_id}\n{content}\n{caption}".encode()).hexdigest()


class PublishQueue:
    def __init__(
        self,
        engine: SyncEngine,
        *,
        concurrency: int = 1,
        late_jobs: str = "run",
        poll_every_s: float | None = None,
        retry_scale: float = 1.0,
    ) -> None:
        engine.open()
        assert engine.client is not None and engine.tokens is not None
        self.engine = engine
        self.paths = engine.paths
        self.store = QueueStore(self.paths.data / "uploads" / "uploads.sqlite3")
        self.store.on_change = self._changed
        self.posting = PostingClient(engine.client, engine.tokens)
        kwargs: dict[str, Any] = {"retry_scale": retry_scale}
        if poll_every_s is not None:
            kwargs["poll_every_s"] = poll_every_s
        self.retry_scale = retry_scale
        self.worker = JobWorker(
            self.store, self.posting, engine.vault, self.paths, on_progress=self._progress, **kwargs
        )
        self.concurrency = max(1, concurrency)
        self.late_jobs = late_jobs
        self._listeners: list[Callable[[QueueEvent], None]] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running: dict[int, tuple[threading.Thread, threading.Event, threading.Event]] = {}
        self._lock = threading.Lock()
        self._offline_tries = 0
        self.offline_since: float | None = None
        self._last_progress: dict[int, tuple[float, int, float]] = {}
        self._reconciled_at = 0.0
        self._elsewhere: dict[int, float] = {}  # job id -> until when another process runs it
        self._announced: set[tuple[int, str]] = {
            (j.id, j.state) for j in self.store.jobs(states=[S.PUBLISHED, S.INBOX])
        }
        engine.add_webhook_listener(self._on_webhook)

    # -- listeners ---------------------------------------------------------------------------

    def add_listener(self, fn: Callable[[QueueEvent], None]) -> None:
        self._listeners.append(fn)

    def _emit(self, event: QueueEvent) -> None:
        for fn in list(self._listeners):
            try:
                fn(event)
            except Exception:
                log.exception("a queue listener failed")

    def _changed(self, job: Job) -> None:
        if job.state in (S.PUBLISHED, S.INBOX) and (job.id, job.state) not in self._announced:
            self._announced.add((job.id, job.state))
            self._published(job)
        self._emit(QueueEvent("job", job))

    def _published(self, job: Job) -> None:
        """The draft keeps where it was posted, and the engine lists the new post soon."""
        if job.state == S.PUBLISHED:
            self.engine.sync_now(job.account_id)
        if job.draft_id is None:
            return
        from studio.drafts.store import DraftError, open_store

        try:
            store = open_store(self.paths)
            try:
                store.record_publication(
                    job.draft_id,
                    post_id=job.post_id or job.publish_id,
                    share_url=job.share_url,
                    state=job.state,
                    account=job.account_id,
                    revision_id=job.revision_id,
                )
            finally:
                store.close()
        except (DraftError, OSError) as exc:
            log.warning("draft %s: where it was posted could not be saved: %s", job.draft_id, exc)

    def _progress(self, job: Job, sent: int) -> None:
        now = time.monotonic()
        last_t, last_sent, speed = self._last_progress.get(job.id, (now, sent, 0.0))
        if now - last_t < PROGRESS_EVERY_S and sent < (job.file_size or 0):
            return
        if now > last_t and sent >= last_sent:
            rate = (sent - last_sent) / (now - last_t)
            speed = rate if speed == 0 else 0.7 * speed + 0.3 * rate
        self._last_progress[job.id] = (now, sent, speed)
        self._emit(QueueEvent("progress", job, sent=sent, speed=speed))

    # -- requests ----------------------------------------------------------------------------

    def enqueue(
        self,
        *,
        caption: str,
        privacy: str = "",
        file: str | Path | None = None,
        draft_id: int | None = None,
        revision_id: int | None = None,
        account_id: str | None = None,
        mode: str = "direct",
        options: dict[str, Any] | None = None,
        schedule_at: float | None = None,
        priority: int = 0,
        again: bool = False,
    ) -> tuple[Job, bool]:
        """Queue a publish (blocking: hashes the file; call it off the GUI thread). Returns the
        job and whether it attached to an unresolved job with the same key."""
        if (file is None) == (draft_id is None):
            raise ValueError("publish a file or a draft, not both")
        if mode not in ("direct", "inbox"):
            raise ValueError("mode is direct or inbox")
        if mode == "direct" and not privacy:
            raise PrepareError("Choose who can see the post (the privacy options come from TikTok).")
        if len(caption.encode("utf-16-le")) // 2 > 2200:
            raise PrepareError("The caption is longer than TikTok's 2,200 characters.")
        account = self.account(account_id)
        source, content, sha = "", "", ""
        if file is not None:
            path = Path(file).expanduser().resolve()
            if not path.is_file():
                raise PrepareError(f"{path} is not a file.")
            source, sha = str(path), sha256_file(path)
            content = sha
        else:
            content = f"draft:{draft_id}:{revision_id if revision_id is not None else 'head'}"
        fields = {
            "key": job_key(account.id, content, caption),
            "account_id": account.id,
            "draft_id": draft_id,
            "revision_id": revision_id,
            "source": source,
            "file_path": source,
            "file_sha256": sha,
            "file_size": Path(source).stat().st_size if source else None,
            "caption": caption,
            "privacy": privacy,
            "options": options or {},
            "mode": mode,
            "priority": priority,
            "schedule_at": schedule_at,
        }
        job, attached = self.store.add(fields, again=again)
        self._changed(job)
        self._wake.set()
        return job, attached

    def account(self, account_id: str | None = None) -> Any:
        """The account a publish goes to: the one named, else the active one (blocking read)."""
        accounts = self.engine.accounts()
        chosen = (
            [a for a in accounts if a.id == account_id] if account_id else [a for a in accounts if a.active]
        )
        if not chosen and accounts and not account_id:
            chosen = accounts[:1]
        if not chosen:
            raise PrepareError("No account is signed in; sign in from Account > Accounts first.")
        account = chosen[0]
        if not account.usable:
            raise PrepareError(f"{account.label}: {account.health_text()}")
        return account

    def job(self, job_id: int) -> Job:
        return self.store.job(job_id)

    def jobs(self) -> list[Job]:
        return self.store.jobs()

    def pause(self, job_id: int) -> Job:
        job = self.store.update(job_id, "Paused", paused=1)
        self._halt(job_id)
        return job

    def resume(self, job_id: int) -> Job:
        job = self.store.update(job_id, "Resumed", paused=0, next_attempt_at=None, detail="")
        self._wake.set()
        return job

    def cancel(self, job_id: int) -> Job:
        self._halt(job_id)
        job = self.store.job(job_id)
        if job.state in S.ENDED and job.state != S.FAILED:
            return job
        if job.publish_id and job.state in (S.UPLOADING, S.INITIALISING):
            try:  # best effort: tell TikTok to drop the half-received file
                self.posting.tokens.call(
                    job.account_id,
                    lambda t: self.posting.client.api(
                        "POST",
                        "/v2/post/publish/cancel/",
                        token=t,
                        account=job.account_id,
                        bucket="cancel",
                        body={"publish_id": job.publish_id},
                        idempotent=False,
                    ),
                )
            except ApiError as exc:
                log.info("cancel of publish %s not confirmed: %s", job.publish_id, exc)
        self.engine.vault.delete(upload_key(job_id))
        return self.store.move(job_id, S.CANCELLED, "Cancelled by you", reason="Cancelled.")

    def retry(self, job_id: int, *, again: bool = False) -> Job:
        """A failed or cancelled job goes back in the queue; it keeps what the server has."""
        job = self.store.job(job_id)
        if job.state in (S.FAILED, S.CANCELLED):
            job = self.store.move(
                job_id, S.QUEUED, "Queued again", reason="", paused=0, next_attempt_at=None, attempts=0
            )
        elif job.state == S.UNCONFIRMED and again:
            job = self.store.move(
                job_id,
                S.CHECKING,
                "Starting again on your word (you checked your profile)",
                publish_id="",
                inits=0,
                reason="",
            )
        else:
            job = self.store.update(job_id, paused=0, next_attempt_at=None)
        self._wake.set()
        return job

    def _halt(self, job_id: int) -> None:
        with self._lock:
            running = self._running.get(job_id)
        if running is not None:
            thread, stop, _wake = running
            stop.set()
            thread.join(30)

    # -- running -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._late_at_start()
        self._thread = threading.Thread(target=self._loop, name="publish-queue", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.engine.remove_webhook_listener(self._on_webhook)
        self._stop.set()
        self._wake.set()
        with self._lock:
            running = list(self._running.values())
        for _thread, stop, _wake in running:
            stop.set()
        for thread, _stop, _wake in running:
            thread.join(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self.store.close()

    def _late_at_start(self) -> None:
        if self.late_jobs != "ask":
            return
        now = time.time()
        for job in self.store.jobs(states=[S.QUEUED]):
            if job.schedule_at is not None and job.schedule_at < now - 60 and not job.paused:
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(job.schedule_at))
                said = f"Was due at {when} while the app was closed; waiting for you (Resume posts it now)"
                (self.store.update(job.id, said, paused=1, detail=said))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self._dispatch()
                if time.time() - self._reconciled_at > RECONCILE_EVERY_S:
                    self._reconciled_at = time.time()
                    self._reconcile()
            except Exception:
                log.exception("the publish queue hit a problem")
            nxt = self.store.next_wake()
            wait = 60.0 if nxt is None else max(0.2, min(60.0, nxt - time.time()))
            self._wake.wait(wait)

    def _dispatch(self) -> None:
        with self._lock:
            for job_id in [j for j, (t, _s, _w) in self._running.items() if not t.is_alive()]:
                del self._running[job_id]
            free = self.concurrency - len(self._running)
            now = time.monotonic()
            elsewhere = [j for j, until in self._elsewhere.items() if until > now]
            busy = list(self._running) + elsewhere
        if free <= 0:
            return
        for job in self.store.runnable(time.time(), exclude=busy)[:free]:
            stop, wake = threading.Event(), threading.Event()
            thread = threading.Thread(
                target=self._run_job, args=(job.id, stop, wake), name=f"publish-{job.id}", daemon=True
            )
            with self._lock:
                self._running[job.id] = (thread, stop, wake)
            thread.start()

    def _job_lock(self, job_id: int) -> filelock.BaseFileLock | None:
        """One worker per job across processes (the app and `publish --wait` share the queue)."""
        folder = self.paths.data / "uploads" / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(folder / f"job-{job_id}.lock"), timeout=0)
        try:
            lock.acquire()
        except filelock.Timeout:
            self._elsewhere[job_id] = time.monotonic() + 5.0
            return None
        return lock

    def _run_job(self, job_id: int, stop: threading.Event, wake: threading.Event) -> None:
        lock = self._job_lock(job_id)
        if lock is None:  # another process is running it; look again in a few seconds
            self._wake.set()
            return
        try:
            job = self.worker.run(job_id, stop, wake)
            self._offline_tries = 0
            if self.offline_since is not None:
                self.offline_since = None
                self._emit(QueueEvent("status", message="Back online; uploads continue"))
            if job.state not in (*S.ENDED, S.UNCONFIRMED):
                self._changed(job)  # it stopped short (paused, stopping): say where it stands
        except Offline as exc:
            if self.offline_since is None:
                self.offline_since = time.time()
                self._emit(QueueEvent("status", message=f"Offline: uploads wait ({exc})"))
            wait = OFFLINE_RETRY_S[min(self._offline_tries, len(OFFLINE_RETRY_S) - 1)] * self.retry_scale
            self._offline_tries += 1
            (
                self.store.update(
                    job_id, detail="Offline: waiting for the network", next_attempt_at=time.time() + wait
                )
            )
        except Later as later:
            job = self.store.job(job_id)
            (self.store.update(job_id, str(later), next_attempt_at=later.when, attempts=job.attempts + 1))
        except RuntimeError as exc:
            if self._stop.is_set() or "closed" in str(exc):
                # the engine was closed under us (switching platforms, quitting): the job keeps its
                # state and resumes with the next queue, asking status first
                log.info("publish job %s stopped: %s", job_id, exc)
                try:
                    self.store.update(job_id, next_attempt_at=time.time() + 5.0)
                except RuntimeError:
                    pass
                return
            log.exception("publish job %s failed unexpectedly", job_id)
            self.store.move(job_id, S.FAILED, f"Failed: {exc}", reason=f"Unexpected problem: {exc}")
        except Exception as exc:  # a bug or a full disk: the job says so instead of vanishing
            log.exception("publish job %s failed unexpectedly", job_id)
            try:
                self.store.move(job_id, S.FAILED, f"Failed: {exc}", reason=f"Unexpected problem: {exc}")
            except Exception:
                log.exception("could not record the failure of job %s", job_id)
        finally:
            lock.release()
            self._wake.set()

    def _on_webhook(self, event: object) -> None:
        content = getattr(event, "content", {}) or {}
        publish_id = content.get("publish_id") if isinstance(content, dict) else None
        if not publish_id:
            return
        with self._lock:
            running = dict(self._running)
        for job in self.store.jobs(states=[S.PROCESSING, S.UPLOADING, S.INBOX, S.UNCONFIRMED]):
            if job.publish_id != publish_id:
                continue
            self.store.update(job.id, f"TikTok says: {getattr(event, 'event', '')}")
            if job.id in running:
                running[job.id][2].set()
            elif job.state in (S.INBOX, S.UNCONFIRMED):
                self._settle_quietly(job)
        self._wake.set()

    def _settle_quietly(self, job: Job) -> None:
        try:
            self._changed(self.worker._settle(job, self.posting.status(job.account_id, job.publish_id)))
        except ApiError as exc:
            log.info("status of job %s not read: %s", job.id, exc)

    def _reconcile(self) -> None:
        """Unconfirmed and inbox jobs: ask status/fetch what became of them."""
        for job in self.store.jobs(states=[S.UNCONFIRMED, S.INBOX]):
            if job.publish_id:
                self._settle_quietly(job)

    def run_until(
        self,
        job_id: int,
        on_event: Callable[[QueueEvent], None] | None = None,
        stop: threading.Event | None = None,
    ) -> Job:
        """Run the queue until the job ends (``publish --wait``)."""
        done = threading.Event()

        def watch(event: QueueEvent) -> None:
            if on_event is not None:
                on_event(event)
            job = event.job
            if (
                job is not None
                and job.id == job_id
                and event.kind == "job"
                and job.state in (*S.ENDED, S.UNCONFIRMED)
            ):
                done.set()

        self.add_listener(watch)
        self.start()
        try:
            job = self.store.job(job_id)
            if job.state in (*S.ENDED, S.UNCONFIRMED):
                return job
            while not done.wait(0.5):
                if stop is not None and stop.is_set():
                    break
            return self.store.job(job_id)
        finally:
            self._listeners.remove(watch)
