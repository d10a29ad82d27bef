"""The console end to end against the real lab (micromdm scepserver in a private network
namespace, its CRL over LDAP from slapd): authenticate with the right and a wrong fingerprint,
enroll, browse the chain, fetch and open the CRL, save. Fails (never skips) without the servers."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from textual.widgets import Button, DataTable, Input, Label

from pkitui.core.pki import Pki
from pkitui.lab import Lab
from pkitui.tui.app import PkiConsole
from pkitui.tui.screens.dialogs import ConfirmDialog
from pkitui.tui.screens.enrollment import EnrollmentScreen
from pkitui.tui.screens.fingerprint import FingerprintDialog
from pkitui.tui.widgets.crl_table import CrlTable
from tui_support import SIZE, ready, wait_for


def store_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


async def confirm_request(app: PkiConsole, pilot) -> None:
    """Enroll asks IOS's questions first: no to including the serial number and an IP address,
    yes to 'Request certificate from CA?' (which shows the plan's subject, key pairs and CA)."""
    for _ in range(4):
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog) and bool(app.screen.query("#yes")))
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        if "Request certificate" in dialog.question:
            dialog.query_one("#yes", Button).press()
            return
        dialog.query_one("#no", Button).press()
        await wait_for(pilot, lambda answered=dialog: app.screen is not answered)
    raise AssertionError("'Request certificate from CA?' was never asked")


async def enroll(app: PkiConsole, pilot) -> EnrollmentScreen:
    """Press Enroll (the trustpoint list has the focus), answer IOS's questions and return the
    enrollment screen that opens."""
    await pilot.press("e")
    await confirm_request(app, pilot)
    await wait_for(pilot, lambda: isinstance(app.screen, EnrollmentScreen))
    return cast(EnrollmentScreen, app.screen)


async def authenticate(app: PkiConsole, pilot, typed: str) -> FingerprintDialog:
    await pilot.press("2")
    app.screen.query_one("#tp-list").focus()
    await pilot.press("a")
    await wait_for(pilot, lambda: isinstance(app.screen, FingerprintDialog))
    dialog = app.screen
    dialog.query_one("#fp-input", Input).value = typed
    await pilot.pause()
    return dialog  # type: ignore[return-value]


async def test_wrong_fingerprint_stores_nothing(lab: Lab, lab_pki: Pki) -> None:
    lab_pki.save()
    before = store_bytes(lab_pki.store.root)
    app = PkiConsole(pki=lab_pki, lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        wrong = lab.fingerprint[:-1] + ("0" if lab.fingerprint[-1] != "0" else "1")
        dialog = await authenticate(app, pilot, wrong)
        assert dialog.query_one("#accept", Button).disabled
        assert "MISMATCH at group 8" in str(dialog.query_one("#fp-match").render())
        await pilot.click("#reject")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not [c for c in lab_pki.config.certificates if c.trustpoint == "lab"]
        assert not lab_pki.dirty
    assert store_bytes(lab_pki.store.root) == before


async def test_authenticate_enroll_browse_crl_save(lab: Lab, lab_pki: Pki) -> None:
    lab_pki.keys.generate()
    app = PkiConsole(pki=lab_pki, lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        dialog = await authenticate(app, pilot, lab.grouped_fingerprint())
        assert "MATCH" in str(dialog.query_one("#fp-match").render())
        await pilot.click("#accept")
        await wait_for(pilot, lambda: any(c.role == "ca" for c in lab_pki.config.certificates))

        screen = await enroll(app, pilot)
        await wait_for(pilot, lambda: screen.finished)
        assert [r.state for r in screen.rows.values()] == ["issued"]
        await pilot.click("#close")
        # The toast follows Close (none covers the dialog's buttons); notify() reaches the app as a
        # message: wait for it to be handled, do not race it
        await wait_for(pilot, lambda: any("1 certificate(s) issued for lab" in n.message for n in app._notifications))
        device = [c for c in lab_pki.config.certificates if c.role == "device"]
        assert len(device) == 1 and device[0].key_id == "r1.example.com"

        await pilot.press("4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        tree = app.screen.query_one("#cert-tree")
        tp_node = tree.root.children[0]
        ca_node = tp_node.children[0]
        assert ca_node.data.role == "ca" and ca_node.data.fingerprints["sha256"] == lab.fingerprint
        assert [n.data.role for n in ca_node.children] == ["device"]
        assert ca_node.children[0].data.subject == "cn=r1.example.com"  # IOS's DN layout (micromdm keeps only the CN)

        await pilot.press("5")
        app.screen.query_one("#crl-list").focus()
        await pilot.press("f")
        await wait_for(pilot, lambda: app.screen.query_one("#crl-list", DataTable).row_count == 1)
        await pilot.press("o")
        await wait_for(pilot, lambda: app.screen.query_one("#crl-table", CrlTable).index is not None)
        assert "entries, opened in" in str(app.screen.query_one("#crl-status").render())

        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not lab_pki.dirty)
    again = Pki.open(lab_pki.store.root)
    assert {c.role for c in again.config.certificates} >= {"ca", "device"}
    assert again.config.crls


async def test_enroll_with_wrong_challenge_shows_failure(lab: Lab, lab_pki: Pki) -> None:
    lab_pki.keys.generate()
    lab_pki.trustpoints.get("lab").set_fingerprint(lab.fingerprint)
    lab_pki.ca_trust.authenticate("lab")
    lab_pki.trustpoints.get("lab").set_password("wrong-challenge")
    app = PkiConsole(pki=lab_pki, lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        app.screen.query_one("#tp-list").focus()
        screen = await enroll(app, pilot)
        await wait_for(pilot, lambda: screen.finished)
        states = [r.state for r in screen.rows.values()]
        assert states[-1] == "failed"
        assert "badRequest" in str(list(screen.rows.values())[-1].fail_info)
    assert not [c for c in lab_pki.config.certificates if c.role == "device"]


async def test_root_tftp_goes_through_the_fingerprint_dialog(lab: Lab, lab_pki: Pki, tmp_path: Path) -> None:
    from pkitui.lab.tftpd import TftpServer

    with TftpServer(tmp_path / "tftp") as tftp:
        (tftp.root / "ca.cer").write_bytes(lab.ca_der)
        lab_pki.trustpoints.get("lab").set_root_tftp(tftp.server, "ca.cer")
        app = PkiConsole(pki=lab_pki, lab=lab)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("2")
            app.screen.query_one("#tp-list").focus()
            await pilot.press("t")
            await wait_for(pilot, lambda: isinstance(app.screen, FingerprintDialog))
            app.screen.query_one("#fp-input", Input).value = lab.fingerprint.lower()
            await pilot.pause()
            await pilot.click("#accept")
            await wait_for(pilot, lambda: any(c.role == "ca" for c in lab_pki.config.certificates))


async def test_pending_countdown_and_cancel(tmp_path: Path) -> None:
    """The test SCEP responder (tests/servers) answers PENDING: the row shows the next poll
    countdown and the polls left; Cancel stops polling."""
    from scep_support import make_device
    from servers.scep_responder import ScepResponder

    with ScepResponder(pending_polls=1000) as responder:
        pki = make_device(tmp_path / "store", responder.url, ra=True)
        pki.ca_trust.authenticate("lab", confirm=lambda c: True)
        tp = pki.trustpoints.get("lab")
        tp.set_retry_count(10)
        pki.scep.seconds_per_retry_minute = 30.0  # the next poll 30 s away: time to see it
        app = PkiConsole(pki=pki)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("2")
            app.screen.query_one("#tp-list").focus()
            screen = await enroll(app, pilot)
            await wait_for(pilot, lambda: any(r.state == "pending" for r in screen.rows.values()))
            key = next(iter(screen.rows))
            first = screen.detail(key)
            assert "next poll in 0:" in first and "polls left: " in first
            await pilot.pause(1.2)
            assert screen.detail(key) != first  # the countdown moves
            await pilot.press("c")
            await wait_for(pilot, lambda: screen.finished, timeout=10)
            assert "Finished: 0 of 1" in str(screen.query_one("#enroll-status").render())


async def test_pending_enrollment_resumes_after_restart(tmp_path: Path) -> None:
    """A request left PENDING is saved; a new console says so and resumes polling until issued."""
    from scep_support import make_device
    from servers.scep_responder import ScepResponder

    with ScepResponder(pending_polls=2) as responder:
        pki = make_device(tmp_path / "store", responder.url, ra=True)
        pki.ca_trust.authenticate("lab", confirm=lambda c: True)
        pki.trustpoints.get("lab").set_retry_count(1)
        results = pki.scep.enroll("lab")
        assert results[0].state == "pending"
        pki.save()
        again = Pki.open(tmp_path / "store")
        again.scep.seconds_per_retry_minute = 0.01
        app = PkiConsole(pki=again)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            assert any("PENDING" in n.message for n in app._notifications)
            await pilot.press("2")
            app.screen.query_one("#tp-list").focus()
            await pilot.press("u")
            await wait_for(pilot, lambda: isinstance(app.screen, EnrollmentScreen) and app.screen.finished)
            assert [r.state for r in app.screen.rows.values()][-1] == "issued"
            # the title said "Enrolling with trustpoint pending enrollments"
            assert str(app.screen.query_one(".dialog-title", Label).render()) == "Resuming pending enrollments"
        assert [c.role for c in again.config.certificates if c.role == "device"] == ["device"]


def test_lab_republishes_its_crl_when_the_ca_revokes(lab: Lab, lab_pki: Pki) -> None:
    """Enrolling the same subject twice revokes nothing in the lab (micromdm's own revocation of
    the older certificate is turned off); a certificate revoked on purpose with lab.scep.revoke
    is on the lab's CRL (fetched over LDAP by the revocation service) within seconds."""
    import time

    lab_pki.keys.generate()
    lab_pki.trustpoints.get("lab").set_fingerprint(lab.fingerprint)
    lab_pki.ca_trust.authenticate("lab")
    first = lab_pki.scep.enroll("lab")[0].certificate
    lab_pki.keys.generate(replace=True)
    lab_pki.scep.enroll("lab")
    mine = f"{first.serial_number:02X}"
    [status] = [line.split("\t")[0] for line in lab.scep.index_path.read_text().splitlines()
                if line.split("\t")[3] == mine]
    assert status == "V", "the lab CA revoked the older certificate by itself"
    lab.scep.revoke(first.serial_number)
    deadline = time.monotonic() + 15
    while True:
        info = lab_pki.revocation.request_crl("lab")
        index = lab_pki.revocation.open_crl(info)
        if index.find(first.serial_number) is not None:
            break
        assert time.monotonic() < deadline, "the lab never republished its CRL"
        time.sleep(0.5)


async def test_command_line_confirm_is_a_modal(lab: Lab, lab_pki: Pki) -> None:
    """``:crypto pki authenticate lab`` runs through the IOS Session; its confirm() question is
    answered in a modal dialog while the command waits in its worker."""
    from pkitui.tui.screens.dialogs import ConfirmDialog

    app = PkiConsole(pki=lab_pki, lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        # The console's line starts in user exec (Device>), as a router's console does.
        await pilot.press("colon", *"enable", "enter", *"configure terminal", "enter")
        # The lab pins its CA's fingerprint (nothing to ask then): unpin it so the question comes.
        await pilot.press(*"crypto pki trustpoint lab", "enter", *"no fingerprint", "enter", *"exit", "enter")
        await pilot.press(*"crypto pki authenticate lab", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "accept" in app.screen.question.lower()
        await pilot.click("#yes")
        await wait_for(pilot, lambda: any(c.role == "ca" for c in lab_pki.config.certificates))
        await app.workers.wait_for_complete()
        await pilot.pause()
        log = "\n".join(str(line.text) for line in app.query_one("#log").lines)
        assert lab.fingerprint[:8] in log.replace(" ", "").upper()


def test_a_restarted_lab_keeps_its_urls(tmp_path: Path) -> None:
    """The LDAP and HTTP CRL ports are kept with the SCEP port, so reopening `pkitui lab` on a
    saved store changes nothing (a new LDAP port every run rewrote crl query: the console opened
    with unsaved changes)."""
    with Lab(tmp_path / "lab") as first:
        urls = (first.scep.url, first.ldap_url(), first.crl_url())
        pki = Pki.open(tmp_path / "store")
        first.configure(pki)
        pki.save()
    with Lab(tmp_path / "lab") as again:
        assert (again.scep.url, again.ldap_url(), again.crl_url()) == urls
        pki = Pki.open(tmp_path / "store")
        again.configure(pki)
        assert not pki.dirty


def test_usage_keys_against_the_lab_end_with_two_valid_certificates(lab: Lab, lab_pki: Pki) -> None:
    """Issue 10: a usage-keys enrollment (two certificates, one subject) used to end with micromdm
    revoking the signature certificate when it issued the encryption one. In the lab both stay
    valid: the index keeps both V, the lab's CRL lists neither, and our own certificates show as
    not revoked against it."""
    from pkitui.core.records import OwnRevocation

    lab_pki.keys.generate(usage_keys=True)
    lab_pki.trustpoints.get("lab").set_fingerprint(lab.fingerprint)
    lab_pki.ca_trust.authenticate("lab")
    results = lab_pki.scep.enroll("lab")
    assert len(results) == 2 and all(r.certificate is not None for r in results)
    serials = {f"{r.certificate.serial_number:02X}" for r in results if r.certificate is not None}
    index = [line.split("\t") for line in lab.scep.index_path.read_text().splitlines()]
    assert sorted(cols[0] for cols in index if cols[3] in serials) == ["V", "V"]
    own = [i for i in lab_pki.certificates.list("lab") if i.role == "device"]
    assert [i.revocation for i in own] == [OwnRevocation.NO_CRL] * 2  # nothing fetched yet, and it says so
    lab.publish_crl()
    lab_pki.revocation.request_crl("lab")
    own = [i for i in lab_pki.certificates.list("lab") if i.role == "device"]
    assert [i.revocation for i in own] == [OwnRevocation.NOT_REVOKED] * 2, [i.revocation_note for i in own]
    assert all(i.status == "Available" for i in own)
