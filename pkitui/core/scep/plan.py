"""What ``crypto pki enroll TP`` will do, answered once in core before anything is sent or asked:
resume a pending transaction or send new requests, the subject, the key pairs, whether a
challenge password must be asked for, and what is missing (:class:`EnrollmentPlan`)."""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
from dataclasses import dataclass, field

from pkitui.core.errors import ConfigError, PkiError
from pkitui.core.records import PendingEnrollment
from pkitui.core.trustpoints import Trustpoint


class EnrollmentQuestion(enum.StrEnum):
    """A question ``crypto pki enroll`` asks before a new request, in IOS's order (the plan lists
    those this trustpoint needs: what its configuration already decides is not asked)."""

    REENROLL = "reenroll"  # a certificate from this CA is held: re-enroll?
    PASSWORD = "password"  # no challenge password configured (SCEP): create one, typed twice
    SERIAL_NUMBER = "serial-number"  # serial-number not configured
    IP_ADDRESS = "ip-address"  # ip-address not configured; yes: which address
    REQUEST = "request"  # SCEP: send the request?
    DISPLAY = "display"  # enrollment terminal: show the request?


# IOS's words for each question (without IOS's "% " and answer hints, which the IOS layer adds).
QUESTIONS: dict[EnrollmentQuestion, str] = {
    EnrollmentQuestion.REENROLL: "You already have a certificate from this CA. "
                                 "Do you want to continue with re-enrollment?",
    EnrollmentQuestion.PASSWORD: "Create a challenge password. You will need to verbally provide this password to "
                                 "the CA Administrator in order to revoke your certificate. For security reasons "
                                 "your password will not be saved in the configuration. Please make a note of it.",
    EnrollmentQuestion.SERIAL_NUMBER: "Include the router serial number in the subject name?",
    EnrollmentQuestion.IP_ADDRESS: "Include an IP address in the subject name?",
    EnrollmentQuestion.REQUEST: "Request certificate from CA?",
    EnrollmentQuestion.DISPLAY: "Display Certificate Request to terminal?",
}
ADDRESS_PROMPT = "Enter Interface name or IP Address"  # after yes to IP_ADDRESS (IOS's words)


@dataclass
class RequestAnswers:
    """What the person answered for this one request (IOS keeps none of it in the configuration):
    the challenge password ("" or None: none), whether the serial number goes in, which address
    (an address or an interface name, resolved when the request is built)."""

    password: str | None = None
    serial_number: bool = False
    ip_address: str | None = None


@dataclass
class EnrollmentPlan:
    """The plan for enrolling trustpoint ``trustpoint``; front ends render it, then call
    ``pki.scep.enroll`` (which asks for the password only when :attr:`ready`)."""

    trustpoint: str
    resume: list[PendingEnrollment] = field(default_factory=list)  # polled again instead of a new request
    subject: str | None = None  # RFC 4514 subject of the request (None when it cannot be built yet)
    key_ids: list[str] = field(default_factory=list)  # the key pairs a request is sent for
    needs_password: bool = False  # no challenge password configured: ask one (or send none)
    missing: list[PkiError] = field(default_factory=list)  # prerequisites not met, in the order they are checked
    ca: str | None = None  # the CA certificate's subject (its SHA-256 when only the fingerprint is kept)
    url: str | None = None  # the enrollment URL the requests go to
    terminal: bool = False  # enrollment terminal: the requests are shown, not sent (crypto pki import takes the reply)
    reenroll: bool = False  # a valid certificate of this CA is held for a key pair: this is a re-enrollment
    questions: list[EnrollmentQuestion] = field(default_factory=list)  # asked in this order before a new request
    # Key pairs generated first ("rsakeypair LABEL SIZE" and none exists): "LABEL (N bits)" each.
    generate: list[str] = field(default_factory=list)

    # The question both front ends ask before a new request is sent (IOS asks it too).
    QUESTION = QUESTIONS[EnrollmentQuestion.REQUEST]

    @property
    def resuming(self) -> bool:
        """True when a saved pending transaction is resumed (no new request, no password)."""
        return bool(self.resume)

    @property
    def ready(self) -> bool:
        """True when enrollment can go ahead (resuming, or every prerequisite met)."""
        return self.resuming or not self.missing

    def details(self) -> list[str]:
        """What the confirmation shows before a new request: subject, key pair(s), CA and URL."""
        where = "Enrollment: terminal (cut-and-paste)" if self.terminal else f"Enrollment URL: {self.url}"
        keys = ", ".join(self.key_ids) + "".join(f"; generated first: {g}" for g in self.generate)
        return [f"Subject: {self.subject}", f"Key pair(s): {keys}", f"CA: {self.ca}", where]

    def raise_missing(self) -> None:
        """Raise the first missing prerequisite (its message and hint), if any."""
        if not self.resuming and self.missing:
            raise self.missing[0]


def request_trustpoint(tp: Trustpoint, answers: RequestAnswers | None) -> Trustpoint:
    """``tp`` as this one request sees it: the answers fill what the configuration leaves open
    (serial number, address), and the address is resolved (an interface's address now; ``none``:
    no address). The configuration itself is not changed, as IOS keeps no answer."""
    serial = tp.serial_number if tp.serial_number is not None else bool(answers and answers.serial_number)
    address = tp.ip_address if tp.ip_address is not None else (answers.ip_address if answers else None)
    return dataclasses.replace(tp, serial_number=serial, ip_address=resolve_request_address(address))


def challenge_password(first: str, again: str) -> str | None:
    """IOS's challenge password typed twice: the password (None when Enter alone: no password),
    or ConfigError when the two differ (then nothing is sent)."""
    if first != again:
        raise ConfigError("The passwords do not match: nothing was sent",
                          "Enroll again and type the same challenge password twice.")
    return first or None


def resolve_request_address(text: str | None) -> str | None:
    """The IP address a request carries for ``text``: an address as it is, an interface's current
    address, None for None or ``none`` (ConfigError naming the problem otherwise)."""
    if text is None or not text.strip() or text.strip().lower() == "none":
        return None
    text = text.strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    from pkitui.core.interfaces import interface_address  # the OS, only for an interface

    return interface_address(text)
