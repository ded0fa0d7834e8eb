"""``make run``: a demo company, Sverka's sandbox bank, and payments arriving and being matched.

Everything is real except the bank, which is Sverka's own sandbox speaking the Berlin Group API
over HTTP on loopback: invoices are stored, the bank is pulled through the same client and sync
service as production, the matcher decides, and each step is logged with the reasons.
"""

from __future__ import annotations

import logging
import os
import random
import time
from datetime import date

import httpx
from sqlalchemy import select
from sqlmodel import Session, col

from adapters.banks.sandbox import create_app as create_sandbox_bank
from services.reconciler.api.app import create_app
from services.reconciler.billing.service import upsert_invoices
from services.reconciler.demo.company import demo_invoices, demo_partners
from services.reconciler.demo.payments import DemoInvoice, next_payment
from services.reconciler.demo.servers import BackgroundServer
from services.reconciler.matching.service import reconcile
from services.reconciler.payments.service import payment_view
from services.reconciler.sync.service import configure_connection, pull_account
from shared.config import get_settings
from shared.db import session_scope
from shared.migrate import upgrade
from shared.models import BankTransaction, Contract, Invoice, Partner
from shared.money import from_minor

log = logging.getLogger("sverka.demo")
ACTOR = "demo"
TOKEN_ENV = "SVERKA_BANK_TOKEN_DEMO"  # noqa: S105 - the name of a variable, not a secret


def _open_invoices(session: Session) -> list[DemoInvoice]:
    partners = {p.inn: p for p in demo_partners()}
    rows = session.execute(
        select(Invoice, Partner.inn, Contract.number)  # type: ignore[call-overload]
        .join(Partner, col(Partner.id) == col(Invoice.partner_id))
        .outerjoin(Contract, col(Contract.id) == col(Invoice.contract_id))
        .where(col(Invoice.status).in_(("open", "partially_paid")))
    )
    return [
        DemoInvoice(
            number=inv.number,
            direction=inv.direction,
            amount=from_minor(inv.amount_minor, inv.currency),
            outstanding=from_minor(inv.outstanding_minor, inv.currency),
            invoice_date=inv.invoice_date.strftime("%d.%m.%Y") if inv.invoice_date else "",
            contract_no=contract_no,
            partner=partners[inn],
        )
        for inv, inn, contract_no in rows
        if inn in partners
    ]


def _describe_new_lines(session: Session, statement_id: int | None) -> None:
    if statement_id is None:
        return
    for tx in session.scalars(select(BankTransaction).where(col(BankTransaction.statement_id) == statement_id)):
        view = payment_view(session, tx)
        active = [a for a in view.allocations if a.reversed_at is None]
        effective = [a for a in active if a.kind != "suggested"]
        if effective:
            for a in effective:
                reasons = "; ".join(r["text"] for r in a.reasons)
                log.info(
                    "  ✓ matched %s %s to invoice %s (%s, confidence %.2f): %s",
                    a.amount,
                    a.currency,
                    a.invoice_no,
                    a.kind,
                    a.confidence,
                    reasons,
                )
        elif active:
            options = ", ".join(f"{a.invoice_no} ({a.confidence:.2f})" for a in active)
            log.info("  ? left for an accountant's review; suggested: %s", options)
        else:
            log.info(
                "  · not an invoice payment (no candidate): %s %s «%s»",
                view.amount,
                view.currency,
                (view.purpose or "")[:60],
            )


def _seed(today: date) -> None:
    with session_scope() as session:
        summary = upsert_invoices(session, demo_invoices(today), actor=ACTOR)
    log.info(
        "demo company: %d invoices (%d new), %d partners new",
        summary.rows,
        summary.invoices_created,
        summary.partners_created,
    )


def run_demo(*, host: str, port: int, bank_port: int, rounds: int = 0, pause: float = 4.0) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # every request would drown the story
    settings = get_settings()
    log.info("database: %s", settings.redacted_database_url)
    upgrade()
    bank_app = create_sandbox_bank(seed=1, accounts=1, history_days=30)
    today = date.fromisoformat(bank_app.state.bank.today.isoformat())
    _seed(today)
    bank = BackgroundServer(bank_app, host, bank_port).start()
    api = BackgroundServer(create_app(), host, port).start()
    log.info("sandbox bank (Berlin Group API) on %s", bank.url)
    log.info("Sverka API on %s — open %s/docs", api.url, api.url)
    rng = random.Random(7)
    try:
        with httpx.Client(base_url=bank.url, timeout=10) as control:
            account = control.get("/sandbox/accounts").json()[0]
            os.environ.setdefault(TOKEN_ENV, "demo-token")
            with session_scope() as session:
                configure_connection(
                    session,
                    account["account_number"],
                    api_kind="berlin_group",
                    base_url=bank.url,
                    api_account_id=account["account_id"],
                    consent_id="demo-consent",
                    token_env=TOKEN_ENV,
                    currency="RUB",
                    actor=ACTOR,
                )
            _pull_and_match(account["account_number"], today, first=True)
            done = 0
            while rounds == 0 or done < rounds:
                with session_scope() as session:
                    payment = next_payment(rng, _open_invoices(session))
                if payment is None:
                    log.info("every demo invoice is settled; the demo is done")
                    break
                control.post(
                    f"/sandbox/accounts/{account['account_id']}/transactions", json=payment.as_sandbox_json()
                ).raise_for_status()
                direction = "→ we pay" if payment.amount < 0 else "← receives"
                log.info("%s %s RUB: %s «%s»", direction, abs(payment.amount), payment.story, payment.purpose[:70])
                _pull_and_match(account["account_number"], today)
                done += 1
                time.sleep(pause)
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        api.stop()
        bank.stop()
    return 0


def _pull_and_match(account_number: str, today: date, *, first: bool = False) -> None:
    with session_scope() as session:
        pulled = pull_account(session, account_number, actor=ACTOR, today=today)
    if not pulled.ok:
        log.warning("pull failed: %s (the next pull asks for the same days again)", pulled.error)
        return
    what = "history" if first else "the bank"
    log.info(
        "  pulled %s..%s from %s: %d line(s), %d new", pulled.date_from, pulled.date_to, what, pulled.lines, pulled.new
    )
    with session_scope() as session:
        summary = reconcile(session, actor="system:matcher")
        if first:
            log.info(
                "  matcher: %d line(s): %d settled automatically, %d for review, %d not invoice payments",
                summary.lines,
                summary.auto,
                summary.suggested,
                summary.unmatched,
            )
        else:
            _describe_new_lines(session, pulled.statement_id)
