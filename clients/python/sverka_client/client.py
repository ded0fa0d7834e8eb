"""The client: one ``httpx.Client``, retries that are safe, ETag reuse, typed results.

Safe retries: a POST gets an ``Idempotency-Key`` (a UUID per call unless given) and a retry after
a network error, a 429 or a 5xx sends the same key, so the server runs it at most once. Reads
are retried the same way (they change nothing). 429 waits ``Retry-After``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from sverka_client.errors import error_for
from sverka_client.models import Allocation, Contract, Invoice, JournalEvent, Page, Partner, Payment

T = TypeVar("T")
_RETRYABLE = frozenset({429, 500, 502, 503, 504})


def _params(filters: Mapping[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in filters.items():
        if value is None:
            continue
        for v in value if isinstance(value, list | tuple) else [value]:
            if isinstance(v, bool):
                out.append((name, "true" if v else "false"))
            elif isinstance(v, datetime | date):
                out.append((name, v.isoformat()))
            else:
                out.append((name, str(v)))
    return out


class SverkaClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        max_retries: int = 2,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "sverka-client/0.1"},
            timeout=timeout,
            transport=transport,
        )
        self.max_retries, self._sleep = max_retries, sleep
        self._etags: dict[str, tuple[str, Any]] = {}
        self.last_response: httpx.Response | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SverkaClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Transport.

    def request(
        self, method: str, path: str, *, params: Any = None, json: Any = None, idempotency_key: str | None = None
    ) -> Any:
        headers: dict[str, str] = {}
        if method == "POST":
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        cache_key = str(self._http.build_request(method, path, params=params).url) if method == "GET" else ""
        cached = self._etags.get(cache_key)
        if cached:
            headers["If-None-Match"] = cached[0]
        for attempt in range(self.max_retries + 1):
            try:
                response = self._http.request(method, path, params=params, json=json, headers=headers)
            except httpx.TransportError:
                if attempt == self.max_retries:
                    raise
                self._sleep(0.2 * 2**attempt)
                continue
            self.last_response = response
            if response.status_code in _RETRYABLE and attempt < self.max_retries:
                self._sleep(float(response.headers.get("Retry-After", 0.2 * 2**attempt)))
                continue
            break
        if response.status_code == 304 and cached:
            return cached[1]
        body = response.json() if response.content else None
        if response.status_code >= 400:
            raise error_for(response.status_code, body, float(response.headers.get("Retry-After", 0)))
        if method == "GET" and "ETag" in response.headers:
            self._etags[cache_key] = (response.headers["ETag"], body)
        return body

    def _page(self, path: str, item: Callable[[dict[str, Any]], T], filters: Mapping[str, Any]) -> Page[T]:
        return Page.parse(self.request("GET", path, params=_params(filters)), item)

    def _iterate(self, path: str, item: Callable[[dict[str, Any]], T], filters: Mapping[str, Any]) -> Iterator[T]:
        cursor: str | None = filters.get("cursor")
        while True:
            page = self._page(path, item, {**filters, "cursor": cursor})
            yield from page.data
            if not page.has_more:
                return
            cursor = page.next_cursor

    # Invoices.

    def get_invoice(self, invoice_id: int) -> Invoice:
        return Invoice.from_json(self.request("GET", f"/v1/invoices/{invoice_id}"))

    def find_invoice(self, number: str, direction: str = "receivable") -> Invoice:
        params = {"number": number, "direction": direction}
        return Invoice.from_json(self.request("GET", "/v1/invoices/by-number", params=params))

    def list_invoices(self, **filters: Any) -> Page[Invoice]:
        return self._page("/v1/invoices", Invoice.from_json, filters)

    def iter_invoices(self, **filters: Any) -> Iterator[Invoice]:
        return self._iterate("/v1/invoices", Invoice.from_json, filters)

    def create_invoice(self, invoice: Mapping[str, Any], *, idempotency_key: str | None = None) -> Invoice:
        body = self.request("POST", "/v1/invoices", json=_jsonable(invoice), idempotency_key=idempotency_key)
        return Invoice.from_json(body)

    def create_invoices(
        self, invoices: list[Mapping[str, Any]], *, idempotency_key: str | None = None
    ) -> dict[str, int]:
        body = [_jsonable(i) for i in invoices]
        result: dict[str, int] = self.request("POST", "/v1/invoices/bulk", json=body, idempotency_key=idempotency_key)
        return result

    def cancel_invoice(self, invoice_id: int, reason: str, *, idempotency_key: str | None = None) -> Invoice:
        body = self.request(
            "POST", f"/v1/invoices/{invoice_id}/cancel", json={"reason": reason}, idempotency_key=idempotency_key
        )
        return Invoice.from_json(body)

    # Payments and decisions.

    def get_payment(self, payment_id: int) -> Payment:
        return Payment.from_json(self.request("GET", f"/v1/payments/{payment_id}"))

    def list_payments(self, **filters: Any) -> Page[Payment]:
        return self._page("/v1/payments", Payment.from_json, filters)

    def iter_payments(self, **filters: Any) -> Iterator[Payment]:
        return self._iterate("/v1/payments", Payment.from_json, filters)

    def confirm(self, payment_id: int, suggestion_ids: list[int], reason: str | None = None) -> Payment:
        body = {"suggestion_ids": suggestion_ids, "reason": reason}
        return Payment.from_json(self.request("POST", f"/v1/payments/{payment_id}/confirm", json=body))

    def reject(self, payment_id: int, suggestion_id: int, reason: str) -> Payment:
        body = {"suggestion_id": suggestion_id, "reason": reason}
        return Payment.from_json(self.request("POST", f"/v1/payments/{payment_id}/reject", json=body))

    def allocate(self, payment_id: int, parts: Mapping[int, Decimal | str], reason: str | None = None) -> Payment:
        body = {"parts": [{"invoice_id": i, "amount": str(a)} for i, a in parts.items()], "reason": reason}
        return Payment.from_json(self.request("POST", f"/v1/payments/{payment_id}/allocate", json=body))

    def ignore(self, payment_id: int, category: str, note: str | None = None) -> Payment:
        body = {"category": category, "note": note}
        return Payment.from_json(self.request("POST", f"/v1/payments/{payment_id}/ignore", json=body))

    def reverse_allocation(self, allocation_id: int, reason: str) -> Payment:
        body = {"reason": reason}
        return Payment.from_json(self.request("POST", f"/v1/allocations/{allocation_id}/reverse", json=body))

    def list_allocations(self, **filters: Any) -> Page[Allocation]:
        return self._page("/v1/allocations", Allocation.from_json, filters)

    # Partners, contracts, journal.

    def get_partner(self, partner_id: int) -> Partner:
        return Partner.from_json(self.request("GET", f"/v1/partners/{partner_id}"))

    def list_partners(self, **filters: Any) -> Page[Partner]:
        return self._page("/v1/partners", Partner.from_json, filters)

    def create_partner(self, partner: Mapping[str, Any], *, idempotency_key: str | None = None) -> Partner:
        return Partner.from_json(
            self.request("POST", "/v1/partners", json=_jsonable(partner), idempotency_key=idempotency_key)
        )

    def update_partner(self, partner_id: int, **changes: Any) -> Partner:
        return Partner.from_json(self.request("PATCH", f"/v1/partners/{partner_id}", json=_jsonable(changes)))

    def get_contract(self, contract_id: int) -> Contract:
        return Contract.from_json(self.request("GET", f"/v1/contracts/{contract_id}"))

    def list_contracts(self, **filters: Any) -> Page[Contract]:
        return self._page("/v1/contracts", Contract.from_json, filters)

    def journal(self, entity_type: str, entity_id: int) -> list[JournalEvent]:
        filters = {"entity_type": entity_type, "entity_id": entity_id}
        return list(self._iterate("/v1/journal", JournalEvent.from_json, filters))


def _jsonable(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal | date) else v) for k, v in data.items()}
