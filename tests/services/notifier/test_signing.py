"""Our Standard Webhooks signatures, checked by the reference ``standardwebhooks`` package."""

from __future__ import annotations

import json
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.notifier import signing

BODY = json.dumps({"id": "evt-1", "type": "payment.allocated", "data": {"amount": "1500.00"}}).encode()


def test_a_signed_request_verifies_with_the_reference_implementation() -> None:
    secret = signing.generate_secret()
    headers = signing.signed_headers([secret], "evt-1", int(time.time()), BODY)

    assert Webhook(secret).verify(BODY, headers)["id"] == "evt-1"
    assert headers["webhook-signature"].startswith("v1,")


def test_secrets_are_whsec_prefixed_and_unique() -> None:
    a, b = signing.generate_secret(), signing.generate_secret()
    assert a.startswith("whsec_") and b.startswith("whsec_") and a != b


def test_during_a_rotation_either_secret_verifies() -> None:
    old, new = signing.generate_secret(), signing.generate_secret()
    headers = signing.signed_headers([new, old], "evt-1", int(time.time()), BODY)

    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)


def test_a_tampered_body_or_a_foreign_secret_does_not_verify() -> None:
    secret = signing.generate_secret()
    headers = signing.signed_headers([secret], "evt-1", int(time.time()), BODY)

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"1500.00", b"9500.00"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.generate_secret()).verify(BODY, headers)


def test_nothing_is_ever_signed_without_a_secret() -> None:
    with pytest.raises(ValueError, match="never sent unsigned"):
        signing.signed_headers([], "evt-1", int(time.time()), BODY)
