"""A real SCEP CA for tests and the lab: micromdm's ``scepserver`` (Debian package ``scep``).

scepserver 2.1.0 has no listen-address flag and binds every interface, so it runs in a private
network namespace with a socat relay on 127.0.0.1 (see :func:`pkitui.lab.process.start_isolated`).
Its only path is ``/scep``. ``-allowrenew 0`` lets the same subject enroll again.

How micromdm revokes (scep 2.1.0, ``depot/file``): every certificate it issues is recorded in
``depot/index.txt`` by ``writeDB``, which first calls ``HasCN(cn, 0, cert, revoke=true)``: each
line marked ``V`` that *ends with* the new certificate's DN (``/C=../O=../OU=../CN=..``) is
rewritten ``R`` with the time of the new issue. No flag turns this off (``-allowrenew N`` only
refuses a new request for a DN whose certificate is more than N days from expiry). So a
usage-keys enrollment (two certificates, one subject) revoked its own signature certificate.

With ``revoke_replaced=False`` (the lab's setting) the server runs with ``-csrverifierexec``, the
hook micromdm calls with each decrypted request before it signs: the lab's hook accepts every
request and ends each ``V`` line of the index with a tab, so no line ends with a DN any more and
``HasCN`` finds nothing to revoke. The lines stay valid for every reader (tab-separated, the DN
is still the sixth field). Certificates are then revoked only on purpose (:meth:`ScepServer.revoke`).
"""

from __future__ import annotations

import shlex
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import requests

from pkitui.core.held import serial_hex
from pkitui.lab.process import (LabError, LabServer, free_port, read_pid, require_binary, start_isolated, stop_pid,
                                wait_ready)


class ScepServer(LabServer):
    """``with ScepServer(workdir, "secret") as ca: ca.url`` — a SCEP CA on 127.0.0.1.

    ``workdir`` holds the CA depot (``depot/``: ca.pem, ca.key, index.txt, issued certificates)
    and the logs; an existing depot is reused, so a restart keeps the same CA.
    """

    def __init__(self, workdir: str | Path, challenge: str | None = "secret", *, port: int | None = None,
                 ca_key_size: int = 2048, cert_valid_days: int = 365, timeout: float = 15.0,
                 revoke_replaced: bool = True) -> None:
        """``revoke_replaced``: micromdm's own behaviour, revoking a certificate when another one with
        the same subject is issued; False keeps every issued certificate valid (see the module)."""
        self.workdir = Path(workdir).resolve()
        self.revoke_replaced = revoke_replaced
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
        if not self.revoke_replaced:
            argv += ["-csrverifierexec", str(self._write_keep_valid_hook())]
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

    @property
    def index_path(self) -> Path:
        """micromdm's certificate database (OpenSSL ``ca`` index layout)."""
        return self.depot / "index.txt"

    def _write_keep_valid_hook(self) -> Path:
        """The ``-csrverifierexec`` hook: accept the request (exit 0) after ending every ``V`` line
        of the index with a tab, so micromdm's suffix match on the DN revokes nothing."""
        hook = self.workdir / "keep-valid.sh"
        hook.write_text("#!/bin/sh\n"
                        "# pkitui lab: keep issued certificates valid when the same subject enrolls again\n"
                        "cat >/dev/null\n"
                        f"[ -f {shlex.quote(str(self.index_path))} ] || exit 0\n"
                        f"exec sed -i 's/^\\(V\t.*[^\t]\\)$/\\1\t/' {shlex.quote(str(self.index_path))}\n")
        hook.chmod(0o700)
        return hook

    def revoke(self, serial: int, when: datetime | None = None) -> None:
        """Mark the certificate with ``serial`` revoked in the CA's index (``R``, as micromdm marks
        one); the lab republishes its CRL when the index changes. LabError when it is not valid there."""
        when = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
        lines = self.index_path.read_text().splitlines() if self.index_path.exists() else []
        wanted = serial_hex(serial)  # as the index writes it: upper hex, whole bytes
        for i, line in enumerate(lines):
            cols = line.split("\t")
            if len(cols) >= 6 and cols[0] == "V" and cols[3].upper() == wanted:
                cols[0], cols[2] = "R", when.strftime("%y%m%d%H%M%SZ")
                lines[i] = "\t".join(cols)
                tmp = self.index_path.with_suffix(".tmp")
                tmp.write_text("".join(f"{x}\n" for x in lines))
                tmp.replace(self.index_path)
                return
        raise LabError(f"No valid certificate with serial {wanted} in the lab CA's index",
                       f"The CA's issued certificates are listed in {self.index_path}")

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
