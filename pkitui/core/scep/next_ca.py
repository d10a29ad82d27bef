"""GetNextCACert (RFC 8894 §3.5.2, §4.7): the CA certificate that takes over when the current one
expires, verified before anything of it is kept.

The reply is a CMS SignedData signed by the CURRENT CA (or its RA) whose content is a degenerate
certs-only PKCS#7 holding the new CA certificate (and any new RA certificates). It is refused
unless: the signature verifies with the current CA certificate (or an RA certificate the current
CA signed and we authenticated), and the new CA certificate chains sensibly: it says it is a CA,
has the current CA's name, is signed by its own key (a new root) or by the current CA's, and
outlives the current certificate.
"""

from __future__ import annotations

import hashlib

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from pkitui.core.errors import VerificationError
from pkitui.core.scep.asn1 import attribute_values, open_signed_data, signed_attributes_for_signature
from pkitui.core.scep.ca import is_ca, signed_by
from pkitui.core.scep.certrep import SIGNED_DIGESTS

_HINT = "Do not trust this CA certificate; check the CA with its administrator (crypto pki authenticate)."


def _signer_of(signer_info: cms.SignerInfo, candidates: list[x509.Certificate]) -> x509.Certificate:
    sid = signer_info["sid"]
    if sid.name == "issuer_and_serial_number":
        ias = sid.chosen
        for cert in candidates:
            if ias["serial_number"].native == cert.serial_number and ias["issuer"].dump() == cert.issuer.public_bytes():
                return cert
    raise VerificationError("signer", "the GetNextCACert reply is not signed by the current CA certificate "
                            "(or its RA)", _HINT)


def _verify(signer_info: cms.SignerInfo, content: bytes, signer: x509.Certificate) -> None:
    digest = signer_info["digest_algorithm"]["algorithm"].native
    if digest not in SIGNED_DIGESTS:
        raise VerificationError("signature", f"unsupported digest algorithm {digest} in the GetNextCACert reply")
    key = signer.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise VerificationError("signature", "the current CA certificate holds no RSA key")
    if signer_info["signed_attrs"].native:  # RFC 5652 §5.4: the signature covers the attributes
        if attribute_values(signer_info).get("message_digest") != [hashlib.new(digest, content).digest()]:
            raise VerificationError("messageDigest", "the GetNextCACert reply's signed digest does not match its "
                                    "content", _HINT)
        signed = signed_attributes_for_signature(signer_info)
    else:
        signed = content
    try:
        key.verify(signer_info["signature"].native, signed, padding.PKCS1v15(), SIGNED_DIGESTS[digest]())
    except InvalidSignature:
        raise VerificationError("signature", "the GetNextCACert reply's signature does not verify with the "
                                "current CA certificate", _HINT) from None


def check_next_ca(new: x509.Certificate, current: x509.Certificate) -> None:
    """VerificationError("chain") unless ``new`` can sensibly take over from ``current``."""
    if new == current:
        raise VerificationError("chain", "the CA offered its current certificate as the next one", _HINT)
    if not is_ca(new):
        raise VerificationError("chain", "the next CA certificate does not say it is a CA (basicConstraints)", _HINT)
    if new.subject != current.subject:
        raise VerificationError("chain", f"the next CA certificate names {new.subject.rfc4514_string()}, not the "
                                f"current CA {current.subject.rfc4514_string()}", _HINT)
    if not (signed_by(new, new) or signed_by(new, current)):
        raise VerificationError("chain", "the next CA certificate is signed neither by its own key nor by the "
                                "current CA's", _HINT)
    if new.not_valid_after_utc <= current.not_valid_after_utc:
        raise VerificationError("chain", "the next CA certificate expires no later than the current one "
                                f"({new.not_valid_after_utc:%Y-%m-%d %H:%M} UTC)", _HINT)


def parse_next_ca_reply(body: bytes, current: x509.Certificate,
                        ra_signers: list[x509.Certificate] | None = None) -> x509.Certificate:
    """The next CA certificate of a GetNextCACert reply, verified (see the module docstring);
    ``ra_signers``: RA certificates of the current CA that may sign instead of it."""
    try:
        signer_infos, content = open_signed_data(body, data_only=True)
    except (ValueError, TypeError, KeyError) as exc:
        raise VerificationError("format", f"the GetNextCACert reply is not a CMS SignedData ({exc})") from None
    if len(signer_infos) != 1:
        raise VerificationError("format", f"the GetNextCACert reply has {len(signer_infos)} signers, expected 1 "
                                "(the current CA)", _HINT)
    trusted = [current] + [r for r in ra_signers or [] if signed_by(r, current)]
    signer = _signer_of(signer_infos[0], trusted)
    _verify(signer_infos[0], content, signer)
    try:
        inner = cms.ContentInfo.load(content)
        certs = [x509.load_der_x509_certificate(c.chosen.dump())
                 for c in inner["content"]["certificates"] if c.name == "certificate"]
    except (ValueError, TypeError, KeyError) as exc:
        raise VerificationError("format", f"the GetNextCACert reply carries no certs-only PKCS#7 ({exc})") from None
    cas = [c for c in certs if is_ca(c)]
    if not cas:
        raise VerificationError("chain", "the GetNextCACert reply holds no CA certificate", _HINT)
    new = next((c for c in cas if c.subject == current.subject), cas[0])
    check_next_ca(new, current)
    return new
