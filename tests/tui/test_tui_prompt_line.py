"""The ':' line as a router prompt (issue 10, point 10): '?' lists what may follow with a one-line
description each, Tab completes from the grammar, Up/Down walk the history, the live prompt
stands before the input and follows the mode."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Label

from pkitui.tui.app import PkiConsole
from pkitui.tui.messages import CommandOutputWritten
from tui_support import SIZE, Messages, device, ready, wait_for


def said(messages: Messages) -> list[str]:
    return [m.text for m in messages.of(CommandOutputWritten)]


def prompt(app: PkiConsole) -> str:
    return str(app.query_one("#cmdprompt", Label).render())


async def open_privileged(pilot: object, app: PkiConsole) -> None:
    """Open the ':' line and be in privileged exec (a console session may start in user exec)."""
    await pilot.press("colon")  # type: ignore[attr-defined]
    if prompt(app).endswith(">"):
        await pilot.press(*"enable", "enter")  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: prompt(app) == "gw1#")


async def test_question_mark_lists_what_may_follow_with_descriptions(tmp_path: Path) -> None:
    messages = Messages()
    app = PkiConsole(pki=device(tmp_path, "gw1"))
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await ready(pilot)
        await open_privileged(pilot, app)
        messages.clear()
        await pilot.press(*"show crypto pki ", "question_mark")
        cmd = app.query_one("#cmdline", Input)
        assert cmd.value == "show crypto pki ", "'?' is not typed into the line: the line stays as it was"
        await wait_for(pilot, lambda: len(said(messages)) > 2)
        lines = said(messages)
        assert lines[0] == "gw1# show crypto pki ?" or lines[0].endswith("show crypto pki ?"), lines
        expected = app.command_line.session().help_entries("show crypto pki ")
        described = [(w, h) for w, h in expected if h]
        assert len(described) >= 3, expected
        for word, text in described:
            assert any(line.split() and line.split()[0] == word and text in line for line in lines[1:]), (word, lines)
        assert app.screen is app.screen_stack[0], "'?' in the line is the IOS help, not the console's help screen"
        # The console's exec prompt is strict, as IOS (no implicit configure terminal): ? offers what
        # it runs there, not the configuration commands
        messages.clear()
        cmd.value = ""
        await pilot.press(*"crypto pki export ", "question_mark")
        await wait_for(pilot, lambda: len(said(messages)) > 1)
        assert said(messages) == ["gw1# crypto pki export ?", "% Unrecognized command"], said(messages)


async def test_tab_completes_and_history_walks_back_and_forth(tmp_path: Path) -> None:
    messages = Messages()
    app = PkiConsole(pki=device(tmp_path, "gw1"))
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await ready(pilot)
        await open_privileged(pilot, app)
        cmd = app.query_one("#cmdline", Input)
        await pilot.press(*"sh", "tab")
        assert cmd.value == "show "
        await pilot.press(*"crypto pki trustp", "tab")
        assert cmd.value == "show crypto pki trustpoints "
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(t.endswith("show crypto pki trustpoints") for t in said(messages)))
        await pilot.press(*"show running-config", "enter")
        await pilot.press(*"half typed")
        await pilot.press("up")
        assert cmd.value == "show running-config"
        await pilot.press("up")
        assert cmd.value == "show crypto pki trustpoints"
        await pilot.press("down", "down")
        assert cmd.value == "half typed", "past the newest line, the line being typed comes back"


async def test_the_live_prompt_follows_the_mode(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path, "gw1"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_privileged(pilot, app)
        assert prompt(app) == "gw1#"
        await pilot.press(*"configure terminal", "enter")
        await wait_for(pilot, lambda: prompt(app) == "gw1(config)#")
        await pilot.press(*"crypto pki trustpoint ca1", "enter")
        await wait_for(pilot, lambda: prompt(app) == "gw1(ca-trustpoint)#")
        await pilot.press("escape")
        await pilot.press("colon")
        assert prompt(app) == "gw1(ca-trustpoint)#", "modes persist between openings, as on a router"
