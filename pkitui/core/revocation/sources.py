"""Where CRLs come from, and fetching them: the certificate's HTTP (or LDAP) CRL distribution
points, then ``crl query`` (``ldap://...``, or ``http://...``: our addition), then the SCEP CA
(GetCRL, when no RA is used, as the seed says) only when there is neither a usable distribution
point nor a ``crl query``.

Every CRL is verified before use against the CA that issued the certificate being checked. Along
a chain (trustpoint CA -> intermediate CA -> peer) an intermediate's CRL comes from the peer
certificate's CRL distribution points only (SCEP GetCRL and ``crl query`` serve the trustpoint
CA's CRL) and must be signed by the intermediate's key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pkitui.core import net
from pkitui.core.deadline import deadline_for
from pkitui.core.certfields import crl_distribution_points
from pkitui.core.config import RunningConfig
from pkitui.core.errors import PkiError, RevocationError
from pkitui.core.records import CertRole, StoredCertificate
from pkitui.core.revocation.crl import ParsedCrl, parse_crl
from pkitui.core.revocation.crl_info import CrlInfo, CrlVia
from pkitui.core.revocation.crl_store import CrlStore
from pkitui.core.trustpoints import Trustpoint

HTTP_TIMEOUT: float | None = None  # None: deadline_for() (the run's --timeout, the trustpoint's, or 30 s)
MAX_CRL_BYTES = net.CRL_BYTES


def http_get(url: str, timeout: float | None = HTTP_TIMEOUT, via: CrlVia = CrlVia.CDP) -> bytes:
    """GET ``url`` (a CRL distribution point, or with ``via`` a ``crl query`` URL: messages name it
    as what it is) under one deadline (``timeout``, default :func:`deadline_for`); the body streamed
    to a temporary file and refused past MAX_CRL_BYTES (as sent and as decoded), redirects on the
    same host only; RevocationError when it fails."""
    op = net.Operation("CRL download", f"the {via.label}", RevocationError)
    reply = net.fetch(op, url, seconds=timeout or deadline_for(), max_bytes=MAX_CRL_BYTES, to_file=True)
    if reply.status != 200 or reply.file is None:
        raise RevocationError(f"{via.label} {url} answered HTTP {reply.status}")  # "crl query" stays lower case
    with reply.file:
        return reply.file.read()


def ldap_crls(url: str) -> list[bytes]:
    from pkitui.core.revocation import ldap

    return [der for _, der in ldap.fetch_crls(url)]


def _with_server(cdp: str, crl_query: str | None) -> str | None:
    """An LDAP CDP with its server: as given, or on the ``crl query`` server when it names none."""
    parts = urlsplit(cdp)
    if parts.hostname:
        return cdp
    if not crl_query:
        return None
    server = urlsplit(crl_query)
    return urlunsplit((server.scheme, server.netloc, parts.path, parts.query, ""))


def same_certificate(a: x509.Certificate, b: x509.Certificate) -> bool:
    """True when ``a`` and ``b`` are the same certificate."""
    return a.public_bytes(Encoding.DER) == b.public_bytes(Encoding.DER)



class CrlSource(NamedTuple):
    """One place a CRL may come from: its URL (``scep URL`` for GetCRL), what it is, the download."""

    name: str
    via: CrlVia
    fetch: Callable[[], list[bytes]]


class CrlFetcher:
    """Download a trustpoint's CRLs from their sources and hold them in a :class:`CrlStore`."""

    def __init__(self, config: RunningConfig, crls: CrlStore, ca_certificate: Callable[[str], x509.Certificate],
                 der_of: Callable[[StoredCertificate], bytes | None], get_crl: Callable[[Trustpoint], bytes]) -> None:
        """``der_of`` gives a held certificate's DER (whose CRL distribution points are read);
        ``get_crl`` is SCEP GetCRL."""
        self._config = config
        self._crls = crls
        self._ca_certificate = ca_certificate
        self._der_of = der_of
        self._get_crl = get_crl
        self.http_get: Callable[[str, CrlVia], bytes] = lambda url, via: http_get(url, via=via)

    def sources(self, tp: Trustpoint, cert: x509.Certificate | None,
                 issuer_is_ca: bool = True) -> list[CrlSource]:
        """Where a CRL may come from, in IOS's order: the certificate's CRL distribution points
        (for ``crypto pki crl request``, those of the trustpoint's own certificates), then
        ``crl query``, then SCEP GetCRL only when neither gave a source. GetCRL and ``crl query``
        give the trustpoint CA's CRL, so they are used only when the certificate checked was issued
        by the trustpoint CA."""
        sources: list[CrlSource] = []
        certs = [cert] if cert is not None else self._own_certificates(tp.name)
        for url in dict.fromkeys(u for c in certs for u in crl_distribution_points(c)):
            if url.lower().startswith(("http://", "https://")):
                sources.append(CrlSource(url, CrlVia.CDP, functools.partial(self._http_crls, url, CrlVia.CDP)))
            elif url.lower().startswith(("ldap://", "ldaps://")):
                # A CDP naming only the DN (ldap:///cn=CA,...) is read from the crl query server.
                full = _with_server(url, tp.crl_query)
                if full:
                    sources.append(CrlSource(full, CrlVia.CDP, functools.partial(ldap_crls, full)))
        if issuer_is_ca and tp.crl_query and all(tp.crl_query != s.name for s in sources):
            sources.append(CrlSource(tp.crl_query, CrlVia.CRL_QUERY, self._crl_query_fetch(tp.crl_query)))
        if not sources and issuer_is_ca and tp.enrollment_url and not tp.enrollment_mode_ra:
            get_crl = self._get_crl
            sources.append(CrlSource(f"scep {tp.enrollment_url}", CrlVia.SCEP, lambda: [get_crl(tp)]))
        return sources

    def _crl_query_fetch(self, url: str) -> Callable[[], list[bytes]]:
        """``crl query``: an LDAP search (IOS), or an HTTP(S) GET (our addition) through the same
        bounded download as an HTTP distribution point."""
        if url.lower().startswith(("http://", "https://")):
            return functools.partial(self._http_crls, url, CrlVia.CRL_QUERY)
        return functools.partial(ldap_crls, url)

    def _http_crls(self, url: str, via: CrlVia) -> list[bytes]:
        return [self.http_get(url, via)]

    def _own_certificates(self, tp: str) -> list[x509.Certificate]:
        return [x509.load_der_x509_certificate(d) for r in self._config.certificates
                if r.trustpoint == tp and r.role in (CertRole.DEVICE, CertRole.IMPORTED)
                and (d := self._der_of(r)) is not None]

    def fetch(self, tp: Trustpoint, cert: x509.Certificate | None,
               issuer: x509.Certificate | None = None) -> tuple[CrlInfo, ParsedCrl]:
        """Download from the first source that gives a CRL verified against ``issuer`` (the CA that
        issued ``cert``; default the trustpoint's CA)."""
        ca = self._ca_certificate(tp.name)
        issuer_is_ca = issuer is None or same_certificate(issuer, ca)
        signer = ca if issuer is None else issuer
        errors: list[str] = []
        sources = self.sources(tp, cert, issuer_is_ca)
        if not sources and not issuer_is_ca:
            raise RevocationError(f"No CRL source for the intermediate CA {signer.subject.rfc4514_string()}: "
                                  "the certificate it issued has no CRL distribution point",
                                  "SCEP GetCRL and crl query give only the trustpoint CA's CRL; use OCSP "
                                  "(revocation-check ocsp) or certificates with a CRL distribution point.")
        if not sources:
            raise RevocationError(f"No CRL source for trustpoint {tp.name}",
                                  "Configure enrollment url (SCEP GetCRL), crl query ldap://... or http://..., "
                                  "or use certificates with a CRL distribution point.")
        for source, via, fetch in sources:
            try:
                blobs = fetch()
            except PkiError as exc:
                errors.append(f"{source}: {exc.message}")
                continue
            for der in blobs:
                try:
                    parsed = parse_crl(der)
                    self._crls.verify(parsed, signer)
                except RevocationError as exc:
                    errors.append(f"{source}: {exc.message}")
                    continue
                if cert is not None and not parsed.covers(cert):
                    errors.append(f"{source}: the CRL's issuing distribution point does not cover this certificate")
                    continue
                return self._crls.keep(tp.name, source, parsed, signer, via=via)
        raise RevocationError(f"No CRL could be obtained for trustpoint {tp.name}: " + "; ".join(errors),
                              "Check that the CRL sources are reachable and publish this CA's CRL.")
