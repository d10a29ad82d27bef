"""Core results as IOS system messages: ``%FACILITY-SEVERITY-MNEMONIC: text``.

The one place that words what the core did as a router's console and syslog would: the console's
log pane (:mod:`pkitui.tui.console_log`, which adds IOS's timestamp) and ``pkitui agent`` (one line
per :class:`~pkitui.core.agent_events.AgentEvent` on stdout, or a JSON line) both take their lines from
here. Mnemonics are IOS's where IOS has the message (CERTRET, CERTREJECT, CERT_ENROLL_FAIL,
CERTRENEWAUTO, CRLHTTPFETCH, CRL_FETCH_FAIL, CERT_EXPIRY_WARNING, CONFIG_NV_I, ...); the others
follow the same FACILITY-SEVERITY-MNEMONIC form. The core never formats these lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pkitui.core.agent_events import AgentEvent
    from pkitui.core.scep.enroll import EnrollmentEvent


@dataclass(frozen=True)
class SyslogMessage:
    """One system message: ``%FACILITY-SEVERITY-MNEMONIC: text`` (severity 0 emergency … 7 debug)."""

    facility: str
    severity: int
    mnemonic: str
    text: str

    def line(self) -> str:
        """``%PKI-6-CERTRET: text``, without a timestamp (the console and journald add their own)."""
        return f"%{self.facility}-{self.severity}-{self.mnemonic}: {self.text}"


def certret(trustpoint: str, key: str) -> SyslogMessage:
    """A certificate was issued and stored (IOS %PKI-6-CERTRET)."""
    return SyslogMessage("PKI", 6, "CERTRET", f"Certificate received from Certificate Authority "
                         f"(trustpoint {trustpoint}, key pair {key})")


def certpending(trustpoint: str, key: str, polls_left: int | None) -> SyslogMessage:
    """The CA answered PENDING (polling goes on)."""
    left = f", polls left {polls_left}" if polls_left is not None else ""
    return SyslogMessage("PKI", 6, "CERTPENDING", f"Enrollment request pending at the Certificate Authority "
                         f"(trustpoint {trustpoint}, key pair {key}{left})")


def certreject(trustpoint: str, key: str, why: str) -> SyslogMessage:
    """The CA refused the request (IOS %PKI-6-CERTREJECT)."""
    return SyslogMessage("PKI", 6, "CERTREJECT", f"Certificate enrollment request was rejected by Certificate "
                         f"Authority (trustpoint {trustpoint}, key pair {key}){': ' + why if why else ''}")


def enroll_fail(trustpoint: str, reason: str) -> SyslogMessage:
    """The enrollment could not be carried out (IOS %PKI-2-CERT_ENROLL_FAIL)."""
    return SyslogMessage("PKI", 2, "CERT_ENROLL_FAIL", f"Certificate enrollment failed for trustpoint "
                         f"{trustpoint}. Reason: {reason}")


def ca_authenticated(trustpoint: str, subject: str) -> SyslogMessage:
    """The CA certificate was accepted and stored (crypto pki authenticate)."""
    return SyslogMessage("PKI", 6, "CA_CERT_INSTALL", f"A CA certificate has been installed under trustpoint "
                         f"{trustpoint}: {subject}")


def ca_rejected(trustpoint: str) -> SyslogMessage:
    """The administrator did not accept the CA certificate's fingerprint."""
    return SyslogMessage("PKI", 4, "CA_CERT_REJECT", f"CA certificate for trustpoint {trustpoint} not "
                         "accepted: nothing stored")


def crl_fetched(trustpoint: str, issuer: str, entries: int) -> SyslogMessage:
    """A CRL was downloaded and stored (``crypto pki crl request``)."""
    return SyslogMessage("PKI", 6, "CRL_FETCHED", f"CRL for trustpoint {trustpoint} downloaded: {issuer}, "
                         f"{entries:,} entries")


def config_saved(used: int, capacity: int) -> SyslogMessage:
    """copy running-config startup-config (IOS %SYS-5-CONFIG_NV_I)."""
    return SyslogMessage("SYS", 5, "CONFIG_NV_I", f"Nonvolatile storage configured from console by the pkitui "
                         f"console ({used:,} of {capacity:,} bytes used)")


# Export and import (crypto pki export/import, crypto key export/import rsa): IOS prints
# %PKI-6-PKCS12_EXPORT_SUCCESS / PKCS12_IMPORT_SUCCESS and %PKI-3-PKCS12_IMPORT_FAILURE; the PEM and
# key-pair forms follow the same pattern (our mnemonics).
def _where(urls: list[str]) -> str:
    return ", ".join(urls)


def trustpoint_exported(trustpoint: str, pkcs12: bool, urls: list[str], size: int) -> SyslogMessage:
    """``crypto pki export TP pem | pkcs12`` wrote these files (``size`` bytes in all)."""
    form = "PKCS #12" if pkcs12 else "PEM"
    mnemonic = "PKCS12_EXPORT_SUCCESS" if pkcs12 else "PEM_EXPORT_SUCCESS"
    return SyslogMessage("PKI", 6, mnemonic, f"{form} Export from trustpoint {trustpoint} was successfully Exported "
                         f"to {_where(urls)} ({size:,} bytes).")


def key_exported(label: str, urls: list[str], size: int) -> SyslogMessage:
    """``crypto key export rsa LABEL pem url URL``: the public and encrypted private key files."""
    return SyslogMessage("PKI", 6, "KEY_EXPORT_SUCCESS",
                         f"RSA key pair {label} was successfully Exported to {_where(urls)} ({size:,} bytes).")


def trustpoint_imported(trustpoint: str, pkcs12: bool, key_ids: list[str], certificates: int) -> SyslogMessage:
    """``crypto pki import TP pem | pkcs12`` stored a CA, key pair(s) and certificate(s)."""
    form = "PKCS #12" if pkcs12 else "PEM"
    mnemonic = "PKCS12_IMPORT_SUCCESS" if pkcs12 else "PEM_IMPORT_SUCCESS"
    return SyslogMessage("PKI", 6, mnemonic,
                         f"{form} import in to trustpoint {trustpoint} successfully imported "
                         f"(key pair(s) {', '.join(key_ids) or 'none'}, {certificates} certificate(s)).")


def key_imported(label: str, key_ids: list[str]) -> SyslogMessage:
    """``crypto key import rsa LABEL pem url URL`` stored these key pairs."""
    return SyslogMessage("PKI", 6, "KEY_IMPORT_SUCCESS",
                         f"RSA key pair {label} successfully imported ({', '.join(key_ids)}).")


def transfer_failed(form: str, importing: bool, what: str, reason: str) -> SyslogMessage:
    """An export or import refused or failed: ``form`` is PKCS12, PEM, KEY (IOS's
    %PKI-3-PKCS12_IMPORT_FAILURE and its siblings) or "" (refused before the form was chosen:
    %PKI-3-EXPORT_FAILURE), ``what`` e.g. "Import in to trustpoint lab"."""
    mnemonic = f"{form}_" * bool(form) + f"{'IMPORT' if importing else 'EXPORT'}_FAILURE"
    return SyslogMessage("PKI", 3, mnemonic, f"{what} failed. Reason: {reason}")


def enrollment_event(event: EnrollmentEvent) -> SyslogMessage | None:
    """The message of an enrollment's new state (None for a request merely sent)."""
    if event.state == "issued":
        return certret(event.trustpoint, event.key_id)
    if event.state == "pending":
        return certpending(event.trustpoint, event.key_id, event.polls_left)
    if event.state == "failed":
        if event.fail_info:
            return certreject(event.trustpoint, event.key_id, f"failInfo {event.fail_info}")
        return enroll_fail(event.trustpoint, event.message or "no reason given")
    return None


# What each kind of agent event is called on a router (IOS's mnemonic where IOS has the message).
AGENT_MNEMONICS = {
    "cert_issued": "CERTRET",
    "cert_pending": "CERTPENDING",
    "cert_rejected": "CERTREJECT",
    "poll_failed": "CERTRETFAIL",
    "renewing": "CERTRENEWAUTO",
    "renew_failed": "CERTRETFAIL",
    "crl_fetched": "CRLHTTPFETCH",
    "crl_not_newer": "CRL_NOT_NEWER",
    "crl_fetch_failed": "CRL_FETCH_FAIL",
    "cert_expiring": "CERT_EXPIRY_WARNING",
    "cert_expired": "CERT_EXPIRED",
    "rollover_installed": "CERT_SHADOW_INSTALL",
    "rollover_active": "CERT_ROLLOVER_ACTIVE",
    "rollover_failed": "CERT_ROLLOVER_FAIL",
    "renew_held": "CERTRENEW_HELD",
    "deployed": "DEPLOYED",
    "deploy_failed": "DEPLOY_FAIL",
    "save_conflict": "SAVE_CONFLICT",
    "store_error": "STORE_FAIL",
}


def agent_event(event: AgentEvent) -> SyslogMessage:
    """The system message of one ``pkitui agent`` event."""
    mnemonic = AGENT_MNEMONICS.get(event.kind, event.kind.upper())
    if event.kind == "crl_fetched" and not str(event.data.get("source", "")).lower().startswith("http"):
        mnemonic = "CRL_FETCHED"  # IOS's CRLHTTPFETCH names an HTTP download; LDAP and SCEP GetCRL have their own
    return SyslogMessage("PKI", event.severity, mnemonic, event.text)


def agent_json(event: AgentEvent, when: str) -> dict[str, Any]:
    """One ``pkitui agent --json`` line: the event, its IOS name and line, and its data."""
    message = agent_event(event)
    return {"time": when, "event": str(event.kind), "severity": event.severity, "mnemonic": message.mnemonic,
            "trustpoint": event.trustpoint, "text": event.text, "line": message.line(), "data": event.data}
