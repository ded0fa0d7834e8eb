"""Domain errors that carry their HTTP status and a stable machine code.

Services raise these; the API renders them with one handler and the CLI prints them. Services
never raise ``HTTPException``: they don't know they are behind HTTP.
"""

from __future__ import annotations


class SverkaError(Exception):
    """Base of every expected, user-facing failure."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(SverkaError):
    status_code = 404
    code = "not_found"


class Conflict(SverkaError):
    status_code = 409
    code = "conflict"


class InvalidInput(SverkaError):
    status_code = 422
    code = "invalid_input"


class StatementRejected(SverkaError):
    """A statement file that cannot be imported; nothing from it was stored."""

    status_code = 422
    code = "statement_rejected"
