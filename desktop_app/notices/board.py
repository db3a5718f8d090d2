"""The notice board on the home screen: the announcements for this user, pinned first, unread
shaded; selecting one shows its text and records that the user read it (a synced receipt)."""

from __future__ import annotations

import html

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import styled_label, table_view
from institute_core.display import short_moment
from institute_core.notices.announcements import Notice, board, mark_read
from institute_core.sync.scopes import Viewer
from institute_core.validation import person_message

UNREAD = "#fff1cc"
SHOWN_ROWS = 4
COLUMNS: list[Column[Notice]] = [
    Column("", lambda n: "Pinned" if n.pinned else ""),
    Column("Notice", lambda n: n.title, lambda n: None if n.read else UNREAD,
           tooltip=lambda n: n.body),
    Column("For", lambda n: n.audience_text),
    Column("From", lambda n: n.author),
    Column("Posted", lambda n: short_moment(n.posted_at)),
]


def viewer_of(ctx: AppContext) -> Viewer:
    """The signed-in user as the audience rule (the server's) reads them."""
    return Viewer(ctx.user.user_id, str(ctx.user.role), ctx.user.faculty_id,
                  permissions=ctx.user.permissions)


class NoticeBoard(QWidget):
    """The notices list and the selected notice's text, side by side."""

    sig_read = Signal()  # a receipt was written (sync soon)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBoard")
        self._ctx = ctx
        # Shown only on the home screen (the window says which section that is).
        self.on_home = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.heading = styled_label("Notice board", "sectionTitle")
        layout.addWidget(self.heading)
        row = QHBoxLayout()
        self.model: RowsModel[Notice] = RowsModel(COLUMNS, self)
        self.view = table_view()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Notices")
        self.view.selectionModel().selectionChanged.connect(self._on_selected)
        row.addWidget(self.view, 3)
        self.text = QLabel("Select a notice to read it.")
        self.text.setWordWrap(True)
        self.text.setObjectName("noticeText")
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 20)
        row.addWidget(self.text, 2)
        layout.addLayout(row)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)

    def load(self) -> None:
        replica, viewer = self._ctx.replica, viewer_of(self._ctx)
        self._ctx.tasks.run_db(lambda: board(replica, viewer), self._on_loaded,
                               self._on_failed)

    def _on_loaded(self, notices: list[Notice]) -> None:
        self.model.set_rows(notices)
        # As tall as its notices (up to SHOWN_ROWS), so the home screen keeps its room.
        rows = max(1, min(len(notices), SHOWN_ROWS))
        self.view.setFixedHeight(self.view.horizontalHeader().sizeHint().height()
                                 + rows * self.view.verticalHeader().defaultSectionSize()
                                 + 2 * self.view.frameWidth())
        unread = sum(not n.read for n in notices)
        self.heading.setText(f"Notice board – {unread} unread" if unread else "Notice board")
        self.message.setText("" if notices else "No notices.")
        self.show_if_wanted()

    def show_if_wanted(self) -> None:
        self.setVisible(self.on_home and self.model.total > 0)

    def _on_failed(self, error: BaseException) -> None:
        self.message.setText(person_message(error))

    def _on_selected(self, selected: QItemSelection, _old: QItemSelection) -> None:
        rows = selected.indexes()
        if not rows:
            return
        notice = self.model.row_at(rows[0].row())
        body = html.escape(notice.body).replace("\n", "<br>")
        self.text.setText(f"<b>{html.escape(notice.title)}</b><br>{body}")
        if not notice.read:
            replica, actor = self._ctx.replica, self._ctx.actor
            self._ctx.tasks.run_db(lambda: mark_read(replica, actor, notice.id),
                                   self._on_marked, self._on_failed)

    def _on_marked(self, written: bool) -> None:
        if written:
            self.sig_read.emit()
        self.load()
