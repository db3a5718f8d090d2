"""The student page's "Guardian portal code…": an administrator asks the server for a
guardian's one-time portal sign-in code and prints it on a slip.

For guardians the messages cannot reach (no mobile or email on file), as issue 20 asks: "until
messages exist an admin can print a sign-in code". The server issues the code (it keeps only its
hash, so the desk cannot make one offline); the request and the PDF run on the network pool.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop_app import sync_bridge
from desktop_app.context import AppContext
from desktop_app.documents import documents_folder
from institute_core.display import moment_text
from institute_core.reports.service import branding_of
from institute_core.reports.sign_in_slip import SignInSlip, render_slip
from institute_core.sync.errors import RequestRefused, ServerUnreachable

# Who may open a student's records to a guardian (the server checks the same permission).
ISSUE_CODES = "students.manage"


@dataclass(frozen=True)
class PrintedCode:
    code: str
    until: str
    path: Path


def slips_folder() -> Path:
    """Where the slips are saved (the user's documents folder)."""
    return documents_folder("Institute Desk sign-in codes")


def refusal_text(exc: BaseException) -> str:
    """What the person at the desk is told when no code came back."""
    if isinstance(exc, RequestRefused) and exc.status == 403:
        return "The server says you may not issue guardian codes (managing students)."
    if isinstance(exc, RequestRefused) and exc.status == 404:
        return ("The server does not have this student yet: sync this desk, then ask "
                "again.")
    if isinstance(exc, ServerUnreachable):
        return f"No code: the server cannot be reached ({exc}). Try again when online."
    return f"No code: {exc}"


class GuardianCodePrinter(QObject):
    """Asks for a code and prints its slip on the network pool; reports on the GUI thread."""

    sig_printed = Signal(object)  # PrintedCode
    sig_failed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.busy = False

    def print_code(self, student_id: uuid.UUID, name: str, enrollment_no: str) -> None:
        credentials = self._ctx.credentials
        if credentials is None:
            self.sig_failed.emit("This desk is not connected to a sync server: guardian "
                                 "codes come from the server.")
            return
        if self.busy:
            return
        self.busy = True
        replica = self._ctx.replica
        out = slips_folder() / f"sign-in-code-{enrollment_no}.pdf"

        def _do_print() -> PrintedCode:
            issued = sync_bridge.guardian_code(replica, credentials, student_id)
            render_slip(SignInSlip(
                institute=branding_of(replica).name, student_name=name,
                enrollment_no=enrollment_no, code=issued.code, expires_at=issued.expires_at,
                server_url=str(replica.get_state("server_url") or "")), out)
            return PrintedCode(issued.code, moment_text(issued.expires_at), out)

        self._ctx.tasks.run_net(_do_print, self._on_printed, self._on_failed)

    def _on_printed(self, printed: PrintedCode) -> None:
        self.busy = False
        self.sig_printed.emit(printed)

    def _on_failed(self, exc: BaseException) -> None:
        self.busy = False
        self.sig_failed.emit(refusal_text(exc))
