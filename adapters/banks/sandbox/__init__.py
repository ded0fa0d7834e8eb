"""Sverka's sandbox bank: a small FastAPI server speaking the bank APIs we pull from.

Used by ``make run``'s demo and by tests, always over loopback HTTP. ``create_app(seed)`` builds
it; ``python -m adapters.banks.sandbox --port P`` serves it. See docs/bank-apis.md.
"""

from adapters.banks.sandbox.app import create_app

__all__ = ["create_app"]
