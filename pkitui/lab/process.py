"""Process helpers for the lab launchers: free ports, binaries, readiness, stop by PID, signals.

Plain Python (no Textual), used by tests and by ``pkitui lab``. Every server is started by us
(:func:`spawn`), remembered by PID, and stopped by that PID only.

Children never outlive the lab: :class:`StopSignals` turns SIGTERM, SIGINT and SIGHUP into an
orderly stop (every ``finally`` runs), :func:`stop_started` (also at exit) stops whatever is
still running, and each server runs under ``setpriv --pdeathsig KILL`` so that even a SIGKILL
of the lab takes its servers along (the kernel signals a child when the thread that started it
ends: start servers from a thread that lives as long as they should, e.g. the main thread).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, Self

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


# The signals that stop the lab and the console in order (as ctrl+q does).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

# Servers started by spawn() and not yet stopped, by PID.
_started: dict[int, subprocess.Popen[bytes]] = {}
_started_lock = threading.Lock()


def pdeathsig_prefix() -> list[str]:
    """``setpriv --pdeathsig KILL`` (util-linux): the kernel KILLs the server when the thread
    that started it ends, even when the lab itself was KILLed. Empty without setpriv. A server
    that changes its user (tinyproxy, in.tftpd) loses the setting: stop_started() covers it."""
    setpriv = shutil.which("setpriv") or ("/usr/bin/setpriv" if os.path.exists("/usr/bin/setpriv") else None)
    return [setpriv, "--pdeathsig", "KILL"] if setpriv else []


def spawn(argv: list[str], **popen: Any) -> subprocess.Popen[bytes]:
    """Start a server (stdin from /dev/null) that dies with us, and remember it until stopped."""
    popen.setdefault("stdin", subprocess.DEVNULL)
    with _started_lock:  # registered before any signal handler can look for it
        proc: subprocess.Popen[bytes] = subprocess.Popen([*pdeathsig_prefix(), *argv], **popen)
        if not _started:
            atexit.register(stop_started)
        _started[proc.pid] = proc
    return proc


def stop_started() -> None:
    """Stop every server :func:`spawn` started that is still running (the last line of defence
    of ``pkitui lab``: also run at interpreter exit)."""
    for pid in list(_started):
        stop_pid(pid)


class Signalled(BaseException):
    """A stop signal (SIGTERM, SIGINT, SIGHUP) arrived: raised in the main thread so that every
    ``finally`` runs and each server is stopped. A BaseException: ``except Exception`` lets it by."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """128 + the signal's number, as a shell reports a process a signal ended."""
        return 128 + self.signum


class StopSignals:
    """``with StopSignals() as stops:`` SIGTERM, SIGINT and SIGHUP stop the block in order.

    A signal is first offered to ``stops.forward(signum)`` (the console: it quits as ctrl+q
    does and returns True); when nobody takes it, :class:`Signalled` is raised in the main
    thread, once. Inside ``with stops.cleaning():`` (stopping the servers) and after the first
    signal, signals are only recorded, so the cleanup is never cut short. The previous handlers
    come back at the end. Outside the main thread it does nothing (Python delivers signals there).
    """

    def __init__(self) -> None:
        self.forward: Callable[[int], bool] | None = None
        self.received: list[int] = []
        self._cleaning = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        if self.forward is not None and self.forward(signum):
            return
        if len(self.received) == 1 and not self._cleaning:
            raise Signalled(signum)

    @contextmanager
    def cleaning(self) -> Iterator[None]:
        """``with stops.cleaning():`` signals are recorded only while the block runs."""
        self.forward = None
        self._cleaning = True
        try:
            yield
        finally:
            self._cleaning = False

    @property
    def signalled(self) -> int | None:
        """The first stop signal received, or None."""
        return self.received[0] if self.received else None

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
        self._previous.clear()


def stop_pid(pid: int | None, timeout: float = 5.0) -> None:
    """TERM the process ``pid`` (ours), then KILL it after ``timeout`` seconds."""
    if not pid:
        return
    _started.pop(pid, None)
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
        '$RELAY "$SOCAT" "UNIX-LISTEN:$SOCK,fork,unlink-early" "TCP:127.0.0.1:$PORT" </dev/null >>"$RLOG" 2>&1 &\n'
        'echo $! >"$RPID"\n'
        'exec "$@"\n'
    )
    full_env = dict(os.environ, **(env or {}))
    full_env.update(IP=ip, SOCAT=socat, SOCK=str(sock), PORT=str(port),
                    RLOG=str(workdir / f"{name}-relay.log"), RPID=str(workdir / f"{name}-relay-inner.pid"))
    # The inner relay is the server's child: it dies with the server (setpriv --pdeathsig).
    full_env["RELAY"] = " ".join(pdeathsig_prefix()) or "exec"
    log = open(workdir / f"{name}.log", "ab")
    server = spawn([*unshare_prefix(), "sh", "-c", inner, "sh", *argv], cwd=workdir, env=full_env,
                   stdout=log, stderr=subprocess.STDOUT)
    log.close()
    rlog = open(workdir / f"{name}-relay.log", "ab")
    listen = f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,backlog=128"
    relay = spawn([socat, listen, f"UNIX-CONNECT:{sock}"], cwd=workdir, stdout=rlog, stderr=subprocess.STDOUT)
    rlog.close()
    return server, relay
