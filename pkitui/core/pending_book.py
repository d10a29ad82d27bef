"""This session's bookkeeping of pending SCEP transactions, kept in the store's journal
(:mod:`pkitui.core.journal`) rather than in ``nvram.json``.

At open the journal's transactions become the running configuration's pending list, with what
they need and the configuration lacks (key pair, trustpoint, CA certificates) as unsaved changes.
A PENDING reply is made durable on its own (:meth:`PendingBook.record`); a save keeps the key
files the journal names and drops the entries of transactions this session dropped.
"""

from __future__ import annotations

from pkitui.core import merge
from pkitui.core.config import RunningConfig, key_pair_doc, key_pair_from_doc, trustpoint_from_doc, write_key_file
from pkitui.core.errors import StoreError
from pkitui.core.journal import JournalEntry, PendingJournal
from pkitui.core.keys import KeyPair
from pkitui.core.records import PendingEnrollment, StoredCertificate
from pkitui.core.secrets import SecretBox
from pkitui.core.store import Store


class PendingBook:
    """Which pending transactions of the running configuration are in the store's journal."""

    def __init__(self, config: RunningConfig, store: Store, box: SecretBox) -> None:
        self._config = config
        self._store = store
        self._box = box
        self.journal = PendingJournal(store.pending_dir)
        self._journaled: set[str] = set()

    def load(self, saved: merge.Tables) -> None:
        """Pending transactions come from the journal (those an older pkitui kept in nvram.json
        are moved there). What a transaction needs and the running configuration lacks (its key
        pair, trustpoint and CA certificates, never saved) comes back from its entry, as unsaved
        changes."""
        entries = self.journal.entries()
        known = {e.pending.transaction_id for e in entries}
        key_docs = {d.get("key_id"): d for d in saved.get("key_pairs", {}).values() if isinstance(d, dict)}
        for legacy in self._config.pending:
            if legacy.transaction_id not in known:
                entry = JournalEntry(legacy, key_docs.get(legacy.key_id))
                try:
                    self.journal.write(entry)
                except OSError:
                    pass  # a read-only store: it stays in nvram.json until a save can move it
                entries.append(entry)
        config = self._config
        config.pending = [e.pending for e in entries]
        self._journaled = {e.pending.transaction_id for e in entries}
        for entry in entries:
            try:
                if entry.key_pair is not None and entry.pending.key_id not in config.key_pairs:
                    pair = key_pair_from_doc(entry.key_pair, self._store, self._box)
                    config.key_pairs[pair.key_id] = pair
                if entry.trustpoint is not None and entry.pending.trustpoint not in config.trustpoints:
                    tp = trustpoint_from_doc(entry.trustpoint, self._box)
                    config.trustpoints[tp.name] = tp
                    held = {merge.object_name("certificates", c.to_doc()) for c in config.certificates}
                    config.certificates += [StoredCertificate.from_doc(doc) for doc in entry.certificates
                                            if merge.object_name("certificates", doc) not in held]
            except (StoreError, KeyError, TypeError, ValueError):
                continue  # resuming then says what is missing

    def reload(self) -> None:
        """Take over the journal as it is now: another process (the console, a script, the agent)
        may have started or ended transactions since this session read it. The caller holds the
        session's lock."""
        self._config.pending = [p for p in self._config.pending if p.transaction_id not in self._journaled]
        self.load({})

    def record(self, pending: PendingEnrollment, pair: KeyPair) -> None:
        """Make a PENDING transaction durable on its own: its key file, then its journal entry
        (with the trustpoint and CA certificates it needs). Nothing else is saved. The caller
        holds the session's lock."""
        config = self._config
        tp = config.trustpoints.get(pending.trustpoint)
        certificates = [c.to_doc() for c in config.certificates if c.trustpoint == pending.trustpoint
                        and c.role != "device"]
        try:
            write_key_file(self._store, self._box, pair)
            self.journal.write(JournalEntry(pending, key_pair_doc(pair), tp.to_doc() if tp else None,
                                            certificates))
        except OSError as exc:
            raise StoreError(f"Cannot record the pending enrollment in {self._store.pending_dir}: "
                             f"{exc.strerror or exc}", "Check free disk space and permissions.") from None
        self._journaled.add(pending.transaction_id)

    def holds(self, transaction_id: str) -> bool:
        """True when the transaction is in the journal (recorded or loaded by this session)."""
        return transaction_id in self._journaled

    def drop(self, transaction_id: str) -> None:
        """The transaction ended: remove its journal entry."""
        self.journal.remove(transaction_id)
        self._journaled.discard(transaction_id)

    def drop_abandoned(self) -> None:
        """After a full save: drop the entries of transactions the running configuration no longer
        has (its trustpoint removed, ...)."""
        for tid in self._journaled - {p.transaction_id for p in self._config.pending}:
            self.drop(tid)

    def key_files(self) -> set[tuple[str, str]]:
        """The store files (``("private", name)``) the journal needs: a save must not remove them."""
        return {("private", name) for name in self.journal.key_files()}
