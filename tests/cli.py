"""Run the installed ``sverka`` command as a user would: a subprocess with its own environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SVERKA = Path(sys.executable).with_name("sverka")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def sverka(*args: str, database_url: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    environment = {**os.environ, "SVERKA_DATABASE_URL": database_url, **(env or {})}
    environment.pop("SVERKA_REDIS_URL", None)
    proc = subprocess.run(
        [str(SVERKA), *args], capture_output=True, text=True, env=environment, cwd=cwd, timeout=600, check=False
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)
