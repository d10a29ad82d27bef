"""Process helpers for the lab launchers: free ports, binaries, readiness, stop by PID.

Plain Python (no Textual), used by tests and by ``pkitui lab``. Every server is started by us,
remembered by PID, and stopped by that PID only.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Self

from pkitui.core.errors import PkiError


class LabError(PkiError):
    """A lab server could not be started (missing binary, did not answer in time ...)."""


class LabServer:
    """Base of the launchers: ``with Server(...) as server:`` starts it, and stops it by PID at the end."""

    def start(self) -> Self:
        """Start the server and wait until it answers."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop what :meth:`start` started, by PID."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_binary(name: str, package: str) -> str:
    """The absolute path of ``name``, or a LabError naming the Debian package that provides it."""
    path = shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None)
    if path is None:
        raise LabError(f"{name} not found", f"Install the Debian package: apt-get install {package}")
    return path


def stop_pid(pid: int | None, timeout: float = 5.0) -> None:
    """TERM the process ``pid`` (ours), then KILL it after ``timeout`` seconds."""
    if not pid:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child: poll for existence instead
            finished = 0 if _alive(pid) else pid
        if finished:
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def read_pid(path: Path) -> int | None:
    """The PID written to ``path``, or None."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def wait_ready(
    name: str, probe: Callable[[], bool], procs: list[subprocess.Popen[bytes]], logs: list[Path], timeout: float
) -> float:
    """Call ``probe`` every 50 ms until it returns True; return the seconds it took.

    Raises LabError with the server's log when a process of ``procs`` exits or time runs out.
    """
    start = time.monotonic()
    while not probe():
        dead = [p for p in procs if p.poll() is not None]
        if dead or time.monotonic() - start > timeout:
            text = "\n".join(f.read_text(errors="replace")[-2000:] for f in logs if f.exists())
            why = f"exited with status {dead[0].returncode}" if dead else f"did not answer within {timeout:.0f} s"
            raise LabError(f"{name} {why}", f"Its log:\n{text}" if text else None)
        time.sleep(0.05)
    return time.monotonic() - start


def unshare_prefix() -> list[str]:
    """``unshare -n`` as root, ``unshare -rn`` (a user namespace too) otherwise."""
    unshare = require_binary("unshare", "util-linux")
    return [unshare, "-n"] if os.geteuid() == 0 else [unshare, "-rn"]


def start_isolated(
    name: str, workdir: Path, port: int, argv: list[str], env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """Run ``argv`` in a private network namespace, exposed on 127.0.0.1:``port`` only.

    Servers that bind every interface (no listen-address flag) listen inside the namespace; a
    socat there relays a unix socket in ``workdir`` to them, and a socat outside listens on
    127.0.0.1:``port`` and relays to that socket. Returns (server process, outer relay).
    The inner relay's PID is written to ``workdir/NAME-relay-inner.pid``.
    """
    socat = require_binary("socat", "socat")
    ip = require_binary("ip", "iproute2")
    sock = workdir / f"{name}.sock"
    sock.unlink(missing_ok=True)
    inner = (
        '"$IP" link set lo up || exit 1\n'
        '"$SOCAT" "UNIX-LISTEN:$SOCK,fork,unlink-early" "TCP:127.0.0.1:$PORT" </dev/null >>"$RLOG" 2>&1 &\n'
        'echo $! >"$RPID"\n'
        'exec "$@"\n'
    )
    full_env = dict(os.environ, **(env or {}))
    full_env.update(IP=ip, SOCAT=socat, SOCK=str(sock), PORT=str(port),
                    RLOG=str(workdir / f"{name}-relay.log"), RPID=str(workdir / f"{name}-relay-inner.pid"))
    log = open(workdir / f"{name}.log", "ab")
    server = subprocess.Popen([*unshare_prefix(), "sh", "-c", inner, "sh", *argv], cwd=workdir, env=full_env,
                              stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    rlog = open(workdir / f"{name}-relay.log", "ab")
    relay = subprocess.Popen(
        [socat, f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,backlog=128", f"UNIX-CONNECT:{sock}"],
        cwd=workdir, stdin=subprocess.DEVNULL, stdout=rlog, stderr=subprocess.STDOUT)
    rlog.close()
    return server, relay
