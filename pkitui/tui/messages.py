"""Messages the console's workers post back to the UI thread (past tense, as STYLE.md asks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from pkitui.tui.tones import Tone

if TYPE_CHECKING:
    from pkitui.core.nvram import NvramUsage
    from pkitui.core.pki import Pki, Refresh


class ConfigChanged(Message):
    """The running configuration changed: every pane reloads and the unsaved marker updates."""

    def __init__(self, what: str = "") -> None:
        super().__init__()
        self.what = what


class CommandOutputWritten(Message):
    """A line of output (IOS command line, worker results) for the log pane, in a tone (or none)."""

    def __init__(self, text: str, tone: Tone | None = None) -> None:
        super().__init__()
        self.text = text
        self.tone = tone


class CoreCallFailed(Message):
    """A core call in a worker raised; the app shows it in one place."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


class ConfigSaved(Message):
    """``copy running-config startup-config`` finished."""

    def __init__(self, usage: NvramUsage) -> None:
        super().__init__()
        self.usage = usage


class StoreOpened(Message):
    """The store was opened in the background (``pki`` is the device's Pki)."""

    def __init__(self, pki: Pki) -> None:
        super().__init__()
        self.pki = pki


class StoreRefreshed(Message):
    """Another process saved the store; ``refresh`` says what was taken over and what conflicts
    with this session's unsaved changes."""

    def __init__(self, refresh: Refresh) -> None:
        super().__init__()
        self.refresh = refresh
