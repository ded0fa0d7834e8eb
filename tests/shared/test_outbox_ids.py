"""The outbox's event ids: what ``str(uuid.uuid4())`` gives, made in bulk (``shared.outbox.random_uuids``)."""

from __future__ import annotations

import uuid

from shared.outbox import random_uuids


def test_each_id_is_a_random_uuid_written_as_uuid4_writes_it():
    ids = random_uuids(20_000)
    assert len(ids) == len(set(ids)) == 20_000
    for text in ids:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == text  # lowercase, dashes where uuid puts them
    # The variant digit keeps its two random bits: all four of its values occur.
    assert {text[19] for text in ids} == set("89ab")


def test_none_asked_none_given():
    assert random_uuids(0) == []
