"""The shape of DER: enough to refuse what is plainly not a certificate or an RSA public key
when a store is opened, without importing cryptography's X.509 layer (~30 ms of every start-up).

It walks tag-length-value headers only (definite lengths, every byte accounted for); the values are
parsed by cryptography where they are used, and a failure there is an error naming the record.
"""

from __future__ import annotations

SEQUENCE, INTEGER, BIT_STRING, OID = 0x30, 0x02, 0x03, 0x06
RSA_ENCRYPTION = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1


class DerShapeError(ValueError):
    """The bytes are not the DER structure expected."""


def elements(data: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) of each element that ``data`` is made of, end to end."""
    out, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            raise DerShapeError("truncated header")
        tag, first = data[i], data[i + 1]
        i += 2
        if tag & 0x1F == 0x1F:
            raise DerShapeError("multi-byte tags are not used here")
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if count == 0 or count > 4 or i + count > len(data):
                raise DerShapeError("bad length")
            length = int.from_bytes(data[i : i + count], "big")
            i += count
        if i + length > len(data):
            raise DerShapeError("content runs past the end")
        out.append((tag, data[i : i + length]))
        i += length
    return out


def _tags(data: bytes) -> tuple[list[int], list[bytes]]:
    parts = elements(data)
    return [t for t, _ in parts], [c for _, c in parts]


def tbs_fields(der: bytes) -> list[bytes]:
    """The contents of certificate ``der``'s tbsCertificate fields from the serial on (serial,
    algorithm, issuer, validity, subject, spki, ...), the shape checked (DerShapeError otherwise).

    Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0]? serial, alg, issuer, validity,
    subject, spki, ... }, signatureAlgorithm SEQUENCE, signature BIT STRING }."""
    tags, contents = _tags(der)
    if tags != [SEQUENCE]:
        raise DerShapeError("not one SEQUENCE")
    tags, contents = _tags(contents[0])
    if tags != [SEQUENCE, SEQUENCE, BIT_STRING]:
        raise DerShapeError("not tbsCertificate, signatureAlgorithm, signature")
    tbs_tags, tbs = _tags(contents[0])
    if tbs_tags[:1] == [0xA0]:
        tbs_tags, tbs = tbs_tags[1:], tbs[1:]
    if tbs_tags[:6] != [INTEGER, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE]:
        raise DerShapeError("tbsCertificate lacks serial, algorithm, issuer, validity, subject or key")
    check_public_key(sequence(tbs[5]), rsa_only=False)
    return tbs


def check_certificate(der: bytes) -> None:
    """Raise DerShapeError unless ``der`` has a certificate's shape (:func:`tbs_fields`)."""
    tbs_fields(der)


def serial_number(der: bytes) -> int:
    """The serial number of certificate ``der`` (DerShapeError when it has no certificate's shape)."""
    return int.from_bytes(tbs_fields(der)[0], "big", signed=True)


def check_public_key(der: bytes, *, rsa_only: bool = True) -> None:
    """SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE { OID, ... }, key BIT STRING }."""
    tags, contents = _tags(der)
    if tags != [SEQUENCE]:
        raise DerShapeError("not one SEQUENCE")
    tags, contents = _tags(contents[0])
    if tags != [SEQUENCE, BIT_STRING]:
        raise DerShapeError("not algorithm and key")
    alg_tags, alg = _tags(contents[0])
    if not alg_tags or alg_tags[0] != OID:
        raise DerShapeError("the algorithm has no OID")
    if rsa_only and alg[0] != RSA_ENCRYPTION:
        raise DerShapeError("not an RSA key")


def is_rsa_public_key(der: bytes) -> bool:
    """True when ``der`` has the shape of an RSA SubjectPublicKeyInfo."""
    try:
        check_public_key(der)
    except DerShapeError:
        return False
    return True


def sequence(content: bytes) -> bytes:
    """A DER SEQUENCE around ``content``."""
    n = len(content)
    if n < 0x80:
        return b"\x30" + bytes([n]) + content
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\x30" + bytes([0x80 | len(raw)]) + raw + content
