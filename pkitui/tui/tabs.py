"""The console's tabs, and a placeholder that imports and mounts a hidden tab's pane once the
store is open, after the first frame (the screens' modules and the service layer stay out of the start-up path)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.widget import Widget

if TYPE_CHECKING:
    from pkitui.tui.screens.base import PkiPane


# Each loader imports its screen's module when the tab is first shown (not at start-up).
def _home() -> type[PkiPane]:
    from pkitui.tui.screens.home import HomePane

    return HomePane


def _trustpoints() -> type[PkiPane]:
    from pkitui.tui.screens.trustpoints import TrustpointsPane

    return TrustpointsPane


def _keys() -> type[PkiPane]:
    from pkitui.tui.screens.keys import KeysPane

    return KeysPane


def _certificates() -> type[PkiPane]:
    from pkitui.tui.screens.certificates import CertificatesPane

    return CertificatesPane


def _crls() -> type[PkiPane]:
    from pkitui.tui.screens.crls import CrlsPane

    return CrlsPane


def _nvram() -> type[PkiPane]:
    from pkitui.tui.screens.nvram import NvramPane

    return NvramPane


# (tab id, title, pane class loader): the order of the tabs and of the 1..6 keys.
TABS: list[tuple[str, str, Callable[[], type[PkiPane]]]] = [
    ("home", "Home", _home),
    ("trustpoints", "Trustpoints", _trustpoints),
    ("keys", "Keys", _keys),
    ("certificates", "Certificates", _certificates),
    ("crls", "CRLs", _crls),
    ("nvram", "NVRAM", _nvram),
]


def pane_class(tab: str) -> type[PkiPane]:
    """The pane class of ``tab`` (imports its module)."""
    for name, _title, load in TABS:
        if name == tab:
            return load()
    raise KeyError(tab)


def pane_classes() -> list[tuple[str, str, type[PkiPane]]]:
    """(tab, title, class) for every tab (imports every screen: palette and help use it)."""
    return [(tab, title, load()) for tab, title, load in TABS]


class PanePlaceholder(Widget):
    """Stands in a hidden tab until the store is open and a frame painted, then becomes its pane
    (mounted once, it reloads from the open store: no second reload of every pane)."""

    DEFAULT_CSS = "PanePlaceholder { display: none; }"

    def __init__(self, tab: str) -> None:
        super().__init__()
        self.tab = tab

    def become_pane_soon(self) -> None:
        """Become the tab's pane after the next refresh (the app calls it once the store is open)."""
        self.call_after_refresh(self._become_pane)

    async def _become_pane(self) -> None:
        parent = self.parent
        if not isinstance(parent, Widget) or not self.is_attached:
            return  # the app is quitting
        pane = pane_class(self.tab)(id=f"{self.tab}-pane")
        try:
            await parent.mount(pane, after=self)
            await self.remove()
        except Exception:  # noqa: BLE001 - the app quit while mounting: nothing to show any more
            return
