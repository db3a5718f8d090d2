"""Driving the portal's forms as a browser without JavaScript would: read the CSRF field, post."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from sync_server.portal.router import router

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
# Read from the router, so that a page added tomorrow is in every test that walks the pages.
NOT_PAGES = {"/portal", "/portal/", "/portal/sign-in", "/portal/report.pdf"}
_GETS = [r.path for r in router.routes if isinstance(r, APIRoute) and "GET" in r.methods]
PAGES = tuple(path for path in _GETS if "{" not in path and path not in NOT_PAGES
              and not path.startswith("/portal/static/"))
# The addresses that carry an id (a receipt's, a certificate's): each is tried with another
# student's ids (tests/portal/test_browser.py).
ID_ROUTES = tuple(path for path in _GETS if "{" in path)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF field"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str) -> Any:
    form = client.get("/portal/sign-in")
    return client.post("/portal/sign-in", data={"csrf": csrf_of(form.text), "email": email,
                                                 "password": password})


def sign_in_with_code(client: TestClient, code: str) -> Any:
    form = client.get("/portal/sign-in")
    return client.post("/portal/code", data={"csrf": csrf_of(form.text), "code": code})


def issue_code(client: TestClient, admin_email: str, admin_password: str,
               student_id: object) -> str:
    """A guardian code as an administrator gets it (bearer token, JSON API)."""
    token = client.post("/v1/auth/login", json={"email": admin_email,
                                                "password": admin_password}).json()
    answer = client.post("/v1/portal/codes", json={"student_id": str(student_id)},
                         headers={"Authorization": f"Bearer {token['access_token']}"})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["code"])
