"""Saving the running configuration to NVRAM beside other sessions: what this session last read
or wrote (its base), the save merged object by object with what others saved since
(:mod:`pkitui.core.merge`), a save of some objects only, and taking over others' saves.

:class:`Saver` is what ``Pki.save``, ``Pki.refresh``, ``Pki.dirty`` and the pending journal's
saves delegate to; the pending transactions themselves are kept by
:class:`~pkitui.core.pending_book.PendingBook`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from pkitui.core import merge, nvram
from pkitui.core.config import (RunningConfig, key_pair_doc, key_pair_from_doc, to_tables, trustpoint_from_doc,
                                write_key_file)
from pkitui.core.errors import CapacityError, StoreError
from pkitui.core.held import HeldDer
from pkitui.core.pending_book import PendingBook
from pkitui.core.records import CertificateMapEntry, CrlRecord, PeerKey, PendingEnrollment, StoredCertificate
from pkitui.core.schema import SCHEMA_VERSION
from pkitui.core.secrets import SecretBox
from pkitui.core.store import Store


@dataclass
class Refresh:
    """What :meth:`Saver.refresh` (``Pki.refresh``) took over from another session's save."""

    taken: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    saved_by: str = ""
    changes: dict[str, str] = field(default_factory=dict)


class Saver:
    """This session's saves of one store: the base it merges against, and the save generation,
    file stamp and writer name other sessions see."""

    def __init__(self, config: RunningConfig, store: Store, box: SecretBox, lock: threading.RLock,
                 pending: PendingBook, held: HeldDer, saved: merge.Tables) -> None:
        """``saved``: the tables the running configuration was built from; ``lock``: the session's
        (one save, refresh or journal change at a time); ``held``: where DER a save drops from
        NVRAM is kept for the session."""
        self._config = config
        self._store = store
        self._box = box
        self._lock = lock
        self._pending = pending
        self._held = held
        # Who saves, as another session's conflict message names it (the front ends say who they are).
        self.writer = "the Python API"
        self._base: merge.ObjectMap = self._normal(merge.to_objects(saved))
        self._base_generation = _generation(saved)  # the save generation the base is
        self.saved_stamp = store.stamp()

    @property
    def dirty(self) -> bool:
        """True when the running configuration differs from the saved one."""
        return self._mine() != self._base

    def _normal(self, objects: merge.ObjectMap) -> merge.ObjectMap:
        return merge.normalise(objects, self._box.open)

    def _mine(self) -> merge.ObjectMap:
        """The running configuration as named objects in normal form (its records are already
        what their classes write, and passwords are digests: no round trip needed)."""
        return merge.canonical(merge.to_objects(to_tables(self._config, None)))

    def save(self) -> nvram.NvramUsage:
        """``Pki.save``: see there."""
        with self._saving():
            return self._save_locked()

    def save_objects(self, names: list[str]) -> None:
        """Save only the named objects of the running configuration (merged into the latest saved
        configuration); every other unsaved change stays unsaved."""
        with self._saving():
            self._save_locked(only=set(names))

    @contextlib.contextmanager
    def _saving(self) -> Iterator[None]:
        """Hold this session's lock and the store's save lock; a failed write is a StoreError."""
        try:
            with self._lock, self._store.locked():
                yield
        except OSError as exc:
            raise StoreError(
                f"Cannot write the NVRAM store {self._store.root}: {exc.strerror or exc}",
                "Check free disk space and permissions; the previously saved configuration is intact.",
            ) from None

    def _save_locked(self, only: set[str] | None = None) -> nvram.NvramUsage:
        """The save, under both locks. ``only``: save just these objects (by name) into the latest
        saved configuration, leaving every other change unsaved (no merge, no capacity check)."""
        theirs = self._read_saved()
        theirs_raw = merge.to_objects(theirs)
        config = self._config
        if only is None and _generation(theirs) != self._base_generation:  # else theirs is the base
            rebased = self._rebase(theirs_raw, _generation(theirs))
            if rebased.conflicts:
                raise merge.SaveConflict(rebased.conflicts, _meta(theirs).get("changes") or {})
        use = nvram.usage(config, self._store.private_dir)
        if only is None and use.total > use.capacity:
            raise CapacityError(
                f"Not enough NVRAM: the configuration needs {use.total} bytes of {use.capacity}",
                "Enable query mode (crypto ca certificate query), zeroize unused keys or raise the capacity.",
            )
        certs, crls = config.certificates, config.crls
        if config.query_mode or use.dropped_for_capacity:
            self._held.remember(certs)  # dropped from NVRAM, their DER stays in memory
        if config.query_mode:
            certs = [c if c.der is None or nvram.kept_in_query_mode(c.role) else replace(c, der=None) for c in certs]
            crls = []
        if use.dropped_for_capacity:  # seed: NVRAM too small for a root certificate -> fingerprint only
            certs = [replace(c, der=None) if c.sha256 in use.dropped_for_capacity else c for c in certs]
        to_save = replace(config, certificates=certs, crls=crls)
        ours = merge.to_objects(to_tables(to_save, self._box))
        ours_normal = merge.canonical(merge.to_objects(to_tables(to_save, None)))
        names = set(ours) | set(self._base) if only is None else only
        for pair in to_save.key_pairs.values():
            if merge.object_name("key_pairs", key_pair_doc(pair)) in names:
                write_key_file(self._store, self._box, pair)
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
        self._store.remove_files(merge.files_of(theirs_raw) - merge.files_of(written) - self._pending.key_files())
        self._pending.drop_abandoned()  # transactions this session dropped (trustpoint removed, ...)
        self._base, self._base_generation = ours_normal, generation
        return nvram.usage(config, self._store.private_dir) if config.query_mode or use.dropped_for_capacity else use

    def _read_saved(self) -> merge.Tables:
        """The latest saved configuration, checked like at open (another process, or a hand, may
        have written it since)."""
        from pkitui.core.store_check import check_tables

        tables = self._store.read_tables()
        check_tables(tables, self._store.root)
        return tables

    def _write(self, theirs: merge.Tables, objects: merge.ObjectMap, changed: list[str]) -> int:
        """Write ``objects`` as the saved configuration, one generation after ``theirs``; that
        generation."""
        tables = merge.to_tables(objects, {"schema": SCHEMA_VERSION, "secret_mode": self._box.mode,
                                           "secret_check": self._box.check_token()})
        tables["meta"] = {"1": merge.record_changes(_meta(theirs), sorted(changed), merge.writer_text(self.writer),
                                                   merge.now_text())}
        self._store.write_tables(tables)
        self.saved_stamp = self._store.stamp()
        return _generation(tables)

    # -- other sessions' saves ------------------------------------------------------------------
    def store_changed(self) -> bool:
        """True when another process saved the store since this session last read or wrote it."""
        return self._store.stamp() != self.saved_stamp

    def refresh(self) -> Refresh:
        """``Pki.refresh``: see there."""
        with self._lock:
            stamp = self._store.stamp()
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
        config = self._config
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
                pair = key_pair_from_doc(doc, self._store, self._box)
                config.key_pairs[pair.key_id] = pair
        elif table == "trustpoints":
            for tp_name in [n for n, tp in config.trustpoints.items()
                            if merge.object_name(table, tp.to_doc()) == name]:
                del config.trustpoints[tp_name]
            if doc is not None:
                tp = trustpoint_from_doc(doc, self._box)
                config.trustpoints[tp.name] = tp
        elif table == "certificates":
            config.certificates = _replaced(config.certificates, table, name, doc, StoredCertificate.from_doc)
        elif table == "crls":
            config.crls = _replaced(config.crls, table, name, doc, CrlRecord.from_doc)
        elif table == "certificate_maps":
            config.certificate_maps = _replaced(config.certificate_maps, table, name, doc, CertificateMapEntry.from_doc)
        else:
            config.peer_keys = _replaced(config.peer_keys, table, name, doc, PeerKey.from_doc)

    # -- the pending journal's saves --------------------------------------------------------------
    def finish_pending(self, pending: PendingEnrollment, produced: list[str]) -> None:
        """``Pki.finish_pending``: save what a journaled transaction produced (``produced``: object
        names) with what it depends on that is not saved yet (its trustpoint and CA certificates),
        then drop its journal entry. Other unsaved changes stay unsaved."""
        with self._lock:
            if not self._pending.holds(pending.transaction_id):
                return
            if produced:
                mine = self._mine()
                config = self._config
                context = [merge.object_name("trustpoints", tp.to_doc()) for tp in config.trustpoints.values()
                           if tp.name == pending.trustpoint]
                context += [merge.object_name("certificates", c.to_doc()) for c in config.certificates
                            if c.trustpoint == pending.trustpoint and c.role != "device"]
                context.append(merge.caps_name(pending.trustpoint))
                unsaved = [n for n in context if mine.get(n) != self._base.get(n)]
                self.save_objects(list(dict.fromkeys(produced + unsaved)))
            self._pending.drop(pending.transaction_id)


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
