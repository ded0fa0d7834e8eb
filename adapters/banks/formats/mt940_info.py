"""``:86:`` information to the account owner → counterparty name, account and purpose.

The field is free text by the standard, and each banking community structured it differently:

* German (DFÜ/ZKA) banks: ``GVC`` + separator + ``?NN`` subfields — ``?00`` booking text,
  ``?10`` primanota, ``?20``–``?29`` and ``?60``–``?63`` purpose, ``?30`` bank code, ``?31``
  account, ``?32``/``?33`` name, ``?34`` return code. Triodos uses ``>`` instead of ``?``.
  SEPA purpose lines further carry ``EREF+``, ``MREF+``, ``SVWZ+`` … keywords.
* Dutch banks (ABN AMRO, ING, Rabobank, Bunq): ``/CODE/value`` pairs — ``/NAME/``, ``/IBAN/``,
  ``/REMI/``, ``/EREF/``, ``/ORDP/``, ``/BENM/``, ING's ``/CNTP/account/bic/name/city/``.
* Everyone else: prose, sometimes starting with the counterparty IBAN and name (SNS, ASN).

Lines of structured text are wrapped at a fixed width, mid-word, so they are joined without a
separator; prose lines are joined with a space.

Speed: this runs once per entry, so each layout is read with one ``re.split`` into a dict and
the detail keys are written straight into the caller's ``details`` (no intermediate object);
``docs/formats/mt940.md`` ("Speed") has the measurements.
"""

from __future__ import annotations

import re
from typing import TypeAlias

_GERMAN = re.compile(r"([0-9]{3})([?>])")
_SUBFIELD_SPLIT = {sep: re.compile(rf"{re.escape(sep)}([0-9]{{2}})") for sep in "?>"}
_SEPA_KEYS = ("EREF", "KREF", "MREF", "CRED", "DEBT", "SVWZ", "ABWA", "ABWE", "COAM", "OAMT")
_SEPA_KEY = re.compile(rf"({'|'.join(_SEPA_KEYS)})\+")
_SEPA_DETAIL = {key: f"sepa_{key.lower()}" for key in _SEPA_KEYS}
_SLASH_CODES = (
    "TRTP|IBAN|BIC|NAME|REMI|EREF|ORDP|BENM|ADDR|ISDT|CNTP|MARF|CSID|PREF|RTRN|PURP|ULTC|ULTD|"
    "ULTB|ORDR|BUSP|SVCL|OCMT|CHGS|EXCH|CDTRREFTP|CDTRREF|CD|SUM|ID|ACCW|RTYP"
)
_SLASH_FIELD = re.compile(rf"/({_SLASH_CODES})/")
_SLASH_START = re.compile(rf"/(?:{_SLASH_CODES})/")
# Slash codes kept in details, in the order they are written there.
_SLASH_DETAILS = tuple(
    (code, code.lower()) for code in ("EREF", "TRTP", "BIC", "MARF", "CSID", "PREF", "RTRN", "PURP", "ADDR")
)
_LEADING_IBAN = re.compile(r"([A-Z]{2}[0-9]{2}[A-Z0-9]{10,30})\s+(\S.*)")
_PURPOSE_KEYS = frozenset(f"{n:02d}" for n in (*range(20, 30), *range(60, 64)))
_REMI_PREFIX = re.compile(r"^(?:USTD//|STRD/CUR/|USTD/|STRD/)")
_GERMAN_DETAILS = (("00", "booking_text"), ("10", "primanota"), ("30", "counterparty_bank_code"), ("34", "return_code"))

Information: TypeAlias = tuple[str | None, str | None, str | None]
"""Counterparty name, counterparty account, purpose (a plain tuple: one is made per entry)."""

_NOTHING: Information = (None, None, None)


def _squash(text: str) -> str | None:
    return " ".join(text.split()) or None


def _german(code: str, separator: str, body: str, details: dict[str, str]) -> Information:
    details["gvc"] = code
    # A separator not followed by two digits is text ("Rechnung?"), so split on separator+digits only.
    pieces = _SUBFIELD_SPLIT[separator].split(body)  # [before, key, value, key, value, …]
    keys, values = pieces[1::2], pieces[2::2]
    subfields = dict(zip(keys, values, strict=True))
    if len(subfields) != len(keys):  # a repeated subfield continues its text
        subfields = {}
        for key, value in zip(keys, values, strict=True):
            subfields[key] = subfields.get(key, "") + value
    get = subfields.get
    for key, detail in _GERMAN_DETAILS:
        found = get(key)
        if found and (found := found.strip()):
            details[detail] = found
    purpose = "".join([subfields[key] for key in sorted(_PURPOSE_KEYS.intersection(subfields))])
    name = " ".join((get("32", "") + get("33", "")).split()) or None
    account = " ".join(get("31", "").split()) or None
    return name, account, _sepa_purpose(purpose, details)


def _sepa_purpose(purpose: str, details: dict[str, str]) -> str | None:
    """Pull ``EREF+``/``MREF+``/… keywords into details; the purpose proper is ``SVWZ+`` when present."""
    pieces = _SEPA_KEY.split(purpose)  # [before, key, value, key, value, …]
    if len(pieces) == 1:
        return " ".join(purpose.split()) or None
    svwz = None
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        if squashed := " ".join(value.split()):
            details[_SEPA_DETAIL[key]] = squashed
            if key == "SVWZ":
                svwz = squashed
    return svwz or " ".join(pieces[0].split()) or _squash(purpose)


def _slash_value(raw: str | None) -> str | None:
    """A ``/CODE/`` value without the blanks and slashes around it; nothing left means no value."""
    return (raw.strip().strip("/").strip() or None) if raw is not None else None


def _slash_coded(text: str, details: dict[str, str]) -> Information:
    pieces = _SLASH_FIELD.split(text)  # [before, code, value, code, value, …]
    # Backwards, so that the first value of a repeated code is the one that stays.
    values = dict(zip(pieces[-2:0:-2], pieces[-1:1:-2], strict=True))
    get = values.get
    for code, key in _SLASH_DETAILS:
        if (found := get(code)) is not None and (found := found.strip().strip("/").strip()):
            details[key] = found
    name = _slash_value(get("NAME"))
    account = _slash_value(get("IBAN"))
    cntp = _slash_value(get("CNTP"))
    if cntp is not None:  # ING: /CNTP/account/bic/name/city/
        parts = cntp.split("/")
        account = account or (parts[0].strip() or None)
        if len(parts) > 2:
            name = name or (parts[2].strip() or None)
    remittance = _slash_value(get("REMI"))
    purpose = _squash(_REMI_PREFIX.sub("", remittance)) if remittance else _squash(text)
    return _squash(name or ""), _squash(account or ""), purpose


def parse_information(lines: list[str], details: dict[str, str]) -> Information:
    """Interpret one ``:86:`` field (its value lines, continuations included).

    Returns counterparty name, counterparty account and purpose; facts worth keeping beyond
    those (the GVC, SEPA keywords, slash codes) are added to ``details``.
    """
    if not lines:
        return _NOTHING
    joined = lines[0] if len(lines) == 1 else "".join(lines)
    german = _GERMAN.match(joined)
    if german is not None:
        return _german(german.group(1), german.group(2), joined[3:], details)
    stripped = joined.strip()
    if _SLASH_START.match(stripped):
        return _slash_coded(stripped, details)
    prose = [ln.strip() for ln in lines if ln.strip()]
    name = account = None
    if prose:
        leading = _LEADING_IBAN.fullmatch(prose[0])
        if leading is not None:
            account = leading.group(1)
            name = _squash(leading.group(2))
    return name, account, _squash(" ".join(prose))
