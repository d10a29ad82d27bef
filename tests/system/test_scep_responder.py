"""SCEP paths scepserver cannot show, against the test stand-in responder (tests/servers)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkitui.core.errors import ScepError, TrustpointError, VerificationError
from pkitui.core.pki import Pki
from pkitui.core.scep.ca import fingerprints
from pkitui.core.scep.enroll import EnrollmentEvent
from scep_support import make_device, snapshot
from servers.scep_responder import ScepResponder


def _device(store: Path, r: ScepResponder, **kw: object) -> Pki:
    fp = fingerprints(r.ca_cert.public_bytes(serialization.Encoding.DER))["md5"]
    pki = make_device(store, r.url, fingerprint=fp, **kw)  # type: ignore[arg-type]
    pki.ca_trust.authenticate("lab")
    return pki


def test_ra_chain_two_ra_certificates(responder: ScepResponder, tmp_path: Path) -> None:
    pki = _device(tmp_path, responder, ra=True)
    roles = sorted(c.role for c in pki.config.certificates)
    assert roles == ["ca", "ra-encryption", "ra-signature"]
    results = pki.scep.enroll("lab")
    # the responder decrypts only with the RA encryption key and signs with the RA signing key
    assert results[0].state == "issued"
    assert "GET" in results[0].algorithms  # no POSTPKIOperation advertised
    results[0].certificate.verify_directly_issued_by(responder.ca_cert)


def test_ra_mode_needs_ra_certificates(tmp_path: Path) -> None:
    with ScepResponder(ra=False) as r:
        pki = make_device(tmp_path, r.url, ra=True)
        with pytest.raises(ScepError, match="RA mode"):
            pki.ca_trust.authenticate("lab", confirm=lambda c: True)
        assert not pki.config.certificates


def test_pending_then_success_after_polls(tmp_path: Path) -> None:
    with ScepResponder(pending_polls=2) as r:
        pki = _device(tmp_path, r)
        pki.trustpoints.get("lab").set_retry_count(5)
        events = []
        results = pki.scep.enroll("lab", on_event=events.append)
        assert results[0].state == "issued"
        states = [e.state for e in events]
        assert states[0] == "sent" and states[-1] == "issued" and states.count("pending") == 2
        assert [e.polls_left for e in events if e.state == "pending"] == [5, 4]
        assert r.requests.count("PKIOperation") == 3
        assert not pki.config.pending
        assert not Pki.open(tmp_path).config.pending  # the saved pending record was cleared too


def test_pending_transaction_resumes_after_restart(tmp_path: Path) -> None:
    with ScepResponder(pending_polls=3) as r:
        pki = _device(tmp_path, r)
        pki.trustpoints.get("lab").set_retry_count(1)
        results = pki.scep.enroll("lab")
        assert results[0].state == "pending"
        tid = results[0].transaction_id
        # a new process: the pending transaction and its key were saved
        again = Pki.open(tmp_path)
        assert [p.transaction_id for p in again.config.pending] == [tid]
        again.scep.seconds_per_retry_minute = 0.01
        again.trustpoints.get("lab").set_retry_count(0)
        resumed = again.scep.resume_pending()
        assert [(x.state, x.transaction_id) for x in resumed] == [("issued", tid)]
        assert [c.role for c in again.config.certificates if c.role == "device"] == ["device"]
        assert not again.config.pending


def test_enroll_resumes_a_saved_pending_transaction_instead_of_starting_another(tmp_path: Path) -> None:
    """Every front end calls pki.scep.enroll: a pending transaction is polled again, not replaced
    by a second request (which would leave the first one pending at the CA and in NVRAM)."""
    with ScepResponder(pending_polls=2) as r:
        pki = _device(tmp_path, r)
        pki.trustpoints.get("lab").set_retry_count(1)
        (first,) = pki.scep.enroll("lab")
        assert first.state == "pending"
        again = Pki.open(tmp_path)
        again.scep.seconds_per_retry_minute = 0.01
        again.trustpoints.get("lab").set_retry_count(0)
        assert [(x.state, x.transaction_id) for x in again.scep.enroll("lab")] == [("issued", first.transaction_id)]
        assert not again.config.pending and not Pki.open(tmp_path).config.pending


def test_cancel_stops_polling_promptly(tmp_path: Path) -> None:
    with ScepResponder(pending_polls=1000) as r:
        pki = _device(tmp_path, r)
        pki.scep.seconds_per_retry_minute = 30.0
        cancel = threading.Event()

        def on_event(event: EnrollmentEvent) -> None:
            if event.state == "pending":
                cancel.set()

        results = pki.scep.enroll("lab", on_event=on_event, cancel=cancel)
        assert results[0].state == "pending" and "cancelled" in results[0].message
        assert len(pki.config.pending) == 1


@pytest.mark.parametrize("tamper, check", [
    ("signature", "signature"),
    ("nonce", "recipientNonce"),
    ("transaction", "transactionID"),
    ("unknown-signer", "signer"),
    ("not-certrep", "messageType"),
    ("wrong-key", "certificate key"),
    ("wrong-issuer", "chain"),
])
def test_each_failed_check_is_refused_and_nothing_stored(tamper: str, check: str, tmp_path: Path) -> None:
    with ScepResponder() as r:
        pki = _device(tmp_path, r)
        pki.save()
        before = snapshot(tmp_path)
        r.tamper = tamper
        with pytest.raises(VerificationError) as err:
            pki.scep.enroll("lab")
        assert err.value.check == check and check in err.value.message
        assert not [c for c in pki.config.certificates if c.role == "device"]
        assert not pki.dirty
        assert snapshot(tmp_path) == before


def test_failure_shows_fail_info_in_words_with_text(tmp_path: Path) -> None:
    with ScepResponder(tamper="failure") as r:
        pki = _device(tmp_path, r)
        events = []
        (result,) = pki.scep.enroll("lab", on_event=events.append)
        assert result.state == "failed"
        assert result.fail_info == "badTime (challenge password expired)"
        assert events[-1].state == "failed" and events[-1].fail_info == result.fail_info


def test_get_crl(responder: ScepResponder, tmp_path: Path) -> None:
    pki = _device(tmp_path, responder)
    with pytest.raises(TrustpointError, match="GetCRL needs"):
        pki.scep.get_crl("lab")
    pki.scep.enroll("lab")
    crl = x509.load_der_x509_crl(pki.scep.get_crl("lab"))
    assert crl.issuer == responder.ca_cert.subject


def test_downgrade_warning_when_aes_disappears(responder: ScepResponder, tmp_path: Path) -> None:
    pki = _device(tmp_path, responder)
    assert pki.scep.enroll("lab")[0].warnings == []
    responder.caps = "SHA-256\nRenewal"
    result = pki.scep.enroll("lab")[0]
    assert result.state == "issued" and "DES3" in result.algorithms
    assert any("Downgrade" in w and "AES" in w for w in result.warnings)


def test_unreachable_ca_is_a_clear_error(tmp_path: Path) -> None:
    pki = make_device(tmp_path, "http://127.0.0.1:9/scep")
    with pytest.raises(ScepError) as err:
        pki.ca_trust.fetch_ca("lab")
    assert "GetCACert" in err.value.message and "connection refused" in err.value.message
    # a CA that does not answer at all is an error for GetCACaps too (not "no capabilities")
    with pytest.raises(ScepError, match="unreachable"):
        pki.ca_trust.caps("lab")


def test_usage_keys_both_requests_sent_before_polling(tmp_path: Path) -> None:
    with ScepResponder(pending_polls=1) as r:
        pki = _device(tmp_path, r, usage_keys=True)
        pki.trustpoints.get("lab").set_retry_count(3)
        events = []
        results = pki.scep.enroll("lab", on_event=events.append)
        assert [x.state for x in results] == ["issued", "issued"]
        assert [x.key_id for x in results] == ["r1.example.com#signature", "r1.example.com#encryption"]
        assert [e.state for e in events][:2] == ["sent", "sent"]
        assert not pki.config.pending and not Pki.open(tmp_path).config.pending


def test_http_errors_are_retried_per_retry_settings(tmp_path: Path) -> None:
    with ScepResponder(http_errors=2) as r:
        pki = _device(tmp_path, r)
        with pytest.raises(ScepError, match="HTTP 503"):
            pki.scep.enroll("lab")  # retry count 0: no retry
        pki.trustpoints.get("lab").set_retry_count(2)
        events = []
        assert pki.scep.enroll("lab", on_event=events.append)[0].state == "issued"
        assert sum("retrying" in e.message for e in events) == 1


def test_killed_while_pending_then_resumed_in_a_new_process(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    with ScepResponder(pending_polls=2) as r:
        pki = _device(tmp_path, r)
        pki.save()
        child = subprocess.Popen([sys.executable, "-c", (
            "import sys; from pkitui.core.pki import Pki\n"
            "pki = Pki.open(sys.argv[1]); pki.scep.seconds_per_retry_minute = 3600\n"
            "pki.scep.enroll('lab')\n"), str(tmp_path)])
        try:
            deadline = time.monotonic() + 30
            while not Pki.open(tmp_path).config.pending:
                assert child.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        again = Pki.open(tmp_path)
        again.scep.seconds_per_retry_minute = 0.01
        (result,) = again.scep.resume_pending()
        assert result.state == "issued"
        assert [c.key_id for c in again.config.certificates if c.role == "device"] == ["r1.example.com"]
