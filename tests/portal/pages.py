"""Driving the portal's forms as a browser without JavaScript would: read the CSRF field, post."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PAGES = ("/portal/home", "/portal/progress", "/portal/attendance", "/portal/assessments",
         "/portal/fees", "/portal/feedback", "/portal/report")


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
