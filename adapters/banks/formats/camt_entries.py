"""One CAMT ``<Ntry>`` → one or more :class:`StatementLine` (the reconciliation view of an entry).

Why lines and not entries: a batch entry (one ``Ntry`` with several ``TxDtls``) books many
payments as one amount; a matcher needs each payment with its own amount, payer and reference.
So a batch is split into one line per ``TxDtls`` *when every transaction carries an amount in
the entry's currency and they add up exactly to the entry*; otherwise the entry stays one line.
The statement's balance arithmetic is the same either way.

Speed: lxml's ``find`` with a multi-step path runs Python-level ElementPath code (several µs a
call), and an entry needs some thirty look-ups. So each entry is walked once into a
:data:`Flat` map (local-name path → texts) and every look-up after that is a dict access.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from lxml import etree

from adapters.banks.base import LineStatus, ParseError, StatementLine
from adapters.banks.formats.statement_line import new_statement_line

# Disputes need the record verbatim, but one entry with thousands of TxDtls must not balloon
# memory: beyond this the raw text is cut (and says so).
RAW_LIMIT_CHARS = 16 * 1024

# ISO 20022 ActiveOrHistoricCurrencyAndAmount: up to 18 digits, at most 5 after the point.
AMOUNT = re.compile(r"\d{1,18}(?:\.\d{0,5})?|\.\d{1,5}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# Schemes under which an organisation's or person's tax number is carried. TXID is the ISO
# external code; the others are what banks put in SchmeNm/Prtry when they improvise.
TAX_SCHEMES = frozenset({"TXID", "INN", "TAX", "TAXID", "VAT", "VATID"})
# Placeholder references that carry no information (ISO uses NOTPROVIDED for a missing E2E id).
_EMPTY_REFS = frozenset({"NOTPROVIDED", "NONREF", "NONE", "N/A"})

# Subtrees nothing here reads; skipping them saves most of the walk on verbose banks' files.
SKIPPED = frozenset(
    {"PstlAdr", "Chrgs", "Tax", "RltdDts", "RltdPric", "RltdQties", "FinInstrmId", "SplmtryData",
     "CorpActn", "SfkpgAcct", "CshDpst", "CardTx", "Intrst", "CtctDtls"}
)  # fmt: skip

# Local-name path below an element ("RltdPties/Dbtr/Nm") → texts of the leaves at that path, in
# document order. An amount leaf also gets "<path>@Ccy". The tree walk fills lists, the fast
# reader's compiled shapes tuples; readers of a Flat only look values up.
Flat = Mapping[str, Sequence[str]]


class Names:
    """Namespace-qualified element paths for one message namespace, cached (header reading)."""

    __slots__ = ("_cache", "ns")

    def __init__(self, ns: str) -> None:
        self.ns = ns
        self._cache: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        try:
            return self._cache[path]
        except KeyError:
            qualified = "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))
            self._cache[path] = qualified
            return qualified


def text(elem: etree._Element | None, path: str, q: Names) -> str | None:
    """Stripped text at ``path`` below ``elem``; None when absent or blank."""
    if elem is None:
        return None
    value = elem.findtext(q(path))
    if value is None:
        return None
    value = value.strip()
    return value or None


def where(elem: etree._Element) -> int | None:
    """The source line of an element, when libxml2 knows it."""
    line: object = elem.sourceline  # lxml-stubs type this oddly; it is an int or None
    return line if isinstance(line, int) and line > 0 else None


def flatten(elem: etree._Element, strip: int, batch: list[etree._Element] | None = None) -> Flat:
    """Walk ``elem`` once into a :data:`Flat` map; ``strip`` is the length of ``{namespace}``.

    With ``batch`` given, the ``NtryDtls/TxDtls`` elements are collected there instead of being
    merged into the map, so each transaction can be read on its own.
    """
    out: dict[str, list[str]] = {}

    def walk(parent: etree._Element, prefix: str) -> None:
        for child in parent:
            tag = child.tag
            if type(tag) is not str:
                continue
            name = tag[strip:]
            if len(child):
                if name in SKIPPED:
                    continue
                if batch is not None and name == "TxDtls" and prefix == "NtryDtls/":
                    batch.append(child)
                    continue
                walk(child, prefix + name + "/")
                continue
            path = prefix + name
            value = child.text
            if value is not None:
                found = out.get(path)
                if found is None:
                    out[path] = [value]
                else:
                    found.append(value)
            if name.endswith("Amt"):
                ccy = child.get("Ccy")
                if ccy is not None:
                    out.setdefault(path + "@Ccy", []).append(ccy)

    walk(elem, "")
    return out


class Fields:
    """The leaf texts of an entry (or of one transaction): the first of each path, and all of them.

    Reading an entry asks for some sixty single values and a few lists; ``first`` answers the
    former with one dict look-up each (most paths asked for are absent). ``many`` holds every
    path whose texts are not simply its first one: all paths for a tree walk (texts may be
    blank or padded there), only the repeated ones for a compiled shape that takes tidy texts
    only (there a single text *is* its stripped first one, so no second map is built per entry).
    """

    __slots__ = ("first", "many")

    def __init__(self, first: dict[str, str], many: Flat) -> None:
        self.first = first  # path → the first non-blank text, stripped (absent when there is none)
        self.many = many

    def texts(self, path: str) -> Sequence[str]:
        """Every text at ``path``, in document order (as :func:`flatten` collects them)."""
        found = self.many.get(path)
        if found is not None:
            return found
        one = self.first.get(path)
        return () if one is None else (one,)


def fields_of(flat: Flat) -> Fields:
    """:class:`Fields` of a Flat whose texts may be blank or padded."""
    firsts: dict[str, str] = {}
    for path, values in flat.items():
        for value in values:
            value = value.strip()
            if value:
                firsts[path] = value
                break
    return Fields(firsts, flat)


def parse_amount(raw: str | None, *, element: str, line: int | None) -> Decimal:
    """An ISO amount as an exact Decimal; anything else (signs, exponents, NaN) is refused."""
    if raw is None:
        raise ParseError("amount is missing", element=element, line=line)
    raw = raw.strip()
    if not AMOUNT.fullmatch(raw):
        raise ParseError(f"amount {raw[:40]!r} is not a plain decimal", element=element, line=line)
    try:
        return Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise ParseError(f"amount {raw[:40]!r} is not a decimal", element=element, line=line) from None


def signed(sign: int, amount: Decimal) -> Decimal:
    """``sign * amount`` for a sign of ±1, without turning the int into a Decimal first.

    ``copy_negate`` flips only the sign, exactly as multiplying by -1 does (a zero becomes
    ``-0.00``, where unary minus would give ``0.00``); the amounts are exact, so nothing rounds.
    """
    return amount if sign > 0 else amount.copy_negate()


def parse_date(raw: str | None, *, element: str, line: int | None) -> date | None:
    """The calendar date of an ISO date or date-time (``2024-03-14``, ``…T10:00:00+02:00``).

    The date is taken as written, without converting time zones: a bank's booking date is the
    date in the bank's own books.
    """
    if raw is None:
        return None
    known = _KNOWN_DATES.get(raw)
    if known is not None:
        return known
    match = _ISO_DATE.match(raw.strip())
    if match is None:
        raise ParseError(f"date {raw[:40]!r} is not an ISO date", element=element, line=line)
    try:
        value = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ParseError(f"date {raw[:40]!r} does not exist", element=element, line=line) from None
    if len(_KNOWN_DATES) < _KNOWN_DATES_LIMIT:
        _KNOWN_DATES[raw] = value
    return value


# A statement repeats a few dozen dates over thousands of entries: a text read once as a valid
# date is not read again (errors are never remembered: they name the element and line).
_KNOWN_DATES: dict[str, date] = {}
_KNOWN_DATES_LIMIT = 4096


# The date of a text parse_date has already read, else None (then call parse_date): lets a
# caller skip formatting the element path an error would name, on the common path.
cached_date = _KNOWN_DATES.get


def direction(raw: str | None, *, element: str, line: int | None, default: int | None = None) -> int:
    """+1 for CRDT, -1 for DBIT."""
    if raw == "CRDT":
        return 1
    if raw == "DBIT":
        return -1
    if raw is None and default is not None:
        return default
    shown = "missing" if raw is None else repr(raw[:20])
    raise ParseError(f"credit/debit indicator is {shown} (expected CRDT or DBIT)", element=element, line=line)


def currency_code(raw: str | None) -> str | None:
    """A currency attribute, when it looks like an ISO 4217 code."""
    if raw is None:
        return None
    ccy = raw.strip().upper()
    return ccy if _CURRENCY.fullmatch(ccy) else None


def status_of(fields: Fields) -> tuple[LineStatus, str | None]:
    """(line status, ISO code). Handles ``<Sts>BOOK</Sts>`` and v08+ ``<Sts><Cd>BOOK</Cd></Sts>``.

    A missing status means booked (statements list booked entries). Anything but BOOK (PDNG,
    INFO, FUTR, …) is not on the account's books yet and so must not count toward balances.
    """
    get = fields.first.get
    code = get("Sts") or get("Sts/Cd") or get("Sts/Prtry")
    if code is None:
        return "booked", None
    return ("booked" if code.upper() == "BOOK" else "pending"), code


class Party(NamedTuple):
    """The other side of a payment, as far as the file tells.

    A named tuple, not a frozen dataclass: two are built per line, and a frozen dataclass's
    ``__init__`` sets each field through ``object.__setattr__``.
    """

    name: str | None = None
    account: str | None = None
    tax_id: str | None = None
    bic: str | None = None
    bank_name: str | None = None
    bank_clearing_id: str | None = None


ACCOUNT_IDS = ("Id/IBAN", "Id/Othr/Id", "Id/PrtryAcct/Id", "Id/BBAN", "Id/UPIC")


def account_id(acct: etree._Element | None, q: Names) -> str | None:
    """IBAN, else the other identification (``Othr/Id``, v01 ``PrtryAcct/Id``, BBAN, UPIC)."""
    if acct is None:
        return None
    for path in ACCOUNT_IDS:
        value = text(acct, path, q)
        if value is not None:
            return value
    return None


def _flat_account(firsts: dict[str, str], paths: tuple[str, ...]) -> str | None:
    for path in paths:
        value = firsts.get(path)
        if value is not None:
            return value
    return None


def _tax_id_paths(prefix: str) -> tuple[tuple[str, str, str], ...]:
    """(ids, scheme codes, proprietary schemes) paths of the identifiers below ``prefix``."""
    return tuple(
        (f"{prefix}Id/{kind}/Othr/Id", f"{prefix}Id/{kind}/Othr/SchmeNm/Cd", f"{prefix}Id/{kind}/Othr/SchmeNm/Prtry")
        for kind in ("OrgId", "PrvtId")
    )


def is_tax_scheme(scheme: str) -> bool:
    """Whether an identifier's scheme (code or proprietary) marks it as a tax number."""
    return scheme.strip().upper() in TAX_SCHEMES


def _flat_tax_id(fields: Fields, paths: tuple[tuple[str, str, str], ...]) -> str | None:
    texts = fields.texts
    first = fields.first
    for ids_path, codes_path, proprietary_path in paths:
        # Without a first (non-blank) id there is nothing to return: skip the lists.
        if ids_path not in first:
            continue
        ids = texts(ids_path)
        schemes = texts(codes_path) or texts(proprietary_path)
        # Several Othr identifiers pair with their schemes by position only when each has one.
        if schemes and len(schemes) == len(ids):
            for value, scheme in zip(ids, schemes, strict=True):
                if is_tax_scheme(scheme) and value.strip():
                    return value.strip()
    return None


@dataclass(frozen=True, slots=True)
class _PartyPaths:
    """Every path :func:`party_of` reads for one role, spelled out once."""

    name: str
    wrapped_name: str
    tax_ids: tuple[tuple[str, str, str], ...]
    wrapped_tax_ids: tuple[tuple[str, str, str], ...]
    accounts: tuple[str, ...]
    clearing_system: str
    clearing_member: str
    bic: str
    bic_v01: str
    bank_name: str


def _party_paths(role: str) -> _PartyPaths:
    agent = f"RltdAgts/{role}Agt/FinInstnId/"
    return _PartyPaths(
        name=f"RltdPties/{role}/Nm",
        wrapped_name=f"RltdPties/{role}/Pty/Nm",
        tax_ids=_tax_id_paths(f"RltdPties/{role}/"),
        wrapped_tax_ids=_tax_id_paths(f"RltdPties/{role}/Pty/"),
        accounts=tuple(f"RltdPties/{role}Acct/{path}" for path in ACCOUNT_IDS),
        clearing_system=agent + "ClrSysMmbId/ClrSysId/Cd",
        clearing_member=agent + "ClrSysMmbId/MmbId",
        bic=agent + "BICFI",
        bic_v01=agent + "BIC",
        bank_name=agent + "Nm",
    )


PARTY_PATHS = {role: _party_paths(role) for role in ("Dbtr", "Cdtr")}


def party_of(tx: Fields, role: str) -> Party | None:
    """The party in ``RltdPties/<role>`` (Dbtr or Cdtr) with its account and agent."""
    paths = PARTY_PATHS[role]
    get = tx.first.get
    # camt v08+ wraps the party in a Party40Choice: <Dbtr><Pty>…</Pty></Dbtr>.
    tax_paths = paths.tax_ids
    name = get(paths.name)
    if name is None and tx.texts(paths.wrapped_name):
        tax_paths = paths.wrapped_tax_ids
        name = get(paths.wrapped_name)
    tax_id = _flat_tax_id(tx, tax_paths)
    if tax_id is None and tax_paths is not paths.wrapped_tax_ids:
        tax_id = _flat_tax_id(tx, paths.wrapped_tax_ids)
    account = _flat_account(tx.first, paths.accounts)
    if name is None and account is None and tax_id is None:
        return None
    clearing: str | None = None
    clr_system = get(paths.clearing_system)
    # Russian banks identify themselves by BIK through the RUCBC clearing system.
    if clr_system is not None and clr_system.upper() == "RUCBC":
        clearing = get(paths.clearing_member)
    # Positional, in Party's field order (keywords cost more, twice a line).
    return Party(name, account, tax_id, get(paths.bic) or get(paths.bic_v01), get(paths.bank_name), clearing)


def purpose_of(fields: Fields | None) -> str | None:
    """Unstructured remittance lines joined by a space; else structured references."""
    if fields is None:
        return None
    texts = fields.texts
    lines = [t.strip() for t in texts("RmtInf/Ustrd") if t.strip()]
    if lines:
        return " ".join(lines)
    refs = [
        t.strip()
        for path in ("RmtInf/Strd/CdtrRefInf/Ref", "RmtInf/Strd/RfrdDocInf/Nb", "RmtInf/Strd/AddtlRmtInf")
        for t in texts(path)
        if t.strip()
    ]
    return " ".join(refs) or None


def useful_ref(value: str | None) -> str | None:
    if value is None or value.upper() in _EMPTY_REFS:
        return None
    return value


def bank_tx_code(entry: Fields) -> str | None:
    """ISO bank transaction code as ``Domain/Family/SubFamily`` (e.g. ``PMNT/RCDT/ESCT``)."""
    get = entry.first.get
    domain = get("BkTxCd/Domn/Cd")
    if domain is None:
        return None
    # First texts are never empty, so a present part is a part to join.
    family = get("BkTxCd/Domn/Fmly/Cd")
    if family is not None:
        domain += "/" + family
    sub = get("BkTxCd/Domn/Fmly/SubFmlyCd")
    if sub is not None:
        domain += "/" + sub
    return domain


def raw_xml(elem: etree._Element) -> str:
    """The element serialised (bounded), for disputes."""
    return bounded_raw(etree.tostring(elem, encoding="unicode", with_tail=False))


def bounded_raw(raw: str) -> str:
    """A serialised entry, cut (saying so) beyond :data:`RAW_LIMIT_CHARS`."""
    if len(raw) > RAW_LIMIT_CHARS:
        return raw[:RAW_LIMIT_CHARS] + "<!-- truncated -->"
    return raw


def _tx_amount(tx: Fields, entry_ccy: str | None, entry_sign: int, *, element: str, line: int | None) -> Decimal | None:
    """A transaction's signed amount in the entry's currency, or None when it has none."""
    get = tx.first.get
    for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/CntrValAmt/Amt"):
        raw = get(path)
        if raw is None or (entry_ccy is not None and currency_code(get(path + "@Ccy")) != entry_ccy):
            continue
        sign = direction(get("CdtDbtInd"), element=f"{element}/CdtDbtInd", line=line, default=entry_sign)
        return signed(sign, parse_amount(raw, element=f"{element}/{path}", line=line))
    return None


# Entry-level facts copied into every line's details: key → path below Ntry.
ENTRY_DETAILS = (
    ("entry_ref", "NtryRef"),
    ("acct_svcr_ref", "AcctSvcrRef"),
    ("bank_tx_code_proprietary", "BkTxCd/Prtry/Cd"),
    ("additional_entry_info", "AddtlNtryInf"),
    ("batch_message_id", "NtryDtls/Btch/MsgId"),
    ("batch_payment_info_id", "NtryDtls/Btch/PmtInfId"),
    ("batch_tx_count", "NtryDtls/Btch/NbOfTxs"),
)
# Transaction-level facts: key → path below TxDtls.
TX_DETAILS = (
    ("end_to_end_id", "Refs/EndToEndId"),
    ("instruction_id", "Refs/InstrId"),
    ("tx_id", "Refs/TxId"),
    ("mandate_id", "Refs/MndtId"),
    ("tx_acct_svcr_ref", "Refs/AcctSvcrRef"),
    ("return_reason", "RtrInf/Rsn/Cd"),
    ("additional_tx_info", "AddtlTxInf"),
    ("ultimate_debtor", "RltdPties/UltmtDbtr/Nm"),
    ("ultimate_creditor", "RltdPties/UltmtCdtr/Nm"),
    ("creditor_reference", "RmtInf/Strd/CdtrRefInf/Ref"),
)


def entry_lines(
    ntry: etree._Element, strip: int, *, element: str, own_account: str | None = None
) -> list[StatementLine]:
    """The statement lines of one ``<Ntry>`` element (see the module docstring for batches).

    ``strip`` is the length of the ``{namespace}`` prefix of tags; ``own_account`` (the
    statement's account) keeps the account holder from being reported as its own counterparty.
    """
    tx_elems: list[etree._Element] = []
    entry = fields_of(flatten(ntry, strip, tx_elems))
    return lines_of_entry(
        entry,
        [fields_of(flatten(tx, strip)) for tx in tx_elems],
        [where(tx) for tx in tx_elems],
        raw_xml(ntry),
        where(ntry),
        element=element,
        own_account=own_account,
    )


def lines_of_entry(
    entry: Fields,
    txs: list[Fields],
    tx_lines: list[int | None],
    raw: str,
    line_no: int | None,
    *,
    element: str,
    own_account: str | None = None,
) -> list[StatementLine]:
    """The statement lines of one entry, from its flattened fields, whichever reader found them.

    ``entry`` holds the fields below ``Ntry`` except its ``NtryDtls/TxDtls``, which are in
    ``txs`` (their source lines in ``tx_lines``); ``raw`` is the serialised entry.
    """
    get = entry.first.get
    sign = direction(get("CdtDbtInd"), element=f"{element}/CdtDbtInd", line=line_no)
    amount = signed(sign, parse_amount(get("Amt"), element=f"{element}/Amt", line=line_no))
    currency = currency_code(get("Amt@Ccy"))
    reversal = (get("RvslInd") or "").lower() in {"true", "1"}
    status, status_code = status_of(entry)
    booking_date = parse_date(get("BookgDt/Dt") or get("BookgDt/DtTm"), element=f"{element}/BookgDt", line=line_no)
    value_date = parse_date(get("ValDt/Dt") or get("ValDt/DtTm"), element=f"{element}/ValDt", line=line_no)
    entry_ref = useful_ref(get("AcctSvcrRef")) or useful_ref(get("NtryRef"))

    common: dict[str, str] = {}
    if status_code is not None:
        common["entry_status"] = status_code
    if reversal:
        common["reversal"] = "true"
    for key, path in ENTRY_DETAILS:
        value = get(path)
        if value is not None:
            common[key] = value
    code = bank_tx_code(entry)
    if code is not None:
        common["bank_tx_code"] = code

    split: list[Decimal] | None = None
    if len(txs) > 1:
        split = []
        for index, (tx, tx_line) in enumerate(zip(txs, tx_lines, strict=True), start=1):
            tx_amount = _tx_amount(tx, currency, sign, element=f"{element}/NtryDtls/TxDtls[{index}]", line=tx_line)
            if tx_amount is None:
                split = None
                break
            split.append(tx_amount)
        if split is not None and sum(split, Decimal(0)) != amount:
            split = None
    if split is None:
        # One line for the entry: party data only when it is unambiguous (a single TxDtls).
        single = txs[0] if len(txs) == 1 else None
        details = common
        purpose = purpose_of(single)
        if len(txs) > 1:
            details["tx_count"] = str(len(txs))
            purpose = " | ".join(dict.fromkeys(p for p in map(purpose_of, txs) if p)) or None
        return [
            _line(
                amount=amount, currency=currency, tx=single, sign=sign, reversal=reversal,
                status=status, booking_date=booking_date, value_date=value_date, bank_ref=entry_ref,
                purpose=purpose or get("AddtlNtryInf"), details=details, raw=raw,
                source_line=line_no, own_account=own_account,
            )
        ]  # fmt: skip
    lines: list[StatementLine] = []
    # Each payment needs its own reference (the importer deduplicates on it): the bank's
    # per-transaction references when every transaction has a distinct one, else the entry's
    # reference with the position in the batch.
    own_refs = [useful_ref(tx.first.get("Refs/AcctSvcrRef")) for tx in txs]
    distinct = None not in own_refs and len(set(own_refs)) == len(own_refs) and entry_ref not in own_refs
    base = entry_ref or useful_ref(txs[0].first.get("Refs/EndToEndId"))
    for index, (tx, tx_amount) in enumerate(zip(txs, split, strict=True), start=1):
        details = dict(common)
        details["batch_index"] = str(index)
        details["batch_size"] = str(len(txs))
        ref = own_refs[index - 1] if distinct else (f"{base}/{index}" if base else None)
        lines.append(
            _line(
                amount=tx_amount, currency=currency, tx=tx, sign=-1 if tx_amount < 0 else 1,
                reversal=reversal, status=status, booking_date=booking_date, value_date=value_date,
                bank_ref=ref, purpose=purpose_of(tx), details=details, raw=raw,
                source_line=tx_lines[index - 1] or line_no, own_account=own_account,
            )
        )  # fmt: skip
    return lines


def _line(
    *,
    amount: Decimal,
    currency: str | None,
    tx: Fields | None,
    sign: int,
    reversal: bool,
    status: LineStatus,
    booking_date: date | None,
    value_date: date | None,
    bank_ref: str | None,
    purpose: str | None,
    details: dict[str, str],
    raw: str,
    source_line: int | None,
    own_account: str | None,
) -> StatementLine:
    counterparty: Party | None = None
    if tx is not None:
        get = tx.first.get
        for key, path in TX_DETAILS:
            value = get(path)
            if value is not None:
                details[key] = value
        if bank_ref is None:
            bank_ref = useful_ref(get("Refs/AcctSvcrRef")) or useful_ref(get("Refs/EndToEndId"))
        payer = party_of(tx, "Dbtr")
        payee = party_of(tx, "Cdtr")
        fill_payment_order(details, "payer", payer)
        fill_payment_order(details, "payee", payee)
        # The counterparty is the other side of the *original* movement: the debtor of money
        # that came in, the creditor of money that went out. A reversal flips the booking
        # direction but keeps the parties of the payment it undoes.
        money_came_in = (sign > 0) != reversal
        expected, other = (payer, payee) if money_came_in else (payee, payer)
        # Some banks name only one party; use it unless it is the account holder itself.
        if expected is None and other is not None and (own_account is None or other.account != own_account):
            expected = other
        counterparty = expected
        if counterparty is not None and counterparty.bic:
            details["counterparty_bic"] = counterparty.bic
        if purpose is None:
            purpose = details.get("additional_tx_info")
    # Positional, in StatementLine's field order (see statement_line.new_statement_line).
    return new_statement_line(
        amount,
        currency or "",
        booking_date,
        value_date,
        bank_ref,
        counterparty.name if counterparty else None,
        counterparty.account if counterparty else None,
        counterparty.tax_id if counterparty else None,
        purpose,
        status,
        details,
        raw,
        source_line,
    )


# The payment-order keys of each side, in the order they are filled (it shows in ``details``).
ORDER_KEYS: dict[str, tuple[str, str, str, str, str]] = {
    side: (f"{side}_name", f"{side}_inn", f"{side}_account", f"{side}_bank_name", f"{side}_bank_bik")
    for side in ("payer", "payee")
}


def fill_payment_order(details: dict[str, str], side: str, party: Party | None) -> None:
    """Payment-order keys (see base.PAYMENTORDER_KEYS) from CAMT party data."""
    if party is None:
        return
    name, inn, account, bank_name, bank_bik = ORDER_KEYS[side]
    if party.name is not None:
        details[name] = party.name
    if party.tax_id is not None:
        details[inn] = party.tax_id
    if party.account is not None:
        details[account] = party.account
    if party.bank_name is not None:
        details[bank_name] = party.bank_name
    if party.bank_clearing_id is not None:
        details[bank_bik] = party.bank_clearing_id
