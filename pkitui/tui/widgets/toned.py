"""Widgets whose text is coloured by their component classes, as textual's own widgets are.

A widget lists ``COMPONENT_CLASSES`` (``nvram-gauge--ok``, ``nvram-gauge--crls``, …) and
``styles/widgets.tcss`` colours them with theme variables. The plain functions that build the
text take the resolved styles by name (the class without its ``widget--`` prefix), so they name
a :class:`~pkitui.tui.tones.Tone` or a domain name (an NVRAM category), never a colour, and
stay testable without an App.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.style import Style
from textual.theme import Theme
from textual.widgets import Static

ToneStyles = Mapping[str, Style]
"""Rich styles by component-class name without the widget prefix (``"ok"``, ``"own-keys"``)."""


def tone(styles: ToneStyles, name: str) -> Style:
    """The style ``name`` has in ``styles``; no style when absent (a unit test passing ``{}``,
    an NVRAM category the widget does not know)."""
    return styles.get(name, Style.null())


class TonedStatic(Static):
    """A Static that builds its content from its component classes' styles, and builds it
    again when the theme changes (a content built once would keep the old theme's colours)."""

    def tone_styles(self) -> dict[str, Style]:
        """Every component class of this widget, resolved: ``{"ok": Style, …}`` (partial styles:
        they go on spans of text whose background stays the widget's)."""
        return {name.partition("--")[2]: self.get_component_rich_style(name, partial=True)
                for name in self.COMPONENT_CLASSES}

    def redraw(self) -> None:
        """Build the content again from the current state (subclasses)."""

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: Theme) -> None:
        self.redraw()
