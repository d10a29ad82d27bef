"""A real SCEP CA for tests and the lab: micromdm's ``scepserver`` (Debian package ``scep``).

scepserver 2.1.0 has no listen-address flag and binds every interface, so it runs in a private
network namespace with a socat relay on 127.0.0.1 (see :func:`pkitui.lab.process.start_isolated`).
Its only path is ``/scep``. ``-allowrenew 0`` lets the same subject enroll again.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import requests

from pkitui.lab.process import (LabError, LabServer, free_port, read_pid, require_binary, start_isolated, stop_pid,
                                wait_ready)


class ScepServer(LabServer):
    """``with ScepServer(workdir, "secret") as ca: ca.url`` — a SCEP CA on 127.0.0.1.

    ``workdir`` holds the CA depot (``depot/``: ca.pem, ca.key, index.txt, issued certificates)
    and the logs; an existing depot is reused, so a restart keeps the same CA.
    """

    def __init__(self, workdir: str | Path, challenge: str | None = "secret", *, port: int | None = None,
                 ca_key_size: int = 2048, cert_valid_days: int = 365, timeout: float = 15.0) -> None:
        self.workdir = Path(workdir).resolve()
        self.challenge = challenge
        self.port = port or free_port()
        self.ca_key_size = ca_key_size
        self.cert_valid_days = cert_valid_days
        self.timeout = timeout
        self.startup_seconds = 0.0
        self._server: subprocess.Popen[bytes] | None = None
        self._relay: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The enrollment URL (``http://127.0.0.1:PORT/scep``)."""
        return f"http://127.0.0.1:{self.port}/scep"

    @property
    def depot(self) -> Path:
        """The CA depot directory."""
        return self.workdir / "depot"

    @property
    def ca_pem_path(self) -> Path:
        """The CA certificate (PEM)."""
        return self.depot / "ca.pem"

    @property
    def log_path(self) -> Path:
        """scepserver's log (logfmt)."""
        return self.workdir / "scepserver.log"

    def start(self) -> ScepServer:
        """Initialise the depot if needed, start the server and wait until GetCACaps answers."""
        binary = require_binary("scepserver", "scep")
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.ca_pem_path.exists():
            init = subprocess.run(
                [binary, "ca", "-init", "-depot", str(self.depot), "-keySize", str(self.ca_key_size),
                 "-years", "10", "-organization", "scep-ca", "-organizational_unit", "SCEP CA",
                 "-country", "US", "-key-password", ""],
                cwd=self.workdir, capture_output=True, text=True, timeout=120)
            if init.returncode != 0:
                raise LabError("scepserver ca -init failed", init.stdout + init.stderr)
        argv = [binary, "-depot", str(self.depot), "-port", str(self.port), "-allowrenew", "0",
                "-crtvalid", str(self.cert_valid_days), "-capass", ""]
        # The challenge goes in the environment (scepserver reads SCEP_CHALLENGE_PASSWORD), not on
        # the command line that every local user can read in ps.
        env = {"SCEP_CHALLENGE_PASSWORD": self.challenge} if self.challenge else {}
        self._server, self._relay = start_isolated("scepserver", self.workdir, self.port, argv, env)
        try:
            self.startup_seconds = wait_ready("scepserver", self._answers, [self._server, self._relay],
                                              [self.log_path, self.workdir / "scepserver-relay.log"], self.timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _answers(self) -> bool:
        try:
            return requests.get(self.url, params={"operation": "GetCACaps"}, timeout=2,
                                proxies={"http": "", "https": ""}).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        """Stop the relay, the server and the relay inside the namespace, by PID."""
        for proc in (self._relay, self._server):
            if proc is not None:
                stop_pid(proc.pid)
        stop_pid(read_pid(self.workdir / "scepserver-relay-inner.pid"))
        self._server = self._relay = None
