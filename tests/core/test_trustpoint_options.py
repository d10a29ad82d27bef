"""One table of trustpoint options (issue 9): the IOS ca-trustpoint commands, their help, the
console form and ``show running-config`` all come from ``pkitui.core.trustpoint_options``."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input

from ios_support import recorder
from pkitui.core.errors import PkiError
from pkitui.core.pki import Pki
from pkitui.core.trustpoint_options import OPTIONS, OPTIONS_BY_KEY, TrustpointOption
from pkitui.core.trustpoints import Trustpoint
from pkitui.ios.registry import TRUSTPOINT, Command, commands_for
from pkitui.ios.show_commands import running_config_lines
from pkitui.tui.app import PkiConsole
from pkitui.tui.screens.trustpoint_fields import FIELDS, FLAGS
from tui_support import SIZE, ready

# Options whose placeholder describes rather than shows a value: an example of each.
EXAMPLES = {"fingerprint": "19DE283EAAC992A7BBFEE8987557ADAE", "password": "s3cret", "rsakeypair": "r1-keys",
            "deploy_key_password": "k3y-passw0rd"}


def example(option: TrustpointOption) -> str:
    """A valid, non-default argument text for ``option`` (its placeholder's example when it has one)."""
    if option.flag:
        return ""
    return EXAMPLES.get(option.key) or option.placeholder.removeprefix("e.g. ")


def option_commands() -> dict[str, list[Command]]:
    """The ca-trustpoint sub-commands by the option their handler sets."""
    found: dict[str, list[Command]] = defaultdict(list)
    for cmd in commands_for(TRUSTPOINT):
        if cmd.modes == (TRUSTPOINT,):  # not exit, end, do
            found[cmd.handler.__name__].append(cmd)
    return found


def test_keys_are_trustpoint_fields_and_defaults_are_the_dataclass_defaults() -> None:
    blank = Trustpoint(name="x")
    for option in OPTIONS:
        assert option.is_default(blank), option.key
        assert option.default == getattr(blank, option.key)
    assert len(OPTIONS_BY_KEY) == len(OPTIONS)


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.key)
def test_option_round_trips_through_show_running_config(option: TrustpointOption, tmp_path: Path) -> None:
    source = Pki.open(tmp_path / "a")
    tp = source.trustpoints.declare("tp")
    option.parse(tp, example(option))
    assert not option.is_default(tp)
    lines = running_config_lines(source)
    assert any(line.startswith(f" {option.words}") for line in lines)
    again = recorder(tmp_path / "a")  # the same store: a sealed password opens again
    again.ok("\n".join(lines))
    assert again.pki.trustpoints.get("tp") == tp
    # ... and the no form restores the default.
    again.ok(f"configure terminal\ncrypto pki trustpoint tp\nno {option.words}\nend")
    assert option.is_default(again.pki.trustpoints.get("tp"))


def test_placeholders_read_as_examples_the_setters_accept() -> None:
    """Issue 10: 'proxy.example.com 3128' looked like a value; an example now says 'e.g.'."""
    for option in FIELDS:
        if option.placeholder.startswith("e.g. "):
            option.set_text(Trustpoint(name="x"), option.placeholder.removeprefix("e.g. "))
        else:  # a description ("default: the FQDN"), which no setter would take for a value
            with pytest.raises(PkiError):
                option.set_text(Trustpoint(name="x"), option.placeholder)


def test_ios_commands_and_console_form_cover_exactly_the_table() -> None:
    commands = option_commands()
    assert set(commands) == set(OPTIONS_BY_KEY)
    for key, cmds in commands.items():
        specs = [c.spec for c in cmds]
        assert any(s.startswith("no ") for s in specs) and any(not s.startswith("no ") for s in specs), key
    assert {o.key for o in FIELDS} | {o.key for o in FLAGS} == set(OPTIONS_BY_KEY)


def test_ca_trustpoint_help_is_the_table_help() -> None:
    """IOS's ``?`` line of each option is the table's one-line summary (its brief, else its help)."""
    for key, cmds in option_commands().items():
        assert {c.help for c in cmds} == {OPTIONS_BY_KEY[key].summary}, key


async def test_console_form_is_built_from_the_table(tmp_path: Path) -> None:
    pki = Pki.open(tmp_path / "store")
    pki.trustpoints.declare("ka").set_retry_period(7)
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        for option in FIELDS:
            field = app.screen.query_one(f"#f-{option.key}", Input)
            assert field.placeholder == option.placeholder and field.tooltip == option.help
            assert field.password == option.secret
        assert app.screen.query_one("#f-enrollment_retry_period", Input).value == "7"
        for option in FLAGS:
            box = app.screen.query_one(f"#f-{option.key}", Checkbox)
            assert box.tooltip == option.help and not box.value
