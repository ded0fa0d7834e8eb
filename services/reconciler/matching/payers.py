"""Who is on the other side of a bank line.

Structured fields first, because they identify a legal entity: the tax id (INN), then the
account, then accounts accountants confirmed before (learned). Names come last and only when
the line carries no tax id at all: a *different* tax id means a different legal entity, whatever
its name ("Ромашка-12" and "Ромашка-121" are 95 % alike and two companies). Names are compared
without legal forms and quotes (``ООО "Ромашка"`` = ``Ромашка ООО``), exactly first, then
fuzzily with rapidfuzz, and a fuzzy match must keep every digit of the name. Last, a name in
the other alphabet: a payer's bank may spell ``ООО «Промресурс»`` as "Promresurs LLC". Both sides
are transliterated by one scheme (``transliterate``) and compared like the fuzzy tier, with the
fuzzy tier's trust: the spelling is a guess, not a fact about the legal entity.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

from services.reconciler.matching.types import LearnedFacts, PartnerFacts, PaymentLine, Reason

IdentifiedBy = Literal[
    "tax_id", "account", "learned_account", "name", "name_before_comma", "name_fuzzy", "name_transliterated"
]

# How much less a rule may trust a partner identified this way than one identified by tax id.
IDENTIFICATION_PENALTY: dict[IdentifiedBy, float] = {
    "tax_id": 0.0,
    "account": 0.0,
    "learned_account": 0.01,
    "name": 0.02,
    # The name as written, up to the branch or city a bank appends after a comma.
    "name_before_comma": 0.02,
    "name_fuzzy": 0.08,
    # No more than a similar name: a transliteration alone books nothing a fuzzy name could not.
    "name_transliterated": 0.08,
}
FUZZY_NAME_CUTOFF = 92.0
# A directory a worker keeps for long (``directory_cache``) remembers at most this many payers.
IDENTIFIED_MAX = 100_000

_LEGAL_FORMS = re.compile(
    r"\b(?:общество с ограниченной ответственностью|публичное акционерное общество|"
    r"акционерное общество|закрытое акционерное общество|открытое акционерное общество|"
    r"индивидуальный предприниматель|ооо|оао|зао|пао|ао|ип|нко|ано|llc|ltd|limited|gmbh|inc|"
    r"corp|plc|ag|sa|bv|oy|ab|"
    # Russian forms as Latin-only banks write them: "OOO Promresurs", "Tekhsnab JSC".
    r"ooo|oao|zao|pao|ao|jsc|pjsc|cjsc|ojsc)\b\.?"
)
_NOT_WORD = re.compile(r"[^\w]+")
# A name in quotes in a purpose: «Ромашка Групп», "Ромашка", “Ромашка”, „Ромашка“.
_QUOTED = re.compile(r"[«\"“„]([^«»\"“”„]{2,80})[»\"”“]")
_DIGITS = re.compile(r"\d+")


# Cached: the directory is built on every matcher call, from the same few thousand partners; each
# name and id is read once per process instead of once per call (most of the directory's cost).
@lru_cache(maxsize=65536)
def normalise_name(name: str) -> str:
    """Lower case, no legal form, no quotes or punctuation, single spaces."""
    text = name.lower().replace("ё", "е")
    text = _LEGAL_FORMS.sub(" ", text)
    return " ".join(_NOT_WORD.sub(" ", text).split())


# One Cyrillic → Latin scheme for both sides of a comparison: the spelling Russian banks and
# people most often use for company names in Latin letters (close to BGN/PCGN without
# diacritics: ж zh, х kh, ц ts, ч ch, ш sh, щ shch, й y, ю yu, я ya; ъ and ь dropped). ё is
# already е (``normalise_name``). Other spellings ("Beryozka", "Tehsnab") differ by a letter or
# two and are left to the fuzzy comparison.
_CYRILLIC_TO_LATIN = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i",
        "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
        "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
        "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    }
)  # fmt: skip
# "-ый"/"-ий" come out as "yy"/"iy"; people write "y" ("Severny", "Sibirsky"): one ending for all.
_ADJECTIVE_ENDING = re.compile(r"(?:yy|iy|yi|ij|yj)\b")


@lru_cache(maxsize=65536)
def transliterate(name: str) -> str:
    """A normalised name (``normalise_name``) in Latin letters; Latin letters and digits unchanged."""
    return _ADJECTIVE_ENDING.sub("y", name.translate(_CYRILLIC_TO_LATIN))


def _digits(text: str) -> str:
    return "".join(_DIGITS.findall(text))


_NOT_ALNUM = re.compile(r"[\W_]+")  # exactly what ``str.isalnum`` rejects


@lru_cache(maxsize=65536)
def _clean_id(value: str | None) -> str:
    return _NOT_ALNUM.sub("", value).upper() if value else ""


@dataclass(frozen=True, slots=True)
class Identification:
    """The partner(s) a line's counterparty is, how we know, and the words for it."""

    partner_ids: frozenset[int]
    by: IdentifiedBy | None
    reasons: tuple[Reason, ...]

    @property
    def penalty(self) -> float:
        return IDENTIFICATION_PENALTY[self.by] if self.by else 0.0


UNKNOWN = Identification(frozenset(), None, ())


class PartnerDirectory:
    """Indexes over partners for identification by tax id, account and name."""

    def __init__(self, partners: Iterable[PartnerFacts], learned: LearnedFacts) -> None:
        self._names: dict[int, str] = {}
        self._by_tax: dict[str, set[int]] = defaultdict(set)
        self._by_account: dict[str, set[int]] = defaultdict(set)
        self._by_name: dict[str, set[int]] = defaultdict(set)
        self._by_latin_name: dict[str, set[int]] = defaultdict(set)
        for p in partners:
            self._names[p.id] = p.name
            for tax_id in p.tax_ids:
                if _clean_id(tax_id):
                    self._by_tax[_clean_id(tax_id)].add(p.id)
            for account in p.accounts:
                if _clean_id(account):
                    self._by_account[_clean_id(account)].add(p.id)
            name = normalise_name(p.name)
            if name:
                self._by_name[name].add(p.id)
                self._by_latin_name[transliterate(name)].add(p.id)
        self._learned_accounts = {
            _clean_id(acc): pid for acc, pid in learned.account_partner.items() if pid in self._names
        }
        self._name_choices = list(self._by_name)
        self._latin_choices = list(self._by_latin_name)
        # Name → the longer names that begin with its words; built when a comma first needs it.
        self._extensions: dict[str, list[str]] | None = None
        # A payer pays many times: each distinct (tax id, account, name) is identified once.
        self._identified: dict[tuple[str | None, str | None, str | None], Identification] = {}

    def name(self, partner_id: int) -> str:
        return self._names.get(partner_id, f"#{partner_id}")

    def by_tax_ids(self, tax_ids: Iterable[str]) -> dict[str, frozenset[int]]:
        """Partners named by tax id (e.g. in a purpose text)."""
        return {t: frozenset(self._by_tax[t]) for t in tax_ids if t in self._by_tax}

    def by_quoted_names(self, text: str | None) -> dict[int, str]:
        """Partners whose name, normalised, is exactly a quoted name in ``text`` (e.g. the purpose
        "Оплата за ООО «Ромашка Групп» по сч. 22/08"): partner id → the name as quoted."""
        found: dict[int, str] = {}
        if not text:
            return found
        for quoted in _QUOTED.findall(text):
            for partner_id in self._by_name.get(normalise_name(quoted), ()):
                found.setdefault(partner_id, quoted.strip())
        return found

    def identify(self, line: PaymentLine) -> Identification:
        key = (line.counterparty_tax_id, line.counterparty_account, line.counterparty_name)
        known = self._identified.get(key)
        if known is None:
            if len(self._identified) >= IDENTIFIED_MAX:
                self._identified.clear()
            known = self._identified[key] = self._identify(line)
        return known

    def _identify(self, line: PaymentLine) -> Identification:
        tax_id = _clean_id(line.counterparty_tax_id)
        account = _clean_id(line.counterparty_account)
        if tax_id in self._by_tax:
            ids = frozenset(self._by_tax[tax_id])
            return Identification(ids, "tax_id", (self._reason("payer_tax_id", f"INN {tax_id}", ids),))
        if account in self._by_account:
            ids = frozenset(self._by_account[account])
            return Identification(ids, "account", (self._reason("payer_account", f"account {account}", ids),))
        if account in self._learned_accounts:
            ids = frozenset({self._learned_accounts[account]})
            return Identification(
                ids, "learned_account", (self._reason("payer_learned_account", f"account {account}", ids),)
            )
        if tax_id or not line.counterparty_name:
            return UNKNOWN
        return self._identify_by_name(line.counterparty_name)

    def _identify_by_name(self, raw: str) -> Identification:
        name = normalise_name(raw)
        if not name:
            return UNKNOWN
        if name in self._by_name:
            ids = frozenset(self._by_name[name])
            return Identification(ids, "name", (self._reason("payer_name", f"name «{raw}»", ids),))
        found = _closest(name, self._name_choices)
        if found is not None:
            choice, score = found
            ids = frozenset(self._by_name[choice])
            reason = self._reason("payer_name_fuzzy", f"name «{raw}» (similarity {score:.0f}%)", ids)
            return Identification(ids, "name_fuzzy", (reason,))
        # "Blue Harbor Trading Ltd East, Riga": a bank appended the city or branch. The name
        # before the first comma, exactly a partner's, is that partner — unless the words after
        # the comma complete another partner's name ("Blue Harbor Trading Ltd, East, Riga" may be
        # "... Ltd East" as well as "... Ltd": nobody).
        head, comma, tail = raw.partition(",")
        if comma and (before := normalise_name(head)) in self._by_name and before != name:
            if not self._completed_by(before, frozenset(normalise_name(tail).split())):
                ids = frozenset(self._by_name[before])
                reason = self._reason("payer_name_before_comma", f"name «{head.strip()}» (before the comma)", ids)
                return Identification(ids, "name_before_comma", (reason,))
            return UNKNOWN
        # Not like any name as written: a name in Latin letters may be a Cyrillic partner's
        # spelled by a foreign or Latin-only bank. Only a name no partner's name resembles gets
        # here, so a name that is some partner's is never read as another's transliteration; a
        # name in Cyrillic letters is not transliterated (it is the directory's own alphabet).
        latin = transliterate(name)
        if latin != name:
            return UNKNOWN
        if latin in self._by_latin_name:
            choice, score = latin, 100.0
        elif (found := _closest(latin, self._latin_choices)) is not None:
            choice, score = found
        else:
            return UNKNOWN
        ids = frozenset(self._by_latin_name[choice])
        reason = self._reason("payer_name_transliterated", f"name «{raw}» as «{choice}» (similarity {score:.0f}%)", ids)
        return Identification(ids, "name_transliterated", (reason,))

    def _completed_by(self, name: str, words: frozenset[str]) -> bool:
        """Whether another partner's name is ``name`` followed by some of ``words``."""
        if self._extensions is None:
            self._extensions = defaultdict(list)
            for other in self._by_name:
                parts = other.split()
                for k in range(1, len(parts)):
                    self._extensions[" ".join(parts[:k])].append(other)
        length = len(name.split())
        return any(set(other.split()[length:]) <= words for other in self._extensions.get(name, ()))

    def _reason(self, code: str, what: str, ids: frozenset[int]) -> Reason:
        names = ", ".join(sorted(self.name(i) for i in ids))
        return Reason(code, f"payer {what} = partner {names}")


def _closest(name: str, choices: list[str]) -> tuple[str, float] | None:
    """The one choice similar enough to ``name`` (≥ ``FUZZY_NAME_CUTOFF``) with all its digits;
    none when two choices are about as similar: a name cannot tell them apart."""
    found = process.extract(name, choices, scorer=fuzz.token_sort_ratio, limit=2)
    good = [(choice, score) for choice, score, _ in found if score >= FUZZY_NAME_CUTOFF]
    if not good or _digits(good[0][0]) != _digits(name):
        return None
    if len(good) == 2 and good[1][1] >= good[0][1] - 2 and _digits(good[1][0]) == _digits(name):
        return None
    return good[0][0], good[0][1]
