"""Payments: the stored bank lines, read with their allocations."""
