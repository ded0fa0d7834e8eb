"""Tenant isolation in the production topology: the API connects as ``sverka_app``, so row-level security is on.

Partner A's key, through the real API workers, sees A and nothing of B; sending B's receivable
number is refused as in use (409, not a 500: under RLS the API does not see B's invoice at all, and
the unique index refuses). The app role is neither the tables' owner nor BYPASSRLS, and a
partner-bound transaction of it reads only that partner's invoices.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from tests.production.conftest import Running


def test_a_partner_key_sees_only_its_partner_through_the_real_api(production: Running) -> None:
    tag = uuid.uuid4().hex[:6]
    inn_a, inn_b = f"77{uuid.uuid4().int % 10**8:08d}", f"78{uuid.uuid4().int % 10**8:08d}"
    with production.api() as http:
        for number, inn in ((f"ISO-A-{tag}", inn_a), (f"ISO-B-{tag}", inn_b)):
            body = {"invoice_no": number, "amount": "10.00", "currency": "RUB", "partner_name": inn, "partner_inn": inn}
            assert http.post("/v1/invoices", json=body).status_code == 201
        b_invoice = http.get("/v1/invoices/by-number", params={"number": f"ISO-B-{tag}"}).json()
    key = production.sverka("apikeys", "create", "--name", f"iso-{tag}", "--scope", "write", "--partner", inn_a)["key"]
    with production.api() as http:
        http.headers["Authorization"] = f"Bearer {key}"
        invoices = http.get("/v1/invoices", params={"limit": 500}).json()["data"]
        assert {i["partner_inn"] for i in invoices} == {inn_a}
        assert http.get(f"/v1/invoices/{b_invoice['id']}").status_code == 404
        assert http.get(f"/v1/partners/{b_invoice['partner_id']}").status_code == 404
        taken = {
            "invoice_no": f"ISO-B-{tag}",
            "amount": "1.00",
            "currency": "RUB",
            "partner_name": inn_a,
            "partner_inn": inn_a,
        }
        refused = http.post("/v1/invoices", json=taken)
        assert refused.status_code == 409, refused.text
        assert inn_b not in refused.text
    with production.api() as http:
        again = http.get(f"/v1/invoices/{b_invoice['id']}").json()
    assert (again["partner_inn"], again["amount"]) == (inn_b, "10.00")


def test_the_app_role_is_subject_to_row_level_security(production: Running) -> None:
    engine = sa.create_engine(production.topology.app_url)
    try:
        with engine.connect() as conn:
            me = conn.execute(sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
            owner = conn.execute(sa.text("SELECT tableowner FROM pg_tables WHERE tablename = 'invoice'")).scalar_one()
            assert tuple(me) == (False, False)
            assert owner == "sverka_owner"
            everyone = conn.execute(sa.text("SELECT count(DISTINCT partner_id) FROM invoice")).scalar_one()
            some = conn.execute(sa.text("SELECT min(partner_id) FROM invoice")).scalar_one()
            conn.execute(sa.text("SELECT set_config('sverka.partner_id', :p, true)"), {"p": str(some)})
            seen = conn.execute(sa.text("SELECT DISTINCT partner_id FROM invoice")).scalars().all()
        assert everyone >= 2
        assert seen == [some]
    finally:
        engine.dispose()
