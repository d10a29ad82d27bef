"""Trustpoints: ``crypto ca|pki trustpoint NAME`` and every ca-trustpoint sub-command."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pkitui.core.errors import StoreError
from pkitui.core.trustpoints import DEFAULT_SCEP_PATH, Trustpoint
from pkitui.ios.grammar import Args
from pkitui.ios.registry import CERT_CHAIN, CONFIG, TRUSTPOINT, command, running_config_section
from pkitui.ios.session import Session

if TYPE_CHECKING:
    from pkitui.core.pki import Pki

T = TRUSTPOINT
METHOD = "{crl | ocsp | none}"


def _tp(session: Session) -> Trustpoint:
    """The trustpoint the current ca-trustpoint mode works on."""
    tp: Trustpoint = session.pki.trustpoints.get(session.context)
    return tp


def _set_or_reset(session: Session, args: Args, option: str, set_value: Callable[[Trustpoint], None]) -> None:
    """``OPTION VALUE`` sets through the validating setter; ``no OPTION`` restores its default."""
    tp = _tp(session)
    if args.no:
        tp.reset(option)
    else:
        set_value(tp)


@command(CONFIG, "crypto {ca | pki} trustpoint NAME")
def trustpoint(session: Session, args: Args) -> None:
    """Declare a trustpoint (or open an existing one) and enter ca-trustpoint mode."""
    tp = session.pki.trustpoints.declare(args["name"])
    session.enter(TRUSTPOINT, tp.name)


@command(CONFIG, "no crypto {ca | pki} trustpoint NAME")
def no_trustpoint(session: Session, args: Args) -> None:
    """Remove a trustpoint with every certificate, CRL and pending request under it."""
    name = args["name"]
    session.pki.trustpoints.get(name)
    if any(c.trustpoint == name for c in session.pki.config.certificates):
        if not session.confirm("% Removing an enrolled trustpoint will destroy all certificates received "
                               "from the related Certificate Authority.\nAre you sure you want to do this? [yes/no]: "):
            return
    for item in session.pki.trustpoints.remove(name):
        session.print(f"% Removed {item}")


@command(CONFIG, "crypto {ca | pki} certificate chain NAME")
def certificate_chain(session: Session, args: Args) -> None:
    """Enter certificate chain mode for a trustpoint (``no certificate SERIAL`` lives there)."""
    session.enter(CERT_CHAIN, session.pki.trustpoints.get(args["name"]).name)


@command(T, "enrollment url URL")
@command(T, "no enrollment url [URL]")
def enrollment_url(session: Session, args: Args) -> None:
    """The CA's SCEP URL."""
    _set_or_reset(session, args, "enrollment_url", lambda tp: tp.set_enrollment_url(args["url"]))


@command(T, "enrollment command [PATH]")
@command(T, "no enrollment command [PATH]")
def enrollment_command(session: Session, args: Args) -> None:
    """The HTTP path sent to the CA (``/cgi-bin/pkiclient.exe`` when none is given)."""
    _set_or_reset(session, args, "enrollment_command", lambda tp: tp.set_enrollment_command(args.get("path")))


@command(T, "enrollment mode ra")
@command(T, "no enrollment mode [ra]")
def enrollment_mode_ra(session: Session, args: Args) -> None:
    """The CA has a registration authority."""
    _tp(session).enrollment_mode_ra = not args.no


@command(T, "enrollment retry period MINUTES:int")
@command(T, "no enrollment retry period [MINUTES:int]")
def retry_period(session: Session, args: Args) -> None:
    """Minutes between polls of a pending enrollment (1-60, default 1)."""
    _set_or_reset(session, args, "enrollment_retry_period", lambda tp: tp.set_retry_period(args["minutes"]))


@command(T, "enrollment retry count COUNT:int")
@command(T, "no enrollment retry count [COUNT:int]")
def retry_count(session: Session, args: Args) -> None:
    """How many polls before giving up (0-100, 0: until cancelled)."""
    _set_or_reset(session, args, "enrollment_retry_count", lambda tp: tp.set_retry_count(args["count"]))


@command(T, "enrollment timeout SECONDS:int")
@command(T, "no enrollment timeout [SECONDS:int]")
def enrollment_timeout(session: Session, args: Args) -> None:
    """Deadline of each network operation to this CA, connect to last byte (1-3600 s, default 30; our addition)."""
    _set_or_reset(session, args, "enrollment_timeout", lambda tp: tp.set_timeout(args["seconds"]))


@command(T, "enrollment http-proxy HOST PORT:int")
@command(T, "no enrollment http-proxy [HOST [PORT:int]]")
def http_proxy(session: Session, args: Args) -> None:
    """Reach the CA through an HTTP proxy."""
    _set_or_reset(session, args, "enrollment_http_proxy", lambda tp: tp.set_http_proxy(args["host"], args["port"]))


@command(T, "crl query URL")
@command(T, "no crl query [URL]")
def crl_query(session: Session, args: Args) -> None:
    """Where to query CRLs over LDAP (ldap://HOST[:PORT])."""
    _set_or_reset(session, args, "crl_query", lambda tp: tp.set_crl_query(args["url"]))


@command(T, f"revocation-check {METHOD} [{METHOD} [{METHOD}]]")
@command(T, f"no revocation-check [{METHOD} [{METHOD} [{METHOD}]]]")
def revocation_check(session: Session, args: Args) -> None:
    """Revocation methods tried in order: crl, ocsp, none (default: crl)."""
    _set_or_reset(session, args, "revocation_check", lambda tp: tp.set_revocation_check(args.kw[1:]))


@command(T, "ocsp url URL")
@command(T, "no ocsp url [URL]")
def ocsp_url(session: Session, args: Args) -> None:
    """The OCSP responder to ask (instead of the certificate's AIA)."""
    _set_or_reset(session, args, "ocsp_url", lambda tp: tp.set_ocsp_url(args["url"]))


@command(T, "root tftp SERVER FILE")
@command(T, "no root [tftp [SERVER [FILE]]]")
def root_tftp(session: Session, args: Args) -> None:
    """Get the CA certificate over TFTP from SERVER[:PORT]."""
    _set_or_reset(session, args, "root_tftp", lambda tp: tp.set_root_tftp(args["server"], args["file"]))


@command(T, "fingerprint HEX...")
@command(T, "no fingerprint [HEX...]")
def fingerprint(session: Session, args: Args) -> None:
    """The CA fingerprint expected at authentication (MD5, SHA-1 or SHA-256 hex)."""
    _set_or_reset(session, args, "fingerprint", lambda tp: tp.set_fingerprint(args["hex"]))


@command(T, "password [SECRET]")
@command(T, "password 7 SEALED")
@command(T, "no password [SECRET]")
def password(session: Session, args: Args) -> None:
    """The SCEP challenge password (stored encrypted; ``password 7`` takes the sealed form)."""
    tp = _tp(session)
    if args.no:
        tp.reset("password")
    elif "sealed" in args:
        try:
            tp.set_password(session.pki.box.open(args["sealed"]))
        except (StoreError, ValueError):
            # A running-config from another store: rebuild the rest, but say what is missing.
            tp.password = None
            session.warn(f"% Warning: trustpoint {tp.name}: this 'password 7' was sealed by another store; "
                         "the challenge password is NOT set.\n% Enter it again: password SECRET")
    elif "secret" in args:
        tp.set_password(args["secret"])
    else:
        tp.set_password(session.ask_secret(
            "Challenge password: ", refuse_hint="Give it on the line in a script: password SECRET"))


@command(T, "rsakeypair LABEL")
@command(T, "no rsakeypair [LABEL]")
def rsakeypair(session: Session, args: Args) -> None:
    """The key pair this trustpoint enrolls (default: the FQDN's keys)."""
    _set_or_reset(session, args, "rsakeypair", lambda tp: tp.set_rsakeypair(args["label"]))


@command(T, "subject-name DN...")
@command(T, "no subject-name [DN...]")
def subject_name(session: Session, args: Args) -> None:
    """The subject DN requested (RFC 4514: CN=r1.example.com,O=Example)."""
    _set_or_reset(session, args, "subject_name", lambda tp: tp.set_subject_name(args["dn"]))


@command(T, "serial-number [none]")
@command(T, "no serial-number")
def serial_number(session: Session, args: Args) -> None:
    """Put the device serial number in the certificate request."""
    _tp(session).serial_number = not args.no and "none" not in args.words


@command(T, "ip-address ADDRESS")
@command(T, "no ip-address [ADDRESS]")
def ip_address(session: Session, args: Args) -> None:
    """Put this IP address in the certificate request."""
    tp = _tp(session)
    if args.no or args["address"].lower() == "none":
        tp.ip_address = None
    else:
        tp.set_ip_address(args["address"])


def trustpoint_lines(tp: Trustpoint, pki: Pki) -> list[str]:
    """The ``crypto pki trustpoint`` block of ``show running-config`` for ``tp``."""
    lines = [f"crypto pki trustpoint {tp.name}"]
    sub = lines.append
    if tp.enrollment_url:
        sub(f" enrollment url {tp.enrollment_url}")
    if tp.enrollment_command:
        sub(f" enrollment command {tp.enrollment_command}" if tp.enrollment_command != DEFAULT_SCEP_PATH
            else " enrollment command")
    if tp.enrollment_mode_ra:
        sub(" enrollment mode ra")
    if tp.enrollment_retry_period != 1:
        sub(f" enrollment retry period {tp.enrollment_retry_period}")
    if tp.enrollment_retry_count:
        sub(f" enrollment retry count {tp.enrollment_retry_count}")
    if tp.enrollment_timeout:
        sub(f" enrollment timeout {tp.enrollment_timeout}")
    if tp.enrollment_http_proxy:
        sub(f" enrollment http-proxy {tp.enrollment_http_proxy[0]} {tp.enrollment_http_proxy[1]}")
    if tp.crl_query:
        sub(f" crl query {tp.crl_query}")
    if tp.ocsp_url:
        sub(f" ocsp url {tp.ocsp_url}")
    if tp.root_tftp:
        sub(f" root tftp {tp.root_tftp[0]} {tp.root_tftp[1]}")
    if tp.fingerprint:
        sub(f" fingerprint {tp.fingerprint}")
    if tp.password is not None:
        # Like IOS's "password 7": reversible only with this store's secret, never in clear.
        sub(f" password 7 {pki.box.seal(tp.password)}")
    if tp.rsakeypair:
        sub(f" rsakeypair {tp.rsakeypair}")
    if tp.subject_name:
        sub(f" subject-name {tp.subject_name}")
    if tp.serial_number:
        sub(" serial-number")
    if tp.ip_address:
        sub(f" ip-address {tp.ip_address}")
    sub(f" revocation-check {' '.join(tp.revocation_check)}")
    return lines


@running_config_section(40, "trustpoints")
def render_trustpoints(pki: Pki) -> list[str]:
    """Every trustpoint, separated by ``!``."""
    lines: list[str] = []
    for tp in pki.trustpoints.list():
        if lines:
            lines.append("!")
        lines += trustpoint_lines(tp, pki)
    return lines
