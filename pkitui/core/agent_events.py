"""What ``pkitui agent`` reports: one typed :class:`AgentEvent` per thing it did or found
(severity 3 error, 4 warning, 6 info), and the events of the results it gets from the services
(an enrollment's or renewal's, a deployment's, a failed timer's).

The IOS layer words them as ``%PKI-...`` lines (:mod:`pkitui.ios.syslog`); the core never does.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pkitui.core.agent_schedule import Due
    from pkitui.core.deploy_plan import DeployReport

ERROR, WARNING, INFO = 3, 4, 6


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
    DEPLOY_REFUSED = "deploy_refused"
    SAVE_CONFLICT = "save_conflict"
    STORE_ERROR = "store_error"
    AGENT_START = "agent_start"  # the foreground agent started (its store, trustpoints, next timer)
    AGENT_RUN_NOW = "agent_run_now"  # SIGHUP: the timers run now
    AGENT_STOP = "agent_stop"  # SIGTERM or SIGINT: it stops


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


def failure_event(timer: Due, reason: str) -> AgentEvent:
    """The error event of a timer that failed (its kind's, else a store error), with why."""
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


def enrollment_result_event(result: Any) -> AgentEvent | None:
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


def deploy_events(report: DeployReport) -> list[AgentEvent]:
    """The events of one deployment (``pki.deployment.deploy_all``): what it wrote and ran, or why
    it failed (the core's reason says when it is tried again, once). A refusal of our own
    certificate is the agent's to report (once per CRL: :meth:`Agent._deploy`), not an event here."""
    tp, data = report.trustpoint, report.as_json()
    if report.error or report.command_ok is False:
        why = report.error or f"command {' '.join(report.command or [])} failed"
        return [AgentEvent(AgentEventKind.DEPLOY_FAILED, ERROR, tp, f"Deployment of trustpoint {tp} failed: {why}",
                           data)]
    if report.changed or report.commands:
        files = ", ".join(str(p) for p in report.changed) or "no file changed"
        ran = f"; ran {'; '.join(' '.join(c) for c in report.commands)}" if report.commands else ""
        return [AgentEvent(AgentEventKind.DEPLOYED, INFO, tp, f"Trustpoint {tp} deployed: {files}{ran}", data)]
    return []


def refusal_event(report: DeployReport) -> AgentEvent:
    """The error event of a deployment that refused our own certificate (revoked per the CRL held,
    or expired): why, what was still written, what to do."""
    tp = report.trustpoint
    written = ", ".join(str(p) for p in report.changed)
    still = f"; wrote {written}" if written else ""
    still += f"; ran {'; '.join(' '.join(c) for c in report.commands)}" if report.commands else ""
    remedy = f"; {report.remedy}" if report.remedy else ""
    return AgentEvent(AgentEventKind.DEPLOY_REFUSED, ERROR, tp,
                      f"Deployment of trustpoint {tp} refused: {report.refused}{still}{remedy}", report.as_json())
