"""docker-compose.yml describes the production topology with commands that really exist.

No Docker engine runs on our machines, so this checks what can be checked without one: the file
parses, every service the topology needs is there with a health check or a dependency on one,
and every ``sverka`` command it runs is a command the CLI accepts.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from services.reconciler.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_the_production_topology_is_complete():
    services = _compose()["services"]
    assert {"postgres", "redis", "api", "reconciler-worker", "notifier-worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "api"):
        assert "healthcheck" in services[name], f"{name} needs a health check"
    assert services["redis"]["command"][-2:] == ["--appendonly", "yes"]


def test_every_sverka_command_in_compose_exists():
    parser = build_parser()
    commands = [svc["command"] for svc in _compose()["services"].values() if svc.get("command")]
    sverka_commands = [c[1:] for c in commands if c[0] == "sverka"]
    assert len(sverka_commands) >= 4
    for argv in sverka_commands:
        parser.parse_args(argv)  # exits (SystemExit) on an unknown command or option


def test_the_api_entry_point_named_in_compose_imports():
    api = _compose()["services"]["api"]["command"]
    module, attr = api[1].split(":")
    assert module == "services.reconciler.api.asgi"
    imported = __import__(module, fromlist=[attr])
    assert hasattr(imported, attr)


def test_the_image_installs_from_the_lock_file():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "requirements.lock" in dockerfile


def test_the_image_ships_bytecode_because_its_processes_cannot_write_it():
    """PYTHONDONTWRITEBYTECODE and a user without write access: uncompiled, every start compiles all."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    installs = [line for line in dockerfile.splitlines() if "uv pip install" in line]
    assert installs and all("--compile-bytecode" in line for line in installs), installs
    compiled = next(line for line in dockerfile.splitlines() if "compileall" in line).split()
    copies = [line.split() for line in dockerfile.splitlines() if line.startswith("COPY ")]
    copied = {parts[1] for parts in copies if parts[1:] == [parts[1], f"./{parts[1]}"]}  # the source folders
    assert copied and copied <= set(compiled), (copied, compiled)
