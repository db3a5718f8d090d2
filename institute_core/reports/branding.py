"""The institute's name, address, logo and signature line printed on every report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

DEFAULT_NAME = "Institute Desk Demo Institute"
DEFAULT_SIGNATURE = "Authorised signatory"
STATE_KEY = "institute"


@dataclass(frozen=True)
class ReportBranding:
    """What the report frame prints about the institute."""

    name: str = DEFAULT_NAME
    address: str | None = None
    logo_path: str | None = None
    signature_line: str | None = DEFAULT_SIGNATURE

    @classmethod
    def from_mapping(cls, value: Mapping[str, Any] | None) -> ReportBranding:
        """From the sync_state "institute" document; unknown keys are ignored."""
        if not isinstance(value, Mapping):
            return cls()
        name = str(value.get("name") or "").strip() or DEFAULT_NAME
        return cls(name=name,
                   address=_text(value.get("address")),
                   logo_path=_text(value.get("logo_path") or value.get("logo")),
                   signature_line=_text(value.get("signature_line")) or DEFAULT_SIGNATURE)

    def to_mapping(self) -> dict[str, Any]:
        return asdict(self)

    def logo_file(self) -> Path | None:
        """The logo, when it names a readable file (a missing logo must not stop printing)."""
        if not self.logo_path:
            return None
        path = Path(self.logo_path).expanduser()
        return path if path.is_file() else None


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
