"""Capture, stage moves, merges and who may touch the CRM at all."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from institute_core.crm.access import CrmAccessDenied
from institute_core.crm.followups import complete_follow_up, follow_up_board, schedule_follow_up
from institute_core.crm.inquiries import (
    InquiryDraft,
    NeedsConfirmation,
    create_inquiry,
    merge_inquiries,
    move_stage,
    set_default_country,
    update_inquiry,
)
from institute_core.crm.listing import InquiryFilter, list_inquiries
from institute_core.enums import Role
from institute_core.replica import Actor, Replica
from institute_core.schema import (
    MAIN_BRANCH_ID,
    FollowUp,
    Inquiry,
    InquirySubject,
    OutboxEntry,
    UserBranch,
)
from institute_core.sync.scopes import Viewer, visible
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute


def _count(replica: Replica, model: type) -> int:
    with replica.read() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_walk_in_with_name_and_phone_is_enough(replica: Replica, institute: Institute,
                                               counselor: Actor) -> None:
    inquiry_id = create_inquiry(replica, counselor, InquiryDraft("  Meena   Iyer ", "98450 11111"))
    rows = list_inquiries(replica, institute.counselor_id, institute.today)
    assert [(r.id, r.name, r.phone, r.status, r.counselor) for r in rows] == [
        (inquiry_id, "Meena Iyer", "98450 11111", "new", "Cyrus Counselor")]
    assert rows[0].score.value > 0 and rows[0].score.reasons


@pytest.mark.parametrize(("draft", "field", "says"), [
    (InquiryDraft("", "98450 11111"), "student_name", "is required"),
    (InquiryDraft("Meena"), "phone", "give a phone number or an email"),
    (InquiryDraft("Meena", "12-34"), "phone", "should have 10 digits"),
    (InquiryDraft("Meena", "98450 11111", email="meena@"), "email", "not an email address"),
    (InquiryDraft("Meena", "98450 11111", source="tv"), "source", "must be one of"),
])
def test_bad_input_names_the_field_and_saves_nothing(
        replica: Replica, counselor: Actor, draft: InquiryDraft, field: str, says: str) -> None:
    before = _count(replica, OutboxEntry)
    with pytest.raises(InvalidInput, match=says) as caught:
        create_inquiry(replica, counselor, draft)
    assert caught.value.field == field
    assert _count(replica, Inquiry) == 0
    assert _count(replica, OutboxEntry) == before


def test_default_country_is_a_desk_setting(replica: Replica, counselor: Actor) -> None:
    set_default_country(replica, "us")
    inquiry_id = create_inquiry(replica, counselor, InquiryDraft("Sam", "(415) 555-2671"))
    with replica.read() as s:
        assert s.get(Inquiry, inquiry_id).phone_normalized == "+14155552671"  # type: ignore[union-attr]


def test_lost_needs_a_reason_and_coming_back_needs_confirmation(
        replica: Replica, counselor: Actor) -> None:
    inquiry_id = create_inquiry(replica, counselor, InquiryDraft("Arjun", "98450 22222"))
    with pytest.raises(InvalidInput, match="say why") as caught:
        move_stage(replica, counselor, inquiry_id, "lost", lost_reason="  ")
    assert caught.value.field == "lost_reason"
    move_stage(replica, counselor, inquiry_id, "lost", lost_reason="Fees too high")
    with pytest.raises(NeedsConfirmation, match="Fees too high"):
        move_stage(replica, counselor, inquiry_id, "contacted")
    with replica.read() as s:
        assert s.get(Inquiry, inquiry_id).status == "lost"  # type: ignore[union-attr]
    move_stage(replica, counselor, inquiry_id, "contacted", confirmed=True)
    with replica.read() as s:
        row = s.get(Inquiry, inquiry_id)
        assert (row.status, row.lost_reason) == ("contacted", None)  # type: ignore[union-attr]
    with pytest.raises(InvalidInput, match="Enroll"):
        move_stage(replica, counselor, inquiry_id, "enrolled")


def test_merge_keeps_both_histories_and_syncs_the_record(
        replica: Replica, institute: Institute, counselor: Actor) -> None:
    keep = create_inquiry(replica, counselor, InquiryDraft(
        "Divya Nair", "98450 33333", notes="Wants evening batch", tags=("weekend",)))
    dup = create_inquiry(replica, counselor, InquiryDraft(
        "Divya N", "+91 98450-33333", email="divya@example.in", tags=("placement",),
        subject_ids=(institute.subject_id,)), allow_duplicate=True)
    when = datetime.now(UTC) + timedelta(days=1)
    first = schedule_follow_up(replica, counselor, keep, when - timedelta(days=3))
    complete_follow_up(replica, counselor, first, "Sent fees")
    other = schedule_follow_up(replica, counselor, dup, when, "whatsapp")
    merge_inquiries(replica, counselor, keep, dup)
    with replica.read() as s:
        survivor, gone = s.get(Inquiry, keep), s.get(Inquiry, dup)
        assert survivor is not None and gone is not None
        assert gone.deleted_at is not None and gone.merged_into_id == keep
        assert survivor.email == "divya@example.in"
        assert survivor.tags == ["weekend", "placement"]
        assert "Wants evening batch" in (survivor.notes or "")
        assert "Merged with Divya N" in (survivor.notes or "")
        follow_ups = s.execute(select(FollowUp.id).where(FollowUp.inquiry_id == keep)
                               ).scalars().all()
        assert set(follow_ups) == {first, other}
        subjects = s.execute(select(InquirySubject.subject_id).where(
            InquirySubject.inquiry_id == keep, InquirySubject.deleted_at.is_(None))
        ).scalars().all()
        assert subjects == [institute.subject_id]
        assert survivor.next_follow_up_date is not None
        merged = s.execute(select(OutboxEntry).where(OutboxEntry.row_id == dup)
                           .order_by(OutboxEntry.seq.desc())).scalars().first()
        assert merged is not None and merged.fields["merged_into_id"] == str(keep)
    rows = list_inquiries(replica, institute.counselor_id, institute.today)
    assert [r.id for r in rows] == [keep]


def test_update_changes_details_and_subjects(replica: Replica, institute: Institute,
                                             counselor: Actor) -> None:
    inquiry_id = create_inquiry(replica, counselor, InquiryDraft(
        "Kiran", "98450 44444", subject_ids=(institute.subject_id,)))
    update_inquiry(replica, counselor, inquiry_id, InquiryDraft(
        "Kiran Rao", "98450 44445", email="kiran@example.in", source="referral"))
    row = list_inquiries(replica, institute.counselor_id, institute.today)[0]
    assert (row.name, row.phone, row.source, row.subjects) == (
        "Kiran Rao", "98450 44445", "referral", ())
    assert "+20 referral" in row.score.explain()


def test_filters(replica: Replica, institute: Institute, counselor: Actor) -> None:
    a = create_inquiry(replica, counselor, InquiryDraft(
        "Asha", "98450 55551", source="referral", priority="high", tags=("Weekend",)))
    b = create_inquiry(replica, counselor, InquiryDraft("Bina", "98450 55552", source="website"))
    schedule_follow_up(replica, counselor, b, datetime.now(UTC) - timedelta(hours=1))
    rows = list_inquiries(replica, institute.counselor_id, institute.today)

    def ids(f: InquiryFilter) -> set[uuid.UUID]:
        keep = f.keep(institute.today)
        return {r.id for r in rows if keep is None or keep(r)}

    assert ids(InquiryFilter()) == {a, b}
    assert ids(InquiryFilter(source="referral")) == {a}
    assert ids(InquiryFilter(tag="weekend")) == {a}
    assert ids(InquiryFilter(priority="high", text="ash")) == {a}
    assert ids(InquiryFilter(status="follow_up_scheduled")) == {b}
    assert ids(InquiryFilter(due_only=True)) == {b}
    assert ids(InquiryFilter(text="55552")) == {b}
    assert ids(InquiryFilter(counselor_id=institute.admin_id)) == set()


def test_faculty_can_neither_see_nor_change_inquiries(
        replica: Replica, institute: Institute, counselor: Actor, faculty: Actor) -> None:
    inquiry_id = create_inquiry(replica, counselor, InquiryDraft("Omkar", "98450 66666"))
    with pytest.raises(CrmAccessDenied):
        list_inquiries(replica, institute.faculty_user_id, institute.today)
    with pytest.raises(CrmAccessDenied):
        follow_up_board(replica, institute.faculty_user_id, institute.today)
    with pytest.raises(CrmAccessDenied):
        create_inquiry(replica, faculty, InquiryDraft("Sneaky", "98450 77777"))
    with pytest.raises(CrmAccessDenied):
        move_stage(replica, faculty, inquiry_id, "lost", lost_reason="x")
    with pytest.raises(CrmAccessDenied):
        schedule_follow_up(replica, faculty, inquiry_id, datetime.now(UTC))
    # The counselor works at the main centre (inquiries are read within one's branches).
    with replica.write(replica.actor(institute.admin_id)) as s:
        s.add(UserBranch(user_id=institute.counselor_id, branch_id=MAIN_BRANCH_ID))
    with replica.read() as s:
        assert s.get(Inquiry, inquiry_id).status == "new"  # type: ignore[union-attr]
        assert _count(replica, Inquiry) == 1
        # What sync sends a faculty device: no CRM row at all; a counselor gets them all.
        for table in ("crm_inquiries", "inquiry_subjects", "follow_ups"):
            model = {"crm_inquiries": Inquiry, "inquiry_subjects": InquirySubject,
                     "follow_ups": FollowUp}[table]
            seen = s.execute(select(func.count()).select_from(model).where(visible(
                table, Viewer(institute.faculty_user_id, Role.FACULTY.value,
                              institute.faculty_id)))).scalar()
            assert seen == 0
        assert s.execute(select(func.count()).select_from(Inquiry).where(visible(
            "crm_inquiries", Viewer(institute.counselor_id, Role.COUNSELOR.value)))).scalar() == 1


def test_listed_scores_match_their_explanation_and_order_the_list(
        replica: Replica, institute: Institute, counselor: Actor) -> None:
    hot = create_inquiry(replica, counselor, InquiryDraft(
        "Hema", "98450 66661", source="referral", priority="high",
        subject_ids=(institute.subject_id,)))
    cold = create_inquiry(replica, counselor, InquiryDraft(
        "Chandra", "98450 66662", source="social_media", priority="low"))
    warm = create_inquiry(replica, counselor, InquiryDraft("Vani", "98450 66663",
                                                           source="website"))
    done = schedule_follow_up(replica, counselor, warm, datetime.now(UTC) - timedelta(hours=2))
    complete_follow_up(replica, counselor, done, "Interested in the weekend batch")
    move_stage(replica, counselor, cold, "lost", lost_reason="Not reachable")
    rows = list_inquiries(replica, institute.counselor_id, institute.today)
    assert [r.id for r in rows] == [hot, warm, cold]  # open leads by score, lost last
    for row in rows:
        assert row.score_value == row.score.value
    warm_row = rows[1]
    assert warm_row.completed_contacts == 1 and warm_row.last_contact_on is not None
    assert "+5 1 contact" in warm_row.score.explain()
    assert rows[0].counselor_id == institute.counselor_id and rows[0].counselor
    mine = InquiryFilter(counselor_id=institute.counselor_id).keep(institute.today)
    assert mine is not None and all(mine(r) for r in rows)
