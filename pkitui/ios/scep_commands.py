"""SCEP commands: ``crypto pki authenticate``, ``crypto pki enroll``, ``show crypto pki enrollments``.

Thin adapters over ``pki.scep``: they print what IOS prints (fingerprints in IOS's grouping, the
enrollment progress) and turn refusals into errors so a script exits non-zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pkitui.core.errors import ScepError
from pkitui.ios.grammar import Args
from pkitui.ios.registry import CONFIG, EXEC, USER_EXEC, command
from pkitui.ios.session import NeedsConfirmation, Session

if TYPE_CHECKING:
    from pkitui.core.scep.ca import CaCandidate
    from pkitui.core.scep.enroll import EnrollmentEvent


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


@command(CONFIG, "crypto {pki | ca} authenticate NAME")
def authenticate(session: Session, args: Args) -> None:
    """Get the CA certificate; a configured fingerprint decides, else the operator confirms.

    ``--force`` never accepts a CA certificate unseen: without a configured fingerprint a script
    is refused with a hint on how to configure one.
    """
    pki = session.pki
    tp = pki.trustpoints.get(args["name"])
    hint = (f"Compare the fingerprint with the CA administrator, then configure it: "
            f"crypto pki trustpoint {tp.name} / fingerprint HEX")

    def ask(cand: CaCandidate) -> bool:
        for line in candidate_lines(cand):
            session.print(line)
        return session.confirm("% Do you accept this certificate? [yes/no]: ", refuse_hint=hint)

    if tp.fingerprint:
        cand = pki.ca_trust.authenticate(tp)
        for line in candidate_lines(cand):
            session.print(line)
        session.print(f"Fingerprint matches the configured one ({tp.fingerprint[:16]}...).")
    else:
        cand = pki.ca_trust.authenticate(tp, confirm=None if session.force else ask)
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
    a pending transaction saved earlier is resumed instead of sending a new request.

    The core's plan decides, as in the console: what is missing is an error before anything is
    asked; a new request is confirmed ("Request certificate from CA?") when someone can answer
    (a script is not asked, nor under ``--force``); the challenge password, when none is
    configured, is asked once the prerequisites pass (a script sends none, with a warning).
    """
    pki = session.pki
    tp = pki.trustpoints.get(args["name"])
    on_event = lambda e: _render_event(session, e)  # noqa: E731
    plan = pki.scep.prepare_enrollment(tp)
    if plan.resuming:
        session.print(f"% Resuming the pending enrollment of trustpoint {tp.name}")
    else:
        plan.raise_missing()  # before anything is asked
        session.print("% Start certificate enrollment ..")
        session.print(f"% The subject name in the certificate will include: {plan.subject}")
        for line in plan.details()[1:]:
            session.print(f"% {line}")
        if not _confirmed(session, f"% {plan.QUESTION} [yes/no]: "):
            session.print("% Certificate request not sent.")
            return

    def ask_password() -> str | None:
        try:
            return session.ask_secret("Password: ", refuse_hint="")
        except NeedsConfirmation:
            session.warn("% No challenge password configured; sending the request without one.")
            return None

    results = pki.scep.enroll(tp, ask_password=ask_password, on_event=on_event)  # resumes a saved one
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
                     f"{d['next_poll'] or '-':<25} {d['transaction_id']}")
    session.show(data, lines)
