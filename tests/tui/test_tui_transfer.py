"""Issue 11 in the console: the PKI timers on Home and in the trustpoint pane (refreshed when the
configuration changes and as time passes), export and import from the key manager and the
certificate chain browser (files openssl reads, the core's refusal of a key generated without
exportable, a PKCS#12 import into a new store through the fingerprint dialog), and secrets
typed on the ':' line kept out of the log, its search and the history."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from textual.widgets import Button, Input, Select, Static

from pkitui.core.clock import FixedClock
from pkitui.core.keys import KeyPair
from pkitui.core.pki import Pki
from pkitui.ios.session import SECRET_MARK
from pkitui.tui.app import PkiConsole
from pkitui.tui.messages import ConfigChanged
from pkitui.tui.screens.dialogs import HelpScreen
from pkitui.tui.screens.fingerprint import FingerprintDialog
from pkitui.tui.screens.home import HomePane
from pkitui.tui.screens.transfer import ExportDialog, ImportDialog
from pkitui.tui.screens.trustpoints import TrustpointsPane
from pkitui.tui.widgets.timers import PkiTimers
from tui_support import (FROZEN_NOW, SIZE, add_fixed_crl, device, fixed_chain, fixed_keys, fixed_pki, plain,
                         ready, wait_for)

PASSWORD = "Exp0rt-Secret"


def log_text(app: PkiConsole) -> str:
    return "".join(line.text for line in app.query_one("#log").lines)  # wrapped lines keep their spaces


def exportable(pki: Pki) -> Pki:
    """``pki``'s key pairs made exportable (as if generated with ``exportable``)."""
    for pair in pki.config.key_pairs.values():
        pair.exportable = True
    return pki


def vpn_device(tmp_path: Path, hostname: str = "r1") -> Pki:
    """A fresh device judged at FROZEN_NOW holding one exportable key pair, labelled vpn."""
    pki = device(tmp_path, hostname, clock=FixedClock(FROZEN_NOW))
    _ca, dev_key = fixed_keys()
    pki.config.key_pairs["vpn"] = KeyPair(label="vpn", usage="general", private_key=dev_key, exportable=True)
    return pki


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False, timeout=30)


async def fill_export(pilot: object, app: PkiConsole, url: str, *, pkcs12: bool = False, again: str = PASSWORD) -> None:
    dialog = app.screen
    assert isinstance(dialog, ExportDialog), dialog
    if pkcs12:
        dialog.query_one("#transfer-form", Select).value = "pkcs12"
    dialog.query_one("#transfer-url", Input).value = url
    dialog.query_one("#transfer-password", Input).value = PASSWORD
    dialog.query_one("#transfer-again", Input).value = again
    await pilot.pause()  # type: ignore[attr-defined]


async def test_timers_on_home_and_the_trustpoint_pane_follow_the_config_and_the_clock(tmp_path: Path) -> None:
    pki = fixed_pki(tmp_path / "store")
    now = [FROZEN_NOW]
    app = PkiConsole(pki=pki, clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        home = app.query_one(HomePane)

        def body() -> str:
            return plain(app.query_one("#home-timers", Static).content)

        await wait_for(pilot, lambda: "EXPIRY ALERT" in body())
        first = pki.timers.list(FROZEN_NOW)[0]
        assert "Timers" in body() and first.trustpoint in body()
        assert "CRL FETCH" not in body(), "no CRL is held yet"
        # The configuration changes: a CRL held sets a refresh timer, shown at once.
        add_fixed_crl(pki)
        app.post_message(ConfigChanged("crl"))
        await wait_for(pilot, lambda: "CRL FETCH" in body())
        crl = next(t for t in pki.timers.list(FROZEN_NOW) if t.kind == "crl-refresh")
        assert (crl.due - FROZEN_NOW) < timedelta(days=7)
        assert _left(crl.due - FROZEN_NOW) in body()
        # Time passes: the minute refresh lists them again with less time left.
        now[0] = FROZEN_NOW + timedelta(hours=5)
        home.query_one(PkiTimers).reload()
        await wait_for(pilot, lambda: _left(crl.due - now[0]) in body())
        # The trustpoint pane shows its own trustpoint's timers.
        await pilot.press("2")
        pane = app.query_one(TrustpointsPane)
        pane.query_one(PkiTimers).reload()  # its own minute refresh
        await wait_for(pilot, lambda: _left(crl.due - now[0]) in str(pane.query_one("#tp-timers", Static).content))
        shown = str(pane.query_one("#tp-timers", Static).content)
        assert "EXPIRY ALERT" in shown and "CRL FETCH" in shown


def _left(left: timedelta) -> str:
    from pkitui.ios.format import minutes_left as time_left

    return time_left(left)


async def test_key_pair_export_writes_pem_openssl_reads_and_import_brings_it_back(tmp_path: Path) -> None:
    pki = vpn_device(tmp_path)
    _ca, dev_key = fixed_keys()  # the vpn key pair's
    app = PkiConsole(pki=pki, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        await fill_export(pilot, app, str(tmp_path / "vpn"), again="something else")
        assert app.screen.query_one("#export", Button).disabled, "two different passwords: no export"
        assert "differ" in str(app.screen.query_one("#transfer-problem").render())
        app.screen.query_one("#transfer-cipher", Select).value = "3des"
        await fill_export(pilot, app, str(tmp_path / "vpn"))
        app.screen.query_one("#export", Button).press()
        await wait_for(pilot, lambda: "KEY_EXPORT_SUCCESS" in log_text(app))
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportDialog))
        prv = tmp_path / "vpn.prv"
        assert (prv.stat().st_mode & 0o777) == 0o600
        assert "DES-EDE3-CBC" in prv.read_text()
        read = openssl("pkey", "-in", str(prv), "-passin", f"pass:{PASSWORD}", "-pubout")
        assert read.returncode == 0, read.stderr
        expected = dev_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        assert read.stdout == expected
        assert (tmp_path / "vpn.pub").read_text() == expected
        assert PASSWORD not in log_text(app)
        # Import it under a new label (the original zeroized: the same pair is not held twice)
        original = pki.config.key_pairs.pop("vpn").public_der
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportDialog))
        dialog = app.screen
        assert dialog.query_one("#import", Button).disabled
        dialog.query_one("#transfer-target", Input).value = "copy"
        dialog.query_one("#transfer-url", Input).value = str(tmp_path / "vpn")
        dialog.query_one("#transfer-password", Input).value = PASSWORD
        await pilot.pause()
        dialog.query_one("#import", Button).press()
        await wait_for(pilot, lambda: "copy" in pki.config.key_pairs)
        assert pki.config.key_pairs["copy"].public_der == original
        await wait_for(pilot, lambda: "KEY_IMPORT_SUCCESS" in log_text(app))
        await wait_for(pilot, lambda: not isinstance(app.screen, ImportDialog))


async def test_import_dialog_focus_escape_and_a_failure_that_keeps_what_was_typed(tmp_path: Path) -> None:
    """Review of issue 11: the focus starts on the field the hint asks for, entering a field does
    not select its text, Escape leaves a field before it closes the dialog, and a failed import
    keeps the dialog open with the reason (once in the log, with no command-line hint)."""
    pki = vpn_device(tmp_path)
    pki.transfer.export_key_to("vpn", str(tmp_path / "vpn"), "aes", PASSWORD)
    del pki.config.key_pairs["vpn"]
    app = PkiConsole(pki=pki, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "i")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportDialog))
        dialog = app.screen
        assert "key label" in str(dialog.query_one("#transfer-problem").render())
        assert app.focused is dialog.query_one("#transfer-target"), "focus on the field the hint asks for"
        assert dialog.query_one("#transfer-url", Input).value == "", "no default place: chosen, not defaulted"
        await pilot.press(*"copy", "tab", *str(tmp_path / "vpn"), "tab", *"wrong-password")
        assert dialog.query_one("#transfer-target", Input).value == "copy"
        # Re-entering a field keeps its text (typing appends, nothing selected to overwrite)
        await pilot.press("shift+tab", "shift+tab")
        assert app.focused is dialog.query_one("#transfer-target")
        await pilot.press("2")
        assert dialog.query_one("#transfer-target", Input).value == "copy2"
        await pilot.press("backspace")
        # Escape leaves the field (the dialog stays); a second Escape would close it
        await pilot.press("escape")
        assert app.screen is dialog and not isinstance(app.focused, Input)
        dialog.query_one("#import", Button).press()
        await wait_for(pilot, lambda: dialog.query_one("#transfer-failure").display)
        failure = str(dialog.query_one("#transfer-failure").render())
        assert "password" in failure and "after 'password'" not in failure, failure
        assert app.screen is dialog, "a failure keeps the dialog open"
        assert dialog.query_one("#transfer-url", Input).value == str(tmp_path / "vpn"), "values kept"
        log = log_text(app)
        assert log.count("%PKI-3-KEY_IMPORT_FAILURE: Import of RSA key pair copy failed. Reason: ") == 1, log
        reason = log.split("Reason: ")[1].split("(wrong password")[0]
        assert log.count(reason) == 1, ("the reason once", log)
        assert "after 'password'" not in log
        # Corrected in place: the import runs and the dialog closes
        dialog.query_one("#transfer-password", Input).value = PASSWORD
        await pilot.pause()
        assert not dialog.query_one("#transfer-failure").display, "the failure goes once a field changes"
        dialog.query_one("#import", Button).press()
        await wait_for(pilot, lambda: "copy" in pki.config.key_pairs)
        await wait_for(pilot, lambda: not isinstance(app.screen, ImportDialog))
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportDialog))
        await pilot.press("escape", "escape")
        assert not isinstance(app.screen, ImportDialog), "Escape out of the field, then out of the dialog"


async def test_a_key_generated_without_exportable_is_refused_with_the_cores_words(tmp_path: Path) -> None:
    pki = fixed_pki(tmp_path / "store")  # its key pair was not generated exportable
    app = PkiConsole(pki=pki, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "e")
        await wait_for(pilot, lambda: "KEY_EXPORT_FAILURE" in log_text(app))
        assert not isinstance(app.screen, ExportDialog), "nothing is asked for a key that never leaves"
        assert log_text(app).count("RSA keypair r1.example.com is not exportable.") == 1, "the reason once in the log"
        # The chain browser's export of the trustpoint: the same refusal, before any question
        await pilot.press("4")
        app.query_one("#cert-tree").focus()
        await pilot.press("x")
        await wait_for(pilot, lambda: "%PKI-3-EXPORT_FAILURE" in log_text(app))
        assert "%PKI-3-EXPORT_FAILURE: Export from trustpoint lab failed. Reason: RSA keypair r1.example.com " \
               "is not exportable." in log_text(app)
        assert not isinstance(app.screen, ExportDialog)
        # The core refuses in the worker too (the key changed after the dialog opened): nothing written
        pki.config.key_pairs["r1.example.com"].exportable = True
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        pki.config.key_pairs["r1.example.com"].exportable = False
        await fill_export(pilot, app, str(tmp_path / "r1"))
        app.screen.query_one("#export", Button).press()
        await wait_for(pilot, lambda: "PEM_EXPORT_FAILURE" in log_text(app))
        assert "%PKI-3-PEM_EXPORT_FAILURE: Export from trustpoint lab failed. Reason: RSA keypair r1.example.com " \
               "is not exportable." in log_text(app)
        assert not list(tmp_path.glob("r1*")), "nothing written"
        dialog = app.screen
        assert isinstance(dialog, ExportDialog), "a failed export keeps its dialog open"
        await wait_for(pilot, lambda: dialog.query_one("#transfer-failure").display)
        assert "not exportable" in str(dialog.query_one("#transfer-failure").render())
        assert dialog.query_one("#transfer-url", Input).value == str(tmp_path / "r1"), "what was typed is kept"
        assert log_text(app).count("is not exportable.") == 3, "once per refusal (key manager, chain browser, worker)"


async def test_trustpoint_export_pem_and_pkcs12_then_import_into_a_new_store(tmp_path: Path) -> None:
    pki = exportable(fixed_pki(tmp_path / "store"))
    ca, device = fixed_chain()
    app = PkiConsole(pki=pki, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4")
        app.query_one("#cert-tree").focus()
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        await fill_export(pilot, app, str(tmp_path / "r1"))
        app.screen.query_one("#export", Button).press()
        await wait_for(pilot, lambda: "PEM_EXPORT_SUCCESS" in log_text(app))
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportDialog))
        for suffix in (".ca", ".prv", ".crt"):
            assert ((tmp_path / f"r1{suffix}").stat().st_mode & 0o777) == 0o600, suffix
        assert x509.load_pem_x509_certificate((tmp_path / "r1.ca").read_bytes()) == ca
        assert x509.load_pem_x509_certificate((tmp_path / "r1.crt").read_bytes()) == device
        key = openssl("pkey", "-in", str(tmp_path / "r1.prv"), "-passin", f"pass:{PASSWORD}", "-pubout")
        cert_key = openssl("x509", "-in", str(tmp_path / "r1.crt"), "-noout", "-pubkey")
        assert key.returncode == 0 and key.stdout == cert_key.stdout, (key.stderr, "key matches certificate")

        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        await fill_export(pilot, app, str(tmp_path / "r1.p12"), pkcs12=True)
        assert not app.screen.query_one("#transfer-cipher-row").display, "PKCS#12 has its own encryption: no cipher"
        app.screen.query_one("#export", Button).press()
        await wait_for(pilot, lambda: "PKCS12_EXPORT_SUCCESS" in log_text(app))
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportDialog))
        info = openssl("pkcs12", "-info", "-in", str(tmp_path / "r1.p12"), "-passin", f"pass:{PASSWORD}",
                       "-nokeys")
        assert info.returncode == 0, info.stderr
        assert PASSWORD not in log_text(app)

    # A new store imports the PKCS#12 into a trustpoint it does not have yet; the CA goes through
    # the fingerprint dialog.
    other = Pki.open(tmp_path / "other", clock=FixedClock(FROZEN_NOW))
    other.set_hostname("r2")
    other.set_domain_name("example.com")
    app = PkiConsole(pki=other, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4", "i")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportDialog))
        dialog = app.screen
        dialog.query_one("#transfer-target", Input).value = "lab"
        dialog.query_one("#transfer-form", Select).value = "pkcs12"
        dialog.query_one("#transfer-url", Input).value = str(tmp_path / "r1.p12")
        dialog.query_one("#transfer-password", Input).value = PASSWORD
        await pilot.pause()
        dialog.query_one("#import", Button).press()
        await wait_for(pilot, lambda: isinstance(app.screen, FingerprintDialog) and bool(app.screen.query("#fp-input")))
        from cryptography.hazmat.primitives import hashes

        app.screen.query_one("#fp-input", Input).value = ca.fingerprint(hashes.SHA256()).hex()
        await pilot.pause()
        app.screen.query_one("#accept", Button).press()
        await wait_for(pilot, lambda: "PKCS12_IMPORT_SUCCESS" in log_text(app))
        await wait_for(pilot, lambda: not isinstance(app.screen, ImportDialog))
        assert "lab" in other.config.trustpoints
        imported = [p.public_der for p in other.config.key_pairs.values()]
        assert imported == [p.public_der for p in pki.config.key_pairs.values()], "same key pair"
        assert {c.role for c in other.config.certificates if c.trustpoint == "lab"} == {"ca", "imported"}

        # The PEM files into another trustpoint, its CA rejected in the fingerprint dialog: nothing imported
        other.trustpoints.declare("lab2")
        other.config.key_pairs.clear()  # the same pair is not held twice: as if zeroized
        app.post_message(ConfigChanged("trustpoint"))
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportDialog))
        dialog = app.screen
        dialog.query_one("#transfer-target", Input).value = "lab2"
        dialog.query_one("#transfer-url", Input).value = str(tmp_path / "r1")
        dialog.query_one("#transfer-password", Input).value = PASSWORD
        await pilot.pause()
        dialog.query_one("#import", Button).press()
        await wait_for(pilot, lambda: isinstance(app.screen, FingerprintDialog) and bool(app.screen.query("#reject"))
                       or dialog.query_one("#transfer-failure").display)
        assert isinstance(app.screen, FingerprintDialog), dialog.query_one("#transfer-failure").render()
        app.screen.query_one("#reject", Button).press()
        await wait_for(pilot, lambda: "CA_CERT_REJECT" in log_text(app))
        assert not [c for c in other.config.certificates if c.trustpoint == "lab2"]
        assert not other.config.key_pairs


async def test_secrets_typed_on_the_command_line_stay_out_of_the_log_and_the_history(tmp_path: Path) -> None:
    pki = vpn_device(tmp_path, "gw1")
    app = PkiConsole(pki=pki, clock=lambda: FROZEN_NOW)
    secrets = ("Ch4llengeSecret", "D3ployKeySecret", "K3yPassphrase", "Pkcs12Secret")
    lines = ["enable", "configure terminal", "crypto pki trustpoint lab", f"password {secrets[0]}",
             f"deploy key-password {secrets[1]}", "exit",
             f"crypto key export rsa vpn pem url {tmp_path / 'vpn'} aes {secrets[2]}",
             f"crypto pki export lab pkcs12 {tmp_path / 'lab.p12'} password {secrets[3]}"]
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("colon")
        cmd = app.query_one("#cmdline", Input)
        for line in lines:
            cmd.value = line
            await pilot.press("enter")
            await wait_for(pilot, lambda: not app.command_line._draining)  # noqa: B023
        await wait_for(pilot, lambda: (tmp_path / "vpn.prv").exists())
        log = log_text(app)
        for secret in secrets:
            assert secret not in log, secret
        assert f"password {SECRET_MARK}" in log and f"deploy key-password {SECRET_MARK}" in log
        assert f"vpn pem url {tmp_path / 'vpn'} aes {SECRET_MARK}" in log, "the URL stays readable"
        assert not any("*" * len(secret) in log for secret in secrets), "one mark of one length: no secret's length"
        assert secrets[3] not in log and "%" in log, "the PKCS#12 export is refused (no certificate) without the secret"
        history = app.query_one("#cmdline").history  # type: ignore[attr-defined]
        for secret in secrets:
            assert not any(secret in h for h in history), (secret, history)
        # Up recalls the line without its secret, ready for it to be typed again
        await pilot.press("up", "up")
        assert cmd.value == f"crypto key export rsa vpn pem url {tmp_path / 'vpn'} aes "
        assert pki.config.trustpoints["lab"].password == secrets[0], "the secret itself was set"
        read = openssl("pkey", "-in", str(tmp_path / "vpn.prv"), "-passin", f"pass:{secrets[2]}", "-noout")
        assert read.returncode == 0, read.stderr



async def test_deploy_from_the_trustpoint_pane_writes_the_files_in_a_worker_and_logs_the_agents_line(
        tmp_path: Path) -> None:
    """p on Trustpoints: crypto pki deploy NAME (review of issue 11), its result the agent's
    %PKI-6-DEPLOYED line; a second run changes nothing and says so; Help's flow says how a
    certificate is kept valid."""
    pki = fixed_pki(tmp_path / "store")
    folder = tmp_path / "pem"
    pki.trustpoints.get("lab").set_deploy_pem(str(folder))
    app = PkiConsole(pki=pki, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        app.query_one("#tp-list").focus()
        await pilot.press("p")
        await wait_for(pilot, lambda: "%PKI-6-DEPLOYED" in log_text(app))
        assert "Trustpoint lab deployed:" in log_text(app) and str(folder) in log_text(app)
        written = sorted(p.name for p in folder.iterdir())
        assert written and any(name.endswith(".key") or "key" in name for name in written), written
        await pilot.press("p")
        await wait_for(pilot, lambda: "% Deployed lab: nothing changed" in log_text(app))
        assert log_text(app).count("%PKI-6-DEPLOYED") == 1, "nothing rewritten the second time"
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        intro = " ".join(str(w.render()) for w in app.screen.query(Static)).replace("\n", " ")
        for words in ("Keep it valid", "auto-enroll", "deploy", "pkitui agent"):
            assert words in intro, words
