"""The log pane (issue 10, point 8): results as a router's console messages, timestamped; full
screen; search; End back to the newest line."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from textual.widgets import Input

from pkitui.core.scep.enroll import EnrollmentEvent
from pkitui.tui.app import PkiConsole
from pkitui.tui.chrome import LogPane
from pkitui.tui.console_log import console_line, enrollment_event
from tui_support import SIZE, device, ready, wait_for

# *Nov 30 22:28:56.123: %FACILITY-SEVERITY-MNEMONIC: text
CONSOLE_MESSAGE = re.compile(r"^\*[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d\.\d{3}: %[A-Z]+-\d-[A-Z_]+: \S")


def log_lines(app: PkiConsole) -> list[str]:
    return app.query_one("#log", LogPane).line_texts()


async def test_save_is_a_timestamped_console_message(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path, "gw1"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("CONFIG_NV_I" in line for line in log_lines(app)))
        line = next(line for line in log_lines(app) if "CONFIG_NV_I" in line)
        assert CONSOLE_MESSAGE.match(line), line
        text = " ".join(" ".join(log_lines(app)).split())  # the pane wraps long lines
        assert "%SYS-5-CONFIG_NV_I: Nonvolatile storage configured from console by the pkitui console" in text


def test_enrollment_states_become_ios_console_messages() -> None:
    when = datetime(2025, 11, 30, 22, 28, 56, 123000, tzinfo=timezone.utc)
    issued = enrollment_event(EnrollmentEvent("lab", "gw1.example.com", "issued"))
    assert issued is not None
    line = console_line(when, issued)
    assert CONSOLE_MESSAGE.match(line) and line.endswith(
        "%PKI-6-CERTRET: Certificate received from Certificate Authority (trustpoint lab, key pair gw1.example.com)")
    assert line.split(":")[2].endswith(".123")
    rejected = enrollment_event(EnrollmentEvent("lab", "k", "failed", fail_info="badRequest"))
    assert rejected is not None and rejected.mnemonic == "CERTREJECT" and "badRequest" in rejected.text
    assert enrollment_event(EnrollmentEvent("lab", "k", "sent")) is None


async def test_log_full_screen_search_and_back_to_the_end(tmp_path: Path) -> None:
    app = PkiConsole(pki=device(tmp_path, "gw1"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        log = app.query_one("#log", LogPane)
        for i in range(120):
            app.write_log(f"line {i:03d}" + (" needle" if i in (10, 70) else ""))
        await pilot.pause()
        await pilot.press("f12")
        assert app.screen.maximized is log
        assert log.size.height > 30, "full screen: the log has the screen's rows"
        await pilot.press("ctrl+f")
        search = app.query_one("#log-search", Input)
        assert search.display and search.has_focus
        await pilot.press(*"NEEDLE")
        first = log.find("needle")
        assert first is not None and "line 010" in log.line_texts()[first]
        await wait_for(pilot, lambda: log.scroll_y <= first <= log.scroll_y + log.size.height)
        await pilot.press("enter")
        second = log.find("needle", first)
        assert second is not None and "line 070" in log.line_texts()[second]
        await wait_for(pilot, lambda: log.scroll_y <= second <= log.scroll_y + log.size.height)
        assert search.border_subtitle.startswith(f"line {second + 1} of")
        await pilot.press("escape")
        assert not search.display and log.has_focus
        await pilot.press("end")
        await wait_for(pilot, lambda: log.scroll_y == log.max_scroll_y)
        assert log.auto_scroll, "End follows new lines again"
        assert app.screen.maximized is log, "Escape closed the search field only"
        await pilot.press("escape")
        assert app.screen.maximized is None
