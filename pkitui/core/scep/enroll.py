"""One enrollment transaction per key pair: send, verify, and poll while the CA says PENDING.

:class:`Exchange` holds what every message to one CA needs (transport, algorithms, the CA/RA
certificates); :func:`run_transaction` drives one transaction to SUCCESS, FAILURE or a still
pending state, reporting :class:`EnrollmentEvent` s as it goes.
"""

from __future__ import annotations

import datetime
import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypedDict

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from pkitui.core import trace
from pkitui.core.clock import SYSTEM_CLOCK, Clock
from pkitui.core.errors import ScepError
from pkitui.core.records import PendingEnrollment, unb64
from pkitui.core.scep.certrep import CertRep, parse_cert_rep
from pkitui.core.scep.envelope import CIPHER_TITLES, CIPHERS
from pkitui.core.scep.messages import DIGEST_TITLES, build_request, cert_poll_content
from pkitui.core.scep.transport import ScepTransport


class EnrollmentState(enum.StrEnum):
    """Where one key pair's enrollment is."""

    SENT = "sent"  # the request is on its way (or being retried)
    PENDING = "pending"  # the CA has not decided; polled, or kept for later
    ISSUED = "issued"
    FAILED = "failed"  # the CA refused


@dataclass
class EnrollmentEvent:
    """Progress of one key pair's enrollment (its :class:`EnrollmentState`)."""

    trustpoint: str
    key_id: str
    state: EnrollmentState
    message: str = ""
    transaction_id: str = ""
    polls_left: int | None = None
    next_poll_at: str | None = None
    fail_info: str | None = None
    algorithms: str = ""


@dataclass
class EnrollmentResult:
    """How one key pair's enrollment ended: issued, pending (still polling later) or failed."""

    trustpoint: str
    key_id: str
    state: EnrollmentState
    message_type: str = "PKCSReq"
    transaction_id: str = ""
    certificate: x509.Certificate | None = None
    fail_info: str | None = None
    algorithms: str = ""
    message: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when a certificate was issued."""
        return self.state == EnrollmentState.ISSUED

    @property
    def serial_hex(self) -> str | None:
        """The issued certificate's serial number in hex."""
        return format(self.certificate.serial_number, "X") if self.certificate else None


@dataclass
class Exchange:
    """Everything needed to talk to one trustpoint's CA."""

    trustpoint: str
    transport: ScepTransport
    post: bool
    digest: str
    cipher: str
    recipient: x509.Certificate
    trusted_signers: list[x509.Certificate]
    ca_certificates: list[x509.Certificate]
    retry_period_s: float
    retry_count: int
    warnings: list[str] = field(default_factory=list)
    caps: frozenset[str] = frozenset()
    clock: Clock = SYSTEM_CLOCK  # the time of the poll schedule

    @property
    def algorithms(self) -> str:
        """What we used, in words: 'SHA-256 / AES-128-CBC, POST'."""
        cipher = CIPHER_TITLES[CIPHERS[self.cipher][0]]
        return f"{DIGEST_TITLES[self.digest]} / {cipher}, {'POST' if self.post else 'GET'}"

    def send(self, message_type: str, inner: bytes, *, signer: x509.Certificate, key: rsa.RSAPrivateKey,
             transaction_id: str, public_keys: list[bytes], want_crl: bool = False) -> CertRep:
        """Build, send and verify one pkiMessage (a fresh senderNonce each time)."""
        request = build_request(message_type, inner, signer=signer, key=key, recipient=self.recipient,
                                transaction_id=transaction_id, digest=self.digest, cipher=self.cipher)
        trace.step(f"transaction {message_type} started (transaction id {transaction_id})")
        body = self.transport.pki_operation(request.der, post=self.post, carries_crl=want_crl)
        rep = parse_cert_rep(body, trusted_signers=self.trusted_signers, ca_certificates=self.ca_certificates,
                             transaction_id=transaction_id, sender_nonce=request.sender_nonce,
                             decrypt_with=[(signer, key)], our_public_keys=public_keys, want_crl=want_crl)
        trace.message("signed attr: pki-message-type: CertRep")
        trace.message(f"signed attr: pki-status: {rep.status}")
        trace.message(f"signed attr: pki-transaction-id: {rep.transaction_id}")
        trace.step(f"transaction {message_type} completed")
        trace.step(_STATUS_TRACE.get(rep.status, f"status = {rep.status}"))
        return rep


# IOS's debug line for each pkiStatus (debug crypto pki transactions).
_STATUS_TRACE = {"SUCCESS": "status = 100: certificate is granted",
                 "FAILURE": "status = 101: certificate request failed",
                 "PENDING": "status = 102: certificate request pending"}


class _Ids(TypedDict):
    """What every event and result of one transaction carries."""

    trustpoint: str
    key_id: str
    transaction_id: str


def reply_algorithms(ex: Exchange, rep: CertRep) -> str:
    """Our algorithms and the CA's, e.g. 'SHA-256 / AES-128-CBC, POST; reply SHA-1 / DES-CBC'."""
    back = DIGEST_TITLES.get(rep.digest, rep.digest.upper())
    return f"{ex.algorithms}; reply {back}" + (f" / {rep.cipher}" if rep.cipher else "")


def run_transaction(
    ex: Exchange, pending: PendingEnrollment, key: rsa.RSAPrivateKey, public_der: bytes,
    first: CertRep | None, *, on_event: Callable[[EnrollmentEvent], None],
    cancel: threading.Event, persist: Callable[[], None],
) -> tuple[EnrollmentResult, CertRep | None]:
    """Drive one transaction from its first reply (None when resuming) to its end.

    ``persist`` is called when the pending record changed (first PENDING, each poll) so that a
    restarted process resumes. Returns the result and the final verified reply (if any).
    """
    signer = x509.load_der_x509_certificate(pending.signer_der or b"")
    subject_der = unb64(pending.extra.get("subject_der")) or signer.subject.public_bytes()
    base = _Ids(trustpoint=ex.trustpoint, key_id=pending.key_id, transaction_id=pending.transaction_id)
    rep = first
    polls_before = pending.polls_done  # the retry count is a budget per run: a resumed run polls again
    while True:
        if rep is not None and rep.status != "PENDING":
            return _finish(ex, pending, rep, on_event, base), rep
        polls_left = None if ex.retry_count == 0 else ex.retry_count - (pending.polls_done - polls_before)
        if polls_left is not None and polls_left <= 0:
            persist()
            msg = f"still PENDING after {pending.polls_done} polls; resume later (pending transaction kept)"
            on_event(EnrollmentEvent(state=EnrollmentState.PENDING, polls_left=0, message=msg, algorithms=ex.algorithms,
                                     **base))
            return EnrollmentResult(state=EnrollmentState.PENDING, message_type=pending.message_type,
                                    algorithms=ex.algorithms,
                                    message=msg, **base), rep
        if pending.next_poll:  # resumed: keep the saved schedule, unless the retry period is now shorter
            due = min(datetime.datetime.fromisoformat(pending.next_poll),
                      ex.clock.now() + datetime.timedelta(seconds=ex.retry_period_s))
        else:
            due = ex.clock.now() + datetime.timedelta(seconds=ex.retry_period_s)
            pending.next_poll = due.isoformat(timespec="seconds")
        persist()
        on_event(EnrollmentEvent(state=EnrollmentState.PENDING, polls_left=polls_left, next_poll_at=pending.next_poll,
                                 algorithms=ex.algorithms, message="the CA has not decided yet; polling", **base))
        if cancel.wait(max(0.0, (due - ex.clock.now()).total_seconds())):
            return EnrollmentResult(state=EnrollmentState.PENDING, message_type=pending.message_type,
                                    algorithms=ex.algorithms,
                                    message="polling cancelled; the pending transaction is kept", **base), rep
        pending.polls_done += 1
        pending.next_poll = ""
        try:
            rep = ex.send("CertPoll", cert_poll_content(ex.ca_certificates[0].subject.public_bytes(), subject_der),
                          signer=signer,
                          key=key, transaction_id=pending.transaction_id, public_keys=[public_der])
        except ScepError as exc:
            if type(exc) is not ScepError:  # a failed verification is never retried silently
                raise
            on_event(EnrollmentEvent(state=EnrollmentState.PENDING, message=f"poll failed: {exc.message}", **base))
            rep = None


def _finish(ex: Exchange, pending: PendingEnrollment, rep: CertRep, on_event: Callable[[EnrollmentEvent], None],
            base: _Ids) -> EnrollmentResult:
    algorithms = reply_algorithms(ex, rep)
    if rep.status == "SUCCESS":
        assert rep.issued is not None
        msg = f"certificate issued, serial {format(rep.issued.serial_number, 'X')}"
        on_event(EnrollmentEvent(state=EnrollmentState.ISSUED, algorithms=algorithms, message=msg, **base))
        return EnrollmentResult(state=EnrollmentState.ISSUED, message_type=pending.message_type, certificate=rep.issued,
                                algorithms=algorithms, message=msg, warnings=list(ex.warnings), **base)
    msg = f"the CA refused the request: {rep.fail_reason}"
    on_event(EnrollmentEvent(state=EnrollmentState.FAILED, fail_info=rep.fail_reason, algorithms=algorithms,
                             message=msg, **base))
    return EnrollmentResult(state=EnrollmentState.FAILED, message_type=pending.message_type, fail_info=rep.fail_reason,
                            algorithms=algorithms, message=msg, warnings=list(ex.warnings), **base)
