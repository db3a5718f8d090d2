"""Printed PDF reports (reportlab): progress, attendance, faculty, CRM, batch, topic coverage.

Every report is made in two steps: `collect` turns the database into a JSON-able payload holding
exactly the figures the report shows, and `render` turns a payload into the PDF. The payload is
what `student_reports`/`faculty_reports.data` keep, so `reprint` renders a report as it was.
Entry points live in `institute_core.reports.service`; this file imports nothing heavy.
"""
