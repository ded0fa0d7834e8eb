"""Row-level security on PostgreSQL (migration 0008): the database itself keeps partners apart.

The roles are those of production: the schema belongs to an owner role, and the application
connects as a role that is neither the owner nor BYPASSRLS nor a superuser, with the grants of
``deploy/postgres/grants.sql``. With ``sverka.partner_id`` set for the transaction, that role sees
only the partner's rows, whatever the query asks; without it (our own services) it sees all; and it
cannot switch the policies off.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from services.reconciler.api.deps import bind_partner
from shared import db as shared_db
from shared.models import Allocation, BankAccount, BankTransaction, Statement
from tests import pg_roles

pytestmark = pytest.mark.postgres


@dataclass
class Roles:
    owner: Engine
    app: Engine
    a: int  # partner ids
    b: int


@pytest.fixture
def roles(postgres_admin_url: str) -> Iterator[Roles]:
    """A fresh database owned by a throwaway owner role, migrated by it, and an app role granted as in production."""
    tag = uuid.uuid4().hex[:8]
    names, database = pg_roles.Roles(owner=f"owner_{tag}", app=f"app_{tag}"), f"rls_{tag}"
    owner, app = names.owner, names.app
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    pg_roles.create_roles(postgres_admin_url, names)
    base = pg_roles.migrated_database(postgres_admin_url, database, names)
    owner_engine = shared_db.make_engine(pg_roles.as_role(base, owner))
    with owner_engine.begin() as conn:
        a, b = (
            conn.execute(
                text("INSERT INTO partner (name, inn, language, created_at) VALUES (:n, :i, 'ru', now()) RETURNING id"),
                {"n": n, "i": i},
            ).scalar_one()
            for n, i in (("A", "7701234567"), ("B", "7809876543"))
        )
        for partner, number in ((a, "A-1"), (b, "B-1"), (b, "B-2")):
            conn.execute(
                text(
                    "INSERT INTO invoice (direction, number, partner_id, amount_minor, paid_minor, currency, status,"
                    " created_at, updated_at) VALUES ('receivable', :no, :p, 100, 0, 'RUB', 'open', now(), now())"
                ),
                {"no": number, "p": partner},
            )
    app_engine = shared_db.make_engine(pg_roles.as_role(base, app))
    yield Roles(owner_engine, app_engine, a, b)
    app_engine.dispose()
    owner_engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {database} WITH (FORCE)"))
        conn.execute(text(f"DROP ROLE {app}"))
        conn.execute(text(f"DROP ROLE {owner}"))
    admin.dispose()


def _numbers(conn: Connection, partner: int | None) -> list[str]:
    if partner is not None:
        conn.execute(text("SELECT set_config('sverka.partner_id', :p, true)"), {"p": str(partner)})
    return sorted(conn.execute(text("SELECT number FROM invoice")).scalars())


def test_the_app_role_is_neither_owner_nor_bypassrls(roles: Roles) -> None:
    with roles.app.connect() as conn:
        me = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
        owner = conn.execute(text("SELECT tableowner FROM pg_tables WHERE tablename = 'invoice'")).scalar_one()
        user = conn.execute(text("SELECT current_user")).scalar_one()
    assert tuple(me) == (False, False)
    assert owner != user


def test_the_app_role_runs_with_productions_settings(roles: Roles) -> None:
    """``deploy/postgres/roles.sql``'s settings for the app role, JIT off among them: the policies make the
    planner cost an internal caller's bulk statements far above what they cost to run, and JIT
    compilation set off by that cost took about a second per matcher update (docs/benchmarks.md)."""
    assert "jit = off" in pg_roles.app_role_settings()
    with roles.app.connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar_one() == "off"
        assert conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar_one() == "5min"


def test_a_partner_bound_transaction_sees_only_that_partners_rows(roles: Roles) -> None:
    with roles.app.connect() as conn:
        assert _numbers(conn, roles.a) == ["A-1"]
        conn.rollback()
        assert _numbers(conn, roles.b) == ["B-1", "B-2"]
        conn.rollback()
        assert _numbers(conn, None) == ["A-1", "B-1", "B-2"]  # the setting ended with its transaction
        assert conn.execute(text("SELECT count(*) FROM partner")).scalar_one() == 2


def test_a_partner_bound_transaction_cannot_write_another_partners_rows(roles: Roles) -> None:
    with roles.app.connect() as conn:
        conn.execute(text("SELECT set_config('sverka.partner_id', :p, true)"), {"p": str(roles.a)})
        changed = conn.execute(text("UPDATE invoice SET amount_minor = 1 WHERE number LIKE 'B-%'")).rowcount
        assert changed == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(text("UPDATE invoice SET partner_id = :b WHERE number = 'A-1'"), {"b": roles.b})
    with roles.app.connect() as conn:
        conn.execute(text("SELECT set_config('sverka.partner_id', :p, true)"), {"p": str(roles.a)})
        insert = text(
            "INSERT INTO invoice (direction, number, partner_id, amount_minor, paid_minor, currency, status,"
            " created_at, updated_at) VALUES ('receivable', 'B-3', :b, 1, 0, 'RUB', 'open', now(), now())"
        )
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(insert, {"b": roles.b})


@pytest.mark.parametrize(
    ("attempt", "refusal"),
    [
        ("ALTER TABLE invoice DISABLE ROW LEVEL SECURITY", "must be owner"),
        ("ALTER TABLE invoice NO FORCE ROW LEVEL SECURITY", "must be owner"),
        ("DROP POLICY partner_scope ON invoice", "must be owner"),
        ("SET row_security = off", "row-level security"),  # refused at the next query RLS applies to
        ("ALTER ROLE CURRENT_USER BYPASSRLS", "permission denied|must be superuser"),
    ],
)
def test_the_app_role_cannot_switch_the_policies_off(roles: Roles, attempt: str, refusal: str) -> None:
    with roles.app.connect() as conn:
        conn.execute(text("SELECT set_config('sverka.partner_id', :p, true)"), {"p": str(roles.a)})
        with pytest.raises(DBAPIError, match=refusal):
            _then_read_all(conn, attempt)


def _then_read_all(conn: Connection, attempt: str) -> list[str]:
    """Run ``attempt``; if it was allowed, what the partner-bound transaction reads next."""
    conn.execute(text(attempt))
    return sorted(conn.execute(text("SELECT number FROM invoice")).scalars())


def test_the_api_binds_a_partner_keys_transaction(roles: Roles) -> None:
    """``bind_partner`` (called by ``authenticate`` for partner keys) holds across commits within the request."""
    with Session(roles.app) as session:
        bind_partner(session, roles.a)
        assert sorted(session.execute(text("SELECT number FROM invoice")).scalars()) == ["A-1"]
        session.commit()  # a commit in the middle of a request does not turn it into an internal caller
        assert sorted(session.execute(text("SELECT number FROM invoice")).scalars()) == ["A-1"]
    with Session(roles.app) as session:  # the next user of the pooled connection is internal again
        assert sorted(session.execute(text("SELECT number FROM invoice")).scalars()) == ["A-1", "B-1", "B-2"]


def test_bank_lines_and_allocations_follow_their_invoices(roles: Roles) -> None:
    """A line the partner paid or that pays its invoices is its; a line from an unknown payer is nobody's."""
    with Session(roles.owner) as session:
        lines = _lines(
            session, {"PAID-BY-A": "7701234567", "PAID-BY-B": "7809876543", "UNKNOWN": None, "THIRD": "5003000001"}
        )
        b1 = session.execute(text("SELECT id FROM invoice WHERE number = 'B-1'")).scalar_one()
        third = lines["THIRD"]
        session.add(
            Allocation(
                transaction_id=third, invoice_id=b1, amount_minor=100, currency="RUB", kind="manual", created_by="t"
            )
        )
        session.commit()
    with roles.app.connect() as conn:
        conn.execute(text("SELECT set_config('sverka.partner_id', :p, true)"), {"p": str(roles.b)})
        assert sorted(conn.execute(text("SELECT bank_ref FROM bank_transaction")).scalars()) == ["PAID-BY-B", "THIRD"]
        assert conn.execute(text("SELECT count(*) FROM allocation")).scalar_one() == 1
        conn.rollback()
        conn.execute(text("SELECT set_config('sverka.partner_id', :p, true)"), {"p": str(roles.a)})
        assert list(conn.execute(text("SELECT bank_ref FROM bank_transaction")).scalars()) == ["PAID-BY-A"]
        assert conn.execute(text("SELECT count(*) FROM allocation")).scalar_one() == 0
        conn.rollback()
        assert conn.execute(text("SELECT count(*) FROM bank_transaction")).scalar_one() == 4


def test_learned_references_are_the_partners_own(roles: Roles) -> None:
    """A partner's order codes (migration 0010) are its rows: another partner neither reads nor writes them."""
    insert = text(
        "INSERT INTO learned_reference (partner_id, direction, alias, written, invoice_id,"
        " written_for_other_invoices, created_by, created_at)"
        " SELECT i.partner_id, 'receivable', :alias, :alias, i.id, false, 't', now()"
        " FROM invoice i WHERE i.number = :no"
    )
    with roles.owner.begin() as conn:
        conn.execute(insert, {"alias": "ZK77812", "no": "A-1"})
        conn.execute(insert, {"alias": "ZK20431", "no": "B-1"})
    with roles.app.connect() as conn:
        conn.execute(text("SELECT set_config('sverka.partner_id', :p, true)"), {"p": str(roles.a)})
        assert list(conn.execute(text("SELECT alias FROM learned_reference")).scalars()) == ["ZK77812"]
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(
                text(
                    "INSERT INTO learned_reference (partner_id, direction, alias, written, invoice_id,"
                    " written_for_other_invoices, created_by, created_at)"
                    " VALUES (:b, 'receivable', 'X123456', 'X123456', 1, false, 't', now())"
                ),
                {"b": roles.b},
            )
    with roles.app.connect() as conn:
        assert sorted(conn.execute(text("SELECT alias FROM learned_reference")).scalars()) == ["ZK20431", "ZK77812"]


def test_invoice_lookup_keys_follow_their_invoices(roles: Roles) -> None:
    """The matcher's lookup keys (migration 0011) are the invoice's partner's: seen and written only by it."""
    insert = text(
        "INSERT INTO invoice_lookup_key (key, invoice_id) SELECT :key, i.id FROM invoice i WHERE i.number = :no"
    )
    with roles.owner.begin() as conn:
        conn.execute(insert, {"key": "A100001", "no": "A-1"})
        conn.execute(insert, {"key": "B100001", "no": "B-1"})
        b2 = conn.execute(text("SELECT id FROM invoice WHERE number = 'B-2'")).scalar_one()
    with roles.app.connect() as conn:
        conn.execute(text("SELECT set_config('sverka.partner_id', :p, true)"), {"p": str(roles.a)})
        assert list(conn.execute(text("SELECT key FROM invoice_lookup_key")).scalars()) == ["A100001"]
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(text("INSERT INTO invoice_lookup_key (key, invoice_id) VALUES ('B200002', :i)"), {"i": b2})
    with roles.app.connect() as conn:
        assert sorted(conn.execute(text("SELECT key FROM invoice_lookup_key")).scalars()) == ["A100001", "B100001"]


def test_the_status_read_function_binds_the_keys_partner_for_what_follows(roles: Roles) -> None:
    """``invoice_status()`` (migration 0012) binds the key's partner itself, so its own reads and the
    rest of its transaction run under the partner's row-level security, not only its conditions."""
    with roles.owner.begin() as conn:
        for name, key_hash, partner in (("a", "hash-a", roles.a), ("internal", "hash-i", None)):
            conn.execute(
                text(
                    "INSERT INTO api_key (name, key_hash, prefix, scope, partner_id, created_by, created_at)"
                    " VALUES (:n, :h, 'svk_x', 'read', :p, 't', now())"
                ),
                {"n": name, "h": key_hash, "p": partner},
            )
    status = text("SELECT invoice_status(:h, NULL, :no, 'receivable')")
    with roles.app.connect() as conn:
        seen = conn.execute(status, {"h": "hash-a", "no": "B-1"}).scalar_one()
        assert seen["key"]["partner_id"] == roles.a and seen["invoice"] is None
        assert conn.execute(text("SELECT current_setting('sverka.partner_id')")).scalar_one() == str(roles.a)
        assert sorted(conn.execute(text("SELECT number FROM invoice")).scalars()) == ["A-1"]
        assert conn.execute(status, {"h": "hash-a", "no": "A-1"}).scalar_one()["invoice"]["number"] == "A-1"
    with roles.app.connect() as conn:
        seen = conn.execute(status, {"h": "hash-i", "no": "B-1"}).scalar_one()
        assert seen["invoice"]["number"] == "B-1"
        assert conn.execute(text("SELECT current_setting('sverka.partner_id')")).scalar_one() == ""
        assert conn.execute(status, {"h": "no-such-key", "no": "B-1"}).scalar_one() is None


def _lines(session: Session, payers: dict[str, str | None]) -> dict[str, int]:
    """Bank lines (bank_ref → payer's tax id) on a new account and statement, written by the owner; their ids."""
    account = BankAccount(number=f"4070281090000{uuid.uuid4().int % 10**7:07d}", currency="RUB")
    session.add(account)
    session.flush()
    statement = Statement(
        bank_account_id=account.id or 0, source="file", format="camt053", file_hash=uuid.uuid4().hex, imported_by="t"
    )
    session.add(statement)
    session.flush()
    lines = {
        ref: BankTransaction(
            bank_account_id=account.id or 0,
            statement_id=statement.id or 0,
            dedupe_key=ref,
            bank_ref=ref,
            amount_minor=100,
            currency="RUB",
            counterparty_tax_id=payer,
        )
        for ref, payer in payers.items()
    }
    session.add_all(lines.values())
    session.flush()
    return {ref: line.id or 0 for ref, line in lines.items()}


def test_a_partner_bound_transaction_writes_only_its_bank_lines(roles: Roles) -> None:
    """The line policy (0008) confines updates too: another partner's lines are not touched, a line
    cannot be written out of the partner's reach, and a line allocated to its invoice stays its own."""
    with Session(roles.owner) as session:
        ids = _lines(session, {"PAID-BY-A": "7701234567", "PAID-BY-B": "7809876543", "THIRD": "5003000001"})
        b1 = session.execute(text("SELECT id FROM invoice WHERE number = 'B-1'")).scalar_one()
        session.add(
            Allocation(
                transaction_id=ids["THIRD"],
                invoice_id=b1,
                amount_minor=100,
                currency="RUB",
                kind="manual",
                created_by="t",
            )
        )
        session.commit()
    touch = text("UPDATE bank_transaction SET purpose = 'x' RETURNING bank_ref")
    with roles.app.connect() as conn:
        conn.execute(text("SELECT set_config('sverka.partner_id', :p, true)"), {"p": str(roles.b)})
        assert sorted(conn.execute(touch).scalars()) == ["PAID-BY-B", "THIRD"]
        conn.rollback()
        conn.execute(text("SELECT set_config('sverka.partner_id', :p, true)"), {"p": str(roles.a)})
        assert list(conn.execute(touch).scalars()) == ["PAID-BY-A"]
        with pytest.raises(DBAPIError, match="row-level security"):  # paid by A, moved to B's tax id
            conn.execute(
                text("UPDATE bank_transaction SET counterparty_tax_id = '7809876543' WHERE id = :i"),
                {"i": ids["PAID-BY-A"]},
            )
    with roles.app.connect() as conn:  # the allocation to B's invoice keeps a line B's whoever paid it
        conn.execute(text("SELECT set_config('sverka.partner_id', :p, true)"), {"p": str(roles.b)})
        changed = conn.execute(
            text("UPDATE bank_transaction SET counterparty_tax_id = '5003000002' WHERE id = :i RETURNING id"),
            {"i": ids["THIRD"]},
        ).scalars()
        assert list(changed) == [ids["THIRD"]]
