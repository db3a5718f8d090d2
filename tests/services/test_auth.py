"""Offline sign-in against verifiers kept on the device, and standalone institutes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from institute_core.enums import Role
from institute_core.replica import Replica
from institute_core.schema import OutboxEntry
from institute_core.services import auth
from institute_core.validation import InvalidInput
from tests.services.fixtures import PASSWORD, Institute


def test_offline_login_gives_the_user_and_their_faculty_row(replica: Replica,
                                                           institute: Institute) -> None:
    user = auth.login_offline(replica, " Faculty@Example.org ", PASSWORD)
    assert user.role is Role.FACULTY
    assert user.faculty_id == institute.faculty_id
    assert user.name == "Farah Faculty"


@pytest.mark.parametrize(("email", "password", "problem"), [
    ("faculty@example.org", "wrong", auth.LoginProblem.WRONG_PASSWORD),
    ("nobody@example.org", PASSWORD, auth.LoginProblem.UNKNOWN_USER),
    ("gone@example.org", PASSWORD, auth.LoginProblem.INACTIVE),
])
def test_offline_login_refusals_say_why(replica: Replica, institute: Institute, email: str,
                                        password: str, problem: auth.LoginProblem) -> None:
    with pytest.raises(auth.LoginFailed) as caught:
        auth.login_offline(replica, email, password)
    assert caught.value.problem is problem
    assert str(caught.value) == auth.MESSAGES[problem]


def test_a_remembered_online_verifier_wins_over_the_local_hash(replica: Replica,
                                                              institute: Institute) -> None:
    auth.remember_verifier(replica, institute.faculty_user_id, "faculty@example.org", "new pw 123")
    assert auth.login_offline(replica, "faculty@example.org", "new pw 123").user_id == \
        institute.faculty_user_id
    with pytest.raises(auth.LoginFailed):
        auth.login_offline(replica, "faculty@example.org", PASSWORD)


def test_standalone_institute_creates_an_admin_who_can_sign_in(replica: Replica) -> None:
    assert not auth.has_accounts(replica)
    admin = auth.create_standalone_institute(replica, email="Boss@Example.org",
                                             password="long enough", first_name="Bo")
    assert admin.role is Role.ADMIN
    assert auth.has_accounts(replica)
    assert auth.login_offline(replica, "boss@example.org", "long enough").user_id == admin.user_id
    with replica.read() as session:
        outbox = session.execute(select(OutboxEntry.table_name, OutboxEntry.fields)).all()
    users = [fields for table, fields in outbox if table == "users"]
    assert len(users) == 1  # the user row syncs, without its local password hash
    assert "password_hash" not in users[0]


def test_standalone_institute_refuses_a_short_password_and_writes_nothing(
        replica: Replica) -> None:
    with pytest.raises(InvalidInput, match="at least 8"):
        auth.create_standalone_institute(replica, email="a@b.c", password="short", first_name="A")
    assert not auth.has_accounts(replica)
