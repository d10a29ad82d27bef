"""``show running-config`` (crypto part, IOS syntax, round-trips) and ``show crypto pki trustpoints``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pkitui.core.trustpoints import Trustpoint
from pkitui.ios.grammar import Args
from pkitui.ios.registry import ALL_MODES, EXEC, SECTIONS, USER_EXEC, command, load_commands
from pkitui.ios.session import Session

if TYPE_CHECKING:
    from pkitui.core.pki import Pki


def running_config_lines(pki: Pki) -> list[str]:
    """The running configuration in IOS syntax: every registered section, ``!`` between them.

    Private keys never appear; peers' public keys do (as ``key-string`` blocks). Feeding the
    lines back to ``pkitui exec`` on an empty store rebuilds the same configuration.
    """
    load_commands()
    body: list[str] = []
    for section in SECTIONS:
        lines = section.render(pki)
        if lines:
            body += ["!"] + lines
    return body + ["!", "end"]


def configuration_size(lines: list[str]) -> int:
    """IOS's ``Current configuration : N bytes``: the bytes of the text that follows the line,
    from the first ``!`` to ``end``, each line ending in a newline."""
    return sum(len(line.encode()) + 1 for line in lines)


def running_config_show(pki: Pki) -> list[str]:
    """``show running-config`` as IOS prints it: ``Building configuration...``, a blank line,
    ``Current configuration : N bytes``, then the configuration (an unsaved-changes remark, a
    ``!`` comment, is part of it and counted). The heading lines are accepted and ignored when
    the output is fed back (:func:`configuration_heading`)."""
    lines = running_config_lines(pki)
    if pki.dirty:
        lines = ["!", "! Unsaved changes: copy system:running-config nvram:startup-config"] + lines
    return ["Building configuration...", "", f"Current configuration : {configuration_size(lines)} bytes"] + lines


@command((USER_EXEC, EXEC), "show {running-config | system:running-config}")
@command(EXEC, "write terminal")
def show_running_config(session: Session, args: Args) -> None:
    """The crypto part of the running configuration, in IOS syntax."""
    lines = running_config_lines(session.pki)
    session.show({"lines": lines, "dirty": session.pki.dirty}, running_config_show(session.pki))


@command(ALL_MODES, "building configuration...", hidden=True)
@command(ALL_MODES, "current configuration SIZE...", hidden=True)
def configuration_heading(session: Session, args: Args) -> None:
    """The heading of ``show running-config`` (``Building configuration...``, ``Current
    configuration : N bytes``): accepted and ignored, so that the output runs as a script."""


@command((USER_EXEC, EXEC), "show {startup-config | nvram:startup-config}")
def show_startup_config(session: Session, args: Args) -> None:
    """The saved configuration (what the next ``pkitui exec`` starts from), in IOS syntax."""
    from pkitui.core.pki import Pki

    store = session.pki.store
    if not store.read_tables():
        session.show({"lines": []}, ["% startup-config is not present (nothing saved yet)"])
        return
    lines = running_config_lines(Pki(store))
    size = sum(len(line) + 1 for line in lines)
    session.show({"lines": lines}, ["! pkitui startup configuration", f"! Used : {size} bytes"] + lines)


def _status(tp: Trustpoint, pki: Pki) -> dict[str, Any]:
    status = pki.trustpoints.status(tp.name)
    return {
        "authenticated": status.authenticated,
        "device_certificates": status.device_certificates,
        "pending_requests": status.pending,
    }


def trustpoint_json(tp: Trustpoint, pki: Pki) -> dict[str, Any]:
    """A trustpoint as JSON-ready data (the password only as "is set")."""
    doc = tp.to_doc()
    doc["password_set"] = tp.password is not None
    return doc | _status(tp, pki)


def _ca_subject_lines(tp: Trustpoint, pki: Pki) -> list[str]:
    """IOS's ``Subject Name:`` block of the trustpoint's CA certificate: the first RDN under the
    label, the others and the serial indented further (as IOS 12.4-15.x print it). Read from
    the DER's shape: this show command imports no X.509 code. Empty when only the fingerprint
    is held (query mode, small NVRAM)."""
    from pkitui.core.dn import certificate_names, ios_dn_parts

    ca = next((e for e in pki.certificate_chain(tp.name) if e.role == "ca"), None)
    if ca is None:
        return []
    parts = ios_dn_parts(certificate_names(ca.der)[1]) or [""]
    return (["    Subject Name:", f"    {parts[0]}"] + [f"          {p}" for p in parts[1:]]
            + [f"          Serial Number (hex): {ca.serial_hex}"])


def trustpoint_show_lines(tp: Trustpoint, pki: Pki) -> list[str]:
    """One trustpoint for ``show crypto pki trustpoints``: IOS's lines (``Subject Name:`` and
    ``Serial Number (hex):`` of the CA certificate, ``Certificate configured.``, ``SCEP URL:``,
    ``CRL query url:``), then pkitui's own (how the trustpoint reaches its CA, what it holds),
    which IOS leaves to ``show running-config`` and ``show crypto pki trustpoints status``."""
    status = pki.trustpoints.status(tp.name)
    lines = [f"Trustpoint {tp.name}:"]
    if status.authenticated:
        lines += _ca_subject_lines(tp, pki) + ["    Certificate configured."]
    if tp.enrollment_url:
        lines.append(f"    SCEP URL: {tp.enrollment_url}")
    if tp.crl_query:
        lines.append(f"    CRL query url: {tp.crl_query}")
    # pkitui's lines: not in IOS's output, which has no layout for them.
    proxy = f"{tp.enrollment_http_proxy[0]} port {tp.enrollment_http_proxy[1]}" if tp.enrollment_http_proxy else None
    root = f"tftp://{tp.root_tftp[0]}/{tp.root_tftp[1]}" if tp.root_tftp else None
    rows: list[tuple[str, Any]] = [
        ("Enrollment command", tp.enrollment_command),
        ("Enrollment mode", "RA" if tp.enrollment_mode_ra else None),
        ("Enrollment retry", f"every {tp.enrollment_retry_period} min, "
                             f"{tp.enrollment_retry_count or 'unlimited'} time(s)"),
        ("HTTP proxy", proxy),
        ("Revocation check", " ".join(tp.revocation_check)),
        ("OCSP URL", tp.ocsp_url),
        ("Root certificate", root),
        ("CA fingerprint", tp.fingerprint),
        ("Challenge password", "configured" if tp.password is not None else None),
        ("RSA key pair", tp.rsakeypair or "(the FQDN's keys)"),
        ("Subject name", tp.subject_name),
        ("Serial number", "included" if tp.serial_number else None),
        ("IP address", tp.ip_address),
    ]
    lines += [f"    {k}: {v}" for k, v in rows if v is not None]
    if not status.authenticated:
        lines.append("    Not authenticated: crypto pki authenticate " + tp.name)
    if status.device_certificates:
        lines.append(f"    Device certificates: {status.device_certificates}")
    if status.pending:
        lines.append(f"    Pending enrollment requests: {status.pending}")
    return lines


@command((USER_EXEC, EXEC), "show crypto {pki | ca} trustpoints [NAME]")
def show_trustpoints(session: Session, args: Args) -> None:
    """The trustpoints and how each reaches its CA."""
    pki = session.pki
    tps = [pki.trustpoints.get(args["name"])] if "name" in args else pki.trustpoints.list()
    lines: list[str] = []
    for tp in tps:
        if lines:
            lines.append("")
        lines += trustpoint_show_lines(tp, pki)
    if not tps:
        lines.append("% No trustpoints: declare one with crypto pki trustpoint NAME")
    session.show([trustpoint_json(tp, pki) for tp in tps], lines)
