"""Searching the log pane: a field under it; every keystroke finds the first line that has the text,
Enter the next one (shift+Enter the previous), Escape closes and End in the log goes back to the
newest line."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import Input

from pkitui.tui.chrome import LogPane


class LogSearch(Input):
    """The log's search field (hidden until ctrl+f)."""

    BINDINGS = [
        Binding("shift+enter", "previous", "Previous match", id="log_search_previous", show=False,
                tooltip="The previous line with the text"),
    ]

    def __init__(self, log: LogPane, **kwargs: str) -> None:
        super().__init__(placeholder="search the log: Enter next, shift+Enter previous, Esc closes",
                         **kwargs)  # type: ignore[arg-type]
        self.log_pane = log
        self.match: int | None = None

    def open(self) -> None:
        """Show the field and focus it."""
        self.display = True
        self.focus()

    def close(self) -> None:
        """Hide it; the log keeps showing the match (End: the newest line)."""
        self.display = False
        self.log_pane.focus()

    def _go(self, *, from_start: bool = False, backwards: bool = False) -> None:
        after = -1 if from_start or self.match is None else self.match
        self.match = self.log_pane.find(self.value, after, backwards=backwards)
        if self.match is None:
            self.border_subtitle = "no line has it" if self.value else ""
            return
        self.border_subtitle = f"line {self.match + 1} of {len(self.log_pane.lines)}"
        self.log_pane.show_line(self.match)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._go(from_start=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._go()

    def action_previous(self) -> None:
        """The previous matching line."""
        self._go(backwards=True)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            event.stop()
            self.close()
            return
        await super()._on_key(event)
