"""Real PostgreSQL and Redis servers for the test session, on loopback with free ports.

No mocks: the same binaries production uses. Everything runs as root on our machines and
``initdb``/``postgres`` refuse root, so the cluster is created as the unprivileged ``postgres``
user in a directory it owns. ``SVERKA_REQUIRE_SERVICES=1`` (set by CI) turns a missing server
into a failure instead of a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")


def services_required() -> bool:
    return os.environ.get("SVERKA_REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where a skipped real-service test would hide a broken setup."""
    if services_required():
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_tool(name: str) -> str | None:
    for d in PG_BIN_DIRS:
        if (Path(d) / name).exists():
            return str(Path(d) / name)
    return shutil.which(name)


def _as_unprivileged(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throwaway cluster; yield a superuser URL ``postgresql+psycopg://…/postgres``."""
    initdb, pg_ctl = _pg_tool("initdb"), _pg_tool("pg_ctl")
    if not initdb or not pg_ctl:
        unavailable("PostgreSQL binaries (initdb, pg_ctl) not found")
    assert initdb and pg_ctl
    root = Path(tempfile.mkdtemp(prefix="sverka-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    subprocess.run(
        _as_unprivileged([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run(
        _as_unprivileged([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_unprivileged([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[str]:
    """Start a throwaway redis-server; yield ``redis://127.0.0.1:PORT/0``."""
    binary = shutil.which("redis-server")
    if not binary:
        unavailable("redis-server not found (apt-get install redis-server)")
    assert binary
    root = Path(tempfile.mkdtemp(prefix="sverka-redis-"))
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(root), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
