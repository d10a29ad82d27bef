"""The PKI timers (``show crypto pki timers``: what fires, for which trustpoint, and when) as the
console shows them on Home and in the trustpoint pane.

The timers are the core's (:meth:`pkitui.core.timers.Timers.list`), listed in a pane's thread
worker (certificates are parsed) when the configuration changes and once a minute
(:data:`REFRESH_SECONDS`): the time left is shown to the minute, so nothing finer is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from textual.message import Message

from pkitui.core.timers import Timer, TimerKind

REFRESH_SECONDS = 60.0

# What fires, in the console's words (show crypto pki timers says RENEW, CRL FETCH, POLL, ...).
TIMER_TITLES = {TimerKind.RENEW: "renew", TimerKind.CRL_REFRESH: "CRL refresh", TimerKind.POLL: "poll",
                TimerKind.ROLLOVER: "CA rollover", TimerKind.NEXT_CA: "next CA cert", TimerKind.EXPIRY: "expiry alert"}


@dataclass
class TimersListed(Message):
    """A worker listed the timers at ``now`` (soonest first)."""

    timers: list[Timer]
    now: datetime


def time_left(left: timedelta) -> str:
    """To the minute: ``12d 03h``, ``3h 04m``, ``4m``, ``<1m``; ``due now`` when overdue (it fires
    at the next run of the agent)."""
    seconds = int(left.total_seconds())
    if seconds <= 0:
        return "due now"
    minutes = seconds // 60
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours:02}h"
    if hours:
        return f"{hours}h {minutes:02}m"
    return f"{minutes}m" if minutes else "<1m"
