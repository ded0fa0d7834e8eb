"""One uvicorn worker under cProfile, every thread included: where a status read spends its time.

``python -m cProfile`` sees only the main thread, but FastAPI runs sync endpoints (ours) and their
dependencies in a thread pool, so each thread here gets its own profiler (``threading.setprofile``
hooks every thread the threading module starts, whatever its class does with ``run``) and the stats
are merged when the server stops (SIGINT/SIGTERM). Times are each thread's own CPU time
(``time.thread_time``): with 40 threads sharing one GIL, wall-clock times would charge every
function with the time it spent waiting for the others. Waiting on PostgreSQL and Redis is
therefore not in these tables; the load generator's latencies show it.

    python -m benchmarks.prod_profile --port 8100 --out api.prof   # with the topology's environment
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import threading
import time
from pathlib import Path
from typing import Any

_profiles: list[cProfile.Profile] = []


def _start_thread_profile(*_: Any) -> None:
    """The first profile event of a new thread: replace this hook by a profiler of the thread's own."""
    sys.setprofile(None)
    profile = cProfile.Profile(time.thread_time)
    _profiles.append(profile)
    profile.enable()


def top(stats: pstats.Stats, sort: str, limit: int) -> str:
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats(sort).print_stats(limit)
    return out.getvalue()


def summarise(path: Path, limit: int = 30) -> dict[str, Any]:
    """The functions with the most own time and the most cumulative time, as text tables."""
    stats = pstats.Stats(str(path))
    stats.strip_dirs()
    return {"tottime": top(stats, "tottime", limit), "cumulative": top(stats, "cumulative", limit)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.prod_profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    import uvicorn

    threading.setprofile(_start_thread_profile)
    main_profile = cProfile.Profile(time.thread_time)
    main_profile.enable()
    try:
        uvicorn.run(
            "services.reconciler.api.asgi:app", host="127.0.0.1", port=args.port, log_level="warning", access_log=False
        )
    finally:
        main_profile.disable()
        stats = pstats.Stats(main_profile)
        for profile in list(_profiles):
            stats.add(profile)
        stats.dump_stats(str(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
