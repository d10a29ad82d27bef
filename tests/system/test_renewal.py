"""auto-enroll against real CAs (issue 11): the renewal time, RenewalReq at the lab CA (micromdm
scepserver, which advertises Renewal) with the core's clock moved past the auto-enroll point,
regenerate (the old pair kept until the new certificate is issued), a refusal that leaves
everything as it was, and PENDING honoured.

The stand-in responder (tests/servers/scep_responder.py) is used only where micromdm cannot show
the path: a really short-lived certificate (micromdm's validity is whole days) and PENDING."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkitui.core import trace
from pkitui.core.clock import FixedClock
from pkitui.core.config import key_file_name
from pkitui.core.pki import Pki
from pkitui.core.renewal import RenewalOutcome, renewal_label
from pkitui.core.scep.ca import fingerprints
from pkitui.lab.scepserver import ScepServer
from scep_support import CHALLENGE, snapshot
from servers.scep_responder import ScepResponder

SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
DER = serialization.Encoding.DER


def _device(store: Path, url: str, clock: FixedClock | None = None, *, ca_der: bytes | None = None,
            auto_enroll: str = "50", usage_keys: bool = False) -> Pki:
    """A device enrolled at ``url`` (trustpoint 'lab', auto-enroll as given), saved."""
    pki = Pki.open(store, clock=clock)
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    pki.keys.generate(usage_keys=usage_keys)
    tp = pki.trustpoints.declare("lab")
    tp.set_enrollment_url(url)
    tp.set_password(CHALLENGE)
    if ca_der is not None:
        tp.set_fingerprint(fingerprints(ca_der)["sha256"])
    from pkitui.core.trustpoint_options import OPTIONS_BY_KEY

    OPTIONS_BY_KEY["auto_enroll"].parse(tp, auto_enroll)
    pki.scep.seconds_per_retry_minute = 0.01
    pki.ca_trust.authenticate("lab", confirm=lambda c: True)
    assert all(r.ok for r in pki.scep.enroll("lab"))
    pki.save()
    return pki


def _lab_ca_der(server: ScepServer) -> bytes:
    return x509.load_pem_x509_certificate(server.ca_pem_path.read_bytes()).public_bytes(DER)


def _device_certs(pki: Pki) -> dict[str, x509.Certificate]:
    return {c.key_id or "": x509.load_der_x509_certificate(c.der) for c in pki.config.certificates
            if c.trustpoint == "lab" and c.role == "device" and c.der is not None}


def test_renewal_req_when_the_clock_passes_the_auto_enroll_point(scep_ca: ScepServer, tmp_path: Path) -> None:
    clock = FixedClock(datetime.datetime.now(datetime.timezone.utc))
    pki = _device(tmp_path, scep_ca.url, clock, ca_der=_lab_ca_der(scep_ca), auto_enroll="50")
    (old,) = _device_certs(pki).values()
    due = pki.renewal.due("lab")
    assert due == old.not_valid_before_utc + (old.not_valid_after_utc - old.not_valid_before_utc) / 2
    not_yet = pki.renewal.renew("lab")
    assert not_yet.outcome == RenewalOutcome.NOT_DUE and not_yet.due == due and "due at" in not_yet.message

    clock.set(due + datetime.timedelta(minutes=1))
    result = pki.renewal.renew("lab")
    assert result.outcome == RenewalOutcome.RENEWED, result.message
    assert [e.message_type for e in result.enrollments] == ["RenewalReq"]
    (new,) = _device_certs(pki).values()
    assert new.serial_number != old.serial_number and result.certificates[0] == new
    # The new certificate reaches NVRAM on its own (the agent has nobody to save for it) ...
    again = Pki.open(tmp_path, clock=clock)
    assert list(_device_certs(again).values()) == [new]
    assert not pki.dirty
    # ... and the next renewal is half of the new certificate's lifetime (dated by the CA's real clock).
    assert pki.renewal.due("lab") == new.not_valid_before_utc + (new.not_valid_after_utc - new.not_valid_before_utc) / 2


def test_regenerate_switches_to_the_new_key_pair_once_issued(scep_ca: ScepServer, tmp_path: Path) -> None:
    clock = FixedClock(datetime.datetime.now(datetime.timezone.utc))
    pki = _device(tmp_path, scep_ca.url, clock, ca_der=_lab_ca_der(scep_ca), auto_enroll="80 regenerate")
    old_key = pki.config.key_pairs["r1.example.com"].public_der
    old_file = pki.store.private_dir / key_file_name(pki.config.key_pairs["r1.example.com"])
    assert old_file.exists()
    (old,) = _device_certs(pki).values()
    due = pki.renewal.due("lab")
    assert due is not None
    clock.set(due)
    steps: list[str] = []
    trace.install(lambda _level, text: steps.append(text), [trace.TraceLevel.TRANSACTIONS])
    try:
        result = pki.renewal.renew("lab")
    finally:
        trace.install(None)
    assert result.outcome == RenewalOutcome.RENEWED and result.regenerated, result.message
    # The CA advertises Renewal: the new key's request is a RenewalReq signed with the old
    # certificate (micromdm's reply is encrypted to it, so only the old key could read it).
    assert [e.message_type for e in result.enrollments] == ["RenewalReq"]
    assert any(s.startswith("transaction RenewalReq started") for s in steps), steps
    assert not any("PKCSReq" in s for s in steps), steps
    pair = pki.config.key_pairs["r1.example.com"]
    assert pair.public_der != old_key and set(pki.config.key_pairs) == {"r1.example.com"}
    (new,) = _device_certs(pki).values()
    assert new.serial_number != old.serial_number
    assert new.public_key().public_bytes(DER, SPKI) == pair.public_der
    reopened = Pki.open(tmp_path, clock=clock)
    assert reopened.config.key_pairs["r1.example.com"].public_der == pair.public_der
    assert list(_device_certs(reopened).values()) == [new]
    assert not any(p.label == renewal_label("r1.example.com") for p in reopened.config.key_pairs.values())
    assert not old_file.exists()  # the replaced private key is gone from the store, not only from the config
    assert (pki.store.private_dir / key_file_name(pair)).exists()


def test_regenerate_refused_by_the_ca_leaves_the_old_pair_and_certificate(scep_ca: ScepServer,
                                                                          tmp_path: Path) -> None:
    clock = FixedClock(datetime.datetime.now(datetime.timezone.utc))
    pki = _device(tmp_path, scep_ca.url, clock, ca_der=_lab_ca_der(scep_ca), auto_enroll="10 regenerate")
    old_key = pki.config.key_pairs["r1.example.com"].public_der
    old_certs = _device_certs(pki)
    pki.trustpoints.get("lab").set_password("wrong")  # the running configuration only: not saved
    before = snapshot(tmp_path)
    clock.set(pki.renewal.due("lab") + datetime.timedelta(seconds=1))
    result = pki.renewal.renew("lab")
    assert result.outcome == RenewalOutcome.FAILED and "badRequest" in result.message, result.message
    assert set(pki.config.key_pairs) == {"r1.example.com"}
    assert pki.config.key_pairs["r1.example.com"].public_der == old_key
    assert _device_certs(pki) == old_certs
    assert snapshot(tmp_path) == before and not result.saved


def test_a_missing_challenge_password_is_a_clear_failure(scep_ca: ScepServer, tmp_path: Path) -> None:
    clock = FixedClock(datetime.datetime.now(datetime.timezone.utc))
    pki = _device(tmp_path, scep_ca.url, clock, ca_der=_lab_ca_der(scep_ca), auto_enroll="")
    pki.trustpoints.get("lab").reset("password")
    (cert,) = _device_certs(pki).values()
    assert pki.renewal.due("lab") == cert.not_valid_after_utc  # bare auto-enroll: at expiry, as IOS
    clock.set(cert.not_valid_after_utc - datetime.timedelta(seconds=1))
    assert pki.renewal.renew("lab").outcome == RenewalOutcome.NOT_DUE
    clock.set(cert.not_valid_after_utc)
    result = pki.renewal.renew("lab")
    assert result.outcome == RenewalOutcome.FAILED
    assert "no challenge password" in result.message and "password SECRET" in result.message


def test_a_really_short_lived_certificate_is_renewed_in_real_time(tmp_path: Path) -> None:
    """Stand-in responder: it issues a 4-second certificate (micromdm's validity is whole days)."""
    with ScepResponder(ra=False, lifetime=datetime.timedelta(seconds=4)) as ca:
        pki = _device(tmp_path, ca.url, ca_der=ca.ca_cert.public_bytes(DER), auto_enroll="50")
        (first,) = _device_certs(pki).values()
        assert first.not_valid_after_utc - first.not_valid_before_utc == datetime.timedelta(seconds=4)
        due = pki.renewal.due("lab")
        assert due is not None
        assert pki.renewal.renew("lab").outcome == RenewalOutcome.NOT_DUE
        time.sleep(max(0.0, (due - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 0.1)
        result = pki.renewal.renew("lab")
        assert result.outcome == RenewalOutcome.RENEWED, result.message
        assert [e.message_type for e in result.enrollments] == ["RenewalReq"]  # signed with the live old one
        (second,) = _device_certs(pki).values()
        assert second.serial_number != first.serial_number and second.not_valid_after_utc > first.not_valid_after_utc


def test_pending_renewal_is_journaled_then_resumed_and_switched(tmp_path: Path) -> None:
    """Stand-in responder: micromdm never answers PENDING."""
    clock = FixedClock(datetime.datetime.now(datetime.timezone.utc))
    with ScepResponder(ra=False) as ca:
        pki = _device(tmp_path, ca.url, clock, ca_der=ca.ca_cert.public_bytes(DER), auto_enroll="70 regenerate")
        old_key = pki.config.key_pairs["r1.example.com"].public_der
        pki.trustpoints.get("lab").set_retry_count(1)
        ca.pending_polls, ca.txns = 5, {}
        clock.set(pki.renewal.due("lab"))
        first = pki.renewal.renew("lab")
        assert first.outcome == RenewalOutcome.PENDING, first.message
        # A RenewalReq for the new key signed with the old certificate; its polls are signed with the old key.
        [pending] = pki.scep.pending("lab")
        assert pending.message_type == "RenewalReq" and pending.extra["signer_key_id"] == "r1.example.com"
        assert pending.signer_der == next(iter(_device_certs(pki).values())).public_bytes(DER)
        # The old pair still serves; the new one waits under the temporary label, journaled.
        assert pki.config.key_pairs["r1.example.com"].public_der == old_key
        assert renewal_label("r1.example.com") in {p.label for p in pki.config.key_pairs.values()}
        assert pki.scep.pending("lab")
        ca.pending_polls = 0
        # A new process (the agent restarted) resumes the transaction and switches.
        resumed = Pki.open(tmp_path, clock=clock)
        resumed.scep.seconds_per_retry_minute = 0.01
        assert resumed.scep.pending("lab")
        second = resumed.renewal.renew("lab")
        assert second.outcome == RenewalOutcome.RENEWED and second.regenerated, second.message
        assert set(resumed.config.key_pairs) == {"r1.example.com"}
        new_key = resumed.config.key_pairs["r1.example.com"].public_der
        assert new_key != old_key
        (cert,) = _device_certs(resumed).values()
        assert cert.public_key().public_bytes(DER, SPKI) == new_key
        final = Pki.open(tmp_path, clock=clock)
        assert final.config.key_pairs["r1.example.com"].public_der == new_key and not final.scep.pending()
