"""The accountant's day in a real browser (headless Debian chromium, driven by Playwright).

A generated company (300 invoices, 30 partners) is imported and matched as in production; then
an accountant logs in, opens the queue, confirms a suggestion with the keyboard, splits a payment
over two invoices, undoes one part and reads the journal's timeline. Screenshots of the main
pages are taken on the way; with ``SVERKA_UPDATE_SCREENSHOTS=1`` they replace the ones in
``docs/screenshots/`` (otherwise they go to a temporary directory, so a test run leaves the
checkout as it found it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from adapters.banks.sandbox import create_app as create_bank_app
from services.reconciler.api.app import create_app
from services.reconciler.billing.service import read_invoices_csv, upsert_invoices
from services.reconciler.intake.service import import_statement_file
from services.reconciler.matching.service import reconcile
from services.reconciler.sync.service import configure_connection
from shared.db import session_scope
from shared.models import Allocation, BankTransaction, Invoice, Statement
from shared.models.sync import BankPull
from shared.tasks import drain_in_process
from tests.fixture_corpus import BENCH_DIR, REPO_ROOT
from tests.http_servers import serve_asgi
from tests.services.reconciler.ui.test_workspace_pages import onec_statement
from tests.services.reconciler.ui.workspace import PASSWORDS, create_users

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = (
    REPO_ROOT / "docs" / "screenshots"
    if os.environ.get("SVERKA_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "sverka-screenshots"
)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("company")
    subprocess.run(
        [
            sys.executable,
            str(BENCH_DIR / "gen_bench.py"),
            "--out",
            str(out),
            "--seed",
            "3",
            "--invoices",
            "300",
            "--partners",
            "30",
        ],
        check=True,
        capture_output=True,
    )
    return out


def _seed(company: Path) -> None:
    with session_scope() as s:
        upsert_invoices(s, read_invoices_csv((company / "invoices.csv").read_bytes(), "invoices.csv"), actor="test")
    with session_scope() as s:
        import_statement_file(s, (company / "statement.xml").read_bytes(), "statement.xml", actor="test")
    with session_scope() as s:
        reconcile(s)
    create_users()


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    with playwright_sync.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def _split_candidate() -> tuple[int, int, int, int, int]:
    """An open credit line and two open receivables of one partner that together can take it."""
    with session_scope() as s:
        invoices = s.scalars(
            select(Invoice)
            .where(col(Invoice.status) == "open", col(Invoice.direction) == "receivable")
            .order_by(col(Invoice.partner_id), col(Invoice.id))
        ).all()
        by_partner: dict[int, list[Invoice]] = {}
        for inv in invoices:
            by_partner.setdefault(inv.partner_id, []).append(inv)
        lines = s.scalars(
            select(BankTransaction).where(
                col(BankTransaction.match_status) == "unmatched", col(BankTransaction.amount_minor) > 0
            )
        ).all()
        for line in lines:
            for group in by_partner.values():
                for first in group:
                    for second in group:
                        if first.id == second.id or first.amount_minor >= line.amount_minor:
                            continue
                        rest = line.amount_minor - first.amount_minor
                        if 0 < rest <= second.amount_minor:
                            return line.id or 0, first.id or 0, first.amount_minor, second.id or 0, rest
    raise AssertionError("the generated company has a line to split")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_accountant_works_the_queue_in_a_browser(
    database_url: str, company: Path, browser: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(company)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serve_asgi(create_app()) as base:
        context = browser.new_context(locale="ru-RU", viewport={"width": 1360, "height": 900})  # type: ignore[attr-defined]
        context.set_default_timeout(15_000)
        page = context.new_page()

        # Anonymous: the queue sends us to the login form, which brings us back afterwards.
        page.goto(f"{base}/ui/queue?status=suggested")
        assert "/ui/login" in page.url
        page.screenshot(path=str(SCREENSHOTS / "login.png"))
        page.fill("input[name=username]", "anna")
        page.fill("input[name=password]", PASSWORDS["anna"])
        page.click("button[type=submit]")
        page.wait_for_url("**/ui/queue?status=suggested")
        assert page.locator("h1").first.inner_text().startswith("Очередь разбора")
        page.screenshot(path=str(SCREENSHOTS / "queue.png"), full_page=False)

        # Confirm the top suggestion of the first line with the keyboard: j/k select, c confirms.
        first_row = page.locator("tr[data-nav-item]").first
        line_id = int((first_row.get_attribute("id") or "line-0").removeprefix("line-"))
        page.keyboard.press("j")
        page.keyboard.press("k")
        assert "selected" in (first_row.get_attribute("class") or "")
        page.keyboard.press("c")
        page.wait_for_url("**done=confirmed**")
        assert "Предложение подтверждено" in page.locator(".flash.ok").inner_text()
        with session_scope() as s:
            confirmed = s.scalars(
                select(Allocation).where(col(Allocation.transaction_id) == line_id, col(Allocation.kind) == "confirmed")
            ).all()
            assert [a.created_by for a in confirmed] == ["anna"] * len(confirmed) and confirmed
            assert page.locator(f"#line-{line_id}").count() == 0, "a decided line leaves the suggested queue"

        # Overview.
        page.goto(f"{base}/ui/")
        page.screenshot(path=str(SCREENSHOTS / "overview.png"))

        # Split one payment over two invoices of the same partner.
        split_line, first_id, first_amount, second_id, second_amount = _split_candidate()
        page.goto(f"{base}/ui/payments/{split_line}")
        page.keyboard.press("a")
        page.wait_for_url(f"**/ui/payments/{split_line}/allocate")
        page.keyboard.press("/")
        page.keyboard.type(_tax_id_of_invoice_partner(first_id))
        page.keyboard.press("Enter")
        page.wait_for_url("**/allocate?q=*")
        page.fill(f"input[name=amount_{first_id}]", f"{first_amount // 100},{first_amount % 100:02d}")
        page.fill(f"input[name=amount_{second_id}]", f"{second_amount // 100}.{second_amount % 100:02d}")
        assert "0,00" in page.locator("[data-remaining]").inner_text(), "the helper shows nothing is left"
        page.fill("input[name=reason]", "письмо клиента")
        page.screenshot(path=str(SCREENSHOTS / "allocate-split.png"), full_page=True)
        page.click("form[data-split] button[type=submit]")
        page.wait_for_url(f"**/ui/payments/{split_line}?done=allocated")
        with session_scope() as s:
            line = s.get(BankTransaction, split_line)
            assert line and line.match_status == "settled"
            parts = s.scalars(
                select(Allocation).where(col(Allocation.transaction_id) == split_line, col(Allocation.kind) == "manual")
            ).all()
            assert sorted((a.invoice_id, a.amount_minor) for a in parts) == sorted(
                [(first_id, first_amount), (second_id, second_amount)]
            )

        # Undo the part that went to the first invoice, with a reason.
        undo = page.locator("form.undo").filter(has=page.locator("input[name=line_id]")).first
        undo.locator("input[name=reason]").fill("сумма не та")
        undo.locator("button").click()
        page.wait_for_url("**done=undone")
        with session_scope() as s:
            line = s.get(BankTransaction, split_line)
            assert line and line.match_status == "partially_settled"
            reversed_rows = s.scalars(
                select(Allocation).where(
                    col(Allocation.transaction_id) == split_line, col(Allocation.reversed_at).is_not(None)
                )
            ).all()
            assert [(a.reversed_by, a.reversal_reason) for a in reversed_rows] == [("anna", "сумма не та")]

        # The journal's timeline tells the story, newest first.
        history = page.locator("ol.timeline").inner_text()
        assert "Разнесение отменено" in history and "Разнесено вручную" in history and "anna" in history
        assert "«сумма не та»" in history
        page.screenshot(path=str(SCREENSHOTS / "payment.png"), full_page=True)

        page.goto(f"{base}/ui/invoices/{second_id}")
        assert "Оплачен" in page.locator("h1").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "invoice.png"), full_page=True)

        # A statement file dropped on the upload zone is imported, and the page says what it brought.
        page.goto(f"{base}/ui/statements")
        dropped = page.evaluate_handle(
            """([name, bytes]) => {
                const transfer = new DataTransfer();
                transfer.items.add(new File([new Uint8Array(bytes)], name, { type: "text/plain" }));
                return transfer;
            }""",
            ["kl_to_1c.txt", list(onec_statement("1234.56", "99.00", account=UPLOAD_ACCOUNT))],
        )
        page.dispatch_event("[data-dropzone]", "drop", {"dataTransfer": dropped})
        page.wait_for_url("**/ui/statements?shown=*")
        result = page.locator("[data-import-result] tbody tr").first.inner_text()
        assert UPLOAD_ACCOUNT in result and "kl_to_1c.txt" in result
        with session_scope() as s:
            uploaded = s.scalars(select(Statement).where(col(Statement.filename) == "kl_to_1c.txt")).one()
            assert (uploaded.imported_by, uploaded.new_count, uploaded.duplicate_count) == ("anna", 2, 0)
        page.screenshot(path=str(SCREENSHOTS / "statements.png"), full_page=True)

        # "Pull now" on an account connected to the sandbox bank stores its booked lines.
        with serve_asgi(create_bank_app(5, accounts=1, history_days=20)) as bank_url:
            account_id = _connect_to_sandbox(bank_url, monkeypatch)
            page.goto(f"{base}/ui/accounts")
            page.locator(f"#account-{account_id} [data-pull-now] button").click()
            page.wait_for_url("**/ui/accounts?done=pulled*")
        with session_scope() as s:
            pulled = s.scalars(select(BankPull).where(col(BankPull.bank_account_id) == account_id)).one()
            assert (pulled.status, pulled.actor, pulled.trigger) == ("ok", "anna", "manual")
            assert pulled.new > 0
        assert "Загрузить сейчас" in page.locator(f"#account-{account_id}").inner_text()
        assert page.locator(f"#account-{account_id} tr.pull-ok").count() == 1
        page.screenshot(path=str(SCREENSHOTS / "accounts.png"), full_page=True)
        drain_in_process()  # the matcher runs after a pull that stored lines

        page.goto(f"{base}/ui/")
        assert page.locator("[data-periods] tbody tr").count() > 0
        page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=True)

        # A contract page: its balance, its invoices, the money on them and their history.
        contract_id = _busiest_contract()
        page.goto(f"{base}/ui/contracts/{contract_id}")
        assert page.locator("h1").inner_text().startswith("Договор")
        assert page.locator("[data-outstanding]").count() >= 1
        assert page.locator("ol.timeline li").count() > 1
        page.screenshot(path=str(SCREENSHOTS / "contract.png"))
        page.click(".crumbs a")
        page.wait_for_url("**/ui/partners/*")
        page.screenshot(path=str(SCREENSHOTS / "partner.png"))

        # The same queue in English, for a user who picks it.
        page.goto(f"{base}/ui/queue")
        page.click("text=English")
        page.wait_for_load_state()
        assert page.locator("h1").first.inner_text().startswith("Review queue")
        page.screenshot(path=str(SCREENSHOTS / "queue-en.png"))
        context.close()

        # The admin's users page.
        admin = browser.new_context(locale="ru-RU", viewport={"width": 1360, "height": 900})  # type: ignore[attr-defined]
        admin_page = admin.new_page()
        admin_page.goto(f"{base}/ui/users")
        admin_page.fill("input[name=username]", "admin")
        admin_page.fill("input[name=password]", PASSWORDS["admin"])
        admin_page.click("button[type=submit]")
        admin_page.wait_for_url("**/ui/users")
        admin_page.fill("form.add-user input[name=username]", "oleg")
        admin_page.click("form.add-user button[type=submit]")
        assert admin_page.locator("[data-password]").inner_text().strip()
        admin_page.screenshot(path=str(SCREENSHOTS / "users.png"), full_page=True)
        admin.close()


UPLOAD_ACCOUNT = "40702810900000000042"
SANDBOX_TOKEN_ENV = "SVERKA_BANK_TOKEN_BROWSER_TEST"


def _connect_to_sandbox(bank_url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Connect the sandbox's only account over T-Bank's API; the token comes from the environment."""
    monkeypatch.setenv(SANDBOX_TOKEN_ENV, "sandbox-token")
    number = httpx.get(f"{bank_url}/sandbox/accounts", timeout=5).json()[0]["account_number"]
    with session_scope() as s:
        view = configure_connection(
            s, number, api_kind="tbank", base_url=bank_url, token_env=SANDBOX_TOKEN_ENV, actor="test"
        )
    return view.account_id


def _busiest_contract() -> int:
    with session_scope() as s:
        found = s.execute(
            select(col(Invoice.contract_id))
            .join(Allocation, col(Allocation.invoice_id) == col(Invoice.id))
            .where(col(Invoice.contract_id).is_not(None), col(Allocation.kind) != "suggested")
            .group_by(col(Invoice.contract_id))
            .order_by(func.count().desc(), col(Invoice.contract_id))
            .limit(1)
        ).scalar_one()
        return int(found)


def _tax_id_of_invoice_partner(invoice_id: int) -> str:
    from shared.models import Partner

    with session_scope() as s:
        invoice = s.get(Invoice, invoice_id)
        partner = s.get(Partner, invoice.partner_id) if invoice else None
        assert partner is not None and partner.inn
        return partner.inn
