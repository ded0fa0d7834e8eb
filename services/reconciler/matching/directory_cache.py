"""The partner directory a worker process keeps between arriving lines, while the partners stay the same.

Identifying the payer of one line needs every partner: its tax id or account may be anyone's, and
a name without either is compared with every partner's name, fuzzily too (``payers``). Reading
5,000 partners with their accounts and indexing them cost about 40 ms per line on a 100,000-invoice
book, most of deciding one line; the partners change seldom (an import that brings a new one, a
person teaching an account).

So each process keeps the last directory it built, keyed by the database's
``partner_directory_version`` token (migration 0013), which triggers replace on every write to
``partner``, ``partner_account`` and ``learned_account``, by whichever process or person. A call
reads the token (one row by primary key) and rebuilds only when it differs. The token is read
before the partners, in the caller's transaction: a change committed between the two reads makes
the kept directory newer than its token, which only costs one more rebuild, never a stale one.

Not kept: on PostgreSQL, a transaction bound to a partner (``sverka.partner_id``, row-level security
of migration 0008) sees only that partner's rows, and such a directory is no one else's; nor when
the token row is missing. The directory's own memo of identified payers grows with the distinct
payers seen and is bounded in ``payers``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from services.reconciler.matching import repository
from services.reconciler.matching.payers import PartnerDirectory
from services.reconciler.matching.types import LearnedFacts
from shared.db import is_postgres


@dataclass(frozen=True, slots=True)
class KnownPartners:
    """A directory of every partner and the learned accounts it was built with."""

    directory: PartnerDirectory
    account_partner: dict[str, int]


_READ_TOKEN = text("SELECT token FROM partner_directory_version WHERE id = 1")
_READ_TOKEN_PG = text(
    "SELECT token, coalesce(current_setting('sverka.partner_id', true), '') FROM partner_directory_version WHERE id = 1"
)

# (database, token) → what was built under it; one entry: a worker serves one database.
_kept: tuple[tuple[str, str], KnownPartners] | None = None


def known_partners(session: Session) -> KnownPartners:
    """Every partner's directory as of this transaction; rebuilt only when the partners changed."""
    global _kept
    version = _version(session)
    kept = _kept
    if version is not None and kept is not None and kept[0] == version:
        return kept[1]
    accounts = repository.learned_accounts(session)
    built = KnownPartners(
        PartnerDirectory(repository.partners(session), LearnedFacts(account_partner=accounts)), accounts
    )
    if version is not None:
        _kept = (version, built)
    return built


def forget() -> None:
    """Drop the kept directory (tests that compare a fresh build with a kept one)."""
    global _kept
    _kept = None


def _version(session: Session) -> tuple[str, str] | None:
    """The database and its partners' token, or None when the directory must not be kept."""
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    if is_postgres(session):
        row = session.execute(_READ_TOKEN_PG).first()
        if row is None or row[1]:
            return None  # no token, or a partner-bound transaction: it sees one partner's rows
        return database, str(row[0])
    token = session.execute(_READ_TOKEN).scalar()
    return None if token is None else (database, str(token))
