"""Secrets, cookie signing and CSRF tokens: the cryptography of access, kept in one small place.

The session cookie carries a random token signed with :mod:`itsdangerous` (tampering is caught
before the database is asked); the token is also the key of a ``user_session`` row, so a logout
really ends it. A CSRF token is an HMAC of the session token (or, before login, of a random
pre-session cookie): a page on another site can make the browser send our cookies, but it cannot
read a page of ours to learn the token that every form must echo.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from shared.config import get_settings

SESSION_COOKIE = "sverka_session"
PRE_SESSION_COOKIE = "sverka_pre"
CSRF_FIELD = "csrf_token"


def _key_file() -> Path:
    return get_settings().var_dir / "secret_key"


@lru_cache(maxsize=8)
def _secret_for(configured: str, key_file: Path) -> str:
    if configured:
        return configured
    # Embedded mode: one key generated on first use and kept beside the database.
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value)
    return value


def secret_key() -> str:
    return _secret_for(get_settings().secret_key, _key_file().resolve())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def sign_session(token: str) -> str:
    return TimestampSigner(secret_key(), salt="sverka.session").sign(token).decode()


def unsign_session(cookie: str | None, max_age_seconds: int) -> str | None:
    """The token inside a session cookie, or None if it is missing, forged or too old."""
    if not cookie:
        return None
    try:
        return TimestampSigner(secret_key(), salt="sverka.session").unsign(cookie, max_age=max_age_seconds).decode()
    except (BadSignature, SignatureExpired):
        return None


def csrf_token(binding: str) -> str:
    mac = hmac.new(secret_key().encode(), f"csrf:{binding}".encode(), hashlib.sha256)
    return mac.hexdigest()


def csrf_ok(binding: str | None, token: str | None) -> bool:
    if not binding or not token:
        return False
    return hmac.compare_digest(csrf_token(binding), token)
