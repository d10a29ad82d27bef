"""The Python API: :class:`Pki` is one device's PKI state, backed by an NVRAM store."""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any


from pkitui.core import merge, nvram
from pkitui.core.clock import SYSTEM_CLOCK, Clock
from pkitui.core.config import (RunningConfig, from_tables, key_file_name, key_pair_doc, key_pair_from_doc,
                                to_tables, trustpoint_from_doc)
from pkitui.core.errors import CapacityError, ConfigError, StoreError
from pkitui.core.held import ChainEntry, HeldDer, chain
from pkitui.core.identity import validate_domain_name, validate_hostname
from pkitui.core.journal import JournalEntry, PendingJournal
from pkitui.core.keyring import KeyRing
from pkitui.core.keys import KeyPair
from pkitui.core.records import CrlRecord, PeerKey, PendingEnrollment, StoredCertificate
from pkitui.core.pubkey_chain import PubkeyChain
from pkitui.core.schema import MIN_CAPACITY, SCHEMA_VERSION
from pkitui.core.scep.transport import ScepSettings
from pkitui.core.secrets import PASSPHRASE_ENV, SecretBox
from pkitui.core.store import Store
from pkitui.core.trustpoint_service import TrustpointService

if TYPE_CHECKING:
    from pkitui.core.ca_trust import CaTrust
    from pkitui.core.certs import CertificateService
    from pkitui.core.revocation.checker import RevocationService
    from pkitui.core.scep.service import ScepService

STORE_ENV = "PKITUI_STORE"


def default_store_dir() -> Path:
    """``PKITUI_STORE`` if set, else the user's data directory (platformdirs)."""
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env)
    import platformdirs  # only here: it costs ~6 ms of every `pkitui exec` start-up

    return Path(platformdirs.user_data_dir("pkitui")) / "store"


class Pki:
    """One device: its running configuration, the saved configuration, and every operation.

    Operations change the running configuration; :meth:`save` writes it to NVRAM
    (``copy system:running-config nvram:startup-config``). A new ``Pki`` starts from the saved one.

    ``Pki`` is the composition root: it builds each service with what that service uses (the
    configuration, the store, the clock, the siblings it calls) and no service holds the ``Pki``.
    The network services are built on first use (they import requests and asn1crypto).
    """

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        # The time validity is judged by (certificates, CRLs, OCSP, pending polls); tests freeze it.
        self.clock: Clock = clock or SYSTEM_CLOCK
        # Who saves, as another session's conflict message names it (the front ends say who they are).
        self.writer = "the Python API"
        # One save, refresh or pending-journal change at a time within the process (console workers).
        self.lock = threading.RLock()
        saved = store.read_tables()
        self.box = _open_secret_box(store, saved)
        self.config: RunningConfig = from_tables(saved, store, self.box)
        self.journal = PendingJournal(store.pending_dir)
        self._journaled: set[str] = set()
        self._load_journal(saved)
        self._base: merge.ObjectMap = self._normal(merge.to_objects(saved))
        self._base_generation = _generation(saved)  # the save generation the base is
        self.saved_stamp = store.stamp()
        self.keys = KeyRing(self.config, self.clock)
        self.pubkey_chain = PubkeyChain(self.config)
        self.trustpoints = TrustpointService(self.config)
        self.held_der = HeldDer()  # DER a save dropped from NVRAM, kept for this session
        # SCEP timeout and retry scale, shared by CA authentication and enrollment.
        self.scep_settings = ScepSettings()

    @functools.cached_property
    def ca_trust(self) -> CaTrust:
        """CA certificates: fetch (SCEP GetCACert, TFTP root), decide and accept (``crypto pki authenticate``)."""
        from pkitui.core.ca_trust import CaTrust

        return CaTrust(self.config, self.trustpoints.get, self.scep_settings, self.clock)

    @functools.cached_property
    def scep(self) -> ScepService:
        """SCEP enrollment and polling (imported on first use: it pulls in requests/asn1crypto)."""
        from pkitui.core.scep.service import ScepService

        return ScepService(self.config, self.trustpoints.get, self.scep_settings, self.clock,
                           ca_certificate=lambda tp: self.certificates.ca_certificate(tp), journal=self, lock=self.lock)

    @functools.cached_property
    def certificates(self) -> CertificateService:
        """Certificates of every trustpoint: list, delete, import, verify a peer."""
        from pkitui.core.certs import CertificateService

        return CertificateService(self.config, self.trustpoints.get, self.clock,
                                  ca_sources=lambda tp: self.ca_trust.sources(tp), revocation=lambda: self.revocation,
                                  held=self.held_der)

    @functools.cached_property
    def revocation(self) -> RevocationService:
        """CRLs (SCEP GetCRL, HTTP, LDAP), OCSP and revocation checks."""
        from pkitui.core.revocation.checker import RevocationService
        from pkitui.core.revocation.crl_store import CrlStore
        from pkitui.core.revocation.sources import CrlFetcher

        certificates = self.certificates
        crls = CrlStore(self.config, self.store, self.trustpoints.get, certificates.ca_certificate,
                        self.nvram_usage, self.clock)
        fetcher = CrlFetcher(self.config, crls, certificates.ca_certificate, certificates.der_of,
                             get_crl=lambda tp: self.scep.get_crl(tp))
        return RevocationService(crls, fetcher, self.trustpoints.get, certificates.ca_certificate, self.clock)

    @classmethod
    def open(cls, store_dir: str | Path | None = None, *, writer: str | None = None,
             clock: Clock | None = None) -> Pki:
        """Open (or create) the store at ``store_dir`` (default: :func:`default_store_dir`);
        ``writer`` names the front end in other sessions' conflict messages; ``clock`` (default the
        system clock) is the time validity is judged by."""
        pki = cls(Store(Path(store_dir) if store_dir is not None else default_store_dir()), clock)
        if writer is not None:
            pki.writer = writer
        return pki

    # -- identity -------------------------------------------------------------------------------
    def set_hostname(self, name: str) -> None:
        """``hostname NAME``."""
        self.config.identity.hostname = validate_hostname(name)

    def set_domain_name(self, domain: str | None) -> None:
        """``ip domain-name DOMAIN`` (None: ``no ip domain-name``)."""
        self.config.identity.domain_name = validate_domain_name(domain) if domain else None

    @property
    def fqdn(self) -> str | None:
        """host.domain, when both are configured."""
        return self.config.identity.fqdn

    def certificate_chain(self, tp: str) -> list[ChainEntry]:
        """``crypto pki certificate chain TP`` as ``show running-config`` prints it: the held
        certificates in IOS's order with their serials, read without parsing them."""
        return chain(self.config.certificates, self.trustpoints.get(tp).name, self.held_der)

    # -- device settings ----------------------------------------------------------------------
    def set_query_mode(self, enabled: bool) -> None:
        """``crypto ca certificate query``: certificates and CRLs are not kept in NVRAM."""
        self.config.query_mode = enabled

    def set_capacity(self, capacity: int) -> None:
        """The NVRAM capacity in bytes (default 512 KiB)."""
        if capacity < MIN_CAPACITY:
            raise ConfigError(f"NVRAM capacity {capacity} is too small", f"Give at least {MIN_CAPACITY} bytes.")
        self.config.capacity = capacity

    # -- NVRAM ----------------------------------------------------------------------------------
    def nvram_usage(self) -> nvram.NvramUsage:
        """How the capacity is (or, after the next save, will be) used."""
        return nvram.usage(self.config, self.store.private_dir)

    @property
    def dirty(self) -> bool:
        """True when the running configuration differs from the saved one."""
        return self._mine() != self._base

    def _normal(self, objects: merge.ObjectMap) -> merge.ObjectMap:
        return merge.normalise(objects, self.box.open)

    def _mine(self) -> merge.ObjectMap:
        """The running configuration as named objects in normal form (its records are already
        what their classes write, and passwords are digests: no round trip needed)."""
        return merge.canonical(merge.to_objects(to_tables(self.config, None)))

    def save(self) -> nvram.NvramUsage:
        """Write the running configuration to NVRAM, merged with what other sessions saved.

        Under the store lock the latest saved configuration is read again and merged object by
        object (:mod:`pkitui.core.merge`): what another session saved and this one did not change
        is taken over (also into the running configuration); an object both changed differently
        raises :class:`~pkitui.core.merge.SaveConflict` and nothing is written. Key files are
        written first, then ``nvram.json`` in one atomic replace, then the files of objects this
        session removed: a kill at any point leaves the old or the new configuration, each with
        all its keys. When the capacity is exceeded nothing is written.

        In query mode (seed: "certificates and CRLs are not stored locally") CRLs are dropped and
        CA/RA/other certificates keep only their fingerprint record (so the CA can be fetched and
        checked again); the device's own and imported certificates are kept whole, because a CA
        without GetCert could not give them back.
        """
        with self._saving():
            return self._save_locked()

    @contextlib.contextmanager
    def _saving(self) -> Iterator[None]:
        """Hold this session's lock and the store's save lock; a failed write is a StoreError."""
        try:
            with self.lock, self.store.locked():
                yield
        except OSError as exc:
            raise StoreError(
                f"Cannot write the NVRAM store {self.store.root}: {exc.strerror or exc}",
                "Check free disk space and permissions; the previously saved configuration is intact.",
            ) from None

    def _save_locked(self, only: set[str] | None = None) -> nvram.NvramUsage:
        """The save, under both locks. ``only``: save just these objects (by name) into the latest
        saved configuration, leaving every other change unsaved (no merge, no capacity check)."""
        theirs = self._read_saved()
        theirs_raw = merge.to_objects(theirs)
        config = self.config
        if only is None and _generation(theirs) != self._base_generation:  # else theirs is the base
            rebased = self._rebase(theirs_raw, _generation(theirs))
            if rebased.conflicts:
                raise merge.SaveConflict(rebased.conflicts, _meta(theirs).get("changes") or {})
        use = self.nvram_usage()
        if only is None and use.total > use.capacity:
            raise CapacityError(
                f"Not enough NVRAM: the configuration needs {use.total} bytes of {use.capacity}",
                "Enable query mode (crypto ca certificate query), zeroize unused keys or raise the capacity.",
            )
        certs, crls = config.certificates, config.crls
        if config.query_mode or use.dropped_for_capacity:
            self.held_der.remember(certs)  # dropped from NVRAM, their DER stays in memory
        if config.query_mode:
            certs = [c if c.der is None or nvram.kept_in_query_mode(c.role) else replace(c, der=None) for c in certs]
            crls = []
        if use.dropped_for_capacity:  # seed: NVRAM too small for a root certificate -> fingerprint only
            certs = [replace(c, der=None) if c.sha256 in use.dropped_for_capacity else c for c in certs]
        to_save = replace(config, certificates=certs, crls=crls)
        ours = merge.to_objects(to_tables(to_save, self.box))
        ours_normal = merge.canonical(merge.to_objects(to_tables(to_save, None)))
        names = set(ours) | set(self._base) if only is None else only
        for pair in to_save.key_pairs.values():
            if merge.object_name("key_pairs", key_pair_doc(pair)) in names:
                self._write_key_file(pair)
        written = ours if only is None else (
            {n: v for n, v in theirs_raw.items() if n not in only} | {n: ours[n] for n in only if n in ours})
        generation = self._write(theirs, written, sorted(n for n in names if ours_normal.get(n) != self._base.get(n)))
        config.certificates, config.crls = certs, crls
        if only is not None:
            for name in only:  # the base stays at its generation: the next save merges the rest
                if name in ours_normal:
                    self._base[name] = ours_normal[name]
                else:
                    self._base.pop(name, None)
            return use
        self.store.remove_files(merge.files_of(theirs_raw) - merge.files_of(written) - self._journal_files())
        for tid in self._journaled - {p.transaction_id for p in config.pending}:
            self.journal.remove(tid)  # transactions this session dropped (trustpoint removed, ...)
            self._journaled.discard(tid)
        self._base, self._base_generation = ours_normal, generation
        return self.nvram_usage() if config.query_mode or use.dropped_for_capacity else use

    def _read_saved(self) -> merge.Tables:
        """The latest saved configuration, checked like at open (another process, or a hand, may
        have written it since)."""
        from pkitui.core.store_check import check_tables

        tables = self.store.read_tables()
        check_tables(tables, self.store.root)
        return tables

    def _write(self, theirs: merge.Tables, objects: merge.ObjectMap, changed: list[str]) -> int:
        """Write ``objects`` as the saved configuration, one generation after ``theirs``; that
        generation."""
        tables = merge.to_tables(objects, {"schema": SCHEMA_VERSION, "secret_mode": self.box.mode,
                                           "secret_check": self.box.check_token()})
        tables["meta"] = {"1": merge.record_changes(_meta(theirs), sorted(changed), merge.writer_text(self.writer),
                                                   merge.now_text())}
        self.store.write_tables(tables)
        self.saved_stamp = self.store.stamp()
        return _generation(tables)

    def _write_key_file(self, pair: KeyPair) -> None:
        name = key_file_name(pair)
        if not self.store.has_private(name):  # content-named: an existing file is this key
            from cryptography.hazmat.primitives import serialization

            self.store.write_private(name, pair.private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, self.box.encryption()))

    def _journal_files(self) -> set[tuple[str, str]]:
        return {("private", name) for name in self.journal.key_files()}

    # -- other sessions' saves ------------------------------------------------------------------
    def store_changed(self) -> bool:
        """True when another process saved the store since this session last read or wrote it."""
        return self.store.stamp() != self.saved_stamp

    def refresh(self) -> Refresh:
        """Take over what other sessions saved since this one read the store: every object this
        session did not change is reloaded; one both changed keeps this session's version and is
        reported as a conflict (saving then replaces theirs)."""
        with self.lock:
            stamp = self.store.stamp()
            try:
                theirs = self._read_saved()
                rebased = self._rebase(merge.to_objects(theirs), _generation(theirs))
            finally:
                self.saved_stamp = stamp  # a damaged save is reported once, not at every look
            return Refresh(taken=sorted(rebased.taken), conflicts=rebased.conflicts,
                           saved_by=str(_meta(theirs).get("saved_by") or "another session"),
                           changes=dict(_meta(theirs).get("changes") or {}))

    def _rebase(self, theirs_raw: merge.ObjectMap, generation: int) -> merge.MergeResult:
        """Three-way merge with ``theirs_raw`` (the saved objects): absorb their objects this
        session left alone; the base becomes theirs (so a conflict, once reported, is this
        session's change to make)."""
        theirs_normal = self._normal(theirs_raw)
        result = merge.three_way(self._base, self._mine(), theirs_normal)
        for name in result.taken:
            self._absorb(name, theirs_raw.get(name))
        self._base, self._base_generation = theirs_normal, generation
        return result

    def _absorb(self, name: str, doc: Any) -> None:
        """Put another session's saved version of object ``name`` (None: removed) into the
        running configuration."""
        config = self.config
        if name == merge.IDENTITY:
            doc = doc or {}
            config.identity.hostname, config.identity.domain_name = doc.get("hostname"), doc.get("domain_name")
            return
        if name == merge.QUERY_MODE:
            config.query_mode = bool(doc)
            return
        if name == merge.CAPACITY:
            config.capacity = int(doc) if doc is not None else config.capacity
            return
        table = merge.table_of(name)
        if table is None:  # CA capabilities seen, per trustpoint
            caps_of = name.removeprefix(merge.caps_name(""))
            if doc is None:
                config.ca_caps_seen.pop(caps_of, None)
            else:
                config.ca_caps_seen[caps_of] = list(doc)
            return
        if table == "key_pairs":
            for key_id in [k for k, p in config.key_pairs.items()
                           if merge.object_name(table, key_pair_doc(p)) == name]:
                del config.key_pairs[key_id]
            if doc is not None:
                pair = key_pair_from_doc(doc, self.store, self.box)
                config.key_pairs[pair.key_id] = pair
        elif table == "trustpoints":
            for tp_name in [n for n, tp in config.trustpoints.items()
                            if merge.object_name(table, tp.to_doc()) == name]:
                del config.trustpoints[tp_name]
            if doc is not None:
                tp = trustpoint_from_doc(doc, self.box)
                config.trustpoints[tp.name] = tp
        elif table == "certificates":
            config.certificates = _replaced(config.certificates, table, name, doc, StoredCertificate.from_doc)
        elif table == "crls":
            config.crls = _replaced(config.crls, table, name, doc, CrlRecord.from_doc)
        else:
            config.peer_keys = _replaced(config.peer_keys, table, name, doc, PeerKey.from_doc)

    # -- pending transactions -------------------------------------------------------------------
    def _load_journal(self, saved: merge.Tables) -> None:
        """Pending transactions come from the journal (those an older pkitui kept in nvram.json
        are moved there). What a transaction needs and the running configuration lacks (its key
        pair, trustpoint and CA certificates, never saved) comes back from its entry, as unsaved
        changes."""
        entries = self.journal.entries()
        known = {e.pending.transaction_id for e in entries}
        key_docs = {d.get("key_id"): d for d in saved.get("key_pairs", {}).values() if isinstance(d, dict)}
        for legacy in self.config.pending:
            if legacy.transaction_id not in known:
                entry = JournalEntry(legacy, key_docs.get(legacy.key_id))
                try:
                    self.journal.write(entry)
                except OSError:
                    pass  # a read-only store: it stays in nvram.json until a save can move it
                entries.append(entry)
        config = self.config
        config.pending = [e.pending for e in entries]
        self._journaled = {e.pending.transaction_id for e in entries}
        for entry in entries:
            try:
                if entry.key_pair is not None and entry.pending.key_id not in config.key_pairs:
                    pair = key_pair_from_doc(entry.key_pair, self.store, self.box)
                    config.key_pairs[pair.key_id] = pair
                if entry.trustpoint is not None and entry.pending.trustpoint not in config.trustpoints:
                    tp = trustpoint_from_doc(entry.trustpoint, self.box)
                    config.trustpoints[tp.name] = tp
                    held = {merge.object_name("certificates", c.to_doc()) for c in config.certificates}
                    config.certificates += [StoredCertificate.from_doc(doc) for doc in entry.certificates
                                            if merge.object_name("certificates", doc) not in held]
            except (StoreError, KeyError, TypeError, ValueError):
                continue  # resuming then says what is missing

    def record_pending(self, pending: PendingEnrollment, pair: KeyPair) -> None:
        """Make a PENDING transaction durable on its own: its key file, then its journal entry
        (with the trustpoint and CA certificates it needs). Nothing else is saved."""
        config = self.config
        tp = config.trustpoints.get(pending.trustpoint)
        certificates = [c.to_doc() for c in config.certificates if c.trustpoint == pending.trustpoint
                        and c.role != "device"]
        try:
            with self.lock:
                self._write_key_file(pair)
                self.journal.write(JournalEntry(pending, key_pair_doc(pair), tp.to_doc() if tp else None,
                                                certificates))
                self._journaled.add(pending.transaction_id)
        except OSError as exc:
            raise StoreError(f"Cannot record the pending enrollment in {self.store.pending_dir}: "
                             f"{exc.strerror or exc}", "Check free disk space and permissions.") from None

    def finish_pending(self, pending: PendingEnrollment, produced: list[str]) -> None:
        """A journaled transaction ended: save what it produced (``produced``: object names, its key
        pair and certificate) with what it depends on that is not saved yet (its trustpoint and CA
        certificates), then drop its journal entry. Other unsaved changes stay unsaved."""
        with self.lock:
            if pending.transaction_id not in self._journaled:
                return
            if produced:
                mine = self._mine()
                context = [merge.object_name("trustpoints", tp.to_doc()) for tp in self.config.trustpoints.values()
                           if tp.name == pending.trustpoint]
                context += [merge.object_name("certificates", c.to_doc()) for c in self.config.certificates
                            if c.trustpoint == pending.trustpoint and c.role != "device"]
                context.append(merge.caps_name(pending.trustpoint))
                unsaved = [n for n in context if mine.get(n) != self._base.get(n)]
                self.save_objects(list(dict.fromkeys(produced + unsaved)))
            self.journal.remove(pending.transaction_id)
            self._journaled.discard(pending.transaction_id)

    def save_objects(self, names: list[str]) -> None:
        """Save only the named objects of the running configuration (merged into the latest saved
        configuration); every other unsaved change stays unsaved."""
        with self._saving():
            self._save_locked(only=set(names))


@dataclass
class Refresh:
    """What :meth:`Pki.refresh` took over from another session's save."""

    taken: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    saved_by: str = ""
    changes: dict[str, str] = field(default_factory=dict)


def _generation(tables: merge.Tables) -> int:
    """The save generation of saved ``tables`` (0 before the first save that counted them)."""
    return int(_meta(tables).get("generation") or 0)


def _meta(tables: merge.Tables) -> dict[str, Any]:
    meta: Any = next(iter(tables.get("meta", {}).values()), {})
    return meta if isinstance(meta, dict) else {}


def _replaced(items: list[Any], table: str, name: str, doc: Any, make: Any) -> list[Any]:
    """``items`` without the record called ``name``, plus ``make(doc)`` unless doc is None."""
    kept = [item for item in items if merge.object_name(table, item.to_doc()) != name]
    return kept + ([make(doc)] if doc is not None else [])


def _open_secret_box(store: Store, saved: dict[str, dict[str, Any]]) -> SecretBox:
    """The store's SecretBox, refusing clearly when the passphrase is missing, extra or wrong."""
    devices = saved.get("device")  # a damaged one is refused by from_tables (store_check)
    device: dict[str, Any] = next((d for d in devices.values() if isinstance(d, dict)), {}) \
        if isinstance(devices, dict) else {}
    mode = device.get("secret_mode")
    passphrase_set = bool(os.environ.get(PASSPHRASE_ENV))
    if mode == "passphrase" and not passphrase_set:
        raise StoreError(
            f"The store {store.root} is protected by a passphrase",
            f"Set {PASSPHRASE_ENV} to it (e.g. read -rs {PASSPHRASE_ENV}; export {PASSPHRASE_ENV}).",
        )
    if mode == "keyfile" and passphrase_set:
        raise StoreError(
            f"The store {store.root} was saved without a passphrase (its key is private/master.key)",
            f"Unset {PASSPHRASE_ENV} to open it.",
        )
    box = SecretBox.for_private_dir(store.private_dir, create=mode is None)
    if device.get("secret_check"):
        box.verify(device["secret_check"])
    return box

