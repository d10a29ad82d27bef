"""The footer: the focused pane's keys, with ``? Help`` (which lists every key) first.

Textual's Footer lists the focused widget's bindings first and the app's last, so at 80 columns
the app-wide ``? Help`` was cut off with half of the pane's keys. Here ``? Help`` leads; under
110 columns the footer turns compact and leaves out the app-wide keys the status line and Help
already name (ctrl+s Save, ``:`` Command, ctrl+p palette), so the pane's own keys fit. A wide
footer whose keys would still run under the palette hint (Trustpoints' nine keys at 120 columns)
leaves out ctrl+s Save and ``:`` Command the same way ("crowded").
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

HELP_ACTION = "help"
# App-wide keys that a narrow footer leaves to the Help screen (and the status line's "ctrl+s saves").
APP_WIDE_ACTIONS = frozenset({"save", "command_line"})
NARROW_BELOW = 110  # columns: the console's -narrow breakpoint


class KeysFooter(Footer):
    """A Footer with ``? Help`` first; compact and without the app-wide keys when narrow."""

    _recompose_pending = False  # a recompose is scheduled after the next refresh

    DEFAULT_CSS = """
    KeysFooter.-compact FooterKey.-app-wide, KeysFooter.-compact FooterKey.-command-palette { display: none; }
    KeysFooter.-crowded FooterKey.-app-wide { display: none; }
    """
    _cells_needed = 0  # the width of every key of the wide footer (key, description, padding)

    def compose(self) -> ComposeResult:
        keys: list[Widget] = list(super().compose())
        for key in keys:
            if isinstance(key, FooterKey) and key.action in APP_WIDE_ACTIONS:
                key.add_class("-app-wide")
        keys.sort(key=lambda w: not (isinstance(w, FooterKey) and w.action == HELP_ACTION))  # stable
        # A wide key is " key description " (padding 0 1 around the key, 0 1 0 0 after the
        # description); the palette hint has a one-cell left border too.
        self._cells_needed = sum(len(k.key_display) + len(k.description) + 3 + k.has_class("-command-palette")
                                 for k in keys if isinstance(k, FooterKey))
        self._fit(self.size.width)
        yield from keys

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < NARROW_BELOW
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        """Crowded (no app-wide keys) when the wide footer's keys would not all fit in ``width``."""
        self.set_class(not self.compact and width > 0 and self._cells_needed > width, "-crowded")

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Footer.bindings_changed, coalesced: the binding changes before one refresh (the panes
        mounting at start-up, focus moving) recompose the footer once, not once each."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._recompose_pending:
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_once)

    async def _recompose_once(self) -> None:
        self._recompose_pending = False  # a change from here on recomposes again
        await self.recompose()
