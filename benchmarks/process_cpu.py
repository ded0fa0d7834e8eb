"""CPU seconds of other processes on this machine, read from /proc.

The benchmarks run PostgreSQL (and the production topology's workers) as processes of their own;
their CPU is the half of the work that the measuring process's own CPU time does not show.
"""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds the processes and their exited children (PostgreSQL's backends) have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")
