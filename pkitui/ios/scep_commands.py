"""SCEP commands: ``crypto pki authenticate``, ``crypto pki enroll``, ``show crypto pki enrollments``.

Thin adapters over ``pki.scep``: they print what IOS prints (fingerprints in IOS's grouping, the
enrollment progress) and turn refusals into errors so a script exits non-zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pkitui.core.errors import ScepError
from pkitui.core.scep.plan import (ADDRESS_PROMPT, QUESTIONS, EnrollmentPlan, RequestAnswers, challenge_password,
                                   resolve_request_address)
from pkitui.core.scep.plan import EnrollmentQuestion as Q
from pkitui.ios.format import ios_time
from pkitui.ios.grammar import Args
from pkitui.ios.registry import CONFIG, EXEC, USER_EXEC, command
from pkitui.ios.session import NeedsConfirmation, Session

if TYPE_CHECKING:
    from pkitui.core.ca_trust import Confirm
    from pkitui.core.scep.ca import CaCandidate
    from pkitui.core.scep.enroll import EnrollmentEvent
    from pkitui.core.scep.manual import ManualRequest


def candidate_lines(cand: CaCandidate) -> list[str]:
    """What IOS shows about a CA certificate before asking to accept it (plus SHA-256)."""
    lines = [
        "Certificate has the following attributes:",
        f"       Subject: {cand.subject}",
        f"        Issuer: {cand.issuer}",
        f"      Validity: {cand.not_before:%Y-%m-%d %H:%M:%S} UTC to {cand.not_after:%Y-%m-%d %H:%M:%S} UTC",
        f"      Key size: {cand.key_size} bits",
        f"       Fingerprint MD5: {cand.grouped('md5')}",
        f"      Fingerprint SHA1: {cand.grouped('sha1')}",
        f"    Fingerprint SHA256: {cand.grouped('sha256')}",
    ]
    for ra in cand.ra_certificates:
        lines.append(f"  RA certificate ({cand.ra_role(ra)}): {ra.subject.rfc4514_string()}")
    return lines + [f"% Warning: {w}" for w in cand.warnings]


def ca_confirm(session: Session, tp: str) -> Confirm | None:
    """The CA decision's question, as ``crypto pki authenticate`` asks it (the certificate's
    attributes, then ``Do you accept``); None under --force: a CA certificate is never accepted
    unseen (a configured fingerprint may still decide). The imports ask the same."""
    hint = (f"Compare the fingerprint with the CA administrator, then configure it: "
            f"crypto pki trustpoint {tp} / fingerprint HEX")

    def ask(cand: CaCandidate) -> bool:
        for line in candidate_lines(cand):
            session.print(line)
        return session.confirm("% Do you accept this certificate? [yes/no]: ", refuse_hint=hint)

    return None if session.force else ask


@command(CONFIG, "crypto {pki | ca} authenticate NAME")
def authenticate(session: Session, args: Args) -> None:
    """Get the CA certificate; a configured fingerprint decides, else the operator confirms. An
    authenticated trustpoint is left as it is (IOS says the certificate already exists).

    ``--force`` never accepts a CA certificate unseen: without a configured fingerprint a script
    is refused with a hint on how to configure one.
    """
    pki = session.pki
    tp = pki.trustpoints.get(args["name"])
    if pki.scep.authenticated(tp):  # IOS says so rather than fetching it again
        session.print(f"% Certificate for trustpoint {tp.name} already exists: its CA is authenticated. "
                      "Nothing fetched.")
        session.print(f"% To authenticate again, delete it first: crypto pki certificate chain {tp.name} / "
                      f"no certificate SERIAL (serials in show crypto pki certificates {tp.name})")
        return
    if tp.fingerprint:
        cand = pki.ca_trust.authenticate(tp)
        for line in candidate_lines(cand):
            session.print(line)
        session.print(f"Fingerprint matches the configured one ({tp.fingerprint[:16]}...).")
    else:
        cand = pki.ca_trust.authenticate(tp, confirm=ca_confirm(session, tp.name))
    if cand.accepted:
        extra = f" with {len(cand.ra_certificates)} RA certificate(s)" if cand.ra_certificates else ""
        session.print(f"Trustpoint CA certificate accepted{extra}.")
    else:
        session.print("% Certificate not accepted: nothing stored.")


def _render_event(session: Session, event: EnrollmentEvent) -> None:
    if event.state == "sent":
        session.print(f"% {event.message} (key {event.key_id}, {event.algorithms})")
        session.print(f"% Transaction ID: {event.transaction_id}")
    elif event.state == "pending" and event.next_poll_at:
        left = "until cancelled" if event.polls_left is None else f"{event.polls_left} poll(s) left"
        session.print(f"% Certificate request for {event.key_id} pending at the CA; next poll at "
                      f"{event.next_poll_at} ({left})")
    elif event.state == "pending":
        session.print(f"% {event.key_id}: {event.message}")
    elif event.state == "issued":
        session.print(f"CRYPTO_PKI: Certificate received from Certificate Authority for {event.key_id}: "
                      f"{event.message} ({event.algorithms})")
    elif event.state == "failed":
        session.warn(f"% Certificate request for {event.key_id} failed: {event.fail_info} ({event.algorithms})")


@command(CONFIG, "crypto {pki | ca} enroll NAME")
def enroll(session: Session, args: Args) -> None:
    """Request a certificate for each key pair of the trustpoint (renewal when one is held);
    a pending transaction saved earlier is resumed instead of sending a new request. With
    ``enrollment terminal`` the requests are shown for cut-and-paste instead.

    The core's plan decides, as in the console: what is missing is an error before anything is
    asked; then IOS's questions, those the trustpoint leaves open (:func:`ask_questions`).
    """
    pki = session.pki
    tp = pki.trustpoints.get(args["name"])
    on_event = lambda e: _render_event(session, e)  # noqa: E731
    plan = pki.scep.prepare_enrollment(tp)
    answers = None
    if plan.resuming:
        session.print(f"% Resuming the pending enrollment of trustpoint {tp.name}")
    else:
        plan.raise_missing()  # before anything is asked
        answers = ask_questions(session, plan)
        if answers is None:
            return
        for line in plan.generate:
            session.print(f"% Generating {line} RSA key pair for trustpoint {tp.name}, keys will be non-exportable...")
    if plan.terminal:
        _show_manual_requests(session, tp.name, pki.scep.manual_requests(tp, answers))
        return

    results = pki.scep.enroll(tp, answers=answers, on_event=on_event)  # resumes a saved one
    for warning in dict.fromkeys(w for r in results for w in r.warnings):
        session.warn(f"% Warning: {warning}")
    failed = [r for r in results if r.state == "failed"]
    pending = [r for r in results if r.state == "pending"]
    if pending:  # not an error (the request is kept), but no certificate: pkitui exec exits 4
        session.still_pending.add(tp.name)
        session.warn(f"% {len(pending)} request(s) still pending; recorded in the store's pending journal. "
                     f"Run crypto pki enroll {tp.name} again (even after a restart) to resume polling.")
    else:
        session.still_pending.discard(tp.name)
    if failed:
        raise ScepError(f"Certificate enrollment failed for {', '.join(r.key_id for r in failed)}: "
                        f"{failed[0].fail_info}", "Check the challenge password and the CA's log; nothing was stored.")
    if results and not pending and pki.dirty:
        session.print("% Certificate enrollment complete. Save with: copy system:running-config nvram:startup-config")
    elif results and not pending:  # a resumed transaction: the service already saved its result
        session.print("% Certificate enrollment complete; the certificate is saved in NVRAM.")


def ask_questions(session: Session, plan: EnrollmentPlan) -> RequestAnswers | None:
    """IOS's questions before a new request, in IOS's order, those the plan lists (what the
    trustpoint configures is not asked); None when the person declined (nothing is sent).

    Nobody to ask (a script): re-enrollment is refused unless ``--force``; no challenge password
    is sent (with a warning); serial number and address stay out; the request itself goes ahead
    (the script said crypto pki enroll). ``--force`` answers yes to re-enrollment and to sending,
    and leaves the optional serial number and address out (the configuration decides those).
    """
    answers = RequestAnswers()
    asked = set(plan.questions)
    if Q.REENROLL in asked and not session.confirm(
            f"% {QUESTIONS[Q.REENROLL]} [yes/no]: ",
            refuse_hint=f"Re-enroll from a script with pkitui exec --force (trustpoint {plan.trustpoint})."):
        session.print("% Re-enrollment not requested.")
        return None
    session.print("% Start certificate enrollment ..")
    if Q.PASSWORD in asked:
        answers.password = _ask_challenge(session)
    session.print(f"% The subject name in the certificate will include: {plan.subject}")
    if Q.SERIAL_NUMBER in asked:
        answers.serial_number = _optional(session, f"% {QUESTIONS[Q.SERIAL_NUMBER]} [yes/no]: ")
    if Q.IP_ADDRESS in asked and _optional(session, f"% {QUESTIONS[Q.IP_ADDRESS]} [no]: "):
        answers.ip_address = resolve_request_address(
            session.ask_text(f"{ADDRESS_PROMPT}[]: ", refuse_hint="Configure it: ip-address ADDRESS"))
    for line in plan.details()[1:]:
        session.print(f"% {line}")
    final = Q.DISPLAY if plan.terminal else Q.REQUEST
    if not _confirmed(session, f"{QUESTIONS[final]} [yes/no]: "):
        session.print("% Certificate request not sent." if final == Q.REQUEST else "% Certificate request not shown.")
        return None
    return answers


def _ask_challenge(session: Session) -> str | None:
    """IOS's challenge password: typed twice (a mismatch is refused); Enter alone: none. A script
    sends none, with a warning."""
    session.print("% " + QUESTIONS[Q.PASSWORD].replace(" You will", "\n   You will")
                  .replace(" For security", "\n   For security").replace(" Please make", "\n   Please make"))
    session.print("")
    try:
        first = session.ask_secret("Password: ", refuse_hint="")
    except NeedsConfirmation:
        session.warn("% No challenge password configured; sending the request without one.")
        return None
    password = challenge_password(first, session.ask_secret("Re-enter password: ", refuse_hint=""))
    session.print("")
    return password


def _optional(session: Session, prompt: str) -> bool:
    """An optional yes/no IOS asks (serial number, address): asked when someone can answer;
    no under ``--force`` or in a script (what the configuration says stands)."""
    if session.force:
        return False
    try:
        return session.confirm(prompt)
    except NeedsConfirmation:
        return False


def _show_manual_requests(session: Session, name: str, requests: list[ManualRequest]) -> None:
    """The requests of an ``enrollment terminal`` trustpoint, as IOS prints them (in PEM, with
    its BEGIN/END lines, which openssl and web enrollment pages take as pasted), then how to
    bring the certificate back. IOS asks whether to show them again: asked when someone can answer."""
    titles = {"signature": "Signature key certificate request -", "encryption": "Encryption key certificate request -"}
    while True:
        for request in requests:
            if request.usage in titles:
                session.print(titles[request.usage])
            session.print("Certificate Request follows:\n")
            session.print(request.pem.rstrip("\n"))
            session.print("\n---End - This line not part of the certificate request---\n")
        if not _optional(session, "Redisplay enrollment request? [yes/no]: "):
            break
    session.print(f"% Give the request{'s' if len(requests) > 1 else ''} to the CA, then paste the certificate "
                  f"{'of each key ' if len(requests) > 1 else ''}it issues with: crypto pki import {name} certificate")


def _confirmed(session: Session, prompt: str) -> bool:
    """Ask ``prompt`` when someone can answer; a script (nobody to ask) goes ahead, as it said."""
    try:
        return session.confirm(prompt)
    except NeedsConfirmation:
        return True


@command((USER_EXEC, EXEC), "show crypto {pki | ca} enrollments")
def show_enrollments(session: Session, args: Args) -> None:
    """Pending SCEP transactions saved in the store (they survive a restart)."""
    pending = session.pki.scep.pending()
    data: list[dict[str, Any]] = [
        {"trustpoint": p.trustpoint, "key_id": p.key_id, "transaction_id": p.transaction_id,
         "message_type": p.message_type, "started": p.started, "polls_done": p.polls_done,
         "next_poll": p.next_poll or None} for p in pending]
    lines = ["No pending enrollments."] if not pending else [
        f"{'Trustpoint':<12} {'Key':<28} {'Request':<10} {'Polls':>5}  {'Next poll':<25} Transaction ID"]
    for d in data:
        lines.append(f"{d['trustpoint']:<12} {d['key_id']:<28} {d['message_type']:<10} {d['polls_done']:>5}  "
                     f"{ios_time(d['next_poll']):<25} {d['transaction_id']}")
    session.show(data, lines)
