"""Every keyboard shortcut of the app, declared once; the help panel lists this table."""

from __future__ import annotations

SHORTCUTS: tuple[tuple[str, str, str], ...] = (
    ("Everywhere", "F1", "Show this list of shortcuts"),
    ("Everywhere", "Ctrl+Shift+S or F5", "Sync now"),
    ("Everywhere", "Ctrl+1 … Ctrl+6", "Open a section of the sidebar"),
    ("Everywhere", "Ctrl+Shift+L", "Sign out"),
    ("Today", "Enter (or keypad Enter)", "Take attendance for the selected session"),
    ("Today", "Ctrl+N", "Schedule an individual session or an extra batch meeting"),
    ("Attendance", "P / A / L / E", "Present / absent / late / excused, then next student"),
    ("Attendance", "↓ ↑ or J / K", "Next / previous student"),
    ("Attendance", "Delete", "Clear the student's mark"),
    ("Attendance", "Ctrl+Z", "Undo the last mark (or mark all / quick entry)"),
    ("Attendance", "Ctrl+M", "Mark every unmarked student present (excused stay excused)"),
    ("Attendance", "Ctrl+K", "Quick entry: type roll numbers or first letters of absentees, "
                             "Enter"),
    ("Attendance", "Ctrl+T, Enter", "Find a topic (the suggested one is chosen) and tag it "
                                    "for every student present"),
    ("Attendance", "1 … 5", "Understanding of the topic for the selected student, then next "
                            "student"),
    ("Attendance", "Ctrl+P", "Print a paper roster sheet (PDF)"),
    ("Attendance", "Esc", "Back to Today"),
    ("New inquiry", "Ctrl+Enter", "Save the inquiry"),
    ("New inquiry", "Alt+I or Ctrl+O", "Open the already known record it matches"),
    ("New inquiry", "Alt+A or Ctrl+Shift+Enter", "Save anyway, as a new inquiry"),
    ("Students", "Ctrl+F", "Search students"),
    ("Students", "Enter", "Open the student's page"),
)
