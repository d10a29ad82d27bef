"""auto-enroll's renewal time and the PKI timers (issue 11), with certificates dated here and a
FixedClock: no server."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lifecycle_support import DER, T0, certificate, device
from pkitui.core.clock import FixedClock
from pkitui.core.errors import ConfigError
from pkitui.core.records import CertRole, CrlRecord, PendingEnrollment, StoredCertificate
from pkitui.core.renewal import RenewalOutcome, renewal_time
from pkitui.core.timers import (TimerKind, crl_refresh_time, expiry_warning_reached, expiry_warning_time,
                                next_ca_fetch_time)
from pkitui.core.trustpoints import AutoEnroll, Trustpoint

DAY = datetime.timedelta(days=1)


def test_renewal_time_is_the_percentage_of_the_lifetime_or_the_expiry() -> None:
    end = T0 + 100 * DAY
    assert renewal_time(T0, end, 80) == T0 + 80 * DAY
    assert renewal_time(T0, end, 1) == T0 + DAY
    assert renewal_time(T0, end, 100) == end
    assert renewal_time(T0, end, None) == end  # bare auto-enroll: IOS renews at expiry


def test_auto_enroll_setter_range_and_forms() -> None:
    tp = Trustpoint(name="x")
    tp.set_auto_enroll(75, True)
    assert tp.auto_enroll == AutoEnroll(75, True)
    tp.set_auto_enroll()
    assert tp.auto_enroll == AutoEnroll(None, False)
    for bad in (0, 101, "ten"):
        with pytest.raises(ConfigError):
            tp.set_auto_enroll(bad)


def test_due_with_a_fixed_clock(tmp_path: Path) -> None:
    clock = FixedClock(T0 + 10 * DAY)
    pki = device(tmp_path, clock, days=(100,), auto_enroll="80")
    assert pki.renewal.due("lab") == T0 + 80 * DAY
    result = pki.renewal.renew("lab")
    assert result.outcome == RenewalOutcome.NOT_DUE and result.due == T0 + 80 * DAY
    pki.trustpoints.get("lab").reset("auto_enroll")
    assert pki.renewal.due("lab") is None
    assert "auto-enroll is not configured" in pki.renewal.renew("lab").message


def test_usage_keys_are_due_per_key_pair(tmp_path: Path) -> None:
    pki = device(tmp_path, FixedClock(T0), usage_keys=True, days=(100, 50), auto_enroll="50")
    by_key = pki.renewal.due_by_key("lab")
    assert by_key == {"r1.example.com#signature": T0 + 50 * DAY, "r1.example.com#encryption": T0 + 25 * DAY}
    assert pki.renewal.due("lab") == T0 + 25 * DAY  # the earliest: both renew together


def test_no_certificate_means_nothing_to_renew(tmp_path: Path) -> None:
    pki = device(tmp_path, FixedClock(T0), auto_enroll="50")
    pki.config.certificates = [c for c in pki.config.certificates if c.role != CertRole.DEVICE]
    assert pki.renewal.due("lab") is None
    result = pki.renewal.renew("lab", force=True)
    assert result.outcome == RenewalOutcome.NOT_DUE and "crypto pki enroll lab" in result.message


def test_crl_refresh_margin() -> None:
    assert crl_refresh_time(T0, T0 + 20 * DAY) == T0 + 19 * DAY  # 5 % of 20 days
    assert crl_refresh_time(T0, T0 + datetime.timedelta(minutes=10)) == T0 + datetime.timedelta(minutes=9)  # >= 1 min


def test_expiry_warnings_30_7_1_days_then_expiry() -> None:
    end = T0 + 100 * DAY
    assert expiry_warning_time(end, T0) == (end - 30 * DAY, "expires in 30 days")
    assert expiry_warning_time(end, end - 20 * DAY) == (end - 7 * DAY, "expires in 7 days")
    assert expiry_warning_time(end, end - 2 * DAY) == (end - DAY, "expires in 1 day")
    assert expiry_warning_time(end, end - datetime.timedelta(hours=1)) == (end, "expires")
    assert expiry_warning_time(end, end) is None


def test_the_expiry_warning_reached_is_the_latest_point_passed() -> None:
    """The agent's rule is the timers' rule: the point it warns at is the one the timer showed."""
    end = T0 + 100 * DAY
    assert expiry_warning_reached(end, T0) == (end - 30 * DAY, "expires in 30 days")  # none reached yet
    assert expiry_warning_reached(end, end - 30 * DAY) == (end - 30 * DAY, "expires in 30 days")
    assert expiry_warning_reached(end, end - 5 * DAY) == (end - 7 * DAY, "expires in 7 days")  # 30 skipped: 7
    assert expiry_warning_reached(end, end - datetime.timedelta(hours=2)) == (end - DAY, "expires in 1 day")
    assert expiry_warning_reached(end, end) == (end, "expired")
    for now in (T0 + DAY, end - 20 * DAY, end - 2 * DAY, end - datetime.timedelta(hours=1)):
        upcoming = expiry_warning_time(end, now)
        assert upcoming is not None and expiry_warning_reached(end, upcoming[0])[0] == upcoming[0]


def test_next_ca_fetch_time_is_the_longer_of_10_percent_and_30_days() -> None:
    assert next_ca_fetch_time(T0, T0 + 3650 * DAY) == T0 + 3285 * DAY  # 10 % of ten years: 365 days
    assert next_ca_fetch_time(T0, T0 + 100 * DAY) == T0 + 70 * DAY  # 10 % is 10 days: 30 days instead


def test_next_ca_timer_only_when_advertised_and_no_shadow_held(tmp_path: Path) -> None:
    pki = device(tmp_path, FixedClock(T0), days=(100,))
    assert not any(t.kind == TimerKind.NEXT_CA for t in pki.timers.list(T0))
    pki.config.ca_caps_seen["lab"] = ["Renewal", "GetNextCACert"]
    [timer] = [t for t in pki.timers.list(T0) if t.kind == TimerKind.NEXT_CA]
    ca = pki.certificates.ca_certificate("lab")
    assert timer.due == next_ca_fetch_time(ca.not_valid_before_utc, ca.not_valid_after_utc)
    shadow = certificate("Lifecycle CA", rsa.generate_private_key(65537, 1024).public_key(), days=3650, ca=True)
    pki.config.certificates.append(StoredCertificate.from_der("lab", CertRole.CA_NEXT, shadow.public_bytes(DER)))
    assert not any(t.kind == TimerKind.NEXT_CA for t in pki.timers.list(T0))


def test_timers_list_every_kind_sorted_by_due(tmp_path: Path) -> None:
    now = T0 + 10 * DAY
    pki = device(tmp_path, FixedClock(now), days=(100,), auto_enroll="80")
    config = pki.config
    config.crls.append(CrlRecord(trustpoint="lab", issuer="cn=Lifecycle CA", source="http://ca/crl", file="x.crl",
                                 sha256="00" * 32, size=1, this_update=T0.isoformat(),
                                 next_update=(T0 + 20 * DAY).isoformat()))
    config.pending.append(PendingEnrollment(trustpoint="lab", key_id="r1.example.com", transaction_id="T1",
                                            next_poll=(now + datetime.timedelta(minutes=2)).isoformat()))
    next_ca = certificate("Lifecycle CA", rsa.generate_private_key(65537, 1024).public_key(), days=3650, ca=True,
                          start=T0 + 3000 * DAY)
    config.certificates.append(StoredCertificate.from_der("lab", CertRole.CA_NEXT, next_ca.public_bytes(DER)))
    timers = pki.timers.list(now)
    assert [t.due for t in timers] == sorted(t.due for t in timers)
    got = {(t.kind, t.due) for t in timers}
    assert (TimerKind.POLL, now + datetime.timedelta(minutes=2)) in got
    assert (TimerKind.CRL_REFRESH, T0 + 19 * DAY) in got
    assert (TimerKind.RENEW, T0 + 80 * DAY) in got
    assert (TimerKind.EXPIRY, T0 + 70 * DAY) in got  # the device certificate: 30 days before its end
    assert (TimerKind.EXPIRY, T0 + 3620 * DAY) in got  # the CA certificate
    assert (TimerKind.ROLLOVER, T0 + 3650 * DAY) in got  # at the current CA certificate's end
    assert timers[0].kind == TimerKind.POLL and pki.timers.next(now) == timers[0]
    renew = next(t for t in timers if t.kind == TimerKind.RENEW)
    assert renew.trustpoint == "lab" and "r1.example.com" in renew.detail
    assert renew.to_doc(now)["seconds_left"] == 70 * 86400

