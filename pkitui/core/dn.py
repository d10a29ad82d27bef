"""Distinguished names as typed in ``subject-name``: parsing and validation.

The syntax is RFC 4514's (``CN=r1.example.com,O=Example,C=US``), relaxed the way IOS users type
it: attribute names in any case, spaces around ``,``/``=``, IOS's extra names (``E``,
``unstructuredName``) and dotted OIDs. cryptography's own ``Name.from_rfc4514_string`` refuses
most of that and says nothing about why; here every refusal names the bad part.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from pkitui.core.errors import ConfigError

_HINT = "Use attribute=value pairs separated by commas, e.g. CN=r1.example.com,O=Example,C=US."

DN_ATTRIBUTES: dict[str, ObjectIdentifier] = {
    "CN": NameOID.COMMON_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "C": NameOID.COUNTRY_NAME,
    "STREET": NameOID.STREET_ADDRESS,
    "DC": NameOID.DOMAIN_COMPONENT,
    "UID": NameOID.USER_ID,
    "E": NameOID.EMAIL_ADDRESS,
    "EMAIL": NameOID.EMAIL_ADDRESS,
    "EMAILADDRESS": NameOID.EMAIL_ADDRESS,
    "SERIALNUMBER": NameOID.SERIAL_NUMBER,
    "T": NameOID.TITLE,
    "TITLE": NameOID.TITLE,
    "GN": NameOID.GIVEN_NAME,
    "GIVENNAME": NameOID.GIVEN_NAME,
    "SN": NameOID.SURNAME,
    "SURNAME": NameOID.SURNAME,
    "POSTALCODE": NameOID.POSTAL_CODE,
    "UNSTRUCTUREDNAME": ObjectIdentifier("1.2.840.113549.1.9.2"),
    "UNSTRUCTUREDADDRESS": ObjectIdentifier("1.2.840.113549.1.9.8"),
}
_SPECIAL = ',+=\\"<>;#'


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside backslash escapes and double quotes (escapes are kept)."""
    parts, current, quoted, i = [], [], False, 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        if c == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(value: str, dn: str) -> str:
    """RFC 4514 value: strip quotes, resolve ``\\,``-style and ``\\XX`` hex escapes."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    out, raw, i = [], bytearray(), 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            pair = value[i + 1 : i + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                raw.append(int(pair, 16))
                i += 3
                continue
            if value[i + 1] not in _SPECIAL + " ":
                raise ConfigError(f"invalid subject-name {dn!r}: bad escape '\\{value[i + 1]}'", _HINT)
            out.append(value[i + 1])
            i += 2
            continue
        if raw:
            out.append(raw.decode("utf-8", "replace"))
            raw = bytearray()
        out.append(value[i])
        i += 1
    if raw:
        out.append(raw.decode("utf-8", "replace"))
    return "".join(out)


def _attribute(ava: str, dn: str) -> x509.NameAttribute[str]:
    name, eq, value = ava.partition("=")
    name = name.strip()
    if not eq:
        raise ConfigError(f"invalid subject-name {dn!r}: {ava.strip()!r} has no '='", _HINT)
    if not name:
        raise ConfigError(f"invalid subject-name {dn!r}: {ava.strip()!r} has no attribute name", _HINT)
    oid = DN_ATTRIBUTES.get(name.upper())
    if oid is None:
        if not all(part.isdigit() for part in name.split(".")) or name.count(".") < 1:
            known = ", ".join(k for k in DN_ATTRIBUTES if len(k) <= 2)
            raise ConfigError(
                f"invalid subject-name {dn!r}: unknown attribute {name!r}",
                f"Known attributes: {known}, SERIALNUMBER, UNSTRUCTUREDNAME ... or a dotted OID.",
            )
        oid = ObjectIdentifier(name)
    text = _unescape(value, dn)
    if not text:
        raise ConfigError(f"invalid subject-name {dn!r}: {name} has an empty value", _HINT)
    if oid == NameOID.COUNTRY_NAME and (len(text) != 2 or not text.isalpha()):
        raise ConfigError(f"invalid subject-name {dn!r}: C={text!r} is not a two-letter country code", "Example: C=US")
    if oid == NameOID.COMMON_NAME and len(text) > 64:
        raise ConfigError(f"invalid subject-name {dn!r}: CN is longer than 64 characters", "Shorten the common name.")
    return x509.NameAttribute(oid, text)


def parse_dn(dn: str) -> x509.Name:
    """The :class:`x509.Name` for ``dn``, or ConfigError naming the bad part.

    As in RFC 4514 (and cryptography's ``from_rfc4514_string``) the first RDN written is the
    most specific one, i.e. the last in the certificate's ASN.1 sequence.
    """
    if not dn.strip():
        raise ConfigError("invalid subject-name: it is empty", "Example: CN=r1.example.com,O=Example")
    rdns = []
    for rdn in _split(dn, ","):
        if not rdn.strip():
            raise ConfigError(f"invalid subject-name {dn!r}: empty component between commas", _HINT)
        attributes = [_attribute(ava, dn) for ava in _split(rdn, "+")]
        try:
            rdns.append(x509.RelativeDistinguishedName(attributes))
        except ValueError as exc:  # e.g. the same attribute twice in one RDN
            raise ConfigError(f"invalid subject-name {dn!r}: {rdn.strip()!r}: {exc}", _HINT) from None
    return x509.Name(list(reversed(rdns)))


def validate_dn(dn: str) -> str:
    """Return ``dn`` (surrounding blanks removed) if :func:`parse_dn` accepts it."""
    parse_dn(dn)
    return dn.strip()
