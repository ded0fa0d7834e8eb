"""Registering endpoints through the API and the shell, and ``sverka outbox drain`` end to end."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from services.reconciler.api.app import create_app
from shared.config import get_settings
from tests.api.keys import bearer, issue_key
from tests.cli import sverka
from tests.http_servers import serve_asgi
from tests.services.notifier.factories import seed
from tests.services.notifier.receiver import Receiver

INN = "7701234567"


@pytest.fixture
def api(notifier_settings: str) -> Iterator[httpx.Client]:
    with (
        serve_asgi(create_app()) as base,
        httpx.Client(base_url=base, timeout=30, headers=bearer(issue_key())) as client,
    ):
        yield client


def test_an_endpoint_is_registered_listed_rotated_and_disabled_over_the_api(api: httpx.Client) -> None:
    seed(**{f"inn{INN}": []})
    created = api.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "partner_inn": INN})
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    assert (endpoint["events"], endpoint["status"], endpoint["partner_inn"]) == (["*"], "active", INN)

    [listed] = api.get("/v1/webhooks").json()
    assert listed["id"] == endpoint["id"] and "secret" not in listed  # shown once, at creation

    rotated = api.post(f"/v1/webhooks/{endpoint['id']}/rotate-secret").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != endpoint["secret"]
    assert api.get(f"/v1/webhooks/{endpoint['id']}").json()["previous_secret_expires_at"]

    disabled = api.post(f"/v1/webhooks/{endpoint['id']}/disable", json={"reason": "partner asked"}).json()
    assert (disabled["status"], disabled["disabled_reason"]) == ("disabled", "partner asked")
    assert api.get(f"/v1/webhooks/{endpoint['id']}/deliveries").json() == []


def test_the_api_refuses_unknown_partners_bad_event_types_and_private_targets(
    api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    unknown = api.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/", "partner_inn": "7700000000"})
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (404, "partner_inn")
    bad = api.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/", "events": ["Payment Allocated"]})
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "events")

    monkeypatch.setenv("SVERKA_WEBHOOK_ALLOW_PRIVATE_TARGETS", "false")
    get_settings.cache_clear()
    private = api.post("/v1/webhooks", json={"url": "http://2130706433:9/"})
    assert private.status_code == 422
    assert private.json()["error"]["code"] == "unsafe_webhook_target"


def test_the_shell_registers_an_endpoint_and_drains_the_outbox_into_it(
    notifier_settings: str, receiver: Receiver
) -> None:
    env = {"SVERKA_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}
    [event_id] = seed(**{f"inn{INN}": [1_500_00]})[INN]
    url = f"{receiver.base_url}/a"

    events = "payment.allocated,statement.imported"
    added = sverka(
        "webhooks", "add", "--url", url, "--partner", INN, "--events", events, database_url=notifier_settings, env=env
    )
    assert added.code == 0, added.stderr
    endpoint = added.json()
    assert endpoint["id"] and endpoint["secret"].startswith("whsec_")
    assert endpoint["events"] == ["payment.allocated", "statement.imported"]
    receiver.inbox("a").secrets = [endpoint["secret"]]

    drained = sverka("outbox", "drain", database_url=notifier_settings, env=env)
    assert drained.code == 0, drained.stderr
    counts = drained.json()
    assert (counts["events_relayed"], counts["deliveries_created"], counts["delivered"], counts["pending"]) == (
        1,
        1,
        1,
        0,
    )
    assert receiver.inbox("a").received_ids == [event_id]
