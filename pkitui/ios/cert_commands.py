"""Certificate and CRL commands: show crypto pki certificates / crls, certificate chain
deletion, manual import, peer verification and CRL requests. Thin adapters over
``pki.certificates`` and ``pki.revocation``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkitui.core.dn import ios_dn
from pkitui.core.errors import CertificateError
from pkitui.core.fingerprint import grouped
from pkitui.core.userfile import read_user_file
from pkitui.ios.format import dn_lines, ios_time
from pkitui.ios.grammar import Args
from pkitui.ios.registry import CERT_CHAIN, CONFIG, EXEC, USER_EXEC, command, running_config_section
from pkitui.ios.session import Session

if TYPE_CHECKING:
    from pkitui.core.certs import CertificateInfo
    from pkitui.core.pki import Pki
    from pkitui.core.certs_verify import Verdict
    from pkitui.core.revocation.crl_info import CrlInfo


def _names(info: CertificateInfo) -> tuple[bytes | str | None, bytes | str | None]:
    """(issuer, subject) for printing: from the DER when held, else the names the info carries."""
    if info.der is not None:
        from pkitui.core.dn import certificate_names

        return certificate_names(info.der)
    return info.issuer, info.subject


def _subject_lines(info: CertificateInfo, subject: bytes | str | None) -> list[str]:
    """IOS's ``Subject:`` block: ``Name:`` (the unstructuredName IOS requests carry; else the
    cn of a device certificate), ``IP Address:`` and ``Serial Number:`` when present, then the DN."""
    from pkitui.core.dn import SERIAL_NUMBER, UNSTRUCTURED_ADDRESS, UNSTRUCTURED_NAME, ios_dn_attributes

    if not subject:
        return dn_lines(subject)
    values: dict[str, str] = {}
    for rdn in ios_dn_attributes(subject):
        for oid, value in rdn:
            values.setdefault(oid, value)
    lines = []
    name = values.get(UNSTRUCTURED_NAME) or (values.get("2.5.4.3") if info.role in ("device", "imported") else None)
    if name:
        lines.append(f"    Name: {name}")
    if UNSTRUCTURED_ADDRESS in values:
        lines.append(f"    IP Address: {values[UNSTRUCTURED_ADDRESS]}")
    if SERIAL_NUMBER in values:
        lines.append(f"    Serial Number: {values[SERIAL_NUMBER]}")
    return lines + dn_lines(subject)


def certificate_lines(info: CertificateInfo, verbose: bool = False) -> list[str]:
    """One certificate in the layout of IOS ``show crypto pki certificates [verbose]``."""
    lines = [info.title, f"  Status: {info.status}"]
    if info.revocation_note:  # our own certificates: what the CRL held of its issuer says (nothing fetched)
        lines.append(f"  Revocation: {info.revocation}: {info.revocation_note}")
    if verbose and info.der is not None:
        from pkitui.ios.cert_verbose import verbose_version

        lines.append(verbose_version(info.der))
    if info.serial_hex:
        lines.append(f"  Certificate Serial Number (hex): {info.serial_hex}")
    lines.append(f"  Certificate Usage: {info.usage}")
    issuer, subject = _names(info)
    lines += ["  Issuer:", *dn_lines(issuer), "  Subject:", *_subject_lines(info, subject)]
    if info.crl_distribution_points:
        lines += ["  CRL Distribution Points:", *(f"    {u}" for u in info.crl_distribution_points)]
    if info.not_before:
        lines += ["  Validity Date:", f"    start date: {ios_time(info.not_before)}",
                  f"    end   date: {ios_time(info.not_after)}"]
    if verbose and info.der is not None:
        from pkitui.ios.cert_verbose import verbose_lines

        lines += verbose_lines(info.der)
    elif not info.der:  # fingerprint only: the one way to tell it
        sha = info.fingerprints.get("sha256")
        if sha:
            lines.append(f"  Fingerprint SHA256: {grouped(sha)}")
    lines.append(f"  Associated Trustpoints: {info.trustpoint}")
    if info.key_label:
        lines.append(f"  Key Label: {info.key_label}")
    if info.source == "import":  # pkitui's: IOS names the NVRAM file here, pkitui has none
        lines.append("  Storage: imported manually (crypto pki import)")
    return lines


@command((USER_EXEC, EXEC), "show crypto {pki | ca} certificates [NAME] [verbose]")
def show_certificates(session: Session, args: Args) -> None:
    """Device, RA and CA certificates, as IOS lists them (``verbose``: extensions, fingerprints;
    ``--json``: the same with PEM)."""
    infos = session.pki.certificates.list(args.get("name"))
    lines: list[str] = []
    for info in infos:
        lines += certificate_lines(info, "verbose" in args.words) + [""]
    if session.pki.config.query_mode:
        lines.append("% Query mode: certificates are fetched from the CA when needed (unavailable while it is down).")
    if not infos:
        lines.append("% No certificates" + (f" for trustpoint {args['name']}" if args.get("name") else ""))
    session.show([i.as_json() for i in infos], lines)


@command(CERT_CHAIN, "no certificate SERIAL")
def delete_certificate(session: Session, args: Args) -> None:
    """Delete one certificate of the chain by its serial number (hex)."""
    tp = session.context
    if not session.confirm("% Are you sure you want to remove the certificate [yes/no]: "):
        session.print("% Certificate not removed.")
        return
    for info in session.pki.certificates.delete(tp, args["serial"]):
        session.print(f"% {info.title} {info.serial_hex} removed from trustpoint {tp}.")


MAX_CERTIFICATE_FILE = 1024 * 1024  # a certificate chain is a few kB

ROLE_WORDS = ("ca", "ra-signature", "ra-encryption", "ra", "imported")


@command(CERT_CHAIN, "certificate [ca | ra-signature | ra-encryption | ra | imported] SERIAL")
@command(CERT_CHAIN, "certificate rollover ca SERIAL")
def restore_certificate(session: Session, args: Args) -> None:
    """Put a certificate back from its hex (as ``show running-config`` lists it), ending with ``quit``;
    ``certificate rollover ca``: the CA's next (shadow) certificate, as IOS lists it."""
    tp = session.context
    role = "ca-next" if "rollover" in args.kw else next((w for w in args.kw if w in ROLE_WORDS), "device")

    def done(text: str) -> None:
        try:
            der = bytes.fromhex("".join(text.split()))
        except ValueError:
            raise CertificateError("% The certificate hex is not valid", "Paste hex digits, then quit.") from None
        session.pki.certificates.restore(tp, role, args["serial"], der)

    session.collect_block(done)


@running_config_section(80, "certificate chains")
def render_certificate_chains(pki: Pki) -> list[str]:
    """``crypto pki certificate chain NAME`` with each held certificate's hex (IOS layout)."""
    from pkitui.core.keys import ios_hex_lines

    lines: list[str] = []
    for tp in pki.trustpoints.list():
        entries = pki.certificate_chain(tp.name)
        if not entries:
            continue
        if lines:
            lines.append("!")
        lines.append(f"crypto pki certificate chain {tp.name}")
        for entry in entries:
            role = {"device": "", "ca-next": " rollover ca"}.get(entry.role, f" {entry.role}")
            lines.append(f" certificate{role} {entry.serial_hex}")
            lines += ["  " + ln for ln in ios_hex_lines(entry.der)]
            lines.append("  quit")
    return lines


def _import(session: Session, name: str, data: bytes) -> None:
    info = session.pki.certificates.import_certificate(name, data)
    session.print("% Router Certificate successfully imported")  # IOS's words
    session.print(f"% Certificate {info.serial_hex} imported into trustpoint {name} (key {info.key_label}).")
    session.print("% Save the configuration to keep it: copy system:running-config nvram:startup-config")


def read_certificate_file(path: str, hint: str) -> bytes:
    """A certificate (or chain) file's bytes; CertificateError when it is not a regular file (a FIFO
    would hang, /dev/zero never end), is unreadable or far too large."""
    return read_user_file(path, "a certificate file", MAX_CERTIFICATE_FILE, hint=hint, error=CertificateError)


@command(CONFIG, "crypto {pki | ca} import NAME certificate [FILE]")
def import_certificate(session: Session, args: Args) -> None:
    """Import a certificate obtained by hand: from FILE, or PEM pasted until ``quit``."""
    name = session.pki.trustpoints.get(args["name"]).name
    if args.get("file"):
        _import(session, name, read_certificate_file(args["file"], "Give the path of a PEM or DER certificate file."))
        return
    session.print("Enter the base 64 encoded certificate.\n"
                  "End with a blank line or the word \"quit\" on a line by itself")
    session.collect_block(lambda text: _import(session, name, text.encode()))


@command(CONFIG, "no crypto {pki | ca} import NAME certificate")
def remove_imported(session: Session, args: Args) -> None:
    """Delete the certificates imported by hand into trustpoint NAME."""
    name = session.pki.trustpoints.get(args["name"]).name
    for info in session.pki.certificates.remove_imported(name):
        session.print(f"% Imported certificate {info.serial_hex} removed from trustpoint {name}.")


def verdict_lines(verdict: Verdict) -> list[str]:
    """What ``crypto pki verify`` prints."""
    head = "% Certificate is VALID" if verdict.ok else f"% Certificate is {verdict.status.upper()} ({verdict.check})"
    lines = [head, f"  Subject: {verdict.subject}", f"  Serial Number (hex): {verdict.serial_hex}"]
    if verdict.trustpoint:
        lines.append(f"  Trustpoint: {verdict.trustpoint}")
    if verdict.chain:
        lines.append("  Chain: " + " <- ".join(reversed(verdict.chain)))
    lines.append(f"  Reason: {verdict.reason}")
    if len(verdict.path) > 1:  # the peer sent intermediates: each was checked against its own issuer
        for check in verdict.path:
            lines.append(f"  Revocation of {check.role} {check.subject} (serial {check.serial_hex}, "
                         f"issuer {check.issuer}): {check.revocation.status}")
            lines += [f"    {a.method}: {a.status} - {a.detail}" for a in check.revocation.attempts]
    elif verdict.revocation:
        for attempt in verdict.revocation.attempts:
            lines.append(f"  Revocation {attempt.method}: {attempt.status} - {attempt.detail}")
    return lines


@command((USER_EXEC, EXEC), "crypto {pki | ca} verify FILE [NAME]")
def verify(session: Session, args: Args) -> None:
    """Check a peer certificate as IKE would: chain, validity, key usage, revocation of the peer
    and of every intermediate CA in FILE (a PEM bundle, peer first, as IKE peers send chains).
    A certificate that fails makes the command fail (a script exits non-zero)."""
    data = read_certificate_file(args["file"], "Give the path of the peer's certificate (PEM or DER), "
                                 "optionally followed by its intermediate CA certificates (PEM).")
    verdict = session.pki.certificates.verify_peer(data, args.get("name"))
    session.show(verdict.as_json(), verdict_lines(verdict))
    if not verdict.ok:
        which = f" ({verdict.revocation_subject})" if verdict.revocation_subject and verdict.path \
            and verdict.revocation_subject != verdict.path[0].subject else ""
        raise CertificateError(f"% Peer certificate refused: {verdict.check} check failed{which}")


def crl_lines(info: CrlInfo) -> list[str]:
    """One CRL in the layout of IOS ``show crypto pki crls`` (plus entries and where it is held)."""
    where = {"nvram": "in NVRAM", "cache": "in the cache outside NVRAM (too large for the NVRAM left)",
             "memory": "in memory only (query mode)"}[info.location]
    lines = ["CRL Issuer Name:", f"    {ios_dn(info.issuer)}", f"    LastUpdate: {ios_time(info.this_update)}",
             f"    NextUpdate: {ios_time(info.next_update)}" + ("  (expired: fetched again at the next check)"
                                                               if info.expired else ""),
             *_retrieved_lines(info),
             f"    CRL size is {info.size:,} bytes, {info.entries:,} revoked certificate(s)"]
    if info.crl_number is not None:
        lines.append(f"    CRL number: {info.crl_number}")
    lines.append(f"    CRL is stored {where}, trustpoint {info.trustpoint}")
    return lines + [f"% {note}" for note in info.notes]


def _retrieved_lines(info: CrlInfo) -> list[str]:
    """Where the CRL came from: IOS's CRL Distribution Point and SCEP lines; a ``crl query`` URL
    (LDAP in IOS, HTTP too in pkitui) named as such."""
    from pkitui.core.revocation.crl_info import CrlVia

    if info.via is CrlVia.SCEP:  # as IOS prints a CRL fetched with GetCRL
        return ["    Retrieved from CRL Distribution Point:",
                f"      ** CDP Not Published - Retrieved via SCEP ({info.source.removeprefix('scep ')})"]
    title = "Retrieved via crl query" if info.via is CrlVia.CRL_QUERY else "Retrieved from CRL Distribution Point"
    return [f"    {title}:", f"      {info.source}"]


@command(CONFIG, "crypto {pki | ca} crl request NAME")
def crl_request(session: Session, args: Args) -> None:
    """Download the newest CRL of trustpoint NAME now (SCEP GetCRL, CDP, then crl query)."""
    info = session.pki.revocation.request_crl(args["name"])
    session.print(f"% CRL received for trustpoint {info.trustpoint}: {info.entries:,} entries from {info.where}")
    for note in info.notes:
        session.print(f"% {note}")


@command((USER_EXEC, EXEC), "show crypto {pki | ca} crls [NAME]")
def show_crls(session: Session, args: Args) -> None:
    """The CRLs held, where they came from and where they are kept."""
    infos = session.pki.revocation.crls(args.get("name"))
    lines: list[str] = []
    for info in infos:
        lines += crl_lines(info) + [""]
    if not infos:
        lines.append("% No CRLs held" + (f" for trustpoint {args['name']}" if args.get("name") else ""))
    if session.pki.config.query_mode:
        lines.append("% Query mode: CRLs are held in memory only and fetched again when needed "
                     "(revocation checks fail or fall through while the CA is down).")
    session.show([i.as_json() for i in infos], lines)
