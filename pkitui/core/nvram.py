"""NVRAM accounting: how the configured capacity is used, by category (seed: Managing NVRAM)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING


from pkitui.core.config import key_file_name, to_tables

if TYPE_CHECKING:
    from pkitui.core.config import RunningConfig
    from pkitui.core.records import CrlRecord

CATEGORIES = (
    "configuration",
    "own keys",
    "peer keys",
    "CA certificates",
    "RA certificates",
    "device certificates",
    "CRLs",
)
# Encrypted PKCS#8 PEM adds salt, IV, algorithm identifiers and base64 growth to the plain DER.
_PKCS8_OVERHEAD = 260


@dataclass
class NvramUsage:
    """Capacity, bytes used per category, and what the next save will do."""

    capacity: int
    used: dict[str, int]
    query_mode: bool
    fingerprint_only: list[str] = field(default_factory=list)
    cached_outside: list[str] = field(default_factory=list)
    next_save_removes: list[str] = field(default_factory=list)
    dropped_for_capacity: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Bytes used in all."""
        return sum(self.used.values())

    @property
    def free(self) -> int:
        """Bytes left (negative when over capacity)."""
        return self.capacity - self.total


def kept_in_query_mode(role: str) -> bool:
    """Whether a certificate of ``role`` stays whole in NVRAM in query mode: the device's own and
    imported ones do (a CA without GetCert could not give them back), and the CA's next
    certificate (GetCACert gives only the current one); CA/RA ones keep only their fingerprint
    record and are fetched again when needed."""
    return role in ("device", "imported", "ca-next")


def _cert_category(role: str) -> str:
    if role in ("ca", "ca-next"):
        return "CA certificates"
    if role.startswith("ra"):
        return "RA certificates"
    return "device certificates"


def usage(config: RunningConfig, private_dir: Path) -> NvramUsage:
    """The NVRAM usage ``config`` would have once saved (``private_dir``: where saved key files are)."""
    tables = to_tables(config, None)
    conf_part = {k: tables[k] for k in ("device", "trustpoints", "pending")}
    used = dict.fromkeys(CATEGORIES, 0)
    used["configuration"] = len(json.dumps(conf_part, sort_keys=True))
    for pair in config.key_pairs.values():
        saved = private_dir / key_file_name(pair)
        if saved.is_file():  # already saved: its real size
            used["own keys"] += saved.stat().st_size
            continue
        from cryptography.hazmat.primitives import serialization

        der = pair.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        used["own keys"] += (len(der) * 4 + 2) // 3 + _PKCS8_OVERHEAD
    used["peer keys"] = sum(len(k.der or b"") + 64 for k in config.peer_keys)
    result = NvramUsage(capacity=config.capacity, used=used, query_mode=config.query_mode)
    for cert in config.certificates:
        if cert.der is None:
            why = "query mode" if config.query_mode else "fetched again when needed"
            result.fingerprint_only.append(f"{cert.trustpoint} {cert.role} {cert.sha256[:16]}… ({why})")
            used[_cert_category(cert.role)] += 64  # the fingerprint and its record
        elif config.query_mode and not kept_in_query_mode(cert.role):
            result.next_save_removes.append(f"{cert.trustpoint} {cert.role} certificate {cert.sha256[:16]}…")
            used[_cert_category(cert.role)] += 64  # its fingerprint record stays
        else:
            used[_cert_category(cert.role)] += len(cert.der)
    _fit_root_certificates(config, result)
    for group in _crl_files(config.crls).values():
        # One file per CRL (named by its SHA-256), however many trustpoints or URLs it serves.
        crl = group[0]
        names = ", ".join(dict.fromkeys(c.trustpoint for c in group))
        if not any(c.in_nvram for c in group):
            result.cached_outside.append(f"{names} CRL {crl.issuer} ({crl.size:,} bytes)")
        elif config.query_mode:
            result.next_save_removes.append(f"{names} CRL {crl.issuer} ({crl.size:,} bytes)")
        else:
            used["CRLs"] += crl.size
    return result


def _crl_files(crls: list[CrlRecord]) -> dict[str, list[CrlRecord]]:
    """The CRL records grouped by the file holding the CRL, in order."""
    groups: dict[str, list[CrlRecord]] = {}
    for crl in crls:
        groups.setdefault(crl.file, []).append(crl)
    return groups


def crl_bytes_in_nvram(crls: list[CrlRecord]) -> int:
    """The NVRAM the CRLs ``crls`` take: each CRL file counted once."""
    return sum(group[0].size for group in _crl_files(crls).values() if any(c.in_nvram for c in group))


def _fit_root_certificates(config: RunningConfig, result: NvramUsage) -> None:
    """Seed: "If the NVRAM is too small to store root certificates, only the fingerprint of the
    root certificate is saved." When over capacity, CA certificates are counted (and, by
    ``Pki.save``, saved) as fingerprint records until the rest fits; they are fetched again
    when needed (``pki.certificates.ca_certificate``)."""
    if config.query_mode:
        return
    for cert in config.certificates:
        if result.total + crl_bytes_in_nvram(config.crls) <= result.capacity:
            return
        if cert.role == "ca" and cert.der is not None:
            result.used["CA certificates"] -= len(cert.der) - 64
            result.dropped_for_capacity.append(cert.sha256)
            result.fingerprint_only.append(f"{cert.trustpoint} ca {cert.sha256[:16]}… (NVRAM too small for the "
                                           "root certificate: fingerprint only, fetched again when needed)")
