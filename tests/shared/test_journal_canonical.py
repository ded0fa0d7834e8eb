"""The journal's hashes do not depend on how fast they are computed.

Chains already stored were hashed over one canonical form: the event's fields as sorted, compact
JSON (``ensure_ascii=False``), the timestamp as UTC ISO 8601 with microseconds, before and after
as a JSON round trip made them. :func:`reference_canonical` and :func:`reference_jsonable` are
that form, written out here as it was first written, so that a faster writer is held to the
very same bytes and values.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from shared import journal
from shared.db import session_scope
from shared.models.audit import JournalEvent


def reference_jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def reference_canonical(fields: dict[str, Any]) -> bytes:
    body = {name: fields[name] for name in journal._HASHED}
    body["occurred_at"] = fields["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


PAYLOADS: list[Any] = [
    None,
    {},
    {"amount_minor": 12345, "currency": "RUB"},
    {"name": "ООО «Ромашка» — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀", "inn": None},
    {"quote": 'he said "paid"\\ back\nslash\ttab\x00\x1f\u2028\u2029\x7f'},
    {"amount": Decimal("1234.5600"), "tiny": Decimal("1E-7"), "neg": Decimal("-0")},
    {"date": date(2026, 5, 20), "at": datetime(2026, 5, 20, 13, 45, 1, 5, tzinfo=UTC), "span": timedelta(days=2)},
    {"nested": {"z": 1, "a": {"deep": [1, 2.5, None, True, False, "x", {"k": Decimal("3.10")}]}}},
    {"reasons": [{"rule": "number", "detail": "№ 17"}, {"rule": "amount", "detail": "exact"}], "confidence": 0.95},
    {"floats": [0.1, 1e16, -0.0, 1.5e-300, math.inf, -math.inf, 123456789.123456789]},
    {"big": 2**70, "negative": -(2**40), "bool": True},
    {"tuple": (1, "a"), "set_free": [(2, 3)]},
    {1: "int key", "2": "string key", None: "none key", 2.5: "float key", False: "bool key"},
    {"enum": Colour.RED, "level": Level.HIGH},
    {"b": 1, "a": 2, "B": 3, "ä": 4, "á": 5, "_": 6},
    ["a", "list", "as", "payload"],
    "a bare string",
    17,
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_jsonable_gives_what_a_json_round_trip_gives(payload: Any) -> None:
    mine, theirs = journal.jsonable(payload), reference_jsonable(payload)
    assert json.dumps(mine, sort_keys=False) == json.dumps(theirs, sort_keys=False)  # NaN-safe equality, order too
    assert [type(v) for v in _leaves(mine)] == [type(v) for v in _leaves(theirs)]


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in [k, *_leaves(v)]]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_jsonable_copies_so_later_changes_to_the_payload_do_not_reach_the_event() -> None:
    payload = {"reasons": [{"rule": "number"}], "amount_minor": 1}
    copy = journal.jsonable(payload)
    payload["reasons"][0]["rule"] = "changed"
    payload["reasons"].append({"rule": "added"})
    payload["amount_minor"] = 2
    assert copy == {"reasons": [{"rule": "number"}], "amount_minor": 1}


def test_a_new_event_is_hashed_over_the_very_bytes_of_the_stored_form() -> None:
    moments = [
        datetime(2026, 12, 7, 18, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 7, 21, 0, 0, 123456, tzinfo=timezone(timedelta(hours=3))),
        datetime(1999, 1, 1, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    ]
    texts = ["system", "cli", "ёжик «кавычки»", 'q"uote\\', "tab\tnew\nline\u2028", "😀", ""]
    checked = 0
    for m, moment in enumerate(moments):
        for b, before in enumerate([None, *PAYLOADS]):
            after = PAYLOADS[(b + m) % len(PAYLOADS)]
            text = texts[(b + m) % len(texts)]
            fields = {
                "seq": 10 ** (b % 7) + b,
                "occurred_at": moment,
                "actor": text,
                "action": f"invoice.{text}",
                "entity_type": texts[b % len(texts)],
                "entity_id": str(b) if b % 2 else text,
                "before": None if before is None else journal.jsonable(before),
                "after": None if after is None else journal.jsonable(after),
                "prev_hash": hashlib.sha256(str(b).encode()).hexdigest() if b else journal.GENESIS_HASH,
            }
            expected = reference_canonical(fields)
            assert journal._canonical(fields) == expected
            fast = journal._canonical_new(
                fields["seq"],
                journal._timestamp(moment),
                fields["actor"],
                fields["action"],
                fields["entity_type"],
                fields["entity_id"],
                fields["before"],
                fields["after"],
                fields["prev_hash"],
            )
            assert fast == expected, (before, after)
            checked += 1
    assert checked == len(moments) * (len(PAYLOADS) + 1)


# What both databases store and give back unchanged: PostgreSQL's jsonb refuses U+0000 and
# non-finite numbers, and writes 1e16 back as an integer.
STORABLE = [p for p in PAYLOADS if "\\x00" not in repr(p) and "floats" not in repr(p)] + [
    {"quote": 'he said "paid"\\ back\nslash\ttab\x1f\u2028\u2029\x7f', "floats": [0.1, 0.95, 1.5e-300]}
]


def test_stored_events_carry_the_hashes_the_original_form_gives_and_the_chain_verifies(engine) -> None:
    changes = [
        journal.Change("ёжик", "invoice.updated", "invoice", i, before, STORABLE[-1 - i])
        for i, before in enumerate(STORABLE)
    ]
    changes.append(journal.Change(Colour.RED, "odd.actor", "thing", "x-1", None, None))  # type: ignore[arg-type]
    with session_scope() as session:
        assert journal.record_many(session, changes[:5]) == 5
        assert journal.record_many(session, changes[5:]) == len(changes) - 5
    with session_scope() as session:
        events = list(session.scalars(select(JournalEvent).order_by(col(JournalEvent.seq))))
        prev = journal.GENESIS_HASH
        for event in events:
            fields = {name: getattr(event, name) for name in journal._HASHED}
            assert event.prev_hash == prev
            assert event.hash == hashlib.sha256(reference_canonical(fields)).hexdigest(), event.seq
            prev = event.hash
        assert [e.entity_id for e in events] == [str(c.entity_id) for c in changes]
        assert journal.verify(session).ok
