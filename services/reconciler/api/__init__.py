"""The HTTP API (``/v1``) and the app factory."""
