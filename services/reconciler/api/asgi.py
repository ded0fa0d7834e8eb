"""ASGI entry point for process managers (``uvicorn services.reconciler.api.asgi:app --workers N``).

No in-process worker here: in the production topology Celery workers and beat do the background work.
"""

from services.reconciler.api.app import create_app

app = create_app()
