"""The console's tabs, and a placeholder that imports and mounts a hidden tab's pane just after
the first frame (the screens' modules and the service layer stay out of the start-up path)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from textual.widget import Widget

if TYPE_CHECKING:
    from pkitui.tui.screens.base import PkiPane

# (tab id, title, module, class): the order of the tabs and of the 1..6 keys.
TABS: list[tuple[str, str, str, str]] = [
    ("home", "Home", "pkitui.tui.screens.home", "HomePane"),
    ("trustpoints", "Trustpoints", "pkitui.tui.screens.trustpoints", "TrustpointsPane"),
    ("keys", "Keys", "pkitui.tui.screens.keys", "KeysPane"),
    ("certificates", "Certificates", "pkitui.tui.screens.certificates", "CertificatesPane"),
    ("crls", "CRLs", "pkitui.tui.screens.crls", "CrlsPane"),
    ("nvram", "NVRAM", "pkitui.tui.screens.nvram", "NvramPane"),
]


def pane_class(tab: str) -> type[PkiPane]:
    """The pane class of ``tab`` (imports its module)."""
    for name, _title, module, cls in TABS:
        if name == tab:
            return getattr(importlib.import_module(module), cls)  # type: ignore[no-any-return]
    raise KeyError(tab)


def pane_classes() -> list[tuple[str, str, type[PkiPane]]]:
    """(tab, title, class) for every tab (imports every screen: palette and help use it)."""
    return [(tab, title, pane_class(tab)) for tab, title, _m, _c in TABS]


class PanePlaceholder(Widget):
    """Stands in a hidden tab until the first frame is painted, then becomes its pane."""

    DEFAULT_CSS = "PanePlaceholder { display: none; }"

    def __init__(self, tab: str) -> None:
        super().__init__()
        self.tab = tab

    def on_mount(self) -> None:
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
