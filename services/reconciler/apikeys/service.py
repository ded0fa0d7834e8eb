"""Create, find and revoke API keys.

A key is ``svk_`` + 43 URL-safe characters (32 random bytes from :mod:`secrets`). Only its
SHA-256 is stored. Why not Argon2 as for passwords: a password is guessable, so its hash must be
slow to try; a 256-bit random key cannot be guessed, so a fast hash loses nothing, and it lets a
request find its key by an indexed equality lookup (a slow salted hash would need a scan or an
extra key id in the token, and tens of milliseconds per request).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session

from services.reconciler.apikeys import repository
from shared import journal
from shared.errors import Conflict, InvalidInput, NotFound
from shared.models import Partner
from shared.models.api import API_SCOPES, ApiKey
from shared.models.columns import utcnow

KEY_PREFIX = "svk_"
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 6


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new key and the secret itself, which exists only in this object (and the admin's terminal)."""

    key: ApiKey
    secret: str
    partner_inn: str | None


def create_key(session: Session, name: str, scope: str, *, partner_inn: str | None, actor: str) -> CreatedKey:
    clean = name.strip()
    if not clean or len(clean) > 64:
        raise InvalidInput("a key name is 1-64 characters", field="name")
    if scope not in API_SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(API_SCOPES)}", field="scope")
    partner: Partner | None = None
    if partner_inn is not None:
        partner = repository.partner_by_inn(session, partner_inn.strip())
        if partner is None:
            raise NotFound(f"no partner with INN {partner_inn}", field="partner")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=clean,
        key_hash=hash_key(secret),
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        scope=scope,
        partner_id=partner.id if partner else None,
        created_by=actor,
    )
    session.add(key)
    session.flush()
    journal.record(
        session,
        journal.Change(
            actor,
            "api_key.created",
            "api_key",
            key.id or 0,
            after={"name": clean, "scope": scope, "prefix": key.prefix, "partner_inn": partner_inn},
        ),
    )
    return CreatedKey(key, secret, partner.inn if partner else None)


def revoke_key(session: Session, key_id: int, *, actor: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} not found")
    if key.revoked_at is not None:
        raise Conflict(
            f"API key {key_id} was already revoked by {key.revoked_by} at {key.revoked_at:%Y-%m-%d %H:%M} UTC"
        )
    key.revoked_at = utcnow()
    key.revoked_by = actor
    session.flush()
    journal.record(
        session,
        journal.Change(
            actor,
            "api_key.revoked",
            "api_key",
            key_id,
            before={"revoked": False},
            after={"revoked": True, "name": key.name},
        ),
    )
    return key


def live_key(session: Session, secret: str) -> ApiKey | None:
    """The unrevoked key whose secret this is, or None."""
    if not secret.startswith(KEY_PREFIX):
        return None
    key = repository.key_by_hash(session, hash_key(secret))
    if key is None or key.revoked_at is not None:
        return None
    return key
