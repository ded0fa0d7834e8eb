"""Create or update partners, contracts and invoices in bulk, idempotently, with a journal entry each.

Importing the same data twice changes nothing: partners are found by INN (or by name when they
have none), contracts by partner + number, receivables by our number, payables by supplier +
number. A changed invoice is updated and the journal keeps before and after.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from services.reconciler.billing import repository
from services.reconciler.billing.schemas import ContractIn, InvoiceIn, UpsertSummary
from services.reconciler.matching import lookup_index
from services.reconciler.matching.lookup_keys import LOOKUP_KEYS_VERSION
from shared import journal
from shared.errors import InvalidInput
from shared.models import Contract, Invoice, Partner
from shared.models.billing import invoice_status
from shared.models.columns import utcnow
from shared.money import MoneyError, to_minor

INVOICE_CSV_COLUMNS = (
    "invoice_no",
    "invoice_date",
    "due_date",
    "amount",
    "currency",
    "contract_no",
    "contract_date",
    "partner_name",
    "partner_inn",
    "partner_kpp",
    "partner_account",
    "direction",
)
_REQUIRED_COLUMNS = {"invoice_no", "amount", "partner_name"}


def read_invoices_csv(data: bytes, filename: str) -> list[InvoiceIn]:
    """Parse the invoices CSV; any bad row rejects the file with its line number and reason."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{filename}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = _REQUIRED_COLUMNS - set(reader.fieldnames or ())
    if missing:
        raise InvalidInput(f"{filename}: line 1: missing column(s) {', '.join(sorted(missing))}")
    unknown = set(reader.fieldnames or ()) - set(INVOICE_CSV_COLUMNS)
    if unknown:
        raise InvalidInput(f"{filename}: line 1: unknown column(s) {', '.join(sorted(unknown))}")
    items: list[InvoiceIn] = []
    for row in reader:
        try:
            items.append(InvoiceIn.model_validate({k: v for k, v in row.items() if v is not None and k}))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err["loc"])
            raise InvalidInput(f"{filename}: line {reader.line_num}: {field}: {err['msg']}", field=field) from None
    return items


def _partner_key(item: InvoiceIn) -> tuple[str, str]:
    return ("inn", item.partner_inn) if item.partner_inn else ("name", item.partner_name)


def upsert_invoices(session: Session, items: Sequence[InvoiceIn], *, actor: str) -> UpsertSummary:
    """Create or update everything ``items`` describe, in the caller's transaction."""
    partners, partners_created = _ensure_partners(session, items, actor)
    contracts, contracts_created = _ensure_contracts(session, items, partners)
    created, updated, unchanged = _upsert_invoice_rows(session, items, partners, contracts, actor)
    return UpsertSummary(
        rows=len(items),
        partners_created=partners_created,
        contracts_created=contracts_created,
        invoices_created=created,
        invoices_updated=updated,
        invoices_unchanged=unchanged,
    )


def _ensure_partners(
    session: Session, items: Sequence[InvoiceIn], actor: str
) -> tuple[dict[tuple[str, str], int], int]:
    found: dict[tuple[str, str], Partner] = {}
    for inn, p in repository.partners_by_inn(session, [i.partner_inn for i in items if i.partner_inn]).items():
        found[("inn", inn)] = p
    nameless = [i.partner_name for i in items if not i.partner_inn]
    for name, p in repository.partners_by_name_without_inn(session, nameless).items():
        found[("name", name)] = p
    ids = {key: p.id or 0 for key, p in found.items()}
    new: dict[tuple[str, str], InvoiceIn] = {}
    for item in items:
        key = _partner_key(item)
        if key not in ids:
            new.setdefault(key, item)
    rows = [
        {"name": i.partner_name, "inn": i.partner_inn, "kpp": i.partner_kpp, "language": "ru", "created_at": utcnow()}
        for i in new.values()
    ]
    new_ids = repository.insert_rows(session, Partner, rows)
    ids.update(zip(new.keys(), new_ids, strict=True))
    journal.record_many(
        session,
        [
            journal.Change(actor, "partner.created", "partner", pid, after={"name": r["name"], "inn": r["inn"]})
            for pid, r in zip(new_ids, rows, strict=True)
        ],
    )
    accounts = {(ids[_partner_key(i)], i.partner_account) for i in items if i.partner_account}
    repository.add_partner_accounts(session, [{"partner_id": p, "number": a} for p, a in sorted(accounts)])
    return ids, len(new_ids)


def _ensure_contracts(
    session: Session, items: Sequence[InvoiceIn], partners: dict[tuple[str, str], int]
) -> tuple[dict[tuple[int, str], int], int]:
    existing = repository.contracts_of(session, list(partners.values()))
    ids = {key: c.id or 0 for key, c in existing.items()}
    new: dict[tuple[int, str], InvoiceIn] = {}
    for item in items:
        if item.contract_no:
            key = (partners[_partner_key(item)], item.contract_no)
            if key not in ids:
                new.setdefault(key, item)
    rows = [
        {"partner_id": pid, "number": no, "contract_date": i.contract_date, "currency": i.currency}
        for (pid, no), i in new.items()
    ]
    ids.update(zip(new.keys(), repository.insert_rows(session, Contract, rows), strict=True))
    return ids, len(rows)


def _invoice_key(direction: str, partner_id: int, number: str) -> tuple[str, int, str]:
    # Our receivable numbers are unique on their own; a supplier's number only with the supplier.
    return (direction, partner_id if direction == "payable" else 0, number)


def _upsert_invoice_rows(
    session: Session,
    items: Sequence[InvoiceIn],
    partners: dict[tuple[str, str], int],
    contracts: dict[tuple[int, str], int],
    actor: str,
) -> tuple[int, int, int]:
    existing = {
        _invoice_key(inv.direction, inv.partner_id, inv.number): inv
        for inv in repository.invoices_by_number(session, [i.invoice_no for i in items])
    }
    now = utcnow()
    to_create: dict[tuple[str, int, str], dict[str, Any]] = {}
    # What the matcher finds each new or renumbered invoice by (``invoice_lookup_key``).
    to_key: list[tuple[int, str, str | None]] = []
    created_contract_no: dict[tuple[str, int, str], str | None] = {}
    updates: list[dict[str, Any]] = []
    changes: list[journal.Change] = []
    unchanged = 0
    for item in items:
        partner_id = partners[_partner_key(item)]
        try:
            amount = to_minor(item.amount, item.currency)
        except MoneyError as exc:
            raise InvalidInput(f"invoice {item.invoice_no}: {exc}", field="amount") from exc
        fields = {
            "direction": item.direction,
            "number": item.invoice_no,
            "partner_id": partner_id,
            "contract_id": contracts.get((partner_id, item.contract_no)) if item.contract_no else None,
            "invoice_date": item.invoice_date,
            "due_date": item.due_date,
            "amount_minor": amount,
            "currency": item.currency,
        }
        key = _invoice_key(item.direction, partner_id, item.invoice_no)
        current = existing.get(key)
        if current is None:
            to_create[key] = {
                **fields,
                "paid_minor": 0,
                "status": "open",
                "created_at": now,
                "updated_at": now,
                "lookup_keys_version": LOOKUP_KEYS_VERSION,
            }
            created_contract_no[key] = item.contract_no if fields["contract_id"] else None
            continue
        diff = {k: v for k, v in fields.items() if getattr(current, k) != v}
        if not diff:
            unchanged += 1
            continue
        if "number" in diff or "contract_id" in diff:
            to_key.append((current.id or 0, item.invoice_no, item.contract_no if fields["contract_id"] else None))
        before = current.snapshot()
        status = invoice_status(amount, current.paid_minor, cancelled=current.status == "cancelled")
        updates.append({"id": current.id, **diff, "status": status, "updated_at": now})
        after = {**before, **{k: v for k, v in diff.items() if k in before}, "status": status}
        changes.append(journal.Change(actor, "invoice.updated", "invoice", current.id or 0, before, after))
    rows = list(to_create.values())
    new_ids = repository.insert_rows(session, Invoice, rows)
    repository.update_invoices(session, updates)
    to_key.extend(
        (iid, r["number"], created_contract_no[key]) for iid, (key, r) in zip(new_ids, to_create.items(), strict=True)
    )
    lookup_index.store_keys(session, to_key)
    changes[:0] = [
        journal.Change(
            actor,
            "invoice.created",
            "invoice",
            iid,
            after={
                "number": r["number"],
                "direction": r["direction"],
                "amount_minor": r["amount_minor"],
                "currency": r["currency"],
                "partner_id": r["partner_id"],
            },
        )
        for iid, r in zip(new_ids, rows, strict=True)
    ]
    journal.record_many(session, changes)
    return len(rows), len(updates), unchanged


def create_contract(session: Session, item: ContractIn, *, actor: str) -> Contract:
    """Create a contract (and its partner if new); an existing partner + number is returned as is."""
    probe = InvoiceIn(
        invoice_no="-",
        amount=1,
        partner_name=item.partner_name,
        partner_inn=item.partner_inn,
        partner_kpp=item.partner_kpp,
    )
    partners, _ = _ensure_partners(session, [probe], actor)
    partner_id = partners[_partner_key(probe)]
    existing = repository.find_contract(session, partner_id, item.number)
    if existing is not None:
        return existing
    contract = Contract(
        partner_id=partner_id, number=item.number, contract_date=item.contract_date, currency=item.currency
    )
    session.add(contract)
    session.flush()
    journal.record(
        session,
        journal.Change(
            actor,
            "contract.created",
            "contract",
            contract.id or 0,
            after={"number": contract.number, "partner_id": partner_id},
        ),
    )
    return contract


def upsert_invoice(session: Session, item: InvoiceIn, *, actor: str) -> Invoice:
    """Create or update one invoice and return it."""
    upsert_invoices(session, [item], actor=actor)
    partners, _ = _ensure_partners(session, [item], actor)
    wanted = _invoice_key(item.direction, partners[_partner_key(item)], item.invoice_no)
    for invoice in repository.invoices_by_number(session, [item.invoice_no]):
        if _invoice_key(invoice.direction, invoice.partner_id, invoice.number) == wanted:
            return invoice
    raise AssertionError("an upserted invoice must be found")  # pragma: no cover
