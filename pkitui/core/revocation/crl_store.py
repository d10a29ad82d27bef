"""CRLs held per trustpoint: one per issuer and scope, in NVRAM, the cache or memory; loaded,
verified and reused until their nextUpdate.

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
import datetime
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pkitui.core.clock import Clock
from pkitui.core.config import RunningConfig
from pkitui.core.errors import RevocationError
from pkitui.core.records import CrlRecord
from pkitui.core.revocation.crl import ParsedCrl, parse_crl, scope_key, verify_crl
from pkitui.core.revocation.crl_info import CrlInfo, CrlLocation, CrlVia, crl_info, issuer_key_id, older_note
from pkitui.core.revocation.crl_index import CrlIndex
from pkitui.core.revocation.issuers import IssuerCache
from pkitui.core.store import Store, atomic_write
from pkitui.core.trustpoints import Trustpoint

if TYPE_CHECKING:
    from pkitui.core.nvram import NvramUsage


def _file_holds(path: Path, rec: CrlRecord) -> bool:
    """True when ``path`` holds the CRL of ``rec``: files are named after their content and
    written atomically, so one of the right size is that CRL (no need to hash up to 256 MiB)."""
    try:
        return path.stat().st_size == rec.size
    except OSError:
        return False


def _newer(a: ParsedCrl, b: ParsedCrl) -> bool:
    """True when ``a`` supersedes ``b``: a higher CRL number, else a later thisUpdate."""
    if a.crl_number is not None and b.crl_number is not None and a.crl_number != b.crl_number:
        return a.crl_number > b.crl_number
    return a.this_update > b.this_update


class CrlStore:
    """The CRLs held for the trustpoints of one configuration."""

    def __init__(self, config: RunningConfig, store: Store, trustpoint: Callable[[str], Trustpoint],
                 ca_certificate: Callable[[str], x509.Certificate], nvram_usage: Callable[[], NvramUsage],
                 clock: Clock) -> None:
        """``ca_certificate`` gives a trustpoint's CA (the default signer of its CRLs);
        ``nvram_usage`` tells how much NVRAM a new CRL may take."""
        self._config = config
        self._store = store
        self._trustpoint = trustpoint
        self._ca_certificate = ca_certificate
        self._nvram_usage = nvram_usage
        self._clock = clock
        self._parsed: dict[str, ParsedCrl] = {}  # by SHA-256 of the DER
        self._verified: dict[str, bytes] = {}  # SHA-256 of a CRL -> the issuer key (SPKI DER) it was verified with
        self._issuers = IssuerCache(lambda: store.cache_dir, lambda: not config.query_mode, clock.now)
        self._memory: dict[str, tuple[CrlRecord, CrlInfo]] = {}  # query mode: by CrlRecord.key()

    def _path(self, rec: CrlRecord) -> Path:
        store = self._store
        return (store.crl_dir if rec.in_nvram else store.cache_dir) / rec.file

    def info(self, rec: CrlRecord) -> CrlInfo:
        """What ``show crypto pki crls`` shows of a held record."""
        return crl_info(rec, self._clock)

    def crls(self, tp: str | None = None) -> list[CrlInfo]:
        """Every CRL held (for trustpoint ``tp``), NVRAM, cache and memory alike."""
        if tp is not None:
            self._trustpoint(tp)
        held = [self.info(r) for r in self._config.crls if tp is None or r.trustpoint == tp]
        live = self._config.trustpoints
        held += [i for r, i in self._memory.values()
                 if (tp is None or r.trustpoint == tp) and r.trustpoint in live]
        return held

    def _signer(self, tp: str, parsed: ParsedCrl) -> x509.Certificate:
        """The CA a held CRL must be verified with: the trustpoint CA, or an intermediate CA seen on a
        verified path to it in this process."""
        ca = self._ca_certificate(tp)
        if parsed.issuer_der == ca.subject.public_bytes():
            return ca
        known = self._issuers.get(tp, parsed.issuer_der, ca)
        if known is None:
            raise RevocationError(f"The CRL of {parsed.issuer} was issued by an intermediate CA whose certificate "
                                  "is not held", "It is verified again when a peer presents that CA's certificate "
                                  "(crypto pki verify with the chain).")
        return known

    def verify(self, parsed: ParsedCrl, issuer: x509.Certificate) -> None:
        """verify_crl, remembered per issuer key (a CRL verified with another key is verified again)."""
        spki = issuer.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        if self._verified.get(parsed.sha256) == spki:
            parsed.issuer_name = parsed.issuer_name or issuer.subject.rfc4514_string()  # as verify_crl sets it
            return
        verify_crl(parsed, issuer, self._clock.now())
        self._verified[parsed.sha256] = spki

    def load(self, info: CrlInfo, issuer: x509.Certificate | None = None) -> ParsedCrl | None:
        """The parsed CRL behind ``info`` (None when its cache file is gone), verified with ``issuer``
        (default: the trustpoint CA, or the intermediate CA that issued it)."""
        parsed = self._parsed.get(info.sha256)
        if parsed is None:
            rec = next((r for r in self._config.crls if r.sha256 == info.sha256), None)
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
        self.verify(parsed, issuer or self._signer(info.trustpoint, parsed))
        self._parsed[info.sha256] = parsed
        return parsed

    def open_crl(self, info: CrlInfo) -> CrlIndex:
        """The entry index of a held CRL (len, row(i), find(serial)) for the viewer."""
        parsed = self.load(info)
        if parsed is None:
            raise RevocationError(f"The CRL of {info.trustpoint} from {info.source} is no longer held "
                                  "(its cache was removed)",
                                  f"Fetch it again: crypto pki crl request {info.trustpoint}")
        return parsed.index

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
            return self.load(self.info(rec), signer)
        except RevocationError:
            return None

    def keep(self, tp: str, source: str, parsed: ParsedCrl, signer: x509.Certificate | None = None, *,
             via: CrlVia = CrlVia.CDP) -> tuple[CrlInfo, ParsedCrl]:
        """Hold a CRL verified with ``signer`` (default: the trustpoint CA), one per trustpoint,
        issuer and scope: it replaces an older one held, from whatever source; when the one held is
        as new or newer (and still usable) that one is kept and returned. NVRAM when it fits the
        capacity left, else the cache; memory in query mode."""
        config = self._config
        signer = signer or self._ca_certificate(tp)
        self._parsed[parsed.sha256] = parsed
        rec = CrlRecord(trustpoint=tp, issuer=parsed.issuer, source=source, file=f"{parsed.sha256[:40]}.crl",
                        sha256=parsed.sha256, size=len(parsed.der), this_update=parsed.this_update.isoformat(),
                        next_update=parsed.next_update.isoformat() if parsed.next_update else None,
                        entries=len(parsed.index), crl_number=parsed.crl_number, scope=scope_key(parsed.scope),
                        issuer_key=issuer_key_id(signer),
                        fetched=self._clock.now().isoformat(timespec="seconds"), via=via.value)
        if config.query_mode or self._trustpoint(tp).crl_cache == 0:  # crl cache none: this check only
            return self._keep_in_memory(rec, parsed, signer)
        same = [r for r in config.crls if r.trustpoint == tp and r.issuer == rec.issuer
                and self._scope_of(r) in (rec.scope, None)]
        kept = self._newest_usable(same, signer)
        if kept is not None and not rec.newer_than(kept[0]):
            held, held_parsed = kept
            if held.sha256 == rec.sha256 and (held.source, held.via) != (source, rec.via):
                # The same CRL, fetched from where it is configured now (a changed crl query or CDP):
                # the record names that source (a new record, so a merge-on-save sees the change).
                held = dataclasses.replace(held, source=source, via=rec.via, fetched=rec.fetched)
            config.crls = [r for r in config.crls if r is held or not any(r is o for o in same)]
            if not any(r is held for r in config.crls):
                config.crls.append(held)
            info = self.info(held)
            if held.sha256 != rec.sha256:
                info.notes.append(older_note(rec, held))
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
            use = self._nvram_usage()
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
                (self._store.cache_dir / o.file).unlink(missing_ok=True)
        info = self.info(rec)
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

    def _keep_in_memory(self, rec: CrlRecord, parsed: ParsedCrl,
                        signer: x509.Certificate) -> tuple[CrlInfo, ParsedCrl]:
        """Query mode: one CRL per trustpoint, issuer and scope, in memory only."""
        key = rec.key()
        old = self._memory.get(key)
        moved = old is not None and old[0].sha256 == rec.sha256 and (old[0].source, old[0].via) != (rec.source, rec.via)
        if old is not None and not moved and not rec.newer_than(old[0]):  # moved: held as from its new source
            held_parsed = self._held(old[0], signer)
            if held_parsed is not None:
                info = old[1]
                return info, held_parsed
        info = self.info(rec)
        info.location = CrlLocation.MEMORY
        info.notes.append("Query mode: the CRL is held in memory only and fetched again when needed.")
        self._memory[key] = (rec, info)
        return info, parsed

    def _may_be_of(self, info: CrlInfo, cert: x509.Certificate) -> bool:
        """Whether a held CRL may be ``cert``'s issuer's (checked before loading and verifying it)."""
        parsed = self._parsed.get(info.sha256)
        if parsed is not None:
            return parsed.issuer_der == cert.issuer.public_bytes()
        return info.issuer == cert.issuer.rfc4514_string()

    def held_for(self, tp: str, cert: x509.Certificate, signer: x509.Certificate) -> tuple[CrlInfo, ParsedCrl] | None:
        """A held CRL still fresh (before its nextUpdate) that covers ``cert`` and is signed by
        ``signer``: ``tp``'s own, else the same CA's held for another trustpoint (then held for
        ``tp`` too); None when there is none."""
        name = cert.issuer.public_bytes()
        now = self._clock.now()
        for info in self.crls(tp):
            if not self._cache_allows(tp, info.sha256, now):
                continue
            try:
                parsed = self.load(info, signer) if self._may_be_of(info, cert) else None
            except RevocationError:
                continue  # held for another key (or damaged): not evidence for this issuer
            if parsed is not None and parsed.issuer_der == name and parsed.covers(cert) and not parsed.expired(now):
                return info, parsed
        # The same CA's CRL held for another trustpoint (verified with the same key) serves here too.
        key_id = issuer_key_id(signer)
        for rec in [*self._config.crls, *(r for r, _ in self._memory.values())]:
            if rec.trustpoint == tp or rec.issuer_key != key_id or not self._may_be_of(self.info(rec), cert):
                continue
            if self._trustpoint(tp).crl_cache is not None:  # crl cache none/delete-after: fetch it fresh
                continue
            parsed = self._held(rec, signer)
            if parsed is not None and parsed.issuer_der == name and parsed.covers(cert) and not parsed.expired(now):
                return self.keep(tp, rec.source, parsed, signer, via=CrlVia.of(rec.via, rec.source))
        return None

    def _cache_allows(self, tp: str, sha256: str, now: datetime.datetime) -> bool:
        """``crl cache none``: no held CRL is used, every check fetches; ``crl cache delete-after
        MINUTES``: a CRL fetched longer ago (or at an unknown time) is not used: the check fetches
        a fresh one, which replaces it."""
        minutes = self._trustpoint(tp).crl_cache
        if minutes is None:
            return True
        fetched = [r.fetched for r in [*self._config.crls, *(r for r, _ in self._memory.values())]
                   if r.trustpoint == tp and r.sha256 == sha256 and r.fetched]
        return (minutes > 0 and bool(fetched) and now - datetime.datetime.fromisoformat(max(fetched))
                < datetime.timedelta(minutes=minutes))

    def newest_held(self, tp: str, cert: x509.Certificate,
                    signer: x509.Certificate) -> tuple[CrlInfo, ParsedCrl] | None:
        """The newest CRL held that covers ``cert`` and is signed by ``signer`` (``tp``'s own, else
        the same CA's held for another trustpoint), past its nextUpdate or not; nothing is fetched
        and nothing is written (a listing uses it). None when no such CRL is held."""
        name = cert.issuer.public_bytes()
        key_id = issuer_key_id(signer)
        candidates = [self.info(r) for r in self._config.crls
                      if r.trustpoint == tp or r.issuer_key == key_id]
        candidates += [i for r, i in self._memory.values() if r.trustpoint == tp or r.issuer_key == key_id]
        best: tuple[CrlInfo, ParsedCrl] | None = None
        for info in candidates:
            if not self._may_be_of(info, cert):
                continue
            try:
                parsed = self.load(info, signer)
            except RevocationError:
                continue  # held for another key (or damaged): not evidence for this issuer
            if parsed is None or parsed.issuer_der != name or not parsed.covers(cert):
                continue
            if best is None or _newer(parsed, best[1]):
                best = (info, parsed)
        return best

    # -- intermediate CAs ------------------------------------------------------------------------
    def note_path(self, tp: str, chain: list[x509.Certificate]) -> None:
        """Remember the intermediate CAs of ``chain`` (peer first, ``tp``'s CA last), a path just
        verified: their CRLs can then be verified again later (after a restart too)."""
        self._issuers.note(tp, chain)

    def remember_issuer(self, tp: str, issuer: x509.Certificate) -> None:
        """Remember an intermediate CA verified as the issuer of a checked certificate."""
        self._issuers.remember(tp, issuer)
