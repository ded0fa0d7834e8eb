"""Run an ASGI app with uvicorn in a background thread (the demo runs the API and the sandbox bank)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


class BackgroundServer:
    """uvicorn on ``host:port`` in a daemon thread; ``stop()`` asks it to exit and waits."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
        self._thread = threading.Thread(target=self._server.run, name=f"uvicorn-{port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> BackgroundServer:
        with socket.socket() as probe:
            if probe.connect_ex((self.host, self.port)) == 0:
                raise OSError(f"port {self.port} on {self.host} is already in use")
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
