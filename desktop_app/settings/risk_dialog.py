"""At-risk thresholds: one spin box per declared threshold (`risk_settings.THRESHOLDS`), so a
new threshold shows here without touching this file. Admins only; opened from Settings and
from the dashboard's at-risk list."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.widgets import styled_label
from institute_core.analytics.risk_settings import (
    THRESHOLDS,
    RiskThresholds,
    ThresholdsRefused,
    read_thresholds,
    save_thresholds,
)


class RiskThresholdsDialog(QDialog):
    """Edit when each at-risk rule fires and when its flag is urgent."""

    sig_saved = Signal(object)  # RiskThresholds

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("At-risk thresholds")
        layout = QVBoxLayout(self)
        layout.addWidget(styled_label(
            "When a student is flagged on the at-risk list, and when a flag is urgent. "
            "Urgent students head the list.", "hint"))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.boxes: dict[str, QSpinBox] = {}
        for t in THRESHOLDS:
            box = QSpinBox()
            box.setRange(t.minimum, t.maximum)
            box.setSuffix(f" {t.unit}")
            box.setAlignment(Qt.AlignmentFlag.AlignRight)
            box.setToolTip(t.help)
            box.setAccessibleName(t.label)
            box.setAccessibleDescription(t.help)
            self.boxes[t.name] = box
            form.addRow(t.label, box)
        # One width for all, enough for the longest value with its unit, so they line up.
        widest = max(box.fontMetrics().horizontalAdvance(f"{t.maximum} {t.unit}")
                     for t, box in zip(THRESHOLDS, self.boxes.values(), strict=True))
        for box in self.boxes.values():
            box.setFixedWidth(widest + 48)
        layout.addLayout(form)
        self.error = styled_label("", "error")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        defaults = QPushButton("Defaults")
        defaults.setToolTip("Put back the thresholds the app comes with (not saved yet)")
        defaults.clicked.connect(lambda: self.show_values(RiskThresholds()))
        buttons.addButton(defaults, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.show_values(read_thresholds(ctx.replica))

    def show_values(self, values: RiskThresholds) -> None:
        for name, box in self.boxes.items():
            box.setValue(getattr(values, name))

    def wanted(self) -> RiskThresholds:
        return replace(RiskThresholds(), **{n: b.value() for n, b in self.boxes.items()})

    def save(self) -> None:
        wanted = self.wanted()
        try:
            save_thresholds(self.ctx.replica, self.ctx.user, wanted)
        except (ThresholdsRefused, PermissionError) as exc:
            self.error.setText(str(exc))
            return
        self.sig_saved.emit(wanted)
        self.accept()
