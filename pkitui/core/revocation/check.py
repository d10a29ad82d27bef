"""``revocation-check m1 [m2 m3]``: try each method in order.

* ``good`` from a method ends the check: not revoked;
* ``revoked`` is final;
* a method that cannot answer (server down, CRL refused, OCSP ``unknown``) falls through to the
  next one;
* ``none`` accepts when it is reached (no earlier method answered);
* when every method failed and ``none`` was not listed, the status is ``undetermined`` and the
  certificate is not accepted.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pkitui.core.errors import PkiError


class MethodStatus(enum.StrEnum):
    """What one revocation method said."""

    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"  # answered, but does not know the certificate (OCSP)
    FAILED = "failed"  # could not answer (server down, CRL refused, no URL)


class RevocationStatus(enum.StrEnum):
    """The revocation check's decision."""

    GOOD = "good"
    REVOKED = "revoked"
    UNCHECKED = "unchecked"  # accepted because ``none`` was reached
    UNDETERMINED = "undetermined"  # every method failed and ``none`` is not listed: not accepted


@dataclass(frozen=True)
class MethodResult:
    """What one method said: good, revoked, unknown (answered, does not know) or failed."""

    method: str
    status: MethodStatus
    detail: str
    revocation_date: datetime | None = None
    reason: str | None = None


@dataclass
class RevocationOutcome:
    """The decision: good, revoked, accepted-unchecked (``none``) or undetermined."""

    status: RevocationStatus
    method: str | None
    detail: str
    revocation_date: datetime | None = None
    reason: str | None = None
    attempts: list[MethodResult] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """True when the revocation check lets the certificate through."""
        return self.status in (RevocationStatus.GOOD, RevocationStatus.UNCHECKED)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "status": self.status, "method": self.method, "detail": self.detail,
            "revocation_date": self.revocation_date.isoformat() if self.revocation_date else None,
            "reason": self.reason,
            "attempts": [{"method": a.method, "status": a.status, "detail": a.detail} for a in self.attempts],
        }


def run_methods(methods: list[str], runners: dict[str, Callable[[], MethodResult]]) -> RevocationOutcome:
    """Run ``methods`` in order with ``runners[method]()``; a PkiError from a runner counts as
    'failed' and falls through, like an unreachable server."""
    attempts: list[MethodResult] = []
    for method in methods:
        if method == "none":
            detail = "no revocation method answered; accepted because 'none' is configured" if attempts else \
                "revocation is not checked (revocation-check none)"
            return RevocationOutcome(RevocationStatus.UNCHECKED, "none", detail, attempts=attempts)
        runner = runners.get(method)
        if runner is None:
            attempts.append(MethodResult(method, MethodStatus.FAILED, f"unknown revocation method {method!r}"))
            continue
        try:
            result = runner()
        except PkiError as exc:
            result = MethodResult(method, MethodStatus.FAILED, exc.message)
        attempts.append(result)
        if result.status == MethodStatus.REVOKED:
            return RevocationOutcome(RevocationStatus.REVOKED, method, result.detail, result.revocation_date,
                                     result.reason, attempts)
        if result.status == MethodStatus.GOOD:
            return RevocationOutcome(RevocationStatus.GOOD, method, result.detail, attempts=attempts)
    tried = "; ".join(f"{a.method}: {a.detail}" for a in attempts) or "no method configured"
    return RevocationOutcome(RevocationStatus.UNDETERMINED, None,
                             f"revocation status could not be determined ({tried})",
                             attempts=attempts)
