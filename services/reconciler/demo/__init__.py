"""The ``make run`` demo: a demo company, the sandbox bank, payments arriving and being matched."""

from services.reconciler.demo.runner import run_demo

__all__ = ["run_demo"]
