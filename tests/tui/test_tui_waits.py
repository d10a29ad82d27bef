"""Network waits in the console (issue 10, point 7): a spinner line with what is awaited, the
elapsed time and the real deadline; Cancel ends the wait at once.

The server must never answer, which no real CA does on purpose: the hostile test server
(tests/servers/hostile.py, its ``/silent`` path reads the request and never answers) stands in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from pkitui.core.deadline import OperationCancelled
from pkitui.core.pki import Pki
from pkitui.tui.app import PkiConsole
from pkitui.tui.messages import CoreCallFailed
from pkitui.tui.waits import WaitBar
from servers import hostile as hostile_server
from tui_support import SIZE, Messages, device, ready, wait_for

DEADLINE = 25  # the trustpoint's enrollment timeout: far longer than a Cancel may take


@pytest.fixture(scope="module")
def silent_url() -> Iterator[str]:
    """An HTTP URL that accepts the request and never answers."""
    with hostile_server.started() as ports:
        yield f"http://127.0.0.1:{ports['http']}/silent"


def silent_device(tmp_path: Path, url: str) -> Pki:
    pki = device(tmp_path)
    tp = pki.trustpoints.declare("slow")
    tp.enrollment_url = url
    tp.enrollment_timeout = DEADLINE
    return pki


def wait_line(app: PkiConsole) -> str:
    return str(app.query_one("#wait-text", Static).render())


async def test_authenticate_shows_the_wait_and_cancel_ends_it_at_once(tmp_path: Path, silent_url: str) -> None:
    messages = Messages()
    app = PkiConsole(pki=silent_device(tmp_path, silent_url))
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await app.pane("trustpoints").run_action("authenticate")
        bar = app.query_one(WaitBar)
        await wait_for(pilot, lambda: bar.display and "deadline" in wait_line(app), timeout=10)
        line = wait_line(app)
        assert "authenticate slow" in line and f"of the {DEADLINE} s deadline" in line, line
        assert "127.0.0.1:" in line, line  # what it waits for
        await pilot.pause(1.0)
        assert " 1." in wait_line(app) or " 2." in wait_line(app), wait_line(app)  # the elapsed time moves on
        assert app.check_action("cancel_wait", ()) is True
        start = time.monotonic()
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: bool(messages.of(CoreCallFailed)) and not bar.display, timeout=DEADLINE)
        took = time.monotonic() - start
        assert took < 2.0, f"Cancel took {took:.1f} s to free the console"
        error = messages.of(CoreCallFailed)[0].error
        assert isinstance(error, OperationCancelled), error
        assert "Cancelled after" in error.message
        assert app.check_action("cancel_wait", ()) is False  # nothing waits: the key is gone


async def test_command_line_wait_is_shown_and_cancelled(tmp_path: Path, silent_url: str) -> None:
    """A ':' command that goes to the network is a wait like any other (here a CRL query)."""
    app = PkiConsole(pki=silent_device(tmp_path, silent_url))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("colon")
        if str(app.query_one("#cmdprompt").render()).endswith(">"):  # user exec, as a router's console starts
            await pilot.press(*"enable", "enter")
        await pilot.press(*"configure terminal", "enter")
        await pilot.press(*"crypto pki authenticate slow")
        await pilot.press("enter")
        bar = app.query_one(WaitBar)
        try:
            await wait_for(pilot, lambda: bar.display and "deadline" in wait_line(app), timeout=10)
        except AssertionError:
            raise AssertionError("\n".join(line.text for line in app.query_one("#log").lines)) from None
        assert "crypto pki authenticate slow" in wait_line(app)
        start = time.monotonic()
        await pilot.click("#wait-cancel")
        await wait_for(pilot, lambda: not bar.display, timeout=DEADLINE)
        assert time.monotonic() - start < 2.0
        log = "\n".join(line.text for line in app.query_one("#log").lines)
        assert "Cancelled after" in log, log
