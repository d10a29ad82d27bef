"""``show running-config`` (crypto part, IOS syntax, round-trips) and ``show crypto pki trustpoints``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pkitui.core.trustpoints import Trustpoint
from pkitui.ios.grammar import Args
from pkitui.ios.registry import EXEC, SECTIONS, USER_EXEC, command, load_commands
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


@command((USER_EXEC, EXEC), "show {running-config | system:running-config}")
@command(EXEC, "write terminal")
def show_running_config(session: Session, args: Args) -> None:
    """The crypto part of the running configuration, in IOS syntax."""
    lines = running_config_lines(session.pki)
    size = sum(len(line) + 1 for line in lines)
    header = ["! pkitui running configuration", f"! Current configuration : {size} bytes"]
    if session.pki.dirty:
        header.append("! (unsaved changes: copy system:running-config nvram:startup-config)")
    session.show({"lines": lines, "dirty": session.pki.dirty}, header + lines)


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


def trustpoint_show_lines(tp: Trustpoint, pki: Pki) -> list[str]:
    """One trustpoint for ``show crypto pki trustpoints``."""
    st = _status(tp, pki)
    proxy = f"{tp.enrollment_http_proxy[0]} port {tp.enrollment_http_proxy[1]}" if tp.enrollment_http_proxy else None
    root = f"tftp://{tp.root_tftp[0]}/{tp.root_tftp[1]}" if tp.root_tftp else None
    rows: list[tuple[str, Any]] = [
        ("Enrollment URL", tp.enrollment_url),
        ("Enrollment command", tp.enrollment_command),
        ("Enrollment mode", "RA" if tp.enrollment_mode_ra else None),
        ("Enrollment retry", f"every {tp.enrollment_retry_period} min, "
                             f"{tp.enrollment_retry_count or 'unlimited'} time(s)"),
        ("HTTP proxy", proxy),
        ("CRL query", tp.crl_query),
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
    lines = [f"Trustpoint {tp.name}:"]
    lines += [f"    {k}: {v}" for k, v in rows if v is not None]
    if st["authenticated"]:
        lines.append("    CA certificate configured (authenticated).")
    else:
        lines.append("    Not authenticated: crypto pki authenticate " + tp.name)
    if st["device_certificates"]:
        lines.append(f"    Device certificates: {st['device_certificates']}")
    if st["pending_requests"]:
        lines.append(f"    Pending enrollment requests: {st['pending_requests']}")
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
