"""A receipt's PDF drawn on the server from PostgreSQL, by the desk's own receipt code (its rows
read through `institute_core.fees.documents`, drawn by `institute_core.fees.printing`), with the
server's institute settings: what the portal's receipt download serves and what an emailed
receipt carries (sync_server/messages/dispatcher.py)."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from institute_core.fees.documents import receipt_data
from institute_core.fees.printing import render_receipt
from institute_core.fees.settings import FeeSettings
from institute_core.reports.branding import ReportBranding
from institute_core.schema import table_of
from sync_server.settings import Settings


def receipt_pdf(conn: Connection, settings: Settings, payment_id: uuid.UUID
                ) -> tuple[str, bytes]:
    """(file name, PDF) of the receipt of `payment_id`; the caller has checked who may have it."""
    with Session(bind=conn) as session:
        data = receipt_data(session, payment_id)
    # As on the desk (fees.desk.branch_settings): the GSTIN and state of the branch the money
    # was taken in, the institute's where the branch has none.
    branches, payments = table_of("branches"), table_of("payments")
    branch = conn.execute(select(branches.c.gstin, branches.c.gst_state)
                          .join(payments, payments.c.branch_id == branches.c.id)
                          .where(payments.c.id == payment_id)).first()
    paper = FeeSettings.from_mapping({
        "gstin": (branch.gstin if branch else None) or settings.institute_gstin,
        "state": (branch.gst_state if branch else None) or settings.institute_state,
        "paper": settings.receipt_paper})
    with tempfile.TemporaryDirectory(prefix="server-receipt-") as folder:
        out = Path(folder) / "receipt.pdf"
        render_receipt(data, ReportBranding(name=settings.institute_name,
                                            address=settings.institute_address), paper, out)
        pdf = out.read_bytes()
    name = "receipt-" + "".join(ch if ch.isalnum() or ch == "-" else "-"
                                for ch in data.receipt_no) + ".pdf"
    return name, pdf
