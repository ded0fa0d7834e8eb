"""Background work: Celery on Redis in production, an in-process worker in the embedded mode.

Tasks are plain functions registered by name (``reconciler.match_lines``); they take ids, open
their own session, and return early when the work is already done, because with
``task_acks_late`` a task may run twice. They are enqueued only after the transaction that
asked for them committed (:func:`enqueue_after_commit`), so a worker never looks for rows that
do not exist yet, or never will.

On Celery, :func:`enqueue` never talks to the broker itself: it hands the message to this
process's :class:`Publisher` thread and returns. An API request therefore never waits on Redis
(an outage would otherwise cost every import seconds of connection retries), and a message that
cannot be published is kept and sent again until Redis answers, instead of being lost.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
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
        # What the task asked for leaves before the task is acknowledged (acks_late), as when it was sent inline.
        if not flush_published(timeout=10.0):
            log.warning("task %s finished with follow-up tasks not yet published", task.name)
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


Send = Callable[[Any, str, dict[str, Any]], None]


def _send_with_timeout(app: Any, name: str, kwargs: dict[str, Any]) -> None:
    # Celery's default publish retries for about three seconds; the publisher retries on its own schedule.
    app.send_task(name, kwargs=kwargs, retry=True, retry_policy={"max_retries": 1, "interval_start": 0.5})


class Publisher:
    """Publishes messages to the broker from one background thread, keeping what fails until it succeeds.

    ``submit`` only queues, so callers (API requests above all) never wait on the broker. A
    message that cannot be published stays queued and is tried again with a growing pause (up to
    ``max_pause``) until the broker answers. The same task with the same arguments queued twice
    before it is sent is sent once: tasks are idempotent, and "match the open lines" asked for by
    a hundred imports during an outage is one run afterwards, not a hundred. The queue is bounded
    (``limit``): past it the oldest message is dropped, with an error in the log.

    What is queued lives in this process's memory: a process killed while the broker is down loses
    its messages. The committed data is safe, and our messages are nudges that any later one repeats
    (the next import, pull or decision runs the matcher over every open line).
    """

    def __init__(self, send: Send = _send_with_timeout, *, max_pause: float = 10.0, limit: int = 10_000) -> None:
        self._send, self.max_pause, self.limit = send, max_pause, limit
        self._pending: dict[tuple[int, str, str], tuple[Any, str, dict[str, Any]]] = {}
        self._cond = threading.Condition()
        self._busy = False
        self._thread: threading.Thread | None = None

    def submit(self, app: Any, name: str, kwargs: dict[str, Any]) -> None:
        key = (id(app), name, json.dumps(kwargs, sort_keys=True, default=str))
        with self._cond:
            self._pending.pop(key, None)
            self._pending[key] = (app, name, kwargs)
            if len(self._pending) > self.limit:
                dropped = next(iter(self._pending))
                del self._pending[dropped]
                log.error("the broker has been unreachable for long: dropped the oldest queued task %s", dropped[1])
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sverka-publisher", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._pending) + int(self._busy)

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued so far is published (or ``timeout``); whether it was."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _run(self) -> None:
        pause, failing = 0.0, False
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                key = next(iter(self._pending))
                app, name, kwargs = self._pending.pop(key)
                self._busy = True
            try:
                self._send(app, name, kwargs)
            except Exception as exc:  # the broker is down or unreachable: keep the message, try again later
                with self._cond:
                    self._busy = False
                    if key not in self._pending:  # back at the head of the queue: order is kept
                        self._pending = {key: (app, name, kwargs), **self._pending}
                if not failing:
                    log.warning("cannot publish %s (%s); keeping it and retrying until the broker answers", name, exc)
                failing, pause = True, min(self.max_pause, max(0.5, pause * 2))
                time.sleep(pause)
                continue
            with self._cond:
                self._busy = False
                self._cond.notify_all()
            if failing:
                log.info("the broker answers again; published the tasks kept meanwhile")
            failing, pause = False, 0.0


_publisher: Publisher | None = None


def publisher() -> Publisher:
    global _publisher
    with _lock:
        if _publisher is None:
            _publisher = Publisher()
        return _publisher


def flush_published(timeout: float = 5.0) -> bool:
    """Wait for this process's queued messages to reach the broker (before exiting, after a task)."""
    return _publisher.flush(timeout) if _publisher is not None else True


def _forget_publisher_after_fork() -> None:
    # A forked child (Celery's pool) has the parent's queue but not its thread: start afresh.
    global _publisher
    _publisher = None


os.register_at_fork(after_in_child=_forget_publisher_after_fork)


@atexit.register
def _flush_at_exit() -> None:
    # A CLI command (``sverka sync``) exits right after its commit; give its nudge a moment to leave.
    if _publisher is not None and not _publisher.flush(5.0):
        log.error("exiting with %d task(s) not published: the broker did not answer", _publisher.pending())


def enqueue(name: str, **kwargs: Any) -> Future[Any] | None:
    """Run a task in the background: on Celery when Redis is configured, else in this process.

    On Celery this returns at once: the message is published by :func:`publisher`'s thread.
    """
    if get_settings().redis_url:
        publisher().submit(celery_app(), name, kwargs)
        return None
    return _in_process_executor().submit(_run_logged, name, kwargs)


def enqueue_after_commit(session: Session, name: str, **kwargs: Any) -> None:
    """Enqueue once ``session`` commits; nothing happens if it rolls back."""

    def _after_commit(_: Session) -> None:
        try:
            enqueue(name, **kwargs)
        except Exception:  # the change is committed; the next nudge covers what this one asked for
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
