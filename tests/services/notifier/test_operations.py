"""An operator's hands on a troubled endpoint: enable it again, replay what failed, send a test event.

Through the real API (with an API key) and the shell, against a real receiver on loopback that
verifies every signature with the ``standardwebhooks`` package.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from services.notifier.dispatcher import Dispatcher
from services.reconciler.api.app import create_app
from tests.api.keys import bearer, issue_key
from tests.cli import sverka
from tests.http_servers import serve_asgi
from tests.services.notifier.factories import seed
from tests.services.notifier.receiver import Receiver, Reply
from tests.services.notifier.test_delivery import deliveries, journal_actions, listen, register
from tests.services.reconciler.ui.workspace import create_users, csrf_of, logged_in

INN = "7701234567"


@pytest.fixture
def api(notifier_settings: str) -> Iterator[httpx.Client]:
    with (
        serve_asgi(create_app()) as base,
        httpx.Client(base_url=base, timeout=30, headers=bearer(issue_key())) as client,
    ):
        yield client


def test_after_a_410_the_operator_enables_the_endpoint_and_replays_what_failed(
    api: httpx.Client, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    first, second = seed(**{f"inn{INN}": [100_00, 200_00]})[INN]
    endpoint = register(f"{receiver.base_url}/a", INN)
    listen(receiver, "a", endpoint)
    receiver.inbox("a").fail_next(Reply(410))
    dispatcher.drain()
    assert api.get(f"/v1/webhooks/{endpoint.id}").json()["status"] == "disabled"
    refused = api.post(f"/v1/webhooks/{endpoint.id}/replay", json={"all_failed": True})
    assert refused.status_code == 409 and "enable it first" in refused.json()["error"]["message"]

    enabled = api.post(f"/v1/webhooks/{endpoint.id}/enable", json={"reason": "the partner moved the URL back"})
    assert enabled.status_code == 200 and enabled.json()["status"] == "active"
    dispatcher.drain()
    assert receiver.inbox("a").received_ids == [second], "the delivery that waited goes out on enabling"

    replayed = api.post(f"/v1/webhooks/{endpoint.id}/replay", json={"all_failed": True, "reason": "they lost it"})
    assert replayed.json() == {"replayed": 1}
    dispatcher.drain()

    assert receiver.inbox("a").received_ids == [second, first]
    assert receiver.inbox("a").unsigned_or_invalid == 0
    assert {d.status for d in deliveries()} == {"delivered"}
    [enable_event] = journal_actions("webhook_endpoint.enabled")
    assert enable_event.after and enable_event.after["reason"] == "the partner moved the URL back"
    [replay_event] = journal_actions("webhook.replayed")
    assert replay_event.before == {"status": "failed", "attempts": 1}


def test_a_delivered_event_is_replayed_with_the_same_id_so_the_receiver_can_deduplicate(
    api: httpx.Client, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    [event_id] = seed(**{f"inn{INN}": [100_00]})[INN]
    endpoint = register(f"{receiver.base_url}/a", INN)
    listen(receiver, "a", endpoint)
    dispatcher.drain()
    [delivery] = api.get(f"/v1/webhooks/{endpoint.id}/deliveries").json()

    assert api.post(f"/v1/webhooks/{endpoint.id}/replay", json={"delivery_ids": [delivery["id"]]}).status_code == 200
    dispatcher.drain()

    assert receiver.inbox("a").received_ids == [event_id, event_id]
    [again] = api.get(f"/v1/webhooks/{endpoint.id}/deliveries").json()
    assert [a["number"] for a in again["attempt_log"]] == [1, 2], "attempts keep their numbers"
    other = register(f"{receiver.base_url}/b", INN)
    foreign = api.post(f"/v1/webhooks/{other.id}/replay", json={"delivery_ids": [delivery["id"]]})
    assert foreign.status_code == 404, "a delivery is replayed only through its own endpoint"
    assert api.post(f"/v1/webhooks/{endpoint.id}/replay", json={}).status_code == 422


def test_a_test_event_goes_to_that_endpoint_only_signed_like_any_event(
    api: httpx.Client, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    endpoint = register(f"{receiver.base_url}/a")
    bystander = register(f"{receiver.base_url}/b")
    listen(receiver, "a", endpoint)
    listen(receiver, "b", bystander)

    queued = api.post(f"/v1/webhooks/{endpoint.id}/test")
    assert queued.status_code == 202
    dispatcher.drain()

    [payload] = receiver.inbox("a").received
    assert payload["type"] == "webhook.test" and payload["data"]["endpoint_id"] == endpoint.id
    assert receiver.inbox("b").requests == []
    [delivery] = api.get(f"/v1/webhooks/{endpoint.id}/deliveries").json()
    assert (delivery["id"], delivery["status"]) == (queued.json()["delivery_id"], "delivered")


def test_the_shell_tests_an_endpoint_and_says_when_the_receiver_refuses(
    notifier_settings: str, receiver: Receiver
) -> None:
    env = {"SVERKA_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}
    added = sverka("webhooks", "add", "--url", f"{receiver.base_url}/a", database_url=notifier_settings, env=env)
    endpoint = added.json()
    receiver.inbox("a").secrets = [endpoint["secret"]]

    ok = sverka("webhooks", "test", str(endpoint["id"]), database_url=notifier_settings, env=env)
    assert ok.code == 0, ok.stderr
    assert ok.json()["status"] == "delivered" and receiver.inbox("a").received[0]["type"] == "webhook.test"

    receiver.inbox("a").fail_next(Reply(400, body=b"we do not know this event"))
    refused = sverka("webhooks", "test", str(endpoint["id"]), database_url=notifier_settings, env=env)
    assert refused.code == 1
    assert (refused.json()["status"], refused.json()["last_status_code"]) == ("failed", 400)

    replayed = sverka(
        "webhooks", "replay", str(endpoint["id"]), "--all-failed", database_url=notifier_settings, env=env
    )
    assert replayed.json() == {"endpoint_id": endpoint["id"], "replayed": 1}
    disabled = sverka("webhooks", "disable", str(endpoint["id"]), database_url=notifier_settings, env=env)
    assert disabled.json()["status"] == "disabled"
    enabled = sverka("webhooks", "enable", str(endpoint["id"]), database_url=notifier_settings, env=env)
    assert enabled.json()["status"] == "active"


def test_an_admin_sees_on_the_overview_that_the_notifier_gave_up_on_an_endpoint(
    api: httpx.Client, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    create_users()
    seed(**{f"inn{INN}": [100_00]})
    endpoint = register(f"{receiver.base_url}/gone", INN)
    listen(receiver, "gone", endpoint)
    receiver.inbox("gone").fail_next(Reply(410))
    dispatcher.drain()
    base = str(api.base_url)

    with logged_in(base, "admin") as admin:
        page = admin.get("/ui/").text
    assert "data-disabled-endpoints" in page and f"{receiver.base_url}/gone" in page and "410" in page
    with logged_in(base, "anna") as accountant:
        assert "data-disabled-endpoints" not in accountant.get("/ui/").text

    api.post(f"/v1/webhooks/{endpoint.id}/enable")
    with logged_in(base, "admin") as admin:
        assert "data-disabled-endpoints" not in admin.get("/ui/").text


def test_an_admin_registers_tests_and_replays_an_endpoint_in_the_workspace(
    api: httpx.Client, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    create_users()
    base = str(api.base_url)
    url = f"{receiver.base_url}/ui-hook"
    with logged_in(base, "admin") as admin:
        token = csrf_of(admin.get("/ui/webhooks").text)
        created = admin.post("/ui/webhooks", data={"csrf_token": token, "url": url, "events": "*"})
        assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
        shown = re.search(r"data-webhook-secret>(whsec_[^<]+)<", created.text)
        assert shown, "the signing secret is on the answer, once"
        receiver.inbox("ui-hook").secrets = [shown.group(1)]
        assert shown.group(1) not in admin.get("/ui/webhooks").text
        [endpoint] = api.get("/v1/webhooks").json()

        receiver.inbox("ui-hook").fail_next(Reply(500))
        queued = admin.post(f"/ui/webhooks/{endpoint['id']}/test", data={"csrf_token": token})
        assert queued.status_code == 303 and "done=test_queued" in queued.headers["location"]
        dispatcher.drain()
        page = admin.get(f"/ui/webhooks/{endpoint['id']}").text
        assert "webhook.test" in page and "500" in page, "the failed attempt is on the page"
        [delivery] = api.get(f"/v1/webhooks/{endpoint['id']}/deliveries").json()

        again = admin.post(
            f"/ui/webhooks/{endpoint['id']}/replay", data={"csrf_token": token, "delivery_id": str(delivery["id"])}
        )
        assert again.status_code == 303
        dispatcher.drain()

        assert [p["type"] for p in receiver.inbox("ui-hook").received] == ["webhook.test"]
        off = admin.post(f"/ui/webhooks/{endpoint['id']}/disable", data={"csrf_token": token})
        assert off.status_code == 303 and api.get(f"/v1/webhooks/{endpoint['id']}").json()["status"] == "disabled"
    with logged_in(base, "anna") as accountant:
        assert accountant.get("/ui/webhooks").status_code == 403
        assert 'href="/ui/webhooks"' not in accountant.get("/ui/").text
    by_admin = {e.action for e in journal_actions("webhook") if e.actor == "admin"}
    assert {
        "webhook_endpoint.created",
        "webhook.test_queued",
        "webhook.replayed",
        "webhook_endpoint.disabled",
    } <= by_admin
