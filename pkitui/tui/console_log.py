"""Console messages in the log pane, as a router prints them on its console (``service timestamps
log datetime msec``): ``*Nov 30 22:28:56.123: %PKI-6-CERTRET: Certificate received from
Certificate Authority``. The ``*`` says the clock is not set from NTP, as IOS does.

An action that ends (enroll, authenticate, a CRL fetch, a save) posts a :class:`ConsoleEvent`;
the app writes it with the console's clock. Mnemonics are IOS's where IOS has the message
(CERTRET, CERTREJECT, CERT_ENROLL_FAIL, CRL_FETCH_FAIL, CONFIG_NV_I); the others follow the same
FACILITY-SEVERITY-MNEMONIC form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

from pkitui.tui.tones import Tone

if TYPE_CHECKING:
    from pkitui.core.scep.enroll import EnrollmentEvent

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


def timestamp(when: datetime) -> str:
    """IOS's ``*Mar  1 00:00:00.000`` (local time, day padded with a space)."""
    local = when.astimezone()
    return f"*{local:%b} {local.day:>2} {local:%H:%M:%S}.{local.microsecond // 1000:03d}"


def console_line(when: datetime, event: ConsoleEvent) -> str:
    """The whole line as the log pane shows it."""
    return f"{timestamp(when)}: %{event.facility}-{event.severity}-{event.mnemonic}: {event.text}"


def certret(trustpoint: str, key: str) -> ConsoleEvent:
    """A certificate was issued and stored (IOS %PKI-6-CERTRET)."""
    return ConsoleEvent("PKI", 6, "CERTRET", f"Certificate received from Certificate Authority "
                        f"(trustpoint {trustpoint}, key pair {key})")


def certpending(trustpoint: str, key: str, polls_left: int | None) -> ConsoleEvent:
    """The CA answered PENDING (polling goes on)."""
    left = f", polls left {polls_left}" if polls_left is not None else ""
    return ConsoleEvent("PKI", 6, "CERTPENDING", f"Enrollment request pending at the Certificate Authority "
                        f"(trustpoint {trustpoint}, key pair {key}{left})")


def certreject(trustpoint: str, key: str, why: str) -> ConsoleEvent:
    """The CA refused the request (IOS %PKI-6-CERTREJECT)."""
    return ConsoleEvent("PKI", 6, "CERTREJECT", f"Certificate enrollment request was rejected by Certificate "
                        f"Authority (trustpoint {trustpoint}, key pair {key}){': ' + why if why else ''}")


def enroll_fail(trustpoint: str, reason: str) -> ConsoleEvent:
    """The enrollment could not be carried out (IOS %PKI-2-CERT_ENROLL_FAIL)."""
    return ConsoleEvent("PKI", 2, "CERT_ENROLL_FAIL", f"Certificate enrollment failed for trustpoint "
                        f"{trustpoint}. Reason: {reason}")


def ca_authenticated(trustpoint: str, subject: str) -> ConsoleEvent:
    """The CA certificate was accepted and stored (crypto pki authenticate)."""
    return ConsoleEvent("PKI", 6, "CA_CERT_INSTALL", f"A CA certificate has been installed under trustpoint "
                        f"{trustpoint}: {subject}")


def ca_rejected(trustpoint: str) -> ConsoleEvent:
    """The administrator did not accept the CA certificate's fingerprint."""
    return ConsoleEvent("PKI", 4, "CA_CERT_REJECT", f"CA certificate for trustpoint {trustpoint} not "
                        "accepted: nothing stored")


def crl_fetched(trustpoint: str, issuer: str, entries: int) -> ConsoleEvent:
    """A CRL was downloaded and stored."""
    return ConsoleEvent("PKI", 6, "CRL_FETCHED", f"CRL for trustpoint {trustpoint} downloaded: {issuer}, "
                        f"{entries:,} entries")


def config_saved(used: int, capacity: int) -> ConsoleEvent:
    """copy running-config startup-config (IOS %SYS-5-CONFIG_NV_I)."""
    return ConsoleEvent("SYS", 5, "CONFIG_NV_I", f"Nonvolatile storage configured from console by the pkitui "
                        f"console ({used:,} of {capacity:,} bytes used)")


def enrollment_event(event: EnrollmentEvent) -> ConsoleEvent | None:
    """The console message of an enrollment's new state (None for a request merely sent)."""
    if event.state == "issued":
        return certret(event.trustpoint, event.key_id)
    if event.state == "pending":
        return certpending(event.trustpoint, event.key_id, event.polls_left)
    if event.state == "failed":
        if event.fail_info:
            return certreject(event.trustpoint, event.key_id, f"failInfo {event.fail_info}")
        return enroll_fail(event.trustpoint, event.message or "no reason given")
    return None
