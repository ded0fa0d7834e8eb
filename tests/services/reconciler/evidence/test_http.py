"""Packs over HTTP: ``GET /v1/{payments,invoices,contracts}/{id}/evidence`` with an API key.

Internal keys get everything; a partner's key gets packs of what it sees in ``/v1`` only (404 for
anything else, like a missing id), holding only what that partner may see.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.reconciler.api.app import create_app
from services.reconciler.evidence.verify import verify_pack
from shared import journal
from shared.db import session_scope
from tests.api.keys import bearer, issue_key
from tests.cli import sverka
from tests.http_servers import serve_asgi
from tests.services.reconciler.evidence.conftest import LUTIK_INN, ROMASHKA_INN, World
from tests.services.reconciler.evidence.packs import journal_lines, members, read_json, save


@pytest.fixture
def base_url(world: World) -> Iterator[str]:
    with serve_asgi(create_app()) as url:
        yield url


def get(base_url: str, path: str, key: str) -> httpx.Response:
    return httpx.get(f"{base_url}{path}", headers=bearer(key), timeout=60)


def test_an_internal_key_downloads_a_pack_that_verifies_and_matches_the_cli_pack(
    world: World, base_url: str, tmp_path: Path
):
    key = issue_key("read", name="audit")
    response = get(base_url, f"/v1/invoices/{world.invoice_78}/evidence", key)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="evidence-invoice-{world.invoice_78}-')
    assert disposition.endswith('.zip"') or ".zip" in disposition
    report = verify_pack(save(response.content, tmp_path / "http.zip"))
    assert report.ok, report.problems
    manifest = read_json(response.content, "manifest.json")
    assert manifest["generator"]["requested_by"] == "api:audit"

    run = sverka(
        "evidence",
        "pack",
        "--invoice",
        str(world.invoice_78),
        "-o",
        str(tmp_path / "cli.zip"),
        database_url=world.database_url,
    )
    assert run.code == 0, run.stderr
    over_http, on_cli = members(response.content), members((tmp_path / "cli.zip").read_bytes())
    assert {n for n in over_http if over_http[n] != on_cli.get(n)} <= {"manifest.json", "summary.pdf"}

    with session_scope() as session:
        history = journal.entity_history(session, "invoice", world.invoice_78)
        packed = [e for e in history if e.action == "evidence.packed"]
        assert [e.actor for e in packed] == ["api:audit", "cli"]
        assert packed[0].after is not None
        assert packed[0].after["manifest_sha256"] == response.headers["x-evidence-manifest-sha256"]


@pytest.mark.parametrize("kind", ["payments", "contracts"])
def test_payments_and_contracts_have_packs_too(world: World, base_url: str, tmp_path: Path, kind: str):
    subject = world.payment_12 if kind == "payments" else world.contract_d1
    response = get(base_url, f"/v1/{kind}/{subject}/evidence", issue_key("read"))
    assert response.status_code == 200, response.text
    assert verify_pack(save(response.content, tmp_path / "p.zip")).ok
    assert read_json(response.content, "manifest.json")["subject"]["id"] == subject


def test_a_partner_key_gets_its_own_packs_holding_only_what_it_may_see(world: World, base_url: str, tmp_path: Path):
    romashka = issue_key("read", partner_inn=ROMASHKA_INN, name="romashka")
    response = get(base_url, f"/v1/invoices/{world.invoice_78}/evidence", romashka)
    assert response.status_code == 200, response.text
    assert verify_pack(save(response.content, tmp_path / "p.zip")).ok
    manifest = read_json(response.content, "manifest.json")
    assert manifest["scope"] == {"partner_inn": ROMASHKA_INN}
    webhooks = read_json(response.content, "notifications.json")["webhooks"]
    assert webhooks and {w["endpoint"]["partner_inn"] for w in webhooks} == {ROMASHKA_INN}  # not our ERP's
    [statement] = read_json(response.content, "bank/statements.json")
    assert "filename" not in statement and statement["file_sha256"]  # the hash, not our other payments
    assert all(e["entity_type"] != "statement" for e in journal_lines(response.content))
    assert all(a["kind"] != "suggested" for a in read_json(response.content, "allocations.json"))

    assert get(base_url, f"/v1/contracts/{world.contract_d1}/evidence", romashka).status_code == 200
    assert get(base_url, f"/v1/payments/{world.payment_11}/evidence", romashka).status_code == 200
    for path in (f"/v1/invoices/{world.invoice_90}/evidence", f"/v1/contracts/{world.contract_d9}/evidence"):
        refused = get(base_url, path, romashka)
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    lutik = issue_key("read", partner_inn=LUTIK_INN, name="lutik")
    assert get(base_url, f"/v1/payments/{world.payment_11}/evidence", lutik).status_code == 404


def test_no_key_no_pack_and_unknown_ids_are_404(world: World, base_url: str):
    assert httpx.get(f"{base_url}/v1/invoices/{world.invoice_78}/evidence").status_code == 401
    missing = get(base_url, "/v1/payments/999999/evidence", issue_key("read"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
