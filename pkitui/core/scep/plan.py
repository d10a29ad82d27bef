"""What ``crypto pki enroll TP`` will do, answered once in core before anything is sent or asked:
resume a pending transaction or send new requests, the subject, the key pairs, whether a
challenge password must be asked for, and what is missing (:class:`EnrollmentPlan`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pkitui.core.errors import PkiError
from pkitui.core.records import PendingEnrollment


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

    # The question both front ends ask before a new request is sent (IOS asks it too).
    QUESTION = "Request certificate from CA?"

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
        return [f"Subject: {self.subject}", f"Key pair(s): {', '.join(self.key_ids)}",
                f"CA: {self.ca}", f"Enrollment URL: {self.url}"]

    def raise_missing(self) -> None:
        """Raise the first missing prerequisite (its message and hint), if any."""
        if not self.resuming and self.missing:
            raise self.missing[0]
