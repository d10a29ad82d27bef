"""A step-by-step trace of the exchanges with CAs and servers, for IOS's ``debug crypto pki``.

The core never prints: the transport and HTTP code call :func:`step` (what is happening: a
request sent, a connection opened, a status received; IOS's ``debug crypto pki transactions``)
and :func:`message` (what went over the wire: request lines, response headers, sizes, signed
attributes; ``debug crypto pki messages``). A front end installs one sink with the levels it
wants (:func:`install`); with none installed a call costs one comparison. The sink may be called
from any thread (the console enrolls in a worker), and a failing sink never fails the operation.

Secrets never reach a sink: the callers pass no password or key, and :func:`masked` shortens the
base64 pkiMessage of a GET request (an encrypted envelope, but long and of no use to read).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from enum import StrEnum


class TraceLevel(StrEnum):
    """What a trace line is about (IOS's ``debug crypto pki`` keywords)."""

    TRANSACTIONS = "transactions"  # the steps of an exchange
    MESSAGES = "messages"  # the content of what was sent and received


Sink = Callable[[TraceLevel, str], None]

_lock = threading.Lock()
_sink: Sink | None = None
_levels: frozenset[TraceLevel] = frozenset()


def install(sink: Sink | None, levels: Iterable[TraceLevel] = ()) -> None:
    """Send trace lines of ``levels`` to ``sink`` (None, or no level: tracing off)."""
    global _sink, _levels
    with _lock:
        _levels = frozenset(levels) if sink is not None else frozenset()
        _sink = sink if _levels else None


def enabled(level: TraceLevel) -> bool:
    """True when lines of ``level`` go somewhere (to skip building costly ones)."""
    return _sink is not None and level in _levels


def step(text: str) -> None:
    """A step of an exchange (``debug crypto pki transactions``)."""
    _emit(TraceLevel.TRANSACTIONS, text)


def message(text: str) -> None:
    """What went over the wire (``debug crypto pki messages``); may span several lines."""
    _emit(TraceLevel.MESSAGES, text)


_MESSAGE_PARAM = re.compile(r"(message=)([A-Za-z0-9%+/=_-]{48,})")
_PASSWORD = re.compile(r"(?i)(password\s*[=:]?\s*)\S+")


def masked(text: str) -> str:
    """``text`` fit for a trace: a long ``message=`` parameter shortened, anything after
    ``password`` starred out (a guard: callers pass no secret)."""
    text = _MESSAGE_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)[:16]}...({len(m.group(2))} chars)", text)
    return _PASSWORD.sub(lambda m: m.group(1) + "*****", text)


def _emit(level: TraceLevel, text: str) -> None:
    sink = _sink
    if sink is None or level not in _levels:
        return
    try:
        sink(level, masked(text))
    except Exception:  # noqa: BLE001 - a trace must never fail the exchange it describes
        pass
