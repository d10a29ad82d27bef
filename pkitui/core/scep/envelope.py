"""pkcsPKIEnvelope (CMS EnvelopedData, RFC 8894 §3.2.2): encrypt to the CA/RA, decrypt replies.

asn1crypto holds the structures, cryptography does RSA and the block ciphers. Decryption is
liberal where it costs no security: AES-CBC, DES-EDE3-CBC and single DES-CBC (micromdm answers in
single DES whatever was asked; it is TripleDES with the key repeated three times), and a
primitive or constructed (chunked) ``encryptedContent``.
"""

from __future__ import annotations

import os

from asn1crypto import algos, cms, core, parser
from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from pkitui.core.errors import VerificationError

# Name used in output -> (asn1crypto algorithm id, key length in bytes)
CIPHERS = {"aes128": ("aes128_cbc", 16), "aes256": ("aes256_cbc", 32), "des3": ("tripledes_3key", 24)}
CIPHER_TITLES = {"aes128_cbc": "AES-128-CBC", "aes192_cbc": "AES-192-CBC", "aes256_cbc": "AES-256-CBC",
                 "tripledes_3key": "DES3-CBC", "des": "DES-CBC (single DES)"}


def _issuer_and_serial(cert: x509.Certificate) -> cms.IssuerAndSerialNumber:
    from asn1crypto import x509 as asn1_x509

    return cms.IssuerAndSerialNumber({
        "issuer": asn1_x509.Name.load(cert.issuer.public_bytes()),
        "serial_number": cert.serial_number,
    })


def issuer_and_serial(cert: x509.Certificate) -> cms.IssuerAndSerialNumber:
    """The IssuerAndSerialNumber that names ``cert`` in CMS."""
    return _issuer_and_serial(cert)


def _block_cipher(alg_name: str, key: bytes) -> algorithms.AES | TripleDES:
    if alg_name.startswith("aes"):
        return algorithms.AES(key)
    if alg_name == "des":
        return TripleDES(key * 3)  # single DES as 3DES with K1 = K2 = K3
    return TripleDES(key)


def envelope(content: bytes, recipient: x509.Certificate, cipher: str = "aes128") -> bytes:
    """``content`` encrypted for ``recipient`` (RSA key transport), as ContentInfo DER."""
    alg_name, key_len = CIPHERS[cipher]
    key = os.urandom(key_len)
    iv = os.urandom(16 if alg_name.startswith("aes") else 8)
    padder = padding.PKCS7(128 if alg_name.startswith("aes") else 64).padder()
    padded = padder.update(content) + padder.finalize()
    enc = Cipher(_block_cipher(alg_name, key), modes.CBC(iv)).encryptor()
    encrypted = enc.update(padded) + enc.finalize()
    public_key = recipient.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise VerificationError("recipient key", "the CA/RA encryption certificate does not hold an RSA key")
    encrypted_key = public_key.encrypt(key, asym_padding.PKCS1v15())
    enveloped = cms.EnvelopedData({
        "version": "v0",
        "recipient_infos": [cms.RecipientInfo(name="ktri", value=cms.KeyTransRecipientInfo({
            "version": "v0",
            "rid": cms.RecipientIdentifier(name="issuer_and_serial_number", value=_issuer_and_serial(recipient)),
            "key_encryption_algorithm": {"algorithm": "rsaes_pkcs1v15"},
            "encrypted_key": encrypted_key,
        }))],
        "encrypted_content_info": {
            "content_type": "data",
            "content_encryption_algorithm": {"algorithm": alg_name, "parameters": core.OctetString(iv)},
            "encrypted_content": encrypted,
        },
    })
    der: bytes = cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump()
    return der


def _elements(data: bytes) -> list[bytes]:
    """Split concatenated BER elements (asn1crypto's parser finds each one's length)."""
    out = []
    while data:
        size = parser.peek(data)
        out.append(data[:size])
        data = data[size:]
    return out


def _encrypted_bytes(eci: cms.EncryptedContentInfo) -> tuple[str, bytes | None, bytes]:
    """(algorithm name, IV, ciphertext) of an EncryptedContentInfo whose ``encryptedContent`` is
    primitive or BER constructed (chunked): asn1crypto's own class refuses the latter."""
    alg: algos.EncryptionAlgorithm = eci["content_encryption_algorithm"]
    parts = _elements(parser.parse(eci.dump())[4])
    if len(parts) < 3:
        raise VerificationError("envelope", "the reply's envelope carries no encrypted content")
    _cls, method, _tag, _header, contents, _trailer = parser.parse(parts[2])
    if method == 0:  # primitive: the contents are the ciphertext
        data = contents
    else:  # constructed: a series of OCTET STRING chunks
        data = b"".join(core.OctetString.load(chunk).native for chunk in _elements(contents))
    return alg["algorithm"].native, alg.encryption_iv, data


def decrypt(content_info_der: bytes, candidates: list[tuple[x509.Certificate, rsa.RSAPrivateKey]]) -> tuple[bytes, str]:
    """Decrypt a pkcsPKIEnvelope with whichever of our (certificate, key) pairs it names.

    Returns (plaintext, cipher title). Raises VerificationError("envelope", ...) otherwise.
    """
    try:
        info = cms.ContentInfo.load(content_info_der)
        if info["content_type"].native != "enveloped_data":
            raise VerificationError("envelope", f"expected EnvelopedData, got {info['content_type'].native}")
        enveloped = info["content"]
        recipients = list(enveloped["recipient_infos"])
        eci = enveloped["encrypted_content_info"]
    except (ValueError, TypeError, KeyError) as exc:
        raise VerificationError("envelope", f"the reply's envelope is malformed ({exc})") from None
    alg_name, iv, data = _encrypted_bytes(eci)
    if alg_name not in CIPHER_TITLES:
        raise VerificationError("envelope", f"unsupported content cipher {alg_name}")
    cek = None
    for ri in recipients:
        if ri.name != "ktri":
            continue
        ktri = ri.chosen
        rid = ktri["rid"]
        ordered = sorted(candidates, key=lambda c: 0 if _names(rid, c[0]) else 1)
        for _cert, key in ordered:
            try:
                cek = key.decrypt(ktri["encrypted_key"].native, asym_padding.PKCS1v15())
                break
            except ValueError:
                continue
        if cek is not None:
            break
    if cek is None:
        raise VerificationError("envelope", "the reply is not encrypted to our request key")
    if not isinstance(iv, bytes):
        raise VerificationError("envelope", "the reply's content cipher carries no IV")
    try:
        dec = Cipher(_block_cipher(alg_name, cek), modes.CBC(iv)).decryptor()
        padded = dec.update(data) + dec.finalize()
        unpadder = padding.PKCS7(128 if alg_name.startswith("aes") else 64).unpadder()
        return unpadder.update(padded) + unpadder.finalize(), CIPHER_TITLES[alg_name]
    except ValueError as exc:
        raise VerificationError("envelope", f"the reply does not decrypt ({exc})") from None


def _names(rid: cms.RecipientIdentifier, cert: x509.Certificate) -> bool:
    if rid.name != "issuer_and_serial_number":
        return False
    return bool(rid.chosen["serial_number"].native == cert.serial_number)
