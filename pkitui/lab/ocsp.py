"""An OCSP responder for tests and the lab: ``openssl ocsp`` with an OpenSSL CA index.

``openssl ocsp -port`` takes a bare number and binds every interface, so it runs in a private
network namespace behind a socat relay on 127.0.0.1 (:func:`pkitui.lab.process.start_isolated`).
``-ignore_err`` keeps it alive after a malformed request (without it, it exits). It re-reads the
index when its mtime changes, but only before its next accept(): the first request after a
change still gets the old answer, so :meth:`OcspResponder.set_index` pokes it once (and keeps
changes more than a second apart, the mtime's resolution).
"""

from __future__ import annotations

import os
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

from pkitui.lab.process import LabError, LabServer, free_port, require_binary, start_isolated, stop_pid, wait_ready


def index_line(serial: int, not_after: datetime, subject: str, revoked_at: datetime | None = None) -> str:
    """One line of an OpenSSL ``ca`` index: V (valid) or R (revoked), expiry, serial, DN."""
    expiry = not_after.astimezone(timezone.utc).strftime("%y%m%d%H%M%SZ")
    status, when = ("R", revoked_at.astimezone(timezone.utc).strftime("%y%m%d%H%M%SZ")) if revoked_at else ("V", "")
    return f"{status}\t{expiry}\t{when}\t{serial:X}\tunknown\t{subject}\n"


class OcspResponder(LabServer):
    """``with OcspResponder(workdir, ca_pem, key_pem, index_text) as ocsp: ocsp.url``.

    ``signer_pem``/``signer_key_pem`` name a delegated responder (default: the CA signs).
    """

    def __init__(self, workdir: str | Path, ca_pem: bytes, key_pem: bytes, index_text: str = "", *,
                 signer_pem: bytes | None = None, signer_key_pem: bytes | None = None,
                 port: int | None = None, timeout: float = 15.0) -> None:
        self.workdir = Path(workdir).resolve()
        self.ca_pem, self.key_pem = ca_pem, key_pem
        self.signer_pem, self.signer_key_pem = signer_pem or ca_pem, signer_key_pem or key_pem
        self.index_text = index_text
        self.port = port or free_port()
        self.timeout = timeout
        self._server: subprocess.Popen[bytes] | None = None
        self._relay: subprocess.Popen[bytes] | None = None
        self._last_change = 0.0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def index_path(self) -> Path:
        """The OpenSSL CA index the responder answers from."""
        return self.workdir / "index.txt"

    def _write(self, name: str, data: bytes, mode: int = 0o600) -> Path:
        path = self.workdir / name
        path.write_bytes(data)
        os.chmod(path, mode)
        return path

    def start(self) -> OcspResponder:
        """Start the responder in its namespace and wait until a real OCSP request is answered."""
        openssl = require_binary("openssl", "openssl")
        self.workdir.mkdir(parents=True, exist_ok=True)
        ca = self._write("ca.pem", self.ca_pem, 0o644)
        self._write("ca.key", self.key_pem)
        signer = self._write("signer.pem", self.signer_pem, 0o644)
        signer_key = self._write("signer.key", self.signer_key_pem)
        self.index_path.write_text(self.index_text)
        (self.workdir / "index.txt.attr").write_text("unique_subject = no\n")
        self._last_change = time.monotonic()
        argv = [openssl, "ocsp", "-index", str(self.index_path), "-CA", str(ca), "-rsigner", str(signer),
                "-rkey", str(signer_key), "-port", str(self.port), "-ignore_err"]
        self._server, self._relay = start_isolated("ocsp", self.workdir, self.port, argv)
        try:
            wait_ready("openssl ocsp", self.poke, [self._server, self._relay],
                       [self.workdir / "ocsp.log", self.workdir / "ocsp-relay.log"], self.timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def poke(self) -> bool:
        """Send one OCSP request (serial 1) so that the responder reloads a changed index."""
        probe = subprocess.run(["openssl", "ocsp", "-issuer", str(self.workdir / "ca.pem"), "-serial", "1",
                                "-url", self.url, "-noverify", "-timeout", "2"],
                               capture_output=True, timeout=10)
        return probe.returncode == 0

    def set_index(self, index_text: str) -> None:
        """Replace the index (e.g. to revoke a certificate) and make sure the next answer uses it."""
        wait = 1.1 - (time.monotonic() - self._last_change)
        if wait > 0:
            time.sleep(wait)  # the index's mtime has a 1 s resolution
        self.index_text = index_text
        self.index_path.write_text(index_text)
        self._last_change = time.monotonic()
        if not self.poke():
            raise LabError("openssl ocsp did not answer after the index changed")

    def stop(self) -> None:
        """Stop the responder and both relays by PID."""
        inner = self.workdir / "ocsp-relay-inner.pid"
        for proc in (self._relay, self._server):
            if proc is not None:
                stop_pid(proc.pid)
        if inner.exists():
            try:
                stop_pid(int(inner.read_text().strip()))
            except ValueError:
                pass
        self._server = self._relay = None
