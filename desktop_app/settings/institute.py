"""Settings kept in the replica: the server address and the institute's report branding.

Branding is stored as the `institute` sync_state document that
`institute_core.reports.service.branding_of` reads, so every report uses it at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from desktop_app.settings.store import SettingsError
from institute_core.display import STATE_KEY as DISPLAY_KEY
from institute_core.display import DisplayStyle, StyleProblem, style_of, use_style
from institute_core.replica import Replica
from institute_core.reports.branding import STATE_KEY, ReportBranding

LOGO_SUFFIXES = (".png", ".jpg", ".jpeg")


@dataclass(frozen=True)
class InstituteSettings:
    """What the settings dialog shows of the replica."""

    server_url: str  # empty: not connected to a server
    branding: ReportBranding
    # Dates, time zone and number grouping on every screen and report (institute_core.display).
    display: DisplayStyle = field(default_factory=DisplayStyle)


def read_institute_settings(replica: Replica) -> InstituteSettings:
    return InstituteSettings(str(replica.get_state("server_url") or ""),
                             ReportBranding.from_mapping(replica.get_state(STATE_KEY)),
                             style_of(replica))


def checked_server_url(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError("Server address", f"must look like https://sync.example.org, "
                            f"got {url!r}")
    return url


def checked_branding(branding: ReportBranding) -> ReportBranding:
    if not branding.name.strip():
        raise SettingsError("Institute name", "is needed on every report")
    if branding.logo_path:
        logo = Path(branding.logo_path).expanduser()
        if logo.suffix.lower() not in LOGO_SUFFIXES:
            raise SettingsError("Logo", f"must be a PNG or JPEG picture, got {logo.name}")
        if not logo.is_file():
            raise SettingsError("Logo", f"there is no file at {logo}")
    return branding


def save_institute_settings(replica: Replica, wanted: InstituteSettings) -> InstituteSettings:
    """Check everything first, then store it; SettingsError leaves the replica unchanged.

    The server address can only be changed for a replica that is connected already (connecting
    is a sign-in, done from the login window or `institute-desk connect`).
    """
    current = read_institute_settings(replica)
    url = current.server_url
    if wanted.server_url.strip() != current.server_url:
        if not current.server_url:
            raise SettingsError("Server address", "this data folder is not connected to a "
                                "server yet; connect from the sign-in window")
        url = checked_server_url(wanted.server_url)
    branding = checked_branding(wanted.branding)
    try:
        style = wanted.display.checked()
    except StyleProblem as exc:
        raise SettingsError(exc.setting, str(exc).split(": ", 1)[1]) from exc
    with replica.engine.begin() as connection:
        replica.set_state(STATE_KEY, branding.to_mapping(), connection)
        replica.set_state(DISPLAY_KEY, style.to_mapping(), connection)
        if url != current.server_url:
            replica.set_state("server_url", url, connection)
    use_style(style)  # this desk shows the new style at once
    return InstituteSettings(url, branding, style)
