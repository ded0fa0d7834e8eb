"""The shapes an evidence pack is asked for and handed back in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

SubjectKind = Literal["payment", "invoice", "contract"]
SUBJECT_KINDS: tuple[SubjectKind, ...] = ("payment", "invoice", "contract")

# The journal's entity type for each subject (a payment is a booked bank line).
JOURNAL_ENTITY: dict[SubjectKind, str] = {"payment": "bank_transaction", "invoice": "invoice", "contract": "contract"}

ZIP_MEDIA_TYPE = "application/zip"


@dataclass(frozen=True, slots=True)
class Subject:
    """What a pack is about: one payment (bank line), one invoice or one contract, by id."""

    kind: SubjectKind
    id: int


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who the pack is for. A partner's pack holds only what ``/v1`` lets that partner see.

    ``partner_id`` None means one of our own services or people: the pack holds everything.
    """

    actor: str
    partner_id: int | None = None
    partner_inn: str | None = None

    @property
    def is_partner(self) -> bool:
        return self.partner_id is not None


@dataclass(frozen=True, slots=True)
class Pack:
    """A built pack: the ZIP bytes, the name to save it under and the hashes the journal recorded."""

    data: bytes
    filename: str
    manifest: dict[str, Any]
    manifest_sha256: str
    sha256: str
    journal_seq: int  # the evidence.packed event that records this pack
