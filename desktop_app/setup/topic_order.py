"""The topics of a subject in teaching order: a list model that moves rows (drag and drop or
the keyboard) and announces the new order, and the list view that shows it.

Dragging inside the `QListView` ends in `moveRows` (the view asks the model to move the row
instead of inserting a copy and removing the original); a drop that arrives as mime data goes
through `dropMimeData`, which decodes the dragged row and moves it the same way. Either way
`order_changed` carries the topic ids in their new order for the tab to save.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from institute_core.setup.syllabus import TopicInfo

Index = QModelIndex | QPersistentModelIndex
MIME_TYPE = "application/x-institute-desk-topic-row"


class TopicOrderModel(QAbstractListModel):
    """Topics (plain values) in their order; only whole-row moves change it."""

    order_changed = Signal(list)  # list[uuid.UUID], every topic once, in the new order

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._topics: list[TopicInfo] = []
        self._needs: dict[uuid.UUID, str] = {}

    # --- content --------------------------------------------------------------------------

    def set_topics(self, topics: Sequence[TopicInfo], needs: dict[uuid.UUID, str]) -> None:
        """Show `topics`; `needs` maps a topic id to the names of its prerequisites."""
        self.beginResetModel()
        self._topics = list(topics)
        self._needs = dict(needs)
        self.endResetModel()

    def topic_at(self, row: int) -> TopicInfo:
        return self._topics[row]

    def order(self) -> list[uuid.UUID]:
        return [t.id for t in self._topics]

    def row_of(self, topic_id: uuid.UUID) -> int:
        return next((i for i, t in enumerate(self._topics) if t.id == topic_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._topics)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._topics):
            return None
        topic = self._topics[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            needs = self._needs.get(topic.id)
            return (f"{index.row() + 1}. {topic.name}  ·  {topic.estimated_duration_minutes} min"
                    + (f"  ·  needs {needs}" if needs else ""))
        if role == Qt.ItemDataRole.UserRole:
            return topic.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return topic.description or None
        return None

    # --- moving ---------------------------------------------------------------------------

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():  # the gaps between rows take drops
            return Qt.ItemFlag.ItemIsDropEnabled
        # Rows are not drop targets themselves: a drop lands above or below a row, never "on"
        # it (there is no nesting of topics).
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDragEnabled)

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        data = QMimeData()
        data.setData(MIME_TYPE, QByteArray(",".join(map(str, rows)).encode()))
        return data

    def _dragged_row(self, data: QMimeData) -> int | None:
        if not data.hasFormat(MIME_TYPE):
            return None
        text = bytes(data.data(MIME_TYPE).data()).decode()
        rows = [int(x) for x in text.split(",") if x.strip().isdigit()]
        # One topic at a time (the view selects one row); anything else is not ours.
        return rows[0] if len(rows) == 1 and 0 <= rows[0] < len(self._topics) else None

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: Index) -> bool:
        return action == Qt.DropAction.MoveAction and self._dragged_row(data) is not None

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: Index) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        source = self._dragged_row(data)
        if action != Qt.DropAction.MoveAction or source is None:
            return False
        if row < 0:  # dropped on a row (or below the last): before that row, or at the end
            row = parent.row() if parent.isValid() else len(self._topics)
        return self.moveRows(QModelIndex(), source, 1, QModelIndex(), row)

    def moveRows(self, sourceParent: Index, sourceRow: int, count: int,
                 destinationParent: Index, destinationChild: int) -> bool:
        """Move `count` rows to stand before `destinationChild` (Qt's convention)."""
        n = len(self._topics)
        if sourceParent.isValid() or destinationParent.isValid() or count < 1 \
                or not 0 <= sourceRow <= n - count \
                or not 0 <= destinationChild <= n \
                or sourceRow <= destinationChild <= sourceRow + count:  # nowhere to go
            return False
        if not self.beginMoveRows(QModelIndex(), sourceRow, sourceRow + count - 1,
                                  QModelIndex(), destinationChild):
            return False
        block = self._topics[sourceRow:sourceRow + count]
        del self._topics[sourceRow:sourceRow + count]
        at = destinationChild - count if destinationChild > sourceRow else destinationChild
        self._topics[at:at] = block
        self.endMoveRows()
        # Every row's number may have changed.
        self.dataChanged.emit(self.index(0), self.index(n - 1), [Qt.ItemDataRole.DisplayRole])
        self.order_changed.emit(self.order())
        return True

    def move(self, row: int, by: int) -> int | None:
        """Move one row up (`by` < 0) or down; its new row, or None when it cannot move."""
        target = row + by
        if not 0 <= row < len(self._topics) or not 0 <= target < len(self._topics) or by == 0:
            return None
        destination = target if by < 0 else target + 1
        return target if self.moveRows(QModelIndex(), row, 1, QModelIndex(), destination) \
            else None


class TopicListView(QListView):
    """The topic list: drag a topic to move it; Ctrl+Up / Ctrl+Down move the current one."""

    sig_move = Signal(int)  # -1 up, +1 down

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setSpacing(2)
        self.setAccessibleName("Topics")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.modifiers() == Qt.KeyboardModifier.ControlModifier and \
                event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.sig_move.emit(-1 if event.key() == Qt.Key.Key_Up else 1)
            event.accept()
            return
        super().keyPressEvent(event)
