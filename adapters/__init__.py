"""Edges of the world: bank statement files and bank APIs. Knows nothing of the services."""
