"""``debug crypto pki`` in the console: the core's trace reaches the log pane, from the thread the
exchange runs in (the console enrolls in workers)."""

from __future__ import annotations

import threading
from pathlib import Path

from textual.widgets import Input

from pkitui.core import trace
from pkitui.core.pki import Pki
from pkitui.tui.app import PkiConsole
from pkitui.tui.messages import CommandOutputWritten
from pkitui.tui.tones import Tone
from servers.scep_responder import ScepResponder
from tui_support import SIZE, Messages, ready, wait_for


async def test_debug_lines_go_to_the_log_pane(tmp_path: Path) -> None:
    """GetCACaps against the test responder (any SCEP server would do: only the HTTP steps are read)."""
    pki = Pki.open(tmp_path / "store")
    messages = Messages()
    with ScepResponder(ra=False) as responder:
        pki.trustpoints.declare("lab").enrollment_url = responder.url
        app = PkiConsole(pki=pki)
        try:
            async with app.run_test(size=SIZE, message_hook=messages) as pilot:
                await ready(pilot)
                await pilot.press("colon")
                cmd = app.query_one("#cmdline", Input)
                for line in ("enable", "debug crypto pki transactions"):
                    cmd.value = line
                    await cmd.action_submit()
                await wait_for(pilot, lambda: trace.enabled(trace.TraceLevel.TRANSACTIONS))
                worker = threading.Thread(target=pki.ca_trust.caps, args=("lab",))  # as a console worker would
                worker.start()
                worker.join(30)

                def debug_lines() -> list[str]:
                    return [m.text for m in messages.of(CommandOutputWritten)
                            if m.tone is Tone.MUTED and str(m.text).startswith("CRYPTO_PKI: ")]

                await wait_for(pilot, lambda: "CRYPTO_PKI: transaction GetCACaps completed" in debug_lines())
                assert "CRYPTO_PKI: Sending CA Capabilities Request:" in debug_lines()
                assert "CRYPTO_PKI: http connection opened" in debug_lines()
                log = "\n".join(str(line.text) for line in app.query_one("#log").lines)
                assert "CRYPTO_PKI: transaction GetCACaps completed" in log
                cmd.value = "undebug all"
                await cmd.action_submit()
                await wait_for(pilot, lambda: not trace.enabled(trace.TraceLevel.TRANSACTIONS))
        finally:
            trace.install(None)
