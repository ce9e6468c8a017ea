"""Publishing UI against a real local stand-in, a real engine and a real publish queue: the
dialog's rules (privacy from creator_info, the UTF-16 counter, validation), a file published and
followed in the Uploads panel, posting again, scheduling and cancelling, unconfirmed jobs, the
editor and drafts-browser entries, and no network, SQLite, hashing or decoding on the GUI thread."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from PySide6.QtCore import QDateTime, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from backend_stub.server import StubServer
from studio.dbwriter import Readers, Writer
from studio.sync.engine import SyncEngine
from studio.sync.platform import stand_in_config
from studio.sync.vault import EncryptedFileVault
from studio.ui.accounts.controller import SyncController
from studio.ui.editor.window.main_window import MainWindow
from studio.ui.publish.controller import PublishController
from studio.ui.publish.dialog import PLACEHOLDER, PublishDialog, next_full_hour
from studio.ui.publish.models import Transfer
from studio.ui.publish.status import indicator_text
from studio.ui.publish.uploads import UNCONFIRMED_TEXT, UploadsPanel
from studio.upload import states as S
from studio.upload.store import Job
from tests.media.fixtures import make_video
from tests.ui.app_runner import run_app_until

pytestmark = pytest.mark.gui

T = TypeVar("T")
WAIT_MS = 30_000
LEFT = Qt.MouseButton.LeftButton


def off_gui(fn: Callable[[], T]) -> T:
    """Run a check that reads a store on a thread of its own."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join(30)
    return out[0]  # type: ignore[no-any-return]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def gui_io(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records network calls, sync and upload-queue store access, vault access, file hashing,
    probing and decoding on the GUI thread."""
    import studio.media.decode as decode
    import studio.media.probe as probe
    import studio.upload.queue as queue_module
    import studio.upload.store as store_module

    seen: list[str] = []

    def on_gui() -> bool:
        return threading.current_thread() is threading.main_thread()

    def wrap(owner: Any, name: str, what: Callable[..., str | None]) -> None:
        real = getattr(owner, name)

        def guarded(*args: Any, **kwargs: Any) -> Any:
            label = what(*args, **kwargs)
            if label and on_gui():
                seen.append(label)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, guarded)

    wrap(httpx.Client, "send", lambda _self, *a, **k: f"HTTP {(a[0] if a else k['request']).url}")
    labels = {"sync": "sync write", "uploads": "uploads write"}
    wrap(Writer, "submit", lambda self, *_a, **_k: labels.get(self._db_label))
    reads = {"sync.sqlite3": "sync read", "uploads.sqlite3": "uploads read"}
    wrap(Readers, "get", lambda self: reads.get(self._path.name))
    wrap(store_module.QueueStore, "__init__", lambda *_a, **_k: "uploads open")
    wrap(EncryptedFileVault, "_load", lambda _self: "vault read")
    wrap(EncryptedFileVault, "_update", lambda _self, *_a, **_k: "vault write")
    wrap(queue_module, "sha256_file", lambda *_a, **_k: "hash the file")
    wrap(probe, "probe", lambda *_a, **_k: "probe the file")
    wrap(decode.VideoDecoder, "frame_at", lambda *_a, **_k: "decode a frame")
    return seen


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[StubServer]:
    with StubServer(tmp_path / "stub", seed=7, auto_approve=True) as server:
        yield server


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 2 s 360x640 H.264 clip: the smallest picture TikTok takes."""
    return make_video(tmp_path_factory.mktemp("publish-media") / "sunset.mp4", 360, 640, 30, 2.0)


@pytest.fixture
def publisher(
    qtbot: QtBot, studio_window: MainWindow, stub: StubServer, gui_io: list[str]
) -> Iterator[PublishController]:
    """The demo creator signed in on the stand-in; sync and the publish queue started as the app
    starts them (every call in a job)."""
    platform = stand_in_config(stub.base_url, stub.demo_client_key, stub.demo_client_secret)
    engine = SyncEngine(studio_window.paths.ensure(), platform=platform)
    off_gui(engine.sign_in_demo)
    sync = SyncController.for_window(studio_window, engine=engine)
    studio_window.attach_sync(sync)
    sync.start()
    controller = PublishController.for_window(studio_window, sync)
    studio_window.attach_publish(controller)
    controller.start()
    qtbot.waitUntil(lambda: controller.ready, timeout=WAIT_MS)
    yield controller
    assert controller.shutdown(timeout=20.0)
    assert sync.shutdown(timeout=20.0)


def open_dialog(qtbot: QtBot, window: MainWindow, video: Path) -> PublishDialog:
    dialog = window.show_publish(file=video)
    assert isinstance(dialog, PublishDialog) and dialog.objectName() == "publishDialog"
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.info is not None, timeout=WAIT_MS)
    return dialog


def wait_idle(qtbot: QtBot, window: MainWindow) -> None:
    """Every job of the window's runner has finished (before the test closes a store they read)."""
    qtbot.waitUntil(lambda: all(h.finished for h in window.runner.active), timeout=WAIT_MS)


def choose(dialog: PublishDialog, privacy: str) -> None:
    index = dialog.privacy_combo.findData(privacy)
    assert index >= 0, privacy
    dialog.privacy_combo.setCurrentIndex(index)


def stub_rows(stub: StubServer, table: str) -> list[Any]:
    """The stand-in's publishes, or the videos that publishing made (not its seeded ones)."""
    where = " WHERE publish_id IS NOT NULL" if table == "videos" else ""
    return list(stub.state.db.all(f"SELECT * FROM {table}{where}"))


def publish_now(qtbot: QtBot, window: MainWindow, video: Path, caption: str) -> Job:
    """Post the file now with the dialog; wait until the job is published."""
    controller: PublishController = window.publish
    before = set(controller.jobs)
    dialog = open_dialog(qtbot, window, video)
    dialog.caption.set_text(caption)
    choose(dialog, "PUBLIC_TO_EVERYONE")
    qtbot.mouseClick(dialog.post_button, LEFT)
    qtbot.waitUntil(lambda: bool(set(controller.jobs) - before), timeout=WAIT_MS)
    (job_id,) = set(controller.jobs) - before
    qtbot.waitUntil(lambda: controller.jobs[job_id].state == S.PUBLISHED, timeout=WAIT_MS)
    return controller.jobs[job_id]


def test_the_dialog_offers_what_creator_info_returns_and_counts_utf16_units(
    qtbot: QtBot, studio_window: MainWindow, publisher: PublishController, video: Path, gui_io: list[str]
) -> None:
    dialog = open_dialog(qtbot, studio_window, video)
    assert publisher.queue is not None and dialog.account is not None
    account_id = dialog.account.id
    offered = off_gui(lambda: publisher.queue.posting.creator_info(account_id)).privacy_options  # type: ignore[union-attr]
    combo = dialog.privacy_combo
    assert [combo.itemData(i) for i in range(combo.count())] == list(offered) and offered
    assert combo.currentIndex() == -1 and combo.placeholderText() == PLACEHOLDER == "Choose who can see it"
    assert "Posting as Demo Creator (@demo.creator)" in dialog.account_label.text()
    assert all(c.isEnabled() for c in (dialog.comments_check, dialog.duet_check, dialog.stitch_check))

    qtbot.mouseClick(dialog.post_button, LEFT)  # no privacy chosen: refused before queueing
    assert dialog.message_label.text() == "Choose who can see the post first."
    assert publisher.jobs == {} and off_gui(publisher.queue.jobs) == []
    assert dialog.problem_for("inbox") == ""  # the inbox needs no privacy: the creator finishes in TikTok

    dialog.caption.set_text("Hi #fyp @best.friend")
    formats = dialog.caption.edit.document().firstBlock().layout().formats()
    assert sorted((f.start, f.length) for f in formats) == [(3, 4), (8, 12)]
    assert dialog.caption.hint.text() == "1 hashtag · 1 mention"
    dialog.caption.set_text("😀" * 1100)  # 1,100 emoji are 2,200 UTF-16 units: just allowed
    assert dialog.caption.counter.text() == "2,200 / 2,200" and dialog.post_button.isEnabled()
    dialog.caption.set_text("😀" * 1100 + "é")
    assert dialog.caption.counter.text() == "2,201 / 2,200"
    assert "color" in dialog.caption.counter.styleSheet()
    assert not any(b.isEnabled() for b in (dialog.post_button, dialog.schedule_button, dialog.inbox_button))
    assert "2,201" in dialog.problem_for("direct")
    dialog.caption.set_text("Sunset")
    assert dialog.post_button.isEnabled() and dialog.caption.counter.styleSheet() == ""

    qtbot.waitUntil(lambda: dialog.cover.shown_ms == 0, timeout=WAIT_MS)  # the first frame, decoded in a job
    assert not dialog.cover.preview.pixmap().isNull()
    assert dialog.cover.slider.maximum() >= 1900
    dialog.cover.slider.setValue(1500)
    qtbot.waitUntil(lambda: dialog.cover.shown_ms == 1500, timeout=WAIT_MS)
    assert dialog.options()["cover_ms"] == 1500

    info = dialog.info
    assert info is not None
    dialog._info_loaded((dialog.account, dataclasses.replace(info, duet_disabled=True, max_duration_s=1)))
    assert not dialog.duet_check.isEnabled() and "Turned off" in dialog.duet_check.toolTip()
    assert dialog.comments_check.isEnabled() and combo.currentIndex() == -1
    choose(dialog, "SELF_ONLY")
    qtbot.mouseClick(dialog.post_button, LEFT)
    assert "this account may post videos up to 1 s" in dialog.message_label.text()
    dialog.branded_check.setChecked(True)
    assert "Branded Content Policy" in dialog.note_label.text()
    dialog._info_loaded((dialog.account, info))
    choose(dialog, "SELF_ONLY")
    assert dialog.problem_for("direct") == "Branded content cannot be private: choose who else can see it."
    dialog.reject()
    assert publisher.jobs == {} and off_gui(publisher.queue.jobs) == []
    assert gui_io == []


def test_post_now_publishes_the_file_and_the_uploads_panel_follows_it(
    qtbot: QtBot,
    studio_window: MainWindow,
    publisher: PublishController,
    video: Path,
    stub: StubServer,
    gui_io: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = studio_window.show_uploads()
    assert isinstance(panel, UploadsPanel) and panel.objectName() == "uploadsPanel"
    qtbot.waitExposed(panel)
    assert panel.empty_label.isVisible()
    job = publish_now(qtbot, studio_window, video, "Sunset run #fyp @friend")
    assert job.share_url.startswith(stub.base_url) and job.post_id
    row = panel.row(job.id)
    assert row is not None
    qtbot.waitUntil(lambda: row.state.text() == "Published", timeout=WAIT_MS)
    assert row.title.text() == "Sunset run #fyp @friend" and row.speed.text() == job.share_url
    assert row.bar.value() == 1000 and row.open_button.isVisible()
    assert not any(b.isVisible() for b in (row.pause_button, row.cancel_button, row.retry_button))
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(QUrl(url).toString()) or True)
    qtbot.mouseClick(row.open_button, LEFT)
    assert opened == [job.share_url]

    panel.select(job.id)  # the audit log and the chunks, read in a job
    qtbot.waitUntil(lambda: "Published" in panel.log_view.toPlainText(), timeout=WAIT_MS)
    log_text = panel.log_view.toPlainText()
    for step in ("Queued", "Checking the file", "Upload started", "All 1 chunk(s) uploaded"):
        assert step in log_text, log_text
    assert panel.chunks_view.toPlainText().startswith("Chunk 1 of 1: acknowledged at")

    publishes, videos = stub_rows(stub, "publishes"), stub_rows(stub, "videos")
    assert len(publishes) == 1 and len(videos) == 1 and publishes[0]["status"] == "PUBLISH_COMPLETE"
    assert videos[0]["title"] == "Sunset run #fyp @friend"
    stored = list(stub.state.uploads_dir.glob("*.video"))
    assert len(stored) == 1 and sha256(stored[0]) == sha256(video)
    assert any(text.startswith("Published “Sunset run") for text in studio_window.publish_notifier.sent)
    assert not studio_window.uploads_status.isVisible()  # idle: the indicator is hidden
    assert gui_io == []


def test_the_same_file_and_caption_again_asks_before_posting_twice(
    qtbot: QtBot,
    studio_window: MainWindow,
    publisher: PublishController,
    video: Path,
    stub: StubServer,
    gui_io: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = publish_now(qtbot, studio_window, video, "Twice?")
    asked: list[tuple[str, str]] = []
    answer = [QMessageBox.StandardButton.No]

    def question(_parent: object, title: str, text: str, *_args: object) -> QMessageBox.StandardButton:
        asked.append((title, text))
        return answer[0]

    monkeypatch.setattr(QMessageBox, "question", question)
    dialog = open_dialog(qtbot, studio_window, video)
    dialog.caption.set_text("Twice?")
    choose(dialog, "PUBLIC_TO_EVERYONE")
    qtbot.mouseClick(dialog.post_button, LEFT)
    qtbot.waitUntil(lambda: "Nothing was queued" in dialog.message_label.text(), timeout=WAIT_MS)
    assert asked[0][0] == "Post it again?" and first.share_url in asked[0][1]
    assert list(publisher.jobs) == [first.id] and len(off_gui(publisher.queue.jobs)) == 1  # type: ignore[union-attr]
    assert len(stub_rows(stub, "publishes")) == 1

    answer[0] = QMessageBox.StandardButton.Yes  # on purpose: a second post
    qtbot.mouseClick(dialog.post_button, LEFT)
    qtbot.waitUntil(lambda: len(publisher.jobs) == 2, timeout=WAIT_MS)
    second = max(publisher.jobs)
    qtbot.waitUntil(lambda: publisher.jobs[second].state == S.PUBLISHED, timeout=WAIT_MS)
    assert len(asked) == 2 and len(stub_rows(stub, "videos")) == 2
    assert gui_io == []


def test_schedule_refuses_the_past_and_a_future_post_waits_until_cancelled(
    qtbot: QtBot,
    studio_window: MainWindow,
    publisher: PublishController,
    video: Path,
    stub: StubServer,
    gui_io: list[str],
) -> None:
    dialog = open_dialog(qtbot, studio_window, video)
    default = dialog.schedule_edit.dateTime()
    now = QDateTime.currentDateTime()
    assert default == next_full_hour(now) and default.time().minute() == 0 and 0 < now.secsTo(default) <= 3600
    dialog.caption.set_text("Tomorrow's run")
    choose(dialog, "SELF_ONLY")
    dialog.schedule_edit.setDateTime(now.addSecs(-3600))
    qtbot.mouseClick(dialog.schedule_button, LEFT)
    assert "choose a time in the future" in dialog.message_label.text()
    assert publisher.jobs == {}

    when = QDateTime(now.date(), now.time()).addSecs(2 * 3600)
    dialog.schedule_edit.setDateTime(when)
    expected = float(dialog.schedule_edit.dateTime().toSecsSinceEpoch())
    qtbot.mouseClick(dialog.schedule_button, LEFT)
    qtbot.waitUntil(lambda: len(publisher.jobs) == 1, timeout=WAIT_MS)
    (job,) = publisher.jobs.values()
    assert job.state == S.QUEUED and job.schedule_at == expected and job.mode == "direct"
    panel = studio_window.show_uploads()
    row = panel.row(job.id)
    assert row is not None
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(expected))
    assert row.state.text() == f"Waiting · scheduled for {stamp}"
    assert row.cancel_button.isVisible() and row.pause_button.isVisible()
    assert not studio_window.uploads_status.isVisible()  # waiting for its time is not running
    qtbot.wait(1500)
    assert off_gui(lambda: publisher.queue.job(job.id)).state == S.QUEUED  # type: ignore[union-attr]

    again = open_dialog(qtbot, studio_window, video)  # the same video and caption: the same job
    again.caption.set_text("Tomorrow's run")
    choose(again, "SELF_ONLY")
    qtbot.mouseClick(again.post_button, LEFT)
    qtbot.waitUntil(
        lambda: "continuing the job already running" in again.message_label.text(), timeout=WAIT_MS
    )
    assert list(publisher.jobs) == [job.id]
    again.reject()

    qtbot.mouseClick(row.cancel_button, LEFT)
    qtbot.waitUntil(lambda: row.state.text() == "Cancelled", timeout=WAIT_MS)
    assert row.retry_button.isVisible() and not row.cancel_button.isVisible()
    assert off_gui(lambda: publisher.queue.job(job.id)).state == S.CANCELLED  # type: ignore[union-attr]
    assert stub_rows(stub, "publishes") == []
    assert any("cancelled" in text for text in studio_window.publish_notifier.sent)
    assert gui_io == []


def test_an_unconfirmed_job_says_check_your_profile_and_posting_again_asks(
    qtbot: QtBot, studio_window: MainWindow, publisher: PublishController, video: Path, gui_io: list[str]
) -> None:
    queue = publisher.queue
    assert queue is not None
    later = time.time() + 86_400

    def unconfirmed() -> Job:  # a job whose init answer was lost: what the worker leaves behind
        job, _ = queue.enqueue(caption="Lost answer", privacy="SELF_ONLY", file=video, schedule_at=later)
        queue.store.move(job.id, S.CHECKING, "Checking the file")
        queue.store.move(job.id, S.INITIALISING, "Starting the upload")
        return queue.store.move(
            job.id, S.UNCONFIRMED, "Lost", reason="TikTok did not confirm the upload start."
        )

    job = off_gui(unconfirmed)
    panel = studio_window.show_uploads()
    qtbot.waitUntil(
        lambda: panel.row(job.id) is not None and panel.row(job.id).job.state == S.UNCONFIRMED,
        timeout=WAIT_MS,
    )  # type: ignore[union-attr]
    row = panel.row(job.id)
    assert row is not None
    assert row.warning.isVisible() and row.warning.text() == UNCONFIRMED_TEXT
    assert "check your profile before posting again" in UNCONFIRMED_TEXT
    assert row.again_button.isVisible() and not row.retry_button.isVisible()

    answers = [False, True]
    panel.confirm_again = lambda _job: answers.pop(0)  # type: ignore[method-assign]
    qtbot.mouseClick(row.again_button, LEFT)
    qtbot.wait(300)
    assert off_gui(lambda: queue.job(job.id)).state == S.UNCONFIRMED
    qtbot.mouseClick(row.again_button, LEFT)
    qtbot.waitUntil(lambda: row.job.state == S.CHECKING, timeout=WAIT_MS)
    assert not row.warning.isVisible()
    panel.select(job.id)
    qtbot.waitUntil(lambda: "Starting again on your word" in panel.log_view.toPlainText(), timeout=WAIT_MS)
    assert gui_io == []


def test_the_indicator_counts_running_jobs_and_hides_when_idle(
    qtbot: QtBot, studio_window: MainWindow, publisher: PublishController, video: Path
) -> None:
    indicator = studio_window.uploads_status
    assert indicator.objectName() == "uploadsStatus" and not indicator.isVisible()
    base = publish_now(qtbot, studio_window, video, "Indicator")
    first = dataclasses.replace(base, id=901, state=S.UPLOADING, file_size=1000, updated_at=time.time())
    second = dataclasses.replace(base, id=902, state=S.QUEUED, schedule_at=None, updated_at=time.time())
    publisher.transfers[901] = Transfer(430, 100.0, time.monotonic())
    publisher._accept(first)
    publisher._accept(second)
    assert indicator_text(publisher) == "Uploading 1 of 2 · 43%"
    assert indicator.isVisible() and indicator.text() == "Uploading 1 of 2 · 43%"
    row = studio_window.show_uploads().row(901)
    assert row is not None and row.speed.text() == "430 B of 1.0 KB · 100 B/s · 6 s left"
    qtbot.mouseClick(indicator, LEFT)
    assert studio_window.uploads_panel.isVisible()
    publisher._accept(dataclasses.replace(first, state=S.PUBLISHED, updated_at=time.time() + 1))
    publisher._accept(dataclasses.replace(second, paused=True, updated_at=time.time() + 1))
    assert not indicator.isVisible()


def test_send_to_inbox_needs_no_privacy_and_ends_in_the_inbox(
    qtbot: QtBot,
    studio_window: MainWindow,
    publisher: PublishController,
    video: Path,
    stub: StubServer,
    gui_io: list[str],
) -> None:
    dialog = open_dialog(qtbot, studio_window, video)
    dialog.caption.set_text("Finish me in TikTok")
    assert dialog.privacy_combo.currentIndex() == -1
    qtbot.mouseClick(dialog.inbox_button, LEFT)
    qtbot.waitUntil(lambda: len(publisher.jobs) == 1, timeout=WAIT_MS)
    (job_id,) = publisher.jobs
    qtbot.waitUntil(lambda: publisher.jobs[job_id].state == S.INBOX, timeout=WAIT_MS)
    job = publisher.jobs[job_id]
    assert job.mode == "inbox" and job.privacy == "" and job.label == "In your TikTok inbox"
    (row,) = stub_rows(stub, "publishes")
    assert row["mode"] != "DIRECT_POST" and row["status"] == "SEND_TO_USER_INBOX"
    assert any("inbox" in text for text in studio_window.publish_notifier.sent)
    assert gui_io == []


def test_a_platform_switch_makes_the_queue_again_on_the_new_engine(
    qtbot: QtBot, studio_window: MainWindow, publisher: PublishController, stub: StubServer, gui_io: list[str]
) -> None:
    sync = studio_window.sync
    old_engine, old_queue = sync.engine, publisher.queue
    assert old_queue is not None and old_queue.engine is old_engine
    readiness: list[bool] = []
    publisher.readyChanged.connect(readiness.append)
    sync.apply_platform("custom", stub.demo_client_key, "s3cret", 0, stub.base_url)
    qtbot.waitUntil(lambda: sync.engine is not old_engine and sync.started, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: publisher.ready and publisher.queue is not old_queue, timeout=WAIT_MS)
    assert readiness == [False, True]
    assert publisher.queue is not None and publisher.queue.engine is sync.engine
    assert off_gui(publisher.queue.jobs) == []
    assert gui_io == []


def test_the_end_of_a_job_goes_to_the_tray_when_there_is_one(
    qtbot: QtBot,
    studio_window: MainWindow,
    publisher: PublishController,
    video: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PySide6.QtWidgets import QSystemTrayIcon

    job = publish_now(qtbot, studio_window, video, "Tray")
    notifier = studio_window.publish_notifier
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    monkeypatch.setattr(
        QSystemTrayIcon, "showMessage", lambda _self, title, text, *_a: shown.append((title, text))
    )
    notifier.notify(dataclasses.replace(job, state=S.FAILED, reason="TikTok refused the caption."))
    assert shown == [("Creator Studio", "“Tray” was not published: TikTok refused the caption.")]
    assert notifier.tray is not None


def test_file_publish_opens_for_the_editors_draft_and_from_the_drafts_browser(
    qtbot: QtBot, studio_window: MainWindow, publisher: PublishController
) -> None:
    from studio.ui.drafts import session as draft_session

    action = studio_window.publish_action
    assert action.text() == "&Publish…" and action.shortcut() == QKeySequence("Ctrl+Shift+P")
    assert action in studio_window.menus["file"].actions()
    action.trigger()  # no drafts store yet, no draft
    assert studio_window.publish_dialog is None
    assert studio_window.statusBar().currentMessage() == "Edit or save the project first"

    session, lock = draft_session.start(studio_window)
    assert session is not None and lock is not None
    try:
        action.trigger()  # an untouched project is no draft yet
        assert studio_window.publish_dialog is None
        studio_window.add_text("Morning run")
        qtbot.waitUntil(lambda: session.draft_id is not None, timeout=WAIT_MS)
        action.trigger()
        dialog = studio_window.publish_dialog
        assert isinstance(dialog, PublishDialog)
        assert dialog.target.draft_id == session.draft_id and dialog.target.doc is not None
        assert dialog.what_label.text().startswith("Draft: ")
        qtbot.waitUntil(lambda: dialog.duration is not None and dialog.duration > 0, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: dialog.cover.shown_ms == 0, timeout=WAIT_MS)  # a frame of the project
        dialog.caption.set_text("Morning run #draft")
        choose(dialog, "SELF_ONLY")
        dialog.schedule_edit.setDateTime(QDateTime.currentDateTime().addSecs(3 * 3600))
        qtbot.mouseClick(dialog.schedule_button, LEFT)  # scheduled: queued, not rendered yet
        qtbot.waitUntil(lambda: len(publisher.jobs) == 1, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: studio_window.publish_dialog is None, timeout=WAIT_MS)
        (job,) = publisher.jobs.values()
        store, draft_id = session.store, session.draft_id
        assert job.draft_id == draft_id and job.source == "" and job.state == S.QUEUED
        # the project as shown became the draft's head, which the queue's export renders
        assert job.revision_id == off_gui(lambda: store.get_draft(draft_id).head_revision_id)
        shown = json.loads(json.dumps(studio_window.project.to_dict()))
        assert off_gui(lambda: store.get_project_doc(draft_id)) == shown
        publisher.cancel(job.id)
        qtbot.waitUntil(lambda: publisher.jobs[job.id].state == S.CANCELLED, timeout=WAIT_MS)

        browser = session.show_browser()
        browser.select_ids([session.draft_id])
        qtbot.waitUntil(lambda: not browser.model.loading, timeout=WAIT_MS)
        qtbot.waitUntil(browser.publish_button.isEnabled, timeout=WAIT_MS)
        qtbot.mouseClick(browser.publish_button, LEFT)
        dialog = studio_window.publish_dialog
        assert isinstance(dialog, PublishDialog) and dialog.target.draft_id == session.draft_id
        assert dialog.target.doc is None and dialog.target.draft_store is session.store
        qtbot.waitUntil(lambda: dialog.cover.shown_ms == 0, timeout=WAIT_MS)  # the stored draft's frame
        dialog.reject()
    finally:
        wait_idle(qtbot, studio_window)
        session.close()
        session.store.close()
        lock.release()  # type: ignore[attr-defined]


def test_publish_and_uploads_without_sync_say_so(qtbot: QtBot, studio_window: MainWindow) -> None:
    studio_window.publish_action.trigger()
    assert "not available" in studio_window.statusBar().currentMessage()
    menu = studio_window.menus["account"]
    next(a for a in menu.actions() if a.text() == "&Uploads…").trigger()
    assert studio_window.uploads_panel is None
    assert "not available" in studio_window.statusBar().currentMessage()


def test_quit_when_shown_does_not_start_the_queue(studio_home: Path) -> None:
    import os
    import subprocess
    import sys

    from studio.config import app_paths

    result = subprocess.run(
        [sys.executable, "-m", "studio", "gui", "--quit-when-shown"],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert not (app_paths().data / "uploads").exists()


@pytest.mark.slow
def test_the_app_starts_the_queue_after_sync_and_closes_it_at_exit(
    qtbot: QtBot, gui_io: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`creator-studio gui` in-process: the queue starts once the demo engine is open, the
    indicator is in the status bar, and closing the window closes the queue before the engine."""
    code, window = run_app_until(monkeypatch, lambda w: w.publish is not None and w.publish.ready)
    assert code == 0
    assert window.publish.closed and window.publish.queue is None and window.sync.closed
    assert (window.paths.data / "uploads" / "uploads.sqlite3").exists()
    assert window.uploads_status.objectName() == "uploadsStatus"
    assert gui_io == []
    window.deleteLater()


def test_the_dialog_offers_the_tags_that_worked_and_the_next_best_slot(
    qtbot: QtBot, studio_window: MainWindow, publisher: PublishController, video: Path, gui_io: list[str]
) -> None:
    from studio.analytics.queries import Analytics
    from studio.analytics.ranges import local_tz

    assert publisher.queue is not None
    engine = publisher.queue.engine
    off_gui(engine.run_once)  # the demo creator's history is synced
    account = off_gui(engine.accounts)[0]
    analytics = Analytics(engine.store)  # type: ignore[arg-type]
    worked = off_gui(lambda: [h.tag for h in analytics.hashtags(account.id) if h.vs_account_views >= 1.0])
    slot = off_gui(lambda: analytics.next_best_slot(account.id, local_tz(), time.time() + 600))
    assert worked and slot is not None
    dialog = open_dialog(qtbot, studio_window, video)
    qtbot.waitUntil(lambda: dialog.tags_label.isVisible(), timeout=WAIT_MS)
    assert all(f"#{t}" in dialog.tags_label.text() for t in worked[:6])
    tag = worked[0]
    dialog.caption.edit.setFocus()
    qtbot.keyClicks(dialog.caption.edit, f"Evening session #{tag[:2]}")
    shown = [t for t in worked if f">#{t}<" in dialog.tags_label.text()]
    assert tag in shown and all(t.startswith(tag[:2]) for t in shown)  # filtered while typing
    dialog.add_tag(tag)  # what clicking the link does
    assert dialog.caption.text == f"Evening session #{tag} "
    assert f">#{tag}<" not in dialog.tags_label.text()  # a tag already used is not offered again
    assert dialog.best_button.isVisible()
    qtbot.mouseClick(dialog.best_button, LEFT)
    assert dialog.schedule_edit.dateTime().toSecsSinceEpoch() == int(slot)
    wait_idle(qtbot, studio_window)
    assert gui_io == []
