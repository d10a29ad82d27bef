"""``pkitui agent``'s core: IOS's PKI timers, run by a long-lived process (or once, from cron or a
systemd timer) beside the console and ``pkitui exec`` on the same store.

:meth:`Agent.run_once` does what is due now, in IOS's order: renew (``auto-enroll``), poll
pending requests, refresh each held CRL before its nextUpdate (and when the trustpoint's CRL
sources changed), fetch the CA's next certificate (GetNextCACert) and switch to it at the old
one's end (rollover), warn before a certificate expires, then deploy (idempotent: only what
changed is written; a certificate of ours refused as revoked or expired is reported once per CRL,
and a revoked one is not renewed: the CA revoked it on purpose, enrolling again is the
administrator's decision, as on IOS). :meth:`Agent.next_wake` says when the
next thing is due. Each operation first takes over what other sessions saved (``Pki.refresh``)
and saves only what it produced (``Pki.save_objects``, or the pending journal), so a console or
script working on the same store loses nothing. A failure is an event, retried later (backing off,
never in a loop); nothing is raised.

This module is the loop; the rest lives beside it: when each timer fires in
:mod:`~pkitui.core.agent_schedule`, what the agent remembers across runs (``STORE/agent/state.json``)
in :mod:`~pkitui.core.agent_state`, the steps in :mod:`~pkitui.core.agent_renewal` (renew, hold
back, poll), :mod:`~pkitui.core.agent_crl`, :mod:`~pkitui.core.agent_rollover` (GetNextCACert,
switch) and :mod:`~pkitui.core.agent_expiry`. What happened is a list of typed
:class:`~pkitui.core.agent_events.AgentEvent` (severity 3 error, 4 warning, 6 info): the IOS layer
words them as ``%PKI-...`` lines (:mod:`pkitui.ios.syslog`); the core never does.
"""

from __future__ import annotations

import datetime
import hashlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from pkitui.core import merge
from pkitui.core.agent_crl import refresh_crl
from pkitui.core.agent_events import (
    ERROR,
    INFO,
    AgentEvent,
    AgentEventKind,
    deploy_events,
    failure_event,
    refusal_event,
)
from pkitui.core.agent_expiry import warn_expiry
from pkitui.core.agent_renewal import poll, renew
from pkitui.core.agent_rollover import fetch_next_ca, rollover
from pkitui.core.agent_schedule import AgentSchedule, Due, retry_after, sha256_hex
from pkitui.core.agent_state import STATE_DIR, AgentState
from pkitui.core.errors import PkiError

if TYPE_CHECKING:
    from pkitui.core.clock import Clock
    from pkitui.core.pki import Pki


MAX_SLEEP = 3600.0  # the foreground agent reads the store again within the hour (its start line says so)
MIN_SLEEP = 10.0  # never a loop, even when a timer stays due


# What each timer of the schedule is called in the agent's start line.
TIMER_WORDS = {"renew": "renewal", "poll": "poll", "crl-refresh": "CRL refresh", "next-ca": "next CA certificate fetch",
               "rollover": "CA rollover", "expiry": "expiry warning"}


def _left(delta: datetime.timedelta) -> str:
    """A time left, to the minute: 255d 03h, 4h 12m, 7m."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{days}d {hours:02d}h" if days else f"{hours}h {mins:02d}m" if hours else f"{mins}m"


class Agent:
    """The PKI timers of one store. ``clock`` (default the store's) is the time they run by."""

    def __init__(self, pki: Pki, clock: Clock | None = None) -> None:
        self.pki = pki
        self.clock = clock or pki.clock
        self.state = AgentState(pki.store.root / STATE_DIR)
        self.schedule = AgentSchedule(pki, self.clock, self.state)

    # -- the schedule -----------------------------------------------------------------------------
    def timers(self) -> list[Due]:
        """Every timer of the store as it is now, soonest first (a failed one at its retry time):
        ``pki.timers`` (renew, CRL refresh, poll, rollover) plus the agent's own CRL source checks
        and expiry warnings (``pki.timers`` lists the next warning ahead; the agent needs the one
        that just passed); see :mod:`pkitui.core.agent_schedule`."""
        return self.schedule.timers()

    def next_wake(self) -> datetime.datetime | None:
        """When the next timer fires (None: nothing is scheduled)."""
        timers = self.timers()
        return timers[0].due if timers else None

    def sleep_seconds(self) -> float:
        """How long the foreground agent sleeps before it runs again: until :meth:`next_wake`, at
        least :data:`MIN_SLEEP`, at most :data:`MAX_SLEEP`."""
        wake = self.next_wake()
        delay = MAX_SLEEP if wake is None else (wake - self.clock.now()).total_seconds()
        return min(max(delay, MIN_SLEEP), MAX_SLEEP)

    # -- the foreground agent's own lines -------------------------------------------------------------
    def started_event(self) -> AgentEvent:
        """What the foreground agent says when it starts: its store, how many trustpoints, and the
        next timer (what fires, for which trustpoint, when)."""
        tps = len(self.pki.config.trustpoints)
        timers = self.timers()
        where = f"store {self.pki.store.root}, {tps} trustpoint{'' if tps == 1 else 's'}"
        data: dict[str, object] = {"store": str(self.pki.store.root), "trustpoints": tps}
        if not timers:
            return AgentEvent(AgentEventKind.AGENT_START, INFO, None,
                              f"PKI agent started ({where}); no timer is set: the store is read again within "
                              "the hour", data)
        first = timers[0]
        now = self.clock.now()
        when = "now" if first.due <= now else f"at {first.due:%Y-%m-%d %H:%M:%S} UTC (in {_left(first.due - now)})"
        data.update(next_timer=first.kind, next_trustpoint=first.trustpoint, next_due=first.due.isoformat())
        return AgentEvent(AgentEventKind.AGENT_START, INFO, None,
                          f"PKI agent started ({where}); next timer: {TIMER_WORDS.get(first.kind, first.kind)} of "
                          f"trustpoint {first.trustpoint} {when}", data)

    @staticmethod
    def signal_event(name: str, *, stopping: bool) -> AgentEvent:
        """What the foreground agent says on a signal: SIGHUP runs the timers now, SIGTERM and SIGINT
        stop it."""
        if stopping:
            return AgentEvent(AgentEventKind.AGENT_STOP, INFO, None, f"{name} received: PKI agent stopping",
                              {"signal": name})
        return AgentEvent(AgentEventKind.AGENT_RUN_NOW, INFO, None, f"{name} received: running the PKI timers now",
                          {"signal": name})

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
        pki, clock, state, schedule = self.pki, self.clock, self.state, self.schedule
        handlers: dict[str, Callable[[Due, list[AgentEvent]], None]] = {
            "renew": lambda t, ev: renew(pki, clock, state, t, ev),
            "poll": lambda t, ev: poll(pki, t, ev),
            "crl-refresh": lambda t, ev: refresh_crl(pki, clock, schedule.source_checked, t, ev),
            "next-ca": lambda t, ev: fetch_next_ca(pki, clock, state, t, ev),
            "rollover": lambda t, ev: rollover(pki, t, ev),
            "expiry": lambda t, ev: warn_expiry(pki, clock, state, schedule.watched_certificates(), t, ev)}
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
                    events.append(failure_event(timer, exc.message))
                if any(e.failed or e.kind == AgentEventKind.CRL_NOT_NEWER for e in events[before:]):
                    schedule.not_before[timer.key] = retry_after(now, schedule.matters_at(timer))
                else:
                    schedule.not_before.pop(timer.key, None)
        self._deploy(events)
        self._save_state(events)
        return events

    def _save_state(self, events: list[AgentEvent]) -> None:
        """Keep what the next run must know; entries of certificates and trustpoints no longer
        held are dropped."""
        now = self.clock.now()
        held = {sha256_hex(c) for _, c, _ in self.schedule.watched_certificates()}
        state = self.state
        state.warned = {k: v for k, v in state.warned.items() if k in held}
        tps = self.pki.config.trustpoints
        state.next_ca_tried = {k: v for k, v in state.next_ca_tried.items() if k in tps}
        state.renew_held = {k: v for k, v in state.renew_held.items()
                            if k in tps and (AgentState.instant(v) or now) > now}
        state.refused = {k: v for k, v in state.refused.items() if k in tps}
        try:
            state.save()
        except OSError as exc:
            events.append(AgentEvent(AgentEventKind.STORE_ERROR, ERROR, None,
                                     f"Cannot write the agent's state {state.path}: {exc.strerror}",
                                     {"reason": str(exc.strerror), "path": str(state.path)}))

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
            if report.refused is None:
                self.state.refused.pop(report.trustpoint, None)
                events += deploy_events(report)
                continue
            # Once per refusal and CRL: a newer CRL still revoking us is said again, a rerun is not.
            crls = sorted(r.sha256 for r in self.pki.config.crls if r.trustpoint == report.trustpoint)
            said = hashlib.sha256("\n".join([report.refused, *crls]).encode()).hexdigest()
            if self.state.refused.get(report.trustpoint) != said:
                self.state.refused[report.trustpoint] = said
                events.append(refusal_event(report))
            else:
                events += deploy_events(report)  # said already: only what was written (the CA, a CRL)
