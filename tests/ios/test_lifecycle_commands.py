"""auto-enroll, show crypto pki timers, show crypto pki trustpoints status and crypto pki cert
validate in the IOS language (issue 11), with certificates dated here and a FixedClock."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from ios_support import Recorder, recorder
from cryptography import x509

from lifecycle_support import CA_CERT, DER, T0, device, hold_crl
from pkitui.core.clock import FixedClock
from pkitui.core.keys import key_fingerprints
from pkitui.core.pki import Pki
from pkitui.ios.format import ios_countdown
from pkitui.ios.session import Session
from pkitui.ios.show_commands import running_config_lines

DAY = datetime.timedelta(days=1)


def _session(pki: Pki) -> Recorder:
    out: list[str] = []
    err: list[str] = []
    return Recorder(Session(pki, out=out.append, err=err.append), out, err)


def _grouped(hexs: str) -> str:
    return " ".join(hexs[i:i + 8] for i in range(0, len(hexs), 8))


@pytest.mark.parametrize("left, text", [
    (datetime.timedelta(days=7, hours=23, minutes=59, seconds=59, milliseconds=123), "7d23:59:59.123"),
    (datetime.timedelta(hours=1, minutes=2, seconds=3, milliseconds=4), "1:02:03.004"),
    (datetime.timedelta(minutes=9, seconds=59, milliseconds=999), "9:59.999"),
    (datetime.timedelta(milliseconds=872), "0.872"),
    (datetime.timedelta(seconds=-5), "0.000"),
])
def test_countdown_is_ios_timer_layout(left: datetime.timedelta, text: str) -> None:
    assert ios_countdown(left) == text


@pytest.mark.parametrize("left, text", [
    (datetime.timedelta(days=12, hours=3, minutes=59), "12d 03h"),
    (datetime.timedelta(hours=3, minutes=4, seconds=59), "3h 04m"),
    (datetime.timedelta(minutes=4, seconds=1), "4m"),
    (datetime.timedelta(seconds=30), "<1m"),
    (datetime.timedelta(0), "due now"),
    (datetime.timedelta(seconds=-5), "due now"),
])
def test_minutes_left_is_the_consoles_layout_to_the_minute(left: datetime.timedelta, text: str) -> None:
    from pkitui.ios.format import minutes_left

    assert minutes_left(left) == text


def test_every_timer_kind_has_one_name_for_show_and_the_console() -> None:
    from pkitui.core.timers import TimerKind
    from pkitui.ios.format import TIMER_NAMES

    assert set(TIMER_NAMES) == set(TimerKind)


@pytest.mark.parametrize("line", ["auto-enroll", "auto-enroll 80", "auto-enroll regenerate",
                                  "auto-enroll 5 regenerate"])
def test_auto_enroll_round_trips_through_running_config(line: str, tmp_path: Path) -> None:
    first = recorder(tmp_path / "a")
    first.ok(f"configure terminal\ncrypto pki trustpoint lab\n{line}\nend")
    lines = running_config_lines(first.pki)
    assert f" {line}" in lines
    second = recorder(tmp_path / "b")
    second.ok("\n".join(lines))
    assert running_config_lines(second.pki) == lines
    second.pki.save()
    assert running_config_lines(Pki.open(tmp_path / "b")) == lines  # and through NVRAM


def test_auto_enroll_refuses_a_bad_percentage(tmp_path: Path) -> None:
    r = recorder(tmp_path)
    r.ok("configure terminal\ncrypto pki trustpoint lab")
    assert any("<1-100>" in line for line in r.fail("auto-enroll 0"))
    assert r.pki.trustpoints.get("lab").auto_enroll is None


def test_show_timers_layout(tmp_path: Path) -> None:
    now = T0 + 10 * DAY
    pki = device(tmp_path, FixedClock(now), days=(100,), auto_enroll="80")
    r = _session(pki)
    assert r.ok("show crypto pki timers") == [
        "PKI Timers",
        "|  60d00:00:00.000",
        "|  60d00:00:00.000  EXPIRY ALERT lab (router cert)",  # the device certificate: 30 days before its end
        "|  70d00:00:00.000  RENEW lab",
        "|3610d00:00:00.000  EXPIRY ALERT lab (CA cert)",  # told apart without detail (walkthrough finding)
    ]
    detail = r.ok("show crypto pki timers detail")
    assert detail[3] == "|  70d00:00:00.000  (00:00:00 UTC Mar 22 2026)  RENEW lab key pair r1.example.com"
    docs = r.json("show crypto pki timers")
    assert [d["kind"] for d in docs] == ["expiry", "renew", "expiry"]
    assert docs[1] == {"kind": "renew", "trustpoint": "lab", "due": "2026-03-22T00:00:00+00:00",
                       "seconds_left": 70 * 86400.0, "detail": "key pair r1.example.com", "concerns": ""}
    assert [d["concerns"] for d in docs] == ["router cert", "", "CA cert"]


def test_show_timers_tells_the_expiry_alerts_of_usage_keys_apart(tmp_path: Path) -> None:
    pki = device(tmp_path, FixedClock(T0), usage_keys=True, auto_enroll=None)
    names = [line.split("  ")[-1] for line in _session(pki).ok("show crypto pki timers")[2:]]
    assert sorted(names) == ["EXPIRY ALERT lab (CA cert)", "EXPIRY ALERT lab (router encryption cert)",
                             "EXPIRY ALERT lab (router signature cert)"]


def test_show_timers_without_any(tmp_path: Path) -> None:
    assert recorder(tmp_path).ok("show crypto pki timers") == ["PKI Timers"]


def test_trustpoint_status_lines(tmp_path: Path) -> None:
    pki = device(tmp_path, FixedClock(T0 + DAY), days=(100,), auto_enroll="80")
    device_rec = next(c for c in pki.config.certificates if c.role == "device")
    ca_fps, dev_fps = key_fingerprints(CA_CERT.public_bytes(DER)), key_fingerprints(device_rec.der or b"")
    r = _session(pki)
    assert r.ok("show crypto pki trustpoints lab status") == [
        "Trustpoint lab:",
        "  Issuing CA certificate configured:",
        "    Subject Name:",
        "     cn=Lifecycle CA",
        f"    Fingerprint MD5: {_grouped(ca_fps['md5'])}",
        f"    Fingerprint SHA1: {_grouped(ca_fps['sha1'])}",
        "  Router General Purpose certificate configured:",
        "    Subject Name:",
        "     cn=r1.example.com",
        f"    Fingerprint MD5: {_grouped(dev_fps['md5'])}",
        f"    Fingerprint SHA1: {_grouped(dev_fps['sha1'])}",
        "    Renew Date: 00:00:00 UTC Mar 22 2026",
        "    Revocation: no CRL held (fetch one with crypto pki crl request lab)",  # pkitui's line
        "  State:",
        "    Keys generated ............. Yes (General Purpose, non-exportable)",
        "    Issuing CA authenticated ....... Yes",
        "    Certificate request(s) ..... Yes",
    ]
    (doc,) = r.json("show crypto pki trustpoints status")
    assert doc["ca_authenticated"] and doc["keys_generated"] and doc["pending_requests"] == 0
    assert doc["device_certificates"][0]["renew_at"] == "2026-03-22T00:00:00+00:00"


def test_trustpoint_status_usage_keys_and_nothing_yet(tmp_path: Path) -> None:
    pki = device(tmp_path, FixedClock(T0), usage_keys=True, auto_enroll=None)
    pki.trustpoints.declare("empty").set_rsakeypair("not-generated")
    lines = _session(pki).ok("show crypto pki trustpoints status")
    assert "  Router Signature certificate configured:" in lines
    assert "  Router Encryption certificate configured:" in lines
    assert "    Keys generated ............. Yes (Usage, non-exportable)" in lines
    assert not any("Renew Date" in line for line in lines)  # no auto-enroll
    empty = lines[lines.index("Trustpoint empty:"):]
    assert empty == ["Trustpoint empty:", "  State:", "    Keys generated ............. No",
                     "    Issuing CA authenticated ....... No", "    Certificate request(s) ..... None"]


def test_cert_validate_a_valid_chain(tmp_path: Path) -> None:
    pki = device(tmp_path, FixedClock(T0 + DAY))
    r = _session(pki)
    serial = _device_serial(pki)
    assert r.ok("crypto pki cert validate lab") == [
        "Certificate chain has 2 certificates.", "Certificate chain for lab is valid",
        f"Revocation of certificate serial {serial}: no CRL held (fetch one with crypto pki crl request lab)"]
    doc = r.json("crypto pki cert validate lab")
    assert doc["valid"] and doc["chains"] == [["CN=r1.example.com", "CN=Lifecycle CA"]]
    hold_crl(pki, [])
    assert r.ok("crypto pki cert validate lab")[2].startswith(
        f"Revocation of certificate serial {serial}: not revoked (not listed on the CRL from http://ca.example/lab.crl")
    pki.trustpoints.get("lab").set_revocation_check(["none"])
    assert r.ok("crypto pki cert validate lab")[2] == (
        "Revocation not checked: revocation-check none (crypto pki verify checks a certificate with it)")


def _device_serial(pki: Pki) -> str:
    from pkitui.core.held import serial_hex

    der = next(c.der for c in pki.config.certificates if c.role == "device")
    assert der is not None
    return serial_hex(x509.load_der_x509_certificate(der).serial_number)


def test_cert_validate_and_status_say_a_revoked_router_certificate(tmp_path: Path) -> None:
    # The walkthrough: validate said "valid" while certificates said Revoked and deploy refused.
    pki = device(tmp_path, FixedClock(T0 + DAY))
    der = next(c.der for c in pki.config.certificates if c.role == "device")
    assert der is not None
    hold_crl(pki, [x509.load_der_x509_certificate(der)])
    r = _session(pki)
    assert "% Certificate chain for lab is not valid" in r.fail("crypto pki cert validate lab")
    serial = _device_serial(pki)
    assert r.out[-1].startswith(f"Validation Failed: certificate serial {serial} is revoked since ")
    assert "reason key_compromise" in r.out[-1] and "CRL from http://ca.example/lab.crl" in r.out[-1]
    status = r.ok("show crypto pki trustpoints lab status")
    assert any(line.startswith("    Revocation: revoked since ") for line in status)
    (doc,) = r.json("show crypto pki trustpoints lab status")
    assert doc["device_certificates"][0]["revocation"] == "revoked"


def test_cert_validate_failures(tmp_path: Path) -> None:
    clock = FixedClock(T0 + DAY)
    foreign = _session(device(tmp_path / "a", clock, foreign=True))
    assert "% Certificate chain for lab is not valid" in foreign.fail("crypto pki cert validate lab")
    assert foreign.out[-1].startswith("Validation Failed: no path to a trusted CA")

    expired = _session(device(tmp_path / "b", clock, days=(100,)))
    clock.set(T0 + 101 * DAY)
    expired.fail("crypto pki cert validate lab")
    assert expired.out[-1] == "Validation Failed: the certificate expired on 2026-04-11 00:00 UTC"

    r = _session(device(tmp_path / "c", clock))
    r.pki.config.certificates = [c for c in r.pki.config.certificates if c.role != "device"]
    r.fail("crypto pki cert validate lab")
    assert r.out[-1] == "Validation Failed: can't get local certificate chain"
    r.fail("crypto pki cert validate nope")
    assert r.out[-1] == "Validation Failed: trustpoint not found for nope"


def test_a_router_certificate_without_its_key_pair_is_said_alike_everywhere(tmp_path: Path) -> None:
    # The walkthrough: show running-config into a new store brings certificate 02 back but not the
    # key pair; certificates said "zeroized", validate "can't get local certificate chain", status
    # showed no router certificate. One notion now: its key pair is not in this store.
    source = device(tmp_path / "a", FixedClock(T0 + DAY))
    serial = _device_serial(source)
    fresh = recorder(tmp_path / "b")
    fresh.ok("\n".join(running_config_lines(source)))
    assert fresh.pki.config.key_pairs == {} and [c.orphaned for c in fresh.pki.config.certificates
                                                 if c.role == "device"] == [True]
    certificates = fresh.ok("show crypto pki certificates lab")
    assert "  Status: Available (its key pair is not in this store)" in certificates
    status = fresh.ok("show crypto pki trustpoints lab status")
    assert "  Router General Purpose certificate configured:" in status
    assert "    Key pair: missing (its key pair is not in this store)" in status
    assert "    Keys generated ............. No" in status
    fresh.fail("crypto pki cert validate lab")
    assert fresh.out[-1] == (f"Validation Failed: the router certificate (serial {serial}) cannot be used: "
                             "its key pair is not in this store")
    fresh.pki.trustpoints.get("lab").set_deploy_pem(str(tmp_path / "pem"))
    report = fresh.pki.deployment.deploy("lab")
    assert any(f"(serial {serial}) cannot be deployed: its key pair is not in this store" in note
               for note in report.notes), report.notes
    # A zeroize is remembered as such.
    source.keys.zeroize()
    assert "  Status: Available (its key pair was zeroized)" in _session(source).ok("show crypto pki certificates")
    assert "    Key pair: missing (its key pair was zeroized)" in _session(source).ok(
        "show crypto pki trustpoints lab status")
