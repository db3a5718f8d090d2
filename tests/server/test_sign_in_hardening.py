"""Sign-in against the real server: timing tells nothing about which emails exist, and
concurrent guesses never get more checks than the limit allows, nor a 500."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import create_engine, text

from sync_server.settings import sqlalchemy_url
from tests.pg import throwaway_database
from tests.server.helpers import PASSWORD
from tests.support.server import create_user, prepare_server_db, running_server

LIMIT = 5
BURST = 25


@pytest.fixture
def db(pg_admin_url: str) -> Iterator[str]:
    with throwaway_database(pg_admin_url) as url:
        prepare_server_db(url)
        create_user(url, email="known@example.org", password=PASSWORD, role="admin")
        create_user(url, email="nohash@example.org", password=PASSWORD, role="counselor")
        engine = create_engine(sqlalchemy_url(url))
        with engine.begin() as conn:  # an account that never had a password on the server
            conn.execute(text("UPDATE users SET password_hash = NULL "
                              "WHERE email = 'nohash@example.org'"))
        engine.dispose()
        yield url


def _timed_login(http: httpx.Client, email: str) -> float:
    started = time.perf_counter()
    answer = http.post("/v1/auth/login", json={"email": email, "password": "not the password"})
    elapsed = time.perf_counter() - started
    assert answer.status_code == 401, answer.text
    return elapsed


def test_an_unknown_email_takes_as_long_as_a_known_one(db: str) -> None:
    with running_server(db, INSTITUTE_LOGIN_MAX_FAILURES="1000",
                        INSTITUTE_LOGIN_MAX_FAILURES_PER_IP="1000") as server, \
            httpx.Client(base_url=server.base_url, timeout=30) as http:
        emails = ("known@example.org", "unknown@example.org", "nohash@example.org")
        for email in emails:  # warm up connections and code paths
            _timed_login(http, email)
        times: dict[str, list[float]] = {email: [] for email in emails}
        for _ in range(9):  # interleaved, so load on the shared machine hits all alike
            for email in emails:
                times[email].append(_timed_login(http, email))
    medians = {email: statistics.median(t) for email, t in times.items()}
    known = medians["known@example.org"]
    # Without the dummy hash an unknown email answered ~25 times faster; the machine is
    # shared, so only a gross difference counts.
    for email in ("unknown@example.org", "nohash@example.org"):
        assert 0.6 < medians[email] / known < 1.67, medians


def _burst(base_url: str, emails: list[str]) -> Counter[int]:
    """Wrong passwords for `emails`, all sent at once; how many got each status."""
    def attempt(email: str) -> int:
        return httpx.post(base_url + "/v1/auth/login",
                          json={"email": email, "password": "guess"}, timeout=120).status_code

    with ThreadPoolExecutor(len(emails)) as pool:
        return Counter(pool.map(attempt, emails))


def test_concurrent_wrong_passwords_are_checked_at_most_limit_times(db: str) -> None:
    with running_server(db, INSTITUTE_LOGIN_MAX_FAILURES=str(LIMIT),
                        INSTITUTE_LOGIN_MAX_FAILURES_PER_IP="1000", workers=2) as server:
        statuses = _burst(server.base_url, ["known@example.org"] * BURST)
        # Every 401 is one password check: no more than the limit ran.
        assert statuses[401] == LIMIT and statuses[429] == BURST - LIMIT, statuses
        right = httpx.post(server.base_url + "/v1/auth/login",
                           json={"email": "Known@Example.org", "password": PASSWORD})
        assert right.status_code == 429, "the right password must not unlock a locked email"
        assert int(right.headers["Retry-After"]) > 0
        assert "try again" in right.json()["detail"]


def test_concurrent_guesses_from_one_address_stop_at_its_limit(db: str) -> None:
    per_ip = 8
    with running_server(db, INSTITUTE_LOGIN_MAX_FAILURES_PER_IP=str(per_ip)) as server:
        # Successful sign-ins do not use up the address's allowance.
        for _ in range(per_ip + 2):
            ok = httpx.post(server.base_url + "/v1/auth/login",
                            json={"email": "known@example.org", "password": PASSWORD})
            assert ok.status_code == 200, ok.text
        statuses = _burst(server.base_url, [f"guess{n}@example.org" for n in range(BURST)])
        assert statuses[401] == per_ip and statuses[429] == BURST - per_ip, statuses
        blocked = httpx.post(server.base_url + "/v1/auth/login",
                             json={"email": "known@example.org", "password": PASSWORD})
        assert blocked.status_code == 429 and "network address" in blocked.json()["detail"]
