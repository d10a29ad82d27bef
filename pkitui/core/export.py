"""What leaves the device: ``crypto pki export TP pem | pkcs12`` and ``crypto key export rsa LABEL pem``.

``pki.transfer`` (:class:`~pkitui.core.transfer.TransferService`) is the API front ends call; this
module builds what is exported and names the files, without printing anything.

The private key is PEM in the traditional (PKCS#1) layout with ``Proc-Type: 4,ENCRYPTED`` and
``DEK-Info``, as IOS prints it: ``3des`` is ``DES-EDE3-CBC`` (the key derived from the password as
OpenSSL's ``EVP_BytesToKey`` does, which is what IOS and ``openssl pkey -passin`` expect), ``aes`` is
``AES-256-CBC`` (cryptography's own traditional encryption). So a router's ``crypto pki import ...
pem`` and ``openssl pkey -passin pass:PW`` both read it. PKCS#12 uses PBES2 (PBKDF2-SHA256,
AES-256-CBC) and an HMAC-SHA256 MAC, which OpenSSL 3 reads without its legacy provider.

Files, as IOS names them for a URL ``U``: ``U.ca``, ``U.prv``, ``U.crt`` (``crypto pki export``),
``U.pub``, ``U.prv`` (``crypto key export rsa``); usage keys give ``U-sign.*`` and ``U-encr.*``.
A key pair generated without ``exportable`` is refused by every export (:class:`KeyNotExportable`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pkitui.core.config import RunningConfig
from pkitui.core.errors import CertificateError, KeyPairError, PkiError
from pkitui.core.keys import KeyPair, public_pem
from pkitui.core.records import OWN_ROLES, CertRole, StoredCertificate

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

Cipher = Literal["3des", "aes"]
CIPHERS: tuple[Cipher, ...] = ("3des", "aes")
SUFFIXES = {"general": "", "signature": "-sign", "encryption": "-encr"}  # IOS's file names for usage keys


class TransferError(PkiError):
    """An export or import cannot be done (bad password, file or bundle)."""


class KeyNotExportable(KeyPairError):
    """The key pair was generated without ``exportable``: it never leaves the device."""


def require_exportable(pairs: list[KeyPair]) -> None:
    """KeyNotExportable (IOS's words) for the first pair generated without ``exportable``."""
    for pair in pairs:
        if pair.exportable:
            continue
        if pair.imported:
            raise KeyNotExportable(
                f"RSA keypair {pair.label} is not exportable.",
                "It was imported without 'exportable', so its private key stays on this device. To export it, "
                f"import it again with exportable (crypto key zeroize rsa {pair.label}, then crypto pki import ... "
                "exportable or crypto key import rsa ... exportable from the original file), or deploy it to "
                "this host's daemons instead.")
        raise KeyNotExportable(
            f"RSA keypair {pair.label} is not exportable.",
            "It was generated without 'exportable', so its private key stays on this device. To have a key "
            f"you can export, generate one: crypto key generate rsa label {pair.label} exportable (then enroll "
            "again), or deploy it to this host's daemons instead.")


MIN_EXPORT_PASSWORD = 8  # characters; IOS documents none, a key leaving the device deserves more than one


def require_password(password: str, what: str) -> bytes:
    """The password as bytes; TransferError when it is empty (an export is never left in clear) or
    shorter than MIN_EXPORT_PASSWORD characters (it is all that protects the key wherever the file goes)."""
    if not password:
        raise TransferError(f"{what} needs a password", "Give one: it encrypts the private key.")
    if len(password) < MIN_EXPORT_PASSWORD:
        raise TransferError(f"{what} needs a password of at least {MIN_EXPORT_PASSWORD} characters",
                            "It is all that protects the private key wherever the file goes: choose a longer one.")
    return password.encode()


# -- encoding ------------------------------------------------------------------------------------
def _evp_bytes_to_key(password: bytes, salt: bytes, size: int) -> bytes:
    """OpenSSL's EVP_BytesToKey with MD5 and one round: how traditional PEM derives its key."""
    out, block = b"", b""
    while len(out) < size:
        block = hashlib.md5(block + password + salt, usedforsecurity=False).digest()
        out += block
    return out[:size]


def _des_ede3_pem(der: bytes, password: bytes) -> str:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher as CipherContext
    from cryptography.hazmat.primitives.ciphers import modes

    iv = os.urandom(8)
    padder = padding.PKCS7(64).padder()
    plain = padder.update(der) + padder.finalize()
    encryptor = CipherContext(TripleDES(_evp_bytes_to_key(password, iv, 24)), modes.CBC(iv)).encryptor()
    body = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
    return ("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
            f"DEK-Info: DES-EDE3-CBC,{iv.hex().upper()}\n\n" + "\n".join(textwrap.wrap(body, 64))
            + "\n-----END RSA PRIVATE KEY-----\n")


def encrypt_private_pem(key: rsa.RSAPrivateKey, cipher: Cipher, password: str) -> str:
    """``key`` as encrypted traditional PEM (``DEK-Info: DES-EDE3-CBC`` or ``AES-256-CBC``)."""
    from cryptography.hazmat.primitives import serialization as s

    secret = require_password(password, "Exporting a private key")
    if cipher == "3des":
        return _des_ede3_pem(key.private_bytes(s.Encoding.DER, s.PrivateFormat.TraditionalOpenSSL,
                                               s.NoEncryption()), secret)
    if cipher == "aes":
        return key.private_bytes(s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL,
                                 s.BestAvailableEncryption(secret)).decode()
    raise TransferError(f"{cipher!r} is not a cipher for the private key", "Use 3des or aes.")


def certificate_pem(der: bytes) -> str:
    """A certificate's DER as PEM."""
    body = base64.b64encode(der).decode()
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(body, 64)) + "\n-----END CERTIFICATE-----\n"


# -- what is exported ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportedKeyPair:
    """One key pair as exported: encrypted private key, public key, and its certificate (if any)."""

    label: str
    usage: str  # "general", "signature", "encryption"
    usage_text: str  # IOS's "General Purpose Key", "Signature Key", "Encryption Key"
    private_pem: str
    public_pem: str
    certificate_pem: str | None = None

    @property
    def suffix(self) -> str:
        """What IOS adds to the URL for this pair's files: nothing, ``-sign`` or ``-encr``."""
        return SUFFIXES[self.usage]


@dataclass(frozen=True)
class PemExport:
    """``crypto pki export TP pem``: the CA certificate(s), then each key pair with its certificate."""

    trustpoint: str
    ca_pem: str
    key_pairs: list[ExportedKeyPair]

    def files(self) -> list[tuple[str, str]]:
        """(suffix added to the URL, content) in IOS's order: ``.ca``, then ``.prv`` and ``.crt`` per pair."""
        out = [(".ca", self.ca_pem)]
        for pair in self.key_pairs:
            out.append((f"{pair.suffix}.prv", pair.private_pem))
            if pair.certificate_pem:
                out.append((f"{pair.suffix}.crt", pair.certificate_pem))
        return out


@dataclass(frozen=True)
class KeyExport:
    """``crypto key export rsa LABEL pem``: each pair of the label, public and encrypted private key."""

    label: str
    key_pairs: list[ExportedKeyPair]

    def files(self) -> list[tuple[str, str]]:
        """(suffix added to the URL, content): ``.pub`` and ``.prv`` per pair, as IOS writes them."""
        out: list[tuple[str, str]] = []
        for pair in self.key_pairs:
            out += [(f"{pair.suffix}.pub", pair.public_pem), (f"{pair.suffix}.prv", pair.private_pem)]
        return out


def exported(pair: KeyPair, cipher: Cipher, password: str, certificate: bytes | None = None) -> ExportedKeyPair:
    """``pair`` encrypted with ``cipher`` and ``password`` (refused unless exportable)."""
    require_exportable([pair])
    return ExportedKeyPair(pair.label, pair.usage, pair.usage_text,
                           encrypt_private_pem(pair.private_key, cipher, password), public_pem(pair.public_key),
                           certificate_pem(certificate) if certificate else None)


class Exporter:
    """Builds what ``crypto pki export`` and ``crypto key export rsa`` hand out (nothing written)."""

    def __init__(self, config: RunningConfig, ca_certificate: Callable[[str], x509.Certificate],
                 der_of: Callable[[StoredCertificate], bytes | None]) -> None:
        self._config = config
        self._ca_certificate = ca_certificate
        self._der_of = der_of

    def own(self, tp: str) -> list[tuple[KeyPair, bytes]]:
        """The device's key pairs of ``tp`` with their certificate DER (signature first), or
        CertificateError when the trustpoint holds no certificate of this device."""
        found: list[tuple[KeyPair, bytes]] = []
        for record in self._config.certificates:
            pair = self._config.key_pairs.get(record.key_id or "")
            der = self._der_of(record)
            if (record.trustpoint == tp and record.role in OWN_ROLES and not record.orphaned and pair is not None
                    and der is not None and all(p is not pair for p, _ in found)):
                found.append((pair, der))
        if not found:
            raise CertificateError(f"Trustpoint {tp} holds no certificate of this device to export",
                                   f"Enroll first (crypto pki enroll {tp}) or import one (crypto pki import {tp} ...).")
        return sorted(found, key=lambda f: list(SUFFIXES).index(f[0].usage))

    def ca_ders(self, tp: str) -> list[bytes]:
        """The trustpoint's CA certificate first, then any other CA certificates it holds."""
        from cryptography.hazmat.primitives.serialization import Encoding

        first = self._ca_certificate(tp).public_bytes(Encoding.DER)
        others = [d for c in self._config.certificates if c.trustpoint == tp and c.role == CertRole.CA
                  and (d := self._der_of(c)) is not None and d != first]
        return [first, *others]

    def pem(self, tp: str, cipher: Cipher, password: str) -> PemExport:
        """``crypto pki export TP pem ...``: refused as a whole when any key pair is not exportable."""
        own = self.own(tp)
        require_exportable([p for p, _ in own])
        ca = "".join(certificate_pem(d) for d in self.ca_ders(tp))
        return PemExport(tp, ca, [exported(p, cipher, password, der) for p, der in own])

    def pkcs12(self, tp: str, password: str) -> bytes:
        """``crypto pki export TP pkcs12 ...``: key, certificate and CA certificates (DER PKCS#12)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12

        own = self.own(tp)
        require_exportable([p for p, _ in own])
        if len(own) > 1:
            raise TransferError(f"Trustpoint {tp} has usage keys (a signature and an encryption pair); "
                                "a PKCS#12 file here holds one key pair",
                                f"Export them as PEM instead: crypto pki export {tp} pem url URL aes password PW")
        secret = require_password(password, "A PKCS#12 export")
        pair, der = own[0]
        encryption = (PrivateFormat.PKCS12.encryption_builder().kdf_rounds(50_000)
                      .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256())
                      .build(secret))
        cas = [x509.load_der_x509_certificate(d) for d in self.ca_ders(tp)]
        return pkcs12.serialize_key_and_certificates(tp.encode(), pair.private_key, x509.load_der_x509_certificate(der),
                                                     cas, encryption)

    def key(self, pairs: list[KeyPair], cipher: Cipher, password: str) -> KeyExport:
        """``crypto key export rsa LABEL pem ...`` for the pairs of one label (signature first)."""
        require_exportable(pairs)
        ordered = sorted(pairs, key=lambda p: list(SUFFIXES).index(p.usage))
        return KeyExport(pairs[0].label, [exported(p, cipher, password) for p in ordered])
