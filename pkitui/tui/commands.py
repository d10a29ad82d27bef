"""The command palette (ctrl+p): every action of the app and of every screen, found by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from pkitui.tui.app import PkiConsole


def palette_entries(app: PkiConsole) -> Iterator[tuple[str, str, Callable[[], object]]]:
    """(title, help, callback) for every app binding and every pane binding."""
    from pkitui.tui.tabs import pane_classes

    for binding in app.BINDINGS:
        if isinstance(binding, Binding) and binding.description:
            yield binding.description, binding.tooltip, partial(app.run_action, binding.action)
    for tab, title, cls in pane_classes():
        for binding in cls.BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                yield (f"{title}: {binding.description}", binding.tooltip,
                       partial(app.run_pane_action, tab, binding.action))


class ActionsProvider(Provider):
    """Lists every action of the console (ids and tooltips come from the BINDINGS)."""

    async def discover(self) -> Hits:
        for title, help_text, callback in palette_entries(cast("PkiConsole", self.app)):
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in palette_entries(cast("PkiConsole", self.app)):
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
