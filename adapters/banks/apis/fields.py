"""Strict readers for the JSON values banks send, raising BankPayloadError with a location.

Bank JSON is input from outside: a missing amount or a malformed date must stop the pull with a
message naming the record, not turn into a zero or a wrong day in the ledger.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.banks.apis.base import BankPayloadError

_AMOUNT = re.compile(r"^[+-]?\d{1,18}(\.\d{1,6})?$")
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MAX_TEXT = 2_000


def as_mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BankPayloadError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def as_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BankPayloadError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def amount(value: Any, where: str) -> Decimal:
    """An exact amount from a JSON string or number (numbers arrive as Decimal, see decode_json)."""
    if isinstance(value, bool) or value is None:
        raise BankPayloadError(f"{where}: amount missing or not a number ({value!r})")
    if isinstance(value, int | Decimal):
        value = str(value)
    if not isinstance(value, str) or not _AMOUNT.match(value.strip()):
        raise BankPayloadError(f"{where}: not an amount: {value!r}")
    try:
        return Decimal(value.strip())
    except InvalidOperation:  # pragma: no cover - the regex already guarantees a decimal
        raise BankPayloadError(f"{where}: not an amount: {value!r}") from None


def iso_date(value: Any, where: str, *, required: bool = False) -> date | None:
    """A YYYY-MM-DD date (a longer ISO date-time is cut to its date part)."""
    if value is None or value == "":
        if required:
            raise BankPayloadError(f"{where}: date missing")
        return None
    if not isinstance(value, str) or not _DATE_PREFIX.match(value):
        raise BankPayloadError(f"{where}: not an ISO date: {value!r}")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise BankPayloadError(f"{where}: not a calendar date: {value!r}") from None


def currency(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _CURRENCY.match(value.strip().upper()):
        raise BankPayloadError(f"{where}: not an ISO 4217 currency code: {value!r}")
    return value.strip().upper()


def text(value: Any, where: str) -> str | None:
    """An optional free-text field, whitespace-trimmed; numbers (INNs sent as numbers) allowed."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise BankPayloadError(f"{where}: expected text, got {type(value).__name__}")
    cleaned = " ".join(str(value).split())
    if len(cleaned) > _MAX_TEXT:
        raise BankPayloadError(f"{where}: text longer than {_MAX_TEXT} characters")
    return cleaned or None


_NUMBER_MARK = "\u0000num:"
_MARKED_NUMBER = re.compile(r'"\\u0000num:(-?[0-9]+(?:\.[0-9]+)?(?:E[+-]?[0-9]+)?)"')


def _mark_numbers(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{_NUMBER_MARK}{value}"
    if isinstance(value, Mapping):
        return {key: _mark_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mark_numbers(item) for item in value]
    return value


def verbatim(record: Mapping[str, Any]) -> str:
    """The record as the bank sent it (canonical JSON), kept in StatementLine.raw for disputes.

    Numbers were decoded as Decimal; they are written back as the same JSON numbers, not as
    strings and never through float.
    """
    text = json.dumps(_mark_numbers(record), ensure_ascii=False, sort_keys=True)
    return _MARKED_NUMBER.sub(lambda match: match.group(1), text)


def put(details: dict[str, str], key: str, value: str | None) -> None:
    """Set a details key only when there is something to say."""
    if value:
        details[key] = value
