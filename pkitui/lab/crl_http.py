"""A CRL distribution point for tests and the lab: Python's http.server on 127.0.0.1.

Serves the files of one directory (``http://127.0.0.1:PORT/NAME.crl``) from a thread of this
process; ``stop()`` shuts it down. Nothing is spawned, so there is no PID to track.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pkitui.lab.process import LabServer


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {".crl": "application/pkix-crl", ".der": "application/pkix-crl",
                      ".cer": "application/pkix-cert", ".pem": "application/x-pem-file", "": "application/octet-stream"}

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        self.server.requests.append(self.path)  # type: ignore[attr-defined]


class CrlHttpServer(LabServer):
    """``with CrlHttpServer(directory) as cdp: cdp.url_for("ca.crl")``."""

    def __init__(self, directory: str | Path, port: int = 0) -> None:
        self.directory = Path(directory).resolve()
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def url_for(self, name: str) -> str:
        """The URL of file ``name`` of the directory."""
        return f"{self.base_url}/{name}"

    @property
    def requests(self) -> list[str]:
        """Paths requested so far (tests use it to see whether a CRL was downloaded again)."""
        return self._server.requests if self._server else []  # type: ignore[attr-defined]

    def start(self) -> CrlHttpServer:
        """Bind 127.0.0.1 (a free port unless one was given) and serve in a daemon thread."""
        self.directory.mkdir(parents=True, exist_ok=True)
        handler = functools.partial(_QuietHandler, directory=str(self.directory))
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.requests = []  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="crl-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
