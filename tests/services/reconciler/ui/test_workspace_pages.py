"""The workspace's statements, accounts, books and users pages over real HTTP, on SQLite and PostgreSQL.

Each test states one rule of a page as a person meets it: what an upload reports, how a refused
file is explained, what the overview counts, what a contract's balance is, who may manage users.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlmodel import col

from services.reconciler.api.app import create_app
from services.reconciler.billing.schemas import InvoiceIn
from services.reconciler.billing.service import upsert_invoices
from services.reconciler.review.service import Part, allocate_manually, reverse_allocation
from services.reconciler.sync.service import configure_connection
from services.reconciler.ui import accounts as accounts_routes
from services.reconciler.ui import books as books_routes
from services.reconciler.ui import statements as statements_routes
from services.reconciler.ui import users as users_routes
from shared.db import session_scope
from shared.models import Allocation, BankTransaction, Contract, Invoice, JournalEvent, Statement
from shared.models.access import User
from shared.models.api import ApiKey
from shared.models.sync import BankPull
from tests.http_servers import serve_asgi
from tests.onec_files import PaymentOrder, exchange_file
from tests.services.reconciler.review import factories as f
from tests.services.reconciler.ui.workspace import create_users, csrf_of, log_in, logged_in

OURS = "40702810900000000001"
THEIRS = "40702810500000000777"


def onec_statement(*amounts: str, account: str = OURS, broken_line: str | None = None) -> bytes:
    """A small 1CClientBankExchange file with one incoming payment per amount (``broken_line`` spoils the first)."""
    orders = [
        PaymentOrder(
            number=str(n),
            day=date(2024, 3, 2),
            received=date(2024, 3, 3),
            amount=amount,
            purpose=f"Оплата по счету {n}",
            payer_name="ООО Ромашка",
            payer_inn="7707083893",
            payer_account=THEIRS,
        )
        for n, amount in enumerate(amounts, start=11)
    ]
    data = exchange_file(account, orders, period=(date(2024, 3, 1), date(2024, 3, 31)))
    if broken_line:
        data = data.replace(f"Сумма={amounts[0]}".encode("cp1251"), broken_line.encode("cp1251"), 1)
    return data


@dataclass
class Site:
    base: str


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    create_users()
    with serve_asgi(create_app()) as base:
        yield Site(base)


def _upload(client: httpx.Client, data: bytes, name: str = "kl_to_1c.txt") -> httpx.Response:
    token = csrf_of(client.get("/ui/statements").text)
    return client.post(
        "/ui/statements", data={"csrf_token": token, "account": ""}, files={"file": (name, data, "text/plain")}
    )


def _cells(html: str, marker: str) -> list[str]:
    """The text of the cells of the table row carrying ``marker`` (an attribute such as data-statement="3")."""
    row = html[html.index(marker) :]
    row = row[: row.index("</tr>")]
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


# --- statements --------------------------------------------------------------------------------


def test_an_uploaded_statement_reports_format_account_lines_new_and_duplicates(site: Site) -> None:
    with logged_in(site.base, "anna") as anna:
        first = _upload(anna, onec_statement("100.00", "250.50"))
        assert first.status_code == 303 and first.headers["location"].startswith("/ui/statements?shown=")
        page = anna.get(first.headers["location"])
        assert page.status_code == 200 and "data-import-result" in page.text
        with session_scope() as s:
            statement = s.scalars(select(Statement)).one()
            assert (statement.imported_by, statement.new_count) == ("anna", 2)
        cells = _cells(page.text, f'data-statement="{statement.id}"')
        assert cells[1:8] == ["kl_to_1c.txt", "1c", OURS, cells[4], "2", "2", "0"]

        again = anna.get(_upload(anna, onec_statement("100.00", "250.50")).headers["location"])
        with session_scope() as s:
            second = s.scalars(select(Statement).order_by(col(Statement.id).desc())).first()
            assert second is not None and s.execute(select(func.count()).select_from(BankTransaction)).scalar() == 2
        assert _cells(again.text, f'data-statement="{second.id}"')[5:8] == ["2", "0", "2"], (
            "the same file again: all duplicates"
        )


def test_a_refused_file_names_the_file_the_position_and_the_reason_and_stores_nothing(site: Site) -> None:
    broken = onec_statement("100.00", broken_line="Сумма=сто рублей")
    with logged_in(site.base, "anna") as anna:
        answer = _upload(anna, broken, name="bad.txt")
    assert answer.status_code == 422
    rejection = answer.text[answer.text.index("data-rejection") :]
    assert "bad.txt" in rejection
    line_no = broken.decode("cp1251").splitlines().index("Сумма=сто рублей") + 1
    assert f"line {line_no}" in rejection and "Сумма" in rejection
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Statement)).scalar() == 0
        assert s.execute(select(func.count()).select_from(BankTransaction)).scalar() == 0


def test_an_upload_without_a_file_is_refused_and_a_viewer_may_not_upload(site: Site) -> None:
    with logged_in(site.base, "anna") as anna:
        token = csrf_of(anna.get("/ui/statements").text)
        assert anna.post("/ui/statements", data={"csrf_token": token}).status_code == 422
    with logged_in(site.base, "vera") as vera:
        page = vera.get("/ui/statements")
        assert page.status_code == 200 and "data-upload" not in page.text
        refused = vera.post(
            "/ui/statements",
            data={"csrf_token": csrf_of(page.text)},
            files={"file": ("kl_to_1c.txt", onec_statement("1.00"), "text/plain")},
        )
        assert refused.status_code == 403
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Statement)).scalar() == 0


def test_an_upload_without_its_csrf_token_is_refused(site: Site) -> None:
    with logged_in(site.base, "anna") as anna:
        answer = anna.post("/ui/statements", files={"file": ("kl_to_1c.txt", onec_statement("1.00"), "text/plain")})
        assert answer.status_code == 403
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Statement)).scalar() == 0


# --- overview ------------------------------------------------------------------------------------


def test_the_overview_counts_and_sums_lines_by_account_month_and_status(site: Site) -> None:
    with session_scope() as s:
        acc, p = f.account(s), f.partner(s)
        number = acc.number
        inv = f.invoice(s, p, 500_00)
        f.line(s, acc, 100_00, booking_date=date(2024, 3, 1))
        f.line(s, acc, -40_00, booking_date=date(2024, 3, 20))
        f.suggestion(s, f.line(s, acc, 500_00, booking_date=date(2024, 3, 5)), inv)
        f.line(s, acc, 70_00, booking_date=date(2024, 2, 10), match_status="settled", allocated_minor=70_00)
        f.line(s, acc, 30_00, booking_date=date(2024, 2, 11), match_status="ignored")
    with logged_in(site.base, "vera") as vera:
        html = vera.get("/ui/").text
    march = _cells(html, f'data-period="2024-03" data-account="{number}"')
    february = _cells(html, f'data-period="2024-02" data-account="{number}"')
    digits = [re.sub(r"\D", "", c) for c in march[2:]]
    assert digits == ["2", "14000", "1", "50000", "0", ""], march  # unsettled 100 + 40; suggested 500
    assert [re.sub(r"\D", "", c) for c in february[2:]] == ["0", "", "0", "", "1", "7000"], "ignored lines are left out"
    assert html.index('data-period="2024-03"') < html.index('data-period="2024-02"'), "newest month first"


# --- contract and partner ------------------------------------------------------------------------


def _books() -> dict[str, int]:
    """A partner with two contracts' invoices, one paid in part, one undone, one cancelled."""
    items = [
        InvoiceIn(invoice_no="A-1", partner_name="ООО Ромашка", partner_inn="7707083893", contract_no="D-7",
                  amount="1000.00", invoice_date=date(2024, 3, 1)),
        InvoiceIn(invoice_no="A-2", partner_name="ООО Ромашка", partner_inn="7707083893", contract_no="D-7",
                  amount="300.00", invoice_date=date(2024, 3, 2)),
        InvoiceIn(invoice_no="A-3", partner_name="ООО Ромашка", partner_inn="7707083893", contract_no="D-8",
                  amount="50.00", invoice_date=date(2024, 3, 3)),
    ]  # fmt: skip
    with session_scope() as s:
        upsert_invoices(s, items, actor="test")
    with session_scope() as s:
        acc = f.account(s)
        a1 = s.scalars(select(Invoice).where(col(Invoice.number) == "A-1")).one()
        a2 = s.scalars(select(Invoice).where(col(Invoice.number) == "A-2")).one()
        first, second = f.line(s, acc, 400_00), f.line(s, acc, 300_00)
        ids = {
            "a1": a1.id or 0,
            "a2": a2.id or 0,
            "first": first.id or 0,
            "second": second.id or 0,
            "contract": s.scalars(select(Contract).where(col(Contract.number) == "D-7")).one().id or 0,
            "partner": a1.partner_id,
        }
    with session_scope() as s:
        allocate_manually(s, ids["first"], [Part(ids["a1"], 400_00)], actor="anna", reason="письмо")
        allocate_manually(s, ids["second"], [Part(ids["a2"], 300_00)], actor="anna", reason="письмо")
    with session_scope() as s:
        undone = s.scalars(select(Allocation).where(col(Allocation.transaction_id) == ids["second"])).one()
        reverse_allocation(s, undone.id or 0, actor="anna", reason="не тот счёт")
    return ids


def test_a_contract_page_shows_its_balance_invoices_payments_and_history(site: Site) -> None:
    ids = _books()
    with logged_in(site.base, "vera") as vera:
        page = vera.get(f"/ui/contracts/{ids['contract']}")
    assert page.status_code == 200
    html = page.text
    balance = html[html.index('data-balance="receivable-RUB"') :]
    balance = balance[: balance.index("</div>\n    </div>") if "</div>\n    </div>" in balance else 2000]
    numbers = [re.sub(r"\D", "", v) for v in re.findall(r'<dd class="num[^"]*"[^>]*>(.*?)</dd>', balance, re.S)][:3]
    assert numbers == ["130000", "40000", "90000"], "invoiced 1,300, paid 400, outstanding 900"
    assert "A-1" in html and "A-2" in html and "A-3" not in html, "only this contract's invoices"
    assert f"/ui/payments/{ids['first']}" in html and f"/ui/payments/{ids['second']}" in html
    history = html[html.index('<ol class="timeline">') :]
    assert "Разнесено вручную" in history or "Allocated by hand" in history
    assert "«не тот счёт»" in history
    assert "Счёт создан" in history or "Invoice created" in history


def test_a_partner_page_shows_every_contract_and_the_partners_whole_balance(site: Site) -> None:
    ids = _books()
    with logged_in(site.base, "vera") as vera:
        html = vera.get(f"/ui/partners/{ids['partner']}", headers={"accept-language": "en"}).text
    assert "A-1" in html and "A-2" in html and "A-3" in html
    assert f'href="/ui/contracts/{ids["contract"]}"' in html
    tile = html[html.index('data-balance="receivable-RUB"') :]
    outstanding = re.search(r"data-outstanding>(.*?)</dd>", tile, re.S)
    assert outstanding and re.sub(r"\D", "", outstanding.group(1)) == "95000", "1,350 invoiced - 400 paid"


def test_the_invoice_page_links_to_its_partner_and_contract(site: Site) -> None:
    ids = _books()
    with logged_in(site.base, "vera") as vera:
        html = vera.get(f"/ui/invoices/{ids['a1']}").text
    assert f'href="/ui/partners/{ids["partner"]}"' in html and f'href="/ui/contracts/{ids["contract"]}"' in html


def test_unknown_contracts_and_partners_are_404_pages(site: Site) -> None:
    with logged_in(site.base, "vera") as vera:
        assert vera.get("/ui/contracts/999999").status_code == 404
        assert vera.get("/ui/partners/999999").status_code == 404


# --- users ---------------------------------------------------------------------------------------


def test_an_admin_adds_a_user_who_can_log_in_with_the_password_shown_once(site: Site) -> None:
    with logged_in(site.base, "admin") as admin:
        token = csrf_of(admin.get("/ui/users").text)
        answer = admin.post("/ui/users", data={"csrf_token": token, "username": "oleg", "role": "accountant"})
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
        shown = re.search(r"data-password>([^<]+)<", answer.text)
        assert shown
        again = admin.post("/ui/users", data={"csrf_token": token, "username": "oleg", "role": "viewer"})
        assert again.status_code == 409
    with httpx.Client(base_url=site.base, timeout=30, follow_redirects=False) as client:
        assert log_in(client, "oleg", shown.group(1)).status_code == 303
    with session_scope() as s:
        event = s.scalars(
            select(JournalEvent)
            .where(col(JournalEvent.action) == "user.created")
            .order_by(col(JournalEvent.seq).desc())
        ).first()
        assert event is not None and (event.actor, event.after) == ("admin", {"username": "oleg", "role": "accountant"})


def test_an_admin_disables_a_user_and_resets_a_password_and_both_end_their_sessions(site: Site) -> None:
    with session_scope() as s:
        anna_id = s.scalars(select(User).where(col(User.username) == "anna")).one().id
        vera_id = s.scalars(select(User).where(col(User.username) == "vera")).one().id
    with (
        logged_in(site.base, "anna") as anna,
        logged_in(site.base, "vera") as vera,
        logged_in(site.base, "admin") as admin,
    ):
        token = csrf_of(admin.get("/ui/users").text)
        reset = admin.post(f"/ui/users/{anna_id}/password", data={"csrf_token": token, "password": "a-new-password-9"})
        assert reset.status_code == 200 and "data-password" not in reset.text, "a chosen password is not echoed"
        done = admin.post(f"/ui/users/{vera_id}/disable", data={"csrf_token": token})
        assert done.status_code == 303 and "done=user_disabled" in done.headers["location"]
        assert anna.get("/ui/").status_code == 303 and vera.get("/ui/").status_code == 303
        assert admin.post(f"/ui/users/{vera_id}/disable", data={"csrf_token": token}).status_code == 303, "idempotent"
    with httpx.Client(base_url=site.base, timeout=30, follow_redirects=False) as client:
        assert log_in(client, "vera").status_code == 401
        assert log_in(client, "anna", "a-new-password-9").status_code == 303
    with session_scope() as s:
        actions = list(s.scalars(select(col(JournalEvent.action)).where(col(JournalEvent.actor) == "admin")))
        assert actions == ["user.password_changed", "user.disabled"]


def test_an_admin_cannot_disable_themselves(site: Site) -> None:
    with session_scope() as s:
        admin_id = s.scalars(select(User).where(col(User.username) == "admin")).one().id
    with logged_in(site.base, "admin") as admin:
        token = csrf_of(admin.get("/ui/users").text)
        assert admin.post(f"/ui/users/{admin_id}/disable", data={"csrf_token": token}).status_code == 422
        assert admin.get("/ui/users").status_code == 200


def test_only_an_admin_sees_and_manages_users(site: Site) -> None:
    with session_scope() as s:
        vera_id = s.scalars(select(User).where(col(User.username) == "vera")).one().id
    with logged_in(site.base, "anna") as anna:
        page = anna.get("/ui/")
        assert 'href="/ui/users"' not in page.text
        assert anna.get("/ui/users").status_code == 403
        token = csrf_of(page.text)
        assert anna.post("/ui/users", data={"csrf_token": token, "username": "x", "role": "admin"}).status_code == 403
        assert anna.post(f"/ui/users/{vera_id}/disable", data={"csrf_token": token}).status_code == 403
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(User)).scalar() == 3
        assert s.scalars(select(User).where(col(User.username) == "vera")).one().disabled_at is None


def test_an_admin_issues_an_api_key_shown_once_that_works_until_revoked(site: Site) -> None:
    with logged_in(site.base, "admin") as admin:
        token = csrf_of(admin.get("/ui/users").text)
        answer = admin.post("/ui/api-keys", data={"csrf_token": token, "name": "billing", "scope": "read"})
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
        shown = re.search(r"data-api-key>(svk_[^<]+)<", answer.text)
        assert shown, "the new key is on the answer"
        secret = shown.group(1)
        listed = admin.get("/ui/users").text
        assert secret not in listed and secret[:10] in listed, "later only its first characters are shown"
        with httpx.Client(base_url=site.base, timeout=30, headers={"Authorization": f"Bearer {secret}"}) as service:
            assert service.get("/v1/invoices").status_code == 200
            assert service.post("/v1/partners", json={"name": "X"}).status_code == 403, "a read key cannot write"
            with session_scope() as s:
                key_id = s.scalars(select(col(ApiKey.id)).where(col(ApiKey.name) == "billing")).one()
            revoked = admin.post(f"/ui/api-keys/{key_id}/revoke", data={"csrf_token": token})
            assert revoked.status_code == 303 and "done=api_key_revoked" in revoked.headers["location"]
            assert service.get("/v1/invoices").status_code == 401
        refused = admin.post("/ui/api-keys", data={"csrf_token": token, "name": "crm", "partner_inn": "7700000000"})
        assert refused.status_code == 404 and "7700000000" in refused.text, "an unknown partner INN is named"
    with session_scope() as s:
        actions = list(s.scalars(select(col(JournalEvent.action)).where(col(JournalEvent.actor) == "admin")))
        assert actions == ["api_key.created", "api_key.revoked"]


def test_an_accountant_cannot_issue_or_revoke_api_keys(site: Site) -> None:
    with logged_in(site.base, "anna") as anna:
        token = csrf_of(anna.get("/ui/").text)
        assert anna.post("/ui/api-keys", data={"csrf_token": token, "name": "mine"}).status_code == 403
        assert anna.post("/ui/api-keys/1/revoke", data={"csrf_token": token}).status_code == 403
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(ApiKey)).scalar() == 0


# --- access to the new pages ---------------------------------------------------------------------

NEW_AREAS = (statements_routes.router, accounts_routes.router, books_routes.router, users_routes.router)


def _new_routes() -> list[tuple[str, str]]:
    ids = {"account_id": 1, "contract_id": 1, "partner_id": 1, "user_id": 1}
    found: list[tuple[str, str]] = []
    for area in NEW_AREAS:
        for route in area.routes:
            assert isinstance(route, APIRoute)
            found.extend((m, route.path.format(**ids)) for m in sorted((route.methods or set()) - {"HEAD"}))
    return found


def test_the_new_pages_are_closed_to_anonymous_users_and_viewers_change_nothing(site: Site) -> None:
    with session_scope() as s:
        acc, p = f.account(s), f.partner(s)
        s.add(Contract(partner_id=p.id or 0, number="D-1"))
        assert (acc.id, p.id) == (1, 1)
    routes = _new_routes()
    assert len(routes) == 10
    with httpx.Client(base_url=site.base, timeout=30, follow_redirects=False) as anon:
        for method, path in routes:
            answer = anon.request(method, path, data={"csrf_token": "x"})
            assert answer.status_code == (303 if method == "GET" else 401), (method, path)
    with logged_in(site.base, "vera") as vera:
        token = csrf_of(vera.get("/ui/").text)
        for method, path in routes:
            answer = vera.request(method, path, data={"csrf_token": token, "username": "x", "role": "admin"})
            allowed = method == "GET" and not path.startswith("/ui/users")
            assert answer.status_code == (200 if allowed else 403), (method, path, answer.status_code)
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(JournalEvent)).scalar() == 3, "only the users' creation"


# --- accounts ------------------------------------------------------------------------------------


def test_a_failed_pull_now_is_recorded_and_shown_with_its_error(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SVERKA_BANK_TOKEN_UNSET", raising=False)
    with session_scope() as s:
        view = configure_connection(
            s, OURS, api_kind="tbank", base_url="http://127.0.0.1:9", token_env="SVERKA_BANK_TOKEN_UNSET", actor="test"
        )
    with logged_in(site.base, "anna") as anna:
        page = anna.get("/ui/accounts")
        assert "http://127.0.0.1:9" in page.text
        answer = anna.post(f"/ui/accounts/{view.account_id}/pull", data={"csrf_token": csrf_of(page.text)})
        assert answer.status_code == 303 and "done=pull_failed" in answer.headers["location"]
        shown = anna.get(answer.headers["location"]).text
    assert "SVERKA_BANK_TOKEN_UNSET" in shown[shown.index(f'id="account-{view.account_id}"') :]
    with session_scope() as s:
        pull = s.scalars(select(BankPull)).one()
        assert (pull.status, pull.actor, pull.trigger) == ("failed", "anna", "manual")
        assert s.execute(select(func.count()).select_from(BankTransaction)).scalar() == 0


def test_pull_now_on_an_account_without_a_connection_is_refused(site: Site) -> None:
    with session_scope() as s:
        account_id = f.account(s).id
    with logged_in(site.base, "anna") as anna:
        token = csrf_of(anna.get("/ui/accounts").text)
        assert anna.post(f"/ui/accounts/{account_id}/pull", data={"csrf_token": token}).status_code == 404
        assert anna.post("/ui/accounts/999999/pull", data={"csrf_token": token}).status_code == 404
