"""TFTP transfers run under their deadline (issue 10, point 7): a front end sees the wait start and
end (pkitui.core.deadline.watch), a Cancel ends a transfer blocked on the server at once, and the
deadline ends it on time (not after tftpy's retries).

The server is the real tftpd-hpa (pkitui.lab.tftpd), stopped with SIGSTOP while the transfer waits:
its socket stays bound and takes the request, but nothing answers, as a hung server."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pkitui.core import deadline, tftp
from pkitui.core.deadline import Deadline, OperationCancelled
from pkitui.lab.tftpd import TftpServer


@pytest.fixture
def hung_tftpd(tmp_path: Path) -> Iterator[TftpServer]:
    """tftpd-hpa that answers nothing (stopped); fails, not skips, without in.tftpd or root."""
    with TftpServer(tmp_path / "tftp", allow_create=True) as server:
        server.publish("ca.cer", b"-----BEGIN CERTIFICATE-----\n")
        assert server.pid is not None
        os.kill(server.pid, signal.SIGSTOP)
        try:
            yield server
        finally:
            os.kill(server.pid, signal.SIGCONT)


def _run_and_cancel(transfer: object) -> tuple[BaseException | None, float, list[bool]]:
    """Run ``transfer`` in a thread, cancel its deadline 0.5 s after it started; returns the error,
    the seconds from the Cancel to the end, and the wait's start/end as the listener saw them."""
    seen: list[bool] = []
    started = threading.Event()
    found: list[Deadline] = []

    def listener(dl: Deadline, begun: bool) -> None:
        seen.append(begun)
        if begun:
            found.append(dl)
            started.set()

    outcome: list[BaseException | None] = [None]

    def run() -> None:
        try:
            transfer()  # type: ignore[operator]
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            outcome[0] = exc

    unwatch = deadline.watch(listener)
    try:
        worker = threading.Thread(target=run)
        worker.start()
        assert started.wait(10), "the transfer never started its deadline (no wait to show)"
        time.sleep(0.5)
        cancelled = time.monotonic()
        found[0].cancel()
        worker.join(20)
        took = time.monotonic() - cancelled
        assert not worker.is_alive()
    finally:
        unwatch()
    return outcome[0], took, seen


@pytest.mark.parametrize("direction", ["download", "upload"])
def test_cancel_ends_a_hung_tftp_transfer_at_once(hung_tftpd: TftpServer, direction: str) -> None:
    if direction == "download":
        def transfer() -> object:
            return tftp.download(hung_tftpd.server, "ca.cer", timeout=25)
    else:
        def transfer() -> object:
            tftp.upload(hung_tftpd.server, "r1-confg", b"hostname r1\n", timeout=25)
            return None
    error, took, seen = _run_and_cancel(transfer)
    assert isinstance(error, OperationCancelled), error
    assert "Cancelled after" in error.message and "of the 25 s deadline" in error.message, error.message
    print(f"Cancel took {took * 1000:.0f} ms")
    assert took < 0.5, f"Cancel took {took:.2f} s"
    assert seen == [True, False]  # the wait was shown, and ended


def test_the_deadline_ends_a_hung_tftp_download_on_time(hung_tftpd: TftpServer) -> None:
    start = time.monotonic()
    with pytest.raises(tftp.TftpError) as caught:
        tftp.download(hung_tftpd.server, "ca.cer", timeout=1.5, retries=1)  # tftpy alone: one 1.5 s wait
    took = time.monotonic() - start
    assert "did not send 'ca.cer' within 1.5 s" in caught.value.message, caught.value.message
    assert 1.4 < took < 2.5, took


def test_a_tftp_transfer_that_works_still_works(tmp_path: Path) -> None:
    with TftpServer(tmp_path / "tftp", allow_create=True) as server:
        server.publish("ca.cer", b"x" * 3000)  # more than one 512-byte block
        seen: list[bool] = []
        unwatch = deadline.watch(lambda _dl, begun: seen.append(begun))
        try:
            assert tftp.download(server.server, "ca.cer", timeout=10) == b"x" * 3000
            tftp.upload(server.server, "r1-confg", b"hostname r1\n", timeout=10)
        finally:
            unwatch()
        assert (server.root / "r1-confg").read_bytes() == b"hostname r1\n"
        assert seen == [True, False, True, False]


async def test_console_shows_a_root_tftp_wait_and_cancel_ends_it(hung_tftpd: TftpServer, tmp_path: Path) -> None:
    from textual.widgets import Static

    from pkitui.core.pki import Pki
    from pkitui.tui.app import PkiConsole
    from pkitui.tui.messages import CoreCallFailed
    from pkitui.tui.waits import WaitBar
    from tui_support import SIZE, Messages, ready, wait_for

    pki = Pki.open(tmp_path / "store")
    pki.set_hostname("r1")
    tp = pki.trustpoints.declare("viatftp")
    tp.set_root_tftp(hung_tftpd.server, "ca.cer")
    tp.enrollment_timeout = 25
    messages = Messages()
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await app.pane("trustpoints").run_action("authenticate")
        bar = app.query_one(WaitBar)
        await wait_for(pilot, lambda: bar.display and "deadline" in str(app.query_one("#wait-text", Static).render()),
                       timeout=10)
        line = str(app.query_one("#wait-text", Static).render())
        assert "authenticate viatftp" in line and "of the 25 s deadline" in line, line
        start = time.monotonic()
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: bool(messages.of(CoreCallFailed)) and not bar.display, timeout=25)
        took = time.monotonic() - start
        print(f"Cancel freed the console in {took * 1000:.0f} ms")
        assert took < 1.0, f"Cancel took {took:.1f} s to free the console"
        error = messages.of(CoreCallFailed)[0].error
        assert isinstance(error, OperationCancelled), error
