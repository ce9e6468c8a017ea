"""One publish job, step by step, each state written before its network step.

queued -> exporting (drafts) -> checking (file checks, creator_info, chunk plan) -> initialising
(init) -> uploading (chunk k of n) -> processing (status by webhook or polling) -> published |
in inbox | failed (reason) | cancelled | unconfirmed.

Why a restart never posts twice:
- ``publish_id`` and the chunk plan are written with the move to ``uploading``, before the
  first byte; a restart in ``uploading`` or ``processing`` asks status/fetch first and continues
  from the bytes the server has (``uploaded_bytes``; a 416's progress header says the same).
- A lost init answer (a drop, a timeout, a kill while ``initialising``) leaves at most a publish
  that is waiting for *our* bytes: with FILE_UPLOAD nothing is posted without them, so starting
  again cannot post twice. It is logged, and after eight lost answers the job is ``unconfirmed``.
- ``processing`` that TikTok does not confirm in time ends ``unconfirmed`` ("check your profile
  before posting again") and is reconciled by status/fetch, never by a new init.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.config import AppPaths
from studio.sync.errors import ApiError, NeedsSignIn, Offline, Permanent, RateLimited, Retryable
from studio.sync.vault import SecretVault
from studio.upload import states as S
from studio.upload.chunks import ChunkPlan, PlanError, plan_chunks
from studio.upload.posting import CreatorInfo, PostingClient, UploadGone, UploadUrlExpired, reason_text
from studio.upload.prepare import PrepareError, check_video, export_draft, reencode_file, sha256_file
from studio.upload.store import Job, QueueStore

log = logging.getLogger(__name__)

CHUNK_TRIES = 6
MAX_LOST_INITS = 8
POLL_EVERY_S = 3.0
PROCESSING_TIMEOUT_S = 30 * 60.0
DAILY_CAP = 15
PENDING_INBOX_CAP = 5


class Stop(Exception):
    """The job was paused or cancelled, or the queue is stopping."""


class Later(Exception):
    """Not now (a cap, a rate limit): try again at ``when``."""

    def __init__(self, when: float, why: str) -> None:
        super().__init__(why)
        self.when = when


class _Sent:
    """Counts the bytes of a chunk as they leave, for the progress bar (speed, ETA)."""

    def __init__(self, report: Callable[[Job, int], None], job: Job, first: int) -> None:
        self.report, self.job, self.at = report, job, first

    def __call__(self, n: int) -> None:
        self.at += n
        self.report(self.job, self.at)


def job_plan(job: Job) -> ChunkPlan:
    """The plan the init declared (kept with the job: a resumed upload must match it exactly)."""
    if job.chunk_size and job.chunk_count and job.file_size:
        return ChunkPlan(int(job.file_size), int(job.chunk_size), int(job.chunk_count))
    return plan_chunks(int(job.file_size or 0))


def upload_key(job_id: int) -> str:
    return f"upload-url:{job_id}"


class JobWorker:
    def __init__(
        self,
        store: QueueStore,
        posting: PostingClient,
        vault: SecretVault,
        paths: AppPaths,
        *,
        on_progress: Callable[[Job, int], None] | None = None,
        poll_every_s: float = POLL_EVERY_S,
        retry_scale: float = 1.0,
    ) -> None:
        self.store = store
        self.posting = posting
        self.vault = vault
        self.paths = paths
        self.on_progress = on_progress or (lambda job, sent: None)
        self.poll_every_s = poll_every_s
        self.retry_scale = retry_scale  # tests shrink every pause; the order of steps stays the same
        self._creator: dict[int, tuple[float, CreatorInfo]] = {}  # job id -> creator_info of this post

    # -- entry -------------------------------------------------------------------------------

    def run(self, job_id: int, stop: threading.Event, wake: threading.Event | None = None) -> Job:
        """Advance the job as far as it goes now. Raises Offline (the queue pauses), Later."""
        self._stop = stop
        self._wake = wake or threading.Event()
        job = self.store.job(job_id)
        try:
            if job.state in (S.QUEUED, S.EXPORTING):
                job = self._prepare(job)
            if job.state == S.CHECKING:
                job = self._init(self._check(job))
            elif job.state == S.INITIALISING:
                job = self.store.move(
                    job.id,
                    S.CHECKING,
                    "The app stopped while starting the upload. Starting again is safe: nothing is "
                    "posted without our upload.",
                )
                job = self._init(self._check(job))
            if job.state == S.UPLOADING:
                job = self._upload(job)
            if job.state in (S.PROCESSING, S.UNCONFIRMED):
                job = self._await(job)
        except Stop:
            return self.store.job(job_id)
        except (Offline, Later):
            raise
        except NeedsSignIn as exc:
            job = self._fail(job_id, f"{exc} Then press Retry: the upload continues where it stopped.")
        except (Permanent, PrepareError, PlanError) as exc:
            job = self._fail(job_id, reason_text(getattr(exc, "code", "") or "", str(exc)))
        except ApiError as exc:
            raise Later(time.time() + self._backoff(self.store.job(job_id).attempts), str(exc)) from exc
        return job

    def _fail(self, job_id: int, reason: str) -> Job:
        job = self.store.job(job_id)
        if job.state in S.ENDED:
            return job
        self.vault.delete(upload_key(job_id))
        return self.store.move(job_id, S.FAILED, f"Failed: {reason}", reason=reason)

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise Stop()

    def _backoff(self, attempt: int) -> float:
        return min(300.0, 2.0 * 2 ** min(attempt, 8)) * random.uniform(0.5, 1.0) * self.retry_scale

    def _wait(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise Stop()

    # -- exporting and checking --------------------------------------------------------------

    def _prepare(self, job: Job) -> Job:
        if job.draft_id is not None and not job.source:
            out = self.paths.cache / "exports" / f"job-{job.id}.mp4"
            if job.state != S.EXPORTING:
                job = self.store.move(job.id, S.EXPORTING, f"Exporting draft {job.draft_id}")
            shown = [0.0]

            def progress(fraction: float, _message: str) -> None:
                if time.monotonic() - shown[0] >= 1.0:
                    shown[0] = time.monotonic()
                    self.store.update(job.id, detail=f"Exporting: {fraction:.0%}")

            export_draft(job.draft_id, out, progress, self._stop, job.revision_id)
            self._check_stop()
            job = self.store.update(
                job.id,
                "Exported",
                file_path=str(out),
                file_size=out.stat().st_size,
                file_sha256=sha256_file(out),
            )
        return self.store.move(job.id, S.CHECKING, "Checking the file")

    def _creator_info(self, job: Job) -> CreatorInfo:
        """creator_info before every post (the audit rule); a retried start of the same post within
        five minutes reuses it instead of spending the endpoint's 20 requests a minute."""
        cached = self._creator.get(job.id)
        if cached is not None and time.monotonic() - cached[0] < 300:
            return cached[1]
        info = self.posting.creator_info(job.account_id)
        self._creator[job.id] = (time.monotonic(), info)
        return info

    def _check(self, job: Job) -> tuple[Job, CreatorInfo]:
        info = self._creator_info(job)
        self._check_stop()
        if job.mode == "direct" and job.privacy not in info.privacy_options:
            offered = ", ".join(info.privacy_options) or "none"
            raise PrepareError(
                f"The privacy '{job.privacy}' is not offered for this account (offered: {offered})."
            )
        path = Path(job.file_path)
        checked = check_video(path, info.max_duration_s or None)
        if checked.fixable:
            out = self.paths.cache / "exports" / f"job-{job.id}-fixed.mp4"
            self.store.update(job.id, f"Re-encoding: {'; '.join(checked.fixable)}")
            reencode_file(path, checked, out, lambda f, m: None, self._stop)
            path = out
            check_video(path, info.max_duration_s or None)
        size = path.stat().st_size
        plan = plan_chunks(size)
        options = dict(job.options)
        # what the creator turned off in TikTok stays off, whatever the form said
        for flag, disabled in (
            ("disable_comment", info.comment_disabled),
            ("disable_duet", info.duet_disabled),
            ("disable_stitch", info.stitch_disabled),
        ):
            if disabled:
                options[flag] = True
        job = self.store.update(
            job.id,
            f"Checked: {checked.width}x{checked.height}, {checked.fps:.0f} fps, {checked.duration:.1f} s,"
            f" {size / 1e6:.1f} MB in {plan.total_chunk_count} chunk(s)",
            file_path=str(path),
            file_size=size,
            file_sha256=job.file_sha256
            if path == Path(job.file_path) and job.file_sha256
            else sha256_file(path),
            chunk_size=plan.chunk_size,
            chunk_count=plan.total_chunk_count,
            options=options,
        )
        return job, info

    # -- init --------------------------------------------------------------------------------

    def _caps(self, job: Job) -> None:
        day_ago = time.time() - 86_400
        if job.mode == "direct" and self.store.posted_since(job.account_id, day_ago, "direct") >= DAILY_CAP:
            raise Later(
                time.time() + 3600,
                f"The account posted {DAILY_CAP} times in 24 hours (TikTok's limit); waiting.",
            )
        if (
            job.mode == "inbox"
            and self.store.posted_since(job.account_id, day_ago, "inbox") >= PENDING_INBOX_CAP
        ):
            raise Later(
                time.time() + 3600, f"{PENDING_INBOX_CAP} uploads already wait in the TikTok inbox; waiting."
            )

    def _init(self, checked: tuple[Job, CreatorInfo]) -> Job:
        job, _info = checked
        self._caps(job)
        plan = job_plan(job)
        post_info: dict[str, Any] = {
            "privacy_level": job.privacy,
            "title": job.caption,
            "disable_duet": bool(job.options.get("disable_duet")),
            "disable_stitch": bool(job.options.get("disable_stitch")),
            "disable_comment": bool(job.options.get("disable_comment")),
            "brand_content_toggle": bool(job.options.get("brand_content")),
            "brand_organic_toggle": bool(job.options.get("brand_organic")),
            "is_aigc": bool(job.options.get("is_aigc")),
        }
        if isinstance(job.options.get("cover_ms"), int):
            post_info["video_cover_timestamp_ms"] = job.options["cover_ms"]
        self._check_stop()
        job = self.store.move(job.id, S.INITIALISING, "Starting the upload", inits=job.inits + 1)
        try:
            publish_id, upload_url = self.posting.init(
                job.account_id, job.mode, plan.source_info(), post_info
            )
        except RateLimited as exc:
            self.store.move(job.id, S.CHECKING, "TikTok asked us to slow down; starting again shortly")
            raise Later(time.time() + exc.retry_after * self.retry_scale, str(exc)) from None
        except Offline:
            self.store.move(job.id, S.CHECKING, "Offline before the upload could start")
            raise
        except Retryable as exc:
            if job.inits >= MAX_LOST_INITS:
                return self.store.move(
                    job.id,
                    S.UNCONFIRMED,
                    f"TikTok's answer to the upload start was lost {job.inits} times. Check your profile "
                    "before posting again.",
                    reason="TikTok did not confirm the upload start.",
                )
            self.store.move(
                job.id,
                S.CHECKING,
                f"TikTok's answer to the upload start was lost ({exc}). Nothing is posted without our "
                "upload, so starting again cannot post twice.",
            )
            raise Later(time.time() + self._backoff(job.inits), str(exc)) from None
        self.vault.put(upload_key(job.id), upload_url)  # a token: kept in the vault, not in SQLite
        self.store.forget_chunks(job.id)
        return self.store.move(
            job.id,
            S.UPLOADING,
            f"Upload started (publish id {publish_id})",
            publish_id=publish_id,
            uploaded_bytes=0,
            detail=f"chunk 1 of {plan.total_chunk_count}",
        )

    # -- upload ------------------------------------------------------------------------------

    def _server_status(self, job: Job) -> dict[str, Any]:
        return self.posting.status(job.account_id, job.publish_id)

    def _upload(self, job: Job) -> Job:
        plan = job_plan(job)
        status = self._server_status(job)  # the server's truth first: after a kill, a drop, a restart
        state = str(status.get("status") or "")
        if state in ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX", "FAILED"):
            job = self.store.move(job.id, S.PROCESSING, "TikTok already has the whole video")
            return self._settle(job, status)
        offset = int(status.get("uploaded_bytes") or 0)
        url = self.vault.get(upload_key(job.id))
        if url is None:
            return self._reinit(job, "The upload address was lost")
        path = Path(job.file_path)
        while offset < plan.video_size:
            self._check_stop()
            index = plan.index_at(offset)
            first, last = plan.bounds(index)
            job = self.store.update(
                job.id, detail=f"chunk {index + 1} of {plan.total_chunk_count}", uploaded_bytes=offset
            )
            result = None
            for attempt in range(CHUNK_TRIES):
                try:
                    result = self.posting.put_chunk(
                        url, path, first, last, plan.video_size, on_bytes=_Sent(self.on_progress, job, first)
                    )
                    break
                except RateLimited as exc:
                    self._wait(exc.retry_after * self.retry_scale)
                except UploadUrlExpired:
                    return self._reinit(job, "The upload address expired")
                except UploadGone:
                    status = self._server_status(job)
                    if str(status.get("status")) == "FAILED":
                        return self._settle(
                            self.store.move(job.id, S.PROCESSING, "TikTok stopped the upload"), status
                        )
                    raise Permanent(
                        "TikTok no longer expects this upload; press Retry to start it again."
                    ) from None
                except Offline:
                    raise
                except Retryable as exc:
                    if attempt == CHUNK_TRIES - 1:
                        raise
                    log.info("chunk %d of job %d: %s; trying again", index + 1, job.id, exc)
                    self._wait(min(30.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.5) * self.retry_scale)
            assert result is not None
            if result.acked > last and result.sha256:
                self.store.chunk_acked(job.id, index, first, last, result.sha256, result.acked)
            elif result.acked != offset:
                self.store.update(
                    job.id,
                    f"TikTok already had {result.acked:,} bytes; continuing from there",
                    uploaded_bytes=result.acked,
                )
            if result.acked <= offset and not result.complete:
                raise Retryable(f"TikTok did not take chunk {index + 1}.", endpoint="upload")
            offset = result.acked
        self.vault.delete(upload_key(job.id))
        return self.store.move(
            job.id,
            S.PROCESSING,
            f"All {plan.total_chunk_count} chunk(s) uploaded; TikTok is processing the video",
            uploaded_bytes=plan.video_size,
            detail="",
        )

    def _reinit(self, job: Job, why: str) -> Job:
        """Only when status says nothing was created from this upload."""
        status = self._server_status(job)
        state = str(status.get("status") or "")
        if state in ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX", "FAILED"):
            return self._settle(self.store.move(job.id, S.PROCESSING, f"{why}; TikTok has the video"), status)
        self.vault.delete(upload_key(job.id))
        job = self.store.move(
            job.id,
            S.CHECKING,
            f"{why} and nothing was created from it: starting the upload again",
            publish_id="",
            uploaded_bytes=0,
        )
        job = self._init(self._check(job))
        return self._upload(job) if job.state == S.UPLOADING else job

    # -- processing --------------------------------------------------------------------------

    def _await(self, job: Job) -> Job:
        if not job.publish_id:
            return job  # unconfirmed without a publish id: only the creator can tell (video/list reconciles)
        deadline = time.monotonic() + PROCESSING_TIMEOUT_S
        while True:
            status = self._server_status(job)
            settled = self._settle(job, status)
            if settled.state != job.state or settled.state not in (S.PROCESSING, S.UNCONFIRMED):
                return settled
            if str(status.get("status")) == "PROCESSING_UPLOAD" and int(
                status.get("uploaded_bytes") or 0
            ) < int(job.file_size or 0):
                return self._upload(self.store.move(job.id, S.UPLOADING, "TikTok is still waiting for bytes"))
            if time.monotonic() > deadline:
                if job.state != S.UNCONFIRMED:
                    return self.store.move(
                        job.id,
                        S.UNCONFIRMED,
                        "TikTok has not confirmed the post in 30 minutes. Check your profile before posting again.",
                        reason="Not confirmed by TikTok yet.",
                    )
                return job
            self._wake.wait(self.poll_every_s)
            self._wake.clear()
            self._check_stop()

    def _settle(self, job: Job, status: dict[str, Any]) -> Job:
        state = str(status.get("status") or "")
        if state == "PUBLISH_COMPLETE":
            ids = status.get("publicaly_available_post_id") or []  # sic: the platform's spelling
            post_id = str(ids[0]) if isinstance(ids, list) and ids else ""
            share = self._share_url(job, post_id)
            return self.store.move(
                job.id,
                S.PUBLISHED,
                "Published" + (f": {share}" if share else ""),
                post_id=post_id,
                share_url=share,
                reason="",
            )
        if state == "SEND_TO_USER_INBOX":
            if job.state == S.INBOX:
                return job
            return self.store.move(
                job.id, S.INBOX, "Sent to your TikTok inbox: open TikTok to finish the post"
            )
        if state == "FAILED":
            code = str(status.get("fail_reason") or "")
            return self._fail(job.id, reason_text(code))
        return job

    def _share_url(self, job: Job, post_id: str) -> str:
        if not post_id:
            return ""
        try:
            client, tokens = self.posting.client, self.posting.tokens
            videos = tokens.call(
                job.account_id,
                lambda t: client.video_query(t, job.account_id, ["id", "share_url"], [post_id]),
            )
        except ApiError:
            return ""
        return str(videos[0].get("share_url") or "") if videos else ""
