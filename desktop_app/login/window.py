"""The login window: first-run choices, sign-in (online or offline), connect, standalone.

All checks run in the background (argon2 is slow on purpose; the server may be far away);
the window only shows pages and messages.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app import sync_bridge
from desktop_app.tasks import JobState, TaskManager
from desktop_app.widgets import styled_label, title_label
from institute_core.replica import Replica
from institute_core.services import auth
from institute_core.services.auth import CurrentUser, LoginFailed
from institute_core.sync.backoff import CancelToken
from institute_core.sync.credentials import CredentialStore


def _password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class LoginWindow(QWidget):
    """Signs a person in; emits `sig_signed_in(CurrentUser)`."""

    sig_signed_in = Signal(object)
    sig_open_demo = Signal()

    def __init__(self, replica: Replica, tasks: TaskManager,
                 credentials: CredentialStore | Callable[[], CredentialStore],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._replica = replica
        self._tasks = tasks
        # A store, or a function giving one on first need (probing the keyring can be slow).
        self._credentials = credentials
        self._connect_state: JobState | None = None
        self.setWindowTitle("Institute Desk – sign in")
        layout = QVBoxLayout(self)
        layout.addWidget(title_label("Institute Desk"))
        self.pages = QStackedWidget()
        layout.addWidget(self.pages, 1)
        self.choice_page = self._choice_page()
        self.sign_in_page = self._sign_in_page()
        self.connect_page = self._connect_page()
        self.standalone_page = self._standalone_page()
        self.busy_page = self._busy_page()
        for page in (self.choice_page, self.sign_in_page, self.connect_page,
                     self.standalone_page, self.busy_page):
            self.pages.addWidget(page)
        self.resize(520, 420)

    # --- pages -----------------------------------------------------------------------------------

    def _choice_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(styled_label("Welcome. How will this computer be used?", "subtitle"))
        self.connect_choice = QPushButton("Connect to the institute's sync server…")
        self.connect_choice.setObjectName("primary")
        self.standalone_choice = QPushButton("Start a new institute on this computer…")
        self.demo_choice = QPushButton("Open the demo institute")
        for button, explain in (
                (self.connect_choice, "Sign in with the account your administrator gave you; "
                                      "your data is copied here and kept in sync."),
                (self.standalone_choice, "No server: everything stays on this PC. You become "
                                         "its administrator."),
                (self.demo_choice, "A made-up institute to try every screen.")):
            layout.addWidget(button)
            layout.addWidget(styled_label(explain, "hint"))
        self.have_account = QPushButton("I already have an account on this computer")
        layout.addWidget(self.have_account)
        layout.addStretch(1)
        self.connect_choice.clicked.connect(lambda: self.pages.setCurrentWidget(self.connect_page))
        self.standalone_choice.clicked.connect(
            lambda: self.pages.setCurrentWidget(self.standalone_page))
        self.demo_choice.clicked.connect(self.sig_open_demo)
        self.have_account.clicked.connect(self.show_sign_in)
        return page

    def _sign_in_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.sign_in_hint = styled_label("Sign in to continue.", "subtitle")
        layout.addWidget(self.sign_in_hint)
        form = QFormLayout()
        self.email = QLineEdit()
        self.email.setPlaceholderText("you@institute.org")
        self.password = _password_field()
        form.addRow("Email", self.email)
        form.addRow("Password", self.password)
        layout.addLayout(form)
        self.sign_in_message = styled_label("", "message")
        layout.addWidget(self.sign_in_message)
        buttons = QHBoxLayout()
        self.other_options = QPushButton("Other options…")
        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.setObjectName("primary")
        self.sign_in_button.setDefault(True)
        buttons.addWidget(self.other_options)
        buttons.addStretch(1)
        buttons.addWidget(self.sign_in_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.sign_in_button.clicked.connect(self.sign_in)
        self.password.returnPressed.connect(self.sign_in)
        self.email.returnPressed.connect(self.password.setFocus)
        self.other_options.clicked.connect(lambda: self.pages.setCurrentWidget(self.choice_page))
        self.setTabOrder(self.email, self.password)
        self.setTabOrder(self.password, self.sign_in_button)
        return page

    def _connect_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(styled_label("Connect this computer to the institute's sync server. "
                                      "Everything you may see is downloaded once; afterwards "
                                      "you can work offline.", "subtitle"))
        form = QFormLayout()
        self.server_url = QLineEdit()
        self.server_url.setPlaceholderText("https://sync.institute.org")
        self.connect_email = QLineEdit()
        self.connect_password = _password_field()
        form.addRow("Server address", self.server_url)
        form.addRow("Email", self.connect_email)
        form.addRow("Password", self.connect_password)
        layout.addLayout(form)
        self.connect_progress = QProgressBar()
        self.connect_progress.hide()
        layout.addWidget(self.connect_progress)
        self.connect_message = styled_label("", "message")
        layout.addWidget(self.connect_message)
        buttons = QHBoxLayout()
        back = QPushButton("Back")
        self.connect_cancel = QPushButton("Cancel")
        self.connect_cancel.setEnabled(False)
        self.connect_button = QPushButton("Connect and download")
        self.connect_button.setObjectName("primary")
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.connect_cancel)
        buttons.addWidget(self.connect_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        back.clicked.connect(lambda: self.pages.setCurrentWidget(self.choice_page))
        self.connect_button.clicked.connect(self.connect_server)
        self.connect_cancel.clicked.connect(self.cancel_connect)
        return page

    def _standalone_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(styled_label("Create the administrator account of a new institute "
                                      "kept on this computer.", "subtitle"))
        form = QFormLayout()
        self.admin_name = QLineEdit()
        self.admin_email = QLineEdit()
        self.admin_password = _password_field()
        self.admin_confirm = _password_field()
        form.addRow("Your name", self.admin_name)
        form.addRow("Email", self.admin_email)
        form.addRow("Password", self.admin_password)
        form.addRow("Password again", self.admin_confirm)
        layout.addLayout(form)
        self.standalone_message = styled_label("", "message")
        layout.addWidget(self.standalone_message)
        buttons = QHBoxLayout()
        back = QPushButton("Back")
        self.create_button = QPushButton("Create the institute")
        self.create_button.setObjectName("primary")
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.create_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        back.clicked.connect(lambda: self.pages.setCurrentWidget(self.choice_page))
        self.create_button.clicked.connect(self.create_standalone)
        return page

    def _busy_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.busy_text = styled_label("", "subtitle")
        layout.addWidget(self.busy_text)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        layout.addWidget(self.busy_bar)
        layout.addStretch(1)
        return page

    def _credential_store(self) -> CredentialStore:
        if callable(self._credentials):
            self._credentials = self._credentials()
        return self._credentials

    # --- showing -------------------------------------------------------------------------------

    def show_first_run(self) -> None:
        self.pages.setCurrentWidget(self.choice_page)

    def show_sign_in(self, email: str = "", hint: str = "") -> None:
        if email:
            self.email.setText(email)
        if hint:
            self.sign_in_hint.setText(hint)
        self.password.clear()
        self.sign_in_message.setText("")
        self.pages.setCurrentWidget(self.sign_in_page)
        (self.password if self.email.text() else self.email).setFocus()

    def show_busy(self, text: str) -> None:
        self.busy_text.setText(text)
        self.pages.setCurrentWidget(self.busy_page)

    # --- actions -------------------------------------------------------------------------------

    def sign_in(self) -> None:
        """Online when a server is configured (falling back offline), else offline."""
        email, password = self.email.text().strip(), self.password.text()
        if not email or not password:
            self.sign_in_message.setText("Type your email and password.")
            return
        self.sign_in_button.setEnabled(False)
        self.sign_in_message.setText("Checking…")
        replica = self._replica
        if sync_bridge.server_configured(replica):
            credentials = self._credential_store()
            self._tasks.run_net(
                lambda: sync_bridge.login_online(replica, credentials, email, password),
                self._on_signed_in, self._on_sign_in_failed)
        else:
            self._tasks.run_db(lambda: auth.login_offline(replica, email, password),
                               self._on_signed_in, self._on_sign_in_failed)

    def _on_signed_in(self, user: CurrentUser) -> None:
        self.sign_in_button.setEnabled(True)
        self.create_button.setEnabled(True)
        self.sign_in_message.setText("")
        self.password.clear()
        self.sig_signed_in.emit(user)

    def _on_sign_in_failed(self, exc: BaseException) -> None:
        self.sign_in_button.setEnabled(True)
        self.sign_in_message.setText(str(exc) if isinstance(exc, LoginFailed)
                                     else f"Could not sign in: {exc}")

    def connect_server(self) -> None:
        url, email = self.server_url.text().strip(), self.connect_email.text().strip()
        password = self.connect_password.text()
        if not url or not email or not password:
            self.connect_message.setText("Type the server address, your email and password.")
            return
        state = JobState()
        token = CancelToken()
        state.on_cancel(token.cancel)
        state.sig_progress.connect(self._on_connect_progress)
        self._connect_state = state
        self.connect_button.setEnabled(False)
        self.connect_cancel.setEnabled(True)
        self.connect_progress.setRange(0, 0)
        self.connect_progress.show()
        self.connect_message.setText("Signing in…")
        replica, credentials = self._replica, self._credential_store()
        self._tasks.run_net(
            lambda: sync_bridge.connect(replica, credentials, url, email, password,
                                        state.report, token),
            self._on_connected, self._on_connect_failed)

    def _on_connect_progress(self, done: int, total: int, message: str) -> None:
        if total:
            self.connect_progress.setRange(0, total)
            self.connect_progress.setValue(done)
        self.connect_message.setText(f"{message}… {done}" + (f" of {total}" if total else ""))

    def cancel_connect(self) -> None:
        if self._connect_state is not None:
            self._connect_state.cancel()
            self.connect_message.setText("Cancelling after the current step…")

    def _end_connect(self) -> None:
        self._connect_state = None
        self.connect_button.setEnabled(True)
        self.connect_cancel.setEnabled(False)
        self.connect_progress.hide()

    def _on_connected(self, user: CurrentUser) -> None:
        self._end_connect()
        self.connect_password.clear()
        self.sig_signed_in.emit(user)

    def _on_connect_failed(self, exc: BaseException) -> None:
        self._end_connect()
        self.connect_message.setText(str(exc) if isinstance(exc, LoginFailed)
                                     else f"Could not connect: {exc}")

    def create_standalone(self) -> None:
        if self.admin_password.text() != self.admin_confirm.text():
            self.standalone_message.setText("The two passwords differ.")
            return
        first, _, last = self.admin_name.text().strip().partition(" ")
        if not first:
            self.standalone_message.setText("Type your name.")
            return
        replica = self._replica
        email, password = self.admin_email.text(), self.admin_password.text()
        create: Callable[[], CurrentUser] = lambda: auth.create_standalone_institute(  # noqa: E731
            replica, email=email, password=password, first_name=first, last_name=last)
        self.create_button.setEnabled(False)
        self._tasks.run_db(create, self._on_signed_in, self._on_create_failed)

    def _on_create_failed(self, exc: BaseException) -> None:
        self.create_button.setEnabled(True)
        self.standalone_message.setText(str(exc))

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key() == Qt.Key.Key_Escape and self.pages.currentWidget() is not self.busy_page:
            self.pages.setCurrentWidget(self.choice_page)
            return
        super().keyPressEvent(event)
