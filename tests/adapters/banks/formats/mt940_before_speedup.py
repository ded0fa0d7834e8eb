"""The MT940 readers as they were before the speed work of 2026-12-07, kept as a test oracle.

``test_mt940_speedup.py`` holds the fast readers to these on the corpus, on generated files and on
mutated input: the speed work was to change no result, and this is where that stays checked. Only
the replaced pieces are here (grouping lines into messages, sorting a message's fields, ``:61:``,
``:86:``, building the line);
everything else the oracle shares with the production modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from adapters.banks.base import ParseError, StatementLine
from adapters.banks.formats.mt940 import _FLOOR_LIMIT, _KNOWN_TAGS, _TOTALS, _Entry, _MessageFields, _text
from adapters.banks.formats.mt940_fields import (
    MARK_SIGN,
    StatementLineField,
    entry_date_near,
    parse_amount,
    parse_balance,
    parse_yymmdd,
)
from adapters.banks.formats.mt940_lexer import Field, Message
from adapters.banks.formats.statement_line import new_statement_line

# --- grouping lines into messages ---------------------------------------------------------------

_TAG = re.compile(r":([0-9]{2}[A-Z]?|NS):")
_CONTROL_EDGES = "\x01\x02\x03\x04\x1a\ufeff"


def _strip_envelope(line: str) -> tuple[str, bool]:
    line = line.strip(_CONTROL_EDGES)
    if line.startswith("{"):
        at = line.find("{4:")
        if at < 0:
            return "", False
        line = line[at + 3 :]
    if line.startswith("-}"):
        return "", True
    return line, False


def _is_terminator(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith("-") and len(stripped) <= 4 and not stripped.startswith("--")


def _starts_message_or_ends(lines: list[str], index: int) -> bool:
    for nxt in lines[index + 1 :]:
        probe = nxt.strip(_CONTROL_EDGES + " \t")
        if not probe:
            continue
        return probe.startswith("{") or _TAG.match(probe) is not None
    return True


def messages(lines: list[str]) -> list[Message]:
    found: list[Message] = []
    current: Message | None = None
    has_closing = False
    for index, raw_line in enumerate(lines):
        line_no = index + 1
        line = raw_line
        if not line.startswith(":"):
            line, block_end = _strip_envelope(raw_line)
            if block_end:
                current = None
                continue
        match = _TAG.match(line)
        if match is not None:
            tag = match.group(1)
            if tag == "20":
                current = Message(line_no=line_no)
                found.append(current)
                has_closing = False
            if current is None:
                continue
            current.fields.append(Field(tag, [line[match.end() :]], line_no))
            has_closing = has_closing or tag.startswith("62")
            continue
        if current is None or not current.fields:
            continue
        if _is_terminator(line) and (has_closing or _starts_message_or_ends(lines, index)):
            current = None
            continue
        current.fields[-1].lines.append(line)
    return found


# --- sorting a message's fields ------------------------------------------------------------------


def sort_fields(message: Message) -> _MessageFields:
    out = _MessageFields()
    entry: _Entry | None = None
    previous = ""
    for f in message.fields:
        tag = f.tag
        follows_entry = entry is not None and previous in {"61", "86", "NS"}
        if tag == "20":
            out.reference = _text(f) or None
        elif tag == "21":
            out.related_reference = _text(f) or None
        elif tag == "25":
            account = _text(f)
            if out.account is None:
                out.account = account or None
            elif account != out.account:
                out.warnings.append(f"line {f.line_no}: second :25: account {account[:40]!r} ignored")
        elif tag in {"28", "28C"}:
            out.number = _text(f) or None
        elif tag in {"60F", "60M", "62F", "62M", "64", "65"}:
            balance, problem = parse_balance(_text(f), f.line_no, tag)
            if problem:
                out.warnings.append(problem)
            if tag.startswith("60"):
                out.opening = out.opening or balance  # the first opening balance opens the statement
            elif tag.startswith("62"):
                out.closing = balance
            elif tag == "64":
                out.available = balance
            else:
                out.forward.append(balance)
        elif tag == "61":
            entry = _Entry(f)
            out.entries.append(entry)
        elif tag == "86" and follows_entry and entry is not None:
            entry.info.append(f)
        elif tag == "86":
            out.info.append("\n".join(ln.strip() for ln in f.lines if ln.strip()))
        elif tag == "NS":
            if follows_entry and entry is not None:
                entry.non_standard.append(f)
        elif tag == "34F":
            out.interim_tags = True
            floor = _FLOOR_LIMIT.fullmatch(_text(f))
            if floor is None:
                raise ParseError(f":34F: floor limit {_text(f)[:40]!r} is not <CCY>[C|D]<amount>", line=f.line_no)
            out.floor_currency = out.floor_currency or floor.group(1)
        elif tag in {"90D", "90C"}:
            out.interim_tags = True
            totals = _TOTALS.fullmatch(_text(f))
            if totals is None:
                raise ParseError(f":{tag}: totals {_text(f)[:40]!r} are not <count><CCY><amount>", line=f.line_no)
            out.totals[tag] = (int(totals.group(1)), totals.group(2), parse_amount(totals.group(3)))
        elif tag in {"13", "13D"}:
            out.interim_tags = True
        if tag not in _KNOWN_TAGS:
            out.warnings.append(f"line {f.line_no}: unknown tag :{tag}: ignored")
        previous = tag
    return out


# --- :61: -----------------------------------------------------------------------------------------

_STATEMENT_LINE = re.compile(
    r"(?P<value_date>[0-9]{6})"
    r"(?P<entry_date>[0-9]{4}| {4})?"
    r"(?P<mark>RC|RD|C|D)"
    r"(?P<funds>[A-Z])?"
    r"(?P<amount>[0-9]{1,18}(?:,[0-9]{0,6})?)"
    r"(?P<rest>.*)"
)
_TX_TYPE = re.compile(r"[A-Z][A-Z0-9 ]{3}")


def _split_references(rest: str) -> tuple[str | None, str | None, str | None]:
    customer, _, bank = rest.partition("//")
    extra: str | None = None
    if len(customer) > 16:
        padded = re.search(r" {2,}", customer)
        if padded is not None:
            customer, extra = customer[: padded.start()], customer[padded.end() :].strip() or None
    return customer.strip() or None, bank.strip() or None, extra


def parse_statement_line(lines: list[str], line_no: int) -> StatementLineField:
    first = lines[0].rstrip()
    match = _STATEMENT_LINE.match(first)
    if match is None:
        raise ParseError(
            f":61: statement line {first[:40]!r} is not <YYMMDD>[MMDD]<C|D|RC|RD>[funds]<amount>…", line=line_no
        )
    value_yymmdd, raw_entry, mark, funds, raw_amount, rest = match.groups()
    problems: list[str] = []
    value_date = parse_yymmdd(value_yymmdd)
    if value_date is None:
        problems.append(f"line {line_no}: :61: value date {value_yymmdd} is not a calendar date; left empty")
    entry_date = None
    if raw_entry and raw_entry != "    ":
        entry_date = entry_date_near(value_yymmdd, raw_entry)
        if entry_date is None:
            problems.append(f"line {line_no}: :61: entry date {raw_entry} is not a calendar date; left empty")
    amount = parse_amount(raw_amount) * MARK_SIGN[mark]
    tx_type: str | None = None
    if not rest.startswith("NONREF"):
        type_match = _TX_TYPE.match(rest)
        if type_match is not None:
            tx_type, rest = type_match.group(0).strip(), rest[4:]
    customer, bank, extra = _split_references(rest)
    continued = "".join([ln.strip() for ln in lines[1:]]) if len(lines) > 1 else ""
    supplementary = (f"{extra} {continued}" if continued else extra) if extra else (continued or None)
    return StatementLineField(
        value_date=value_date,
        entry_date=entry_date,
        mark=mark,
        funds_code=funds,
        amount=amount,
        transaction_type=tx_type or None,
        customer_reference=customer,
        bank_reference=bank,
        supplementary=supplementary,
        trailing_text=extra,
        date_problems=tuple(problems),
    )


# --- :86: -----------------------------------------------------------------------------------------

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
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    purpose: str | None = None
    details: dict[str, str] = field(default_factory=dict)


def _squash(text: str) -> str | None:
    return " ".join(text.split()) or None


def _german(code: str, separator: str, body: str) -> Information:
    info = Information(details={"gvc": code})
    subfields: dict[str, str] = {}
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
    pieces = _SLASH_FIELD.split(text)
    values: dict[str, str] = {}
    for code, value in zip(pieces[1::2], pieces[2::2], strict=True):
        if code not in values:
            values[code] = value.strip().strip("/").strip()
    for detail in ("EREF", "TRTP", "BIC", "MARF", "CSID", "PREF", "RTRN", "PURP", "ADDR"):
        if values.get(detail):
            info.details[detail.lower()] = values[detail]
    name = values.get("NAME") or None
    account = values.get("IBAN") or None
    if "CNTP" in values:
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


# --- the line -------------------------------------------------------------------------------------

_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}")


def _raw(f: Field) -> str:
    return "\n".join([f":{f.tag}:{f.lines[0]}", *f.lines[1:]])


def _bank_ref(customer: str | None, bank: str | None) -> str | None:
    for candidate in (bank, customer):
        if candidate and candidate.upper() != "NONREF":
            return candidate
    return None


def statement_line(
    line_field: Field, info: list[Field], non_standard: list[Field], currency: str, pending: bool
) -> tuple[StatementLine, tuple[str, ...]]:
    """One ``:61:`` with the ``:86:`` and ``:NS:`` fields that follow it → the line and its date problems."""
    parsed = parse_statement_line(line_field.lines, line_field.line_no)
    info_lines = info[0].lines if len(info) == 1 else [ln for f in info for ln in f.lines]
    information = parse_information(info_lines)
    details: dict[str, str] = {"mark": parsed.mark}
    for key, value in (
        ("transaction_type", parsed.transaction_type),
        ("funds_code", parsed.funds_code),
        ("customer_reference", parsed.customer_reference),
        ("bank_reference", parsed.bank_reference),
        ("supplementary", parsed.supplementary),
    ):
        if value:
            details[key] = value
    if info_lines:
        details["information"] = "\n".join([ln.rstrip() for ln in info_lines]).strip()
    if non_standard:
        details["non_standard"] = "\n".join([_raw(f) for f in non_standard])
    details.update(information.details)
    counterparty_name = information.counterparty_name or parsed.trailing_text
    counterparty_account = information.counterparty_account
    if counterparty_account is None and parsed.supplementary and _IBAN.fullmatch(parsed.supplementary):
        counterparty_account = parsed.supplementary
    line = new_statement_line(
        parsed.amount,
        currency,
        parsed.entry_date or parsed.value_date,
        parsed.value_date,
        _bank_ref(parsed.customer_reference, parsed.bank_reference),
        counterparty_name,
        counterparty_account,
        None,
        information.purpose,
        "pending" if pending else "booked",
        details,
        "\n".join([_raw(f) for f in (line_field, *info, *non_standard)]),
        line_field.line_no,
    )
    return line, parsed.date_problems
