"""Partners, contracts and invoices: what we expect to be paid and what we must pay."""
