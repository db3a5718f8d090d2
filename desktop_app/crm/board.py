"""The pipeline board: one column per stage; cards move by drag and drop or Ctrl+←/→."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QByteArray, QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.crm.models import STAGE_COLOURS, STAGE_TITLES, score_text
from desktop_app.widgets import styled_label
from institute_core.crm.listing import InquiryRow
from institute_core.display import day_month
from institute_core.enums import InquiryStatus

STAGES = tuple(s.value for s in InquiryStatus)
# A column lists the best-scored cards; a board of thousands helps nobody (use the filters).
CARDS_PER_STAGE = 150
ID_ROLE = Qt.ItemDataRole.UserRole
CARD_MIME = "application/x-institute-inquiry-card"  # "<stage> <inquiry id hex>"


OPEN_STAGES = (InquiryStatus.NEW.value, InquiryStatus.CONTACTED.value,
               InquiryStatus.FOLLOW_UP_SCHEDULED.value)
OVERDUE_COLOUR = "#fbdada"
COLUMN_EMS = 21  # a column stays wide enough for a name, score and source, and a follow-up


def follow_up_text(row: InquiryRow, today: date) -> tuple[str, bool]:
    """The third line of an open lead's card and whether its follow-up is overdue:
    "Overdue 3 days (02 Dec)", "Follow-up due today", "Next 09 Dec (in 4 days)" or "No
    follow-up planned"; closed inquiries (enrolled, lost) have none."""
    if row.status not in OPEN_STAGES:
        return "", False
    if not row.next_day:
        return "No follow-up planned", False
    due = date.fromisoformat(row.next_day)
    late = (today - due).days
    if late > 0:
        return f"Overdue {late} day{'s' if late != 1 else ''} ({day_month(due)})", True
    if late == 0:
        return "Follow-up due today", False
    return f"Next {day_month(due)} (in {-late} day{'s' if late != -1 else ''})", False


def card_detail(row: InquiryRow) -> str:
    """The second line of a card: score and source of a lead; why it was lost; the source."""
    source = row.source.replace("_", " ") or "no source"
    if row.status == InquiryStatus.LOST:
        return row.lost_reason or source
    if row.status == InquiryStatus.ENROLLED:
        return source
    return f"{score_text(row)} · {source}"


class StageList(QListWidget):
    """The cards of one stage. A drop asks the board to move the card; the list changes only
    when the move is saved and the board reloads."""

    def __init__(self, stage: str, board: PipelineBoard) -> None:
        super().__init__()
        self.stage = stage
        self._board = board
        self.setObjectName(f"stage_{stage}")
        self.setAccessibleName(STAGE_TITLES[stage])
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setWordWrap(True)
        self.setSpacing(2)

    # --- drag and drop: a card travels as its inquiry id, not as a copy of the item -------------

    def mimeTypes(self) -> list[str]:
        return [CARD_MIME]

    def mimeData(self, items: Sequence[QListWidgetItem]) -> QMimeData:
        data = QMimeData()
        ids = [item.data(ID_ROLE) for item in items]
        card = next((i for i in ids if isinstance(i, uuid.UUID)), None)
        if card is not None:
            data.setData(CARD_MIME, QByteArray(f"{self.stage} {card.hex}".encode()))
        return data

    def dropMimeData(self, index: int, data: QMimeData, action: Qt.DropAction) -> bool:
        """A card dropped here asks the board to move it to this stage (the lists change only
        once the move is saved and the board reloads). Returns whether a move was asked."""
        if not data.hasFormat(CARD_MIME):
            return False
        from_stage, _sep, key = bytes(data.data(CARD_MIME).data()).decode().partition(" ")
        try:
            inquiry_id = uuid.UUID(hex=key)
        except ValueError:
            return False
        if from_stage == self.stage:
            return False
        self._board.sig_move_requested.emit(inquiry_id, self.stage)
        return True

    def dropEvent(self, event: QDropEvent) -> None:
        # Never let the list insert the item itself: the saved move rebuilds the board.
        self.dropMimeData(-1, event.mimeData(), event.dropAction())
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        step = {Qt.Key.Key_Right: 1, Qt.Key.Key_Left: -1}.get(Qt.Key(event.key()))
        if ctrl and step is not None:
            self._board.move_current(self, step)
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            inquiry_id = self.current_id()
            if inquiry_id is not None:
                self._board.sig_open.emit(inquiry_id)
            return
        super().keyPressEvent(event)

    def current_id(self) -> uuid.UUID | None:
        item = self.currentItem()
        value = item.data(ID_ROLE) if item is not None else None
        return value if isinstance(value, uuid.UUID) else None


class PipelineBoard(QWidget):
    """new → contacted → follow-up scheduled → enrolled / lost."""

    sig_move_requested = Signal(object, str)  # inquiry id, target stage
    sig_open = Signal(object)  # inquiry id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.lists: dict[str, StageList] = {}
        self.titles: dict[str, QLabel] = {}
        for stage in STAGES:
            column = QVBoxLayout()
            title = styled_label(STAGE_TITLES[stage], "counts")
            self.titles[stage] = title
            column.addWidget(title)
            stage_list = StageList(stage, self)
            stage_list.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * COLUMN_EMS)
            stage_list.setStyleSheet(f"QListWidget {{ background: {STAGE_COLOURS[stage]}; }}")
            stage_list.itemDoubleClicked.connect(
                lambda item: self.sig_open.emit(item.data(ID_ROLE)))
            self.lists[stage] = stage_list
            column.addWidget(stage_list, 1)
            layout.addLayout(column, 1)
        hint = styled_label("Drag a card to another stage, or select it and press Ctrl+→ / "
                            "Ctrl+←. Enter opens it.", "hint")
        outer = QVBoxLayout()
        outer.addWidget(hint)
        wrapper = QWidget()
        wrapper.setLayout(layout)
        # Columns keep their width; a narrow window scrolls the board sideways instead.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(wrapper)
        outer.addWidget(scroll, 1)
        self.setLayout(outer)

    def set_rows(self, rows: Sequence[InquiryRow], today: date | None = None) -> None:
        """Show `rows` as cards; `today` decides which follow-ups are overdue."""
        today = today or date.today()
        by_stage: dict[str, list[InquiryRow]] = {s: [] for s in STAGES}
        for row in rows:
            by_stage.setdefault(row.status, []).append(row)
        # Three lines of the tallest script in use (Devanagari, Tamil) without eliding.
        line = self.fontMetrics().height()
        for stage, stage_list in self.lists.items():
            cards = sorted(by_stage[stage], key=lambda r: -r.score_value)  # best first
            selected = stage_list.current_id()
            stage_list.clear()
            for row in cards[:CARDS_PER_STAGE]:
                follow_up, overdue = follow_up_text(row, today)
                lines = [row.name, card_detail(row)] + ([follow_up] if follow_up else [])
                item = QListWidgetItem("\n".join(lines))
                item.setSizeHint(QSize(0, len(lines) * line + 14))
                item.setData(ID_ROLE, row.id)
                item.setToolTip(row.score.explain())
                item.setBackground(QBrush(QColor(OVERDUE_COLOUR if overdue else "#ffffff")))
                stage_list.addItem(item)
                if row.id == selected:
                    stage_list.setCurrentItem(item)
            if len(cards) > CARDS_PER_STAGE:
                more = QListWidgetItem(f"+{len(cards) - CARDS_PER_STAGE} more – use the filters")
                more.setFlags(Qt.ItemFlag.NoItemFlags)
                stage_list.addItem(more)
            self.titles[stage].setText(f"{STAGE_TITLES[stage]} ({len(cards)})")

    def move_current(self, stage_list: StageList, step: int) -> None:
        inquiry_id = stage_list.current_id()
        at = STAGES.index(stage_list.stage) + step
        if inquiry_id is not None and 0 <= at < len(STAGES):
            self.sig_move_requested.emit(inquiry_id, STAGES[at])

    def select(self, inquiry_id: uuid.UUID) -> bool:
        for stage_list in self.lists.values():
            for i in range(stage_list.count()):
                if stage_list.item(i).data(ID_ROLE) == inquiry_id:
                    stage_list.setCurrentRow(i)
                    stage_list.setFocus()
                    return True
        return False
