"""``pkitui agent``'s schedule: when each of its timers fires.

The timers are ``pki.timers``' (renew, CRL refresh, poll, next CA certificate, rollover) plus the
agent's own: a CRL fetched again at once when its trustpoint's CRL sources changed, and each
expiry warning point (of our certificates and of each CA certificate whose next one is not held).
A timer that failed waits until its retry time (a quarter of the time left before it matters,
within RETRY_MIN..RETRY_MAX); GetNextCACert waits NEXT_CA_INTERVAL after it was asked, a renewal
held back (:mod:`pkitui.core.agent_renewal`) until its hold ends. A trustpoint whose certificate
is revoked per the CRL held has no renew timer (``pki.renewal.due_by_key`` lists none).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkitui.core.agent_state import AgentState
from pkitui.core.errors import PkiError
from pkitui.core.records import CertRole, CrlRecord

if TYPE_CHECKING:
    from cryptography import x509

    from pkitui.core.clock import Clock
    from pkitui.core.pki import Pki

# After a failure (or a CRL that was not newer), the same thing is tried again after a quarter of
# the time left before it matters, within these bounds: never a loop, never days of silence.
RETRY_MIN = datetime.timedelta(minutes=5)
RETRY_MAX = datetime.timedelta(hours=1)
# GetNextCACert is asked for at most this often while no next CA certificate is held.
NEXT_CA_INTERVAL = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Due:
    """One timer of the agent's own schedule: ``kind`` (renew, poll, crl, expiry), the trustpoint,
    when it fires and what it concerns (``key`` tells timers apart for retries)."""

    kind: str
    trustpoint: str
    due: datetime.datetime
    detail: str
    key: str


def retry_after(now: datetime.datetime, matters_at: datetime.datetime | None) -> datetime.datetime:
    """When a failed timer is tried again: a quarter of the time left, within RETRY_MIN..RETRY_MAX."""
    left = (matters_at - now) / 4 if matters_at is not None else RETRY_MAX
    return now + min(max(left, RETRY_MIN), RETRY_MAX)


def sha256_hex(cert: x509.Certificate) -> str:
    """A certificate's SHA-256 fingerprint in hex (how the state file names it)."""
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256()).hex()


class AgentSchedule:
    """The timers of one store for the agent. ``not_before``: timer key -> its retry time after a
    failure (this process); ``source_checked``: the CRLs already fetched again for a changed
    source (once per CRL per process)."""

    def __init__(self, pki: Pki, clock: Clock, state: AgentState) -> None:
        self.pki = pki
        self.clock = clock
        self.state = state
        self.not_before: dict[str, datetime.datetime] = {}
        self.source_checked: set[str] = set()

    def timers(self) -> list[Due]:
        """Every timer of the store as it is now, soonest first (a failed one at its retry time):
        ``pki.timers`` (renew, CRL refresh, poll, rollover) plus the agent's own CRL source checks
        and expiry warnings (``pki.timers`` lists the next warning ahead; the agent needs the one
        that just passed)."""
        from pkitui.core.timers import TimerKind

        now = self.clock.now()
        out = [Due(str(t.kind), t.trustpoint, t.due, t.detail, f"{t.kind} {t.trustpoint} {t.detail}")
               for t in self.pki.timers.list(now) if t.kind != TimerKind.EXPIRY]
        out += self._crl_source_timers(now)
        out += self._expiry_timers(now)
        return sorted((self._delayed(d) for d in out), key=lambda d: d.due)

    def _delayed(self, due: Due) -> Due:
        retry = self.not_before.get(due.key)
        held = {"next-ca": self._next_ca_retry, "renew": self._renew_hold}.get(due.kind)
        if held is not None and (until := held(due.trustpoint)) is not None and (retry is None or until > retry):
            retry = until
        if retry is not None and retry > due.due:
            return Due(due.kind, due.trustpoint, retry, due.detail, due.key)
        return due

    def _next_ca_retry(self, tp: str) -> datetime.datetime | None:
        tried = AgentState.instant(self.state.next_ca_tried.get(tp))
        return None if tried is None else tried + NEXT_CA_INTERVAL

    def _renew_hold(self, tp: str) -> datetime.datetime | None:
        return AgentState.instant(self.state.renew_held.get(tp))

    def _own_certificates(self) -> list[tuple[str, x509.Certificate]]:
        from cryptography import x509

        out = []
        for rec in self.pki.config.certificates:
            if rec.role == CertRole.DEVICE and rec.der is not None and not rec.orphaned \
                    and rec.trustpoint in self.pki.config.trustpoints:
                out.append((rec.trustpoint, x509.load_der_x509_certificate(rec.der)))
        return out

    def watched_certificates(self) -> list[tuple[str, x509.Certificate, str]]:
        """The certificates warned of before they expire, with what they are: our own, and each
        trustpoint's CA certificate unless its next one is held (the rollover replaces it)."""
        from cryptography import x509

        config = self.pki.config
        shadowed = {c.trustpoint for c in config.certificates if c.role == CertRole.CA_NEXT}
        out = [(tp, cert, "router certificate") for tp, cert in self._own_certificates()]
        for rec in config.certificates:
            if rec.role == CertRole.CA and rec.der is not None and rec.trustpoint in config.trustpoints \
                    and rec.trustpoint not in shadowed:
                out.append((rec.trustpoint, x509.load_der_x509_certificate(rec.der), "CA certificate"))
        return out

    def _crl_source_timers(self, now: datetime.datetime) -> list[Due]:
        """A held CRL whose trustpoint's CRL sources no longer include the one it came from
        (``crl query`` or the CDP changed) is fetched again at once (once per CRL per process)."""
        config = self.pki.config
        return [Due("crl-refresh", rec.trustpoint, now, f"source changed from {rec.source}",
                    f"crl-source {rec.trustpoint} {rec.sha256}")
                for rec in config.crls if rec.trustpoint in config.trustpoints
                and rec.sha256 not in self.source_checked and not self._source_current(rec)]

    def _source_current(self, rec: CrlRecord) -> bool:
        """Whether ``rec`` came from one of its trustpoint's CRL sources as configured now."""
        try:
            tp = self.pki.trustpoints.get(rec.trustpoint)
            sources = self.pki.revocation.crl_sources(tp.name)
        except PkiError:
            return True  # nothing to fetch from: the nextUpdate timer reports it
        return not sources or rec.source in sources

    def _expiry_timers(self, now: datetime.datetime) -> list[Due]:
        """Each own certificate's expiry warning (the rule of ``show crypto pki timers``): the
        point reached, unless it was warned of (in this run or an earlier one); else the next."""
        from pkitui.core.timers import expiry_warning_reached, expiry_warning_time

        out = []
        for name, cert, _ in self.watched_certificates():
            end = cert.not_valid_after_utc
            fingerprint = sha256_hex(cert)
            when, _ = expiry_warning_reached(end, now)
            if self.state.warned.get(fingerprint) == when.isoformat():
                upcoming = expiry_warning_time(end, now)
                if upcoming is None:
                    continue  # reported expired already
                when = upcoming[0]
            out.append(Due("expiry", name, when, f"serial {cert.serial_number:X} expires {end:%Y-%m-%d %H:%M} UTC",
                           f"expiry {fingerprint}"))
        return out

    def matters_at(self, timer: Due) -> datetime.datetime | None:
        """When a failed timer's work matters (a CRL refresh: the held CRLs' nextUpdate), which
        sets how soon it is tried again; None: the default retry."""
        if timer.kind == "crl-refresh":
            ends = [datetime.datetime.fromisoformat(r.next_update) for r in self.pki.config.crls
                    if r.trustpoint == timer.trustpoint and r.next_update]
            return min(ends) if ends else None
        return None
