"""Console messages in the log pane, as a router prints them on its console (``service timestamps
log datetime msec``): ``*Nov 30 22:28:56.123: %PKI-6-CERTRET: Certificate received from
Certificate Authority``. The ``*`` says the clock is not set from NTP, as IOS does.

An action that ends (enroll, authenticate, a CRL fetch, a save) posts a :class:`ConsoleEvent`;
the app writes it with the console's clock. What each message says (and its IOS mnemonic) is
:mod:`pkitui.ios.syslog`'s, shared with ``pkitui agent``; this module makes it a Textual message.
It imports that module when it first words a message: importing it runs ``pkitui.ios``'s package
(the command registry and session, ~12 ms), which the console's first frame does not need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

from pkitui.tui.tones import Tone

if TYPE_CHECKING:
    from pkitui.core.deploy_plan import DeployReport
    from pkitui.core.scep.enroll import EnrollmentEvent
    from pkitui.ios.syslog import SyslogMessage

# The tone of a console message by its severity (0 emergency … 7 debug).
SEVERITY_TONES = {0: Tone.ERROR_STRONG, 1: Tone.ERROR_STRONG, 2: Tone.ERROR_STRONG, 3: Tone.ERROR_STRONG,
                  4: Tone.WARNING, 5: Tone.NOTE, 6: Tone.OK, 7: Tone.MUTED}


@dataclass
class ConsoleEvent(Message):
    """One console message: ``%FACILITY-SEVERITY-MNEMONIC: text``."""

    facility: str
    severity: int
    mnemonic: str
    text: str

    @property
    def tone(self) -> Tone:
        """How the log pane colours it."""
        return SEVERITY_TONES.get(self.severity, Tone.NOTE)

    @property
    def syslog_message(self) -> SyslogMessage:
        """The system message it carries."""
        from pkitui.ios.syslog import SyslogMessage

        return SyslogMessage(self.facility, self.severity, self.mnemonic, self.text)


def timestamp(when: datetime) -> str:
    """IOS's ``*Mar  1 00:00:00.000`` (local time, day padded with a space)."""
    local = when.astimezone()
    return f"*{local:%b} {local.day:>2} {local:%H:%M:%S}.{local.microsecond // 1000:03d}"


def console_line(when: datetime, event: ConsoleEvent) -> str:
    """The whole line as the log pane shows it."""
    return f"{timestamp(when)}: {event.syslog_message.line()}"


def _console(message: SyslogMessage) -> ConsoleEvent:
    return ConsoleEvent(message.facility, message.severity, message.mnemonic, message.text)


def certret(trustpoint: str, key: str) -> ConsoleEvent:
    """A certificate was issued and stored (IOS %PKI-6-CERTRET)."""
    from pkitui.ios import syslog

    return _console(syslog.certret(trustpoint, key))


def certpending(trustpoint: str, key: str, polls_left: int | None) -> ConsoleEvent:
    """The CA answered PENDING (polling goes on)."""
    from pkitui.ios import syslog

    return _console(syslog.certpending(trustpoint, key, polls_left))


def certreject(trustpoint: str, key: str, why: str) -> ConsoleEvent:
    """The CA refused the request (IOS %PKI-6-CERTREJECT)."""
    from pkitui.ios import syslog

    return _console(syslog.certreject(trustpoint, key, why))


def enroll_fail(trustpoint: str, reason: str) -> ConsoleEvent:
    """The enrollment could not be carried out (IOS %PKI-2-CERT_ENROLL_FAIL)."""
    from pkitui.ios import syslog

    return _console(syslog.enroll_fail(trustpoint, reason))


def ca_authenticated(trustpoint: str, subject: str) -> ConsoleEvent:
    """The CA certificate was accepted and stored (crypto pki authenticate)."""
    from pkitui.ios import syslog

    return _console(syslog.ca_authenticated(trustpoint, subject))


def ca_rejected(trustpoint: str) -> ConsoleEvent:
    """The administrator did not accept the CA certificate's fingerprint."""
    from pkitui.ios import syslog

    return _console(syslog.ca_rejected(trustpoint))


def crl_fetched(trustpoint: str, issuer: str, entries: int) -> ConsoleEvent:
    """A CRL was downloaded and stored."""
    from pkitui.ios import syslog

    return _console(syslog.crl_fetched(trustpoint, issuer, entries))


def config_saved(used: int, capacity: int) -> ConsoleEvent:
    """copy running-config startup-config (IOS %SYS-5-CONFIG_NV_I)."""
    from pkitui.ios import syslog

    return _console(syslog.config_saved(used, capacity))


def trustpoint_exported(trustpoint: str, pkcs12: bool, urls: list[str], size: int) -> ConsoleEvent:
    """%PKI-6-PKCS12_EXPORT_SUCCESS / PEM_EXPORT_SUCCESS."""
    from pkitui.ios import syslog

    return _console(syslog.trustpoint_exported(trustpoint, pkcs12, urls, size))


def key_exported(label: str, urls: list[str], size: int) -> ConsoleEvent:
    """%PKI-6-KEY_EXPORT_SUCCESS."""
    from pkitui.ios import syslog

    return _console(syslog.key_exported(label, urls, size))


def trustpoint_imported(trustpoint: str, pkcs12: bool, key_ids: list[str], certificates: int) -> ConsoleEvent:
    """%PKI-6-PKCS12_IMPORT_SUCCESS / PEM_IMPORT_SUCCESS."""
    from pkitui.ios import syslog

    return _console(syslog.trustpoint_imported(trustpoint, pkcs12, key_ids, certificates))


def key_imported(label: str, key_ids: list[str]) -> ConsoleEvent:
    """%PKI-6-KEY_IMPORT_SUCCESS."""
    from pkitui.ios import syslog

    return _console(syslog.key_imported(label, key_ids))


def deployed(report: DeployReport) -> list[ConsoleEvent]:
    """A deployment's console messages, worded as ``pkitui agent`` logs them (%PKI-6-DEPLOYED,
    %PKI-3-DEPLOY_FAIL, %PKI-3-DEPLOY_REFUSED); none when nothing changed (the agent is quiet
    then too: the pane says it as ``crypto pki deploy`` does)."""
    from pkitui.core.agent_events import deploy_events, refusal_event
    from pkitui.ios import syslog

    events = [refusal_event(report)] if report.refused else deploy_events(report)
    return [_console(syslog.agent_event(event)) for event in events]


def transfer_failed(form: str, importing: bool, what: str, reason: str) -> ConsoleEvent:
    """%PKI-3-PKCS12_IMPORT_FAILURE and its siblings, %PKI-3-EXPORT_FAILURE."""
    from pkitui.ios import syslog

    return _console(syslog.transfer_failed(form, importing, what, reason))


def enrollment_event(event: EnrollmentEvent) -> ConsoleEvent | None:
    """The console message of an enrollment's new state (None for a request merely sent)."""
    from pkitui.ios import syslog

    message = syslog.enrollment_event(event)
    return _console(message) if message is not None else None

