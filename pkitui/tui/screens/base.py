"""The base of every pane: access to the Pki, the core lock, and the one worker-error handler."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ParamSpec, TypeVar, cast

from rich.style import Style
from rich.text import Text

from textual import on
from textual.containers import Container
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import Worker, WorkerState

from pkitui.tui.bridge import ask_from_thread
from pkitui.tui.messages import CommandOutputWritten, ConfigChanged, CoreCallFailed
from pkitui.tui.tones import Tone, tone_classes, tone_style, toned

if TYPE_CHECKING:
    from pkitui.core.pki import Pki
    from pkitui.tui.app import PkiConsole

T = TypeVar("T")
P = ParamSpec("P")


class PkiPane(Container):
    """A tab of the console. Subclasses implement :meth:`reload` (cheap, UI thread: it only reads
    the running configuration) and run every core operation in a thread worker. Text a pane
    colours is in a tone: ``pane--ok``, ``pane--warning``, … (styles/widgets.tcss)."""

    COMPONENT_CLASSES = tone_classes("pane")

    @property
    def console(self) -> PkiConsole:
        """The App, typed."""
        return cast("PkiConsole", self.app)

    @property
    def pki(self) -> Pki:
        """The device's Pki (one per console)."""
        return self.console.pki

    @property
    def core_lock(self) -> threading.RLock:
        """Held by a worker for the duration of a core call (the core is not thread-safe)."""
        return self.console.core_lock

    def now(self) -> datetime:
        """The console's clock (frozen in snapshot tests)."""
        return self.console.clock()

    def reload(self) -> None:
        """Re-read the running configuration into the widgets."""

    def on_mount(self) -> None:
        if self.console.pki_ready:  # else the app reloads every pane once the store is open
            self.reload()
        # Text built in a tone keeps the colours of the theme it was built in: build it again.
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: Theme) -> None:
        if self.console.pki_ready:
            self.reload()

    def tone(self, tone: Tone | None) -> Style:
        """The style of a span in ``tone``, as the CSS colours it on this pane."""
        return tone_style(self, "pane", tone)

    def toned(self, text: str, tone: Tone | None) -> Text:
        """``text`` in ``tone``."""
        return toned(self, "pane", text, tone)

    def focus_main(self) -> None:
        """Give the focus to the pane's main widget (the first focusable one by default)."""
        for widget in self.query("*"):
            if widget.focusable and widget.display:
                widget.focus()
                return

    # -- helpers for workers (they run in a thread) --------------------------------------------
    def ask(self, screen: Screen[T]) -> T | None:
        """From a worker: show a modal and wait for the answer."""
        return ask_from_thread(self.console, screen)

    def say(self, text: str, tone: Tone | None = None) -> None:
        """From a worker or the UI thread: a line in the log pane, in ``tone``."""
        self.console.post_message(CommandOutputWritten(text, tone))

    def changed(self, what: str = "") -> None:
        """From a worker: the running configuration changed."""
        self.console.post_message(ConfigChanged(what))

    def core(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """From a worker: call the core under the lock."""
        with self.core_lock:
            return fn(*args, **kwargs)

    # -- the one worker-error handler ----------------------------------------------------------
    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Worker.StateChanged does not bubble: each pane forwards failures to the app, which
        shows them in one place (notification + log pane)."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.console.post_message(CoreCallFailed(event.worker.error))
        self.worker_finished(event.worker, event.state)

    def worker_finished(self, worker: Worker[object], state: WorkerState) -> None:
        """Hook: a worker of this pane changed state (e.g. hide a progress bar)."""
