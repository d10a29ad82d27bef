"""What comes in: ``crypto pki import TP pem | pkcs12`` and ``crypto key import rsa LABEL pem``.

``pki.transfer`` (:class:`~pkitui.core.transfer.TransferService`) is the API front ends call; this
module reads a PEM bundle or a PKCS#12 file into a :class:`Bundle` and applies it.

A bundle's CA certificate goes through the same decision as ``crypto pki authenticate``
(:meth:`~pkitui.core.ca_trust.CaTrust.decide`: the trustpoint's pre-configured fingerprint alone,
else the person asked through ``confirm``; with neither, refused). Everything is checked before
anything is stored (keys decrypt, each certificate was issued by the CA and holds one of the
keys, the key label is free, the key is not already held under another label); a refused CA
stores nothing. The key pair is named after the trustpoint (its ``rsakeypair`` when set, else the
trustpoint's name, which then becomes its ``rsakeypair``), as IOS names imported keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pkitui.core.clock import Clock
from pkitui.core.config import RunningConfig
from pkitui.core.errors import CertificateError, KeyPairError, TrustpointError
from pkitui.core.export import SUFFIXES, TransferError
from pkitui.core.keys import KeyPair, Usage, public_der
from pkitui.core.records import CertRole, StoredCertificate
from pkitui.core.trustpoint_values import validate_name

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    from pkitui.core.ca_trust import CaCandidate, CaTrust, Confirm
    from pkitui.core.certs import CertificateInfo, CertificateService
    from pkitui.core.trustpoint_service import TrustpointService
    from pkitui.core.trustpoints import Trustpoint

MAX_BUNDLE_BYTES = 256 * 1024  # a few certificates and keys; anything far bigger is not a bundle
_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.S)
_PASSWORD_HINT = "Give the password the file was exported with."


@dataclass
class Bundle:
    """Keys and certificates read from a PEM bundle or a PKCS#12 file (nothing stored yet)."""

    keys: list[tuple[Usage, rsa.RSAPrivateKey]] = field(default_factory=list)
    ca_certificates: list[x509.Certificate] = field(default_factory=list)
    certificates: list[x509.Certificate] = field(default_factory=list)  # the device's own


@dataclass
class ImportResult:
    """What an import did: ``accepted`` False when the CA was refused (then nothing was stored)."""

    trustpoint: str
    ca: CaCandidate | None
    accepted: bool
    key_pairs: list[KeyPair] = field(default_factory=list)
    certificates: list[CertificateInfo] = field(default_factory=list)


def _spki(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> bytes:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return public_der(key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key)


def decrypt_private_key(pem: bytes, password: str, what: str = "the private key") -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (traditional with DEK-Info, PKCS#8 encrypted or not)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    encrypted = b"ENCRYPTED" in pem
    try:
        key = load_pem_private_key(pem, password.encode() if encrypted and password else None)
    except TypeError:
        raise TransferError(f"{what} is encrypted and no password was given", _PASSWORD_HINT) from None
    except ValueError as exc:
        if encrypted:
            raise TransferError(f"The password does not decrypt {what} (wrong password, or a damaged file)",
                                _PASSWORD_HINT) from None
        raise TransferError(f"{what} is not a readable PEM private key ({exc})",
                            "Give the .prv file (or paste the block) written by an export.") from None
    except Exception as exc:  # noqa: BLE001 - cryptography raises its own types for an unsupported cipher
        raise TransferError(f"{what} cannot be read: {exc}", "Export it again with 3des or aes.") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TransferError(f"{what} is not an RSA key", "pkitui's key pairs are RSA: import an RSA key.")
    return key


def _usage_named(preamble: str) -> Usage | None:
    """The usage an export's header names just before a key (``Usage: Signature Key``)."""
    for usage, words in (("signature", "Signature Key"), ("encryption", "Encryption Key"),
                         ("general", "General Purpose Key")):
        if words in preamble:
            return usage  # type: ignore[return-value]
    return None


def _usage_of_certificate(key: rsa.RSAPrivateKey, certs: list[x509.Certificate]) -> Usage | None:
    from cryptography import x509

    for cert in certs:
        if _spki(cert.public_key()) == _spki(key):  # type: ignore[arg-type]
            try:
                ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
            except x509.ExtensionNotFound:
                return None
            if ku.key_encipherment and not ku.digital_signature:
                return "encryption"
            if ku.digital_signature and not ku.key_encipherment:
                return "signature"
    return None


def assign_usages(found: list[tuple[Usage | None, rsa.RSAPrivateKey]],
                  certs: list[x509.Certificate]) -> list[tuple[Usage, rsa.RSAPrivateKey]]:
    """One key: general purpose. Two: usage keys, each named by the export's header, else by its
    certificate's key usage, else signature first. More: TransferError."""
    if len(found) == 1:
        return [("general", found[0][1])]
    if len(found) != 2:
        raise TransferError(f"The bundle holds {len(found)} private keys: one (general purpose) or two "
                            "(signature and encryption) were expected", "Import one export at a time.")
    named = [u if u in ("signature", "encryption") else _usage_of_certificate(k, certs) for u, k in found]
    if named[0] == named[1] or None in named:
        named = [n for n in named if n] or []
        first: Usage = "encryption" if named == ["encryption"] else "signature"
        second: Usage = "encryption" if first == "signature" else "signature"
        return [(first, found[0][1]), (second, found[1][1])]
    return [(named[0], found[0][1]), (named[1], found[1][1])]  # type: ignore[list-item]


def parse_pem_bundle(text: str, password: str) -> Bundle:
    """Certificates and private keys from pasted or concatenated PEM (an export's terminal output
    as printed, its headers included); CA certificates are those with basicConstraints CA:TRUE."""
    from pkitui.core.certfields import load_certificates
    from pkitui.core.scep.ca import is_ca

    bundle = Bundle()
    keys: list[tuple[Usage | None, rsa.RSAPrivateKey]] = []
    last = 0
    for n, match in enumerate(_BLOCK.finditer(text), 1):
        kind, block = match.group(1), match.group(0).encode()
        preamble, last = text[last:match.start()], match.end()
        if kind in ("CERTIFICATE", "X509 CERTIFICATE"):
            for cert in load_certificates(block):
                (bundle.ca_certificates if is_ca(cert) else bundle.certificates).append(cert)
        elif kind.endswith("PRIVATE KEY"):
            keys.append((_usage_named(preamble), decrypt_private_key(block, password, f"private key {n}")))
    if not keys and not bundle.certificates and not bundle.ca_certificates:
        raise TransferError("No PEM block found (-----BEGIN CERTIFICATE----- or -----BEGIN RSA PRIVATE KEY-----)",
                            "Paste the PEM text an export printed, then quit.")
    bundle.keys = assign_usages(keys, bundle.certificates) if keys else []
    return bundle


def parse_pem_parts(ca_text: str, pairs: list[tuple[Usage, str, str]], password: str) -> Bundle:
    """IOS's separate pastes of ``crypto pki import TP pem terminal``: the CA certificate, then per
    key pair its encrypted private key and its certificate (``pairs``: usage, key text, certificate
    text). Each paste must hold what it was asked for; TransferError names the one that does not."""
    def part(text: str, what: str) -> Bundle:
        if "-----BEGIN " not in text:
            raise TransferError(f"No PEM block in what was pasted for {what}",
                                f"Paste {what} (from -----BEGIN to -----END), then quit.")
        return parse_pem_bundle(text, password)

    ca = part(ca_text, "the CA certificate")
    if ca.keys or not (ca.ca_certificates or ca.certificates):
        raise TransferError("What was pasted for the CA certificate is not one (no certificate, or a private key)",
                            "Paste the CA certificate first (the export's .ca file or its '% CA certificate:').")
    bundle = Bundle(ca_certificates=ca.ca_certificates + ca.certificates)
    for usage, key_text, cert_text in pairs:
        words = {"general": "general purpose", "signature": "signature", "encryption": "encryption"}[usage]
        key = part(key_text, f"the encrypted private {words} key")
        if len(key.keys) != 1 or key.certificates or key.ca_certificates:
            raise TransferError(f"What was pasted for the {words} private key is not one private key",
                                "Paste the -----BEGIN RSA PRIVATE KEY----- block alone (the export's .prv file).")
        cert = part(cert_text, f"the {words} certificate")
        if cert.keys or not cert.certificates:
            raise TransferError(f"What was pasted for the {words} certificate is not the device's certificate",
                                "Paste the certificate issued for this key (the export's .crt file).")
        bundle.keys.append((usage, key.keys[0][1]))
        bundle.certificates += cert.certificates
    return bundle


def parse_pkcs12(data: bytes, password: str) -> Bundle:
    """Key, certificate and CA certificates of a PKCS#12 file."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode() or None)
    except ValueError:
        raise TransferError("The PKCS#12 file cannot be opened: wrong password, or not a PKCS#12 file",
                            _PASSWORD_HINT) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TransferError("The PKCS#12 file holds no RSA private key", "Import a file with the key pair in it.")
    from pkitui.core.scep.ca import is_ca

    return Bundle(keys=[("general", key)], ca_certificates=[c for c in extra if is_ca(c)],
                  certificates=[cert] if cert is not None else [])


def key_files(usage_keys: bool) -> list[tuple[Usage, str]]:
    """(usage, suffix of the ``.prv`` file) as IOS names them: ``.prv``, or ``-sign.prv`` and ``-encr.prv``."""
    usages: list[Usage] = ["signature", "encryption"] if usage_keys else ["general"]
    return [(u, f"{SUFFIXES[u]}.prv") for u in usages]


class Importer:
    """Stores what a :class:`Bundle` holds: the CA (after the fingerprint decision), key pairs, certificates."""

    def __init__(self, config: RunningConfig, trustpoints: TrustpointService, ca_trust: Callable[[], CaTrust],
                 certificates: Callable[[], CertificateService], clock: Clock) -> None:
        self._config = config
        self._trustpoints = trustpoints
        self._ca_trust = ca_trust
        self._certificates = certificates
        self._clock = clock

    def key_pairs(self, label: str, keys: list[tuple[Usage, rsa.RSAPrivateKey]], *,
                  exportable: bool) -> list[KeyPair]:
        """``crypto key import rsa LABEL``: add the keys under ``label`` (the same keys again: kept as they are)."""
        validate_name(label, "key label")
        existing = [p for p in self._config.key_pairs.values() if p.label == label]
        if existing:
            if sorted(p.public_der for p in existing) == sorted(_spki(k) for _, k in keys):
                return existing
            raise KeyPairError(f"You already have RSA keys named {label}.",
                               f"Zeroize them first (crypto key zeroize rsa {label}) or import under another label.")
        self._refuse_held_elsewhere(label, keys)
        created = self._clock.now().isoformat(timespec="seconds")
        pairs = [KeyPair(label, usage, key, created, exportable, imported=True) for usage, key in keys]
        for pair in pairs:
            self._config.key_pairs[pair.key_id] = pair
        return pairs

    def _issuing_ca(self, tp: str, bundle: Bundle) -> x509.Certificate:
        from cryptography.exceptions import InvalidSignature

        if not bundle.keys:
            raise TransferError("The bundle holds no private key", "Import an export with the key pair in it.")
        if not bundle.certificates:
            raise TransferError("The bundle holds no certificate of the device", "Import a trustpoint export.")
        if not bundle.ca_certificates:
            raise TransferError("The bundle holds no CA certificate", "Import a trustpoint export (its .ca file).")
        spkis = [_spki(k) for _, k in bundle.keys]
        for cert in bundle.certificates:
            if _spki(cert.public_key()) not in spkis:  # type: ignore[arg-type]
                raise CertificateError(f"The certificate {cert.subject.rfc4514_string()} holds none of the "
                                       "bundle's private keys", "Import the key and certificate exported together.")
        for ca in bundle.ca_certificates:
            try:
                bundle.certificates[0].verify_directly_issued_by(ca)
                return ca
            except (InvalidSignature, ValueError, TypeError):
                continue
        raise CertificateError(f"None of the bundle's CA certificates issued the device certificate for {tp}",
                               "Import the CA certificate that signed it (the export's .ca file).")

    def bundle(self, tp: str, bundle: Bundle, *, confirm: Confirm | None, exportable: bool = False,
               create: bool = False) -> ImportResult:
        """``crypto pki import TP pem | pkcs12``: the CA through the fingerprint decision, then the
        key pairs and the device certificates. ``create``: declare ``tp`` when missing (pkcs12;
        removed again when the import is refused)."""
        declared = create and tp not in self._config.trustpoints
        trustpoint = self._trustpoints.declare(tp) if create else self._trustpoints.get(tp)
        try:
            result = self._bundle(trustpoint, bundle, confirm, exportable)
        except BaseException:
            if declared:  # a refused import leaves no trustpoint behind
                del self._config.trustpoints[trustpoint.name]
            raise
        if declared and not result.accepted:
            del self._config.trustpoints[trustpoint.name]
        return result

    def _bundle(self, trustpoint: Trustpoint, bundle: Bundle, confirm: Confirm | None,
                exportable: bool) -> ImportResult:
        from cryptography.hazmat.primitives.serialization import Encoding

        ca = self._issuing_ca(trustpoint.name, bundle)
        ca_der = ca.public_bytes(Encoding.DER)
        label = trustpoint.rsakeypair or trustpoint.name
        self._check_label(label, bundle, trustpoint.name)
        held = [c for c in self._config.certificates if c.trustpoint == trustpoint.name and c.role == CertRole.CA]
        cand = None
        ca_sha256 = StoredCertificate.from_der(trustpoint.name, CertRole.CA, ca_der).sha256
        if not any(c.sha256 == ca_sha256 for c in held):  # not trusted yet (compared by fingerprint: query mode)
            if held:
                raise TrustpointError(f"Trustpoint {trustpoint.name} already trusts another CA",
                                      "Import into a new trustpoint, or remove this one first (no crypto pki "
                                      f"trustpoint {trustpoint.name}).")
            trust = self._ca_trust()
            cand = trust.decide(trustpoint, trust.candidate_from_der(trustpoint, ca_der), confirm)
            if not cand.accepted:
                return ImportResult(trustpoint.name, cand, False)
        pairs = self.key_pairs(label, bundle.keys, exportable=exportable)
        if not trustpoint.rsakeypair:
            trustpoint.set_rsakeypair(label)
        service = self._certificates()
        infos = []
        for cert in bundle.certificates:
            der = cert.public_bytes(Encoding.DER)
            if not any(c.trustpoint == trustpoint.name and c.der == der for c in self._config.certificates):
                infos.append(service.import_certificate(trustpoint.name, der))
        return ImportResult(trustpoint.name, cand, True, pairs, infos)

    def _check_label(self, label: str, bundle: Bundle, tp: str) -> None:
        existing = [p for p in self._config.key_pairs.values() if p.label == label]
        if existing and sorted(p.public_der for p in existing) != sorted(_spki(k) for _, k in bundle.keys):
            raise KeyPairError(f"You already have RSA keys named {label}.",
                               f"Zeroize them first (crypto key zeroize rsa {label}), or import into a "
                               "trustpoint with another rsakeypair.")
        if not existing:
            self._refuse_held_elsewhere(label, bundle.keys, tp=tp)

    def _refuse_held_elsewhere(self, label: str, keys: list[tuple[Usage, rsa.RSAPrivateKey]], *,
                               tp: str | None = None) -> None:
        """KeyPairError when one of ``keys`` is already on this device under another label: one
        key pair has one label (its exportable flag, the certificates bound to it), so a second
        copy is refused, as IOS refuses importing a key that exists (ask to use the pair held)."""
        wanted = {_spki(k) for _, k in keys}
        for pair in self._config.key_pairs.values():
            if pair.label != label and pair.public_der in wanted:
                use = (f"To use it for trustpoint {tp}: rsakeypair {pair.label} there, then crypto pki authenticate "
                       f"{tp} and crypto pki import {tp} certificate; or zeroize it first "
                       f"(crypto key zeroize rsa {pair.label})." if tp else
                       f"Use that label, or zeroize it first (crypto key zeroize rsa {pair.label}).")
                raise KeyPairError(f"This key pair is already on this device as RSA keys {pair.label}: "
                                   f"it is not imported again as {label}.", use)
