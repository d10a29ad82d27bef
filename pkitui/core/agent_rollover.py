"""``pkitui agent``'s CA rollover steps: fetch the CA's next certificate (GetNextCACert, at most
once a day; kept as a shadow once it passed every check) and switch to it at the current one's end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkitui.core import merge
from pkitui.core.agent_events import ERROR, INFO, AgentEvent, AgentEventKind
from pkitui.core.errors import PkiError, VerificationError

if TYPE_CHECKING:
    from pkitui.core.agent_schedule import Due
    from pkitui.core.agent_state import AgentState
    from pkitui.core.clock import Clock
    from pkitui.core.pki import Pki


def fetch_next_ca(pki: Pki, clock: Clock, state: AgentState, timer: Due, events: list[AgentEvent]) -> None:
    """Ask the CA for its next certificate (at most once a day). Not offered yet (an HTTP
    error, no answer) is quiet: asked again tomorrow; a reply that fails a check (not signed
    by the current CA, not chaining) is an error and nothing of it is kept."""
    name = timer.trustpoint
    state.next_ca_tried[name] = clock.now().isoformat()
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


def rollover(pki: Pki, timer: Due, events: list[AgentEvent]) -> None:
    """The shadow CA certificate (GetNextCACert) becomes the trustpoint's CA certificate."""
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
