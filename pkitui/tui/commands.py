"""The command palette (ctrl+p): the app's actions and the shown screen's, found by name, each with its keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.app import ScreenStackError
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.css.query import NoMatches
from textual.widgets import TabbedContent

if TYPE_CHECKING:
    from pkitui.tui.app import PkiConsole


@dataclass(frozen=True)
class PaletteEntry:
    """One thing the palette can do: its title, its key(s) as the footer shows them, the help."""

    title: str
    keys: str
    help: str
    run: Callable[[], object]

    def __iter__(self) -> Iterator[object]:  # (title, help, callback), as the tests unpack it
        return iter((self.title, self.help, self.run))


def _action(binding: Binding) -> str:
    """The action a binding runs, as the app would name it (``app.show_tab('x')`` is ``show_tab('x')``)."""
    return binding.action.removeprefix("app.")


def key_hint(app: PkiConsole, binding: Binding) -> str:
    """The binding's key(s) as shown in the footer, after the user's keymap."""
    keys = app.user_keymap.get(binding.id or "", "") if binding.id else ""
    shown = [Binding(k, binding.action) for k in keys.split(",")] if keys else [binding]
    try:
        return " ".join(app.get_key_display(b) for b in shown)
    except ScreenStackError:  # the app is not running (a test listing the entries)
        return " ".join(b.key_display or b.key for b in shown)


def _available(app: PkiConsole, binding: Binding) -> bool:
    """False when the app says the action does nothing now (check_action)."""
    try:
        return app.check_action(_action(binding), ()) is not False
    except ScreenStackError:  # the app is not running (a test listing the entries)
        return True


def palette_entries(app: PkiConsole, tab: str | None = None) -> Iterator[PaletteEntry]:
    """The palette's entries: the app's actions, then the actions of ``tab``'s pane (None: of
    every pane), each thing once (Home's "Keys" is the Keys tab), with its keys."""
    from pkitui.tui.tabs import pane_classes

    seen: set[str] = set()
    for binding in app.BINDINGS:
        if not isinstance(binding, Binding) or not binding.description or _action(binding) in seen:
            continue
        if not _available(app, binding):
            continue  # e.g. Cancel wait while nothing waits
        seen.add(_action(binding))
        title = f"{binding.description} screen" if binding.action.startswith("show_tab") else binding.description
        yield PaletteEntry(title, key_hint(app, binding), binding.tooltip, partial(app.run_action, binding.action))
    for pane_tab, title, cls in pane_classes():
        if tab is not None and pane_tab != tab:
            continue
        for binding in cls.BINDINGS:
            if not isinstance(binding, Binding) or not binding.description or _action(binding) in seen:
                continue
            seen.add(_action(binding) if binding.action.startswith("app.") else f"{pane_tab}.{binding.action}")
            yield PaletteEntry(f"{title}: {binding.description}", key_hint(app, binding), binding.tooltip,
                               partial(app.run_pane_action, pane_tab, binding.action))


def _display(entry: PaletteEntry, title: Content | None = None) -> Content:
    """The title, then the keys, dimmed."""
    shown = title if title is not None else Content(entry.title)
    return Content.assemble(shown, (f"  {entry.keys}", "dim")) if entry.keys else shown


class ActionsProvider(Provider):
    """The console's actions that fit the screen shown: the app's, and the active tab's (ids,
    tooltips and keys come from the BINDINGS and the user's keymap)."""

    def _entries(self) -> list[PaletteEntry]:
        app = cast("PkiConsole", self.app)
        try:
            tab = app.query_one("#tabs", TabbedContent).active or None
        except NoMatches:
            tab = None
        return list(palette_entries(app, tab))

    async def discover(self) -> Hits:
        for entry in self._entries():
            yield DiscoveryHit(_display(entry), entry.run, text=entry.title, help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score = matcher.match(entry.title)
            if score > 0:
                yield Hit(score, _display(entry, matcher.highlight(entry.title)), entry.run, text=entry.title,
                          help=entry.help)
