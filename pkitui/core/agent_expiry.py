"""``pkitui agent``'s expiry warning step: a certificate's warning point (the rule of ``show crypto
pki timers``: 30, 7 and 1 days before, then expired) said once, for our own certificates and each
CA certificate whose next one is not held; what was warned of is remembered in the agent's state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkitui.core.agent_events import ERROR, WARNING, AgentEvent, AgentEventKind
from pkitui.core.agent_schedule import sha256_hex
from pkitui.core.dn import ios_dn

if TYPE_CHECKING:
    from cryptography import x509

    from pkitui.core.agent_schedule import Due
    from pkitui.core.agent_state import AgentState
    from pkitui.core.clock import Clock
    from pkitui.core.pki import Pki


def warn_expiry(pki: Pki, clock: Clock, state: AgentState, watched: list[tuple[str, x509.Certificate, str]],
                timer: Due, events: list[AgentEvent]) -> None:
    """Warn of the certificate ``timer`` is about, among the ``watched`` ones (trustpoint,
    certificate, what it is), and remember the warning point reached."""
    from pkitui.core.timers import expiry_warning_reached

    now = clock.now()
    found = next(((c, what) for n, c, what in watched
                  if n == timer.trustpoint and f"expiry {sha256_hex(c)}" == timer.key), None)
    if found is None:
        return
    cert, what = found
    end = cert.not_valid_after_utc
    state.warned[sha256_hex(cert)] = expiry_warning_reached(end, now)[0].isoformat()
    ours = what == "router certificate"
    data = {"certificate": "router" if ours else "ca", "serial": f"{cert.serial_number:X}",
            "not_after": end.isoformat(), "issuer": cert.issuer.rfc4514_string(),
            "auto_enroll": pki.config.trustpoints[timer.trustpoint].auto_enroll is not None}
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
                             f"{cert.serial_number:X}, issuer {ios_dn(cert.issuer)}) expires in {days} "
                             f"day(s), on {end:%Y-%m-%d %H:%M} UTC{after}", data | {"days_left": days}))
