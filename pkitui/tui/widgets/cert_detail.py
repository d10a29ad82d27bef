"""A certificate as a person reads it: every field, validity with days left in its tone, PEM on a
toggle. Built from ``pki.certificates.list()`` (CertificateInfo)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rich.table import Table
from rich.text import Text

from pkitui.core.dn import ios_dn
from pkitui.core.fingerprint import DIGESTS, grouped_lines
from pkitui.core.records import OwnRevocation
from pkitui.ios.format import ios_time
from pkitui.tui.tones import Tone
from pkitui.tui.widgets.toned import TonedStatic, ToneStyles, tone

if TYPE_CHECKING:
    from pkitui.core.certs import CertificateInfo

REVOCATION_TONES = {OwnRevocation.REVOKED: Tone.ERROR_STRONG, OwnRevocation.NOT_REVOKED: Tone.OK,
                    OwnRevocation.NO_CRL: Tone.WARNING, OwnRevocation.NOT_CHECKED: Tone.WARNING}

ROLE_ORDER = {"ca": 0, "ra": 1, "ra-signature": 1, "ra-encryption": 1, "device": 2, "imported": 3}


def days_left(not_after: datetime, now: datetime) -> float:
    """Days until expiry (negative once expired)."""
    if not_after.tzinfo is None:
        not_after = not_after.replace(tzinfo=timezone.utc)
    return (not_after - now).total_seconds() / 86400


def expiry_tone(days: float) -> Tone:
    """The tone of the days left: OK (> 30 days), WARNING (≤ 30), ERROR_STRONG (≤ 7 or expired)."""
    if days <= 7:
        return Tone.ERROR_STRONG
    if days <= 30:
        return Tone.WARNING
    return Tone.OK


def expiry_text(not_after: datetime, now: datetime, styles: ToneStyles) -> Text:
    """'123 days left' / 'EXPIRED 2 days ago', in the tone of :func:`expiry_tone`."""
    d = days_left(not_after, now)
    style = tone(styles, expiry_tone(d))
    if d < 0:
        return Text(f"EXPIRED {int(-d)} day(s) ago", style=style)
    if d < 1:
        return Text(f"expires in {int(d * 24)} h {int(d * 1440) % 60} min", style=style)
    return Text(f"{int(d)} days left", style=style)


@dataclass
class CertView:
    """What the browser shows for one certificate."""

    trustpoint: str
    role: str
    serial_hex: str
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    status: str
    usage: str
    key_label: str
    key: str
    extensions: list[tuple[str, str]]
    fingerprints: dict[str, str]
    crl_distribution_points: list[str]
    pem: str
    orphaned: bool = False
    revocation: OwnRevocation = OwnRevocation.NOT_CHECKED
    revocation_note: str = ""
    key_pair_missing: str = "its key pair was zeroized"  # the core's wording (CertificateInfo.key_pair_missing)


def _extensions(cert: x509.Certificate) -> list[tuple[str, str]]:
    out = []
    for ext in cert.extensions:
        name = ext.oid._name if ext.oid._name != "Unknown OID" else ext.oid.dotted_string
        value = ext.value
        if isinstance(value, x509.KeyUsage):
            bits = [n for n, on in (("digital_signature", value.digital_signature),
                                    ("content_commitment", value.content_commitment),
                                    ("key_encipherment", value.key_encipherment),
                                    ("data_encipherment", value.data_encipherment),
                                    ("key_agreement", value.key_agreement), ("key_cert_sign", value.key_cert_sign),
                                    ("crl_sign", value.crl_sign)) if on]
            text = ", ".join(bits)
        elif isinstance(value, x509.BasicConstraints):
            text = f"CA:{value.ca}" + (f", pathlen:{value.path_length}" if value.path_length is not None else "")
        elif isinstance(value, x509.ExtendedKeyUsage):
            text = ", ".join(o._name for o in value)
        elif isinstance(value, x509.SubjectAlternativeName):
            text = ", ".join(str(g.value) for g in value)
        elif isinstance(value, x509.CRLDistributionPoints):
            continue  # shown as "CRL dist. point" rows
        elif isinstance(value, (x509.SubjectKeyIdentifier,)):
            text = value.digest.hex(":").upper()
        elif isinstance(value, x509.AuthorityKeyIdentifier):
            text = (value.key_identifier or b"").hex(":").upper()
        else:
            text = str(value)[:200]
        out.append((name, text + ("  (critical)" if ext.critical else "")))
    return out


def cert_view(info: CertificateInfo) -> CertView:
    """A CertView from a CertificateInfo (contract: pki.certificates.list())."""
    der = info.der
    fps = dict(info.fingerprints)
    if der is None:  # kept as fingerprint only (NVRAM too small, or query mode)
        key, extensions, pem = "—", [], "(only the fingerprint is kept; fetched again when needed)"
    else:
        cert = x509.load_der_x509_certificate(der)
        pub = cert.public_key()
        key = f"RSA {pub.key_size} bits" if isinstance(pub, rsa.RSAPublicKey) else type(pub).__name__
        extensions = _extensions(cert)
        pem = info.pem or cert.public_bytes(serialization.Encoding.PEM).decode()
        if not fps:
            fps = {"sha256": hashlib.sha256(der).hexdigest().upper(), "sha1": hashlib.sha1(der).hexdigest().upper(),
                   "md5": hashlib.md5(der).hexdigest().upper()}
    far = datetime(9999, 1, 1, tzinfo=timezone.utc)
    return CertView(
        trustpoint=info.trustpoint, role=info.role, serial_hex=info.serial_hex or "?",
        subject=ios_dn(info.subject) if info.subject else "?", issuer=ios_dn(info.issuer) if info.issuer else "?",
        not_before=info.not_before or far, not_after=info.not_after or far,
        status=str(info.status), usage=info.usage,
        key_label=info.key_label or "", key=key,
        extensions=extensions, fingerprints={k.lower(): v for k, v in fps.items()},
        crl_distribution_points=list(info.crl_distribution_points), pem=pem,
        orphaned=info.orphaned, revocation=info.revocation, revocation_note=info.revocation_note,
        key_pair_missing=info.key_pair_missing)


def detail_table(view: CertView, now: datetime, styles: ToneStyles) -> Table:
    """Every field, as a person reads it; ``styles`` by tone (``CertDetail.tone_styles``)."""
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    t.add_row("Certificate", f"{view.role} certificate of trustpoint {view.trustpoint}")
    if view.revocation is OwnRevocation.REVOKED:
        status_tone = Tone.ERROR_STRONG
    else:
        status_tone = Tone.OK if view.status.lower() == "available" else Tone.WARNING
    t.add_row("Status", Text(view.status, style=tone(styles, status_tone)))
    if view.revocation_note:
        t.add_row("Revocation", Text(f"{view.revocation}: {view.revocation_note}",
                                     style=tone(styles, REVOCATION_TONES[view.revocation])))
    if view.orphaned:
        t.add_row("", Text(f"orphaned: {view.key_pair_missing}", style=tone(styles, Tone.WARNING_STRONG)))
    t.add_row("Subject", view.subject)
    t.add_row("Issuer", view.issuer)
    t.add_row("Serial", view.serial_hex)
    t.add_row("Valid from", ios_time(view.not_before))  # IOS's layout, as show crypto pki certificates
    t.add_row("Valid until", ios_time(view.not_after))
    t.add_row("", expiry_text(view.not_after, now, styles))
    t.add_row("Key", view.key)
    if view.usage:
        t.add_row("Usage", view.usage)
    if view.key_label:
        t.add_row("Key label", view.key_label)
    for name, value in view.extensions:
        t.add_row(Text(name, style="dim"), value)
    for cdp in view.crl_distribution_points:
        t.add_row("CRL dist. point", cdp)
    for digest in DIGESTS:  # IOS's groups of 8, four to a line: the pane is narrow
        if digest in view.fingerprints:
            lines = grouped_lines(view.fingerprints[digest], per_line=4)
            t.add_row(digest.label, Text("\n".join(lines), style=tone(styles, Tone.NOTE)))
    return t


class CertDetail(TonedStatic):
    """The detail pane; ``show_pem`` toggles between the fields and the PEM."""

    COMPONENT_CLASSES = {
        "cert-detail--ok", "cert-detail--warning", "cert-detail--warning-strong", "cert-detail--error-strong",
        "cert-detail--note",  # the fingerprints
    }
    DEFAULT_CSS = "CertDetail { height: auto; padding: 0 1; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.view: CertView | None = None
        self.show_pem = False
        self.as_of: datetime | None = None

    def show(self, view: CertView | None, now: datetime) -> None:
        """Display ``view`` (None: a hint) as of ``now``."""
        self.view, self.as_of = view, now
        self.redraw()

    def redraw(self) -> None:
        """Build the pane again (a new certificate, the PEM toggled, or a new theme)."""
        if self.view is None:
            self.update(Text("Select a certificate in the tree.", style="dim"))
        elif self.show_pem:
            self.update(Text(self.view.pem))
        elif self.as_of is not None:
            self.update(detail_table(self.view, self.as_of, self.tone_styles()))
