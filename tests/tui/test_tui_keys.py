"""Keys and palette (issue 10, point 11): a keymap file in the XDG config dir is honoured (and a
wrong line is reported, not fatal); every binding has an id; the palette shows keys, fits the
screen shown and lists each thing once."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import TabbedContent

from pkitui.tui.app import PkiConsole
from pkitui.tui.commands import palette_entries
from pkitui.tui.keymap import console_bindings
from pkitui.tui.screens.dialogs import HelpScreen
from tui_support import SIZE, device, ready, wait_for


def test_every_binding_has_an_id() -> None:
    missing = [f"{cls.__qualname__}: {b.key} -> {b.action}" for cls, b in console_bindings() if not b.id]
    assert not missing, missing
    assert len(list(console_bindings())) > 30


async def test_keymap_file_in_the_config_dir_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    (config / "pkitui").mkdir(parents=True)
    (config / "pkitui" / "keymap.toml").write_text(
        'help = "f1"\nshow_tab_nothing = "x"\ntab_keys = 42\n', encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    app = PkiConsole(pki=device(tmp_path, "gw1"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: app.user_keymap == {"help": "f1"})
        log = "\n".join(line.text for line in app.query_one("#log").lines)
        assert "show_tab_nothing" in log and "tab_keys" in log, "wrong lines are reported in the log"
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        entry = next(e for e in palette_entries(app) if e.title == "Help")
        assert entry.keys == "f1", "the palette shows the key from the keymap"


async def test_palette_fits_the_screen_with_keys_and_one_entry_per_thing(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path, "gw1"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.query_one("#tabs", TabbedContent).active = "keys"
        await pilot.pause()
        titles = [e.title for e in palette_entries(app, "keys")]
        assert len(titles) == len(set(titles)), titles
        assert sum("Keys" in t and "screen" in t for t in titles) == 1, titles
        assert any(t.startswith("Keys: ") for t in titles)
        assert not any(t.startswith("Trustpoints: ") for t in titles), "only the screen shown"
        assert "Cancel wait" not in titles, "nothing waits"
        save = next(e for e in palette_entries(app, "keys") if e.title == "Save")
        assert save.keys == "^s"
        await pilot.press("ctrl+p")
        await pilot.press(*"save")
        await wait_for(pilot, lambda: "^s" in str(
            app.screen.query("CommandList").first().get_option_at_index(0).prompt))
