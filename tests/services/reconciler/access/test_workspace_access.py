"""Access to the workspace over real HTTP: nobody anonymous sees anything, viewers change nothing,
every form needs its CSRF token, and password guessing is throttled."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlmodel import col

from services.reconciler.api.app import create_app
from services.reconciler.apikeys.service import create_key
from services.reconciler.ui.install import UI_ROUTERS
from shared.db import session_scope
from shared.models import Allocation, Contract, JournalEvent
from shared.models.access import User
from shared.models.webhooks import WebhookEndpoint
from tests.http_servers import serve_asgi
from tests.services.reconciler.review import factories as f
from tests.services.reconciler.ui.workspace import PASSWORDS, create_users, csrf_of, log_in, logged_in

# Routes anyone may reach, or that change only the caller's own session/preferences.
PUBLIC = {("GET", "/ui/login"), ("POST", "/ui/login")}
SELF_SERVICE = {("POST", "/ui/logout"), ("POST", "/ui/language")}
# Pages a viewer may not even read: user management is the admin's.
ADMIN_PAGES = ("/ui/users", "/ui/webhooks")


@dataclass
class World:
    base: str
    ids: dict[str, int]


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    create_users()
    with session_scope() as s:
        acc, p = f.account(s), f.partner(s)
        inv = f.invoice(s, p, 1000_00)
        tx = f.line(s, acc, 1000_00)
        sug = f.suggestion(s, tx, inv)
        contract = Contract(partner_id=p.id or 0, number="Д-1")
        s.add(contract)
        s.flush()
        admin = s.scalars(select(User).where(col(User.username) == "admin")).one()
        key = create_key(s, "billing", "read", partner_inn=None, actor="admin").key
        hook = WebhookEndpoint(url="https://hooks.example.com/x", event_types=["*"], secret="whsec_x", created_by="t")
        s.add(hook)
        s.flush()
        ids = {
            "line_id": tx.id or 0,
            "suggestion_id": sug.id or 0,
            "invoice_id": inv.id or 0,
            "allocation_id": sug.id or 0,
            "account_id": acc.id or 0,
            "contract_id": contract.id or 0,
            "partner_id": p.id or 0,
            "user_id": admin.id or 0,
            "key_id": key.id or 0,
            "endpoint_id": hook.id or 0,
        }
    with serve_asgi(create_app()) as base:
        yield World(base, ids)


def _routes(ids: dict[str, int]) -> list[tuple[str, str]]:
    """Every route of every workspace router, with the world's ids filled in."""
    found: list[tuple[str, str]] = []
    for area in UI_ROUTERS:
        for route in area.routes:
            assert isinstance(route, APIRoute)
            path = route.path.format(**ids)  # a KeyError here: a new page needs an id in `world`
            found.extend((method, path) for method in sorted((route.methods or set()) - {"HEAD"}))
    return found


def _business_state() -> tuple[int, int]:
    with session_scope() as s:
        return (
            s.execute(select(func.count()).select_from(JournalEvent)).scalar_one(),
            s.execute(select(func.count()).select_from(Allocation)).scalar_one(),
        )


def test_every_ui_route_is_closed_to_anonymous_users(world: World) -> None:
    routes = _routes(world.ids)
    assert len(routes) >= 26, "the walk covers the whole workspace"
    with httpx.Client(base_url=world.base, timeout=30, follow_redirects=False) as anon:
        for method, path in routes:
            if (method, path) in PUBLIC:
                continue
            answer = anon.request(method, path, data={"csrf_token": "x", "line_id": "1", "suggestion_id": "1"})
            if method == "GET":
                assert answer.status_code == 303, (method, path)
                assert answer.headers["location"].startswith("/ui/login?next="), path
            else:
                assert answer.status_code == 401, (method, path, answer.status_code)
            assert "Ромашка" not in answer.text and "1000" not in answer.text


def test_the_server_address_leads_people_to_the_workspace_login(world: World) -> None:
    with httpx.Client(base_url=world.base, timeout=30, follow_redirects=True) as anon:
        landed = anon.get("/")
    assert landed.status_code == 200
    assert landed.url.path == "/ui/login"


def test_a_viewer_reads_every_page_and_can_change_nothing(world: World) -> None:
    before = _business_state()
    with logged_in(world.base, "vera") as viewer:
        page = viewer.get(f"/ui/payments/{world.ids['line_id']}")
        assert page.status_code == 200 and "Ромашка" in page.text
        token = csrf_of(page.text)
        for method, path in _routes(world.ids):
            if (method, path) in PUBLIC | SELF_SERVICE:
                continue
            form = {
                "csrf_token": token,
                "line_id": str(world.ids["line_id"]),
                "suggestion_id": str(world.ids["suggestion_id"]),
                "category": "bank_fee",
                "reason": "x",
                f"amount_{world.ids['invoice_id']}": "10.00",
                "username": "mallory",
                "role": "admin",
                "password": "a-long-enough-password",
            }
            answer = viewer.request(method, path, data=form if method == "POST" else None)
            if method == "GET" and not path.endswith("/allocate") and not path.startswith(ADMIN_PAGES):
                assert answer.status_code == 200, (method, path, answer.status_code)
            else:
                assert answer.status_code == 403, (method, path, answer.status_code)
    assert _business_state() == before, "nothing a viewer sent changed the books"


def test_a_form_without_its_csrf_token_is_refused(world: World) -> None:
    line = world.ids["line_id"]
    with logged_in(world.base, "anna") as anna:
        token = csrf_of(anna.get(f"/ui/payments/{line}").text)
        confirm = {"suggestion_id": str(world.ids["suggestion_id"])}
        assert anna.post(f"/ui/payments/{line}/confirm", data=confirm).status_code == 403
        assert anna.post(f"/ui/payments/{line}/confirm", data={**confirm, "csrf_token": "0" * 64}).status_code == 403
        # A token from another session is no good either.
        with logged_in(world.base, "admin") as admin:
            foreign = csrf_of(admin.get("/ui/").text)
        assert anna.post(f"/ui/payments/{line}/confirm", data={**confirm, "csrf_token": foreign}).status_code == 403
        assert _business_state()[1] == 1
        done = anna.post(f"/ui/payments/{line}/confirm", data={**confirm, "csrf_token": token})
        assert done.status_code == 303 and "done=confirmed" in done.headers["location"]
        assert _business_state()[1] == 2


def test_login_is_throttled_after_repeated_failures(world: World) -> None:
    with httpx.Client(base_url=world.base, timeout=30, follow_redirects=False) as client:
        for _ in range(5):
            assert log_in(client, "anna", "wrong-password").status_code == 401
        throttled = log_in(client, "anna", PASSWORDS["anna"])
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 60
    with logged_in(world.base, "vera"):
        pass  # other users are not locked out by anna's guesser


def test_logging_out_ends_the_session_for_real(world: World) -> None:
    with logged_in(world.base, "anna") as anna:
        cookie = anna.cookies.get("sverka_session")
        assert anna.get("/ui/").status_code == 200
        token = csrf_of(anna.get("/ui/").text)
        assert anna.post("/ui/logout", data={"csrf_token": token}).status_code == 303
    with httpx.Client(base_url=world.base, timeout=30, follow_redirects=False) as replay:
        replay.cookies.set("sverka_session", cookie or "")
        assert replay.get("/ui/").status_code == 303, "a copied cookie stops working after logout"


def test_a_forged_session_cookie_is_ignored(world: World) -> None:
    with httpx.Client(base_url=world.base, timeout=30, follow_redirects=False) as client:
        client.cookies.set("sverka_session", "made-up.token.sig")
        assert client.get("/ui/").status_code == 303
