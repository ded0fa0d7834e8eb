"""HTTP endpoints for a payment's documents: upload a payment-order scan, list them, fetch the order (HTTP only).

Internal API (our accountants and services): mounted under ``/v1`` with the internal API-key
dependency by the API application. Partners see documents through their signed page instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Response, UploadFile, status
from pydantic import BaseModel
from sqlmodel import Session

from services.notifier.documents import repository, service
from shared.config import get_settings
from shared.db import session_scope
from shared.models.documents import PaymentDocument

API_ACTOR = "api"


def db_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session, scope="function")]

router = APIRouter(prefix="/v1", tags=["documents"])


class DocumentOut(BaseModel):
    id: int
    payment_id: int
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class DocumentUploaded(DocumentOut):
    created: bool


def _view(row: PaymentDocument) -> DocumentOut:
    return DocumentOut(
        id=row.id or 0,
        payment_id=row.transaction_id,
        kind=row.kind,
        filename=row.filename,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
    )


@router.post(
    "/payments/{payment_id}/documents",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentUploaded,
)
def upload_payment_order(
    payment_id: int, session: DbSession, response: Response, file: Annotated[UploadFile, File()]
) -> DocumentUploaded:
    """Attach the bank's payment-order scan (PDF, JPEG or PNG, by content) to a payment; 200 if already there."""
    limit = get_settings().document_max_bytes
    data = file.file.read(limit + 1)  # one byte over the limit is enough to refuse, without reading it all
    row, created = service.store_scan(session, payment_id, file.filename or "", data, actor=API_ACTOR)
    if not created:
        response.status_code = status.HTTP_200_OK
    return DocumentUploaded(**_view(row).model_dump(), created=created)


@router.get("/payments/{payment_id}/documents", response_model=list[DocumentOut])
def list_payment_documents(payment_id: int, session: DbSession) -> list[DocumentOut]:
    return [_view(row) for row in repository.scans_of(session, payment_id)]


@router.get("/payments/{payment_id}/payment-order")
def payment_order(payment_id: int, session: DbSession) -> Response:
    """The payment's order: the latest uploaded scan, else form 0401060 drawn from the statement line."""
    attachment = service.payment_order_attachment(session, payment_id)
    return Response(
        attachment.data,
        media_type=attachment.content_type,
        headers={"content-disposition": disposition(attachment.filename), "x-content-sha256": attachment.sha256},
    )


def disposition(filename: str, kind: str = "inline") -> str:
    """A Content-Disposition that survives non-ASCII names (RFC 6266: an ASCII fallback plus ``filename*``)."""
    fallback = filename.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
