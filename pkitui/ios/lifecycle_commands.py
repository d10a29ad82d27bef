"""Keeping certificates valid: ``show crypto pki timers [detail]``, ``show crypto pki trustpoints
[NAME] status`` and ``crypto pki cert validate TP``. Thin adapters over ``pki.timers``,
``pki.renewal`` and :mod:`pkitui.core.lifecycle_status` (imported inside the handlers: ``pkitui
exec`` imports every command module at start-up)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pkitui.core.errors import CertificateError
from pkitui.core.records import key_id_parts
from pkitui.ios.format import COUNTDOWN_WIDTH, TIMER_NAMES, ios_countdown, ios_time
from pkitui.ios.grammar import Args
from pkitui.ios.registry import CONFIG, EXEC, USER_EXEC, command
from pkitui.ios.session import Session

if TYPE_CHECKING:
    from pkitui.core.lifecycle_status import HeldCertificate, TrustpointState
    from pkitui.core.timers import Timer

def timer_lines(timers: list[Timer], now_left: list[timedelta], detail: bool = False) -> list[str]:
    """``show crypto pki timers``: ``PKI Timers``, the soonest countdown alone (the tree's head),
    then one line per timer, soonest first: countdown, (with ``detail``: the time it fires,) the
    timer's name and trustpoint, then what it concerns: with ``detail`` the whole of it, else the
    short label that tells timers of one kind apart (``EXPIRY ALERT vpn (CA cert)``)."""
    lines = ["PKI Timers"]
    if not timers:
        return lines
    lines.append(f"|{ios_countdown(now_left[0]):>{COUNTDOWN_WIDTH}}")
    for timer, left in zip(timers, now_left, strict=True):
        when = f"  ({ios_time(timer.due)})" if detail else ""
        what = f" {timer.text(ios_time)}" if detail else (f" ({timer.concerns})" if timer.concerns else "")
        name = f"{TIMER_NAMES[timer.kind]} {timer.trustpoint}{what}"
        lines.append(f"|{ios_countdown(left):>{COUNTDOWN_WIDTH}}{when}  {name}")
    return lines


@command((USER_EXEC, EXEC), "show crypto {pki | ca} timers [detail]")
def show_timers(session: Session, args: Args) -> None:
    """The PKI timers, soonest first: renewals (auto-enroll), CRL fetches, polls of pending
    requests, CA rollovers, expiry alerts."""
    pki = session.pki
    now = pki.clock.now()
    timers = pki.timers.list(now)
    session.show([t.to_doc(now) for t in timers],
                 timer_lines(timers, [t.due - now for t in timers], detail="detail" in args.kw))


def _dots(label: str, dots: int) -> str:
    return f"    {label} {'.' * dots} "


def _certificate_block(title: str, cert: HeldCertificate) -> list[str]:
    from pkitui.core.dn import ios_dn
    from pkitui.core.fingerprint import grouped

    lines = [f"  {title} configured:"]
    if cert.subject_der is not None:
        lines += ["    Subject Name:", f"     {ios_dn(cert.subject_der)}"]
    if cert.md5:
        lines += [f"    Fingerprint MD5: {grouped(cert.md5)}", f"    Fingerprint SHA1: {grouped(cert.sha1)}"]
    if cert.renew_at is not None:
        lines.append(f"    Renew Date: {ios_time(cert.renew_at)}")  # as IOS shows it with auto-enroll
    if cert.key_pair_missing:  # pkitui's lines: what the router certificate can be used for now
        lines.append(f"    Key pair: missing ({cert.key_pair_missing})")
    if cert.revocation is not None:
        from pkitui.core.lifecycle_status import revocation_text

        lines.append(f"    Revocation: {revocation_text(cert.revocation, cert.revocation_note)}")
    return lines


def _router_title(cert: HeldCertificate) -> str:
    usage = key_id_parts(cert.key_id)[1]
    return {"signature": "Router Signature certificate", "encryption": "Router Encryption certificate"}.get(
        usage, "Router General Purpose certificate")


def status_lines(state: TrustpointState) -> list[str]:
    """One trustpoint in IOS's ``show crypto pki trustpoints status`` layout: the issuing CA's
    and the router's certificates (subject, MD5 and SHA-1 fingerprints), then ``State:`` with
    its dotted lines; pkitui adds the held CRLs' update times."""
    lines = [f"Trustpoint {state.name}:"]
    if state.ca is not None:
        lines += _certificate_block("Issuing CA certificate", state.ca)
    for cert in state.device:
        lines += _certificate_block(_router_title(cert), cert)
    kinds = "Usage" if "signature" in state.key_usages else "General Purpose"
    keys = f"Yes ({kinds}, {'exportable' if state.exportable else 'non-exportable'})" if state.keys_generated else "No"
    requests = "Pending" if state.pending else ("Yes" if state.device else "None")
    lines += ["  State:", _dots("Keys generated", 13) + keys,
              _dots("Issuing CA authenticated", 7) + ("Yes" if state.ca is not None else "No"),
              _dots("Certificate request(s)", 5) + requests]
    from pkitui.core.dn import ios_dn

    for crl in state.crls:  # pkitui's lines: IOS's status shows no CRL
        lines.append(f"  CRL {ios_dn(crl['issuer'])}: last update {ios_time(crl['this_update'])}, "
                     f"next update {ios_time(crl['next_update'])}")
    return lines


@command((USER_EXEC, EXEC), "show crypto {pki | ca} trustpoints [NAME] status")
def show_trustpoints_status(session: Session, args: Args) -> None:
    """Each trustpoint's CA and router certificates, key pair and enrollment state."""
    from pkitui.core.lifecycle_status import trustpoint_state

    pki = session.pki
    tps = [pki.trustpoints.get(args["name"])] if "name" in args else pki.trustpoints.list()
    states = [trustpoint_state(pki.config, tp, pki.renewal.due_by_key, pki.certificates.list) for tp in tps]
    lines: list[str] = []
    for state in states:
        lines += status_lines(state)
    if not tps:
        lines.append("% No trustpoints: declare one with crypto pki trustpoint NAME")
    session.show([s.as_json() for s in states], lines)


@command((EXEC, CONFIG), "crypto {pki | ca} cert validate NAME")
def cert_validate(session: Session, args: Args) -> None:
    """Check the trustpoint's own certificate chain (each router certificate to its CA, and on to
    the parent's with chain-validation continue): signatures and validity now, and with
    revocation-check crl, revocation per the CRL held (nothing fetched). A chain that is not valid
    (a revoked router certificate, one without its key pair) makes the command fail (a script
    exits non-zero)."""
    from pkitui.core.lifecycle_status import validate_chain

    pki = session.pki
    name = args["name"]
    if name.lower() not in {n.lower() for n in pki.config.trustpoints}:
        result_lines = [f"Validation Failed: trustpoint not found for {name}"]
        session.show({"trustpoint": name, "valid": False, "reason": "trustpoint not found"}, result_lines)
        raise CertificateError(f"% Certificate chain for {name} is not valid", "See: show crypto pki trustpoints")
    tp = pki.trustpoints.get(name)
    result = validate_chain(pki.config, tp, ca_certificate=pki.certificates.ca_certificate,
                            trustpoint=pki.trustpoints.get, now=pki.clock.now(), certificates=pki.certificates.list)
    if result.ok:  # IOS's two lines, then pkitui's: the router certificates' revocation per the CRL held
        session.show(result.as_json(), [f"Certificate chain has {result.certificates} certificates.",
                                        f"Certificate chain for {tp.name} is valid", *result.notes])
        return
    session.show(result.as_json(), [f"Validation Failed: {result.reason}"])
    raise CertificateError(f"% Certificate chain for {tp.name} is not valid")
