"""``python -m deploy.procfile Procfile``: run every process of a Procfile and keep them running.

Why not honcho or foreman: they stop *every* process when one exits. Production does the
opposite (docker-compose ``restart: unless-stopped``, systemd ``Restart=always``): a crashed
worker comes back and the rest carry on. The fault tests kill workers with SIGKILL on purpose
and need the same behaviour here, so this runner restarts an exited process with a short backoff.

* Each process runs as ``/bin/sh -c COMMAND`` in its own session (process group), so
  ``$VARIABLES`` expand and stopping a process also stops what it forked (Celery's pool, uvicorn's
  workers). When a process exits, the rest of its group is killed before it is restarted, as a
  container runtime does when a container's first process dies.
* Output lines are prefixed with the process name and written to stdout.
* ``--state FILE`` keeps ``{"name": pid, …}`` current, for operators and the fault tests.
* SIGTERM or SIGINT stops everything: SIGTERM to each group, SIGKILL after ``--grace`` seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

RESTART_DELAY_FIRST = 0.5
RESTART_DELAY_MAX = 10.0
# A process that stayed up this long is healthy again: its next crash restarts it at once.
STABLE_AFTER_SECONDS = 30.0


def parse_procfile(text: str) -> dict[str, str]:
    """``name: command`` lines, in order; blank lines and ``#`` comments are skipped."""
    processes: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        name, command = name.strip(), command.strip()
        if not sep or not name.replace("-", "").replace("_", "").isalnum() or not command:
            raise ValueError(f"Procfile line {number} is not 'name: command': {raw!r}")
        if name in processes:
            raise ValueError(f"Procfile line {number} repeats the process name {name!r}")
        processes[name] = command
    return processes


@dataclass
class Supervised:
    name: str
    command: str
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    delay: float = RESTART_DELAY_FIRST
    next_start: float = 0.0


@dataclass
class Supervisor:
    processes: dict[str, str]
    env: dict[str, str]
    cwd: Path
    state_file: Path | None = None
    out: IO[str] = field(default_factory=lambda: sys.stdout)
    grace: float = 10.0
    _items: dict[str, Supervised] = field(default_factory=dict)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _write_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._items = {name: Supervised(name, cmd) for name, cmd in self.processes.items()}
        self._width = max((len(n) for n in self._items), default=4)

    def _say(self, name: str, line: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        with self._write_lock:
            self.out.write(f"{stamp} {name:<{self._width}} | {line}\n")
            self.out.flush()

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self._say(name, raw.decode("utf-8", "replace").rstrip("\n"))
        stream.close()

    def _start(self, item: Supervised) -> None:
        proc = subprocess.Popen(  # noqa: S603 - commands come from the operator's own Procfile
            ["/bin/sh", "-c", item.command],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert proc.stdout is not None
        item.proc, item.started_at = proc, time.monotonic()
        threading.Thread(target=self._pump, args=(item.name, proc.stdout), daemon=True).start()
        self._system(f"{item.name} started (pid {proc.pid})")
        self._write_state()

    def _system(self, message: str) -> None:
        self._say("system", message)

    def _write_state(self) -> None:
        if self.state_file is None:
            return
        pids = {i.name: i.proc.pid for i in self._items.values() if i.proc is not None and i.proc.poll() is None}
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(pids), encoding="utf-8")
        tmp.replace(self.state_file)

    @staticmethod
    def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)

    def run(self) -> int:
        """Start everything and supervise until :meth:`stop` (or SIGTERM/SIGINT in the main thread)."""
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: self._stopping.set())
        for item in self._items.values():
            self._start(item)
        while not self._stopping.wait(0.2):
            now = time.monotonic()
            for item in self._items.values():
                if item.proc is not None and item.proc.poll() is not None:
                    code = item.proc.returncode
                    self._signal_group(item.proc, signal.SIGKILL)  # whatever it forked goes with it
                    if now - item.started_at >= STABLE_AFTER_SECONDS:
                        item.delay = RESTART_DELAY_FIRST
                    item.next_start = now + item.delay
                    self._system(f"{item.name} exited with {code}; restarting in {item.delay:.1f}s")
                    item.delay = min(item.delay * 2, RESTART_DELAY_MAX)
                    item.proc = None
                    self._write_state()
                elif item.proc is None and now >= item.next_start:
                    item.restarts += 1
                    self._start(item)
        self._shutdown()
        return 0

    def stop(self) -> None:
        self._stopping.set()

    def _shutdown(self) -> None:
        running = [i.proc for i in self._items.values() if i.proc is not None and i.proc.poll() is None]
        for proc in running:
            self._signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for proc in running:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._system(f"pid {proc.pid} did not stop within {self.grace:.0f}s; killing it")
            self._signal_group(proc, signal.SIGKILL)
            proc.wait()
        if self.state_file is not None:
            self.state_file.unlink(missing_ok=True)
        self._system("all processes stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.procfile", description=__doc__)
    parser.add_argument("procfile", type=Path)
    parser.add_argument("--state", type=Path, help="keep {name: pid} of the running processes in this file")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds between SIGTERM and SIGKILL on stop")
    parser.add_argument("--only", help="comma-separated process names to run (default: all)")
    args = parser.parse_args(argv)
    processes = parse_procfile(args.procfile.read_text(encoding="utf-8"))
    if args.only:
        wanted = set(args.only.split(","))
        processes = {n: c for n, c in processes.items() if n in wanted}
    supervisor = Supervisor(processes, dict(os.environ), Path.cwd(), state_file=args.state, grace=args.grace)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
