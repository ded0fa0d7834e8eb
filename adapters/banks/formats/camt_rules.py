"""Per-shape line rules: one compiled entry shape's lines built straight from its regex groups.

Why: :func:`camt_entries.lines_of_entry` decides, for every entry, which of some sixty paths
are present (most are not), walks the party, tax-id and detail tables, and builds a
:class:`Fields` map first so it can ask. In a *tidy* compiled shape (see :mod:`camt_shapes`)
all of that is fixed by the shape: a path is present exactly when the shape has a group for
it, and every captured text is already its own stripped, non-blank first value. So the
decisions that depend only on which paths exist are taken once, when the shape is compiled,
and an entry's lines come from the match's groups by index. Only what depends on the values
(the debit/credit sign, placeholders, tax schemes, status codes, the counterparty's direction)
is decided per entry — with the same tests, in the same order, as ``lines_of_entry``.

A rule is made only where that holds without exception: tidy shapes with at most one
``TxDtls`` and an amount and an indicator on the entry. Every other shape (batches, which
need the split arithmetic, padded texts, entries missing what an error would name) keeps
``lines_of_entry``. Any value a rule cannot read (an unknown indicator, a malformed amount or
date) raises like ``lines_of_entry`` does, and the fast reader then leaves the document to
the streaming reader, which reports it. ``test_camt_rules.py`` holds each rule equal to
``lines_of_entry`` on the same groups; ``test_camt_fast.py`` holds the whole fast reader equal
to the streaming one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import itemgetter

from adapters.banks.base import LineStatus, StatementLine
from adapters.banks.formats.camt_entries import (
    AMOUNT,
    ENTRY_DETAILS,
    ORDER_KEYS,
    PARTY_PATHS,
    TAX_SCHEMES,
    TX_DETAILS,
    Party,
    cached_date,
    currency_code,
    direction,
    parse_amount,
    parse_date,
    useful_ref,
)
from adapters.banks.formats.statement_line import new_statement_line

# Path → the 0-based indexes of the match groups holding its texts, in document order (what
# camt_shapes' compiler records for the entry and for each separately read TxDtls).
GroupIndexes = Mapping[str, Sequence[int]]
Groups = Sequence[str]


def _first(paths: GroupIndexes, *candidates: str) -> int | None:
    """The group of the first of ``candidates`` present in the shape (``get(a) or get(b)``).

    In a tidy shape a present path's first text is never blank, so ``or`` stops at the first
    present one.
    """
    for path in candidates:
        found = paths.get(path)
        if found:
            return found[0]
    return None


def _all(paths: GroupIndexes, path: str) -> tuple[int, ...]:
    return tuple(paths.get(path, ()))


def _tax_pairs(paths: GroupIndexes, triples: tuple[tuple[str, str, str], ...]) -> tuple[tuple[int, int], ...]:
    """(id group, scheme group) pairs ``_flat_tax_id`` would test, in its order.

    It skips a kind without an id, takes the scheme codes else the proprietary schemes, and
    pairs ids with schemes only when their counts agree: all fixed by the shape.
    """
    pairs: list[tuple[int, int]] = []
    for ids_path, codes_path, proprietary_path in triples:
        ids = _all(paths, ids_path)
        if not ids:
            continue
        schemes = _all(paths, codes_path) or _all(paths, proprietary_path)
        if schemes and len(schemes) == len(ids):
            pairs.extend(zip(ids, schemes, strict=True))
    return tuple(pairs)


@dataclass(frozen=True, slots=True)
class _PartyRule:
    """What ``party_of`` reads for one role, resolved to groups for one shape."""

    name: int | None
    account: int | None
    tax_pairs: tuple[tuple[int, int], ...]
    clearing_system: int | None
    clearing_member: int | None
    bic: int | None
    bank_name: int | None
    keys: tuple[str, str, str, str, str]  # its side's payment-order keys (ORDER_KEYS)

    def party(self, g: Groups, details: dict[str, str]) -> Party | None:
        """``party_of`` for an entry of this shape, with ``fill_payment_order`` done in passing."""
        tax_id: str | None = None
        for id_group, scheme_group in self.tax_pairs:
            if g[scheme_group].upper() in TAX_SCHEMES:  # is_tax_scheme, for a tidy (stripped) text
                tax_id = g[id_group]
                break
        name = None if self.name is None else g[self.name]
        account = None if self.account is None else g[self.account]
        if name is None and account is None and tax_id is None:
            return None
        clearing: str | None = None
        if self.clearing_system is not None and g[self.clearing_system].upper() == "RUCBC":
            clearing = None if self.clearing_member is None else g[self.clearing_member]
        bank_name = None if self.bank_name is None else g[self.bank_name]
        name_key, inn_key, account_key, bank_name_key, bik_key = self.keys
        if name is not None:
            details[name_key] = name
        if tax_id is not None:
            details[inn_key] = tax_id
        if account is not None:
            details[account_key] = account
        if bank_name is not None:
            details[bank_name_key] = bank_name
        if clearing is not None:
            details[bik_key] = clearing
        return Party(name, account, tax_id, None if self.bic is None else g[self.bic], bank_name, clearing)


def _party_rule(paths: GroupIndexes, role: str) -> _PartyRule | None:
    spelled = PARTY_PATHS[role]
    tax_triples = spelled.tax_ids
    name = _first(paths, spelled.name)
    if name is None:
        # v08+ Party40Choice: the name (and then the ids first) below <Pty>.
        name = _first(paths, spelled.wrapped_name)
        if name is not None:
            tax_triples = spelled.wrapped_tax_ids
    pairs = _tax_pairs(paths, tax_triples)
    if tax_triples is not spelled.wrapped_tax_ids:
        pairs += _tax_pairs(paths, spelled.wrapped_tax_ids)
    account = _first(paths, *spelled.accounts)
    if name is None and account is None and not pairs:
        return None  # party_of finds no name, account or tax id: no party, whatever the texts
    return _PartyRule(
        name=name,
        account=account,
        tax_pairs=pairs,
        clearing_system=_first(paths, spelled.clearing_system),
        clearing_member=_first(paths, spelled.clearing_member),
        bic=_first(paths, spelled.bic, spelled.bic_v01),
        bank_name=_first(paths, spelled.bank_name),
        keys=ORDER_KEYS["payer" if role == "Dbtr" else "payee"],
    )


def _joiner(separator: str, indexes: tuple[int, ...]) -> Callable[[Groups], str] | None:
    """A function joining the texts at ``indexes`` (two or more; None for fewer), taken in C."""
    if len(indexes) < 2:
        return None
    pick = itemgetter(*indexes)
    join = separator.join
    return lambda g: join(pick(g))


# Where a transaction's own amount may be, in the order _tx_amount tries them.
_TX_AMOUNTS = ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/CntrValAmt/Amt")

# What every line of an entry shares (EntryRule.head): sign, amount, currency, reversal, status,
# booking and value dates, the entry's reference, and its details so far.
_Head = tuple[int, Decimal, "str | None", bool, LineStatus, "date | None", "date | None", "str | None", dict[str, str]]


@dataclass(frozen=True, slots=True)
class _TxRule:
    """One transaction's part of a line: details, reference, parties, purpose, own amount."""

    details: tuple[tuple[str, int], ...]
    acct_svcr_ref: int | None
    end_to_end_id: int | None
    payer: _PartyRule | None  # None where the shape has nothing of the party
    payee: _PartyRule | None
    purpose_groups: tuple[int, ...]  # the Ustrd lines, else the structured references
    purpose_joined: Callable[[Groups], str] | None  # … joined, when there are several
    additional_info: int | None
    amounts: tuple[tuple[str, int, int | None], ...]  # (path, amount group, currency group)
    indicator: int | None

    def purpose(self, g: Groups) -> str | None:
        """``purpose_of`` the transaction (tidy texts are stripped and never blank)."""
        if self.purpose_joined is not None:
            return self.purpose_joined(g)
        return g[self.purpose_groups[0]] if self.purpose_groups else None

    def finish(
        self,
        g: Groups,
        details: dict[str, str],
        sign: int,
        reversal: bool,
        bank_ref: str | None,
        purpose: str | None,
        own_account: str | None,
    ) -> tuple[str | None, str | None, str | None, str | None, str | None]:
        """What ``_line`` adds for a transaction: details filled in, and (reference,
        counterparty name, account, tax id, purpose)."""
        for key, index in self.details:
            details[key] = g[index]
        if bank_ref is None:
            bank_ref = (None if self.acct_svcr_ref is None else useful_ref(g[self.acct_svcr_ref])) or (
                None if self.end_to_end_id is None else useful_ref(g[self.end_to_end_id])
            )
        # Each fills its payment-order keys, the payer's first (as _line does).
        payer = None if self.payer is None else self.payer.party(g, details)
        payee = None if self.payee is None else self.payee.party(g, details)
        # The other side of the original movement (see camt_entries._line).
        expected, other = (payer, payee) if (sign > 0) != reversal else (payee, payer)
        if expected is None and other is not None and (own_account is None or other.account != own_account):
            expected = other
        if purpose is None and self.additional_info is not None:
            purpose = g[self.additional_info]
        if expected is None:
            return bank_ref, None, None, None, purpose
        if expected.bic:
            details["counterparty_bic"] = expected.bic
        return bank_ref, expected.name, expected.account, expected.tax_id, purpose

    def amount(
        self, g: Groups, entry_currency: str | None, entry_sign: int, element: str, line: int | None
    ) -> Decimal | None:
        """``_tx_amount``: the signed amount in the entry's currency, or None when it has none."""
        for path, amount_group, currency_group in self.amounts:
            if entry_currency is not None and (
                currency_group is None or currency_code(g[currency_group]) != entry_currency
            ):
                continue
            sign = direction(
                None if self.indicator is None else g[self.indicator],
                element=f"{element}/CdtDbtInd",
                line=line,
                default=entry_sign,
            )
            amount = parse_amount(g[amount_group], element=f"{element}/{path}", line=line)
            return amount if sign > 0 else amount.copy_negate()
        return None


def _tx_rule(paths: GroupIndexes) -> _TxRule:
    purpose = _all(paths, "RmtInf/Ustrd")
    if not purpose:
        purpose = tuple(
            index
            for path in ("RmtInf/Strd/CdtrRefInf/Ref", "RmtInf/Strd/RfrdDocInf/Nb", "RmtInf/Strd/AddtlRmtInf")
            for index in _all(paths, path)
        )
    amounts = tuple(
        (path, index, _first(paths, path + "@Ccy"))
        for path in _TX_AMOUNTS
        if (index := _first(paths, path)) is not None
    )
    return _TxRule(
        details=tuple((key, index) for key, path in TX_DETAILS if (index := _first(paths, path)) is not None),
        acct_svcr_ref=_first(paths, "Refs/AcctSvcrRef"),
        end_to_end_id=_first(paths, "Refs/EndToEndId"),
        payer=_party_rule(paths, "Dbtr"),
        payee=_party_rule(paths, "Cdtr"),
        purpose_groups=purpose,
        purpose_joined=_joiner(" ", purpose),
        additional_info=_first(paths, "AddtlTxInf"),
        amounts=amounts,
        indicator=_first(paths, "CdtDbtInd"),
    )


@dataclass(frozen=True, slots=True)
class _EntryRule:
    """The entry's own part, the same for each of its lines."""

    indicator: int
    amount: int
    currency: int | None
    reversal: int | None
    status: int | None
    booking_date: int | None
    value_date: int | None
    acct_svcr_ref: int | None
    entry_ref: int | None
    details: tuple[tuple[str, int], ...]
    bank_tx_code: tuple[int, ...]  # domain, then family and sub-family where present
    bank_tx_code_joined: Callable[[Groups], str] | None  # … joined by "/", when more than the domain
    info: int | None  # AddtlNtryInf

    def head(self, g: Groups, element: str, line_no: int | None) -> _Head:
        """The first half of ``lines_of_entry``, up to the transactions."""
        indicator = g[self.indicator]
        if indicator == "CRDT":
            sign = 1
        elif indicator == "DBIT":
            sign = -1
        else:
            sign = direction(indicator, element=f"{element}/CdtDbtInd", line=line_no)  # raises
        text = g[self.amount]
        if AMOUNT.fullmatch(text) is None:
            parse_amount(text, element=f"{element}/Amt", line=line_no)  # raises, naming the amount
        amount = Decimal(text)
        if sign < 0:
            amount = amount.copy_negate()  # as camt_entries.signed: a zero debit stays -0.00
        currency = None if self.currency is None else _currency(g[self.currency])
        reversal = self.reversal is not None and g[self.reversal].lower() in {"true", "1"}
        # parse_date, without formatting the element path an error would name for known dates.
        booking_date: date | None = None
        value_date: date | None = None
        if self.booking_date is not None:
            text = g[self.booking_date]
            booking_date = cached_date(text) or parse_date(text, element=f"{element}/BookgDt", line=line_no)
        if self.value_date is not None:
            text = g[self.value_date]
            value_date = cached_date(text) or parse_date(text, element=f"{element}/ValDt", line=line_no)
        entry_ref = (None if self.acct_svcr_ref is None else useful_ref(g[self.acct_svcr_ref])) or (
            None if self.entry_ref is None else useful_ref(g[self.entry_ref])
        )
        details: dict[str, str] = {}
        status: LineStatus = "booked"
        if self.status is not None:
            code = g[self.status]
            if code.upper() != "BOOK":
                status = "pending"
            details["entry_status"] = code
        if reversal:
            details["reversal"] = "true"
        for key, index in self.details:
            details[key] = g[index]
        if self.bank_tx_code_joined is not None:
            details["bank_tx_code"] = self.bank_tx_code_joined(g)
        elif self.bank_tx_code:
            details["bank_tx_code"] = g[self.bank_tx_code[0]]
        return sign, amount, currency, reversal, status, booking_date, value_date, entry_ref, details


def _currency(raw: str) -> str | None:
    """``currency_code``, remembered: a statement repeats one or two currency attributes."""
    known = _CURRENCIES.get(raw)
    if known is None:
        known = currency_code(raw)
        if known is not None and len(_CURRENCIES) < _CURRENCIES_LIMIT:
            _CURRENCIES[raw] = known
    return known


_CURRENCIES: dict[str, str] = {}
_CURRENCIES_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class LineRule:
    """``lines_of_entry`` for the entries of one tidy shape with at most one transaction."""

    entry: _EntryRule
    tx: _TxRule | None

    def line(self, g: Groups, raw: str, line_no: int | None, element: str, own_account: str | None) -> StatementLine:
        """The entry's one line, equal to what ``lines_of_entry`` makes of the same texts.

        Positional parameters and one line, not a list: it is called for nearly every entry.
        """
        sign, amount, currency, reversal, status, booking_date, value_date, bank_ref, details = self.entry.head(
            g, element, line_no
        )
        tx = self.tx
        # The transaction's remittance, else the entry's additional information, else the
        # transaction's (purpose_of, then lines_of_entry, then _line).
        purpose = None if tx is None else tx.purpose(g)
        if purpose is None and self.entry.info is not None:
            purpose = g[self.entry.info]
        name = account = tax_id = None
        if tx is not None:
            bank_ref, name, account, tax_id, purpose = tx.finish(
                g, details, sign, reversal, bank_ref, purpose, own_account
            )
        return new_statement_line(
            amount, currency or "", booking_date, value_date, bank_ref, name, account, tax_id,
            purpose, status, details, raw, line_no,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class BatchRule:
    """``lines_of_entry`` for the entries of one tidy shape with several transactions."""

    entry: _EntryRule
    txs: tuple[_TxRule, ...]

    def lines(
        self,
        g: Groups,
        tx_lines: Sequence[int | None],
        raw: str,
        line_no: int | None,
        element: str,
        own_account: str | None,
    ) -> list[StatementLine]:
        """One line per transaction when their amounts add up to the entry's, else one line."""
        sign, amount, currency, reversal, status, booking_date, value_date, entry_ref, common = self.entry.head(
            g, element, line_no
        )
        txs = self.txs
        split: list[Decimal] = []
        for index, (tx, tx_line) in enumerate(zip(txs, tx_lines, strict=True), start=1):
            tx_amount = tx.amount(g, currency, sign, f"{element}/NtryDtls/TxDtls[{index}]", tx_line)
            if tx_amount is None:
                break
            split.append(tx_amount)
        if len(split) < len(txs) or sum(split, Decimal(0)) != amount:
            # One line for the entry, without a counterparty (there is no single one).
            common["tx_count"] = str(len(txs))
            purpose = " | ".join(dict.fromkeys(p for p in (tx.purpose(g) for tx in txs) if p)) or None
            if purpose is None and self.entry.info is not None:
                purpose = g[self.entry.info]
            return [
                new_statement_line(
                    amount, currency or "", booking_date, value_date, entry_ref, None, None, None,
                    purpose, status, common, raw, line_no,
                )
            ]  # fmt: skip
        # Each payment's own reference when every one has a distinct one, else the entry's
        # reference with the position in the batch (see lines_of_entry).
        own_refs = [None if tx.acct_svcr_ref is None else useful_ref(g[tx.acct_svcr_ref]) for tx in txs]
        distinct = None not in own_refs and len(set(own_refs)) == len(own_refs) and entry_ref not in own_refs
        first_e2e = txs[0].end_to_end_id
        base = entry_ref or (None if first_e2e is None else useful_ref(g[first_e2e]))
        size = str(len(txs))
        lines: list[StatementLine] = []
        for index, (tx, tx_amount) in enumerate(zip(txs, split, strict=True), start=1):
            details = dict(common)
            details["batch_index"] = str(index)
            details["batch_size"] = size
            ref = own_refs[index - 1] if distinct else (f"{base}/{index}" if base else None)
            bank_ref, name, account, tax_id, purpose = tx.finish(
                g, details, -1 if tx_amount < 0 else 1, reversal, ref, tx.purpose(g), own_account
            )
            lines.append(
                new_statement_line(
                    tx_amount, currency or "", booking_date, value_date, bank_ref, name, account, tax_id,
                    purpose, status, details, raw, tx_lines[index - 1] or line_no,
                )
            )  # fmt: skip
        return lines


def compile_rule(entry: GroupIndexes, txs: Sequence[GroupIndexes]) -> LineRule | BatchRule | None:
    """The rule for a tidy shape with these group layouts, or None when ``lines_of_entry`` must run.

    None for an entry without an indicator or an amount (an error ``lines_of_entry`` reports).
    """
    indicator = _first(entry, "CdtDbtInd")
    amount = _first(entry, "Amt")
    if indicator is None or amount is None:
        return None
    domain = _first(entry, "BkTxCd/Domn/Cd")
    bank_code: tuple[int, ...] = ()
    if domain is not None:
        parts = (_first(entry, "BkTxCd/Domn/Fmly/Cd"), _first(entry, "BkTxCd/Domn/Fmly/SubFmlyCd"))
        bank_code = (domain, *(part for part in parts if part is not None))
    head = _EntryRule(
        indicator=indicator,
        amount=amount,
        currency=_first(entry, "Amt@Ccy"),
        reversal=_first(entry, "RvslInd"),
        status=_first(entry, "Sts", "Sts/Cd", "Sts/Prtry"),
        booking_date=_first(entry, "BookgDt/Dt", "BookgDt/DtTm"),
        value_date=_first(entry, "ValDt/Dt", "ValDt/DtTm"),
        acct_svcr_ref=_first(entry, "AcctSvcrRef"),
        entry_ref=_first(entry, "NtryRef"),
        details=tuple((key, index) for key, path in ENTRY_DETAILS if (index := _first(entry, path)) is not None),
        bank_tx_code=bank_code,
        bank_tx_code_joined=_joiner("/", bank_code),
        info=_first(entry, "AddtlNtryInf"),
    )
    rules = tuple(_tx_rule(paths) for paths in txs)
    if len(rules) > 1:
        return BatchRule(head, rules)
    return LineRule(head, rules[0] if rules else None)
