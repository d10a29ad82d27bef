"""Reading certificates: PEM/DER loading, IOS's serial layout, CRL distribution points and OCSP URLs."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID

from pkitui.core.errors import CertificateError
from pkitui.core.held import serial_hex as serial_hex  # IOS's serial layout, also for readers of this module


def normalize_serial(text: str) -> str:
    """A serial typed by a person (``3d``, ``0x3D``, ``00:3D``) as IOS's hex (``3D``)."""
    hexs = re.sub(r"[\s:.-]", "", text)
    hexs = hexs[2:] if hexs.lower().startswith("0x") else hexs
    if not re.fullmatch(r"[0-9A-Fa-f]{1,80}", hexs):
        raise CertificateError(f"invalid certificate serial number {text!r}",
                               "Give the serial in hex, e.g. 3D or 0x3D.")
    return serial_hex(int(hexs, 16))


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in ``data`` (one DER certificate or one or more PEM blocks)."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        # cryptography's DER errors are Rust debug dumps (ParseError { kind: ... }): not for users.
        why = "malformed DER" if "ParseError" in str(exc) else str(exc)
        raise CertificateError(f"not a certificate: {why}", "Give a PEM or DER X.509 certificate.") from None


def _names(cert: x509.Certificate, ext_type: type[x509.ExtensionType], pick: Callable[[Any], list[str]]) -> list[str]:
    try:
        value: Any = cert.extensions.get_extension_for_class(ext_type).value
    except x509.ExtensionNotFound:
        return []
    return pick(value)


def crl_distribution_points(cert: x509.Certificate) -> list[str]:
    """The URIs of the certificate's CRL distribution points."""
    def pick(value: x509.CRLDistributionPoints) -> list[str]:
        return [n.value for dp in value for n in (dp.full_name or []) if isinstance(n, x509.UniformResourceIdentifier)]
    return _names(cert, x509.CRLDistributionPoints, pick)


def ocsp_urls(cert: x509.Certificate) -> list[str]:
    """The OCSP responder URIs of the certificate's Authority Information Access."""
    def pick(value: x509.AuthorityInformationAccess) -> list[str]:
        return [d.access_location.value for d in value
                if d.access_method == AuthorityInformationAccessOID.OCSP
                and isinstance(d.access_location, x509.UniformResourceIdentifier)]
    return _names(cert, x509.AuthorityInformationAccess, pick)
