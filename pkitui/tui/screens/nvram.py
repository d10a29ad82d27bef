"""NVRAM usage gauge (pki.nvram_usage()): refreshed whenever the configuration changes."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll

from pkitui.tui.screens.base import PkiPane
from pkitui.tui.widgets.nvram_gauge import NvramGauge


class NvramPane(PkiPane):
    """The gauge, in a scrollable pane."""

    BINDINGS = [
        Binding("q", "toggle_query_mode", "Query mode", id="nvram_query_mode",
                tooltip="crypto ca certificate query: keep certificates and CRLs out of NVRAM (toggle)"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="nvram-scroll", can_focus=True):
            yield NvramGauge(id="nvram-gauge")

    def reload(self) -> None:
        self.query_one("#nvram-gauge", NvramGauge).show(self.pki.nvram_usage())

    def on_resize(self) -> None:
        self.reload()

    def action_toggle_query_mode(self) -> None:
        """Toggle query mode (takes effect at the next save)."""
        self._toggle_query_mode()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _toggle_query_mode(self) -> None:
        enabled = not self.pki.config.query_mode
        self.core(self.pki.set_query_mode, enabled)
        self.say(("" if enabled else "no ") + "crypto ca certificate query")
        self.changed("query mode")
