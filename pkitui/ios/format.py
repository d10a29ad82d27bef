"""How IOS lays out what a show command prints: times, subject names, the PKI timers.

One function each, used by every command of the ios package, so ``show crypto pki
certificates``, ``crls``, ``trustpoints``, ``enrollments`` and ``mypubkey`` read alike. ``--json``
output is not formatted here: it keeps ISO 8601 times and RFC 4514 names. The console (which sits
above this layer) takes the timers' names and their time left from here too, so a timer is
called the same in ``show crypto pki timers`` and on its panes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pkitui.core.dn import ios_dn_parts


def ios_time(when: datetime | str | None) -> str:
    """IOS's date layout: ``22:28:56 UTC Nov 30 2026`` (``-`` when unknown).

    The day of the month is not zero-padded (``Mar 7 2027``), as IOS prints certificate validity
    and key generation times. A naive time, or an ISO 8601 string without an offset, is taken as
    UTC; an aware one is converted to UTC (pkitui keeps no ``clock timezone``).
    """
    if when is None or when == "":
        return "-"
    if isinstance(when, str):
        try:
            parsed = datetime.fromisoformat(when)
        except ValueError:  # not a time pkitui wrote: shown as it is rather than refused
            return when
        when = parsed
    when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    return f"{when:%H:%M:%S} UTC {when:%b} {when.day} {when.year}"


def dn_lines(name: bytes | str | None, indent: str = "    ", *,
             missing: str = "(not held: fingerprint only)") -> list[str]:
    """A subject or issuer name one RDN to a line, as ``show crypto pki certificates`` prints it:
    ``cn=r1.example.com`` then ``o=Example``, each after ``indent``."""
    if not name:
        return [f"{indent}{missing}"]
    return [f"{indent}{part}" for part in ios_dn_parts(name)]


# What fires, by TimerKind (pkitui.core.timers; a StrEnum, so its members look these up): IOS's
# timer names; CRL FETCH, ROLLOVER, NEXT CA and EXPIRY ALERT are ours (IOS's client lists none for them).
TIMER_NAMES: dict[str, str] = {"renew": "RENEW", "poll": "POLL", "crl-refresh": "CRL FETCH", "rollover": "ROLLOVER",
                               "next-ca": "NEXT CA", "expiry": "EXPIRY ALERT"}
COUNTDOWN_WIDTH = 17  # up to 9999 days: "9999d23:59:59.999"


def _split_ms(left: timedelta) -> tuple[int, int, int, int, int]:
    """``left`` as days, hours, minutes, seconds, milliseconds (an overdue time is all zero)."""
    ms = max(0, round(left.total_seconds() * 1000))
    days, ms = divmod(ms, 86_400_000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    seconds, ms = divmod(ms, 1000)
    return days, hours, minutes, seconds, ms


def ios_countdown(left: timedelta) -> str:
    """IOS's timer layout (``show crypto pki timers``): ``7d23:59:59.123``, ``1:02:03.004``,
    ``9:59.999``, ``0.872`` (an overdue timer reads ``0.000``: it fires now)."""
    days, hours, minutes, seconds, ms = _split_ms(left)
    if days:
        return f"{days}d{hours:02}:{minutes:02}:{seconds:02}.{ms:03}"
    if hours:
        return f"{hours}:{minutes:02}:{seconds:02}.{ms:03}"
    if minutes:
        return f"{minutes}:{seconds:02}.{ms:03}"
    return f"{seconds}.{ms:03}"


def minutes_left(left: timedelta) -> str:
    """The same time left to the minute, as a pane refreshed once a minute shows it: ``12d 03h``,
    ``3h 04m``, ``4m``, ``<1m``; ``due now`` when overdue (it fires at the agent's next run)."""
    if left <= timedelta(0):
        return "due now"
    days, hours, minutes, _seconds, _ms = _split_ms(left)
    if days:
        return f"{days}d {hours:02}h"
    if hours:
        return f"{hours}h {minutes:02}m"
    return f"{minutes}m" if minutes else "<1m"
