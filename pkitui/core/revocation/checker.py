"""``pki.revocation``: the ``revocation-check`` methods of a trustpoint, in order (CRL, OCSP,
none), for a certificate against its own issuer; CRLs held and requested.

The CRLs themselves are held by :class:`~pkitui.core.revocation.crl_store.CrlStore` and fetched
by :class:`~pkitui.core.revocation.sources.CrlFetcher`; OCSP is :mod:`pkitui.core.revocation.ocsp`.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography import x509

from pkitui.core.certfields import ocsp_urls
from pkitui.core.clock import Clock
from pkitui.core.deadline import with_trustpoint_deadline
from pkitui.core.errors import RevocationError
from pkitui.core.revocation.check import MethodResult, MethodStatus, RevocationOutcome, run_methods
from pkitui.core.revocation.crl import ParsedCrl
from pkitui.core.revocation.crl_index import CrlIndex
from pkitui.core.revocation.crl_info import CrlInfo, CrlLocation
from pkitui.core.revocation.crl_store import CrlStore
from pkitui.core.revocation.sources import CrlFetcher, same_certificate
from pkitui.core.trustpoints import Trustpoint


class RevocationService:
    """CRLs and revocation checks for the trustpoints of one configuration."""

    def __init__(self, crls: CrlStore, fetcher: CrlFetcher, trustpoint: Callable[[str], Trustpoint],
                 ca_certificate: Callable[[str], x509.Certificate], clock: Clock) -> None:
        self.store = crls
        self._crls = crls
        self._fetcher = fetcher
        self._trustpoint = trustpoint
        self._ca_certificate = ca_certificate
        self._clock = clock

    # -- held CRLs ------------------------------------------------------------------------------
    def crls(self, tp: str | None = None) -> list[CrlInfo]:
        """Every CRL held (for trustpoint ``tp``), NVRAM, cache and memory alike."""
        return self._crls.crls(tp)

    def open_crl(self, info: CrlInfo) -> CrlIndex:
        """The entry index of a held CRL (len, row(i), find(serial)) for the viewer."""
        return self._crls.open_crl(info)

    def crl_sources(self, tp: str) -> list[str]:
        """Where ``crypto pki crl request TP`` fetches from, in order (the CDPs of its own
        certificates, ``crl query``, SCEP GetCRL); nothing is fetched."""
        return [source.name for source in self._fetcher.sources(self._trustpoint(tp), None)]

    @with_trustpoint_deadline
    def request_crl(self, tp: str) -> CrlInfo:
        """``crypto pki crl request TP``: download the newest CRL now, replacing the one held."""
        return self._fetcher.fetch(self._trustpoint(tp), None, None)[0]

    @with_trustpoint_deadline
    def crl_for(self, tp: str, cert: x509.Certificate,
                issuer: x509.Certificate | None = None) -> tuple[CrlInfo, ParsedCrl]:
        """A fresh CRL covering ``cert``, signed by ``issuer`` (the CA that issued ``cert``; default
        the trustpoint's CA): a held one before its nextUpdate, else downloaded now."""
        trustpoint = self._trustpoint(tp)
        signer = issuer or self._ca_certificate(tp)
        return self._crls.held_for(tp, cert, signer) or self._fetcher.fetch(trustpoint, cert, issuer)

    # -- checks ---------------------------------------------------------------------------------
    def _crl_method(self, tp: str, cert: x509.Certificate, issuer: x509.Certificate | None = None) -> MethodResult:
        info, parsed = self.crl_for(tp, cert, issuer)
        row = parsed.index.lookup(cert.serial_number)
        if row is None:
            where = {CrlLocation.CACHE: "; kept in the cache outside NVRAM",
                     CrlLocation.MEMORY: "; held in memory (query mode)"}
            return MethodResult("crl", MethodStatus.GOOD, f"not on the CRL from {info.source} (this update "
                                f"{info.this_update:%Y-%m-%d %H:%M} UTC, {info.entries:,} entries"
                                f"{where.get(info.location, '')})")
        why = f", reason {row.reason}" if row.reason else ""
        return MethodResult("crl", MethodStatus.REVOKED, f"revoked on {row.revocation_date:%Y-%m-%d %H:%M:%S} UTC{why} "
                            f"(CRL from {info.source})", row.revocation_date, row.reason)

    def _ocsp_method(self, tp: Trustpoint, cert: x509.Certificate, issuer: x509.Certificate) -> MethodResult:
        from pkitui.core.revocation import ocsp

        urls = [tp.ocsp_url] if tp.ocsp_url else ocsp_urls(cert)
        if not urls:
            return MethodResult("ocsp", MethodStatus.FAILED,
                                "no OCSP URL (configure ocsp url, or the certificate has no AIA)")
        errors = []
        for url in urls:
            try:
                answer = ocsp.query(url, cert, issuer, now=self._clock.now(), nonce=not tp.ocsp_disable_nonce)
            except RevocationError as exc:
                errors.append(exc.message)
                continue
            if answer.status == "revoked":
                why = f", reason {answer.reason}" if answer.reason else ""
                when = answer.revocation_time
                return MethodResult("ocsp", MethodStatus.REVOKED,
                                    f"revoked on {when:%Y-%m-%d %H:%M:%S} UTC{why} (OCSP {url})",
                                    when, answer.reason)
            if answer.status == "good":
                return MethodResult("ocsp", MethodStatus.GOOD, f"good (OCSP {url})")
            errors.append(f"{url} does not know the certificate (unknown)")
        status = MethodStatus.UNKNOWN if any("unknown" in e for e in errors) else MethodStatus.FAILED
        return MethodResult("ocsp", status, "; ".join(errors))

    def note_path(self, tp: str, chain: list[x509.Certificate]) -> None:
        """Remember the intermediate CAs of ``chain`` (peer first, ``tp``'s CA last), a path just
        verified: their CRLs can then be verified again later (after a restart too)."""
        self._crls.note_path(tp, chain)

    @with_trustpoint_deadline
    def check(self, tp: str, cert: x509.Certificate, issuer: x509.Certificate) -> RevocationOutcome:
        """Run ``tp``'s revocation-check methods in order for ``cert`` issued by ``issuer`` (the
        trustpoint CA or, along a verified path to it, an intermediate CA): the CRL must be signed by
        ``issuer`` and the OCSP CertID names ``issuer``."""
        trustpoint = self._trustpoint(tp)
        if not same_certificate(issuer, self._ca_certificate(tp)):
            self._crls.remember_issuer(tp, issuer)
        runners = {"crl": lambda: self._crl_method(tp, cert, issuer),
                   "ocsp": lambda: self._ocsp_method(trustpoint, cert, issuer)}
        return run_methods(list(trustpoint.revocation_check), runners)
