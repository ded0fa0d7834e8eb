"""Structured logs: one JSON object per line, carrying the request or task it belongs to.

With ``SVERKA_LOG_FORMAT=json`` (production) every record from every logger (ours, uvicorn's,
Celery's) becomes ``{"ts", "level", "logger", "message", "request_id"?, "task_id"?, "task"?, …}``
on stderr, so a log pipeline can follow one request across the API and the task it enqueued
without parsing prose. The ids live in context variables: set by the API's request middleware
(``services/reconciler/api/observability.py``) and by Celery's task signals (``shared/tasks.py``),
they follow the work through ``await`` and threads started with ``contextvars.copy_context``.
``text`` (the default) keeps the human format for the embedded mode and the demo.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("sverka_request_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("sverka_task_id", default=None)
task_name_var: ContextVar[str | None] = ContextVar("sverka_task_name", default=None)

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged as a field.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON; the context's request/task ids are added when set."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, var in (("request_id", request_id_var), ("task_id", task_id_var), ("task", task_name_var)):
            value = var.get()
            if value is not None:
                entry[key] = value
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(fmt: str | None = None, level: str | None = None) -> None:
    """Send every logger's records to stderr in ``fmt`` (``json`` or ``text``); safe to call again.

    uvicorn and Celery install their own handlers; theirs are removed and their records
    propagate to the root, so one format covers the whole process.
    """
    from shared.config import get_settings

    settings = get_settings()
    fmt = (fmt or settings.log_format).lower()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel((level or settings.log_level).upper())
    for name in ("uvicorn", "uvicorn.error", "celery", "celery.task", "celery.worker"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # The API's own access line (``sverka.http``: route, status, duration, request id) replaces
    # uvicorn's, as ``--no-access-log`` asks; a logger without handlers is one uvicorn skips entirely.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per outbound request drowns the rest
