"""Certificate maps: ``crypto pki certificate map LABEL SEQ`` (ca-certificate-map mode) with
``subject-name``/``issuer-name {co | eq | nc | ne} VALUE`` lines, and their running-config block.
A trustpoint's ``match certificate MAP`` (the option table) makes ``crypto pki verify`` use them;
the rules live in :mod:`pkitui.core.certmaps`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkitui.core.certmaps import MAX_SEQ, CertificateMaps, rules_of
from pkitui.core.records import CertificateMapEntry
from pkitui.ios.grammar import Args
from pkitui.ios.mode_commands import do, end, exit_
from pkitui.ios.registry import CONFIG, command, register_mode, running_config_section
from pkitui.ios.session import Session

if TYPE_CHECKING:
    from pkitui.core.pki import Pki

CERT_MAP = "ca-certificate-map"
register_mode(CERT_MAP, "(ca-certificate-map)#", CONFIG)
# exit, end and do work here as in every configuration sub-mode.
command(CERT_MAP, "exit")(exit_)
command(CERT_MAP, "end")(end)
command(CERT_MAP, "do COMMAND...")(do)

_OPERATOR = "{co | eq | nc | ne}"


def _maps(session: Session) -> CertificateMaps:
    return CertificateMaps(session.pki.config)


@command(CONFIG, f"crypto {{ca | pki}} certificate map LABEL SEQ:1-{MAX_SEQ}")
def certificate_map(session: Session, args: Args) -> None:
    """Define a certificate map sequence (matched against peer certificates) and enter its mode."""
    entry = _maps(session).declare(args["label"], int(args["seq"]))
    session.enter(CERT_MAP, entry)


@command(CONFIG, f"no crypto {{ca | pki}} certificate map LABEL [SEQ:1-{MAX_SEQ}]")
def no_certificate_map(session: Session, args: Args) -> None:
    """Remove a certificate map sequence, or the whole map."""
    seq = args.get("seq")
    _maps(session).remove(args["label"], None if seq is None else int(seq))


@command(CERT_MAP, f"subject-name {_OPERATOR} VALUE...", help="Compare the certificate's subject name.")
@command(CERT_MAP, f"issuer-name {_OPERATOR} VALUE...", help="Compare the certificate's issuer name.")
@command(CERT_MAP, f"no subject-name {_OPERATOR} VALUE...", help="Compare the certificate's subject name.")
@command(CERT_MAP, f"no issuer-name {_OPERATOR} VALUE...", help="Compare the certificate's issuer name.")
def map_rule(session: Session, args: Args) -> None:
    """A line of the sequence: co contains, eq equal, nc not contains, ne not equal (any case)."""
    entry: CertificateMapEntry = session.context
    field = "subject-name" if "subject-name" in args.words else "issuer-name"
    operator = next(w for w in ("co", "eq", "nc", "ne") if w in args.words)
    if args.no:
        CertificateMaps.remove_rule(entry, field, operator, args["value"])
    else:
        CertificateMaps.add_rule(entry, field, operator, args["value"])


@running_config_section(50, "certificate maps")
def render_certificate_maps(pki: Pki) -> list[str]:
    """Each sequence as IOS shows it: ``crypto pki certificate map LABEL SEQ`` then its lines."""
    lines: list[str] = []
    for entry in CertificateMaps(pki.config).entries():
        if lines:
            lines.append("!")
        lines.append(f"crypto pki certificate map {entry.label} {entry.seq}")
        lines += [f" {rule.line}" for rule in rules_of(entry)]
    return lines
