"""Start-up (issue 10): the console opens the store before its first frame, shows it on Home, then mounts the
hidden tabs; each pane reloads from the store once (Keys, Certificates and CRLs reloaded twice:
their on_mount called PkiPane.on_mount, which Textual calls too)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pkitui.tui.app import PkiConsole
from pkitui.tui.tabs import TABS, pane_classes
from tui_support import SIZE


async def test_each_pane_reloads_once_at_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reloads: Counter[str] = Counter()
    for tab, _title, cls in pane_classes():
        def counted(self: object, original=cls.reload, tab: str = tab) -> None:
            reloads[tab] += 1
            original(self)
        monkeypatch.setattr(cls, "reload", counted)
    app = PkiConsole(tmp_path / "store")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(500):
            panes = app.panes()
            if len(panes) == len(TABS) and all(pane.is_mounted for pane in panes):
                break
            await pilot.pause(0.01)
        await pilot.pause()
        assert app.pki_ready
        assert reloads == {tab: 1 for tab, _title, _load in TABS}
        app.exit()
