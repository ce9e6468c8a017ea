"""Account > Uploads…: every publish job, its progress and its buttons; the chosen job's log.

Rows are drawn from :attr:`PublishController.jobs` and its signals (no I/O here); speed and
the time left come from the queue's progress reports. Selecting a job reads its audit log and
its chunks in a job. An "unconfirmed" job says to check the profile before posting again, and
"Post again…" asks first.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.ui.publish.controller import PublishController
from studio.ui.publish.models import JobDetails
from studio.upload import states as S
from studio.upload.store import Job

UNCONFIRMED_TEXT = "TikTok did not confirm this post: check your profile before posting again."
DETAILS_DEBOUNCE_MS = 250


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def eta_text(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s left"
    if seconds < 3600:
        return f"{round(seconds / 60)} min left"
    return f"{seconds / 3600:.1f} h left"


def log_line(at: float, state: str, message: str) -> str:
    """One audit-log row: when, the state it was in (unless the message says it), what happened."""
    label = S.LABELS.get(state, state)
    said = message if message.lower().startswith(label.lower()[:12]) else f"{label}: {message}"
    return f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(at))}  {said}"


def state_text(job: Job) -> str:
    """The state label with its detail ("Uploading · chunk 3 of 17")."""
    text = "Paused" if job.paused and job.state in S.ACTIVE else job.label
    if job.state == S.UNCONFIRMED:
        text = "Not confirmed"
    if job.detail and job.state in S.ACTIVE:
        text += f" · {job.detail}"
    if job.state == S.FAILED and job.reason:
        text += f": {job.reason}"
    if job.state == S.QUEUED and job.schedule_at is not None:
        text += " · scheduled for " + time.strftime("%Y-%m-%d %H:%M", time.localtime(job.schedule_at))
    return text


class JobRow(QWidget):
    """One job: title, state, progress bar, speed and time left, and what can be done with it."""

    def __init__(self, panel: UploadsPanel, job: Job) -> None:
        super().__init__()
        self.panel = panel
        self.job = job
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold;")
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.warning = QLabel(UNCONFIRMED_TEXT)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b06000;")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.speed = QLabel()
        self.pause_button = QPushButton("Pause")
        self.resume_button = QPushButton("Resume")
        self.cancel_button = QPushButton("Cancel")
        self.retry_button = QPushButton("Retry")
        self.open_button = QPushButton("Open post")
        self.again_button = QPushButton("Post again…")
        self.pause_button.clicked.connect(lambda: panel.controller.pause(self.job.id))
        self.resume_button.clicked.connect(lambda: panel.controller.resume(self.job.id))
        self.cancel_button.clicked.connect(lambda: panel.controller.cancel(self.job.id))
        self.retry_button.clicked.connect(lambda: panel.controller.retry(self.job.id))
        self.open_button.clicked.connect(lambda: panel.open_post(self.job))
        self.again_button.clicked.connect(lambda: panel.post_again(self.job))
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.speed, 1)
        for button in (
            self.pause_button,
            self.resume_button,
            self.cancel_button,
            self.retry_button,
            self.open_button,
            self.again_button,
        ):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.state)
        layout.addWidget(self.warning)
        layout.addWidget(self.bar)
        layout.addLayout(buttons)
        self.set_job(job)

    def set_job(self, job: Job) -> None:
        self.job = job
        active = job.state in S.ACTIVE
        self.title.setText(job.title)
        self.state.setText(state_text(job))
        self.warning.setVisible(job.state == S.UNCONFIRMED)
        self.pause_button.setVisible(active and not job.paused)
        self.resume_button.setVisible(active and job.paused)
        self.cancel_button.setVisible(job.state not in S.ENDED)
        self.retry_button.setVisible(job.state in (S.FAILED, S.CANCELLED))
        self.open_button.setVisible(job.state == S.PUBLISHED and bool(job.share_url))
        self.again_button.setVisible(job.state == S.UNCONFIRMED)
        self.show_progress()

    def show_progress(self) -> None:
        job = self.job
        fraction = self.panel.controller.fraction(job)
        self.bar.setVisible(job.state not in (S.CANCELLED, S.FAILED))
        if fraction is None:
            busy = job.state in S.ACTIVE and job.state != S.QUEUED and not job.paused
            self.bar.setRange(0, 0 if busy else 1000)
            self.bar.setValue(0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(round(fraction * 1000))
        transfer = self.panel.controller.transfers.get(job.id)
        if job.state == S.UPLOADING and transfer is not None and job.file_size:
            text = f"{human_bytes(transfer.sent)} of {human_bytes(job.file_size)}"
            if transfer.speed > 0:
                left = max(0, job.file_size - transfer.sent) / transfer.speed
                text += f" · {human_bytes(transfer.speed)}/s · {eta_text(left)}"
            self.speed.setText(text)
        elif job.state == S.PUBLISHED and job.share_url:
            self.speed.setText(job.share_url)
        else:
            self.speed.setText("")


class UploadsPanel(QDialog):
    def __init__(self, controller: PublishController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("uploadsPanel")
        self.setWindowTitle("Uploads")
        self.controller = controller
        self.rows: dict[int, tuple[QListWidgetItem, JobRow]] = {}
        self.details: JobDetails | None = None
        self.jobs_list = QListWidget()
        self.jobs_list.setObjectName("uploadsList")
        self.jobs_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.jobs_list.itemSelectionChanged.connect(self._selection_changed)
        self.empty_label = QLabel("Nothing published yet: File › Publish… sends a video to TikTok.")
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.log_view = QPlainTextEdit()
        self.log_view.setObjectName("uploadLog")
        self.log_view.setReadOnly(True)
        self.chunks_view = QPlainTextEdit()
        self.chunks_view.setObjectName("uploadChunks")
        self.chunks_view.setReadOnly(True)
        lower = QSplitter(Qt.Orientation.Horizontal)
        for title, view in (("Log of every step", self.log_view), ("Chunks", self.chunks_view)):
            holder = QWidget()
            box = QVBoxLayout(holder)
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(QLabel(title))
            box.addWidget(view)
            lower.addWidget(holder)
        lower.setSizes([460, 240])
        splitter = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_box = QVBoxLayout(top)
        top_box.setContentsMargins(0, 0, 0, 0)
        top_box.addWidget(self.jobs_list)
        top_box.addWidget(self.empty_label)
        splitter.addWidget(top)
        splitter.addWidget(lower)
        splitter.setSizes([380, 220])
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        self.resize(760, 640)
        self._details_timer = QTimer(self)
        self._details_timer.setSingleShot(True)
        self._details_timer.setInterval(DETAILS_DEBOUNCE_MS)
        self._details_timer.timeout.connect(self.load_details)

        controller.jobsChanged.connect(self.rebuild)
        controller.jobChanged.connect(self.show_job)
        controller.progressed.connect(self._progressed)
        controller.statusChanged.connect(self.status_label.setText)
        controller.message.connect(self.status_label.setText)
        self.rebuild()

    # ------------------------------------------------------------------ rows

    def rebuild(self) -> None:
        """Match the rows to the controller's jobs (rows are updated in place, never redrawn)."""
        jobs = self.controller.jobs
        chosen = self.selected_id()
        for job_id in [i for i in self.rows if i not in jobs]:
            item, _row = self.rows.pop(job_id)
            self.jobs_list.takeItem(self.jobs_list.row(item))
        for job in sorted(jobs.values(), key=lambda j: j.id, reverse=True):
            self.show_job(job)
        self.empty_label.setVisible(not self.rows)
        if chosen is not None and chosen not in self.rows:
            self._show_details(None)
        if self.selected_id() is None and self.rows:
            self.select(max(self.rows))  # the newest job's log shows without a click
        if not self.controller.ready:
            self.status_label.setText("Uploads start once sync is running.")

    def _add_row(self, job: Job) -> None:
        row = JobRow(self, job)
        item = QListWidgetItem()
        item.setData(Qt.ItemDataRole.UserRole, job.id)
        item.setSizeHint(QSize(row.sizeHint().width(), row.sizeHint().height() + 4))
        newest_first = [i for i in self.rows if i > job.id]
        self.jobs_list.insertItem(len(newest_first), item)
        self.jobs_list.setItemWidget(item, row)
        self.rows[job.id] = (item, row)
        self.empty_label.setVisible(False)

    def show_job(self, job: Job) -> None:
        if job.id in self.rows:
            item, row = self.rows[job.id]
            row.set_job(job)
            item.setSizeHint(QSize(row.sizeHint().width(), row.sizeHint().height() + 4))
        else:
            self._add_row(job)
        if job.id == self.selected_id():
            self._details_timer.start()

    def _progressed(self, job: Job) -> None:
        if job.id in self.rows:
            self.rows[job.id][1].show_progress()

    def row(self, job_id: int) -> JobRow | None:
        found = self.rows.get(job_id)
        return found[1] if found is not None else None

    def row_texts(self) -> list[str]:
        """Each row's title, state and speed line (for tests and screen readers)."""
        out = []
        for job_id in sorted(self.rows, reverse=True):
            row = self.rows[job_id][1]
            out.append(" | ".join(t for t in (row.title.text(), row.state.text(), row.speed.text()) if t))
        return out

    # ------------------------------------------------------------------ selection and details

    def selected_id(self) -> int | None:
        items = self.jobs_list.selectedItems()
        return int(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def select(self, job_id: int) -> None:
        found = self.rows.get(job_id)
        if found is not None:
            self.jobs_list.setCurrentItem(found[0])
            found[0].setSelected(True)

    def _selection_changed(self) -> None:
        if self.selected_id() is None:
            self._show_details(None)
        else:
            self.log_view.setPlainText("Reading…")
            self.load_details()

    def load_details(self) -> None:
        job_id = self.selected_id()
        if job_id is not None:
            self.controller.details(job_id, self._details_loaded)

    def _details_loaded(self, details: JobDetails) -> None:
        if details.job.id == self.selected_id():
            self._show_details(details)

    def _show_details(self, details: JobDetails | None) -> None:
        self.details = details
        if details is None:
            self.log_view.clear()
            self.chunks_view.clear()
            return
        self.log_view.setPlainText("\n".join(log_line(*event) for event in details.events))
        self.chunks_view.setPlainText("\n".join(self.chunk_lines(details)))

    @staticmethod
    def chunk_lines(details: JobDetails) -> list[str]:
        job = details.job
        if not job.chunk_count:
            return ["The chunk plan is made when the file is checked."]
        acked = {int(c["idx"]): c for c in details.chunks}
        lines = []
        for index in range(job.chunk_count):
            chunk = acked.get(index)
            if chunk is None:
                done = job.state in (S.PROCESSING, S.PUBLISHED, S.INBOX)
                lines.append(f"Chunk {index + 1} of {job.chunk_count}: {'sent' if done else 'pending'}")
                continue
            when = time.strftime("%H:%M:%S", time.localtime(float(chunk["acked_at"])))
            lines.append(
                f"Chunk {index + 1} of {job.chunk_count}: acknowledged at {when} · bytes "
                f"{int(chunk['first']):,}–{int(chunk['last']):,} · SHA-256 {str(chunk['sha256'])[:12]}…"
            )
        return lines

    # ------------------------------------------------------------------ actions

    def open_post(self, job: Job) -> bool:
        if not job.share_url:
            return False
        return bool(QDesktopServices.openUrl(QUrl(job.share_url)))

    def confirm_again(self, job: Job) -> bool:
        """The question before posting an unconfirmed job again (tests replace it)."""
        answer = QMessageBox.question(
            self,
            "Post it again?",
            f"TikTok never confirmed “{job.title}”. If it is on your profile already, posting again "
            "makes a second copy.\n\nDid you check your profile, and should it be posted again?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def post_again(self, job: Job) -> bool:
        if not self.confirm_again(job):
            return False
        self.controller.retry(job.id, again=True)
        return True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.controller.reload()
