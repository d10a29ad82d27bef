"""One deadline per network operation: a watchdog that cuts the operation's sockets, and which
deadline applies.

A per-read timeout does not bound an operation: a server sending one byte every few seconds (in
the headers or the body) resets it forever. Every network operation runs under a
:class:`Deadline`: a watchdog timer that, at the deadline, shuts down every socket the operation
opened (sockets are registered when http.client creates them (:mod:`pkitui.core.net`), or by the
caller for ldap3), so whatever read is blocked returns at once; each socket's own timeout is the
time left.

The deadline in seconds: ``pkitui exec --timeout`` for the whole run (:func:`set_run_deadline`),
else the trustpoint's ``enrollment timeout``, else :data:`DEFAULT_DEADLINE`.

A front end sees the waits: :func:`watch` calls a listener on the operation's own thread when a
deadline starts and ends (the console maps the thread to its worker there, shows a spinner, the
elapsed time and the deadline, and offers Cancel); :meth:`Deadline.cancel` from any thread cuts
the sockets at once and the operation ends with :class:`OperationCancelled`, not a timeout.
"""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from pkitui.core.errors import PkiError

if TYPE_CHECKING:
    from pkitui.core.trustpoints import Trustpoint

DEFAULT_DEADLINE = 30.0  # seconds for one network operation: connect, headers and body together
TIMEOUT_HINT = ("The server is slow or stuck; try again later, or allow more time: enrollment timeout "
                "SECONDS in the trustpoint, or pkitui exec --timeout SECONDS.")

_run_deadline: float | None = None
_local = threading.local()
# Called with (deadline, started) on the operation's thread when a deadline starts and ends.
DeadlineListener = Callable[["Deadline", bool], None]
_listeners: list[DeadlineListener] = []


class OperationCancelled(PkiError):
    """The person waiting cancelled a network operation (:meth:`Deadline.cancel`); its sockets
    were cut, so nothing it was receiving was used."""


def watch(listener: DeadlineListener) -> Callable[[], None]:
    """Call ``listener(deadline, started)`` on the operation's thread when any deadline starts
    (True) and ends (False). Returns the function that stops watching."""
    _listeners.append(listener)

    def unwatch() -> None:
        if listener in _listeners:
            _listeners.remove(listener)

    return unwatch


def _tell(deadline: Deadline, started: bool) -> None:
    for listener in list(_listeners):
        try:
            listener(deadline, started)
        except Exception:  # a front end's bug must not break the operation
            pass


def set_run_deadline(seconds: float | None) -> None:
    """``pkitui exec --timeout SECONDS``: the deadline of every operation of this run (None: unset)."""
    global _run_deadline
    _run_deadline = seconds


def deadline_for(tp: Trustpoint | None = None) -> float:
    """The deadline in seconds: the run's ``--timeout``, else ``tp``'s ``enrollment timeout``, else
    the one in force on this thread (:func:`trustpoint_scope`), else 30 s."""
    if _run_deadline is not None:
        return _run_deadline
    if tp is not None and tp.enrollment_timeout:
        return float(tp.enrollment_timeout)
    scoped: float | None = getattr(_local, "scoped", None)
    return scoped if scoped is not None else DEFAULT_DEADLINE


@contextmanager
def trustpoint_scope(tp: Trustpoint) -> Iterator[None]:
    """Calls on this thread that do not name a trustpoint (CRL, LDAP, OCSP, TFTP) use ``tp``'s deadline."""
    before = getattr(_local, "scoped", None)
    _local.scoped = deadline_for(tp)
    try:
        yield
    finally:
        _local.scoped = before


F = TypeVar("F", bound=Callable[..., Any])


def with_trustpoint_deadline(method: F) -> F:
    """Decorator for service methods ``(self, tp, ...)`` where ``tp`` is a trustpoint or its name and
    ``self._trustpoint(name)`` finds it: the method's network calls get that trustpoint's deadline."""

    @functools.wraps(method)
    def wrapper(self: Any, tp: Any, *args: Any, **kwargs: Any) -> Any:
        trustpoint = tp if not isinstance(tp, str) else self._trustpoint(tp)
        with trustpoint_scope(trustpoint):
            return method(self, tp, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Deadline:
    """One operation's deadline: :meth:`remaining` for socket timeouts, and a watchdog that shuts
    down every registered socket when the time is up (``expired`` then says why reads failed)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self.expires = self.started + seconds
        self.expired = False
        self.cancelled = False  # by a person (cancel), not the watchdog
        self.thread_id = threading.get_ident()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self.expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        """Seconds left (at least a millisecond, so it can be a socket timeout)."""
        return max(self.expires - time.monotonic(), 0.001)

    def passed(self) -> bool:
        """True once the deadline is reached."""
        return self.expired or time.monotonic() >= self.expires

    def register(self, sock: socket.socket) -> None:
        """Cut ``sock`` at the deadline (at once when it has passed)."""
        with self._lock:
            self._sockets.append(sock)
            late = self.expired
        if late:
            _shutdown(sock)

    def expire(self) -> None:
        """The watchdog (or a Cancel): shut down every socket of the operation."""
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def cancel(self) -> None:
        """A person cancelled the operation (from any thread): cut its sockets now; what is
        still to be sent or read gets no time; leaving the ``with`` raises OperationCancelled."""
        self.cancelled = True
        self.expires = min(self.expires, time.monotonic())
        self.expire()

    def elapsed(self) -> float:
        """Seconds since the operation started."""
        return time.monotonic() - self.started

    def peers(self) -> list[str]:
        """``host:port`` of each connected socket (what the operation is waiting for)."""
        found: list[str] = []
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                host, port = sock.getpeername()[:2]
            except (OSError, ValueError, TypeError):
                continue
            found.append(f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}")
        return found

    def __enter__(self) -> Deadline:
        self._outer = getattr(_local, "deadline", None)
        _local.deadline = self
        self.thread_id = threading.get_ident()
        self._timer.start()
        _tell(self, True)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self._timer.cancel()
        _local.deadline = self._outer
        _tell(self, False)
        if self.cancelled and exc_type is not None and not issubclass(exc_type, OperationCancelled):
            raise OperationCancelled(f"Cancelled after {self.elapsed():.1f} s (of the {self.seconds:g} s "
                                     "deadline): the connection was cut, nothing received was used",
                                     "Run it again when the server answers; the deadline is the trustpoint's "
                                     "enrollment timeout.")


def current() -> Deadline | None:
    """The deadline of the operation running on this thread, if any."""
    found: Deadline | None = getattr(_local, "deadline", None)
    return found


def _shutdown(sock: socket.socket) -> None:
    if sock.type == socket.SOCK_DGRAM:
        _wake(sock)
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected yet or already closed: the socket timeout (time left) ends the connect


def _wake(sock: socket.socket) -> None:
    """Wake a receive blocked on an unconnected UDP socket (TFTP): shutdown does not, so send it an
    empty datagram; the receiver, seeing the deadline passed, ends the transfer."""
    try:
        host, port = sock.getsockname()[:2]
        if not port:
            return  # nothing sent yet, so nothing received either: the transfer checks the deadline first
        with socket.socket(sock.family, socket.SOCK_DGRAM) as poke:
            loopback = "::1" if sock.family == socket.AF_INET6 else "127.0.0.1"
            poke.sendto(b"", (loopback if host in ("0.0.0.0", "::", "") else host, port))
    except OSError:
        pass  # closed meanwhile: the transfer is over
