"""Building SCEP pkiMessages (RFC 8894 §3): PKCSReq, RenewalReq, CertPoll and GetCRL.

A pkiMessage is CMS SignedData over a pkcsPKIEnvelope, with SCEP's signed attributes. asn1crypto
builds the structures; cryptography does the signature. The SignerInfo digest may be SHA-1 for
old CAs: cryptography's x509 builders refuse SHA-1, but a raw ``key.sign(..., SHA1())`` works,
so the signer certificate stays SHA-256 while the pkiMessage follows the CA's caps
(:func:`message_digest`) and the CSR the trustpoint's ``hash`` (SHA-1 signed by hand).
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass

from asn1crypto import algos, cms, core
from asn1crypto import csr as asn1_csr
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import AttributeOID, NameOID

from pkitui.core.scep.asn1 import MESSAGE_TYPE_CODES, IssuerAndSubject, attribute
from pkitui.core.scep.envelope import envelope, issuer_and_serial

DIGESTS: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha512": hashes.SHA512}
DIGEST_TITLES = {"sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}


@dataclass(frozen=True)
class PkiRequest:
    """A pkiMessage ready to send, with what its CertRep must echo."""

    message_type: str
    transaction_id: str
    sender_nonce: bytes
    der: bytes
    digest: str
    cipher: str


def new_transaction_id() -> str:
    """A fresh transactionID: 32 upper-case hex digits (unique per transaction)."""
    return os.urandom(16).hex().upper()


# The CSR's signature hashes cryptography's builder takes ("hash sha1" is signed by hand).
CSR_HASHES: dict[str, type[hashes.SHA256] | type[hashes.SHA384] | type[hashes.SHA512]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def build_csr(key: rsa.RSAPrivateKey, subject: x509.Name, *, challenge: str | None,
              dns_names: list[str] | None = None, ip_address: str | None = None,
              key_usage: x509.KeyUsage | None = None, ekus: list[x509.ObjectIdentifier] | None = None,
              hash_name: str = "sha256") -> bytes:
    """A PKCS#10 request (DER) signed with ``hash_name``, with the challengePassword attribute and
    the optional extensions: subjectAltName, keyUsage (critical, as CAs copy it), extKeyUsage."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    alt: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names or []]
    if ip_address:
        alt.append(x509.IPAddress(ipaddress.ip_address(ip_address)))
    if alt:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    if ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    if challenge:
        builder = builder.add_attribute(AttributeOID.CHALLENGE_PASSWORD, challenge.encode())
    if hash_name == "sha1":  # cryptography's builder refuses SHA-1: sign the same request body by hand
        return _resigned_sha1(builder.sign(key, hashes.SHA256()), key)
    return builder.sign(key, CSR_HASHES[hash_name]()).public_bytes(serialization.Encoding.DER)


def _resigned_sha1(csr: x509.CertificateSigningRequest, key: rsa.RSAPrivateKey) -> bytes:
    """``csr`` with its CertificationRequestInfo signed again with SHA-1 (``hash sha1``, for CAs
    that know nothing newer)."""
    info = csr.tbs_certrequest_bytes
    signature = key.sign(info, padding.PKCS1v15(), hashes.SHA1())
    request = asn1_csr.CertificationRequest({
        "certification_request_info": asn1_csr.CertificationRequestInfo.load(info),
        "signature_algorithm": {"algorithm": "sha1_rsa"},
        "signature": signature,
    })
    der: bytes = request.dump()
    return der


def message_digest(caps: Collection[str], wanted: str | None) -> str:
    """The pkiMessage's digest: ``wanted`` (the trustpoint's ``hash``) when the CA's GetCACaps
    allows it (SHA-1 always; SHA-256 with SHA-256 or SCEPStandard; SHA-512 with SHA-512), else
    SHA-256 when allowed, else SHA-1. SCEP has no SHA-384: ``hash sha384`` signs the CSR only."""
    allowed = {"sha1"}
    if "SHA-256" in caps or "SCEPSTANDARD" in caps:
        allowed.add("sha256")
    if "SHA-512" in caps:
        allowed.add("sha512")
    if wanted in allowed:
        return wanted
    return "sha256" if "sha256" in allowed else "sha1"


def self_signed_signer(key: rsa.RSAPrivateKey, subject: x509.Name) -> x509.Certificate:
    """The transient self-signed certificate that signs a PKCSReq (RFC 8894 §2.3)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if not len(subject):
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SCEP requester")])
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def sign(content: bytes, signer: x509.Certificate, key: rsa.RSAPrivateKey, *, message_type: str,
         transaction_id: str, sender_nonce: bytes, digest: str) -> bytes:
    """SignedData over ``content`` with SCEP's signed attributes, as ContentInfo DER."""
    hash_cls = DIGESTS[digest]
    signed_attrs = cms.CMSAttributes([
        attribute("content_type", "data"),
        attribute("signing_time", cms.Time(name="utc_time",
                                           value=core.UTCTime(datetime.datetime.now(datetime.timezone.utc)))),
        attribute("message_digest", hashlib.new(digest, content).digest()),
        attribute("scep_message_type", MESSAGE_TYPE_CODES[message_type]),
        attribute("scep_transaction_id", transaction_id),
        attribute("scep_sender_nonce", sender_nonce),
    ])
    # The signature covers the attributes DER-encoded as a SET (tag 0x31).
    signature = key.sign(signed_attrs.dump(), padding.PKCS1v15(), hash_cls())
    digest_alg = algos.DigestAlgorithm({"algorithm": digest})
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier(name="issuer_and_serial_number", value=issuer_and_serial(signer)),
        "digest_algorithm": digest_alg,
        "signed_attrs": signed_attrs,
        "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
        "signature": signature,
    })
    signed = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [digest_alg],
        "encap_content_info": {"content_type": "data", "content": content},
        "certificates": [cms.CertificateChoices(name="certificate", value=asn1_x509.Certificate.load(
            signer.public_bytes(serialization.Encoding.DER)))],
        "signer_infos": [signer_info],
    })
    der: bytes = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
    return der


def build_request(message_type: str, inner: bytes, *, signer: x509.Certificate, key: rsa.RSAPrivateKey,
                  recipient: x509.Certificate, transaction_id: str, digest: str = "sha256",
                  cipher: str = "aes128") -> PkiRequest:
    """Envelope ``inner`` to ``recipient``, sign it, and return the pkiMessage (fresh nonce)."""
    nonce = os.urandom(16)
    enveloped = envelope(inner, recipient, cipher)
    der = sign(enveloped, signer, key, message_type=message_type, transaction_id=transaction_id,
               sender_nonce=nonce, digest=digest)
    return PkiRequest(message_type, transaction_id, nonce, der, digest, cipher)


def cert_poll_content(issuer_der: bytes, subject_der: bytes) -> bytes:
    """CertPoll (GetCertInitial) content: IssuerAndSubject, from the two Names' DER."""
    der: bytes = IssuerAndSubject({"issuer": asn1_x509.Name.load(issuer_der),
                                   "subject": asn1_x509.Name.load(subject_der)}).dump()
    return der


def get_cert_content(issuer: x509.Name, serial: int) -> bytes:
    """GetCert content (RFC 8894 §3.3.4): IssuerAndSerialNumber of the certificate wanted."""
    der: bytes = cms.IssuerAndSerialNumber({"issuer": asn1_x509.Name.load(issuer.public_bytes()),
                                            "serial_number": serial}).dump()
    return der


def get_crl_content(cert: x509.Certificate) -> bytes:
    """GetCRL content: IssuerAndSerialNumber of a certificate the CA issued."""
    der: bytes = issuer_and_serial(cert).dump()
    return der
