"""The pending-enrollment journal: one durable file per SCEP transaction the CA answered PENDING.

A PENDING reply must survive a kill without saving the rest of the running configuration behind
the user's back, so pending transactions do not live in ``nvram.json``: each is a small JSON file
in ``pending/`` of the store, written atomically the moment the CA answers (and at each poll),
removed when the transaction ends. It carries what resuming needs even when none of it was ever
saved: the key pair record (its encrypted private key is written to ``private/`` first), the
trustpoint (without its challenge password) and the trustpoint's CA/RA certificates.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pkitui.core.errors import StoreError
from pkitui.core.records import PendingEnrollment
from pkitui.core.store_check import check_journal_entry

_NAME = re.compile(r"^[0-9a-f]{32}\.json$")


@dataclass
class JournalEntry:
    """A pending transaction and the records (as in ``nvram.json``) it needs to be resumed."""

    pending: PendingEnrollment
    key_pair: dict[str, Any] | None
    trustpoint: dict[str, Any] | None = None
    certificates: list[dict[str, Any]] = field(default_factory=list)


def entry_name(transaction_id: str) -> str:
    """The journal file of a transaction (a digest: transaction ids are the CA's business)."""
    return hashlib.sha256(transaction_id.encode()).hexdigest()[:32] + ".json"


class PendingJournal:
    """The ``pending/`` folder of a store."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, entry: JournalEntry) -> None:
        """Record (or update) a pending transaction, durably."""
        from pkitui.core.store import atomic_write

        doc = {"pending": entry.pending.to_doc(), "key_pair": entry.key_pair, "trustpoint": entry.trustpoint,
               "certificates": entry.certificates}
        atomic_write(self.folder / entry_name(entry.pending.transaction_id),
                     json.dumps(doc, sort_keys=True, indent=1).encode(), 0o600)

    def remove(self, transaction_id: str) -> None:
        """Forget a transaction that ended (issued, failed, cancelled or replaced)."""
        (self.folder / entry_name(transaction_id)).unlink(missing_ok=True)

    def entries(self) -> list[JournalEntry]:
        """Every recorded transaction, oldest first; a damaged file is a StoreError naming it."""
        found = []
        for path in sorted(self.folder.glob("*.json"), key=lambda p: (p.stat().st_mtime_ns, p.name)):
            if not _NAME.match(path.name) or not path.is_file():
                continue
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
                check_journal_entry(doc, path, self.folder.parent)  # types, enums, DER, confined file names
                pending = PendingEnrollment.from_doc(doc["pending"])
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise StoreError(
                    f"the pending enrollment record {path} is damaged ({exc})",
                    "Remove that file to forget the transaction (then enroll again), or restore it from a backup.",
                ) from None
            found.append(JournalEntry(pending, doc.get("key_pair"), doc.get("trustpoint"),
                                      doc.get("certificates") or []))
        return found

    def key_files(self) -> set[str]:
        """Private key files that recorded transactions need (never garbage)."""
        files = set()
        for path in self.folder.glob("*.json"):
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
                file = (doc.get("key_pair") or {}).get("file")
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(file, str):
                files.add(file)
        return files
