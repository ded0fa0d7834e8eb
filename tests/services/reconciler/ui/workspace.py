"""Helpers for driving the workspace over real HTTP: users of each role, logging in, reading form tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from services.reconciler.access.service import create_user
from shared.db import session_scope

PASSWORDS = {"admin": "admin-pass-123", "anna": "anna-pass-123", "vera": "vera-pass-123"}
ROLES = {"admin": "admin", "anna": "accountant", "vera": "viewer"}

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def create_users() -> None:
    with session_scope() as s:
        for name, role in ROLES.items():
            create_user(s, name, role, PASSWORDS[name], actor="test")


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has a form with a CSRF token"
    return match.group(1)


def log_in(client: httpx.Client, name: str, password: str | None = None) -> httpx.Response:
    form = client.get("/ui/login")
    assert form.status_code == 200
    return client.post(
        "/ui/login",
        data={"username": name, "password": password or PASSWORDS[name], "csrf_token": csrf_of(form.text)},
    )


@contextmanager
def logged_in(base_url: str, name: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        answer = log_in(client, name)
        assert answer.status_code == 303, answer.text
        yield client
