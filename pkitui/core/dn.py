"""Distinguished names as typed in ``subject-name``: parsing and validation.

The syntax is RFC 4514's (``CN=r1.example.com,O=Example,C=US``), relaxed the way IOS users type
it: attribute names in any case, spaces around ``,``/``=``, IOS's extra names (``E``,
``unstructuredName``) and dotted OIDs. cryptography's own ``Name.from_rfc4514_string`` refuses
most of that and says nothing about why; here every refusal names the bad part.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkitui.core.errors import ConfigError

if TYPE_CHECKING:
    from cryptography import x509

_HINT = "Use attribute=value pairs separated by commas, e.g. CN=r1.example.com,O=Example,C=US."

# attribute name -> OID (dotted; cryptography is imported only when a name is built)
DN_ATTRIBUTES: dict[str, str] = {
    "CN": "2.5.4.3",
    "O": "2.5.4.10",
    "OU": "2.5.4.11",
    "L": "2.5.4.7",
    "ST": "2.5.4.8",
    "C": "2.5.4.6",
    "STREET": "2.5.4.9",
    "DC": "0.9.2342.19200300.100.1.25",
    "UID": "0.9.2342.19200300.100.1.1",
    "E": "1.2.840.113549.1.9.1",
    "EMAIL": "1.2.840.113549.1.9.1",
    "EMAILADDRESS": "1.2.840.113549.1.9.1",
    "SERIALNUMBER": "2.5.4.5",
    "T": "2.5.4.12",
    "TITLE": "2.5.4.12",
    "GN": "2.5.4.42",
    "GIVENNAME": "2.5.4.42",
    "SN": "2.5.4.4",
    "SURNAME": "2.5.4.4",
    "POSTALCODE": "2.5.4.17",
    "UNSTRUCTUREDNAME": "1.2.840.113549.1.9.2",
    "UNSTRUCTUREDADDRESS": "1.2.840.113549.1.9.8",
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


_COUNTRY, _COMMON_NAME = "2.5.4.6", "2.5.4.3"


def _attribute(ava: str, dn: str) -> tuple[str, str]:
    """One ``name=value`` of ``dn``: its dotted OID and unescaped value (ConfigError names the bad part)."""
    name, eq, value = ava.partition("=")
    name = name.strip()
    if not eq:
        raise ConfigError(f"invalid subject-name {dn!r}: {ava.strip()!r} has no '='", _HINT)
    if not name:
        raise ConfigError(f"invalid subject-name {dn!r}: {ava.strip()!r} has no attribute name", _HINT)
    dotted = DN_ATTRIBUTES.get(name.upper())
    if dotted is None:
        arcs = name.split(".")
        # A dotted OID as X.660 allows it: first arc 0-2, second below 40 under 0 and 1.
        if (len(arcs) < 2 or not all(a.isdigit() for a in arcs) or int(arcs[0]) > 2
                or (int(arcs[0]) < 2 and int(arcs[1]) >= 40)):
            known = ", ".join(k for k in DN_ATTRIBUTES if len(k) <= 2)
            raise ConfigError(
                f"invalid subject-name {dn!r}: unknown attribute {name!r}",
                f"Known attributes: {known}, SERIALNUMBER, UNSTRUCTUREDNAME ... or a dotted OID.",
            )
        dotted = ".".join(str(int(a)) for a in arcs)
    text = _unescape(value, dn)
    if not text:
        raise ConfigError(f"invalid subject-name {dn!r}: {name} has an empty value", _HINT)
    if dotted == _COUNTRY and (len(text) != 2 or not text.isalpha()):
        raise ConfigError(f"invalid subject-name {dn!r}: C={text!r} is not a two-letter country code", "Example: C=US")
    if dotted == _COMMON_NAME and len(text) > 64:
        raise ConfigError(f"invalid subject-name {dn!r}: CN is longer than 64 characters", "Shorten the common name.")
    return dotted, text


def _rdns(dn: str) -> list[list[tuple[str, str]]]:
    """The RDNs of ``dn`` as written (most specific first), each a list of (dotted OID, value);
    checked without building cryptography objects, so a store's check at load imports no x509."""
    if not dn.strip():
        raise ConfigError("invalid subject-name: it is empty", "Example: CN=r1.example.com,O=Example")
    rdns = []
    for rdn in _split(dn, ","):
        if not rdn.strip():
            raise ConfigError(f"invalid subject-name {dn!r}: empty component between commas", _HINT)
        attributes = [_attribute(ava, dn) for ava in _split(rdn, "+")]
        if len(set(attributes)) != len(attributes):
            raise ConfigError(f"invalid subject-name {dn!r}: {rdn.strip()!r}: duplicate attribute "
                              "(the same attribute and value twice in one RDN)", _HINT)
        rdns.append(attributes)
    return rdns


def parse_dn(dn: str) -> x509.Name:
    """The :class:`x509.Name` for ``dn``, or ConfigError naming the bad part.

    As in RFC 4514 (and cryptography's ``from_rfc4514_string``) the first RDN written is the
    most specific one, i.e. the last in the certificate's ASN.1 sequence.
    """
    from cryptography import x509
    from cryptography.x509.oid import ObjectIdentifier

    rdns = []
    for attributes in _rdns(dn):
        try:
            rdns.append(x509.RelativeDistinguishedName(
                [x509.NameAttribute(ObjectIdentifier(oid), text) for oid, text in attributes]))
        except ValueError as exc:  # what cryptography refuses beyond the checks above
            raise ConfigError(f"invalid subject-name {dn!r}: {exc}", _HINT) from None
    return x509.Name(list(reversed(rdns)))


def validate_dn(dn: str) -> str:
    """Return ``dn`` (surrounding blanks removed) if it is a valid subject name (the checks of
    :func:`parse_dn`, without importing cryptography)."""
    _rdns(dn)
    return dn.strip()


# -- printing: IOS's layout -------------------------------------------------------------------
# How IOS prints an attribute (``show crypto pki certificates``, ``show crypto pki trustpoints``):
# lower-case short names, ``hostname=`` for unstructuredName (what IOS puts in every request) and
# ``ipaddress=`` for unstructuredAddress; an attribute without a name prints as its dotted OID.
IOS_ATTRIBUTE_NAMES: dict[str, str] = {
    "2.5.4.3": "cn",
    "2.5.4.10": "o",
    "2.5.4.11": "ou",
    "2.5.4.7": "l",
    "2.5.4.8": "st",
    "2.5.4.6": "c",
    "2.5.4.9": "street",
    "0.9.2342.19200300.100.1.25": "dc",
    "0.9.2342.19200300.100.1.1": "uid",
    "1.2.840.113549.1.9.1": "e",
    "2.5.4.5": "serialNumber",
    "2.5.4.12": "title",
    "2.5.4.42": "gn",
    "2.5.4.4": "sn",
    "2.5.4.17": "postalcode",
    "1.2.840.113549.1.9.2": "hostname",
    "1.2.840.113549.1.9.8": "ipaddress",
}
UNSTRUCTURED_NAME, UNSTRUCTURED_ADDRESS, SERIAL_NUMBER = "1.2.840.113549.1.9.2", "1.2.840.113549.1.9.8", "2.5.4.5"



def _oid_text(content: bytes) -> str:
    """The dotted form of an OBJECT IDENTIFIER's content octets."""
    if not content:
        return "?"
    first = content[0]
    parts = [str(min(first // 40, 2)), str(first - 40 * min(first // 40, 2))]
    value = 0
    for byte in content[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(str(value))
            value = 0
    return ".".join(parts)


def _string_value(tag: int, content: bytes) -> str:
    """An attribute value (DirectoryString and friends) as text; other types as #hex."""
    if tag == 0x1E:  # BMPString
        return content.decode("utf-16-be", "replace")
    if tag == 0x1C:  # UniversalString
        return content.decode("utf-32-be", "replace")
    if tag in (0x0C, 0x13, 0x16, 0x1A):  # UTF8, Printable, IA5, Visible
        return content.decode("utf-8", "replace")
    if tag == 0x14:  # TeletexString: in practice Latin-1
        return content.decode("latin-1")
    return "#" + content.hex()


def _escape(value: str) -> str:
    """A value as printed in a one-line DN: the separators it contains escaped."""
    return "".join("\\" + c if c in ",+" else c for c in value)


def ios_dn_attributes(name: bytes | x509.Name | str) -> list[list[tuple[str, str]]]:
    """The RDNs of ``name`` in IOS's (and RFC 4514's) order, most specific first, each a list of
    (dotted OID, value). ``name`` is a Name's DER, a cryptography ``x509.Name`` or an RFC 4514
    string as cryptography writes it (what the store keeps for a CRL's issuer). The DER is read
    by shape (:mod:`pkitui.core.der`), so a show command needs no X.509 code for it."""
    from pkitui.core.der import DerShapeError, elements

    if isinstance(name, str):
        return _from_rfc4514(name)
    der = name if isinstance(name, bytes) else name.public_bytes()
    rdns: list[list[tuple[str, str]]] = []
    try:
        [(_tag, body)] = elements(der)
        for _set_tag, rdn in elements(body):
            avas = []
            for _seq_tag, ava in elements(rdn):
                (oid_tag, oid), (value_tag, value) = elements(ava)[:2]
                avas.append((_oid_text(oid), _string_value(value_tag, value)))
            rdns.append(avas)
    except (DerShapeError, ValueError):
        return [[("", "#" + der.hex())]]
    return list(reversed(rdns))


def _from_rfc4514(text: str) -> list[list[tuple[str, str]]]:
    """The RDNs of an RFC 4514 string (cryptography's ``rfc4514_string()``), written order kept."""
    from pkitui.core.der import DerShapeError, elements

    rdns = []
    for rdn in _split(text, ","):
        avas = []
        for ava in _split(rdn, "+"):
            key, _eq, raw = ava.partition("=")
            key = key.strip()
            oid = DN_ATTRIBUTES.get(key.upper(), key)  # cryptography writes unnamed OIDs dotted
            raw = raw.strip()
            value = raw
            if raw.startswith("#"):  # a value cryptography wrote as DER in hex (an unnamed OID)
                try:
                    [(tag, content)] = elements(bytes.fromhex(raw[1:]))
                    value = _string_value(tag, content)
                except (ValueError, DerShapeError):
                    value = raw
            else:
                try:
                    value = _unescape(raw, text)
                except ConfigError:
                    value = raw
            avas.append((oid, value))
        rdns.append(avas)
    return rdns


def ios_attribute(oid: str, value: str) -> str:
    """One attribute as IOS prints it: ``cn=r1.example.com``, ``hostname=r1.example.com``."""
    return f"{IOS_ATTRIBUTE_NAMES.get(oid, oid)}={value}"


def ios_dn_parts(name: bytes | x509.Name | str) -> list[str]:
    """``name`` as IOS prints it one RDN to a line: ``["cn=r1.example.com", "o=Example", "c=US"]``."""
    return ["+".join(ios_attribute(oid, _escape(v)) for oid, v in rdn) for rdn in ios_dn_attributes(name)]


def ios_dn(name: bytes | x509.Name | str) -> str:
    """``name`` on one line in IOS's layout, the one every front end prints:
    ``cn=r1.example.com,o=Example,c=US`` (DER, ``x509.Name`` or an RFC 4514 string)."""
    return ",".join(ios_dn_parts(name))


def certificate_names(der: bytes) -> tuple[bytes, bytes]:
    """(issuer, subject) Name DER of certificate ``der``, read by shape (no X.509 code)."""
    from pkitui.core.der import sequence, tbs_fields

    tbs = tbs_fields(der)
    return sequence(tbs[2]), sequence(tbs[4])

