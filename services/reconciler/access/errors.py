"""Access failures. They carry their HTTP status like every domain error; the UI renders them as pages."""

from __future__ import annotations

from shared.errors import SverkaError


class LoginRequired(SverkaError):
    """No valid session: a page redirects to the login form, a form post answers 401."""

    status_code = 401
    code = "login_required"


class Forbidden(SverkaError):
    """Logged in, but the role does not allow this (or the form's CSRF token is missing or wrong)."""

    status_code = 403
    code = "forbidden"


class TooManyAttempts(SverkaError):
    """Too many failed logins lately for this name or this address."""

    status_code = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
