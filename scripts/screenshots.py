"""Regenerate screenshots/ (SVG, and PNG through rsvg-convert) from a scripted console session
against the real lab: authenticate (fingerprint typed), generate keys, enroll, browse the chain,
fetch and open an 80,000-entry CRL over LDAP, watch the NVRAM gauge, run IOS commands, then
fetch a 1,000,000-entry CRL and search a serial deep in it.

    .venv/bin/python scripts/screenshots.py [OUTDIR]     (default: screenshots/)

Needs the lab's Debian packages (scep, socat, slapd, openssl) and librsvg2-bin.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input

from pkitui.core.pki import Pki
from pkitui.lab import Lab
from pkitui.tui.app import PkiConsole
from pkitui.tui.screens.dialogs import ConfirmDialog
from pkitui.tui.screens.enrollment import EnrollmentScreen
from pkitui.tui.screens.fingerprint import FingerprintDialog

SIZE = (120, 40)
CRL_ENTRIES = 80_000  # fetched over LDAP at the start
BIG_CRL_ENTRIES = 1_000_000  # published, fetched and searched at the end


async def until(pilot: Any, predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            where = Path(tempfile.gettempdir()) / "pkitui-screenshots-timeout.svg"
            pilot.app.save_screenshot(str(where))
            raise SystemExit(f"the console did not get there in time (line {sys._getframe(1).f_lineno}); "
                             f"the screen then: {where}")
        await pilot.pause(0.05)


_LEADING = re.compile(r'x="([0-9.]+)"([^>]*?)textLength="([0-9.]+)"([^>]*)>((?:&#160;)+)')


def png_ready(svg: str) -> str:
    """rsvg-convert drops leading non-breaking spaces of a text run (indentation vanishes in the
    PNG, not in the SVG): move such runs right by the width of their leading spaces instead."""
    cell = 12.2  # Textual's SVG character width

    def shift(m: re.Match[str]) -> str:
        n = len(m.group(5)) // len("&#160;")
        x, length = float(m.group(1)) + n * cell, float(m.group(3)) - n * cell
        return f'x="{x:g}"{m.group(2)}textLength="{max(length, 0):g}"{m.group(4)}>'

    return _LEADING.sub(shift, svg)


def shoot(app: PkiConsole, out: Path, name: str) -> None:
    for screen in app.screen_stack:  # no cursor blink in pictures
        for inp in screen.query(Input):
            inp.cursor_blink = False
    svg = out / f"{name}.svg"
    app.save_screenshot(str(svg))
    subprocess.run(["rsvg-convert", "-o", str(out / f"{name}.png")], input=png_ready(svg.read_text()).encode(),
                   check=True)
    print(f"  {svg} (+ .png)")


async def session(lab: Lab, store: Path, out: Path) -> None:
    pki = Pki.open(store)
    pki.set_hostname("gw1")
    pki.set_domain_name("example.com")
    lab.configure(pki)
    pki.trustpoints.declare("lab").fingerprint = None  # no pre-configured fingerprint: the dialog asks for it
    pki.save()
    app = PkiConsole(pki=pki, lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.panes()) == 6)
        shoot(app, out, "01-home")
        await pilot.press("3", "g")
        await pilot.click("#kind")
        await pilot.press("down", "enter")  # usage keys: a signature and an encryption pair
        await pilot.click("#generate")
        await until(pilot, lambda: len(pki.config.key_pairs) == 2)
        await app.workers.wait_for_complete()
        await pilot.pause()
        shoot(app, out, "02-keys")
        await pilot.press("2")
        app.screen.query_one("#tp-list").focus()
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, FingerprintDialog))
        app.screen.query_one("#fp-input", Input).value = lab.grouped_fingerprint()
        await pilot.pause()
        shoot(app, out, "03-fingerprint-dialog")
        await pilot.click("#accept")
        await until(pilot, lambda: any(c.role == "ca" for c in pki.config.certificates))
        shoot(app, out, "04-trustpoint-editor")
        await pilot.press("e")
        while True:  # IOS's questions: no serial number, no IP address, then send the request
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog)
                        or isinstance(app.screen, EnrollmentScreen) and app.screen.finished)
            dialog = app.screen
            if not isinstance(dialog, ConfirmDialog):
                break
            await pilot.click("#yes" if dialog.yes == "Request" else "#no")
            await until(pilot, lambda answered=dialog: app.screen is not answered)
        await pilot.pause(0.3)
        shoot(app, out, "05-enrollment")
        await pilot.click("#close")
        await pilot.press("4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        tree = app.screen.query_one("#cert-tree")
        tree.focus()
        await pilot.press("down")  # from the CA to the first device certificate (signature)
        shoot(app, out, "06-certificates")
        await pilot.press("5")
        app.screen.query_one("#crl-list").focus()
        await pilot.press("f")
        await until(pilot, lambda: app.screen.query_one("#crl-list").row_count == 1, 120)
        await pilot.press("o")
        await until(pilot, lambda: "entries" in str(app.screen.query_one("#crl-status").render()), 120)
        search = app.screen.query_one("#crl-search", Input)
        from pkitui.lab.bigcrl import revoked_serials

        search.value = format(revoked_serials(CRL_ENTRIES)[65_432], "X")
        await until(pilot, lambda: "REVOKED" in str(app.screen.query_one("#crl-search-result").render()))
        shoot(app, out, "07-crl-viewer")
        await pilot.press("6")
        await pilot.pause()
        shoot(app, out, "08-nvram")
        await pilot.press("colon")
        for line in ("show crypto pki trustpoints", "show crypto pki certificates"):
            await pilot.press(*line, "enter")
            await app.workers.wait_for_complete()
        await pilot.pause()
        shoot(app, out, "09-command-line")
        await pilot.press("escape")
        await pilot.pause()
        print(f"  publishing a {BIG_CRL_ENTRIES:,}-entry CRL")
        await asyncio.to_thread(lab.publish_big_crl, BIG_CRL_ENTRIES)
        await pilot.press("5")
        crl_list = app.screen.query_one("#crl-list", DataTable)
        crl_list.focus()
        await pilot.press("f")
        await until(pilot, lambda: f"{BIG_CRL_ENTRIES:,}" in map(str, crl_list.get_row_at(0)), 300)
        await pilot.press("o")
        await until(pilot, lambda: f"{BIG_CRL_ENTRIES:,} entries" in str(app.screen.query_one("#crl-status").render()),
                    300)
        search.value = format(revoked_serials(BIG_CRL_ENTRIES)[987_654], "X")
        await until(pilot, lambda: "row 987,655" in str(app.screen.query_one("#crl-search-result").render()))
        await pilot.pause(0.3)
        shoot(app, out, "10-crl-viewer-million")


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    if shutil.which("rsvg-convert") is None:
        raise SystemExit("rsvg-convert is missing: apt-get install librsvg2-bin")
    with tempfile.TemporaryDirectory(prefix="pkitui-shots-") as tmp:
        with Lab(Path(tmp) / "lab") as lab:
            print(f"lab CA {lab.scep.url}; publishing a {CRL_ENTRIES:,}-entry CRL")
            lab.publish_big_crl(CRL_ENTRIES)
            asyncio.run(session(lab, Path(tmp) / "store", out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
