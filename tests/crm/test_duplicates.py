"""Duplicate detection: formatting differences in phones, case in emails, near names with
overlapping contact details, and people who are already students."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from institute_core.crm.duplicates import (
    SAME_EMAIL,
    SAME_PHONE,
    SIMILAR_NAME,
    ContactKind,
    load_index,
)
from institute_core.crm.inquiries import DuplicateFound, InquiryDraft, create_inquiry
from institute_core.replica import Actor, Replica
from institute_core.schema import Inquiry, User
from tests.services.fixtures import Institute


@pytest.fixture
def known(replica: Replica, counselor: Actor) -> uuid.UUID:
    return create_inquiry(replica, counselor, InquiryDraft(
        "Ravi Kumar", phone="+91 98765-43210", email="Ravi.Kumar@Gmail.com"))


def _check(replica: Replica, name: str, phone: str | None = None, email: str | None = None):  # type: ignore[no-untyped-def]
    with replica.read() as s:
        return load_index(s).check(name, phone, email)


@pytest.mark.parametrize("phone", ["9876543210", "098765 43210", "(98765) 43210",
                                   "0091-98765-43210"])
def test_same_phone_however_it_is_written(replica: Replica, known: uuid.UUID, phone: str) -> None:
    matches = _check(replica, "Somebody Else", phone)
    assert [m.contact.id for m in matches] == [known]
    assert matches[0].reasons == (SAME_PHONE,)


def test_same_email_in_another_case(replica: Replica, known: uuid.UUID) -> None:
    matches = _check(replica, "R. K.", None, "  ravi.kumar@GMAIL.com ")
    assert [(m.contact.id, m.reasons) for m in matches] == [(known, (SAME_EMAIL,))]


def test_near_name_with_the_same_mailbox_elsewhere(replica: Replica, known: uuid.UUID) -> None:
    matches = _check(replica, "Kumar Ravi", "91234 56789", "ravi.kumar@yahoo.in")
    assert [(m.contact.id, m.reasons) for m in matches] == [(known, (SIMILAR_NAME,))]
    assert not matches[0].strong
    typo = _check(replica, "Ravi Kumaar", "91234 56789", "ravi.kumar@outlook.com")
    assert [m.contact.id for m in typo] == [known]


def test_near_name_alone_or_other_person_with_overlap_is_no_match(replica: Replica,
                                                                 known: uuid.UUID) -> None:
    assert _check(replica, "Ravi Kumar", "91234 56789", "someone@example.com") == []
    assert _check(replica, "Meena Iyer", None, "ravi.kumar@yahoo.in") == []


def test_existing_student_is_found(replica: Replica, institute: Institute, counselor: Actor
                                   ) -> None:
    with replica.write(counselor) as s:
        user = s.execute(select(User).where(User.email == "student01@example.org")).scalar_one()
        user.phone = "98450 12345"
    matches = _check(replica, "Asha S01", "+919845012345")
    assert len(matches) == 1
    assert matches[0].contact.kind == ContactKind.STUDENT
    assert matches[0].contact.id == institute.student_ids[0]
    assert set(matches[0].reasons) == {SAME_PHONE, SIMILAR_NAME}


def test_create_refuses_a_duplicate_until_told_to_save_anyway(
        replica: Replica, known: uuid.UUID, counselor: Actor) -> None:
    draft = InquiryDraft("Ravi K", phone="098765 43210")
    with pytest.raises(DuplicateFound) as caught:
        create_inquiry(replica, counselor, draft)
    assert caught.value.matches[0].contact.id == known
    with replica.read() as s:
        assert s.execute(select(func.count()).select_from(Inquiry)).scalar() == 1
    second = create_inquiry(replica, counselor, draft, allow_duplicate=True)
    with replica.read() as s:
        assert s.get(Inquiry, second).phone_normalized == "+919876543210"  # type: ignore[union-attr]
        assert s.get(Inquiry, second).phone == "098765 43210"  # type: ignore[union-attr]
