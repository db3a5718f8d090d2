"""`institute-desk report branches` with its money columns and branches (issue 17), through the
command line as a scheduled job runs it: the PDF's figures (read back with pypdf) equal
independent SQL over the replica; money without reports.financial, and a branch its author does
not work in, are refused by name and write no PDF."""

from __future__ import annotations

import dataclasses
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from desktop_app.cli import main
from institute_core.analytics.period import Period
from institute_core.display import money
from institute_core.replica import Replica
from tests.analytics.test_branch_selection import (
    VOID,
    _branches,
    _holder_of,
    _in,
    _outstanding,
    _sql,
    _take_fees,
    branched,  # noqa: F401 - its fixture
)
from tests.reports.conftest import pdf_text

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@dataclasses.dataclass(frozen=True)
class Demo:
    folder: Path
    period: Period
    branches: list[uuid.UUID]  # by name
    codes: list[str]
    financial: str  # an email whose role grants reports.financial
    not_financial: str


def _email(replica: Replica, user_id: uuid.UUID) -> str:
    return str(_sql(replica, "SELECT email FROM users WHERE id = :u", u=user_id.hex))


@pytest.fixture(scope="module")
def demo(request: pytest.FixtureRequest) -> Demo:
    """The small demo split into three branches (test_branch_selection's), with fees taken
    in each."""
    replica, period = request.getfixturevalue("branched")
    every = _branches(replica)
    financial = _holder_of(replica, "reports.financial", holds=True)
    _take_fees(replica, financial, period, every)
    codes = [str(_sql(replica, "SELECT code FROM branches WHERE id = :b", b=b.hex))
             for b in every]
    return Demo(replica.path.parent, period, every, codes, _email(replica, financial),
                _email(replica, _holder_of(replica, "reports.financial", holds=False)))


def _run(demo: Demo, *args: str) -> int:
    return main(["report", "--data-dir", str(demo.folder), "--from", str(demo.period.start),
                 "--to", str(demo.period.end), *args])


def _money_line(text_: str, name: str) -> tuple[str, str]:
    """The two amounts on a branch's line of the Money table (collected, outstanding); pypdf
    gives each cell its own line."""
    section = text_[text_.index("Collected in the period"):]
    amount = r"(-?₹[\d,]+\.\d\d)"
    found = re.search(rf"^{re.escape(name)}\n{amount}\n{amount}$", section, re.MULTILINE)
    assert found is not None, f"no money line for {name} in:\n{section[:600]}"
    return found.group(1), found.group(2)


def test_the_money_columns_of_chosen_branches_equal_sql(
        demo: Demo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "money.pdf"
    two = demo.branches[:2]
    code = _run(demo, "branches", "--money", "--branch", ",".join(demo.codes[:2]).lower(),
                "--as", demo.financial, "--no-record", "--out", str(out))
    assert code == 0, capsys.readouterr().err
    text_ = pdf_text(out)
    assert "Money" in text_ and "Outstanding now" in text_
    replica = Replica.open(demo.folder)
    try:
        names = [str(_sql(replica, "SELECT name FROM branches WHERE id = :b", b=b.hex))
                 for b in two]
        assert f"Branches: {', '.join(sorted(names))}" in text_
        for ids, name in zip([[b] for b in two] + [two], [*names, "These branches"],
                             strict=True):
            collected = _sql(replica, f"""
                SELECT COALESCE(SUM(amount), 0) FROM payments WHERE deleted_at IS NULL
                  AND branch_id IN {_in(ids)} AND paid_on >= :a AND paid_on <= :b
                  AND id NOT IN ({VOID})""", a=demo.period.start.isoformat(),
                             b=demo.period.end.isoformat())
            assert _money_line(text_, name) == (money(Decimal(str(collected))),
                                                money(_outstanding(replica, ids))), name
        # The third branch is not on the page: the command covers what was asked.
        third = str(_sql(replica, "SELECT name FROM branches WHERE id = :b",
                         b=demo.branches[2].hex))
        assert third not in text_
    finally:
        replica.close()


def test_money_is_refused_by_name_without_reports_financial(
        demo: Demo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "refused.pdf"
    assert _run(demo, "branches", "--money", "--as", demo.not_financial, "--no-record",
                "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "reports.financial" in err and demo.not_financial in err
    assert not out.exists()
    # Without --money the same person prints the figures, and no money column.
    assert _run(demo, "branches", "--as", demo.not_financial, "--no-record",
                "--out", str(out)) == 0
    assert "Outstanding now" not in pdf_text(out)
    assert _run(demo, "crm", "--money", "--as", demo.financial, "--no-record",
                "--out", str(tmp_path / "crm.pdf")) == 2
    assert "a crm report has no money columns" in capsys.readouterr().err


def test_a_branch_the_author_does_not_work_in_is_refused(
        demo: Demo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replica = Replica.open(demo.folder)
    try:
        # A counselor of the first branch only (the demo links each to one branch).
        counselor, branch = next(
            (u, uuid.UUID(b)) for u, b in replica.engine.connect().execute(text(
                "SELECT u.email, l.branch_id FROM users u JOIN user_branches l "
                "ON l.user_id = u.id AND l.deleted_at IS NULL WHERE u.role = 'counselor' "
                "ORDER BY u.email")) if uuid.UUID(b) == demo.branches[0])
        other = demo.codes[1]
        other_name = str(_sql(replica, "SELECT name FROM branches WHERE code = :c", c=other))
    finally:
        replica.close()
    out = tmp_path / "other.pdf"
    assert _run(demo, "crm", "--branch", other, "--as", counselor, "--no-record",
                "--out", str(out)) == 2
    assert f"{counselor} does not work in {other_name}" in capsys.readouterr().err
    assert not out.exists()
    assert _run(demo, "crm", "--branch", demo.codes[0], "--as", counselor, "--no-record",
                "--out", str(out)) == 0, capsys.readouterr().err
    assert branch == demo.branches[0]
