"""Signed, expiring links that open one partner's page and nothing else.

A link carries the partner's id, signed with HMAC (itsdangerous) and timestamped: it cannot be
forged or edited into another partner's link, and it stops working ``partner_link_days`` after
it was issued. Anyone holding the link sees that partner's statement — the same trust as the
email it arrived in — so links are long-random-looking, never guessable, and expire.

The key is ``SVERKA_PARTNER_LINK_SECRET``, or one generated on first use and kept in
``var_dir/partner_link_secret`` (embedded mode). Changing the key revokes every link.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from shared.config import Settings, get_settings
from shared.errors import SverkaError

_SALT = "sverka.partner-link"
_lock = threading.Lock()

Clock = Callable[[], float]


class LinkRefused(SverkaError):
    """A partner link that does not open anything: forged, edited, or expired."""

    status_code = 403
    code = "link_refused"


class LinkExpired(LinkRefused):
    status_code = 410
    code = "link_expired"


def _secret(settings: Settings) -> str:
    if settings.partner_link_secret:
        return settings.partner_link_secret
    key_file: Path = settings.var_dir / "partner_link_secret"
    with _lock:
        if key_file.exists():
            return key_file.read_text(encoding="utf-8").strip()
        key_file.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race: use its key
            return key_file.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(value)
        return value


def _serializer(settings: Settings, clock: Clock) -> URLSafeTimedSerializer:
    signer = type("ClockedSigner", (TimestampSigner,), {"get_timestamp": lambda self: int(clock())})
    return URLSafeTimedSerializer(_secret(settings), salt=_SALT, signer=signer)


def issue(partner_id: int, *, settings: Settings | None = None, clock: Clock = time.time) -> str:
    """A token for ``partner_id``'s page, valid from now for ``partner_link_days``."""
    settings = settings or get_settings()
    return str(_serializer(settings, clock).dumps({"partner": partner_id}))


def partner_url(partner_id: int, *, settings: Settings | None = None, clock: Clock = time.time) -> str:
    settings = settings or get_settings()
    return f"{settings.public_base_url.rstrip('/')}/partner/{issue(partner_id, settings=settings, clock=clock)}"


def verify(token: str, *, settings: Settings | None = None, clock: Clock = time.time) -> int:
    """The partner id a token opens; :class:`LinkExpired` or :class:`LinkRefused` otherwise."""
    settings = settings or get_settings()
    max_age = settings.partner_link_days * 86400
    try:
        data = _serializer(settings, clock).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired("this link has expired; the next email from us carries a fresh one") from exc
    except BadSignature as exc:
        raise LinkRefused("this link is not valid") from exc
    partner = data.get("partner") if isinstance(data, dict) else None
    if not isinstance(partner, int):
        raise LinkRefused("this link is not valid")
    return partner
