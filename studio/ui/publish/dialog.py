"""File > Publish…: caption, who can see it, interactions, cover, disclosure; post, schedule, inbox.

Follows TikTok's rules for apps that post: the privacy options are exactly those creator_info
returns, none preselected; the interaction toggles the creator turned off in TikTok stay off;
the video may not be longer than the account may post; the caption is counted in UTF-16 units.
Everything is checked here, before anything is queued. The options are read, the file probed
and the cover decoded in jobs; the GUI thread only draws.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.jobs.runner import JobContext
from studio.ui.jobs import Op
from studio.ui.publish.caption import MAX_CAPTION, CaptionEditor
from studio.ui.publish.controller import PublishController
from studio.ui.publish.cover import CoverPicker, CoverSource
from studio.ui.publish.models import EnqueueOutcome, PublishTarget
from studio.upload.posting import CreatorInfo
from studio.upload.store import Job

if TYPE_CHECKING:
    from studio.sync.models import Account

PLACEHOLDER = "Choose who can see it"
PRIVACY_NAMES = {
    "PUBLIC_TO_EVERYONE": "Everyone",
    "FOLLOWER_OF_CREATOR": "Followers",
    "MUTUAL_FOLLOW_FRIENDS": "Friends (followers you follow back)",
    "SELF_ONLY": "Only me",
}
TURNED_OFF = "Turned off for this account in its TikTok settings"
MUSIC_NOTE = "By posting, you agree to TikTok's Music Usage Confirmation."
BRANDED_NOTE = "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation."
PROBLEM_STYLE = "color: #d93025;"


def next_full_hour(now: QDateTime | None = None) -> QDateTime:
    """The next full hour in local time (14:05 -> 15:00; 15:00 -> 16:00)."""
    now = now or QDateTime.currentDateTime()
    return QDateTime(now.date(), QTime(now.time().hour(), 0)).addSecs(3600)


class PublishDialog(QDialog):
    """``queued(Job)`` fires when the post is in the queue (or continues the same job)."""

    queued = Signal(object)

    def __init__(
        self, controller: PublishController, target: PublishTarget, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("publishDialog")
        self.setWindowTitle(f"Publish “{target.name}”")
        self.controller = controller
        self.target = target
        self.info: CreatorInfo | None = None
        self.account: Account | None = None
        self.info_problem = ""
        self.duration: float | None = None
        self.busy = False
        self._alive = True

        self.what_label = QLabel(("Video: " if target.file else "Draft: ") + target.name)
        self.account_label = QLabel("Reading what this account may post…")
        self.account_label.setWordWrap(True)
        self.caption = CaptionEditor()
        self.caption.changed.connect(lambda _n: self._update_buttons())
        self.worked_tags: list[str] = []  # the account's hashtags that did better than usual
        self.tags_label = QLabel()
        self.tags_label.setObjectName("tagSuggestions")
        self.tags_label.setWordWrap(True)
        self.tags_label.setVisible(False)
        self.tags_label.linkActivated.connect(self.add_tag)
        self.caption.edit.textChanged.connect(self._show_tags)
        self.caption.edit.cursorPositionChanged.connect(self._show_tags)
        self.privacy_combo = QComboBox()
        self.privacy_combo.setObjectName("privacyCombo")
        self.privacy_combo.setPlaceholderText(PLACEHOLDER)
        self.privacy_combo.setEnabled(False)
        self.privacy_combo.currentIndexChanged.connect(lambda _i: self.show_message(""))
        self.comments_check = QCheckBox("Allow comments")
        self.duet_check = QCheckBox("Allow duets")
        self.stitch_check = QCheckBox("Allow stitches")
        interactions = QHBoxLayout()
        for check in (self.comments_check, self.duet_check, self.stitch_check):
            check.setEnabled(False)
            interactions.addWidget(check)
        interactions.addStretch(1)
        form = QFormLayout()
        form.addRow("Caption", self.caption)
        form.addRow("", self.tags_label)
        form.addRow("Who can see it", self.privacy_combo)
        form.addRow("Let viewers", interactions)

        self.cover = CoverPicker(controller.runner)
        cover_box = QGroupBox("Cover")
        QVBoxLayout(cover_box).addWidget(self.cover)

        self.branded_check = QCheckBox("Paid partnership (branded content)")
        self.own_brand_check = QCheckBox("Promotes my own business")
        self.aigc_check = QCheckBox("AI-generated")
        self.branded_check.setToolTip("TikTok labels the post 'Paid partnership'")
        self.own_brand_check.setToolTip("TikTok labels the post 'Promotional content'")
        self.aigc_check.setToolTip("TikTok labels the post as AI-generated content")
        self.branded_check.toggled.connect(lambda _on: self._update_notes())
        disclosure = QGroupBox("Disclosure")
        box = QVBoxLayout(disclosure)
        for check in (self.branded_check, self.own_brand_check, self.aigc_check):
            box.addWidget(check)

        self.schedule_edit = QDateTimeEdit(next_full_hour())
        self.schedule_edit.setObjectName("scheduleEdit")
        self.schedule_edit.setCalendarPopup(True)
        self.schedule_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        schedule_row = QHBoxLayout()
        schedule_row.addWidget(QLabel("Schedule for"))
        schedule_row.addWidget(self.schedule_edit)
        schedule_row.addWidget(QLabel("(your local time)"))
        self.best_slot: float | None = None
        self.best_button = QPushButton("Best time")
        self.best_button.setObjectName("bestSlotButton")
        self.best_button.setVisible(False)
        self.best_button.clicked.connect(self.use_best_slot)
        schedule_row.addWidget(self.best_button)
        schedule_row.addStretch(1)

        self.note_label = QLabel(MUSIC_NOTE)
        self.note_label.setWordWrap(True)
        self.message_label = QLabel()
        self.message_label.setObjectName("publishMessage")
        self.message_label.setWordWrap(True)
        self.post_button = QPushButton("Post now")
        self.post_button.setDefault(True)
        self.schedule_button = QPushButton("Schedule")
        self.inbox_button = QPushButton("Send to inbox")
        self.inbox_button.setToolTip("Upload it to your TikTok inbox and finish the post in the TikTok app")
        self.close_button = QPushButton("Close")
        self.post_button.clicked.connect(self.post_now)
        self.schedule_button.clicked.connect(self.schedule)
        self.inbox_button.clicked.connect(self.send_to_inbox)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.inbox_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.schedule_button)
        buttons.addWidget(self.post_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.what_label)
        layout.addWidget(self.account_label)
        layout.addLayout(form)
        layout.addWidget(cover_box)
        layout.addWidget(disclosure)
        layout.addLayout(schedule_row)
        layout.addWidget(self.note_label)
        layout.addWidget(self.message_label)
        layout.addLayout(buttons)
        self.resize(620, 720)

        controller.readyChanged.connect(self._ready_changed)
        self._update_buttons()
        self.load_info()
        self._inspect()

    # ------------------------------------------------------------------ loading

    def load_info(self) -> None:
        """Ask creator_info (in a job) what the account may post."""
        self.info_problem = ""
        self.account_label.setText("Reading what this account may post…")
        self.controller.creator_info(self._info_loaded, self._info_failed)

    def _ready_changed(self, ready: bool) -> None:
        if self._alive and ready and self.info is None:
            self.load_info()

    def _info_loaded(self, result: tuple[Account, CreatorInfo]) -> None:
        if not self._alive:
            return
        self.account, self.info = result
        info = self.info
        self.privacy_combo.clear()
        for option in info.privacy_options:
            self.privacy_combo.addItem(PRIVACY_NAMES.get(option, option.replace("_", " ").title()), option)
        self.privacy_combo.setCurrentIndex(-1)  # none preselected: the creator chooses
        self.privacy_combo.setEnabled(bool(info.privacy_options))
        for check, off in (
            (self.comments_check, info.comment_disabled),
            (self.duet_check, info.duet_disabled),
            (self.stitch_check, info.stitch_disabled),
        ):
            check.setEnabled(not off)
            check.setToolTip(TURNED_OFF if off else "")
            if off:
                check.setChecked(False)
        who = info.nickname or self.account.label
        handle = f" (@{info.username})" if info.username else ""
        limit = f" · videos up to {info.max_duration_s} s" if info.max_duration_s else ""
        self.account_label.setText(f"Posting as {who}{handle}{limit}")
        self._update_buttons()
        self.controller.what_worked(self.account.id, self._worked_loaded)

    # ------------------------------------------------------------------ what worked before

    def _worked_loaded(self, result: tuple[list[str], float | None]) -> None:
        if not self._alive:
            return
        self.worked_tags, self.best_slot = result
        self._show_tags()
        if self.best_slot is not None:
            when = QDateTime.fromSecsSinceEpoch(int(self.best_slot))
            self.best_button.setText(f"Best time: {when.toString('ddd HH:mm')}")
            self.best_button.setToolTip("The next hour in your best slots (Analytics > Best time to post)")
            self.best_button.setVisible(True)

    def _current_word(self) -> str:
        text = self.caption.text[: self.caption.edit.textCursor().position()]
        return text.rsplit(None, 1)[-1] if text and not text[-1].isspace() else ""

    def _show_tags(self) -> None:
        """While a #word is typed, the tags that worked and start with it; else the best few."""
        word = self._current_word()
        used = {w.lstrip("#").casefold() for w in self.caption.text.split() if w.startswith("#")}
        prefix = word[1:].casefold() if word.startswith("#") else ""
        tags = [t for t in self.worked_tags if t.startswith(prefix) and t not in used][:6]
        self.tags_label.setVisible(bool(tags))
        links = " ".join(f"<a href='{t}'>#{t}</a>" for t in tags)
        self.tags_label.setText(f"Tags that worked for you: {links}")

    def add_tag(self, tag: str) -> None:
        """Complete the #word being typed with ``tag`` (or append it)."""
        edit = self.caption.edit
        cursor = edit.textCursor()
        word = self._current_word()
        if word.startswith("#"):
            for _ in word:
                cursor.deletePreviousChar()
        elif self.caption.text and not self.caption.text[: cursor.position()].endswith((" ", "\n")):
            cursor.insertText(" ")
        cursor.insertText(f"#{tag} ")
        edit.setTextCursor(cursor)

    def use_best_slot(self) -> None:
        if self.best_slot is not None:
            self.schedule_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(self.best_slot)))

    def _info_failed(self, text: str) -> None:
        if not self._alive:
            return
        self.info_problem = text
        self.account_label.setText(text)
        self._update_buttons()

    def _inspect(self) -> None:
        """The video's length (and a draft's stored caption), read in a job; then the cover."""
        target = self.target

        def work(_ctx: JobContext) -> tuple[float, str]:
            if target.file is not None:
                from studio.media.probe import probe

                return float(probe(target.file).duration), ""
            if target.draft_store is None or target.draft_id is None:
                return 0.0, ""
            draft = target.draft_store.get_draft(target.draft_id)
            if target.doc is not None:
                from studio.core.project import Project

                return float(Project.from_dict(target.doc).duration), draft.caption
            return float(draft.duration), draft.caption

        def done(result: tuple[float, str]) -> None:
            if not self._alive:
                return
            self.duration, caption = result
            if caption and not self.caption.text:
                self.caption.set_text(caption)
            if target.file is not None:
                file = target.file
                self.cover.set_source(lambda: CoverSource(file=file), self.duration)
            elif target.draft_store is not None and target.draft_id is not None:
                store, draft_id, doc = target.draft_store, target.draft_id, target.doc
                self.cover.set_source(lambda: CoverSource.for_draft(store, draft_id, doc), self.duration)

        def failed(exc: BaseException) -> None:
            if self._alive:
                self.show_message(f"The video cannot be read: {exc}", problem=True)

        try:
            Op(self.controller.runner, work, name="Read the video").success(done).failure(failed).run()
        except RuntimeError:
            pass

    # ------------------------------------------------------------------ state

    @property
    def privacy(self) -> str:
        value = self.privacy_combo.currentData()
        return str(value) if value else ""

    def options(self) -> dict[str, Any]:
        return {
            "disable_comment": not self.comments_check.isChecked(),
            "disable_duet": not self.duet_check.isChecked(),
            "disable_stitch": not self.stitch_check.isChecked(),
            "brand_content": self.branded_check.isChecked(),
            "brand_organic": self.own_brand_check.isChecked(),
            "is_aigc": self.aigc_check.isChecked(),
            "cover_ms": self.cover.cover_ms,
        }

    def schedule_time(self) -> float:
        return float(self.schedule_edit.dateTime().toSecsSinceEpoch())

    def problem_for(self, mode: str, schedule_at: float | None = None) -> str:
        """Why this cannot be queued as it is ("" when it can)."""
        length = self.caption.length
        if length > MAX_CAPTION:
            return f"The caption is {length:,} characters long as TikTok counts them; the limit is {MAX_CAPTION:,}."
        if self.info is None:
            return (
                self.info_problem or "The account's posting options are still loading; try again in a moment."
            )
        if mode == "direct" and not self.privacy:
            return "Choose who can see the post first."
        if mode == "direct" and self.branded_check.isChecked() and self.privacy == "SELF_ONLY":
            return "Branded content cannot be private: choose who else can see it."
        limit = self.info.max_duration_s
        if limit and self.duration is not None and self.duration > limit + 0.5:
            return (
                f"This video is {self.duration:.0f} s long; this account may post videos up to {limit} s. "
                "Shorten it in the editor first."
            )
        if schedule_at is not None and schedule_at <= time.time():
            return "That time has passed: choose a time in the future for the scheduled post."
        return ""

    def show_message(self, text: str, *, problem: bool = False) -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet(PROBLEM_STYLE if problem else "")

    def _update_notes(self) -> None:
        self.note_label.setText(BRANDED_NOTE if self.branded_check.isChecked() else MUSIC_NOTE)

    def _update_buttons(self) -> None:
        usable = not self.busy and not self.caption.too_long
        for button in (self.post_button, self.schedule_button, self.inbox_button):
            button.setEnabled(usable)

    # ------------------------------------------------------------------ actions

    def post_now(self) -> bool:
        return self._submit("direct", None)

    def schedule(self) -> bool:
        return self._submit("direct", self.schedule_time())

    def send_to_inbox(self) -> bool:
        return self._submit("inbox", None)

    def confirm_again(self, job: Job) -> bool:
        """Asked when this video with this caption is already on TikTok (tests replace it)."""
        where = f"\n\n{job.share_url}" if job.share_url else ""
        answer = QMessageBox.question(
            self,
            "Post it again?",
            f"This video was already posted with this caption.{where}\n\nPost it again?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _submit(self, mode: str, schedule_at: float | None, again: bool = False) -> bool:
        """Check, then queue in a job; False when refused here."""
        if self.busy:
            return False
        problem = self.problem_for(mode, schedule_at)
        if problem:
            self.show_message(problem, problem=True)
            return False
        assert self.account is not None
        self.busy = True
        self._update_buttons()
        self.show_message("Queueing…")
        handle = self.controller.enqueue(
            self.target,
            lambda outcome: self._queued(outcome, mode, schedule_at),
            caption=self.caption.text,
            privacy=self.privacy if mode == "direct" else "",
            mode=mode,
            options=self.options(),
            schedule_at=schedule_at,
            account_id=self.account.id,
            again=again,
        )
        if handle is None:
            self.busy = False
            self._update_buttons()
            return False
        return True

    def _queued(self, outcome: EnqueueOutcome, mode: str, schedule_at: float | None) -> None:
        if not self._alive:
            return
        self.busy = False
        self._update_buttons()
        if outcome.already is not None:
            if self.confirm_again(outcome.already):
                self._submit(mode, schedule_at, again=True)
            else:
                self.show_message("Nothing was queued: this video is already on TikTok with this caption.")
            return
        if outcome.problem or outcome.job is None:
            self.show_message(f"Not queued: {outcome.problem or 'the queue did not answer'}", problem=True)
            return
        job = outcome.job
        self.queued.emit(job)
        if outcome.attached:
            self.show_message(
                f"This video is already in the queue ({job.label}): continuing the job already running "
                "for this video."
            )
            return
        when = ""
        if schedule_at is not None:
            when = " for " + time.strftime("%Y-%m-%d %H:%M", time.localtime(schedule_at))
        where = "your TikTok inbox" if mode == "inbox" else "TikTok"
        self.controller.message.emit(
            f"Queued “{job.title}” for {where}{when}: follow it in Account › Uploads."
        )
        self.accept()

    def done(self, result: int) -> None:
        self._alive = False
        self.cover.close_source()
        super().done(result)
