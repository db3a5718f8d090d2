"""The devices tab: every desk registered with the server, and in red those it fails to take
changes from – since when, with the reference that finds the failure in the server's log."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from desktop_app import sync_bridge
from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.theme import ALARM_STYLE
from desktop_app.widgets import styled_label, table_view
from institute_core.branches.service import branches_of_users
from institute_core.sync.device_health import DeviceHealth

FAILING_BACKGROUND = "#f9dcdc"


def _failing(row: DeviceHealth) -> str | None:
    return FAILING_BACKGROUND if row.failing else None


DEVICE_COLUMNS: list[Column[DeviceHealth]] = [
    Column("Device", lambda r: r.label, _failing, tooltip=lambda r: str(r.device_id)),
    Column("Used by", lambda r: r.owner, _failing),
    Column("Last seen", lambda r: r.seen_text(), _failing),
    Column("Upload", lambda r: r.push_state(), _failing),
    Column("Why", lambda r: r.reason or "", _failing, tooltip=lambda r: r.reason or ""),
]


def summary(devices: list[DeviceHealth]) -> str:
    """One sentence over the list: how many desks cannot upload, or that all can."""
    failing = [d for d in devices if d.failing]
    if not devices:
        return "No device has connected to the server yet."
    if not failing:
        return f"All {len(devices)} devices upload their changes."
    who = ", ".join(f"{d.label} ({d.owner})" for d in failing[:3])
    more = f" and {len(failing) - 3} more" if len(failing) > 3 else ""
    return (f"{len(failing)} of {len(devices)} devices cannot upload: {who}{more}. Their "
            "changes are kept on them; the reference finds the failure in the server's log.")


def _branches_or_everywhere(row: DeviceHealth) -> frozenset[object]:
    """A device's branches for the filter; none known: every branch (None)."""
    return row.branch_ids or frozenset({None})


class DevicesTab(QWidget):
    """Asks the server on the network pool when shown and on 'Refresh'; never on the GUI
    thread, and nothing is read from the replica."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.summary = styled_label("", "hint")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.branch = BranchPicker(ctx)
        self.branch.setToolTip(
            "Show the devices of the people who work in one branch, or in all yours. A "
            "device of an account linked to no branch (a head-office account) shows under "
            "each.")
        top.addWidget(self.summary, 1)
        top.addWidget(self.branch)
        top.addWidget(self.refresh_button)
        layout.addLayout(top)
        self.model: RowsModel[DeviceHealth] = RowsModel(DEVICE_COLUMNS, self)
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Devices")
        # A device's branches are its account's; the list is small, so the loaded rows are
        # filtered here (the summary then speaks of the devices shown).
        self.branch.filter_rows(self.model, _branches_or_everywhere, many=True,
                                everywhere=True, after=self._say_summary)
        layout.addWidget(self.table, 1)
        self.loaded = False

    def refresh(self) -> None:
        credentials = self._ctx.credentials
        if credentials is None:
            self._say("This desk is not connected to a sync server: there are no devices "
                      "to show.", alarm=False)
            return
        replica = self._ctx.replica
        self.refresh_button.setEnabled(False)
        self._say("Asking the server…", alarm=False)
        self._ctx.tasks.run_net(lambda: sync_bridge.device_health(replica, credentials),
                                self._on_loaded, self._on_failed)

    def _on_loaded(self, devices: list[DeviceHealth]) -> None:
        """The server's list arrived: add each device's branches from the replica (on the
        database thread; the network pool never reads it), then show it."""
        replica = self._ctx.replica

        def _do_branches() -> list[DeviceHealth]:
            found = branches_of_users(replica, {d.user_id for d in devices
                                                if d.user_id is not None})
            return [replace(d, branch_ids=found.get(d.user_id, frozenset())) if d.user_id
                    else d for d in devices]

        self._ctx.tasks.run_db(_do_branches, self._on_devices, self._on_failed)

    def _on_devices(self, devices: list[DeviceHealth]) -> None:
        self.refresh_button.setEnabled(True)
        self.model.set_rows(devices)
        self.loaded = True
        self._say_summary()

    def _say_summary(self) -> None:
        if not self.loaded:
            return
        shown = list(self.model.rows)
        text = summary(shown)
        if self.branch.choice.chosen is not None:
            text = f"{self.branch.choice.label}: {text}"
        self._say(text, alarm=any(d.failing for d in shown))

    def _on_failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self._say(f"Cannot ask the server for its devices: {exc}", alarm=True)

    def _say(self, text: str, *, alarm: bool) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet(ALARM_STYLE if alarm else "")
