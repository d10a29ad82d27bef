"""``pki.timers``: what is due when, IOS's PKI timers (``show crypto pki timers``) and the agent's
schedule.

One :class:`Timer` per thing that fires, computed from the configuration each time (nothing is
kept): a renewal (``auto-enroll``), a CRL refresh, a poll of a pending request, a CA rollover and
an expiry warning. The choices:

- CRL refresh: the held CRL's nextUpdate minus a margin of 5 % of its validity
  (nextUpdate - thisUpdate), at least one minute (:func:`crl_refresh_time`); a CRL without a
  nextUpdate has no refresh timer.
- Expiry warning: 30 days, 7 days and 1 day before a device or CA certificate's notAfter
  (:data:`EXPIRY_WARNINGS`), then at notAfter itself; the timer is the next of these still ahead.
  An expired certificate has no timer (``show crypto pki certificates`` says it is expired).
  This is the one warning rule: ``pkitui agent`` warns once per point reached
  (:func:`expiry_warning_reached`), remembering across runs which it gave.
- Next CA certificate (GetNextCACert): when the CA advertised GetNextCACert (the capabilities
  held) and no next CA certificate is held, it is fetched from the longer of the CA certificate's
  last 10 % of lifetime and its last 30 days (:func:`next_ca_fetch_time`); the agent tries at most
  once a day.
- Rollover: a held next CA certificate (GetNextCACert, :attr:`CertRole.CA_NEXT`) is switched to
  when the current CA certificate expires (or when the next one starts, whichever is later).
- Renew: each key pair's :meth:`RenewalService.due_by_key`; a renewal already overdue is listed at
  its due time (in the past: it fires at once).
- Poll: each pending transaction's ``next_poll`` (its start when none is recorded yet).
"""

from __future__ import annotations

import builtins
import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pkitui.core.config import RunningConfig
from pkitui.core.dn import ios_dn
from pkitui.core.held import serial_hex
from pkitui.core.records import CertRole, key_id_parts

if TYPE_CHECKING:
    from cryptography import x509

EXPIRY_WARNINGS = (timedelta(days=30), timedelta(days=7), timedelta(days=1))
CRL_MARGIN_FRACTION = 0.05  # of the CRL's validity
CRL_MARGIN_MIN = timedelta(minutes=1)
NEXT_CA_FRACTION = 0.10  # of the CA certificate's lifetime ...
NEXT_CA_MIN = timedelta(days=30)  # ... or this, whichever is longer


class TimerKind(enum.StrEnum):
    """What a timer does when it fires."""

    RENEW = "renew"
    CRL_REFRESH = "crl-refresh"
    POLL = "poll"
    ROLLOVER = "rollover"
    NEXT_CA = "next-ca"
    EXPIRY = "expiry"


@dataclass(frozen=True)
class Timer:
    """One thing due at ``due`` for ``trustpoint``; ``detail`` says which (key pair, CRL issuer,
    transaction, certificate); ``concerns``, in a few words, what it is about when one trustpoint
    can have several of its kind (an expiry alert: ``router cert``, ``CA cert``)."""

    kind: TimerKind
    trustpoint: str
    due: datetime
    detail: str
    concerns: str = ""
    until: datetime | None = None  # the moment ``detail`` ends with (a certificate's end), if any

    def text(self, layout: Callable[[datetime], str]) -> str:
        """``detail`` with the moment it names (``until``) in the front end's ``layout`` of a time
        (show and the console: IOS's ``03:37:30 UTC Dec 1 2027``; JSON: ISO 8601)."""
        return f"{self.detail} ({layout(self.until)})" if self.until is not None else self.detail

    def left(self, now: datetime) -> timedelta:
        """Time left until it fires (negative: overdue)."""
        return self.due - now

    def to_doc(self, now: datetime) -> dict[str, object]:
        """JSON-ready (ISO 8601 time, seconds left)."""
        return {"kind": str(self.kind), "trustpoint": self.trustpoint, "due": self.due.isoformat(timespec="seconds"),
                "seconds_left": round(self.left(now).total_seconds(), 3),
                "detail": self.text(lambda t: t.isoformat(timespec="seconds")),
                "concerns": self.concerns}


def crl_refresh_time(this_update: datetime, next_update: datetime) -> datetime:
    """When a CRL valid from ``this_update`` to ``next_update`` is fetched again: 5 % of its
    validity before ``next_update``, at least a minute before."""
    margin = max((next_update - this_update) * CRL_MARGIN_FRACTION, CRL_MARGIN_MIN)
    return next_update - margin


def expiry_warning_time(not_after: datetime, now: datetime) -> tuple[datetime, str] | None:
    """The next expiry warning of a certificate valid until ``not_after`` (30, 7, 1 days before,
    then at expiry) and what it says; None once it has expired."""
    if not_after <= now:
        return None
    for before in EXPIRY_WARNINGS:
        if not_after - before > now:
            return not_after - before, f"expires in {before.days} day{'s' if before.days > 1 else ''}"
    return not_after, "expires"


def expiry_warning_reached(not_after: datetime, now: datetime) -> tuple[datetime, str]:
    """The latest expiry warning point (30, 7, 1 days before ``not_after``, then ``not_after``)
    that ``now`` has reached and what it says; the certificate's notBefore side is not looked at,
    so a certificate issued with 5 days left has reached the 7-day point. The first point (30 days
    before) when none is reached yet (its time is then after ``now``)."""
    if now >= not_after:
        return not_after, "expired"
    reached = [b for b in EXPIRY_WARNINGS if now >= not_after - b]
    before = min(reached) if reached else EXPIRY_WARNINGS[0]
    return not_after - before, f"expires in {before.days} day{'s' if before.days > 1 else ''}"


def next_ca_fetch_time(not_before: datetime, not_after: datetime) -> datetime:
    """When the next CA certificate of a CA certificate valid from ``not_before`` to ``not_after``
    is first asked for (GetNextCACert): at the start of the longer of its last 10 % of lifetime
    and its last 30 days."""
    return not_after - max((not_after - not_before) * NEXT_CA_FRACTION, NEXT_CA_MIN)


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


class Timers:
    """The timers of one configuration."""

    def __init__(self, config: RunningConfig, renewal_due: Callable[[str], dict[str, datetime]]) -> None:
        """``renewal_due`` gives a trustpoint's renewal time per key pair (``pki.renewal.due_by_key``)."""
        self._config = config
        self._renewal_due = renewal_due

    def list(self, now: datetime) -> list[Timer]:
        """Every timer, soonest first (overdue ones first of all)."""
        timers = self._renewals() + self._crl_refreshes() + self._polls() + self._certificates(now)
        return sorted(timers, key=lambda t: (t.due, t.trustpoint, t.kind, t.detail))

    def next(self, now: datetime) -> Timer | None:
        """The soonest timer, or None."""
        timers = self.list(now)
        return timers[0] if timers else None

    def _renewals(self) -> builtins.list[Timer]:
        return [Timer(TimerKind.RENEW, tp.name, due, f"key pair {key_id}")
                for tp in self._config.trustpoints.values() if tp.auto_enroll is not None
                for key_id, due in self._renewal_due(tp.name).items()]

    def _crl_refreshes(self) -> builtins.list[Timer]:
        timers = []
        for crl in self._config.crls:
            this_update, next_update = _instant(crl.this_update), _instant(crl.next_update)
            if this_update is not None and next_update is not None:
                timers.append(Timer(TimerKind.CRL_REFRESH, crl.trustpoint, crl_refresh_time(this_update, next_update),
                                    f"CRL of {ios_dn(crl.issuer)}"))
        return timers

    def _polls(self) -> builtins.list[Timer]:
        timers = []
        for pending in self._config.pending:
            due = _instant(pending.next_poll) or _instant(pending.started)
            if due is not None:
                timers.append(Timer(TimerKind.POLL, pending.trustpoint, due,
                                    f"{pending.message_type} {pending.transaction_id} (key pair {pending.key_id})"))
        return timers

    def _certificates(self, now: datetime) -> builtins.list[Timer]:
        """Expiry warnings of device and CA certificates, and CA rollovers."""
        from cryptography import x509

        timers: builtins.list[Timer] = []
        by_tp: dict[str, dict[str, builtins.list[x509.Certificate]]] = {}
        for rec in self._config.certificates:
            if rec.der is None or rec.orphaned or rec.role not in _WATCHED:
                continue
            cert = x509.load_der_x509_certificate(rec.der)
            by_tp.setdefault(rec.trustpoint, {}).setdefault(rec.role, []).append(cert)
            if rec.role != CertRole.CA_NEXT and (warning := expiry_warning_time(cert.not_valid_after_utc, now)):
                due, what = warning
                timers.append(Timer(TimerKind.EXPIRY, rec.trustpoint, due,
                                    f"{_ROLE_TEXT[rec.role]} serial {serial_hex(cert.serial_number)} {what}",
                                    _concerns(rec.role, rec.key_id), cert.not_valid_after_utc))
        for tp, roles in by_tp.items():
            advertised = "GETNEXTCACERT" in {c.upper() for c in self._config.ca_caps_seen.get(tp, [])}
            if advertised and not roles.get(CertRole.CA_NEXT) and tp in self._config.trustpoints:
                for ca in roles.get(CertRole.CA, [])[:1]:  # the trustpoint's own CA (the first held)
                    timers.append(Timer(TimerKind.NEXT_CA, tp,
                                        next_ca_fetch_time(ca.not_valid_before_utc, ca.not_valid_after_utc),
                                        f"next CA certificate asked for (GetNextCACert), CA certificate serial "
                                        f"{serial_hex(ca.serial_number)} ends", until=ca.not_valid_after_utc))
            for nxt in roles.get(CertRole.CA_NEXT, []):
                current = roles.get(CertRole.CA, [])
                ends = max((c.not_valid_after_utc for c in current), default=nxt.not_valid_before_utc)
                timers.append(Timer(TimerKind.ROLLOVER, tp, max(ends, nxt.not_valid_before_utc),
                                    "CA certificate replaced by its rollover certificate "
                                    f"(serial {serial_hex(nxt.serial_number)})"))
        return timers


def _concerns(role: str, key_id: str | None) -> str:
    """An expiry alert's short label: ``CA cert``, ``router cert`` (a usage-keys pair's:
    ``router signature cert``, ``router encryption cert``), as IOS calls the router's certificate."""
    if role == CertRole.CA:
        return "CA cert"
    usage = key_id_parts(key_id)[1]
    return f"router {usage} cert" if usage in ("signature", "encryption") else "router cert"


_WATCHED = (CertRole.DEVICE, CertRole.IMPORTED, CertRole.CA, CertRole.CA_NEXT)
_ROLE_TEXT: dict[str, str] = {CertRole.DEVICE: "certificate", CertRole.IMPORTED: "certificate",
                              CertRole.CA: "CA certificate", CertRole.CA_NEXT: "rollover CA certificate"}

