"""The sections of the main window and the permissions that open them (one table, read by the
shell; issue 17: a section asks for permissions, never for a role's name).

The shell refuses to open a section the user may not see; hiding it from the sidebar is not
the protection, this table is (and behind it the services' and the server's checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from institute_core.access import permissions as perms

# Everything a role may change in Setup: the section shows when any tab would.
SETUP = frozenset({"setup.people.manage", "setup.roles.manage", "setup.syllabus.manage",
                   "setup.branches.manage", "setup.import", "students.manage",
                   "attendance.manage", "audit.view"})
# Whoever edits rows may lose a concurrent edit and must see it.
EDITORS = frozenset({"attendance.mark", "students.counsel", "students.manage",
                     "crm.inquiry.edit", "fees.collect"})


class Holder(Protocol):
    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Section:
    """A page of the main window: shown to who holds one of `needs` and none of `unless`
    (a teacher's Today is not the home of who manages all teaching: they have the
    Dashboard)."""

    id: str
    title: str
    icon: str
    needs: frozenset[str]
    unless: frozenset[str] = frozenset()

    def open_to(self, held: frozenset[str]) -> bool:
        return bool(held & self.needs) and not held & self.unless


SECTIONS: tuple[Section, ...] = (
    Section("dashboard", "Dashboard", "dashboard", frozenset({"reports.view"})),
    Section("today", "Today", "today", frozenset({"attendance.mark"}),
            frozenset({"attendance.manage"})),
    # A counselor's day starts with what is due, so Follow-ups is their home (first) section.
    Section("follow_ups", "Follow-ups", "followups", frozenset({"crm.inquiry.edit"}),
            frozenset({"students.manage"})),
    Section("inquiries", "Inquiries", "inquiries", frozenset({"crm.inquiry.edit"}),
            frozenset({"students.manage"})),
    Section("students", "Students", "students",
            frozenset({"attendance.mark", "students.counsel", "students.view_all"})),
    # Money is for who collects fees; faculty see none (issue 18).
    Section("fees", "Fees", "fees", frozenset({"fees.collect"})),
    # Counselors see the conflicts about their own inquiries and students (the server sends
    # them the entries about rows they can see) and restore what they lost.
    Section("conflicts", "Conflicts", "conflicts", EDITORS),
    Section("setup", "Setup", "setup", SETUP),
    Section("reports", "Reports", "reports", frozenset({"reports.view"})),
    # Templates, issuing and revoking (issue 20), as the server's policy.
    Section("certificates", "Certificates", "reports", frozenset({"certificates.issue"})),
    # A faculty member's own dashboard: after Today, which stays their home.
    Section("my_dashboard", "Dashboard", "dashboard", frozenset({"attendance.mark"}),
            frozenset({"reports.view"})),
    # Posting announcements and seeing who read them (issue 19), as the server's policy.
    Section("notices", "Notices", "notices", frozenset({"messages.manage"})),
    # Templates and triggers (issue 19), as the server's policy.
    Section("messages", "Messages", "notices", frozenset({"messages.manage"})),
)

SECTION_BY_ID = {s.id: s for s in SECTIONS}


def _held(who: str | Holder) -> frozenset[str]:
    """A signed-in user's permissions, or a built-in role's (given by name)."""
    if isinstance(who, str):
        return perms.of_role(who)
    granted = getattr(who, "permissions", None)
    return granted if isinstance(granted, frozenset) else perms.of_role(who.role)


def sections_for(who: str | Holder) -> tuple[Section, ...]:
    """The sections a user (or a built-in role) sees, in sidebar order."""
    held = _held(who)
    return tuple(s for s in SECTIONS if s.open_to(held))


def shortcuts_for(who: str | Holder) -> tuple[tuple[Section, str], ...]:
    """Each of the user's sections with the key that opens it: Ctrl+1 for the first in the
    sidebar and so on. The shell binds these and its tooltips read them, so a tooltip cannot
    name a key other than the one that works."""
    return tuple((s, f"Ctrl+{n}") for n, s in enumerate(sections_for(who), start=1))


def may_open(who: str | Holder, section_id: str) -> bool:
    section = SECTION_BY_ID.get(section_id)
    return section is not None and section.open_to(_held(who))
