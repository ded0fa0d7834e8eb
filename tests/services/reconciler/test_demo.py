"""`make run`'s demo, run as a user would: payments arrive from the sandbox bank and get matched."""

from __future__ import annotations

from pathlib import Path

from tests.cli import sverka
from tests.servers import free_port


def test_the_demo_shows_payments_arriving_and_being_matched(tmp_path: Path) -> None:
    run = sverka(
        "demo",
        "--port",
        str(free_port()),
        "--bank-port",
        str(free_port()),
        "--rounds",
        "4",
        "--pause",
        "0",
        database_url=f"sqlite:///{tmp_path / 'demo.db'}",
        env={"SVERKA_VAR_DIR": str(tmp_path / "var")},
    )
    assert run.code == 0, run.stderr
    log = run.stderr + run.stdout
    assert "demo company: 46 invoices" in log
    assert "open http://127.0.0.1:" in log
    assert log.count("pulled ") == 5  # the history, then one pull per payment
    assert "✓ matched" in log
    assert "Traceback" not in log
