"""The sections of the main window and who may open them (one table, read by the shell).

The shell refuses to open a section the role may not see; hiding it from the sidebar is not
the protection, this table is.
"""

from __future__ import annotations

from dataclasses import dataclass

from institute_core.enums import Role

STAFF = frozenset({Role.FACULTY, Role.COUNSELOR, Role.ADMIN, Role.SUPER_ADMIN})
ADMINS = frozenset({Role.ADMIN, Role.SUPER_ADMIN})


@dataclass(frozen=True)
class Section:
    """A page of the main window."""

    id: str
    title: str
    icon: str
    roles: frozenset[Role]


SECTIONS: tuple[Section, ...] = (
    Section("dashboard", "Dashboard", "dashboard", ADMINS),
    Section("today", "Today", "today", frozenset({Role.FACULTY})),
    # A counselor's day starts with what is due, so Follow-ups is their home (first) section.
    Section("follow_ups", "Follow-ups", "followups", frozenset({Role.COUNSELOR})),
    Section("inquiries", "Inquiries", "inquiries", frozenset({Role.COUNSELOR})),
    Section("students", "Students", "students", STAFF),
    # Money is for the front desk and admins; faculty see none (issue 18).
    Section("fees", "Fees", "fees", frozenset({Role.COUNSELOR, Role.ADMIN, Role.SUPER_ADMIN})),
    # Counselors see the conflicts about their own inquiries and students (the server sends
    # them the entries about rows they can see) and restore what they lost.
    Section("conflicts", "Conflicts", "conflicts",
            frozenset({Role.FACULTY, Role.COUNSELOR, Role.ADMIN, Role.SUPER_ADMIN})),
    Section("setup", "Setup", "setup", ADMINS),
    Section("reports", "Reports", "reports", ADMINS),
    # Templates, issuing and revoking (issue 20): administrators only, as the server's policy.
    Section("certificates", "Certificates", "reports", ADMINS),
    # A faculty member's own dashboard: after Today, which stays their home.
    Section("my_dashboard", "Dashboard", "dashboard", frozenset({Role.FACULTY})),
    # Posting announcements and seeing who read them (issue 19): administrators, as the
    # server's policy (institute_core/messaging/access.py MANAGERS).
    Section("notices", "Notices", "notices", ADMINS),
    # Templates and triggers (issue 19): administrators, as the server's policy.
    Section("messages", "Messages", "notices", ADMINS),
)

SECTION_BY_ID = {s.id: s for s in SECTIONS}


def sections_for(role: Role) -> tuple[Section, ...]:
    """The sections a role sees, in sidebar order."""
    return tuple(s for s in SECTIONS if role in s.roles)


def shortcuts_for(role: Role) -> tuple[tuple[Section, str], ...]:
    """Each of the role's sections with the key that opens it: Ctrl+1 for the first in the
    sidebar and so on. The shell binds these and its tooltips read them, so a tooltip cannot
    name a key other than the one that works."""
    return tuple((s, f"Ctrl+{n}") for n, s in enumerate(sections_for(role), start=1))


def may_open(role: Role, section_id: str) -> bool:
    section = SECTION_BY_ID.get(section_id)
    return section is not None and role in section.roles
