"""Bank sync: pull statements from bank APIs on demand and on schedule (see docs/bank-sync.md)."""
