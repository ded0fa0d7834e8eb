"""The status-read load from wrk (Debian's ``wrk`` package), when the machine has it.

wrk is the load generator issue 7 names. It is compiled and spends a few microseconds of CPU per
request, against 0.3-0.5 ms for :mod:`benchmarks.prod_load` in Python. On 2 cores shared with the
server, that difference is what the server gets to use. The requests are the same: alternately
``GET /v1/invoices/{id}`` and ``/v1/invoices/by-number?number=…`` over the same random targets,
with the same key, on keep-alive connections, in a closed loop (each connection sends its next
request when the last one is answered).

:func:`run` returns the keys :func:`benchmarks.prod_load.summary` returns, read off wrk's report
(``--latency`` gives the 50th, 75th, 90th and 99th percentiles; wrk counts non-2xx answers and
socket errors but not each status).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.prod_load import request_paths

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_PERCENTILE = re.compile(r"^\s+(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_MAX = re.compile(r"^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)", re.MULTILINE)
_TOTAL = re.compile(r"^\s+(\d+) requests in ([\d.]+)(us|ms|s|m)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def available() -> bool:
    return shutil.which("wrk") is not None


def lua_script(key: str, paths: list[str]) -> str:
    """wrk's request generator: the paths in turn, each with the key."""
    listed = ",\n".join(f'  "{p}"' for p in paths)  # paths are ASCII: ids and percent-encoded numbers
    return (
        f"local paths = {{\n{listed}\n}}\n"
        "local n = 0\n"
        f'wrk.headers["Authorization"] = "Bearer {key}"\n'
        'wrk.headers["Accept"] = "application/json"\n'
        "request = function()\n"
        "  n = n + 1\n"
        '  return wrk.format("GET", paths[(n % #paths) + 1])\n'
        "end\n"
    )


def parse_report(report: str) -> dict[str, Any]:
    """The numbers of wrk's text report, in :mod:`benchmarks.prod_load`'s keys."""
    total = _TOTAL.search(report)
    if total is None:
        raise ValueError(f"not a wrk report:\n{report}")
    requests = int(total.group(1))
    seconds = float(total.group(2)) * _UNITS_MS[total.group(3)] / 1000
    percentiles = {q: float(v) * _UNITS_MS[u] for q, v, u in _PERCENTILE.findall(report)}
    non_2xx = int(m.group(1)) if (m := _NON_2XX.search(report)) else 0
    socket_errors = [int(n) for n in m.groups()] if (m := _SOCKET.search(report)) else [0, 0, 0, 0]
    worst = _MAX.search(report)
    return {
        "requests": requests,
        "seconds": round(seconds, 2),
        "requests_per_second": round(requests / seconds, 1),
        "ok_per_second": round((requests - non_2xx) / seconds, 1),
        "p50_ms": round(percentiles.get("50", float("nan")), 2),
        "p90_ms": round(percentiles.get("90", float("nan")), 2),
        "p99_ms": round(percentiles.get("99", float("nan")), 2),
        "max_ms": round(float(worst.group(1)) * _UNITS_MS[worst.group(2)], 2) if worst else float("nan"),
        "errors": non_2xx + sum(socket_errors),
        "transport_errors": dict(zip(("connect", "read", "write", "timeout"), socket_errors, strict=True)),
    }


def duration(seconds: float) -> str:
    """wrk's ``-d`` takes whole seconds ("20.0s" is a usage error)."""
    return f"-d{max(1, round(seconds))}s"


def run(
    url: str, key: str, targets: dict[str, Any], *, seconds: float, connections: int, warmup: float = 3.0
) -> dict[str, Any]:
    """A closed loop of ``connections`` from one wrk thread (the other core is the server's)."""
    paths = request_paths(targets, 20_000, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "reads.lua"
        script.write_text(lua_script(key, paths), encoding="ascii")
        base = ["wrk", "-t1", f"-c{connections}", "--latency", "-s", str(script)]
        if warmup > 0:  # connections opened, every worker's first requests out of the numbers
            subprocess.run([*base, duration(warmup), url], capture_output=True, check=True)  # noqa: S603
        done = subprocess.run([*base, duration(seconds), url], capture_output=True, text=True, check=True)  # noqa: S603
    return {"mode": "closed", "generator": "wrk", "connections": connections, **parse_report(done.stdout)}
