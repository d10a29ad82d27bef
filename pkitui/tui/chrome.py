"""The console's frame around the tabs: the status line and the log pane, each colouring its
text by tone through its component classes (the colours are in styles/widgets.tcss)."""

from __future__ import annotations

from rich.style import Style
from textual.binding import Binding
from textual.widgets import RichLog, Static

from pkitui.tui.tones import Tone, tone_classes, tone_style, toned


class StatusLine(Static):
    """The one-line status: the app's name, the unsaved-changes marker, query mode, the device."""

    COMPONENT_CLASSES = tone_classes("status") | {"status--name"}

    def name_style(self) -> Style:
        """The app's name at the start of the line (a badge)."""
        return self.get_component_rich_style("status--name", partial=True)

    def tone(self, tone: Tone) -> Style:
        """The style of a span in ``tone``."""
        return tone_style(self, "status", tone)


class LogPane(RichLog):
    """The log pane: every line in a tone (``log--ok``, ``log--error``, …) or none. It can be
    maximized (the palette's Maximize, or Log full screen), searched, and End goes back to the
    newest line (and the log follows new lines again)."""

    COMPONENT_CLASSES = tone_classes("log")
    ALLOW_MAXIMIZE = True
    BINDINGS = [
        Binding("end", "follow", "Newest", id="log_follow", tooltip="Back to the newest line; follow new lines"),
        Binding("escape", "leave_full_screen", "Leave full screen", id="log_leave_full_screen", show=False,
                tooltip="Back to the tabs from the log's full screen"),
    ]

    def write_line(self, text: str, tone: Tone | None = None) -> None:
        """Append one line in ``tone``."""
        self.write(toned(self, "log", text, tone))

    def line_texts(self) -> list[str]:
        """The text of every line as shown (wrapped lines are separate)."""
        return [strip.text for strip in self.lines]

    def find(self, text: str, after: int = -1, *, backwards: bool = False) -> int | None:
        """The next line (after ``after``, wrapping around) containing ``text``, case-insensitive."""
        lines = [line.lower() for line in self.line_texts()]
        needle = text.lower()
        if not needle or not lines:
            return None
        order = range(len(lines))
        start = (after + (-1 if backwards else 1)) % len(lines) if after >= 0 else (len(lines) - 1 if backwards else 0)
        rotated = [(start + (-i if backwards else i)) % len(lines) for i in order]
        return next((i for i in rotated if needle in lines[i]), None)

    def show_line(self, index: int) -> None:
        """Scroll so that line ``index`` is in view (the log stops following new lines)."""
        self.auto_scroll = False
        self.scroll_to(y=max(index - 1, 0), animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape only when full screen (else it belongs to whoever is further up)."""
        if action == "leave_full_screen":
            return self.screen.maximized is self
        return True

    def action_leave_full_screen(self) -> None:
        """Escape in full screen: back to the tabs."""
        self.screen.minimize()

    def action_follow(self) -> None:
        """End: the newest line, and follow new lines again."""
        self.auto_scroll = True
        self.scroll_end(animate=False)
