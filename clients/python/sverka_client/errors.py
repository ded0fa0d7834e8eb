"""Errors of the API, one class per kind, each with the API's stable ``code``, ``message`` and ``field``."""

from __future__ import annotations


class SverkaError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.field = status, code, message, field


class AuthenticationError(SverkaError):
    """401: the key is missing, unknown or revoked."""


class PermissionDeniedError(SverkaError):
    """403: the key's scope does not allow this (a read key writing, a partner key off its partner)."""


class NotFoundError(SverkaError):
    """404: no such thing, or not visible to this key."""


class ConflictError(SverkaError):
    """409: the current state does not allow it (already settled, already cancelled, key in use)."""


class InvalidInputError(SverkaError):
    """422: the input is invalid, or an Idempotency-Key was reused for another request."""


class RateLimitedError(SverkaError):
    """429 after the client's own retries ran out."""

    def __init__(self, status: int, code: str, message: str, field: str | None, retry_after: float) -> None:
        super().__init__(status, code, message, field)
        self.retry_after = retry_after


_BY_STATUS: dict[int, type[SverkaError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: InvalidInputError,
}


def error_for(status: int, body: object, retry_after: float = 0.0) -> SverkaError:
    detail = body.get("error") if isinstance(body, dict) else None
    if not isinstance(detail, dict):
        detail = {"code": "http_error", "message": str(body)[:500], "field": None}
    code, message, field = str(detail.get("code")), str(detail.get("message")), detail.get("field")
    if status == 429:
        return RateLimitedError(status, code, message, field, retry_after)
    return _BY_STATUS.get(status, SverkaError)(status, code, message, field)
