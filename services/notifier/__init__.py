"""The notifier: relays committed outbox events to partners and internal services.

It reads the shared tables and never imports the reconciler: the outbox is the only contract
between the two, so either can be deployed, scaled or stopped on its own.
"""
