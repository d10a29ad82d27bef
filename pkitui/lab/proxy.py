"""A real HTTP proxy for tests and the lab: tinyproxy on 127.0.0.1 (Debian package ``tinyproxy``)."""

from __future__ import annotations

import os
import pwd
import grp
import subprocess
from pathlib import Path

import requests

from pkitui.lab.process import LabServer, free_port, require_binary, spawn, stop_pid, wait_ready


class HttpProxy(LabServer):
    """``with HttpProxy(workdir) as proxy: proxy.host, proxy.port`` — tinyproxy, loopback only.

    Its log (``proxy.log_path``, LogLevel Info) has one ``Request ...`` line per proxied request.
    """

    def __init__(self, workdir: str | Path, *, port: int | None = None, timeout: float = 10.0) -> None:
        self.workdir = Path(workdir).resolve()
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        """tinyproxy's request log (its stdout: without LogFile it logs there, and a file we opened
        stays writable after it drops to nobody, even inside a 0700 temp directory)."""
        return self.workdir / "tinyproxy.log"

    def log_text(self) -> str:
        """The request log so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> HttpProxy:
        """Write a minimal config, start tinyproxy in the foreground and wait until it answers."""
        binary = require_binary("tinyproxy", "tinyproxy")
        self.workdir.mkdir(parents=True, exist_ok=True)
        lines = [f"Port {self.port}", "Listen 127.0.0.1", "Timeout 60", "Allow 127.0.0.1", "MaxClients 50",
                 "LogLevel Info"]
        if os.geteuid() == 0:  # tinyproxy refuses to run as root; drop to nobody
            user = pwd.getpwnam("nobody")
            lines += ["User nobody", f"Group {grp.getgrgid(user.pw_gid).gr_name}"]
        conf = self.workdir / "tinyproxy.conf"
        conf.write_text("\n".join(lines) + "\n")
        out = open(self.log_path, "wb")
        self._proc = spawn([binary, "-d", "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT)
        out.close()
        try:
            wait_ready("tinyproxy", self._answers, [self._proc], [self.log_path],
                       self.timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _answers(self) -> bool:
        # Any HTTP answer (tinyproxy's own error page for an unreachable upstream) means it is up.
        try:
            requests.get("http://127.0.0.1:1/", proxies={"http": self.url}, timeout=2)
            return True
        except requests.exceptions.ProxyError:
            return False
        except requests.RequestException:
            return True

    def stop(self) -> None:
        """Stop tinyproxy by PID."""
        if self._proc is not None:
            stop_pid(self._proc.pid)
            self._proc = None
