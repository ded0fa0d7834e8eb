"""``GET /v1/{payments,invoices,contracts}/{id}/evidence``: the evidence pack as a ZIP download (HTTP only).

Partner keys may fetch packs too: the subject must be one the key sees in ``/v1`` (the same
scope conditions, so anything else is 404 exactly like a missing id), and the pack then holds
only what that partner may see. Every download is journaled (``evidence.packed``) with the key
that asked and the manifest's SHA-256, also sent back as ``X-Evidence-Manifest-SHA256``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.sql.elements import ColumnElement

from services.notifier.documents.endpoints import disposition
from services.reconciler.api.auth import ApiPrincipal, Principal
from services.reconciler.api.deps import DbSession
from services.reconciler.api.params import RowId
from services.reconciler.evidence.schemas import ZIP_MEDIA_TYPE, Subject, SubjectKind, Viewer
from services.reconciler.evidence.service import build_pack
from services.reconciler.integration import repository, scope
from shared.errors import NotFound
from shared.models import BankTransaction, Contract, Invoice

router = APIRouter(prefix="/v1", tags=["evidence"])

_ZIP_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {ZIP_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "description": "The evidence pack (ZIP: manifest.json, summary.pdf, bank/, payment-orders/, "
        "allocations.json, notifications.json, journal.jsonl). Check it with `sverka evidence verify`.",
    }
}


def _pack(session: DbSession, who: Principal, kind: SubjectKind, subject_id: int) -> Response:
    visible: dict[SubjectKind, tuple[type[Any], ColumnElement[bool] | None]] = {
        "payment": (BankTransaction, scope.payment_visible(who)),
        "invoice": (Invoice, scope.invoice_visible(who)),
        "contract": (Contract, scope.contract_visible(who)),
    }
    model, condition = visible[kind]
    if repository.one(session, model, subject_id, condition) is None:
        raise NotFound(f"{kind} {subject_id} not found")
    pack = build_pack(session, Subject(kind, subject_id), Viewer(who.actor, who.partner_id, who.partner_inn))
    return Response(
        pack.data,
        media_type=ZIP_MEDIA_TYPE,
        headers={
            "content-disposition": disposition(pack.filename, "attachment"),
            "x-evidence-manifest-sha256": pack.manifest_sha256,
            "cache-control": "no-store",
        },
    )


@router.get("/payments/{payment_id}/evidence", response_class=Response, responses=_ZIP_RESPONSE)
def payment_evidence(payment_id: RowId, session: DbSession, who: ApiPrincipal) -> Response:
    """The evidence pack of a payment: its bank line, allocations, notifications and journal events."""
    return _pack(session, who, "payment", payment_id)


@router.get("/invoices/{invoice_id}/evidence", response_class=Response, responses=_ZIP_RESPONSE)
def invoice_evidence(invoice_id: RowId, session: DbSession, who: ApiPrincipal) -> Response:
    """The evidence pack of an invoice: every payment allocated to it, with the same material."""
    return _pack(session, who, "invoice", invoice_id)


@router.get("/contracts/{contract_id}/evidence", response_class=Response, responses=_ZIP_RESPONSE)
def contract_evidence(contract_id: RowId, session: DbSession, who: ApiPrincipal) -> Response:
    """The evidence pack of a contract: all its invoices and the payments allocated to them."""
    return _pack(session, who, "contract", contract_id)
