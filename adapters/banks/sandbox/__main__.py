"""``python -m adapters.banks.sandbox --port 8765``: serve the sandbox bank for demos."""

from __future__ import annotations

import argparse
from datetime import date

import uvicorn

from adapters.banks.sandbox.app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m adapters.banks.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=1, help="same seed, same accounts and transactions")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="last day of history")
    parser.add_argument("--page-size", type=int, default=25)
    args = parser.parse_args(argv)
    app = create_app(args.seed, today=args.today, page_size=args.page_size)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
