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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_GERMAN = re.compile(r"([0-9]{3})([?>])")
_SUBFIELD_SPLIT = {sep: re.compile(rf"{re.escape(sep)}([0-9]{{2}})") for sep in "?>"}
_SEPA_KEY = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|COAM|OAMT)\+")
_SLASH_CODES = (
    "TRTP|IBAN|BIC|NAME|REMI|EREF|ORDP|BENM|ADDR|ISDT|CNTP|MARF|CSID|PREF|RTRN|PURP|ULTC|ULTD|"
    "ULTB|ORDR|BUSP|SVCL|OCMT|CHGS|EXCH|CDTRREFTP|CDTRREF|CD|SUM|ID|ACCW|RTYP"
)
_SLASH_FIELD = re.compile(rf"/({_SLASH_CODES})/")
_SLASH_START = re.compile(rf"/(?:{_SLASH_CODES})/")
_LEADING_IBAN = re.compile(r"([A-Z]{2}[0-9]{2}[A-Z0-9]{10,30})\s+(\S.*)")
_PURPOSE_KEYS = frozenset(f"{n:02d}" for n in (*range(20, 30), *range(60, 64)))
_REMI_PREFIX = re.compile(r"^(?:USTD//|STRD/CUR/|USTD/|STRD/)")
_GERMAN_DETAIL_KEYS = {"00": "booking_text", "10": "primanota", "30": "counterparty_bank_code", "34": "return_code"}


@dataclass(slots=True)
class Information:
    """What a ``:86:`` field says about the counterparty and the payment."""

    counterparty_name: str | None = None
    counterparty_account: str | None = None
    purpose: str | None = None
    details: dict[str, str] = field(default_factory=dict)


def _squash(text: str) -> str | None:
    return " ".join(text.split()) or None


def _german(code: str, separator: str, body: str) -> Information:
    info = Information(details={"gvc": code})
    subfields: dict[str, str] = {}
    # A separator not followed by two digits is text ("Rechnung?"), so split on separator+digits only.
    pieces = _SUBFIELD_SPLIT[separator].split(body)
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        subfields[key] = subfields.get(key, "") + value
    for key, name in _GERMAN_DETAIL_KEYS.items():
        if key in subfields and (value := subfields[key].strip()):
            info.details[name] = value
    purpose = "".join(value for key, value in sorted(subfields.items()) if key in _PURPOSE_KEYS)
    info.purpose = _sepa_purpose(purpose, info.details)
    info.counterparty_name = _squash(subfields.get("32", "") + subfields.get("33", ""))
    info.counterparty_account = _squash(subfields.get("31", ""))
    return info


def _sepa_purpose(purpose: str, details: dict[str, str]) -> str | None:
    """Pull ``EREF+``/``MREF+``/… keywords into details; the purpose proper is ``SVWZ+`` when present."""
    keys = list(_SEPA_KEY.finditer(purpose))
    if not keys:
        return _squash(purpose)
    for index, key in enumerate(keys):
        end = keys[index + 1].start() if index + 1 < len(keys) else len(purpose)
        value = _squash(purpose[key.end() : end])
        if value is not None:
            details[f"sepa_{key.group(1).lower()}"] = value
    before = _squash(purpose[: keys[0].start()])
    return details.get("sepa_svwz") or before or _squash(purpose)


def _slash_coded(text: str) -> Information:
    info = Information()
    pieces = _SLASH_FIELD.split(text)  # [before, code, value, code, value, …]
    values: dict[str, str] = {}
    for code, value in zip(pieces[1::2], pieces[2::2], strict=True):
        if code not in values:
            values[code] = value.strip().strip("/").strip()
    for detail in ("EREF", "TRTP", "BIC", "MARF", "CSID", "PREF", "RTRN", "PURP", "ADDR"):
        if values.get(detail):
            info.details[detail.lower()] = values[detail]
    name = values.get("NAME") or None
    account = values.get("IBAN") or None
    if "CNTP" in values:  # ING: /CNTP/account/bic/name/city/
        parts = values["CNTP"].split("/")
        account = account or (parts[0].strip() or None)
        if len(parts) > 2:
            name = name or (parts[2].strip() or None)
    info.counterparty_name = _squash(name or "")
    info.counterparty_account = _squash(account or "")
    remittance = values.get("REMI")
    info.purpose = _squash(_REMI_PREFIX.sub("", remittance)) if remittance else _squash(text)
    return info


def parse_information(lines: list[str]) -> Information:
    """Interpret one ``:86:`` field (its value lines, continuations included)."""
    joined = "".join(lines)
    german = _GERMAN.match(joined)
    if german is not None:
        return _german(german.group(1), german.group(2), joined[3:])
    if _SLASH_START.match(joined.lstrip()):
        return _slash_coded(joined.strip())
    info = Information()
    prose = [ln.strip() for ln in lines if ln.strip()]
    if prose:
        leading = _LEADING_IBAN.fullmatch(prose[0])
        if leading is not None:
            info.counterparty_account = leading.group(1)
            info.counterparty_name = _squash(leading.group(2))
    info.purpose = _squash(" ".join(prose))
    return info
