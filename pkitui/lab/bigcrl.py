"""Large CRLs for benchmarks, tests and the lab's CRL viewer demo (1,000,000 entries in seconds).

cryptography's CRL builder needs one Python object per entry (minutes and gigabytes at this
size), so the entries are encoded once by asn1crypto as a template per serial length and
repeated with the serial's bytes substituted; asn1crypto wraps them into the TBSCertList and the
CertificateList, and cryptography signs the TBS once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from asn1crypto import core
from asn1crypto import crl as acrl
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

REASONS = ("key_compromise", "superseded", "cessation_of_operation", "affiliation_changed")


@dataclass
class LabCa:
    """A self-signed CA made with cryptography (for lab data and tests, never for real use)."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, name: str = "pkitui Lab CA", key_size: int = 2048, days: int = 3650) -> LabCa:
        """A new CA with keyCertSign + cRLSign and a subject key identifier."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pkitui lab")])
        now = datetime.now(timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key=key, certificate=cert)


def _entry_template(serial_len: int, when: datetime, reason: str | None) -> tuple[bytes, bytes]:
    """(prefix, suffix) around the serial's content octets of one encoded RevokedCertificate."""
    probe = int.from_bytes(b"\x5a" * serial_len, "big")  # top bit clear: content is exactly serial_len
    value: dict[str, object] = {"user_certificate": probe, "revocation_date": acrl.Time({"utc_time": when})}
    if reason:
        value["crl_entry_extensions"] = [{"extn_id": "crl_reason", "extn_value": reason}]
    encoded = acrl.RevokedCertificate(value).dump()
    content = probe.to_bytes(serial_len, "big")
    at = encoded.index(content)
    return encoded[:at], encoded[at + serial_len :]


def revoked_serials(count: int, seed: int = 1) -> list[int]:
    """``count`` distinct pseudo-random positive serials of 8 to 16 octets (deterministic)."""
    rng = random.Random(seed)
    out: set[int] = set()
    while len(out) < count:
        n = rng.randrange(8, 17)
        out.add(int.from_bytes(bytes([rng.randrange(1, 0x80)]) + rng.randbytes(n - 1), "big"))
    return sorted(out, key=lambda s: rng.random())


def build_crl_der(
    ca: LabCa,
    serials: list[int],
    *,
    this_update: datetime | None = None,
    next_update: datetime | None = None,
    crl_number: int = 1,
) -> bytes:
    """A signed CRL revoking ``serials`` (positive, top octet below 0x80 and non-zero), in order."""
    now = this_update or datetime.now(timezone.utc).replace(microsecond=0)
    when = (now - timedelta(days=1)).replace(microsecond=0)
    templates: dict[tuple[int, int], tuple[bytes, bytes]] = {}
    parts: list[bytes] = []
    for i, serial in enumerate(serials):
        length = (serial.bit_length() + 7) // 8
        kind = i % (len(REASONS) + 1)
        key = (length, kind)
        tpl = templates.get(key)
        if tpl is None:
            tpl = templates[key] = _entry_template(length, when, REASONS[kind - 1] if kind else None)
        parts.append(tpl[0] + serial.to_bytes(length, "big") + tpl[1])
    revoked = acrl.RevokedCertificates(contents=b"".join(parts))
    del parts
    issuer = acrl.Name.load(ca.certificate.subject.public_bytes())
    sig_alg = {"algorithm": "sha256_rsa"}
    tbs = acrl.TbsCertList(
        {
            "version": "v2",
            "signature": sig_alg,
            "issuer": issuer,
            "this_update": acrl.Time({"utc_time": now}),
            "next_update": acrl.Time({"utc_time": next_update or now + timedelta(days=7)}),
            "revoked_certificates": revoked,
            "crl_extensions": [{"extn_id": "crl_number", "extn_value": crl_number}],
        }
    )
    tbs_der = tbs.dump()
    signature = ca.key.sign(tbs_der, padding.PKCS1v15(), hashes.SHA256())
    out = acrl.CertificateList(
        {"tbs_cert_list": tbs, "signature_algorithm": sig_alg, "signature": core.OctetBitString(signature)}
    )
    der: bytes = out.dump()
    return der
