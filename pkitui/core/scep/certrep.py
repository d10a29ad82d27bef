"""Parsing and verifying a CertRep (RFC 8894 §3.3.2) before anything of it is used.

Checks, each named in the :class:`VerificationError` it raises: ``format``, ``signer`` (signed
by a CA/RA certificate we authenticated), ``messageDigest``, ``signature``, ``messageType``
(CertRep), ``transactionID``, ``recipientNonce``, ``pkiStatus``, and for SUCCESS ``envelope``
(decrypts with our key), ``certificate key`` (an issued certificate holds our public key) and
``chain`` (it is issued by the authenticated CA).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from pkitui.core.errors import VerificationError
from pkitui.core.scep.asn1 import (
    FAIL_INFO,
    MESSAGE_TYPES,
    PKI_STATUS,
    attribute_values,
    open_signed_data,
    signed_attributes_for_signature,
)
from pkitui.core.scep.envelope import decrypt

# The digests a SignerInfo may use (a CertRep's, a GetNextCACert reply's).
SIGNED_DIGESTS: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
    "sha512": hashes.SHA512}
# SignerInfo signature algorithms we accept (micromdm sends sha1WithRSAEncryption, RFC 5652 says rsaEncryption).
_RSA_SIGNATURES = {"rsassa_pkcs1v15", "sha1_rsa", "sha224_rsa", "sha256_rsa", "sha384_rsa", "sha512_rsa"}


@dataclass
class CertRep:
    """A verified CertRep: status, and for SUCCESS the certificates (ours first)."""

    status: str
    transaction_id: str
    sender_nonce: bytes
    fail_info: str | None = None
    fail_info_text: str | None = None
    certificates: list[x509.Certificate] = field(default_factory=list)
    issued: x509.Certificate | None = None
    signer: x509.Certificate | None = None
    digest: str = ""
    cipher: str | None = None
    crl: bytes | None = None

    @property
    def fail_reason(self) -> str:
        """failInfo in words with the CA's failInfoText, e.g. 'badRequest (invalid challenge)'."""
        words = self.fail_info or "no failInfo"
        return f"{words} ({self.fail_info_text})" if self.fail_info_text else words


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _find_signer(signer_info: cms.SignerInfo, trusted: list[x509.Certificate]) -> x509.Certificate:
    sid = signer_info["sid"]
    for cert in trusted:
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            if ias["serial_number"].native == cert.serial_number and ias["issuer"].dump() == cert.issuer.public_bytes():
                return cert
        elif sid.name == "subject_key_identifier":
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
            except x509.ExtensionNotFound:
                continue
            if ski == sid.chosen.native:
                return cert
    raise VerificationError("signer", "the reply is not signed by the authenticated CA or its RA",
                            "Re-authenticate the CA if it has changed (crypto pki authenticate).")


def _verify_signature(signer_info: cms.SignerInfo, content: bytes, signer: x509.Certificate) -> str:
    digest: str = signer_info["digest_algorithm"]["algorithm"].native
    if digest not in SIGNED_DIGESTS:
        raise VerificationError("signature", f"unsupported or weak digest algorithm {digest}")
    sig_alg = signer_info["signature_algorithm"]["algorithm"].native
    if sig_alg not in _RSA_SIGNATURES:
        raise VerificationError("signature", f"unsupported signature algorithm {sig_alg}")
    values = attribute_values(signer_info)
    if values.get("content_type") != ["data"]:
        raise VerificationError("format", "the signed content type is not data")
    if values.get("message_digest") != [hashlib.new(digest, content).digest()]:
        raise VerificationError("messageDigest", "the signed digest does not match the reply's content")
    key = signer.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise VerificationError("signature", "the signer certificate holds no RSA key")
    try:
        key.verify(signer_info["signature"].native, signed_attributes_for_signature(signer_info),
                   padding.PKCS1v15(), SIGNED_DIGESTS[digest]())
    except InvalidSignature:
        raise VerificationError("signature", "the CMS signature on the reply does not verify") from None
    return digest


def _single(values: dict[str, list[object]], name: str, check: str) -> object:
    got = values.get(name)
    if not got or len(got) != 1:
        raise VerificationError(check, f"the reply carries no single {check} attribute")
    return got[0]


def parse_cert_rep(
    der: bytes, *, trusted_signers: list[x509.Certificate], ca_certificates: list[x509.Certificate],
    transaction_id: str, sender_nonce: bytes,
    decrypt_with: list[tuple[x509.Certificate, rsa.RSAPrivateKey]], our_public_keys: list[bytes],
    want_crl: bool = False,
) -> CertRep:
    """Verify a CertRep against our request and return it; raise VerificationError on any failure.

    ``our_public_keys``: SubjectPublicKeyInfo DER of the key(s) the issued certificate may hold.
    ``want_crl``: the request was GetCRL, so a SUCCESS carries a CRL instead of certificates.
    """
    try:
        signer_infos, content = open_signed_data(der)
    except (ValueError, TypeError, KeyError) as exc:
        raise VerificationError("format", f"the reply is not a CMS SignedData pkiMessage ({exc})") from None
    if len(signer_infos) != 1:
        raise VerificationError("format", f"the reply has {len(signer_infos)} signers, expected 1")
    signer_info = signer_infos[0]
    signer = _find_signer(signer_info, trusted_signers)
    digest = _verify_signature(signer_info, content, signer)
    values = attribute_values(signer_info)
    message_type = MESSAGE_TYPES.get(str(_single(values, "scep_message_type", "messageType")), "unknown")
    if message_type != "CertRep":
        raise VerificationError("messageType", f"expected CertRep, got {message_type}")
    got_tid = str(_single(values, "scep_transaction_id", "transactionID"))
    if got_tid != transaction_id:
        raise VerificationError("transactionID", f"the reply is for transaction {got_tid}, not {transaction_id}")
    if _single(values, "scep_recipient_nonce", "recipientNonce") != sender_nonce:
        raise VerificationError("recipientNonce", "the reply's recipientNonce is not the senderNonce we sent")
    status = PKI_STATUS.get(str(_single(values, "scep_pki_status", "pkiStatus")))
    if status is None:
        raise VerificationError("pkiStatus", "the reply's pkiStatus is not SUCCESS, FAILURE or PENDING")
    sender_nonce_back = values.get("scep_sender_nonce", [b""])[0]
    rep = CertRep(status=status, transaction_id=got_tid,
                  sender_nonce=sender_nonce_back if isinstance(sender_nonce_back, bytes) else b"",
                  signer=signer, digest=digest)
    if status == "FAILURE":
        code = values.get("scep_fail_info", [None])[0]
        rep.fail_info = FAIL_INFO.get(str(code), f"failInfo {code}") if code is not None else None
        text = values.get("scep_fail_info_text", [None])[0]
        rep.fail_info_text = str(text) if text else None
    elif status == "SUCCESS" and want_crl:
        _read_crl(rep, content, ca_certificates, decrypt_with)
    elif status == "SUCCESS":
        _read_certificates(rep, content, ca_certificates, decrypt_with, our_public_keys)
    return rep


def _read_certificates(rep: CertRep, content: bytes, ca_certificates: list[x509.Certificate],
                       decrypt_with: list[tuple[x509.Certificate, rsa.RSAPrivateKey]],
                       our_public_keys: list[bytes]) -> None:
    if not content:
        raise VerificationError("envelope", "a SUCCESS reply carries no pkcsPKIEnvelope")
    plain, rep.cipher = decrypt(content, decrypt_with)
    try:
        degenerate = cms.ContentInfo.load(plain)
        rep.certificates = [x509.load_der_x509_certificate(c.chosen.dump())
                            for c in degenerate["content"]["certificates"] if c.name == "certificate"]
    except (ValueError, TypeError, KeyError) as exc:
        raise VerificationError("format", f"the decrypted reply is not a certs-only PKCS#7 ({exc})") from None
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    mine = [c for c in rep.certificates
            if c.public_key().public_bytes(serialization.Encoding.DER, spki) in our_public_keys]
    if not mine:
        raise VerificationError("certificate key", "no certificate in the reply holds our public key")
    rep.issued = mine[0]
    rep.certificates = [rep.issued] + [c for c in rep.certificates if c is not rep.issued]
    verify_issued_by(rep.issued, ca_certificates)


def _read_crl(rep: CertRep, content: bytes, ca_certificates: list[x509.Certificate],
              decrypt_with: list[tuple[x509.Certificate, rsa.RSAPrivateKey]]) -> None:
    if not content:
        raise VerificationError("envelope", "a SUCCESS reply carries no pkcsPKIEnvelope")
    plain, rep.cipher = decrypt(content, decrypt_with)
    # The CRL checks of every other CRL source (signature over the bytes as received, cRLSign,
    # dates, scope), not a second implementation: a 1M-entry CRL is not re-encoded to verify it.
    from pkitui.core.errors import RevocationError
    from pkitui.core.revocation.crl import parse_crl, verify_crl

    try:
        crls = list(cms.ContentInfo.load(plain)["content"]["crls"])
        der = crls[0].chosen.dump()
        parsed = parse_crl(der)
    except (ValueError, TypeError, KeyError, IndexError, RevocationError) as exc:
        raise VerificationError("format", f"the decrypted reply carries no CRL ({exc})") from None
    problems = []
    for ca in ca_certificates:
        try:
            verify_crl(parsed, ca)
            rep.crl = der
            return
        except RevocationError as exc:
            problems.append(exc.message)
    raise VerificationError("CRL signature", "the CRL is not signed by the authenticated CA ("
                            + "; ".join(problems) + ")")


def verify_issued_by(cert: x509.Certificate, ca_certificates: list[x509.Certificate]) -> x509.Certificate:
    """The CA certificate that signed ``cert``; VerificationError("chain") if none did."""
    for ca in ca_certificates:
        if cert.issuer != ca.subject:
            continue
        try:
            cert.verify_directly_issued_by(ca)
            return ca
        except (ValueError, TypeError, InvalidSignature):
            continue
    raise VerificationError("chain", "the issued certificate is not signed by the authenticated CA")
