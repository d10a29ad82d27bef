"""A TFTP server for tests and the lab: tftpd-hpa (``in.tftpd``) on 127.0.0.1.

``in.tftpd -L -a 127.0.0.1:PORT -s ROOT -u nobody``: foreground, chrooted into ROOT, serving it
read-only (``allow_create=True``: also ``-c``, new files may be uploaded, into a root the -u user
may write). It must run as root (it chroots and switches to the -u user; as another user it binds
but every transfer times out), so the launcher refuses early when not root.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from pkitui.lab.process import LabError, LabServer, require_binary, spawn, stop_pid, wait_ready


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _udp_bound(port: int) -> bool:
    needle = f" 0100007F:{port:04X} "
    try:
        return needle in Path("/proc/net/udp").read_text()
    except OSError:
        return False


class TftpServer(LabServer):
    """``with TftpServer(workdir) as tftp: (tftp.root / "ca.cer").write_bytes(...); tftp.server``."""

    def __init__(self, workdir: str | Path, *, port: int | None = None, user: str = "nobody",
                 timeout: float = 10.0, allow_create: bool = False) -> None:
        self.workdir = Path(workdir).resolve()
        self.root = self.workdir / "tftpboot"
        self.port = port or free_udp_port()
        self.user = user
        self.timeout = timeout
        self.allow_create = allow_create
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def server(self) -> str:
        """``127.0.0.1:PORT``, as ``root tftp`` takes it."""
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The server's PID while it runs."""
        return self._proc.pid if self._proc else None

    def start(self) -> TftpServer:
        """Start in.tftpd and wait until the UDP socket is bound."""
        binary = require_binary("in.tftpd", "tftpd-hpa")
        if os.geteuid() != 0:
            raise LabError("in.tftpd needs root (it chroots and switches to the nobody user)",
                           "Run the lab or the tests as root, or serve the CA certificate another way.")
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o755)
        os.chmod(self.root, 0o1777 if self.allow_create else 0o755)  # sticky: uploads cannot replace others' files
        log = self.workdir / "tftpd.log"
        with open(log, "ab") as out:
            self._proc = spawn(
                [binary, "-L", "-a", f"127.0.0.1:{self.port}", "-s", "-u", self.user, "-v",
                 *(["-c"] if self.allow_create else []), str(self.root)],
                stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_ready("in.tftpd", lambda: _udp_bound(self.port), [self._proc], [log], self.timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def publish(self, name: str, data: bytes) -> Path:
        """Put a world-readable file in the served root."""
        path = self.root / name
        path.write_bytes(data)
        os.chmod(path, 0o644)
        return path

    def stop(self) -> None:
        """Stop the server by its PID."""
        if self._proc is not None:
            stop_pid(self._proc.pid)
            self._proc = None
