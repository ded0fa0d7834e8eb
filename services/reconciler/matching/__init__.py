"""Matching: a pure decision core (``engine``) fed in bulk by a thin database shell (``service``)."""
