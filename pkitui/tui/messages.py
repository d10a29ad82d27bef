"""Messages the console's workers post back to the UI thread (past tense, as STYLE.md asks).

Each is a ``@dataclass`` carrying the core's own types: a worker posts its result, and the
handler on the UI thread renders it (no closure handed to ``call_from_thread``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from pkitui.tui.tones import Tone

if TYPE_CHECKING:
    from pkitui.core.keys import KeyPair, ZeroizeResult
    from pkitui.core.nvram import NvramUsage
    from pkitui.core.saving import Refresh


@dataclass
class ConfigChanged(Message):
    """The running configuration changed: every pane reloads and the unsaved marker updates."""

    what: str = ""


@dataclass
class CommandOutputWritten(Message):
    """A line of output (IOS command line, worker results) for the log pane, in a tone (or none)."""

    text: str
    tone: Tone | None = None


@dataclass
class CoreCallFailed(Message):
    """A core call in a worker raised; the app shows it in one place. ``logged``: its reason is
    already in the log (an IOS-style %PKI-3 line): the app adds only the hint there."""

    error: BaseException
    logged: bool = False


@dataclass
class ConfigSaved(Message):
    """``copy running-config startup-config`` finished."""

    usage: NvramUsage


@dataclass
class StoreRefreshed(Message):
    """Another process saved the store; ``refresh`` says what was taken over and what conflicts
    with this session's unsaved changes."""

    refresh: Refresh


@dataclass
class TrustpointDeclared(Message):
    """``crypto pki trustpoint NAME`` ran: the editor selects it and opens its form."""

    name: str


@dataclass
class KeyPairsGenerated(Message):
    """``crypto key generate rsa`` finished with these key pairs."""

    pairs: list[KeyPair]


@dataclass
class KeyPairZeroized(Message):
    """``crypto key zeroize rsa LABEL`` finished: what went, and what the administrator must do."""

    label: str
    result: ZeroizeResult
