"""What ``crypto pki enroll`` will do, decided before any network (``pki.scep.prepare_enrollment``):
resume a pending transaction or send new requests, with which subject and key pairs, IOS's
questions in IOS's order, and every prerequisite missing. Front ends render the plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography import x509

from pkitui.core.dn import ios_dn
from pkitui.core.errors import PkiError, TrustpointError
from pkitui.core.records import CertRole
from pkitui.core.scep.enroll_keys import current_cert, key_pairs, to_generate
from pkitui.core.scep.exchange import require_ca
from pkitui.core.scep.plan import EnrollmentPlan, EnrollmentQuestion
from pkitui.core.scep.request import request_subject

if TYPE_CHECKING:
    from pkitui.core.clock import Clock
    from pkitui.core.config import RunningConfig
    from pkitui.core.records import PendingEnrollment
    from pkitui.core.trustpoints import Trustpoint


def prepare_enrollment(config: RunningConfig, clock: Clock, trustpoint: Trustpoint,
                       pending: list[PendingEnrollment]) -> EnrollmentPlan:
    """What ``enroll(tp)`` will do, without any network: resume a pending transaction or send
    new requests, with which subject and key pairs; whether a challenge password is needed;
    the prerequisites missing (CA not authenticated, RA certificates in RA mode, no FQDN, no
    key pair, no enrollment URL). Front ends render it before asking for a password. ``pending``:
    the trustpoint's pending transactions."""
    terminal = trustpoint.enrollment_terminal
    plan = EnrollmentPlan(trustpoint.name, resume=[] if terminal else pending,
                          needs_password=trustpoint.password is None and not terminal,
                          url=None if terminal else trustpoint.enrollment_url, terminal=terminal)
    if plan.resuming:
        return plan
    try:
        require_ca(config, trustpoint)
    except PkiError as exc:
        plan.missing.append(exc)
    plan.ca = _ca_name(config, trustpoint)
    try:
        pairs = key_pairs(config, trustpoint)
        plan.key_ids = [p.key_id for p in pairs]
        plan.reenroll = any(current_cert(config, clock, trustpoint, p) is not None for p in pairs)
    except PkiError as exc:
        if (generate := to_generate(trustpoint)) is None:
            plan.missing.append(exc)
        else:
            plan.key_ids = [key_id for key_id, _usage, _bits in generate]
            plan.generate = [f"{key_id} ({bits} bits)" for key_id, _usage, bits in generate]
    try:
        plan.subject = ios_dn(request_subject(config.identity, trustpoint))
    except PkiError as exc:
        if not any(type(m) is type(exc) and m.message == exc.message for m in plan.missing):
            plan.missing.append(exc)
    if not trustpoint.enrollment_url and not terminal:
        plan.missing.append(TrustpointError(
            f"Trustpoint {trustpoint.name} has no enrollment URL",
            f"Configure it: crypto pki trustpoint {trustpoint.name} / enrollment url http://HOST[:PORT]/PATH, "
            "or enroll by cut-and-paste: enrollment terminal"))
    plan.questions = _questions(trustpoint, plan)
    return plan


def _ca_name(config: RunningConfig, tp: Trustpoint) -> str | None:
    """The subject of ``tp``'s CA certificate, or its SHA-256 when only that is kept."""
    ca = next((c for c in config.certificates if c.trustpoint == tp.name and c.role == CertRole.CA), None)
    if ca is None:
        return None
    if ca.der is None:
        return f"SHA-256 {ca.sha256}"
    return ios_dn(x509.load_der_x509_certificate(ca.der).subject)


def _questions(tp: Trustpoint, plan: EnrollmentPlan) -> list[EnrollmentQuestion]:
    """The questions IOS asks before a new request, in its order; what the trustpoint configures
    is not asked (password, serial-number, ip-address, including their ``none`` forms)."""
    questions = [EnrollmentQuestion.REENROLL] if plan.reenroll else []
    if plan.needs_password:
        questions.append(EnrollmentQuestion.PASSWORD)
    if tp.serial_number is None:
        questions.append(EnrollmentQuestion.SERIAL_NUMBER)
    if tp.ip_address is None:
        questions.append(EnrollmentQuestion.IP_ADDRESS)
    questions.append(EnrollmentQuestion.DISPLAY if plan.terminal else EnrollmentQuestion.REQUEST)
    return questions

