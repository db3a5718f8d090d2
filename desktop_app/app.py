"""Start-up: the Qt application, theme, replica, login, and the main window after sign-in."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app import sync_bridge
from desktop_app.context import AppContext
from desktop_app.gui_gc import collect_garbage_on_gui_thread
from desktop_app.login.window import LoginWindow
from desktop_app.logs import ErrorReporter, setup_logging
from desktop_app.settings import pending
from desktop_app.settings.store import load_settings
from desktop_app.shell.main_window import MainWindow
from desktop_app.shell.sync_controller import DEFAULT_INTERVAL_MS, SyncController, SyncFunction
from desktop_app.tasks import JobState, TaskManager
from desktop_app.theme import apply_theme
from institute_core.collector import freeze_startup_objects
from institute_core.display import style_of, use_style
from institute_core.enums import Role
from institute_core.replica import Replica
from institute_core.services import auth
from institute_core.services.auth import CurrentUser
from institute_core.sync.backoff import CancelToken
from institute_core.sync.credentials import CredentialStore, KeyringCredentials

log = logging.getLogger(__name__)


# Later than any scripted sign-in, sooner than a person types a password.
CHARTS_PRELOAD_DELAY_MS = 1500


def make_sync_function(replica: Replica, credentials: CredentialStore) -> SyncFunction | None:
    """The background sync of a connected replica; None for standalone and demo replicas."""
    if not sync_bridge.server_configured(replica):
        return None

    def _do_sync(state: JobState) -> sync_bridge.SyncOutcome:
        token = CancelToken()
        state.on_cancel(token.cancel)
        pending.register_if_needed(replica, credentials)  # a restored or reset copy
        return sync_bridge.sync_once(replica, credentials, state.report, token)

    return _do_sync


def demo_hint() -> tuple[str, str]:
    """(faculty email, hint text) of the demo institute."""
    from institute_core.demo import DEMO_LOGINS

    email, password = DEMO_LOGINS[Role.FACULTY.value]
    others = ", ".join(f"{role.replace('_', ' ')}: {e} / {p}" for role, (e, p)
                       in DEMO_LOGINS.items() if role != Role.FACULTY.value)
    return email, (f"Demo institute. Faculty password: {password}\nOther roles – {others}")


class DeskApp(QObject):
    """Moves between the login window and the main window; owns the shared task manager."""

    sig_main_window_shown = Signal(object)

    def __init__(self, replica: Replica, *, credentials: CredentialStore | None = None,
                 sync_function: SyncFunction | None = None, demo: bool = False,
                 sync_interval_ms: int = DEFAULT_INTERVAL_MS) -> None:
        super().__init__()
        self.replica = replica
        self.tasks = TaskManager(self)
        self._credentials = credentials
        self._sync_function = sync_function
        self.login = LoginWindow(replica, self.tasks, self._credential_store)
        self.login.sig_signed_in.connect(self._on_signed_in)
        self.login.sig_open_demo.connect(self.open_demo)
        self.main_window: MainWindow | None = None
        self._preload: threading.Thread | None = None
        self._preload_timer = QTimer(self)
        self._preload_timer.setSingleShot(True)
        self._preload_timer.timeout.connect(self._preload_charts)
        self._demo = demo
        self._sync_interval_ms = sync_interval_ms

    def _credential_store(self) -> CredentialStore:
        """The keyring is probed on first need (it can be slow), not at start-up."""
        if self._credentials is None:
            self._credentials = sync_bridge.credential_store()
        return self._credentials

    def start(self) -> None:
        """Show the login: build the demo first when asked, first-run choices when empty."""
        if self._demo and not self._demo_built():
            self.open_demo()
        elif self._demo or self.replica.get_state("mode") == "demo":
            email, hint = demo_hint()
            self.login.show_sign_in(email, hint)
        elif auth.has_accounts(self.replica):
            self.login.show_sign_in(str(self.replica.get_state("email") or ""))
        else:
            self.login.show_first_run()
        self.login.show()
        self._preload_timer.start(CHARTS_PRELOAD_DELAY_MS)

    def _preload_charts(self) -> None:
        """While someone types their password, load the charts every desk's first chart needs
        (the dashboard, the counselor's insights), so that first open is not a second slower.
        Skipped once signed in: then the first screen has loaded them itself or does not
        need them yet."""
        if self.main_window is None and self._preload is None:
            from desktop_app.dashboard import preload

            self._preload = preload()

    def _demo_built(self) -> bool:
        return bool(self.replica.get_state("demo")) and auth.has_accounts(self.replica)

    def open_demo(self) -> None:
        """Build the demo institute into this (empty) replica on the database thread."""
        if self._demo_built():
            email, hint = demo_hint()
            self.login.show_sign_in(email, hint)
            return
        if auth.has_accounts(self.replica):
            self.login.show_sign_in()
            self.login.sign_in_message.setText("This data folder already holds an institute; "
                                               "start with --demo --data-dir <empty folder>.")
            return
        from institute_core.demo import build_demo_replica

        self.login.show_busy("Building the demo institute (about half a minute, once)…")
        data_dir = self.replica.path.parent

        def _do_build() -> object:
            return build_demo_replica(data_dir)

        def _on_built(_summary: object) -> None:
            email, hint = demo_hint()
            self.login.show_sign_in(email, hint)

        self.tasks.run_db(_do_build, _on_built,
                          lambda e: self.login.show_busy(f"Could not build the demo: {e}"))

    def _on_signed_in(self, user: CurrentUser) -> None:
        self._preload_timer.stop()
        # Dates, times and numbers in the institute's style (its time zone, Indian grouping).
        use_style(style_of(self.replica))
        connected = sync_bridge.server_configured(self.replica)
        ctx = AppContext(self.replica, self.tasks, user,
                         self._credential_store() if connected else None)
        function = self._sync_function
        if function is None and connected:
            function = make_sync_function(self.replica, self._credential_store())
        sync = SyncController(self.replica, self.tasks, function,
                              interval_ms=self._sync_interval_ms)
        window = MainWindow(ctx, sync)
        sync.setParent(window)
        sync.sig_needs_login.connect(lambda _m: window.statusBar().showMessage(
            "Your sign-in to the server expired: sign out and in again to sync.", 10000))
        window.sig_logout.connect(self.logout)
        self.main_window = window
        self.login.hide()
        window.resize(1200, 760)
        window.show()
        if connected and not self._credential_store().persistent:
            # Said once, where the person looks: they will be asked for the password again.
            window.statusBar().showMessage(KeyringCredentials.not_remembered(), 20000)
        self.sig_main_window_shown.emit(window)

    def logout(self) -> None:
        """Close the main window (its saves finish first) and show the sign-in again."""
        if self.main_window is not None:
            self.main_window.close()
            self.main_window.deleteLater()
            self.main_window = None
        self.login.show_sign_in()
        self.login.show()

    def shutdown(self) -> None:
        self._preload_timer.stop()
        if self.main_window is not None:
            # Deleted by Qt, as on logout: lambdas connected to its children's signals keep
            # the window alive from C++, so once closed nothing else would ever free it (and
            # its sync timer could still fire into the stopped task manager).
            self.main_window.close()
            self.main_window.deleteLater()
            self.main_window = None
        self.tasks.shutdown()
        if self._preload is not None:
            self._preload.join()  # an import cannot be interrupted; it ends within a second


def run_app(args: argparse.Namespace) -> int:
    """`institute-desk` with no command: the desktop app."""
    settings = load_settings()
    if settings.theme_scale != 1.0:  # read by Qt when the application is created
        os.environ.setdefault("QT_SCALE_FACTOR", f"{settings.theme_scale:g}")
    log_path = setup_logging()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Institute Desk")
    collect_garbage_on_gui_thread()  # never finalise Qt objects on a worker thread
    apply_theme(app)
    ErrorReporter(log_path, app).install()
    outcome = pending.run_pending(Path(args.data_dir))  # a restore or reset asked for
    replica = Replica.open(Path(args.data_dir))
    desk = DeskApp(replica, demo=bool(getattr(args, "demo", False)),
                   sync_interval_ms=settings.sync_interval_ms)
    if outcome is not None:
        (QMessageBox.information if outcome.ok else QMessageBox.warning)(
            None, "Institute Desk", outcome.message)
    desk.start()
    freeze_startup_objects()  # on the GUI thread, like every collection (gui_gc)
    try:
        return int(app.exec())
    finally:
        desk.shutdown()
        replica.close()
