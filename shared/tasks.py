"""Background work: Celery on Redis in production, an in-process worker in the embedded mode.

Tasks are plain functions registered by name (``reconciler.match_lines``); they take ids, open
their own session, and return early when the work is already done, because with
``task_acks_late`` a task may run twice. They are enqueued only after the transaction that
asked for them committed (:func:`enqueue_after_commit`), so a worker never looks for rows that
do not exist yet, or never will.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import event
from sqlmodel import Session

from shared.config import get_settings

log = logging.getLogger("sverka.tasks")

F = TypeVar("F", bound=Callable[..., Any])

_REGISTRY: dict[str, Callable[..., Any]] = {}
# name → interval in seconds, for tasks that run on a schedule (Celery beat, or the in-process scheduler).
_PERIODIC: dict[str, float] = {}
# Modules whose import registers tasks; named, not imported, so shared/ knows nothing of services.
TASK_MODULES = ("services.reconciler.tasks", "services.notifier.tasks")
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def task(name: str) -> Callable[[F], F]:
    """Register ``fn`` under an explicit, stable name (names are part of the queue contract)."""

    def register(fn: F) -> F:
        _REGISTRY[name] = fn
        return fn

    return register


def periodic(name: str, every_seconds: float) -> Callable[[F], F]:
    """Register a task that also runs on a schedule. Ticks must be harmless if doubled."""

    def register(fn: F) -> F:
        _REGISTRY[name] = fn
        _PERIODIC[name] = every_seconds
        return fn

    return register


def periodic_tasks() -> dict[str, float]:
    _import_task_modules()
    return dict(_PERIODIC)


def registered(name: str) -> Callable[..., Any]:
    if name not in _REGISTRY:
        _import_task_modules()
    return _REGISTRY[name]


def _import_task_modules() -> None:
    import importlib

    for module in TASK_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a service not installed in this process
            if not exc.name or not module.startswith(exc.name):
                raise


@lru_cache(maxsize=1)
def celery_app() -> Any:
    """The Celery application, configured for at-least-once delivery that is safe to repeat."""
    from celery import Celery

    settings = get_settings()
    if not settings.redis_url:
        raise RuntimeError("SVERKA_REDIS_URL is not set: the Celery topology needs Redis")
    app = Celery("sverka", broker=settings.redis_url, backend=None)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        task_routes={"reconciler.*": {"queue": "reconciler"}, "notifier.*": {"queue": "notifier"}},
        task_default_queue="reconciler",
        timezone="UTC",
    )
    _import_task_modules()
    for name, fn in _REGISTRY.items():
        app.task(name=name)(fn)
    app.conf.beat_schedule = {name: {"task": name, "schedule": every} for name, every in _PERIODIC.items()}
    _instrument_celery()
    return app


def _instrument_celery() -> None:
    """Worker processes log in the configured format with the task's id and name, and time each task.

    Celery's signals are process-wide; ``dispatch_uid`` keeps a second ``celery_app()`` (tests clear
    its cache) from connecting the handlers twice.
    """
    import time

    from celery import signals

    from shared import metrics
    from shared.logging import configure_logging, task_id_var, task_name_var

    started: dict[str, float] = {}

    def on_setup_logging(**_: Any) -> None:  # connected: Celery leaves logging to us
        configure_logging()

    def on_prerun(task_id: str, task: Any, **_: Any) -> None:
        task_id_var.set(task_id)
        task_name_var.set(task.name)
        started[task_id] = time.perf_counter()

    def on_postrun(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
        began = started.pop(task_id, None)
        if began is not None:
            metrics.observe_task(task.name, time.perf_counter() - began, (state or "unknown").lower())
        task_id_var.set(None)
        task_name_var.set(None)

    def on_worker_ready(**_: Any) -> None:
        port = get_settings().worker_metrics_port
        if port:
            metrics.serve_worker_metrics(port)

    signals.setup_logging.connect(on_setup_logging, weak=False, dispatch_uid="sverka.logging")
    signals.task_prerun.connect(on_prerun, weak=False, dispatch_uid="sverka.task_prerun")
    signals.task_postrun.connect(on_postrun, weak=False, dispatch_uid="sverka.task_postrun")
    signals.worker_ready.connect(on_worker_ready, weak=False, dispatch_uid="sverka.worker_ready")


def _in_process_executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            # One thread: embedded mode serialises background writes (SQLite has one writer anyway).
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sverka-worker")
        return _executor


def _run_logged(name: str, kwargs: dict[str, Any]) -> Any:
    try:
        return registered(name)(**kwargs)
    except Exception:
        log.exception("task %s failed", name)
        raise


def enqueue(name: str, **kwargs: Any) -> Future[Any] | None:
    """Run a task in the background: on Celery when Redis is configured, else in this process."""
    if get_settings().redis_url:
        celery_app().send_task(name, kwargs=kwargs)
        return None
    return _in_process_executor().submit(_run_logged, name, kwargs)


def enqueue_after_commit(session: Session, name: str, **kwargs: Any) -> None:
    """Enqueue once ``session`` commits; nothing happens if it rolls back."""

    def _after_commit(_: Session) -> None:
        try:
            enqueue(name, **kwargs)
        except Exception:  # the change is committed; a lost nudge is recovered by the periodic run
            log.exception("could not enqueue %s after commit", name)

    event.listen(session, "after_commit", _after_commit, once=True)


def drain_in_process(timeout: float = 60.0) -> None:
    """Wait until in-process work queued so far has finished (tests and the demo use it)."""
    if _executor is not None:
        _executor.submit(lambda: None).result(timeout=timeout)


def start_in_process_scheduler(stop: threading.Event) -> threading.Thread:
    """Embedded mode's beat: enqueue each periodic task on its interval until ``stop`` is set."""
    import time

    def loop() -> None:
        due = dict.fromkeys(periodic_tasks(), 0.0)
        while not stop.is_set():
            now = time.monotonic()
            for name, every in periodic_tasks().items():
                if now >= due.get(name, 0.0):
                    due[name] = now + every
                    enqueue(name)
            stop.wait(1.0)

    thread = threading.Thread(target=loop, name="sverka-scheduler", daemon=True)
    thread.start()
    return thread
