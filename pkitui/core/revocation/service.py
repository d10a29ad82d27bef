"""``pki.revocation``: CRLs held per trustpoint, fetched from SCEP, HTTP or LDAP; checks.

CRL sources, in IOS's order: the certificate's HTTP (or LDAP) CRL distribution points, then
``crl query ldap://...``, then the SCEP CA (GetCRL, when no RA is used, as the seed says) only when
there is neither a usable distribution point nor a ``crl query``. Every CRL is
verified before use against the CA that issued the certificate being checked, and reused until its
nextUpdate. Along a chain (trustpoint CA -> intermediate CA -> peer) each certificate is checked
against its own issuer: an intermediate's CRL comes from the peer certificate's CRL distribution
points only (SCEP GetCRL and ``crl query`` serve the trustpoint CA's CRL) and must be signed by the
intermediate's key.

One CRL is held per trustpoint, issuer and scope (the partition named by its Issuing Distribution
Point, else the whole issuer; ``CrlRecord.key``), whatever URL it came from: a newer CRL (higher
CRL number, else later thisUpdate) replaces the held one, an older or equal one never does. The
file is named by the CRL's SHA-256, so trustpoints of one CA share it, and a newer CRL fetched for
one of them replaces the older one held for the others (same issuer key).

Storage: a CRL that fits in the NVRAM left goes to ``store.crl_dir`` (counted in the budget);
a larger one goes to ``store.cache_dir`` (outside the budget, like a router's RAM) and the user
is told; in query mode CRLs are held in memory only.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pkitui.core import net
from pkitui.core.clock import SYSTEM_CLOCK, Clock
from pkitui.core.certs import crl_distribution_points, ocsp_urls
from pkitui.core.errors import PkiError, RevocationError
from pkitui.core.records import CrlRecord
from pkitui.core.revocation.check import MethodResult, RevocationOutcome, run_methods
from pkitui.core.revocation.crl import ParsedCrl, parse_crl, scope_key, verify_crl
from pkitui.core.revocation.crl_index import CrlIndex
from pkitui.core.revocation.issuers import IssuerCache
from pkitui.core.store import atomic_write

if TYPE_CHECKING:
    from pkitui.core.pki import Pki
    from pkitui.core.scep.ca import CaCandidate
    from pkitui.core.trustpoints import Trustpoint

HTTP_TIMEOUT: float | None = None  # None: net.deadline_for() (the run's --timeout, the trustpoint's, or 30 s)
MAX_CRL_BYTES = net.CRL_BYTES


@dataclass
class CrlInfo:
    """A CRL held for a trustpoint, as ``show crypto pki crls`` prints it."""

    trustpoint: str
    issuer: str
    source: str
    this_update: datetime
    next_update: datetime | None
    entries: int
    size: int
    sha256: str
    crl_number: int | None
    location: str  # "nvram" | "cache" | "memory"
    notes: list[str] = field(default_factory=list)
    clock: Clock = field(default=SYSTEM_CLOCK, repr=False, compare=False)

    @property
    def expired(self) -> bool:
        """True once nextUpdate has passed (a new CRL is downloaded before the next check)."""
        return self.next_update is not None and self.clock.now() >= self.next_update

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"trustpoint": self.trustpoint, "issuer": self.issuer, "source": self.source,
                "this_update": self.this_update.isoformat(),
                "next_update": self.next_update.isoformat() if self.next_update else None,
                "entries": self.entries, "size": self.size, "sha256": self.sha256, "crl_number": self.crl_number,
                "location": self.location, "expired": self.expired, "notes": self.notes}


def http_get(url: str, timeout: float | None = HTTP_TIMEOUT) -> bytes:
    """GET ``url`` (a CRL distribution point) under one deadline (``timeout``, default
    :func:`net.deadline_for`); the body streamed to a temporary file and refused past MAX_CRL_BYTES
    (as sent and as decoded), redirects on the same host only; RevocationError when it fails."""
    op = net.Operation("CRL download", "the CRL distribution point", RevocationError, percent=False)
    reply = net.fetch(op, url, seconds=timeout or net.deadline_for(), max_bytes=MAX_CRL_BYTES, to_file=True)
    if reply.status != 200 or reply.file is None:
        raise RevocationError(f"CRL distribution point {url} answered HTTP {reply.status}")
    with reply.file:
        return reply.file.read()


def _ldap_crls(url: str) -> list[bytes]:
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


def _same(a: x509.Certificate, b: x509.Certificate) -> bool:
    """True when ``a`` and ``b`` are the same certificate."""
    return a.public_bytes(Encoding.DER) == b.public_bytes(Encoding.DER)


def _key_id(ca: x509.Certificate) -> str:
    """``CrlRecord.issuer_key``: SHA-256 of the CA's SubjectPublicKeyInfo, upper hex."""
    spki = ca.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest().upper()


def _file_holds(path: Path, rec: CrlRecord) -> bool:
    """True when ``path`` holds the CRL of ``rec``: files are named after their content and
    written atomically, so one of the right size is that CRL (no need to hash up to 256 MiB)."""
    try:
        return path.stat().st_size == rec.size
    except OSError:
        return False


class RevocationService:
    """CRLs and revocation checks for the trustpoints of one :class:`Pki`."""

    def __init__(self, pki: Pki) -> None:
        self._pki = pki
        self._parsed: dict[str, ParsedCrl] = {}  # by SHA-256 of the DER
        self._verified: dict[str, bytes] = {}  # SHA-256 of a CRL -> the issuer key (SPKI DER) it was verified with
        self._issuers = IssuerCache(lambda: pki.store.cache_dir, lambda: not pki.config.query_mode,
                                    pki.clock.now)
        self._memory: dict[str, tuple[CrlRecord, CrlInfo]] = {}  # query mode: by CrlRecord.key()
        self.http_get: Callable[[str], bytes] = http_get

    # -- held CRLs -----------------------------------------------------------------------------
    def _path(self, rec: CrlRecord) -> Path:
        store = self._pki.store
        return (store.crl_dir if rec.in_nvram else store.cache_dir) / rec.file

    def _info(self, rec: CrlRecord) -> CrlInfo:
        return CrlInfo(trustpoint=rec.trustpoint, issuer=rec.issuer, source=rec.source,
                       this_update=datetime.fromisoformat(rec.this_update),
                       next_update=datetime.fromisoformat(rec.next_update) if rec.next_update else None,
                       entries=rec.entries, size=rec.size, sha256=rec.sha256, crl_number=rec.crl_number,
                       location="nvram" if rec.in_nvram else "cache", clock=self._pki.clock)

    def crls(self, tp: str | None = None) -> list[CrlInfo]:
        """Every CRL held (for trustpoint ``tp``), NVRAM, cache and memory alike."""
        if tp is not None:
            self._pki.trustpoints.get(tp)
        held = [self._info(r) for r in self._pki.config.crls if tp is None or r.trustpoint == tp]
        live = self._pki.config.trustpoints
        held += [i for r, i in self._memory.values()
                 if (tp is None or r.trustpoint == tp) and r.trustpoint in live]
        return held

    def _signer(self, tp: str, parsed: ParsedCrl) -> x509.Certificate:
        """The CA a held CRL must be verified with: the trustpoint CA, or an intermediate CA seen on a
        verified path to it in this process."""
        ca = self._pki.certificates.ca_certificate(tp)
        if parsed.issuer_der == ca.subject.public_bytes():
            return ca
        known = self._issuers.get(tp, parsed.issuer_der, ca)
        if known is None:
            raise RevocationError(f"% The CRL of {parsed.issuer} was issued by an intermediate CA whose certificate "
                                  "is not held", "It is verified again when a peer presents that CA's certificate "
                                  "(crypto pki verify with the chain).")
        return known

    def _verify(self, parsed: ParsedCrl, issuer: x509.Certificate) -> None:
        """verify_crl, remembered per issuer key (a CRL verified with another key is verified again)."""
        spki = issuer.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        if self._verified.get(parsed.sha256) == spki:
            parsed.issuer_name = parsed.issuer_name or issuer.subject.rfc4514_string()  # as verify_crl sets it
            return
        verify_crl(parsed, issuer, self._pki.clock.now())
        self._verified[parsed.sha256] = spki

    def _load(self, info: CrlInfo, issuer: x509.Certificate | None = None) -> ParsedCrl | None:
        """The parsed CRL behind ``info`` (None when its cache file is gone), verified with ``issuer``
        (default: the trustpoint CA, or the intermediate CA that issued it)."""
        parsed = self._parsed.get(info.sha256)
        if parsed is None:
            rec = next((r for r in self._pki.config.crls if r.sha256 == info.sha256), None)
            if rec is None:
                return None
            try:
                data = self._path(rec).read_bytes()
            except FileNotFoundError:
                return None
            if hashlib.sha256(data).hexdigest().upper() != rec.sha256:
                return None  # damaged or replaced on disk: fetched again, like a missing cache
            parsed = parse_crl(data)
        # Verified before use: a file lives outside the process, and a CRL held for one issuer key
        # proves nothing for another CA of the same name.
        self._verify(parsed, issuer or self._signer(info.trustpoint, parsed))
        self._parsed[info.sha256] = parsed
        return parsed

    def open_crl(self, info: CrlInfo) -> CrlIndex:
        """The entry index of a held CRL (len, row(i), find(serial)) for the viewer."""
        parsed = self._load(info)
        if parsed is None:
            raise RevocationError(f"% The CRL of {info.trustpoint} from {info.source} is no longer held "
                                  "(its cache was removed)", f"Fetch it again: crypto pki crl request {info.trustpoint}")
        return parsed.index

    # -- fetching ------------------------------------------------------------------------------
    def _sources(self, tp: Trustpoint, cert: x509.Certificate | None,
                 issuer_is_ca: bool = True) -> list[tuple[str, Callable[[], list[bytes]]]]:
        """Where a CRL may come from, in IOS's order: the certificate's CRL distribution points
        (for ``crypto pki crl request``, those of the trustpoint's own certificates), then
        ``crl query``, then SCEP GetCRL only when neither gave a source. GetCRL and ``crl query``
        give the trustpoint CA's CRL, so they are used only when the certificate checked was issued
        by the trustpoint CA."""
        sources: list[tuple[str, Callable[[], list[bytes]]]] = []
        certs = [cert] if cert is not None else self._own_certificates(tp.name)
        for url in dict.fromkeys(u for c in certs for u in crl_distribution_points(c)):
            if url.lower().startswith(("http://", "https://")):
                sources.append((url, functools.partial(self._http_crls, url)))
            elif url.lower().startswith(("ldap://", "ldaps://")):
                # A CDP naming only the DN (ldap:///cn=CA,...) is read from the crl query server.
                full = _with_server(url, tp.crl_query)
                if full:
                    sources.append((full, functools.partial(_ldap_crls, full)))
        if issuer_is_ca and tp.crl_query and all(tp.crl_query != name for name, _ in sources):
            sources.append((tp.crl_query, functools.partial(_ldap_crls, tp.crl_query)))
        scep = getattr(self._pki, "scep", None)
        if not sources and issuer_is_ca and tp.enrollment_url and not tp.enrollment_mode_ra and scep is not None:
            sources.append((f"scep {tp.enrollment_url}", lambda: [scep.get_crl(tp)]))
        return sources

    def _http_crls(self, url: str) -> list[bytes]:
        return [self.http_get(url)]

    def _own_certificates(self, tp: str) -> list[x509.Certificate]:
        certs = self._pki.certificates
        return [x509.load_der_x509_certificate(d) for r in self._pki.config.certificates
                if r.trustpoint == tp and r.role in ("device", "imported") and (d := certs.der_of(r)) is not None]

    def _fetch(self, tp: Trustpoint, cert: x509.Certificate | None,
               issuer: x509.Certificate | None = None) -> tuple[CrlInfo, ParsedCrl]:
        """Download from the first source that gives a CRL verified against ``issuer`` (the CA that
        issued ``cert``; default the trustpoint's CA)."""
        ca = self._pki.certificates.ca_certificate(tp.name)
        issuer_is_ca = issuer is None or _same(issuer, ca)
        signer = ca if issuer is None else issuer
        errors: list[str] = []
        sources = self._sources(tp, cert, issuer_is_ca)
        if not sources and not issuer_is_ca:
            raise RevocationError(f"% No CRL source for the intermediate CA {signer.subject.rfc4514_string()}: "
                                  "the certificate it issued has no CRL distribution point",
                                  "SCEP GetCRL and crl query give only the trustpoint CA's CRL; use OCSP "
                                  "(revocation-check ocsp) or certificates with a CRL distribution point.")
        if not sources:
            raise RevocationError(f"% No CRL source for trustpoint {tp.name}",
                                  "Configure enrollment url (SCEP GetCRL), crl query ldap://..., or use "
                                  "certificates with a CRL distribution point.")
        for source, fetch in sources:
            try:
                blobs = fetch()
            except PkiError as exc:
                errors.append(f"{source}: {exc.message}")
                continue
            for der in blobs:
                try:
                    parsed = parse_crl(der)
                    self._verify(parsed, signer)
                except RevocationError as exc:
                    errors.append(f"{source}: {exc.message}")
                    continue
                if cert is not None and not parsed.covers(cert):
                    errors.append(f"{source}: the CRL's issuing distribution point does not cover this certificate")
                    continue
                return self._keep(tp.name, source, parsed, signer)
        raise RevocationError(f"% No CRL could be obtained for trustpoint {tp.name}: " + "; ".join(errors),
                              "Check that the CRL sources are reachable and publish this CA's CRL.")

    def _scope_of(self, rec: CrlRecord) -> str | None:
        """``rec.scope``; for a record saved before scopes were recorded, read from its CRL file
        (None when that file is gone or damaged)."""
        if rec.scope is not None:
            return rec.scope
        parsed = self._parsed.get(rec.sha256)
        if parsed is None:
            try:
                data = self._path(rec).read_bytes()
                if hashlib.sha256(data).hexdigest().upper() != rec.sha256:
                    return None
                parsed = parse_crl(data)
            except (OSError, RevocationError):
                return None
        rec.scope = scope_key(parsed.scope)
        return rec.scope

    def _held(self, rec: CrlRecord, signer: x509.Certificate) -> ParsedCrl | None:
        """The CRL of a held record, verified with ``signer``; None when it cannot be used."""
        try:
            return self._load(self._info(rec), signer)
        except RevocationError:
            return None

    def _keep(self, tp: str, source: str, parsed: ParsedCrl,
              signer: x509.Certificate | None = None) -> tuple[CrlInfo, ParsedCrl]:
        """Hold a CRL verified with ``signer`` (default: the trustpoint CA), one per trustpoint,
        issuer and scope: it replaces an older one held, from whatever source; when the one held is
        as new or newer (and still usable) that one is kept and returned. NVRAM when it fits the
        capacity left, else the cache; memory in query mode."""
        config = self._pki.config
        signer = signer or self._pki.certificates.ca_certificate(tp)
        self._parsed[parsed.sha256] = parsed
        rec = CrlRecord(trustpoint=tp, issuer=parsed.issuer, source=source, file=f"{parsed.sha256[:40]}.crl",
                        sha256=parsed.sha256, size=len(parsed.der), this_update=parsed.this_update.isoformat(),
                        next_update=parsed.next_update.isoformat() if parsed.next_update else None,
                        entries=len(parsed.index), crl_number=parsed.crl_number, scope=scope_key(parsed.scope),
                        issuer_key=_key_id(signer))
        if config.query_mode:
            return self._keep_in_memory(rec, parsed, signer)
        same = [r for r in config.crls if r.trustpoint == tp and r.issuer == rec.issuer
                and self._scope_of(r) in (rec.scope, None)]
        kept = self._newest_usable(same, signer)
        if kept is not None and not rec.newer_than(kept[0]):
            held, held_parsed = kept
            config.crls = [r for r in config.crls if r is held or not any(r is o for o in same)]
            info = self._info(held)
            if held.sha256 != rec.sha256:
                info.notes.append(self._older_note(rec, held))
            return info, held_parsed
        # The same CA's CRL held by other trustpoints (same issuer key and scope) is replaced too.
        others = [r for r in config.crls if r.trustpoint != tp and r.issuer == rec.issuer and r.scope == rec.scope
                  and r.issuer_key == rec.issuer_key != "" and rec.newer_than(r)]
        replaced = [*same, *others]
        config.crls = [r for r in config.crls if not any(r is o for o in replaced)]
        sharing = next((r for r in config.crls if r.file == rec.file), None)
        free = 0
        if sharing is not None:  # already held (for another trustpoint): no more room needed
            rec.in_nvram = sharing.in_nvram
        else:
            use = self._pki.nvram_usage()
            # The room left with the root certificate kept whole: a CRL must not push it out of NVRAM.
            free = use.free - sum(len(c.der or b"") - 64 for c in config.certificates
                                  if c.sha256 in use.dropped_for_capacity)
            rec.in_nvram = rec.size <= free
        target = self._path(rec)
        if not _file_holds(target, rec):
            atomic_write(target, parsed.der, 0o600)
        config.crls.append(rec)
        config.crls += [dataclasses.replace(rec, trustpoint=o.trustpoint) for o in others]
        files = {r.file for r in config.crls}
        for o in replaced:  # cache files are ours to clean; crl_dir files go at the next save
            if not o.in_nvram and o.file not in files:
                (self._pki.store.cache_dir / o.file).unlink(missing_ok=True)
        info = self._info(rec)
        if not rec.in_nvram and sharing is None:
            info.notes.append(f"The CRL ({rec.size:,} bytes) does not fit in the {max(free, 0):,} bytes of NVRAM "
                              "left: it is kept in a cache outside NVRAM and fetched again if that cache is gone.")
        return info, parsed

    def _newest_usable(self, held: list[CrlRecord],
                       signer: x509.Certificate) -> tuple[CrlRecord, ParsedCrl] | None:
        """The newest of ``held`` whose CRL is still there and verified with ``signer``."""
        best: tuple[CrlRecord, ParsedCrl] | None = None
        for r in held:
            if best is not None and not r.newer_than(best[0]):
                continue
            parsed = self._held(r, signer)
            if parsed is not None:
                best = (r, parsed)
        return best

    @staticmethod
    def _older_note(fetched: CrlRecord, held: CrlRecord) -> str:
        def label(r: CrlRecord) -> str:
            number = f"number {r.crl_number}, " if r.crl_number is not None else ""
            return f"{number}this update {r.this_update[:16].replace('T', ' ')}"

        return (f"The CRL from {fetched.source} ({label(fetched)}) is not newer than the one held "
                f"({label(held)}, from {held.source}): the held CRL is kept.")

    def _keep_in_memory(self, rec: CrlRecord, parsed: ParsedCrl,
                        signer: x509.Certificate) -> tuple[CrlInfo, ParsedCrl]:
        """Query mode: one CRL per trustpoint, issuer and scope, in memory only."""
        key = rec.key()
        old = self._memory.get(key)
        if old is not None and not rec.newer_than(old[0]):
            held_parsed = self._held(old[0], signer)
            if held_parsed is not None:
                info = old[1]
                return info, held_parsed
        info = self._info(rec)
        info.location = "memory"
        info.notes.append("Query mode: the CRL is held in memory only and fetched again when needed.")
        self._memory[key] = (rec, info)
        return info, parsed

    @net.with_trustpoint_deadline
    def request_crl(self, tp: str) -> CrlInfo:
        """``crypto pki crl request TP``: download the newest CRL now, replacing the one held."""
        return self._fetch(self._pki.trustpoints.get(tp), None, None)[0]

    @net.with_trustpoint_deadline
    def crl_for(self, tp: str, cert: x509.Certificate,
                issuer: x509.Certificate | None = None) -> tuple[CrlInfo, ParsedCrl]:
        """A fresh CRL covering ``cert``, signed by ``issuer`` (the CA that issued ``cert``; default
        the trustpoint's CA): a held one before its nextUpdate, else downloaded now."""
        trustpoint = self._pki.trustpoints.get(tp)
        signer = issuer or self._pki.certificates.ca_certificate(tp)
        name = cert.issuer.public_bytes()
        for info in self.crls(tp):
            try:
                parsed = self._load(info, signer) if self._may_be_of(info, cert) else None
            except RevocationError:
                continue  # held for another key (or damaged): not evidence for this issuer
            if parsed is not None and parsed.issuer_der == name and parsed.covers(cert) and not parsed.expired(self._pki.clock.now()):
                return info, parsed
        # The same CA's CRL held for another trustpoint (verified with the same key) serves here too.
        key_id = _key_id(signer)
        for rec in [*self._pki.config.crls, *(r for r, _ in self._memory.values())]:
            if rec.trustpoint == tp or rec.issuer_key != key_id or not self._may_be_of(self._info(rec), cert):
                continue
            parsed = self._held(rec, signer)
            if parsed is not None and parsed.issuer_der == name and parsed.covers(cert) and not parsed.expired(self._pki.clock.now()):
                return self._keep(tp, rec.source, parsed, signer)
        return self._fetch(trustpoint, cert, issuer)

    def _may_be_of(self, info: CrlInfo, cert: x509.Certificate) -> bool:
        """Whether a held CRL may be ``cert``'s issuer's (checked before loading and verifying it)."""
        parsed = self._parsed.get(info.sha256)
        if parsed is not None:
            return parsed.issuer_der == cert.issuer.public_bytes()
        return info.issuer == cert.issuer.rfc4514_string()

    # -- checks --------------------------------------------------------------------------------
    def _crl_method(self, tp: str, cert: x509.Certificate, issuer: x509.Certificate | None = None) -> MethodResult:
        info, parsed = self.crl_for(tp, cert, issuer)
        row = parsed.index.lookup(cert.serial_number)
        if row is None:
            where = {"cache": "; kept in the cache outside NVRAM", "memory": "; held in memory (query mode)"}
            return MethodResult("crl", "good", f"not on the CRL from {info.source} (this update "
                                f"{info.this_update:%Y-%m-%d %H:%M} UTC, {info.entries:,} entries"
                                f"{where.get(info.location, '')})")
        why = f", reason {row.reason}" if row.reason else ""
        return MethodResult("crl", "revoked", f"revoked on {row.revocation_date:%Y-%m-%d %H:%M:%S} UTC{why} "
                            f"(CRL from {info.source})", row.revocation_date, row.reason)

    def _ocsp_method(self, tp: Trustpoint, cert: x509.Certificate, issuer: x509.Certificate) -> MethodResult:
        from pkitui.core.revocation import ocsp

        urls = [tp.ocsp_url] if tp.ocsp_url else ocsp_urls(cert)
        if not urls:
            return MethodResult("ocsp", "failed", "no OCSP URL (configure ocsp url, or the certificate has no AIA)")
        errors = []
        for url in urls:
            try:
                answer = ocsp.query(url, cert, issuer, now=self._pki.clock.now())
            except RevocationError as exc:
                errors.append(exc.message)
                continue
            if answer.status == "revoked":
                why = f", reason {answer.reason}" if answer.reason else ""
                when = answer.revocation_time
                return MethodResult("ocsp", "revoked", f"revoked on {when:%Y-%m-%d %H:%M:%S} UTC{why} (OCSP {url})",
                                    when, answer.reason)
            if answer.status == "good":
                return MethodResult("ocsp", "good", f"good (OCSP {url})")
            errors.append(f"{url} does not know the certificate (unknown)")
        return MethodResult("ocsp", "unknown" if any("unknown" in e for e in errors) else "failed", "; ".join(errors))

    def note_path(self, tp: str, chain: list[x509.Certificate]) -> None:
        """Remember the intermediate CAs of ``chain`` (peer first, ``tp``'s CA last), a path just
        verified: their CRLs can then be verified again later (after a restart too)."""
        self._issuers.note(tp, chain)

    @net.with_trustpoint_deadline
    def check(self, tp: str, cert: x509.Certificate, issuer: x509.Certificate) -> RevocationOutcome:
        """Run ``tp``'s revocation-check methods in order for ``cert`` issued by ``issuer`` (the
        trustpoint CA or, along a verified path to it, an intermediate CA): the CRL must be signed by
        ``issuer`` and the OCSP CertID names ``issuer``."""
        trustpoint = self._pki.trustpoints.get(tp)
        if not _same(issuer, self._pki.certificates.ca_certificate(tp)):
            self._issuers.remember(tp, issuer)
        runners = {"crl": lambda: self._crl_method(tp, cert, issuer),
                   "ocsp": lambda: self._ocsp_method(trustpoint, cert, issuer)}
        return run_methods(list(trustpoint.revocation_check), runners)

    # -- root over TFTP ------------------------------------------------------------------------
    @net.with_trustpoint_deadline
    def fetch_root_der(self, tp: Trustpoint) -> bytes:
        """The CA certificate file named by ``root tftp SERVER FILE`` (PEM converted to DER)."""
        from pkitui.core import tftp
        from pkitui.core.certs import load_certificates
        from pkitui.core.scep.ca import der_of

        if not tp.root_tftp:
            raise RevocationError(f"% Trustpoint {tp.name} has no root tftp", "Configure: root tftp SERVER FILE")
        data = tftp.download(*tp.root_tftp)
        return der_of(load_certificates(data)[0]) if b"-----BEGIN" in data else data

    def root_tftp(self, tp: str, confirm: Callable[[CaCandidate], bool] | None = None) -> CaCandidate:
        """Get the CA certificate over TFTP, then the same acceptance as ``crypto pki authenticate``:
        a pre-configured fingerprint decides alone, else ``confirm``; nothing stored unless accepted."""
        trustpoint = self._pki.trustpoints.get(tp)
        scep = self._pki.scep
        cand = scep.candidate_from_der(trustpoint, self.fetch_root_der(trustpoint))
        return scep.decide(trustpoint, cand, confirm,
                           mismatch_hint="Check the file on the TFTP server with the CA administrator.")
