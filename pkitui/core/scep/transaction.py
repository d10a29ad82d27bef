"""One SCEP transaction carried to its end with what it produces kept: the polls of a PENDING
reply (:func:`~pkitui.core.scep.enroll.run_transaction`, signed with the signer pair a renewal
names), each PENDING state journaled at once (:class:`PendingRecorder`), the issued certificate
held (replacing the key pair's previous one) and a journaled transaction's outcome saved on its
own when it ends. The running configuration is changed under the core's lock, never while waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from pkitui.core.config import key_pair_doc
from pkitui.core.errors import KeyPairError
from pkitui.core.merge import object_name
from pkitui.core.records import CertRole, PendingEnrollment, StoredCertificate
from pkitui.core.scep.ca import der_of
from pkitui.core.scep.enroll import EnrollmentEvent, EnrollmentResult, EnrollmentState, Exchange, run_transaction

if TYPE_CHECKING:
    from cryptography import x509

    from pkitui.core.config import RunningConfig
    from pkitui.core.keys import KeyPair
    from pkitui.core.scep.certrep import CertRep


class PendingRecorder(Protocol):
    """Where pending transactions are made durable (the store's journal, ``Pki``)."""

    def record_pending(self, pending: PendingEnrollment, pair: KeyPair) -> None:
        """Journal a PENDING transaction with its key pair; nothing else is saved."""

    def finish_pending(self, pending: PendingEnrollment, produced: list[str]) -> None:
        """A journaled transaction ended: save the objects it ``produced``, drop its entry."""


class TransactionRunner:
    """Carries the transactions of one configuration to their end; ``journal`` makes pending ones
    durable, ``lock`` is the core's lock (held while changing the configuration, never while waiting)."""

    def __init__(self, config: RunningConfig, lock: threading.RLock, journal: PendingRecorder) -> None:
        self._config = config
        self._lock = lock
        self._journal = journal

    def run(self, ex: Exchange, pending: PendingEnrollment, pair: KeyPair, rep: CertRep | None,
            emit: Callable[[EnrollmentEvent], None], stop: threading.Event) -> EnrollmentResult:
        """Poll ``pending`` (from ``rep``, its first reply, or None: poll now) until it is issued,
        refused, or the exchange's retries or ``stop`` end the waits; what it produced is kept."""
        config = self._config

        def persist() -> None:
            with self._lock:
                if pending not in config.pending:
                    config.pending = [p for p in config.pending if p.key_id != pending.key_id
                                      or p.trustpoint != pending.trustpoint] + [pending]
                self._journal.record_pending(pending, pair)

        key = pair.private_key
        signer_id = pending.extra.get("signer_key_id")
        if signer_id:  # a RenewalReq for a new key: signed with the old pair, which must still be there
            signer_pair = config.key_pairs.get(str(signer_id))
            if signer_pair is None:
                raise KeyPairError(f"Pending renewal for {pending.trustpoint} is signed with key pair {signer_id!r}, "
                                   "which no longer exists", f"Enroll again: crypto pki enroll {pending.trustpoint}")
            key = signer_pair.private_key
        # Messages are sent under the lock (LockedExchange), the waits between polls outside it.
        result, _ = run_transaction(ex, pending, key, pair.public_der, rep,
                                    on_event=emit, cancel=stop, persist=persist)
        with self._lock:
            if result.state in (EnrollmentState.ISSUED, EnrollmentState.FAILED):
                config.pending = [p for p in config.pending if p is not pending
                                  and p.transaction_id != pending.transaction_id]
            produced: list[str] = []
            if result.certificate is not None:
                produced = self._store_device(pending.trustpoint, pair, result.certificate)
            if result.state != EnrollmentState.PENDING:
                # A transaction that outlived a PENDING reply was journaled: what it produced (the
                # key pair and certificate) is saved on its own, then its journal entry goes.
                self._journal.finish_pending(pending, produced)
        result.warnings = list(dict.fromkeys(ex.warnings + result.warnings))
        return result

    def _store_device(self, name: str, pair: KeyPair, cert: x509.Certificate) -> list[str]:
        """Hold the issued certificate (replacing the key pair's previous one); the names of the
        objects that changed (see :mod:`pkitui.core.merge`)."""
        config = self._config
        config.key_pairs.setdefault(pair.key_id, pair)  # a pair only the journal held comes back
        old = [c for c in config.certificates
               if c.trustpoint == name and c.role == CertRole.DEVICE and c.key_id == pair.key_id]
        new = StoredCertificate.from_der(name, CertRole.DEVICE, der_of(cert), key_id=pair.key_id)
        config.certificates = [c for c in config.certificates if not any(c is o for o in old)] + [new]
        return ([object_name("key_pairs", key_pair_doc(pair))]
                + [object_name("certificates", c.to_doc()) for c in [*old, new]])
