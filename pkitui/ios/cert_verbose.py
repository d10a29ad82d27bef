"""What ``show crypto pki certificates [TP] verbose`` adds to a certificate: its key, signature
algorithm, fingerprints and X.509v3 extensions, in IOS's verbose layout.

IOS (12.4 to 15.x) prints, after ``Validity Date:``: ``Subject Key Info:`` (algorithm, modulus),
``Signature Algorithm:``, ``Fingerprint MD5:`` and ``Fingerprint SHA1:`` in groups of 8 hex
digits, then ``X509v3 extensions:`` with the key usage as IOS's 8-digit bit mask followed by one
line per usage, the key identifiers, ``Authority Info Access:`` and ``Extended Key Usage:``.
pkitui adds ``Fingerprint SHA256:`` (the digest its ``fingerprint`` accepts) and prints the
extensions IOS shows without a documented layout (basic constraints, subject alternative names)
the way IOS prints its other multi-valued extensions.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, ObjectIdentifier

from pkitui.core.fingerprint import grouped
from pkitui.core.keys import key_fingerprints

# KeyUsage attribute -> IOS's words, in the bit order of RFC 5280 (bit 0 = 0x80000000).
_KEY_USAGES = (
    ("digital_signature", "Digital Signature"),
    ("content_commitment", "Non Repudiation"),
    ("key_encipherment", "Key Encipherment"),
    ("data_encipherment", "Data Encipherment"),
    ("key_agreement", "Key Agreement"),
    ("key_cert_sign", "Cert Sign"),
    ("crl_sign", "CRL Signature"),
    ("encipher_only", "Encipher Only"),
    ("decipher_only", "Decipher Only"),
)

_EKU_NAMES: dict[ObjectIdentifier, str] = {
    ExtendedKeyUsageOID.SERVER_AUTH: "Server Auth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "Client Auth",
    ExtendedKeyUsageOID.CODE_SIGNING: "Code Signing",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "Email Protection",
    ExtendedKeyUsageOID.TIME_STAMPING: "Time Stamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSP Signing",
    ObjectIdentifier("1.3.6.1.5.5.7.3.5"): "IPSec End System",
    ObjectIdentifier("1.3.6.1.5.5.7.3.6"): "IPSec Tunnel",
    ObjectIdentifier("1.3.6.1.5.5.7.3.7"): "IPSec User",
    ObjectIdentifier("1.3.6.1.5.5.8.2.2"): "IKE Intermediate",
}


def _key_usage_lines(ku: x509.KeyUsage) -> list[str]:
    bits, names = 0, []
    for i, (attr, label) in enumerate(_KEY_USAGES):
        try:
            on = getattr(ku, attr)
        except ValueError:  # encipher_only / decipher_only without key_agreement
            on = False
        if on:
            bits |= 0x80000000 >> i
            names.append(label)
    return [f"    X509v3 Key Usage: {bits:08X}"] + [f"      {n}" for n in names]


def _general_name(name: x509.GeneralName) -> str:
    if isinstance(name, x509.IPAddress):
        return f"IP Address : {name.value}"
    if isinstance(name, x509.RFC822Name):
        return f"Email Address : {name.value}"
    if isinstance(name, x509.DirectoryName):
        from pkitui.core.dn import ios_dn

        return ios_dn(name.value)
    if isinstance(name, x509.OtherName):
        return f"othername:{name.type_id.dotted_string}"
    return str(name.value)


def _extension_lines(ext: x509.Extension[x509.ExtensionType]) -> list[str]:
    value = ext.value
    if isinstance(value, x509.KeyUsage):
        return _key_usage_lines(value)
    if isinstance(value, x509.BasicConstraints):
        lines = ["    X509v3 Basic Constraints:", f"        CA: {'TRUE' if value.ca else 'FALSE'}"]
        return lines + ([f"        Path Length: {value.path_length}"] if value.path_length is not None else [])
    if isinstance(value, x509.SubjectKeyIdentifier):
        return [f"    X509v3 Subject Key ID: {grouped(value.digest.hex())}"]
    if isinstance(value, x509.AuthorityKeyIdentifier) and value.key_identifier:
        return [f"    X509v3 Authority Key ID: {grouped(value.key_identifier.hex())}"]
    if isinstance(value, x509.SubjectAlternativeName):
        return ["    X509v3 Subject Alternative Name:"] + [f"        {_general_name(n)}" for n in value]
    if isinstance(value, x509.AuthorityInformationAccess):
        lines = ["    Authority Info Access:"]
        for d in value:
            kind = ("OCSP URL" if d.access_method == AuthorityInformationAccessOID.OCSP else
                    "CA ISSUERS" if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS else
                    d.access_method.dotted_string)
            lines.append(f"      {kind}: {_general_name(d.access_location)}")
        return lines
    if isinstance(value, x509.ExtendedKeyUsage):
        return ["    Extended Key Usage:"] + [f"        {_EKU_NAMES.get(o, o.dotted_string)}" for o in value]
    return []  # the CRL distribution points are printed above, as IOS does; others are not shown


def _signature_algorithm(cert: x509.Certificate) -> str:
    hash_name = cert.signature_hash_algorithm.name.upper() if cert.signature_hash_algorithm else ""
    key = cert.signature_algorithm_oid._name  # noqa: SLF001 - cryptography's own name of the OID
    if "RSA" in key.upper() or "rsa" in key:
        return f"{hash_name} with RSA Encryption" if hash_name else key
    return key


def verbose_version(der: bytes) -> str:
    """IOS's ``  Version: 3`` line (after ``Status:``)."""
    cert = x509.load_der_x509_certificate(der)
    return f"  Version: {cert.version.value + 1}"


def verbose_lines(der: bytes) -> list[str]:
    """The lines ``verbose`` adds after ``Validity Date:`` for certificate ``der``."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    cert = x509.load_der_x509_certificate(der)
    key = cert.public_key()
    lines = ["  Subject Key Info:"]
    if isinstance(key, rsa.RSAPublicKey):
        lines += ["    Public Key Algorithm: rsaEncryption", f"    RSA Public Key: ({key.key_size} bit)"]
    else:
        lines.append(f"    Public Key Algorithm: {cert.public_key_algorithm_oid._name}")  # noqa: SLF001
    fps = key_fingerprints(der)
    lines += [f"  Signature Algorithm: {_signature_algorithm(cert)}",
              f"  Fingerprint MD5: {grouped(fps['md5'])}",
              f"  Fingerprint SHA1: {grouped(fps['sha1'])}",
              f"  Fingerprint SHA256: {grouped(fps['sha256'])}"]
    extensions = [ln for ext in cert.extensions for ln in _extension_lines(ext)]
    if extensions:
        lines += ["  X509v3 extensions:", *extensions]
    return lines
