"""The console's frame around the tabs: the status line and the log pane, each colouring its
text by tone through its component classes (the colours are in styles/widgets.tcss)."""

from __future__ import annotations

from rich.style import Style
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
    """The log pane: every line in a tone (``log--ok``, ``log--error``, …) or none."""

    COMPONENT_CLASSES = tone_classes("log")

    def write_line(self, text: str, tone: Tone | None = None) -> None:
        """Append one line in ``tone``."""
        self.write(toned(self, "log", text, tone))
