"""CRLs: parse the structure, verify the signature against the CA, and index the entries.

A 1,000,000-entry CRL is about 40 MB. cryptography re-encodes the TBSCertList to check the
signature (~270 ms), so the digest is taken here over the signed bytes as they arrived (a slice
of the DER, found with asn1crypto's parser) and cryptography verifies the signature over that
digest. Small fields (issuer, dates, extensions, algorithm) are decoded by asn1crypto from their
own slices; the entries are left to :class:`~pkitui.core.revocation.crl_index.CrlIndex`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from asn1crypto import algos, core
from asn1crypto import crl as acrl
from asn1crypto.parser import _parse
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from pkitui.core.errors import RevocationError
from pkitui.core.revocation.crl_index import CrlIndex

CLOCK_SKEW = timedelta(minutes=5)
# CRL extensions understood here. Any other critical one (a delta CRL's deltaCRLIndicator, ...)
# makes the CRL unusable (RFC 5280 §5.2): it is refused, never read as a complete CRL.
_KNOWN_EXTENSIONS = {"crl_number", "authority_key_identifier", "issuing_distribution_point"}
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha1": hashes.SHA1(), "sha224": hashes.SHA224(), "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(), "sha512": hashes.SHA512(),
}


def _tlv(buf: memoryview, pointer: int, limit: int) -> tuple[int, int, int]:
    """(first octet, contents start, contents end) of the TLV at ``pointer`` (asn1crypto's parser)."""
    try:
        start, end = _parse(buf, limit, pointer, lengths_only=True)
    except ValueError as exc:
        raise RevocationError(f"not a CRL: {exc}", "Check the CRL source returns DER or PEM CRLs.") from None
    return buf[pointer], start, end


def der_from_pem_or_der(data: bytes) -> bytes:
    """DER bytes of a CRL given as DER or PEM."""
    if data.lstrip()[:11] == b"-----BEGIN ":
        try:
            return x509.load_pem_x509_crl(data).public_bytes(_der_encoding())
        except ValueError as exc:
            raise RevocationError(f"not a PEM CRL: {exc}") from None
    return data


def _der_encoding() -> serialization.Encoding:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


@dataclass(frozen=True)
class CrlScope:
    """What an issuingDistributionPoint limits a CRL to (RFC 5280 §5.2.5)."""

    uris: tuple[str, ...] = ()  # the distribution point's URIs (a partitioned CRL)
    named: bool = False  # a distribution point name is present (URIs or not)
    only_user_certs: bool = False
    only_ca_certs: bool = False
    only_attribute_certs: bool = False
    only_some_reasons: bool = False
    indirect: bool = False
    names: tuple[str, ...] = ()  # every name of the distribution point, as text (URIs and others)

    def key(self) -> str:
        """The partition as text, for a held CRL's identity (``CrlRecord.scope``)."""
        flags = [flag for flag, on in (("user", self.only_user_certs), ("ca", self.only_ca_certs),
                                       ("attribute", self.only_attribute_certs),
                                       ("reasons", self.only_some_reasons), ("indirect", self.indirect)) if on]
        return "idp:" + " ".join(sorted(self.names)) + "".join(f";{f}" for f in flags)


def scope_key(scope: CrlScope | None) -> str:
    """``CrlRecord.scope`` of a CRL: "" for a complete CRL of its issuer, else its partition."""
    return "" if scope is None else scope.key()


def _scope(idp: acrl.IssuingDistributionPoint) -> CrlScope:
    point = idp["distribution_point"]
    uris: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    if point.name == "full_name":
        uris = tuple(str(n.native) for n in point.chosen if n.name == "uniform_resource_identifier")
        names = tuple(f"{n.name}={n.native}" for n in point.chosen)
    elif point.native is not None:
        names = (f"{point.name}={point.chosen.native}",)
    return CrlScope(uris=uris, named=point.native is not None, names=names,
                    only_user_certs=bool(idp["only_contains_user_certs"].native),
                    only_ca_certs=bool(idp["only_contains_ca_certs"].native),
                    only_attribute_certs=bool(idp["only_contains_attribute_certs"].native),
                    only_some_reasons=idp["only_some_reasons"].native is not None,
                    indirect=bool(idp["indirect_crl"].native))


def _cert_cdp_uris(cert: x509.Certificate) -> set[str]:
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return set()
    return {n.value for dp in points for n in (dp.full_name or []) if isinstance(n, x509.UniformResourceIdentifier)}


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


@dataclass
class ParsedCrl:
    """A CRL's header fields and the location of its parts inside ``der``."""

    der: bytes = field(repr=False)
    issuer_der: bytes
    this_update: datetime
    next_update: datetime | None
    crl_number: int | None
    authority_key_id: bytes | None
    tbs: tuple[int, int]
    region: tuple[int, int]
    signature_algorithm: algos.SignedDigestAlgorithm = field(repr=False)
    signature: bytes = field(repr=False)
    _index: CrlIndex | None = field(default=None, repr=False)
    issuer_name: str | None = None
    scope: CrlScope | None = None
    unknown_critical: tuple[str, ...] = ()

    def covers(self, cert: x509.Certificate) -> bool:
        """Whether ``cert`` is in this CRL's scope (RFC 5280 §6.3.3 b): always for a complete
        CRL; for a partitioned one only when the certificate's CRL distribution point names it."""
        scope = self.scope
        if scope is None:
            return True
        if scope.only_attribute_certs or (scope.only_ca_certs and not _is_ca(cert)) \
                or (scope.only_user_certs and _is_ca(cert)):
            return False
        return not scope.named or bool(set(scope.uris) & _cert_cdp_uris(cert))

    @property
    def issuer(self) -> str:
        """The issuer's name: RFC 4514 once verified against the CA (as certificates show it),
        else asn1crypto's human-friendly form."""
        return self.issuer_name or str(acrl.Name.load(self.issuer_der).human_friendly)

    @property
    def sha256(self) -> str:
        """SHA-256 of the DER, upper hex (names the file the CRL is stored in)."""
        return hashlib.sha256(self.der).hexdigest().upper()

    def expired(self, now: datetime | None = None) -> bool:
        """True once nextUpdate has passed (a CRL without nextUpdate never expires)."""
        now = now or datetime.now(timezone.utc)
        return self.next_update is not None and now >= self.next_update

    @property
    def index(self) -> CrlIndex:
        """The entry index (built lazily, shared by checks and the viewer)."""
        if self._index is None:
            self._index = CrlIndex(self.der, *self.region)
        return self._index


def parse_crl(data: bytes) -> ParsedCrl:
    """Parse a DER (or PEM) CRL's structure; the entries are not decoded here."""
    der = der_from_pem_or_der(bytes(data))
    buf = memoryview(der)
    total = len(der)
    tag, outer_start, outer_end = _tlv(buf, 0, total)
    if tag != 0x30 or outer_end != total:
        raise RevocationError("not a CRL: the data is not one DER SEQUENCE", "Check the CRL source.")
    tag, tbs_start, tbs_end = _tlv(buf, outer_start, outer_end)
    tbs_header = outer_start
    children: list[tuple[int, int, int, int]] = []
    p = tbs_start
    while p < tbs_end:
        tag, s, e = _tlv(buf, p, tbs_end)
        children.append((tag, p, s, e))
        p = e
    if children and children[0][0] == 0x02:
        children = children[1:]
    if len(children) < 3 or children[0][0] != 0x30 or children[1][0] != 0x30:
        raise RevocationError("not a CRL: the TBSCertList is incomplete")
    inner_alg = der[children[0][1] : children[0][3]]
    issuer_der = der[children[1][1] : children[1][3]]
    times = [c for c in children[2:] if c[0] in (0x17, 0x18)]
    region = (tbs_end, tbs_end)
    crl_number = authority_key_id = scope = None
    unknown_critical: list[str] = []
    for tag, _p, s, e in children[2 + len(times) :]:
        if tag == 0x30:
            region = (s, e)
        elif tag == 0xA0:
            for ext in acrl.TBSCertListExtensions.load(der[s:e]):
                name = ext["extn_id"].native
                if name == "crl_number":
                    crl_number = int(ext["extn_value"].parsed.native)
                elif name == "authority_key_identifier":
                    authority_key_id = ext["extn_value"].parsed["key_identifier"].native
                elif name == "issuing_distribution_point":
                    scope = _scope(ext["extn_value"].parsed)
                if ext["critical"].native and name not in _KNOWN_EXTENSIONS:
                    unknown_critical.append(str(name))
    _, sa, sb = _tlv(buf, tbs_end, outer_end)
    alg_der = der[tbs_end:sb]
    sig_tag, sig_start, sig_end = _tlv(buf, sb, outer_end)
    if alg_der != inner_alg or sig_tag != 0x03:
        raise RevocationError("the CRL's two signature algorithm fields differ", "The CRL is malformed; refuse it.")
    try:
        this_update = acrl.Time.load(der[times[0][1] : times[0][3]]).native
        next_update = acrl.Time.load(der[times[1][1] : times[1][3]]).native if len(times) > 1 else None
        signature = core.OctetBitString.load(der[sb:sig_end]).native
        alg = algos.SignedDigestAlgorithm.load(alg_der)
    except (ValueError, IndexError) as exc:
        raise RevocationError(f"the CRL's header cannot be decoded: {exc}") from None
    return ParsedCrl(der=der, issuer_der=issuer_der, this_update=this_update, next_update=next_update,
                     crl_number=crl_number, authority_key_id=authority_key_id, tbs=(tbs_header, tbs_end),
                     region=region, signature_algorithm=alg, signature=signature, scope=scope,
                     unknown_critical=tuple(unknown_critical))


def verify_crl(crl: ParsedCrl, ca: x509.Certificate, now: datetime | None = None) -> None:
    """Check that ``ca`` issued and signed ``crl``; raise RevocationError naming the failed check."""
    if crl.issuer_der != ca.subject.public_bytes():
        if acrl.Name.load(crl.issuer_der) != acrl.Name.load(ca.subject.public_bytes()):
            raise RevocationError(f"CRL issuer {crl.issuer!r} is not the CA {ca.subject.rfc4514_string()!r}",
                                  "The CRL source returned a CRL of another CA; check crl query / the CDP.")
    try:
        usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.crl_sign:
            raise RevocationError("the CA certificate does not allow CRL signing (keyUsage lacks cRLSign)")
    except x509.ExtensionNotFound:
        pass
    if crl.unknown_critical:
        what = "a delta CRL" if "delta_crl_indicator" in crl.unknown_critical else \
            f"a CRL with critical extension(s) {', '.join(crl.unknown_critical)} that pkitui does not understand"
        raise RevocationError(f"the CRL from {crl.issuer!r} is {what}; refused (it is not a complete CRL)",
                              "Point the CRL source at the CA's complete CRL.")
    if crl.scope is not None and (crl.scope.indirect or crl.scope.only_some_reasons):
        raise RevocationError(f"the CRL from {crl.issuer!r} is an indirect or reason-partitioned CRL; refused",
                              "Point the CRL source at the CA's complete CRL.")
    if crl.this_update > (now or datetime.now(timezone.utc)) + CLOCK_SKEW:
        raise RevocationError(f"the CRL from {crl.issuer!r} is dated "
                              f"{crl.this_update:%Y-%m-%d %H:%M} UTC, in the future",
                              "Check this host's clock (and the CA's).")
    key = ca.public_key()
    start, end = crl.tbs
    alg = crl.signature_algorithm
    try:
        sig_name = alg.signature_algo
        hash_name = alg.hash_algo
    except ValueError:
        sig_name, hash_name = "", ""
    chosen = _HASHES.get(hash_name)
    try:
        if chosen is None or sig_name not in ("rsassa_pkcs1v15", "ecdsa"):
            # PSS, EdDSA ...: let cryptography handle the whole CRL (re-encodes; slower but exact).
            if not x509.load_der_x509_crl(crl.der).is_signature_valid(key):  # type: ignore[arg-type]
                raise InvalidSignature()
            crl.issuer_name = ca.subject.rfc4514_string()
            return
        digest = hashlib.new(hash_name, memoryview(crl.der)[start:end]).digest()
        if sig_name == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(crl.signature, digest, padding.PKCS1v15(), Prehashed(chosen))
        elif sig_name == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(crl.signature, digest, ec.ECDSA(Prehashed(chosen)))
        else:
            raise InvalidSignature()
    except (InvalidSignature, ValueError, TypeError):
        raise RevocationError(
            f"CRL signature check failed: the CRL from {crl.issuer!r} was not signed by the CA's key",
            "The CRL was refused. Check that the CRL source belongs to this trustpoint's CA.",
        ) from None
    crl.issuer_name = ca.subject.rfc4514_string()
