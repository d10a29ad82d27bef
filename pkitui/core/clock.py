"""The time core judges validity by: certificate dates, CRL nextUpdate, OCSP answers, the
timestamps of pending enrollments.

:class:`Pki` holds one :class:`Clock` and hands it to the services that need the time; tests give
a :class:`FixedClock` instead of dating fixtures far in the future. Deadlines of network
operations are not wall-clock time and stay on ``time.monotonic`` (:mod:`pkitui.core.deadline`).
"""

from __future__ import annotations

import datetime
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time."""

    def now(self) -> datetime.datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The host's clock."""

    def now(self) -> datetime.datetime:
        """The current time, timezone-aware UTC."""
        return datetime.datetime.now(datetime.timezone.utc)


class FixedClock:
    """A clock that says ``at`` until told otherwise (:meth:`set`, :meth:`advance`): for tests."""

    def __init__(self, at: datetime.datetime) -> None:
        self.set(at)

    def set(self, at: datetime.datetime) -> None:
        """Stop the clock at ``at`` (a naive time is taken as UTC)."""
        self._at = at if at.tzinfo is not None else at.replace(tzinfo=datetime.timezone.utc)
        self._at = self._at.astimezone(datetime.timezone.utc)

    def advance(self, delta: datetime.timedelta) -> None:
        """Move the clock by ``delta``."""
        self._at += delta

    def now(self) -> datetime.datetime:
        """The time the clock was set to, timezone-aware UTC."""
        return self._at


SYSTEM_CLOCK: Clock = SystemClock()
