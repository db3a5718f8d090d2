"""The main window: a sidebar of the role's sections, a toolbar, and the sync status bar.

It only assembles feature views and wires their signals; it holds no feature logic. Opening a
section goes through `open_section`, which refuses sections the role may not see.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListView,
    QMainWindow,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.help.panel import ShortcutsPanel
from desktop_app.notices.bell import BellButton, Notifications, NotificationsPanel
from desktop_app.notices.board import NoticeBoard
from desktop_app.placeholders.view import COMING, PlaceholderView
from desktop_app.shell.navigation import SECTION_BY_ID, may_open, sections_for, shortcuts_for
from desktop_app.shell.pages import page_factory
from desktop_app.shell.status import SyncStatusPanel
from desktop_app.shell.sync_controller import SyncController
from desktop_app.theme import icon

SECTION_ROLE = Qt.ItemDataRole.UserRole + 1


def focus_page(page: QWidget) -> None:
    """Give the keyboard to a page: its own choice (`focus_content`) or its first focusable
    widget in tab order."""
    chooser = getattr(page, "focus_content", None)
    if chooser is not None:
        chooser()
        return
    widget = page.nextInFocusChain()
    while widget is not page and widget is not None:
        if page.isAncestorOf(widget) and widget.isVisibleTo(page) and widget.isEnabled() \
                and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        widget = widget.nextInFocusChain()


class MainWindow(QMainWindow):
    """Sidebar + stacked section pages + sync status."""

    sig_logout = Signal()
    sig_section_changed = Signal(str)
    sig_section_refused = Signal(str)

    def __init__(self, ctx: AppContext, sync: SyncController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.sync = sync
        role = str(ctx.user.role).replace("_", " ")
        self.setWindowTitle(f"Institute Desk – {ctx.user.name} ({role})")
        self._pages: dict[str, QWidget] = {}
        self.current_section: str | None = None
        self._build()
        self.sync.sig_status_changed.connect(self.status_panel.show_status)
        self.sync.sig_synced.connect(self._on_synced)
        self.sync.start()
        sections = sections_for(ctx.user)
        self.home_section = sections[0].id if sections else None
        if sections:
            self.open_section(sections[0].id, focus=True)
        self.notice_board.load()
        self.notifications.refresh()

    def _build(self) -> None:
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.sidebar = QListView()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.sidebar.setAccessibleName("Sections")
        self.nav_model = QStandardItemModel(self)
        for section, keys in shortcuts_for(self.ctx.user):
            item = QStandardItem(icon(section.icon), section.title)
            item.setData(section.id, SECTION_ROLE)
            item.setToolTip(f"{section.title} ({keys})")
            # Row height from the font, so the sidebar scales with the display (no pixel sizes).
            item.setSizeHint(QSize(0, int(self.fontMetrics().height() * 2.2)))
            self.nav_model.appendRow(item)
        self.sidebar.setModel(self.nav_model)
        self.sidebar.setMaximumWidth(self.sidebar.fontMetrics().horizontalAdvance("M") * 14)
        self.sidebar.selectionModel().currentChanged.connect(self._on_nav_changed)
        layout.addWidget(self.sidebar)
        # The notice board sits above the home section's page (the role's first section).
        content = QVBoxLayout()
        content.setContentsMargins(0, 0, 0, 0)
        content.setSpacing(0)
        self.notice_board = NoticeBoard(self.ctx)
        self.notice_board.setVisible(False)
        self.notice_board.sig_read.connect(self.sync.changes_made)
        content.addWidget(self.notice_board)
        self.pages = QStackedWidget()
        content.addWidget(self.pages, 1)
        layout.addLayout(content, 1)
        self.setCentralWidget(central)

        toolbar = QToolBar("Main")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(toolbar)
        self.sync_action = QAction(icon("sync"), "Sync now", self)
        self.sync_action.setShortcuts([QKeySequence("Ctrl+Shift+S"), QKeySequence("F5")])
        self.sync_action.setToolTip("Sync now (Ctrl+Shift+S or F5)")
        self.sync_action.triggered.connect(self.sync.sync_now)
        self.help_action = QAction(icon("help"), "Shortcuts", self)
        self.help_action.setShortcut(QKeySequence("F1"))
        self.help_action.triggered.connect(self.show_help)
        self.logout_action = QAction(icon("logout"), "Sign out", self)
        self.logout_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.logout_action.triggered.connect(self._on_logout)
        self.settings_action = QAction(icon("setup"), "Settings", self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.triggered.connect(self.show_settings)
        for action in (self.sync_action, self.help_action, self.settings_action,
                       self.logout_action):
            toolbar.addAction(action)
        self.notifications = Notifications(self.ctx, self)
        self.notifications.sig_written.connect(self.sync.changes_made)
        self.bell = BellButton(self.notifications)
        self.bell.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.bell.clicked.connect(self.show_notifications)
        toolbar.addWidget(self.bell)
        for section, keys in shortcuts_for(self.ctx.user):
            jump = QAction(self)
            jump.setShortcut(QKeySequence(keys))
            jump.triggered.connect(
                lambda _c=False, sid=section.id: self.open_section(sid, focus=True))
            self.addAction(jump)
        self.status_panel = SyncStatusPanel()
        self.statusBar().addPermanentWidget(self.status_panel, 1)

    # --- sections ------------------------------------------------------------------------------

    def open_section(self, section_id: str, *, focus: bool = False) -> bool:
        """Show a section; refuses (False, and says so) when the role may not open it.

        `focus` hands the keyboard to the page's content (a section opened by its shortcut
        or at sign-in); browsing the sidebar with the arrow keys leaves it in the sidebar."""
        if not may_open(self.ctx.user, section_id):
            title = SECTION_BY_ID[section_id].title if section_id in SECTION_BY_ID \
                else section_id
            self.statusBar().showMessage(f"{title} is not available to your role.", 5000)
            self.sig_section_refused.emit(section_id)
            return False
        page = self._pages.get(section_id)
        if page is None:
            page = self._make_page(section_id)
            saved = getattr(page, "sig_saved", None)
            if saved is not None:
                saved.connect(self.sync.changes_made)
            navigate = getattr(page, "sig_navigate", None)  # (section id, record id)
            if navigate is not None:
                navigate.connect(self.open_record)
            self._pages[section_id] = page
            self.pages.addWidget(page)
        self.pages.setCurrentWidget(page)
        self.current_section = section_id
        self.notice_board.on_home = section_id == getattr(self, "home_section", section_id)
        self.notice_board.show_if_wanted()
        self._select_in_sidebar(section_id)
        refresh = getattr(page, "refresh", None)
        if refresh is not None and section_id == "conflicts":
            refresh()
        if focus:
            focus_page(page)
        self.sig_section_changed.emit(section_id)
        return True

    def open_record(self, section_id: str, record_id: object) -> bool:
        """Show one record in its section (e.g. the student an inquiry turned out to be): the
        section opens as `open_section` allows, then its page's `open_record(record_id)`."""
        if not self.open_section(section_id):
            return False
        opener = getattr(self._pages[section_id], "open_record", None)
        if opener is not None:
            opener(record_id)
        return True

    def _make_page(self, section_id: str) -> QWidget:
        factory = page_factory(section_id)
        if factory is None and section_id in COMING:
            return PlaceholderView(section_id)
        if factory is None:
            raise KeyError(f"no page is registered for section {section_id!r}")
        return factory(self.ctx)

    def page(self, section_id: str) -> QWidget | None:
        return self._pages.get(section_id)

    def _select_in_sidebar(self, section_id: str) -> None:
        for row in range(self.nav_model.rowCount()):
            if self.nav_model.item(row).data(SECTION_ROLE) == section_id:
                index = self.nav_model.index(row, 0)
                if self.sidebar.currentIndex() != index:
                    self.sidebar.setCurrentIndex(index)
                return

    def _on_nav_changed(self, current: object, _previous: object) -> None:
        section_id = self.nav_model.data(current, SECTION_ROLE)  # type: ignore[arg-type]
        if section_id and section_id != self.current_section:
            self.open_section(section_id)

    # --- actions -------------------------------------------------------------------------------

    def show_help(self) -> ShortcutsPanel:
        panel = ShortcutsPanel(self)
        panel.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        panel.show()
        return panel

    def show_notifications(self) -> NotificationsPanel:
        """The bell's list; opening an item goes to its record."""
        panel = NotificationsPanel(self.notifications, self)
        panel.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        panel.sig_open.connect(self._on_open_notification)
        panel.show()
        return panel

    def _on_open_notification(self, section_id: str, record_id: object) -> None:
        if record_id is not None:
            self.open_record(section_id, record_id)
        else:
            self.open_section(section_id, focus=True)

    def _on_synced(self) -> None:
        """New rows may have come: the board and the bell read again."""
        self.notice_board.load()
        self.notifications.refresh()

    def show_settings(self) -> QWidget:
        from desktop_app.settings.dialog import SettingsDialog

        dialog = SettingsDialog(self.ctx, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _on_logout(self) -> None:
        self.sig_logout.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Finish queued saves before closing: nothing typed is lost."""
        # A page that buffers typing (notes) exposes flush_pending(); other pages save at once.
        for page in self._pages.values():
            flush = getattr(page, "flush_pending", None)
            if flush is not None:
                flush()
        self.sync.stop()
        self.ctx.tasks.wait_db()
        super().closeEvent(event)
