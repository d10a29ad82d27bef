"""What the console shows is what the core holds, in the layouts show uses (review of issue 11):
labels from the core's option table keep their IOS syntax in brackets (in the form, the jump
list and the tooltips: Rich markup ate ``[...]``), Home counts the device's own certificates
(an imported one too), and times, names and fingerprints are laid out as ``show`` prints them
(``03:37:30 UTC Dec 1 2027``, ``ou=SCEP CA,o=scep-ca,c=US``, 8-digit groups)."""

from __future__ import annotations

import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from textual.widgets import Checkbox, Label, Static

from pkitui.core.fingerprint import grouped_lines
from pkitui.core.keys import key_fingerprints
from pkitui.core.records import StoredCertificate
from pkitui.core.trustpoint_options import OPTIONS
from pkitui.tui.app import PkiConsole
from pkitui.tui.screens.jump import JumpScreen
from pkitui.tui.screens.trustpoints import TrustpointsPane
from pkitui.tui.widgets.timers import PkiTimers
from tui_support import FROZEN_NOW, SIZE, add_fixed_crl, fixed_chain, fixed_pki, frozen_app, plain, ready, wait_for

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


async def test_labels_with_brackets_keep_them_in_the_form_the_jump_list_and_tooltips(tmp_path: Path) -> None:
    app = frozen_app(fixed_pki(tmp_path / "store"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        pane = app.query_one(TrustpointsPane)
        labels = [str(label.render()) for label in pane.query(".field-label").results(Label)]
        for wanted in ("auto-enroll (percent [regenerate])", "deploy swanctl (dir [uri URI])",
                       "rsakeypair (label [size [enc-size]])"):
            assert wanted in labels, (wanted, labels)
        for option in OPTIONS:  # every label and tooltip as the table has it, brackets and all
            widget = pane.query_one(f"#f-{option.key}")
            assert str(widget.tooltip) == option.help, option.key
            if isinstance(widget, Checkbox):
                assert str(widget.label) == option.label, option.key
        app.query_one("#tp-list").focus()
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, JumpScreen))
        shown = plain(app.screen.query_one("#jump-targets", Static).content)
        assert "rsakeypair (label [size [enc-size]])" in shown, shown
        assert "auto-enroll (percent [regenerate])" in shown, shown


async def test_home_counts_an_imported_certificate_and_shows_times_and_names_as_show_does(tmp_path: Path) -> None:
    pki = fixed_pki(tmp_path / "store")
    add_fixed_crl(pki)
    ca, device = fixed_chain()
    der = serialization.Encoding.DER
    pki.trustpoints.declare("tp2")
    pki.config.certificates.append(StoredCertificate.from_der("tp2", "ca", ca.public_bytes(der)))
    pki.config.certificates.append(StoredCertificate.from_der("tp2", "imported", device.public_bytes(der),
                                                              key_id="r1.example.com"))
    app = PkiConsole(pki=pki, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        body = app.query_one("#home-body", Static)
        await wait_for(pilot, lambda: "tp2" in plain(body.content))
        row = next(line for line in plain(body.content).splitlines() if line.strip().startswith("tp2"))
        assert re.search(r"authenticated\s+1\b", row), ("the imported certificate counts", row)
        timers = app.query_one("#home-timers", PkiTimers)
        await wait_for(pilot, lambda: "CRL FETCH" in plain(timers.content))
        home = plain(body.content) + plain(timers.content) + plain(app.query_one("#home-keys", Static).content)
        assert not ISO.search(home), home
        assert "09:30:00 UTC Jan 2 2026" in home, "the key pair's creation, as show crypto key mypubkey rsa"
        assert "ou=SCEP CA,o=scep-ca,c=US" in home and "OU=SCEP CA" not in home, home
        # The trustpoint pane: its title counts the imported one, its timers in IOS's layout
        await pilot.press("2")
        pane = app.query_one(TrustpointsPane)
        pane.query_one("#tp-list").focus()
        await pilot.press("down")
        await wait_for(pilot, lambda: "tp2" in plain(pane.query_one("#tp-title", Static).content))
        assert "device certificates: 1" in plain(pane.query_one("#tp-title", Static).content)
        tp_timers = pane.query_one("#tp-timers", PkiTimers)
        await wait_for(pilot, lambda: "EXPIRY ALERT" in plain(tp_timers.content))
        assert not ISO.search(plain(tp_timers.content)), plain(tp_timers.content)
        assert "UTC" in plain(tp_timers.content)
        # The key manager: fingerprints in the one layout (8-digit groups)
        await pilot.press("3")
        detail = plain(app.query_one("#key-detail", Static).content)
        fps = key_fingerprints(pki.config.key_pairs["r1.example.com"].public_der)
        for digest in ("sha256", "sha1"):
            for line in grouped_lines(fps[digest], per_line=4):
                assert line in detail, (digest, detail)


async def test_at_80_columns_every_field_label_is_one_line_above_its_field(tmp_path: Path) -> None:
    """80x24: a label no longer wraps in a 20-column gutter ("deploy swanctl (dir" / "[uri URI])"):
    it goes above its field on the form's whole width."""
    app = frozen_app(fixed_pki(tmp_path / "store"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        pane = app.query_one(TrustpointsPane)
        labels = list(pane.query(".field-label").results(Label))
        assert labels
        for label in labels:
            assert label.size.height == 1, (str(label.render()), label.size)
            assert str(label.render()).strip() in {o.label for o in OPTIONS}
