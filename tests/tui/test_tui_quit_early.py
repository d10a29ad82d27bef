"""Quitting (ctrl+q, a stop signal) while the hidden tabs are still mounting ends cleanly: no
traceback over the restored terminal (it printed NoMatches for '#tp-list' or '#keys-table')."""

from __future__ import annotations

from pathlib import Path

import pytest

from pkitui.core.pki import Pki
from pkitui.tui.app import PkiConsole
from tui_support import SIZE


@pytest.mark.parametrize("delay", [0.0, 0.001, 0.005, 0.01, 0.02, 0.05])
async def test_quit_while_the_tabs_mount_is_clean(tmp_path: Path, delay: float) -> None:
    pki = Pki.open(tmp_path / "store")
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        if delay:
            await pilot.pause(delay)
        app.exit()
    assert app.return_code == 0
