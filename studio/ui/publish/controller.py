"""The Qt face of the publish queue: every queue call in a job, every queue event on the GUI thread.

The GUI thread only draws. :class:`PublishController` makes the app's
:class:`~studio.upload.queue.PublishQueue` in a job once the accounts
:class:`~studio.ui.accounts.controller.SyncController` has an open engine, and makes it again
when that engine is replaced (a platform switch). Queue changes (enqueue, pause, resume, cancel,
retry) run one at a time on the ``publish`` lane, reads on ``publish-read``, ``creator_info`` on
``publish-net``. Queue listeners are called on the queue's threads; they are re-posted through a
:class:`~studio.ui.jobs.GuiDispatcher` made here, on the GUI thread, and the last known state of
every job is kept in :attr:`PublishController.jobs` for the widgets to read without any I/O.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from studio.drafts import DraftError
from studio.jobs.runner import JobContext, JobHandle, JobRunner
from studio.sync.engine import SyncEngine
from studio.sync.errors import ApiError
from studio.ui.jobs import GuiDispatcher, Op, close_bounded
from studio.ui.publish.models import EnqueueOutcome, JobDetails, PublishTarget, Transfer, draft_revision
from studio.upload import states as S
from studio.upload.posting import CreatorInfo
from studio.upload.prepare import PrepareError
from studio.upload.queue import PublishQueue, QueueEvent
from studio.upload.store import AlreadyPublished, Job

if TYPE_CHECKING:
    from studio.sync.models import Account
    from studio.ui.accounts.controller import SyncController
    from studio.ui.editor.window.main_window import MainWindow

log = logging.getLogger(__name__)

PUBLISH_LANE = "publish"  # one worker: queue changes never race each other
READ_LANE = "publish-read"  # the Uploads panel's reads must not wait behind a pause
NET_LANE = "publish-net"  # creator_info waits on the network
SHUTDOWN_WAIT_S = 10.0
END_STATES = (*S.ENDED, S.UNCONFIRMED)
NOT_READY = "Publishing is not ready yet: it starts once sync is running."


class PublishController(QObject):
    """Owns the running app's :class:`PublishQueue`; the dialog, the Uploads panel and the
    status indicator talk to it only through these methods and signals."""

    readyChanged = Signal(bool)
    jobsChanged = Signal()  # the whole list was read again (or dropped with its queue)
    jobChanged = Signal(object)  # Job
    progressed = Signal(object)  # Job; its Transfer is in ``transfers``
    jobEnded = Signal(object)  # Job that reached published, inbox, failed, cancelled or unconfirmed
    statusChanged = Signal(str)  # the queue's offline / back-online sentence
    message = Signal(str)  # a sentence for the status line

    def __init__(
        self,
        runner: JobRunner,
        sync: SyncController,
        *,
        settings: dict[str, Any] | None = None,
        queue_factory: Callable[[SyncEngine], PublishQueue] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.sync = sync
        options = settings or {}
        self._factory = queue_factory or (
            lambda engine: PublishQueue(
                engine,
                concurrency=int(options.get("concurrency", 1) or 1),
                late_jobs=str(options.get("late_jobs", "run") or "run"),
            )
        )
        self._dispatcher = GuiDispatcher(self)  # made on the GUI thread: posts land there
        self.queue: PublishQueue | None = None
        self.jobs: dict[int, Job] = {}
        self.transfers: dict[int, Transfer] = {}
        self.status_text = ""
        self.problem = ""  # why the queue could not start (kept until the engine changes)
        self.closed = False
        self._engine: SyncEngine | None = None  # the engine the queue is (being) made from
        self._generation = 0
        sync.statusChanged.connect(lambda _status: self._sync_changed())
        sync.accountsChanged.connect(lambda _accounts: self._sync_changed())

    @classmethod
    def for_window(cls, window: MainWindow, sync: SyncController | None = None) -> PublishController:
        doc = window.settings.extra.get("publish")
        return cls(
            window.runner, sync or window.sync, settings=doc if isinstance(doc, dict) else None, parent=window
        )

    @property
    def ready(self) -> bool:
        return self.queue is not None and not self.closed

    # ------------------------------------------------------------------ the queue's life

    def start(self) -> None:
        """Make the queue as soon as the sync engine is open (now, or when sync says so)."""
        self._sync_changed()

    def _sync_changed(self) -> None:
        if self.closed:
            return
        engine = self.sync.engine
        if self._engine is not None and engine is not self._engine:
            self._drop_queue()  # apply_platform replaced the engine
        if self._engine is None and self.sync.started and not self.sync.closed:
            self._open_queue(engine)

    def _open_queue(self, engine: SyncEngine) -> None:
        self._engine = engine
        self.problem = ""
        generation = self._generation
        factory = self._factory

        def work(_ctx: JobContext) -> tuple[PublishQueue, list[Job]]:
            queue = factory(engine)
            queue.add_listener(lambda event: self._from_queue(generation, event))
            queue.start()
            return queue, queue.jobs()

        def made(result: tuple[PublishQueue, list[Job]]) -> None:
            queue, jobs = result
            if self.closed or generation != self._generation:
                self._close_in_job(queue)  # replaced (or closing) while it was being made
                return
            self.queue = queue
            for job in jobs:
                self._remember(job)
            self.jobsChanged.emit()
            self.readyChanged.emit(True)

        def failed(exc: BaseException) -> None:
            if generation != self._generation or self.closed:
                return
            log.warning("the publish queue did not start: %s", exc, exc_info=exc)
            self.problem = (
                f"Publishing is off: the upload queue could not start ({exc}). Restart the app to try again."
            )
            self.message.emit(self.problem)

        self._run(
            Op(self.runner, work, name="Start uploads", lane=PUBLISH_LANE).success(made).failure(failed)
        )

    def _drop_queue(self) -> None:
        queue, self.queue = self.queue, None
        self._engine = None
        self._generation += 1
        self.jobs.clear()
        self.transfers.clear()
        self.jobsChanged.emit()
        self.readyChanged.emit(False)
        if queue is not None:
            self._close_in_job(queue)

    def _close_in_job(self, queue: PublishQueue) -> None:
        self._run(Op(self.runner, lambda _ctx: queue.close(), name="Stop uploads", lane=PUBLISH_LANE))

    @staticmethod
    def _run(op: Op[Any]) -> JobHandle[Any] | None:
        """Start ``op``; None once the window has shut its runner down (the app is closing)."""
        try:
            return op.run()
        except RuntimeError as exc:
            log.debug("not started: %s", exc)
            return None

    # ------------------------------------------------------------------ queue events

    def _from_queue(self, generation: int, event: QueueEvent) -> None:
        """On a queue thread: only hand the event over."""
        if self.closed:
            return
        try:
            self._dispatcher(lambda: self._on_event(generation, event))
        except RuntimeError:  # the dispatcher's C++ side is gone: the app is closing
            pass

    def _on_event(self, generation: int, event: QueueEvent) -> None:
        if self.closed or generation != self._generation:
            return
        if event.kind == "status":
            self.status_text = event.message
            self.statusChanged.emit(event.message)
            self.message.emit(event.message)
        elif event.kind == "progress" and event.job is not None:
            self._accept(event.job)  # it carries the chunk being sent ("chunk 3 of 17")
            self.transfers[event.job.id] = Transfer(event.sent, event.speed, time.monotonic())
            self.progressed.emit(self.jobs.get(event.job.id, event.job))
        elif event.kind == "job" and event.job is not None:
            self._accept(event.job)

    def _remember(self, job: Job) -> Job | None:
        """Keep ``job`` unless a newer copy is known; returns the copy it replaced (or None)."""
        old = self.jobs.get(job.id)
        if old is not None and old.updated_at > job.updated_at:
            return old
        self.jobs[job.id] = job
        if job.state != S.UPLOADING:
            self.transfers.pop(job.id, None)
        return old

    def _accept(self, job: Job) -> None:
        old = self._remember(job)
        if self.jobs[job.id] is not job or old == job:
            return  # an older snapshot than the one shown, or the same
        self.jobChanged.emit(job)
        if job.state in END_STATES and (old is None or old.state != job.state):
            self.jobEnded.emit(job)

    # ------------------------------------------------------------------ requests

    def _queue_op(
        self,
        name: str,
        call: Callable[[PublishQueue], Any],
        then: Callable[[Any], None] | None = None,
        failed: Callable[[str], None] | None = None,
        lane: str = PUBLISH_LANE,
    ) -> JobHandle[Any] | None:
        queue = self.queue
        report = failed or self.message.emit
        if queue is None or self.closed:
            report(self.problem or NOT_READY)
            return None

        def done(result: Any) -> None:
            if isinstance(result, Job):
                self._accept(result)
            if then is not None:
                then(result)

        def broke(exc: BaseException) -> None:
            log.info("%s failed: %s", name, exc)
            report(str(exc) if isinstance(exc, PrepareError) else f"{name} did not work: {exc}")

        op = Op(self.runner, lambda _ctx: call(queue), name=name, lane=lane)
        return self._run(op.success(done).failure(broke))

    def creator_info(
        self,
        then: Callable[[tuple[Account, CreatorInfo]], None],
        failed: Callable[[str], None],
    ) -> JobHandle[Any] | None:
        """The active account and what TikTok lets it post (asked afresh each time)."""

        def ask(queue: PublishQueue) -> tuple[Account, CreatorInfo]:
            account = queue.account(None)  # the queue's own rule: the active account, usable
            try:
                return account, queue.posting.creator_info(account.id)
            except ApiError as exc:
                raise PrepareError(f"TikTok did not say what this account may post: {exc}") from None

        return self._queue_op("Read posting options", ask, then, failed, lane=NET_LANE)

    def what_worked(
        self, account_id: str, then: Callable[[tuple[list[str], float | None]], None]
    ) -> JobHandle[Any] | None:
        """The account's hashtags that worked (best first) and the next best slot to post, from
        its own history (analytics); both empty for a new account."""

        def read(queue: PublishQueue) -> tuple[list[str], float | None]:
            import time

            from studio.analytics.queries import Analytics
            from studio.analytics.ranges import local_tz

            store = queue.engine.store
            if store is None:
                return [], None
            analytics = Analytics(store)
            tags = [h.tag for h in analytics.hashtags(account_id) if h.vs_account_views >= 1.0][:12]
            return tags, analytics.next_best_slot(account_id, local_tz(), time.time() + 600)

        return self._queue_op("Read what worked", read, then, lambda _text: None, lane=READ_LANE)

    def enqueue(
        self,
        target: PublishTarget,
        then: Callable[[EnqueueOutcome], None],
        *,
        caption: str,
        privacy: str = "",
        mode: str = "direct",
        options: dict[str, Any] | None = None,
        schedule_at: float | None = None,
        account_id: str | None = None,
        again: bool = False,
    ) -> JobHandle[Any] | None:
        """Queue a publish (the file is hashed in the job); ``then`` gets what happened."""

        def work(queue: PublishQueue) -> EnqueueOutcome:
            where: dict[str, Any] = {}
            try:
                if target.file is not None:
                    where["file"] = target.file
                else:
                    where["draft_id"] = target.draft_id
                    where["revision_id"] = draft_revision(target)
                job, attached = queue.enqueue(
                    caption=caption,
                    privacy=privacy,
                    mode=mode,
                    options=options,
                    schedule_at=schedule_at,
                    account_id=account_id,
                    again=again,
                    **where,
                )
            except AlreadyPublished as exc:
                return EnqueueOutcome(already=exc.job)
            except (PrepareError, DraftError, ValueError, OSError, ApiError, KeyError) as exc:
                return EnqueueOutcome(problem=str(exc))
            return EnqueueOutcome(job=job, attached=attached)

        def done(outcome: EnqueueOutcome) -> None:
            if outcome.job is not None:
                self._accept(outcome.job)
            then(outcome)

        return self._queue_op("Queue the post", work, done, lambda text: then(EnqueueOutcome(problem=text)))

    def pause(self, job_id: int) -> JobHandle[Any] | None:
        return self._queue_op("Pause", lambda queue: queue.pause(job_id))

    def resume(self, job_id: int) -> JobHandle[Any] | None:
        return self._queue_op("Resume", lambda queue: queue.resume(job_id))

    def cancel(self, job_id: int) -> JobHandle[Any] | None:
        return self._queue_op("Cancel", lambda queue: queue.cancel(job_id))

    def retry(self, job_id: int, *, again: bool = False) -> JobHandle[Any] | None:
        return self._queue_op("Retry", lambda queue: queue.retry(job_id, again=again))

    def reload(self) -> JobHandle[Any] | None:
        """Read every job again (``jobsChanged`` follows)."""

        def done(jobs: list[Job]) -> None:
            for job in jobs:
                self._remember(job)
            self.jobsChanged.emit()

        return self._queue_op("Read uploads", lambda queue: queue.jobs(), done, lambda _t: None, READ_LANE)

    def details(self, job_id: int, then: Callable[[JobDetails], None]) -> JobHandle[Any] | None:
        """The job, its audit log and its acknowledged chunks, read in a job."""

        def read(queue: PublishQueue) -> JobDetails:
            events = [
                (float(r["at"]), str(r["state"]), str(r["message"])) for r in queue.store.events(job_id)
            ]
            chunks = [dict(r) for r in queue.store.chunks(job_id)]
            return JobDetails(queue.job(job_id), events, chunks)

        def done(found: JobDetails) -> None:
            self._accept(found.job)
            then(found)

        return self._queue_op("Read upload log", read, done, lambda _t: None, READ_LANE)

    # ------------------------------------------------------------------ for the widgets

    def running(self) -> list[Job]:
        """Jobs that are being worked on or wait to start now (not paused, not scheduled later)."""
        now = time.time()
        out = []
        for job in sorted(self.jobs.values(), key=lambda j: j.id):
            if job.state not in S.ACTIVE or job.paused:
                continue
            if job.state == S.QUEUED and job.schedule_at is not None and job.schedule_at > now:
                continue
            out.append(job)
        return out

    def fraction(self, job: Job) -> float | None:
        """How far the job is, from its last progress report or its stored bytes."""
        transfer = self.transfers.get(job.id)
        if job.state == S.UPLOADING and transfer is not None and job.file_size:
            return min(1.0, transfer.sent / job.file_size)
        return job.progress

    # ------------------------------------------------------------------ exit

    def shutdown(self, timeout: float = SHUTDOWN_WAIT_S) -> bool:
        """Stop the queue at exit: the GUI waits at most ``timeout`` s (its threads are daemons,
        and every job resumes at the next start). True when it closed in time."""
        if self.closed:
            return True
        self.closed = True
        self._generation += 1
        queue, self.queue = self.queue, None
        if queue is None:
            return True
        return close_bounded(queue.close, "publish queue", timeout)
