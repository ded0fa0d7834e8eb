"""The status API other services integrate with: lists with filters, lookups, partner scoping, and the
writes the billing and review areas do not expose yet (partners, cancelling an invoice)."""
