"""``pkitui agent``'s core: IOS's PKI timers, run by a long-lived process (or once, from cron or a
systemd timer) beside the console and ``pkitui exec`` on the same store.

:meth:`Agent.run_once` does what is due now, in IOS's order: renew (``auto-enroll``), poll
pending requests, refresh each held CRL before its nextUpdate (and when the trustpoint's CRL
sources changed), fetch the CA's next certificate (GetNextCACert) and switch to it at the old
one's end (rollover), warn before a certificate expires, then deploy (idempotent: only what
changed is written). :meth:`Agent.next_wake` says when the
next thing is due. Each operation first takes over what other sessions saved (``Pki.refresh``)
and saves only what it produced (``Pki.save_objects``, or the pending journal), so a console or
script working on the same store loses nothing. A failure is an event, retried later (backing off,
never in a loop); nothing is raised.

What the agent must remember from one run to the next (``--once`` from cron starts afresh each
time) is kept in ``STORE/agent/state.json`` (:class:`AgentState`, written atomically): the expiry
warnings given (one per point of :func:`pkitui.core.timers.expiry_warning_reached`, the rule
``show crypto pki timers`` shows), when the next CA certificate was last asked for (at most once a
day) and a renewal held back because the certificate the CA issued was already due again.

What happened is a list of typed :class:`AgentEvent` (severity 3 error, 4 warning, 6 info): the
IOS layer words them as ``%PKI-...`` lines (:mod:`pkitui.ios.syslog`); the core never does.
"""

from __future__ import annotations

import datetime
import enum
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pkitui.core import merge
from pkitui.core.clock import Clock
from pkitui.core.errors import PkiError, VerificationError
from pkitui.core.records import CertRole, CrlRecord

if TYPE_CHECKING:
    from pathlib import Path

    from cryptography import x509

    from pkitui.core.deploy import DeployReport
    from pkitui.core.pki import Pki
    from pkitui.core.scep.enroll import EnrollmentEvent

ERROR, WARNING, INFO = 3, 4, 6

# After a failure (or a CRL that was not newer), the same thing is tried again after a quarter of
# the time left before it matters, within these bounds: never a loop, never days of silence.
RETRY_MIN = datetime.timedelta(minutes=5)
RETRY_MAX = datetime.timedelta(hours=1)
# GetNextCACert is asked for at most this often while no next CA certificate is held.
NEXT_CA_INTERVAL = datetime.timedelta(days=1)
# A renewal whose new certificate is already due again (the CA cut it short, a tiny PERCENT, or
# our clock ahead of the CA's) waits this share of the new certificate's lifetime (at least the
# trustpoint's retry period) before the next one.
RENEW_HOLD_FRACTION = 0.10
STATE_DIR = "agent"  # STORE/agent/state.json


class AgentEventKind(enum.StrEnum):
    """What one agent event reports."""

    CERT_ISSUED = "cert_issued"
    CERT_PENDING = "cert_pending"
    CERT_REJECTED = "cert_rejected"
    POLL_FAILED = "poll_failed"
    RENEWING = "renewing"
    RENEW_FAILED = "renew_failed"
    CRL_FETCHED = "crl_fetched"
    CRL_NOT_NEWER = "crl_not_newer"
    CRL_FETCH_FAILED = "crl_fetch_failed"
    CERT_EXPIRING = "cert_expiring"
    CERT_EXPIRED = "cert_expired"
    ROLLOVER_INSTALLED = "rollover_installed"
    ROLLOVER_ACTIVE = "rollover_active"
    ROLLOVER_FAILED = "rollover_failed"
    RENEW_HELD = "renew_held"
    DEPLOYED = "deployed"
    DEPLOY_FAILED = "deploy_failed"
    SAVE_CONFLICT = "save_conflict"
    STORE_ERROR = "store_error"


@dataclass(frozen=True)
class AgentEvent:
    """One thing the agent did or found: ``severity`` 3 (error), 4 (warning) or 6 (info);
    ``data`` is JSON-ready (``pkitui agent --json``)."""

    kind: AgentEventKind
    severity: int
    trustpoint: str | None
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """True for an error (``pkitui agent --once`` then exits 1)."""
        return self.severity <= ERROR


@dataclass(frozen=True)
class Due:
    """One timer of the agent's own schedule: ``kind`` (renew, poll, crl, expiry), the trustpoint,
    when it fires and what it concerns (``key`` tells timers apart for retries)."""

    kind: str
    trustpoint: str
    due: datetime.datetime
    detail: str
    key: str


class AgentState:
    """What the agent remembers across runs, in ``STATE_DIR/state.json`` of the store (0600,
    replaced atomically): ``warned`` (certificate SHA-256 -> the expiry warning point last warned
    of), ``next_ca_tried`` (trustpoint -> when GetNextCACert was last asked) and ``renew_held``
    (trustpoint -> until when a renewal is held back). An unreadable file counts as empty (at
    worst a warning is given again)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "state.json"
        self.warned: dict[str, str] = {}
        self.next_ca_tried: dict[str, str] = {}
        self.renew_held: dict[str, str] = {}
        self.load()

    def load(self) -> None:
        """Read the file again (another run may have written it)."""
        try:
            doc = json.loads(self.path.read_text())
        except (OSError, ValueError):
            doc = {}
        doc = doc if isinstance(doc, dict) else {}
        for name in ("warned", "next_ca_tried", "renew_held"):
            value = doc.get(name)
            setattr(self, name, {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {})

    def save(self) -> None:
        """Write it (atomically); an OSError is the caller's to report."""
        from pkitui.core.store import atomic_write

        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        doc = {"warned": self.warned, "next_ca_tried": self.next_ca_tried, "renew_held": self.renew_held}
        atomic_write(self.path, json.dumps(doc, indent=1, sort_keys=True).encode(), 0o600)

    @staticmethod
    def instant(text: str | None) -> datetime.datetime | None:
        """A stored time (None when missing or unreadable)."""
        try:
            return datetime.datetime.fromisoformat(text) if text else None
        except ValueError:
            return None


def _retry_after(now: datetime.datetime, matters_at: datetime.datetime | None) -> datetime.datetime:
    """When a failed timer is tried again: a quarter of the time left, within RETRY_MIN..RETRY_MAX."""
    left = (matters_at - now) / 4 if matters_at is not None else RETRY_MAX
    return now + min(max(left, RETRY_MIN), RETRY_MAX)


class Agent:
    """The PKI timers of one store. ``clock`` (default the store's) is the time they run by."""

    def __init__(self, pki: Pki, clock: Clock | None = None) -> None:
        self.pki = pki
        self.clock = clock or pki.clock
        self._not_before: dict[str, datetime.datetime] = {}  # timer key -> retry time after a failure
        self._source_checked: set[str] = set()  # CRLs already refetched for a changed source
        self.state = AgentState(pki.store.root / STATE_DIR)

    # -- the schedule -----------------------------------------------------------------------------
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
        retry = self._not_before.get(due.key)
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

    def next_wake(self) -> datetime.datetime | None:
        """When the next timer fires (None: nothing is scheduled)."""
        timers = self.timers()
        return timers[0].due if timers else None

    def _own_certificates(self) -> list[tuple[str, x509.Certificate]]:
        from cryptography import x509

        out = []
        for rec in self.pki.config.certificates:
            if rec.role == CertRole.DEVICE and rec.der is not None and not rec.orphaned \
                    and rec.trustpoint in self.pki.config.trustpoints:
                out.append((rec.trustpoint, x509.load_der_x509_certificate(rec.der)))
        return out

    def _watched_certificates(self) -> list[tuple[str, x509.Certificate, str]]:
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
                and rec.sha256 not in self._source_checked and not self._source_current(rec)]

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
        for name, cert, _ in self._watched_certificates():
            end = cert.not_valid_after_utc
            fingerprint = cert.fingerprint(_sha256()).hex()
            when, _ = expiry_warning_reached(end, now)
            if self.state.warned.get(fingerprint) == when.isoformat():
                upcoming = expiry_warning_time(end, now)
                if upcoming is None:
                    continue  # reported expired already
                when = upcoming[0]
            out.append(Due("expiry", name, when, f"serial {cert.serial_number:X} expires {end:%Y-%m-%d %H:%M} UTC",
                           f"expiry {fingerprint}"))
        return out

    # -- running ----------------------------------------------------------------------------------
    def run_once(self, cancel: threading.Event | None = None) -> list[AgentEvent]:
        """Do what is due now; the events, in order. ``cancel`` stops waits (a stop signal)."""
        stop = cancel or threading.Event()
        events: list[AgentEvent] = []
        refreshed = self._refresh(events)
        if not refreshed:
            return events
        self.state.load()  # what earlier runs (another process) remembered; saved at the end of this one
        now = self.clock.now()
        due = [d for d in self.timers() if d.due <= now]
        handlers: dict[str, Callable[[Due, list[AgentEvent]], None]] = {
            "renew": self._renew, "poll": self._poll, "crl-refresh": self._refresh_crl,
            "next-ca": self._fetch_next_ca, "rollover": self._rollover, "expiry": self._warn_expiry}
        done: set[tuple[str, str]] = set()
        for kind in ("renew", "poll", "crl-refresh", "next-ca", "rollover", "expiry"):
            for timer in (d for d in due if d.kind == kind):
                if kind in ("renew", "crl-refresh", "next-ca", "rollover"):  # once per trustpoint
                    if (kind, timer.trustpoint) in done:
                        continue
                    done.add((kind, timer.trustpoint))
                if stop.is_set():
                    return events
                before = len(events)
                try:
                    if self._refresh(events):
                        handlers[kind](timer, events)
                except merge.SaveConflict as exc:
                    events.append(AgentEvent(AgentEventKind.SAVE_CONFLICT, ERROR, timer.trustpoint,
                                             f"{exc.message}; tried again at the next run", {"timer": timer.key}))
                except PkiError as exc:
                    events.append(self._failure_event(timer, exc.message))
                if any(e.failed or e.kind == AgentEventKind.CRL_NOT_NEWER for e in events[before:]):
                    self._not_before[timer.key] = _retry_after(now, self._matters_at(timer))
                else:
                    self._not_before.pop(timer.key, None)
        self._save_state(events)
        self._deploy(events)
        return events

    def _save_state(self, events: list[AgentEvent]) -> None:
        """Keep what the next run must know; entries of certificates and trustpoints no longer
        held are dropped."""
        now = self.clock.now()
        held = {c.fingerprint(_sha256()).hex() for _, c, _ in self._watched_certificates()}
        state = self.state
        state.warned = {k: v for k, v in state.warned.items() if k in held}
        tps = self.pki.config.trustpoints
        state.next_ca_tried = {k: v for k, v in state.next_ca_tried.items() if k in tps}
        state.renew_held = {k: v for k, v in state.renew_held.items()
                            if k in tps and (AgentState.instant(v) or now) > now}
        try:
            state.save()
        except OSError as exc:
            events.append(AgentEvent(AgentEventKind.STORE_ERROR, ERROR, None,
                                     f"Cannot write the agent's state {state.path}: {exc.strerror}",
                                     {"reason": str(exc.strerror), "path": str(state.path)}))

    def _matters_at(self, timer: Due) -> datetime.datetime | None:
        if timer.kind == "crl-refresh":
            ends = [datetime.datetime.fromisoformat(r.next_update) for r in self.pki.config.crls
                    if r.trustpoint == timer.trustpoint and r.next_update]
            return min(ends) if ends else None
        return None

    def _failure_event(self, timer: Due, reason: str) -> AgentEvent:
        kinds = {"renew": AgentEventKind.RENEW_FAILED, "poll": AgentEventKind.POLL_FAILED,
                 "crl-refresh": AgentEventKind.CRL_FETCH_FAILED, "rollover": AgentEventKind.ROLLOVER_FAILED}
        kind = kinds.get(timer.kind, AgentEventKind.STORE_ERROR)
        if kind == AgentEventKind.CRL_FETCH_FAILED:
            text = f"CRL fetch for trustpoint {timer.trustpoint} failed. Reason: {reason}"
        elif kind == AgentEventKind.RENEW_FAILED:
            text = f"Certificate renewal failed for trustpoint {timer.trustpoint}. Reason: {reason}"
        else:
            text = f"{timer.kind} for trustpoint {timer.trustpoint} failed: {reason}"
        return AgentEvent(kind, ERROR, timer.trustpoint, text, {"timer": timer.key, "reason": reason})

    def _refresh(self, events: list[AgentEvent]) -> bool:
        """Take over what other sessions saved (and their pending transactions); False when the
        store cannot be read (reported)."""
        try:
            self.pki.refresh()
            with self.pki.lock:
                self.pki.pending_book.reload()
        except PkiError as exc:
            events.append(AgentEvent(AgentEventKind.STORE_ERROR, ERROR, None,
                                     f"Cannot read the store: {exc.message}", {"reason": exc.message}))
            return False
        return True

    # -- renew --------------------------------------------------------------------------------------
    def _renew(self, timer: Due, events: list[AgentEvent]) -> None:
        from pkitui.core.renewal import RenewalOutcome

        events.append(AgentEvent(AgentEventKind.RENEWING, INFO, timer.trustpoint,
                                 f"Renewing the router certificate for trustpoint {timer.trustpoint}",
                                 {"timer": timer.detail}))
        result = self.pki.renewal.renew(timer.trustpoint)
        for enrollment in result.enrollments:
            event = _enrollment_result_event(enrollment)
            if event is not None:
                events.append(event)
        if result.outcome == RenewalOutcome.FAILED:
            events.append(self._failure_event(timer, result.message))
        elif result.outcome == RenewalOutcome.RENEWED:
            self._hold_if_due_again(timer.trustpoint, result.certificates, events)

    def _hold_if_due_again(self, tp: str, issued: list[x509.Certificate], events: list[AgentEvent]) -> None:
        """A renewal whose new certificate is already due again (cut short by the CA's own expiry,
        a tiny PERCENT, our clock ahead of the CA's) would renew at every run: the next one waits
        RENEW_HOLD_FRACTION of the new certificate's lifetime, at least the retry period (said once)."""
        now = self.clock.now()
        due = self.pki.renewal.due(tp)
        if due is None or due > now or not issued:
            return
        lifetime = min(c.not_valid_after_utc - c.not_valid_before_utc for c in issued)
        period = datetime.timedelta(minutes=self.pki.config.trustpoints[tp].enrollment_retry_period)
        until = now + max(lifetime * RENEW_HOLD_FRACTION, period)
        self.state.renew_held[tp] = until.isoformat()
        events.append(AgentEvent(AgentEventKind.RENEW_HELD, WARNING, tp,
                                 f"The certificate issued for trustpoint {tp} was due for renewal again at once "
                                 f"(due {due:%Y-%m-%d %H:%M:%S} UTC, valid until "
                                 f"{min(c.not_valid_after_utc for c in issued):%Y-%m-%d %H:%M:%S} UTC); "
                                 f"not renewed again before {until:%Y-%m-%d %H:%M:%S} UTC",
                                 {"due": due.isoformat(), "held_until": until.isoformat(),
                                  "lifetime_seconds": lifetime.total_seconds()}))

    # -- poll ---------------------------------------------------------------------------------------
    def _poll(self, timer: Due, events: list[AgentEvent]) -> None:
        """Poll one pending transaction once (its journal entry then holds the next poll's time)."""
        failures: list[str] = []

        def on_event(ev: EnrollmentEvent) -> None:
            if ev.message.startswith("poll failed"):
                failures.append(ev.message.removeprefix("poll failed: "))

        tid = timer.detail.split()[1]  # "PKCSReq TID (key pair ...)"
        result = self.pki.scep.poll_once(tid, on_event)
        if result is None:
            return  # another session ended it
        if failures and result.state == "pending":
            events.append(self._failure_event(timer, "; ".join(failures)))
            return
        event = _enrollment_result_event(result)
        if event is not None:
            events.append(event)

    # -- CRLs ---------------------------------------------------------------------------------------
    def _refresh_crl(self, timer: Due, events: list[AgentEvent]) -> None:
        """``crypto pki crl request TP``; only the CRL records that changed are saved."""
        pki = self.pki
        config = pki.config
        name = timer.trustpoint
        held = {r.sha256 for r in config.crls if r.trustpoint == name}
        self._source_checked.update(held)
        before = {merge.object_name("crls", r.to_doc()): r for r in config.crls}
        info = pki.revocation.request_crl(name)
        with pki.lock:
            after = {merge.object_name("crls", r.to_doc()): r for r in config.crls}
            changed = [n for n in set(before) | set(after) if before.get(n) != after.get(n)]
            if changed:
                pki.save_objects(sorted(changed))
                self._drop_unused_files([r for n, r in before.items() if n not in after])
        self._source_checked.add(info.sha256)
        data = {"source": info.source, "issuer": info.issuer, "crl_number": info.crl_number, "entries": info.entries,
                "this_update": info.this_update.isoformat(),
                "next_update": info.next_update.isoformat() if info.next_update else None, "sha256": info.sha256}
        if info.sha256 in held or not changed:
            expired = info.next_update is not None and self.clock.now() >= info.next_update
            events.append(AgentEvent(AgentEventKind.CRL_NOT_NEWER, WARNING if expired else INFO, name,
                                     f"CRL request for trustpoint {name} from {info.source}: not newer than the CRL "
                                     f"held (number {info.crl_number}); tried again later", data))
            return
        until = f", next update {info.next_update:%Y-%m-%d %H:%M} UTC" if info.next_update else ""
        events.append(AgentEvent(AgentEventKind.CRL_FETCHED, INFO, name,
                                 f"CRL request for trustpoint {name} from {info.source}: {info.issuer}, number "
                                 f"{info.crl_number}, {info.entries:,} entries{until}", data))

    # -- next CA certificate (GetNextCACert) -------------------------------------------------------
    def _fetch_next_ca(self, timer: Due, events: list[AgentEvent]) -> None:
        """Ask the CA for its next certificate (at most once a day). Not offered yet (an HTTP
        error, no answer) is quiet: asked again tomorrow; a reply that fails a check (not signed
        by the current CA, not chaining) is an error and nothing of it is kept."""
        pki = self.pki
        name = timer.trustpoint
        self.state.next_ca_tried[name] = self.clock.now().isoformat()
        try:
            with pki.lock:
                before = {merge.object_name("certificates", c.to_doc()) for c in pki.config.certificates}
                new = pki.ca_trust.fetch_next_ca(name)
                after = {merge.object_name("certificates", c.to_doc()) for c in pki.config.certificates}
                pki.save_objects(sorted(before ^ after))
        except VerificationError as exc:
            events.append(AgentEvent(AgentEventKind.ROLLOVER_FAILED, ERROR, name,
                                     f"The next CA certificate offered to trustpoint {name} was refused: "
                                     f"{exc.message}; nothing kept, asked again in a day",
                                     {"check": exc.check, "reason": exc.message}))
            return
        except PkiError:
            return  # not offered yet (or the CA is unreachable): asked again in a day
        events.append(AgentEvent(AgentEventKind.ROLLOVER_INSTALLED, INFO, name,
                                 f"A rollover CA certificate has been installed under trustpoint {name} (serial "
                                 f"{new.serial_number:X}, valid from {new.not_valid_before_utc:%Y-%m-%d %H:%M} UTC)",
                                 {"serial": f"{new.serial_number:X}",
                                  "not_before": new.not_valid_before_utc.isoformat(),
                                  "not_after": new.not_valid_after_utc.isoformat()}))

    # -- rollover -----------------------------------------------------------------------------------
    def _rollover(self, timer: Due, events: list[AgentEvent]) -> None:
        """The shadow CA certificate (GetNextCACert) becomes the trustpoint's CA certificate."""
        pki = self.pki
        with pki.lock:
            before = {merge.object_name("certificates", c.to_doc()) for c in pki.config.certificates}
            new = pki.ca_trust.switch_to_next(timer.trustpoint)
            after = {merge.object_name("certificates", c.to_doc()) for c in pki.config.certificates}
            pki.save_objects(sorted(before ^ after))
        events.append(AgentEvent(AgentEventKind.ROLLOVER_ACTIVE, INFO, timer.trustpoint,
                                 f"A rollover CA certificate has been activated under trustpoint {timer.trustpoint} "
                                 f"(serial {new.serial_number:X}, valid until {new.not_valid_after_utc:%Y-%m-%d} UTC)",
                                 {"serial": f"{new.serial_number:X}",
                                  "not_after": new.not_valid_after_utc.isoformat()}))

    def _drop_unused_files(self, replaced: list[CrlRecord]) -> None:
        """The NVRAM files of CRLs this refresh replaced (a full save would remove them; the agent
        saves only what it produced)."""
        store = self.pki.store
        held = {r.file for r in self.pki.config.crls}
        for rec in replaced:
            if rec.in_nvram and rec.file not in held:
                (store.crl_dir / rec.file).unlink(missing_ok=True)

    # -- expiry -------------------------------------------------------------------------------------
    def _warn_expiry(self, timer: Due, events: list[AgentEvent]) -> None:
        from pkitui.core.timers import expiry_warning_reached

        now = self.clock.now()
        found = next(((c, what) for n, c, what in self._watched_certificates()
                      if n == timer.trustpoint and f"expiry {c.fingerprint(_sha256()).hex()}" == timer.key), None)
        if found is None:
            return
        cert, what = found
        end = cert.not_valid_after_utc
        self.state.warned[cert.fingerprint(_sha256()).hex()] = expiry_warning_reached(end, now)[0].isoformat()
        ours = what == "router certificate"
        data = {"certificate": "router" if ours else "ca", "serial": f"{cert.serial_number:X}",
                "not_after": end.isoformat(), "issuer": cert.issuer.rfc4514_string(),
                "auto_enroll": self.pki.config.trustpoints[timer.trustpoint].auto_enroll is not None}
        if now >= end:
            events.append(AgentEvent(AgentEventKind.CERT_EXPIRED, ERROR, timer.trustpoint,
                                     f"The {what} of trustpoint {timer.trustpoint} (serial "
                                     f"{cert.serial_number:X}) expired on {end:%Y-%m-%d %H:%M} UTC", data))
            return
        days = (end - now).days
        after = (f"; auto-enroll {'on' if data['auto_enroll'] else 'off'}" if ours
                 else "; no next CA certificate held (GetNextCACert)")
        events.append(AgentEvent(AgentEventKind.CERT_EXPIRING, WARNING, timer.trustpoint,
                                 f"The {what} of trustpoint {timer.trustpoint} (serial "
                                 f"{cert.serial_number:X}, issuer {cert.issuer.rfc4514_string()}) expires in {days} "
                                 f"day(s), on {end:%Y-%m-%d %H:%M} UTC{after}", data | {"days_left": days}))

    # -- deploy -------------------------------------------------------------------------------------
    def _deploy(self, events: list[AgentEvent]) -> None:
        if not self._refresh(events):
            return
        try:
            reports = self.pki.deployment.deploy_all()
        except PkiError as exc:
            events.append(AgentEvent(AgentEventKind.DEPLOY_FAILED, ERROR, None, f"Deployment failed: {exc.message}",
                                     {"reason": exc.message}))
            return
        for report in reports:
            events += _deploy_events(report)


def _sha256() -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def _enrollment_result_event(result: Any) -> AgentEvent | None:
    """The event of an enrollment's (or renewal's) result."""
    tp, key = result.trustpoint, result.key_id
    data = {"key_pair": key, "transaction_id": result.transaction_id, "message_type": result.message_type}
    if result.state == "issued":
        data["serial"] = result.serial_hex
        return AgentEvent(AgentEventKind.CERT_ISSUED, INFO, tp, f"Certificate received from Certificate Authority "
                          f"(trustpoint {tp}, key pair {key}, serial {result.serial_hex})", data)
    if result.state == "pending":
        return AgentEvent(AgentEventKind.CERT_PENDING, INFO, tp, f"Enrollment request pending at the Certificate "
                          f"Authority (trustpoint {tp}, key pair {key}): {result.message}", data)
    if result.state == "failed":
        data["fail_info"] = result.fail_info
        return AgentEvent(AgentEventKind.CERT_REJECTED, ERROR, tp, f"Certificate enrollment request was rejected by "
                          f"Certificate Authority (trustpoint {tp}, key pair {key}): {result.message}", data)
    return None


def _deploy_events(report: DeployReport) -> list[AgentEvent]:
    """The events of one deployment (``pki.deployment.deploy_all``): what it wrote and ran, what
    was refused (a revoked or expired certificate of ours) or why it failed."""
    tp, data = report.trustpoint, report.as_json()
    events = []
    if report.refused:
        events.append(AgentEvent(AgentEventKind.DEPLOY_FAILED, ERROR, tp,
                                 f"Trustpoint {tp} not deployed: {report.refused}", data))
    if report.error or report.command_ok is False:
        why = report.error or f"command {' '.join(report.command or [])} failed"
        events.append(AgentEvent(AgentEventKind.DEPLOY_FAILED, ERROR, tp,
                                 f"Deployment of trustpoint {tp} failed: {why}; tried again at the next run", data))
    elif report.changed or report.commands:
        files = ", ".join(str(p) for p in report.changed) or "no file changed"
        ran = f"; ran {'; '.join(' '.join(c) for c in report.commands)}" if report.commands else ""
        events.append(AgentEvent(AgentEventKind.DEPLOYED, INFO, tp, f"Trustpoint {tp} deployed: {files}{ran}", data))
    return events
