"""``pkitui agent``'s renewal steps: renew a certificate when its ``auto-enroll`` point passed,
poll a pending request, and hold a renewal back whose new certificate was already due again.

Renewal itself is the core's (:mod:`pkitui.core.renewal`); the agent calls it on its timer and says
what happened as :class:`~pkitui.core.agent_events.AgentEvent`.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from pkitui.core.agent_events import (
    INFO,
    WARNING,
    AgentEvent,
    AgentEventKind,
    enrollment_result_event,
    failure_event,
)

if TYPE_CHECKING:
    from cryptography import x509

    from pkitui.core.agent_schedule import Due
    from pkitui.core.agent_state import AgentState
    from pkitui.core.clock import Clock
    from pkitui.core.pki import Pki
    from pkitui.core.scep.enroll import EnrollmentEvent

# A renewal whose new certificate is already due again (the CA cut it short, a tiny PERCENT, or
# our clock ahead of the CA's) waits this share of the new certificate's lifetime (at least the
# trustpoint's retry period) before the next one.
RENEW_HOLD_FRACTION = 0.10


def renew(pki: Pki, clock: Clock, state: AgentState, timer: Due, events: list[AgentEvent]) -> None:
    """Renew ``timer``'s trustpoint (``pki.renewal.renew``); a renewal due again at once is held back."""
    from pkitui.core.renewal import RenewalOutcome

    events.append(AgentEvent(AgentEventKind.RENEWING, INFO, timer.trustpoint,
                             f"Renewing the router certificate for trustpoint {timer.trustpoint}",
                             {"timer": timer.detail}))
    result = pki.renewal.renew(timer.trustpoint)
    for enrollment in result.enrollments:
        event = enrollment_result_event(enrollment)
        if event is not None:
            events.append(event)
    if result.outcome == RenewalOutcome.FAILED:
        events.append(failure_event(timer, result.message))
    elif result.outcome == RenewalOutcome.RENEWED:
        _hold_if_due_again(pki, clock, state, timer.trustpoint, result.certificates, events)


def _hold_if_due_again(pki: Pki, clock: Clock, state: AgentState, tp: str, issued: list[x509.Certificate],
                       events: list[AgentEvent]) -> None:
    """A renewal whose new certificate is already due again (cut short by the CA's own expiry,
    a tiny PERCENT, our clock ahead of the CA's) would renew at every run: the next one waits
    RENEW_HOLD_FRACTION of the new certificate's lifetime, at least the retry period (said once)."""
    now = clock.now()
    due = pki.renewal.due(tp)
    if due is None or due > now or not issued:
        return
    lifetime = min(c.not_valid_after_utc - c.not_valid_before_utc for c in issued)
    period = datetime.timedelta(minutes=pki.config.trustpoints[tp].enrollment_retry_period)
    until = now + max(lifetime * RENEW_HOLD_FRACTION, period)
    state.renew_held[tp] = until.isoformat()
    events.append(AgentEvent(AgentEventKind.RENEW_HELD, WARNING, tp,
                             f"The certificate issued for trustpoint {tp} was due for renewal again at once "
                             f"(due {due:%Y-%m-%d %H:%M:%S} UTC, valid until "
                             f"{min(c.not_valid_after_utc for c in issued):%Y-%m-%d %H:%M:%S} UTC); "
                             f"not renewed again before {until:%Y-%m-%d %H:%M:%S} UTC",
                             {"due": due.isoformat(), "held_until": until.isoformat(),
                              "lifetime_seconds": lifetime.total_seconds()}))


def poll(pki: Pki, timer: Due, events: list[AgentEvent]) -> None:
    """Poll one pending transaction once (its journal entry then holds the next poll's time)."""
    failures: list[str] = []

    def on_event(ev: EnrollmentEvent) -> None:
        if ev.message.startswith("poll failed"):
            failures.append(ev.message.removeprefix("poll failed: "))

    tid = timer.detail.split()[1]  # "PKCSReq TID (key pair ...)"
    result = pki.scep.poll_once(tid, on_event)
    if result is None:
        return  # another session ended it
    if failures and result.state == "pending":
        events.append(failure_event(timer, "; ".join(failures)))
        return
    event = enrollment_result_event(result)
    if event is not None:
        events.append(event)
