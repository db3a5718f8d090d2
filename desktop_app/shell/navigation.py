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
    shortcut: str


SECTIONS: tuple[Section, ...] = (
    Section("dashboard", "Dashboard", "dashboard", ADMINS, "Ctrl+1"),
    Section("today", "Today", "today", frozenset({Role.FACULTY}), "Ctrl+1"),
    # A counselor's day starts with what is due, so Follow-ups is their home (first) section.
    Section("follow_ups", "Follow-ups", "followups", frozenset({Role.COUNSELOR}), "Ctrl+1"),
    Section("inquiries", "Inquiries", "inquiries", frozenset({Role.COUNSELOR}), "Ctrl+2"),
    Section("students", "Students", "students", STAFF, "Ctrl+3"),
    Section("conflicts", "Conflicts", "conflicts",
            frozenset({Role.FACULTY, Role.ADMIN, Role.SUPER_ADMIN}), "Ctrl+4"),
    Section("setup", "Setup", "setup", ADMINS, "Ctrl+5"),
    Section("reports", "Reports", "reports", ADMINS, "Ctrl+6"),
    # A faculty member's own dashboard: after Today, which stays their home.
    Section("my_dashboard", "Dashboard", "dashboard", frozenset({Role.FACULTY}), "Ctrl+4"),
)

SECTION_BY_ID = {s.id: s for s in SECTIONS}


def sections_for(role: Role) -> tuple[Section, ...]:
    """The sections a role sees, in sidebar order."""
    return tuple(s for s in SECTIONS if role in s.roles)


def may_open(role: Role, section_id: str) -> bool:
    section = SECTION_BY_ID.get(section_id)
    return section is not None and role in section.roles
