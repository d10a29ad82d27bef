"""The CRL viewer over a 1,000,000-entry CRL: only visible rows are decoded, the ends are reached
at once, and a serial typed in hex or decimal is found as it is typed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.widgets import Input, Label

from pkitui.core.pki import Pki
from pkitui.core.revocation.crl import parse_crl
from pkitui.lab.bigcrl import LabCa, build_crl_der, revoked_serials
from pkitui.tui.app import PkiConsole
from pkitui.tui.screens.crls import CrlsPane
from pkitui.tui.widgets.crl_table import CrlTable, parse_serial
from tui_support import SIZE, ready, wait_for

COUNT = 1_000_000


@pytest.fixture(scope="module")
def big_crl() -> tuple[bytes, list[int]]:
    serials = revoked_serials(COUNT)
    return build_crl_der(LabCa.create(key_size=1024), serials), serials


def test_parse_serial_hex_or_decimal() -> None:
    assert parse_serial("0x1F") == [(31, "hex")]
    assert parse_serial("1f:2A") == [(0x1F2A, "hex")]
    assert parse_serial("1234") == [(1234, "decimal"), (0x1234, "hex")]
    assert parse_serial("xyz") == []


async def test_million_rows_render_only_what_is_visible(big_crl: tuple[bytes, list[int]], tmp_path: Path) -> None:
    der, serials = big_crl
    app = PkiConsole(pki=Pki.open(tmp_path / "store"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5")
        pane = app.screen.query_one(CrlsPane)
        table = app.screen.query_one("#crl-table", CrlTable)
        start = time.perf_counter()
        index = parse_crl(der).index
        pane.show_index("big", index)
        await pilot.pause()
        first_screen = time.perf_counter() - start
        assert table.count == COUNT
        assert 0 < table.rows_rendered <= table.size.height + 2
        assert first_screen < 2.0
        table.focus()
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor == COUNT - 1
        assert table.rows_rendered <= 2 * (table.size.height + 2)
        last = format(serials[-1], "X")
        assert last.lstrip("0") in "".join(
            str(s) for s in table.render_line(table.cursor - table.scroll_offset.y + 1).text.split())  # 0: header

        search = app.screen.query_one("#crl-search", Input)
        result = app.screen.query_one("#crl-search-result", Label)
        for row, text in ((123_456, format(serials[123_456], "x")), (654_321, str(serials[654_321]))):
            search.value = text
            await wait_for(pilot, lambda row=row: f"REVOKED: row {row + 1:,}" in str(result.render()))
        assert table.cursor == 654_321
        assert "decimal" in str(result.render())
        search.value = "0x7777"
        await wait_for(pilot, lambda: "not revoked" in str(result.render()))


async def test_status_follows_a_fetched_crl(tmp_path: Path) -> None:
    """The status line stops saying "No CRL held" once a CRL has arrived (it used to keep it
    after f fetched one, until the CRL was opened)."""
    from tui_support import add_fixed_crl, fixed_pki

    pki = fixed_pki(tmp_path / "store")
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5")
        pane = app.screen.query_one(CrlsPane)
        status = app.screen.query_one("#crl-status", Label)
        assert "No CRL held" in str(status.render())
        add_fixed_crl(pki)
        pane.reload()
        await pilot.pause()
        assert "No CRL held" not in str(status.render())
        assert "1 CRL(s) held" in str(status.render())
