"""The institute's fee settings, kept in the replica's state like its branding: GSTIN and state
(intra- or inter-state GST) and the receipt's paper."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

STATE_KEY = "fees"
PAPER_SIZES = ("A4", "A5")
# 2 digits of state code, PAN (5 letters, 4 digits, 1 letter), entity, 'Z', check character.
GSTIN = re.compile(r"^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")


class _StateReader(Protocol):
    def get_state(self, key: str, default: Any = None) -> Any: ...


@dataclass(frozen=True)
class FeeSettings:
    gstin: str | None = None
    state: str | None = None
    paper: str = "A5"

    @classmethod
    def from_mapping(cls, value: Mapping[str, Any] | None) -> FeeSettings:
        if not isinstance(value, Mapping):
            return cls()
        gstin = str(value.get("gstin") or "").strip().upper() or None
        paper = str(value.get("paper") or "A5").upper()
        return cls(gstin=gstin, state=str(value.get("state") or "").strip() or None,
                   paper=paper if paper in PAPER_SIZES else "A5")

    def to_mapping(self) -> dict[str, Any]:
        return asdict(self)

    def problems(self) -> list[str]:
        """What is wrong with these settings, in words (empty when they can be saved)."""
        found = []
        if self.gstin and not GSTIN.match(self.gstin):
            found.append("GSTIN: 15 characters, e.g. 29ABCDE1234F1Z5")
        return found


def fee_settings(replica: _StateReader) -> FeeSettings:
    return FeeSettings.from_mapping(replica.get_state(STATE_KEY))
