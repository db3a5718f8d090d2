"""CRM summary: the inquiry funnel, where the inquiries of each stage are now, and conversion.

Inquiries (crm_inquiries, not soft-deleted) created within the period are counted by their
current status. The funnel stages are new → contacted → follow_up_scheduled → enrolled; an
inquiry has *reached* every stage up to its current one. A lost inquiry reached "contacted" when
it has at least one (non-deleted) follow-up, otherwise only "new", and was *lost at* the last
stage it reached. Of the inquiries that reached a stage, each is now exactly one of:
- *still at this stage* (its status is that stage: not lost, only not moved on yet),
- *lost at this stage*, or
- *went on* to the next stage.
Each share is that count ÷ reached at the stage × 100 (they add up to 100 %). Enrolled is the
last stage: everything that reached it stays there.
Conversion = enrolled ÷ all inquiries × 100, also per source and per counselor.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from institute_core.analytics.period import Db, Period, percent
from institute_core.enums import InquiryStatus
from institute_core.schema import FollowUp, Inquiry, User

STAGES = (InquiryStatus.NEW.value, InquiryStatus.CONTACTED.value,
          InquiryStatus.FOLLOW_UP_SCHEDULED.value, InquiryStatus.ENROLLED.value)
UNASSIGNED = "unassigned"
UNKNOWN_SOURCE = "unknown"


@dataclass(frozen=True)
class FunnelStage:
    """How many inquiries reached a stage, and where those are now."""

    stage: str
    reached: int
    still_here: int  # their status is still this stage
    lost_here: int  # lost without getting further

    @property
    def went_on(self) -> int:
        return self.reached - self.still_here - self.lost_here

    @property
    def still_share(self) -> float | None:
        """Percent of those that reached the stage still sitting at it."""
        return percent(self.still_here, self.reached)

    @property
    def lost_share(self) -> float | None:
        """Percent of those that reached the stage lost at it."""
        return percent(self.lost_here, self.reached)

    @property
    def went_on_share(self) -> float | None:
        """Percent of those that reached the stage now at a later one (None: the last)."""
        if self.stage == STAGES[-1]:
            return None
        return percent(self.went_on, self.reached)


@dataclass(frozen=True)
class GroupConversion:
    """Inquiries of one source or counselor and how many enrolled or were lost."""

    key: str
    total: int
    enrolled: int
    lost: int

    @property
    def conversion(self) -> float | None:
        return percent(self.enrolled, self.total)


@dataclass(frozen=True)
class CrmSummary:
    """The funnel and conversion of the inquiries created in a period."""

    period: Period
    total: int
    by_status: tuple[tuple[str, int], ...]
    funnel: tuple[FunnelStage, ...]
    by_source: tuple[GroupConversion, ...]
    by_counselor: tuple[GroupConversion, ...]

    @property
    def enrolled(self) -> int:
        return dict(self.by_status).get(InquiryStatus.ENROLLED.value, 0)

    @property
    def conversion(self) -> float | None:
        return percent(self.enrolled, self.total)


def crm_summary(db: Db, period: Period, branch_ids: list[uuid.UUID] | None = None
                ) -> CrmSummary:
    """Funnel and conversion of the inquiries created in `period` (UTC days), of the given
    branches only when `branch_ids` is given."""
    i = Inquiry
    query = (select(i.id, i.status, i.source, i.counselor_id, User.first_name, User.last_name)
             .outerjoin(User, User.id == i.counselor_id)
             .where(i.deleted_at.is_(None), i.created_at >= period.start_utc(),
                    i.created_at < period.end_utc_exclusive()))
    if branch_ids is not None:
        query = query.where(i.branch_id.in_(branch_ids))
    rows = db.execute(query).all()
    followed = set(db.execute(
        select(FollowUp.inquiry_id).distinct()
        .where(FollowUp.deleted_at.is_(None),
               FollowUp.inquiry_id.in_([r[0] for r in rows]))).scalars())
    statuses = Counter(r[1] for r in rows)
    reached = [0] * len(STAGES)
    lost = [0] * len(STAGES)
    for inquiry_id, status, *_rest in rows:
        # A lost inquiry only tells how far it got through its follow-ups.
        lost_depth = 1 if inquiry_id in followed else 0
        depth = STAGES.index(status) if status in STAGES else lost_depth
        if status not in STAGES:
            lost[depth] += 1
        for k in range(depth + 1):
            reached[k] += 1
    funnel = tuple(FunnelStage(stage, reached[k], statuses.get(stage, 0), lost[k])
                   for k, stage in enumerate(STAGES))
    order = [s.value for s in InquiryStatus]
    return CrmSummary(
        period=period, total=len(rows),
        by_status=tuple((s, statuses.get(s, 0)) for s in order),
        funnel=funnel,
        by_source=_groups((r[2] or UNKNOWN_SOURCE, r[1]) for r in rows),
        by_counselor=_groups((_counselor(r[3], r[4], r[5]), r[1]) for r in rows))


def _counselor(counselor_id: uuid.UUID | None, first: str | None, last: str | None) -> str:
    if counselor_id is None:
        return UNASSIGNED
    return f"{first or ''} {last or ''}".strip() or str(counselor_id)


def _groups(pairs: Iterable[tuple[str, str]]) -> tuple[GroupConversion, ...]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for key, status in pairs:
        counts[key][status] += 1
    groups = [GroupConversion(key, sum(c.values()), c[InquiryStatus.ENROLLED.value],
                              c[InquiryStatus.LOST.value]) for key, c in counts.items()]
    groups.sort(key=lambda g: (-g.total, g.key))
    return tuple(groups)
