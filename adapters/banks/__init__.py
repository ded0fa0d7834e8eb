"""Bank adapters: every source of statement lines, behind one small contract (see ``base``)."""
