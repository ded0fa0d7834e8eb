"""API keys: how other services (and partners' systems) authenticate to ``/v1``."""
