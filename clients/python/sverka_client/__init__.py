"""Typed client for Sverka's ``/v1`` API."""

from sverka_client.client import SverkaClient
from sverka_client.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SverkaError,
)
from sverka_client.models import (
    Allocation,
    Contract,
    Invoice,
    InvoiceAllocation,
    JournalEvent,
    Page,
    Partner,
    Payment,
    PaymentAllocation,
    PaymentRef,
)

__all__ = [
    "Allocation",
    "AuthenticationError",
    "ConflictError",
    "Contract",
    "InvalidInputError",
    "Invoice",
    "InvoiceAllocation",
    "JournalEvent",
    "NotFoundError",
    "Page",
    "Partner",
    "Payment",
    "PaymentAllocation",
    "PaymentRef",
    "PermissionDeniedError",
    "RateLimitedError",
    "SverkaClient",
    "SverkaError",
]
