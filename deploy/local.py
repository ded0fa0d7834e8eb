"""``make prod-local`` (``python -m deploy.local``): the production topology on one machine, without Docker.

What docker-compose.yml describes, made of the same parts on loopback:

1. PostgreSQL, a cluster of our own under ``var/prod-local/pg`` (created and run as the unprivileged
   ``postgres`` user when we are root, as ``initdb`` requires), password authentication on TCP;
2. Redis with an append-only file, as in compose;
3. ``deploy/postgres/roles.sql`` (roles ``sverka_owner`` and ``sverka_app``, database ``sverka``),
   then migrations as the owner and ``deploy/postgres/grants.sql`` (:mod:`deploy.database`);
4. every process of the ``Procfile`` (API with several uvicorn workers, reconciler worker, notifier
   worker, one beat, the sandbox bank) under :mod:`deploy.procfile`, connected as ``sverka_app``.

Passwords are generated on the first run and kept in ``var/prod-local/secrets.json`` (mode 0600);
``var/prod-local/sverka.env`` holds the environment the processes run with, so an operator can
``set -a; . var/prod-local/sverka.env; set +a`` and use ``sverka …`` against the running system.
The tests (tests/production/) drive the same class with free ports and a temporary root.
"""

# Every subprocess here runs a server binary we located ourselves, with arguments we built.
# ruff: noqa: S603

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

REPO = Path(__file__).resolve().parents[1]
PROCFILE = REPO / "Procfile"
ENV_DEFAULTS = Path(__file__).resolve().parent / "prod-local.env"
ROLES_SQL = Path(__file__).resolve().parent / "postgres" / "roles.sql"
PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
DATABASE = "sverka"
APP_ROLE, OWNER_ROLE = "sverka_app", "sverka_owner"


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines (``#`` comments, no quoting or expansion), as docker-compose env files."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def pg_tool(name: str) -> str:
    for d in PG_BIN_DIRS:
        if (Path(d) / name).exists():
            return str(Path(d) / name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (apt-get install postgresql-15)")
    return found


def _as_postgres_user(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root; our machines and CI run as root."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing is listening on 127.0.0.1:{port} after {timeout:.0f}s")


def process_tree(pid: int) -> list[int]:
    """``pid`` and every live process descended from it (Linux ``/proc``), parents before children."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name (field 2) may hold spaces and parentheses: the ppid follows its last ')'.
            ppid = int((entry / "stat").read_text(encoding="utf-8").rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid] if Path(f"/proc/{pid}").exists() else []
    while todo:
        current = todo.pop(0)
        tree.append(current)
        todo.extend(sorted(children.get(current, [])))
    return tree


@dataclass
class LocalTopology:
    """PostgreSQL, Redis and the Procfile's processes under ``root``; each step callable on its own."""

    root: Path
    api_port: int = 8000
    sandbox_port: int = 8765
    postgres_port: int = 55432
    redis_port: int = 56379
    durable: bool = True  # fsync on; the tests turn it off for speed
    env_overrides: Mapping[str, str] = field(default_factory=dict)
    redis: subprocess.Popen[bytes] | None = None
    supervisor: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ paths and secrets

    @property
    def pg_root(self) -> Path:
        return self.root / "pg"

    @property
    def pg_data(self) -> Path:
        return self.pg_root / "data"

    @property
    def state_file(self) -> Path:
        return self.root / "processes.json"

    @property
    def metrics_dir(self) -> Path:
        return self.root / "metrics"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    def secrets(self) -> dict[str, str]:
        """Passwords and the cookie key, generated once per root and kept beside the data."""
        path = self.root / "secrets.json"
        if path.exists():
            stored: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
            return stored
        self.root.mkdir(parents=True, exist_ok=True)
        made = {k: secrets.token_urlsafe(24) for k in ("postgres", OWNER_ROLE, APP_ROLE, "secret_key")}
        path.touch(mode=0o600)
        path.write_text(json.dumps(made, indent=2), encoding="utf-8")
        return made

    def url(self, role: str, database: str = DATABASE) -> str:
        return f"postgresql+psycopg://{role}:{self.secrets()[role]}@127.0.0.1:{self.postgres_port}/{database}"

    @property
    def owner_url(self) -> str:
        return self.url(OWNER_ROLE)

    @property
    def app_url(self) -> str:
        return self.url(APP_ROLE)

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    # ------------------------------------------------------------------ PostgreSQL

    def _pg_options(self) -> str:
        options = f"-p {self.postgres_port} -k {self.pg_root} -c listen_addresses=127.0.0.1"
        if not self.durable:
            options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        return options

    def start_postgres(self) -> None:
        """Create the cluster on first use (scram passwords on TCP), then start it and wait."""
        self.pg_root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.pg_root, "postgres", "postgres")
        if not (self.pg_data / "PG_VERSION").exists():
            pwfile = self.pg_root / "pwfile"
            pwfile.write_text(self.secrets()["postgres"] + "\n", encoding="utf-8")
            if os.geteuid() == 0:
                shutil.chown(pwfile, "postgres", "postgres")
            pwfile.chmod(0o600)
            cmd = [pg_tool("initdb"), "-D", str(self.pg_data), "-U", "postgres", "-E", "UTF8", "--locale=C"]
            cmd += ["--auth-local=peer", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
            if not self.durable:
                cmd.append("--no-sync")
            try:
                subprocess.run(_as_postgres_user(cmd), check=True, capture_output=True)
            finally:
                pwfile.unlink(missing_ok=True)
        log = str(self.pg_root / "postgres.log")
        start = [pg_tool("pg_ctl"), "-D", str(self.pg_data), "-o", self._pg_options(), "-l", log, "-w", "-t", "60"]
        subprocess.run(_as_postgres_user([*start, "start"]), check=True, capture_output=True)

    def stop_postgres(self, mode: str = "fast") -> None:
        """``fast`` ends sessions cleanly; ``immediate`` is a crash (recovery on next start)."""
        subprocess.run(
            _as_postgres_user([pg_tool("pg_ctl"), "-D", str(self.pg_data), "-m", mode, "-w", "stop"]),
            capture_output=True,
            check=False,
        )

    def psql(self, *args: str, database: str = "postgres") -> subprocess.CompletedProcess[str]:
        """psql as the cluster's superuser over TCP (the roles script needs psql's \\gexec)."""
        env = {**os.environ, "PGPASSWORD": self.secrets()["postgres"]}
        cmd = [pg_tool("psql"), "-h", "127.0.0.1", "-p", str(self.postgres_port), "-U", "postgres"]
        cmd += ["-d", database, "-v", "ON_ERROR_STOP=1", "-X", "-q", *args]
        return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)

    def provision(self) -> None:
        """Roles and database (idempotent), then migrations as the owner and the app role's grants."""
        from sqlalchemy import create_engine

        from deploy.database import migrate_and_grant

        s = self.secrets()
        self.psql(
            "-v", f"owner_password={s[OWNER_ROLE]}", "-v", f"app_password={s[APP_ROLE]}",
            "-v", f"database={DATABASE}", "-f", str(ROLES_SQL),
        )  # fmt: skip
        engine = create_engine(self.owner_url)
        try:
            migrate_and_grant(engine)
        finally:
            engine.dispose()

    # ------------------------------------------------------------------ Redis

    def start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        data = self.root / "redis"
        data.mkdir(parents=True, exist_ok=True)
        self.redis = subprocess.Popen(
            [binary, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--dir", str(data),
             "--appendonly", "yes", "--save", "", "--logfile", str(data / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # stopped by us, after the processes that use it
        )  # fmt: skip
        _wait_for_port(self.redis_port, 15)

    def stop_redis(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(timeout=15)
        self.redis = None

    # ------------------------------------------------------------------ the processes

    def process_env(self) -> dict[str, str]:
        """The environment every Procfile process runs with (also written to ``sverka.env``)."""
        defaults = read_env_file(ENV_DEFAULTS)
        env = {**defaults, **{k: v for k, v in os.environ.items() if k in defaults}}
        env.update(
            SVERKA_API_PORT=str(self.api_port),
            SVERKA_SANDBOX_PORT=str(self.sandbox_port),
            SVERKA_POSTGRES_PORT=str(self.postgres_port),
            SVERKA_REDIS_PORT=str(self.redis_port),
            SVERKA_DATABASE_URL=self.app_url,
            SVERKA_REDIS_URL=self.redis_url,
            SVERKA_VAR_DIR=str((self.root / "var").resolve()),
            SVERKA_SECRET_KEY=self.secrets()["secret_key"],
            PROMETHEUS_MULTIPROC_DIR=str(self.metrics_dir.resolve()),
        )
        env.update(self.env_overrides)
        return env

    def write_env_file(self) -> Path:
        path = self.root / "sverka.env"
        path.touch(mode=0o600)
        path.write_text("".join(f"{k}={v}\n" for k, v in sorted(self.process_env().items())), encoding="utf-8")
        return path

    def start_processes(self, out: IO[bytes] | int | None = None, only: str | None = None) -> None:
        """Start the Procfile under the supervisor; ``out`` receives every process's prefixed output."""
        if self.metrics_dir.exists():  # counters of a previous run would be summed with this one's
            shutil.rmtree(self.metrics_dir)
        self.metrics_dir.mkdir(parents=True)
        (self.root / "var").mkdir(parents=True, exist_ok=True)
        venv_bin = str(Path(sys.executable).parent)
        env = {**os.environ, **self.process_env(), "PYTHONUNBUFFERED": "1"}
        env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
        cmd = [sys.executable, "-m", "deploy.procfile", str(PROCFILE), "--state", str(self.state_file)]
        if only:
            cmd += ["--only", only]
        self.supervisor = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Until the API says ready and the sandbox bank answers."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if self.supervisor is not None and self.supervisor.poll() is not None:
                raise RuntimeError(f"the process supervisor exited with {self.supervisor.returncode}")
            try:
                api = httpx.get(f"{self.api_url}/v1/ready", timeout=2)
                bank = httpx.get(f"{self.sandbox_url}/sandbox/health", timeout=2)
                if api.status_code == 200 and bank.status_code == 200:
                    return
                last = (api.status_code, api.text[:200])
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.25)
        raise RuntimeError(f"the topology was not ready within {timeout:.0f}s (last answer: {last!r})")

    def pids(self) -> dict[str, int]:
        """``{process name: pid}`` of what the supervisor runs now."""
        try:
            found: dict[str, int] = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return found

    def process_tree(self, name: str) -> list[int]:
        """The pids of Procfile process ``name`` and what it forked (Celery's pool, uvicorn's workers)."""
        pid = self.pids().get(name)
        return process_tree(pid) if pid else []

    def stop_processes(self, timeout: float = 30.0) -> None:
        if self.supervisor is not None and self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGTERM)
            try:
                self.supervisor.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.supervisor.kill()
                self.supervisor.wait()
        self.supervisor = None

    def start(self, out: IO[bytes] | int | None = None) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.start_postgres()
        self.start_redis()
        self.provision()
        self.write_env_file()
        self.start_processes(out)

    def stop(self) -> None:
        self.stop_processes()
        self.stop_redis()
        self.stop_postgres()


def main(argv: list[str] | None = None) -> int:
    defaults = {**read_env_file(ENV_DEFAULTS), **os.environ}
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=REPO / "var" / "prod-local", help="where data and logs live")
    parser.add_argument("--api-port", type=int, default=int(defaults["SVERKA_API_PORT"]))
    parser.add_argument("--sandbox-port", type=int, default=int(defaults["SVERKA_SANDBOX_PORT"]))
    parser.add_argument("--postgres-port", type=int, default=int(defaults["SVERKA_POSTGRES_PORT"]))
    parser.add_argument("--redis-port", type=int, default=int(defaults["SVERKA_REDIS_PORT"]))
    args = parser.parse_args(argv)
    topology = LocalTopology(args.root.resolve(), args.api_port, args.sandbox_port, args.postgres_port, args.redis_port)

    def forward(*_: object) -> None:
        # Only pass the stop on: the main thread is waiting for the supervisor and does the rest.
        if topology.supervisor is not None and topology.supervisor.poll() is None:
            topology.supervisor.send_signal(signal.SIGTERM)

    # Ctrl-C reaches the whole foreground process group, the supervisor included; SIGTERM (a service
    # manager, `timeout`) reaches only us. Either way the supervisor stops first, then Redis and PostgreSQL.
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    try:
        topology.start()
        topology.wait_ready()
        env_file = topology.root / "sverka.env"
        sys.stderr.write(
            f"\nSverka is up: API {topology.api_url} (docs {topology.api_url}/docs, metrics "
            f"{topology.api_url}/metrics), sandbox bank {topology.sandbox_url}\n"
            f"PostgreSQL 127.0.0.1:{topology.postgres_port} (app role {APP_ROLE}), Redis {topology.redis_url}\n"
            f"Use the CLI against it: set -a; . {env_file}; set +a; sverka accounts list\nCtrl-C stops everything.\n\n"
        )
        while topology.supervisor is not None and topology.supervisor.poll() is None:
            time.sleep(0.5)  # not wait(): a signal handler may run while we are here
    finally:
        topology.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
