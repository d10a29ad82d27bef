"""``pki.renewal``: ``auto-enroll [PERCENT] [regenerate]``, when a trustpoint's certificate is due
for renewal and renewing it without a person (the agent's work; IOS's PKI renew timer).

Renewal is the existing enrollment (:meth:`~pkitui.core.scep.service.ScepService.enroll`): a key
pair holding a valid certificate sends a RenewalReq signed with it when the CA advertises Renewal,
else a PKCSReq; PENDING, ``enrollment retry count`` and ``retry period`` are the enrollment's (a
PENDING transaction is journaled and resumed by the next :meth:`RenewalService.renew`). The
challenge password is the trustpoint's: nobody is there to type one.

With ``regenerate`` the new key pair is generated under a temporary label
(:func:`renewal_label`) and enrolled (a RenewalReq signed with the old certificate and key when the
CA advertises Renewal, else a PKCSReq); the old pair and its certificate stay in use until every new
pair holds its certificate, then they are removed and the new pairs take the label. A refusal
removes the new pairs and leaves the old ones untouched.

What a renewal produced (key pairs, certificates, the CA capabilities seen) is saved on its own
(``Pki.save_objects``), merged into what other sessions saved; nothing else is saved.
"""

from __future__ import annotations

import dataclasses
import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pkitui.core import merge
from pkitui.core.clock import Clock
from pkitui.core.config import RunningConfig, key_pair_doc
from pkitui.core.errors import PkiError
from pkitui.core.keys import KeyPair
from pkitui.core.records import CertRole, StoredCertificate
from pkitui.core.trustpoints import Trustpoint

if TYPE_CHECKING:
    from cryptography import x509

    from pkitui.core.scep.enroll import EnrollmentEvent, EnrollmentResult
    from pkitui.core.scep.plan import RequestAnswers
    from pkitui.core.scep.service import ScepService

RENEWAL_SUFFIX = ".renewal"  # the temporary label of regenerated keys: LABEL.renewal


def renewal_label(label: str) -> str:
    """The temporary label a ``regenerate`` renewal generates its key pairs under (a label stays
    within the 64 characters the store accepts)."""
    return f"{label[:64 - len(RENEWAL_SUFFIX)]}{RENEWAL_SUFFIX}"


class RenewalOutcome(enum.StrEnum):
    """How one :meth:`RenewalService.renew` ended."""

    RENEWED = "renewed"  # every key pair holds a new certificate (saved)
    PENDING = "pending"  # the CA has not decided: journaled, polled again by the next renew
    FAILED = "failed"  # refused, unreachable or not possible (``message`` says why)
    NOT_DUE = "not due"  # nothing to do now (``message`` says why; ``due`` when it will be)


@dataclass
class RenewalResult:
    """What :meth:`RenewalService.renew` did for one trustpoint."""

    trustpoint: str
    outcome: RenewalOutcome
    message: str
    due: datetime | None = None  # the renewal time of the certificate renewed (or not yet due)
    regenerated: bool = False  # new key pairs took the label
    enrollments: list[EnrollmentResult] = field(default_factory=list)
    certificates: list[x509.Certificate] = field(default_factory=list)  # the new certificates
    saved: list[str] = field(default_factory=list)  # the objects saved (see pkitui.core.merge)

    @property
    def ok(self) -> bool:
        """True when the certificate was renewed."""
        return self.outcome == RenewalOutcome.RENEWED


class RenewalService:
    """``auto-enroll`` on the trustpoints of one configuration."""

    def __init__(self, config: RunningConfig, trustpoint: Callable[[str], Trustpoint], clock: Clock, *,
                 scep: Callable[[], ScepService], save_objects: Callable[[list[str]], None],
                 lock: threading.RLock, remove_files: Callable[[set[tuple[str, str]]], None] | None = None,
                 revoked: Callable[[str], bool] | None = None) -> None:
        """``scep`` gives the enrollment service (built on first use); ``save_objects`` saves the
        named objects alone (``Pki.save_objects``); ``lock`` is the core's lock; ``remove_files``
        removes store files by (area, name): the old private key once ``regenerate`` replaced it
        (a save of named objects leaves files alone); ``revoked`` tells whether a trustpoint's newest
        certificate of ours is revoked per the CRL held (``certificates.newest_own_revoked``): such a
        certificate is not due for renewal (the CA revoked it on purpose)."""
        self._config = config
        self._revoked = revoked
        self._trustpoint = trustpoint
        self._clock = clock
        self._scep = scep
        self._save_objects = save_objects
        self._lock = lock
        self._remove_files = remove_files

    def _tp(self, tp: str | Trustpoint) -> Trustpoint:
        return tp if isinstance(tp, Trustpoint) else self._trustpoint(tp)

    # -- when -----------------------------------------------------------------------------------
    def device_certificates(self, tp: str | Trustpoint) -> dict[str, x509.Certificate]:
        """The certificate each key pair of ``tp`` holds now (by key id; the one valid longest),
        whether or not it has expired; pairs without one are left out."""
        from cryptography import x509

        trustpoint = self._tp(tp)
        label = trustpoint.rsakeypair or self._config.identity.fqdn
        key_ids = {p.key_id for p in self._config.key_pairs.values() if p.label == label}
        found: dict[str, x509.Certificate] = {}
        for rec in self._config.certificates:
            if rec.trustpoint == trustpoint.name and rec.role == CertRole.DEVICE and rec.key_id in key_ids \
                    and rec.der is not None and not rec.orphaned:
                cert = x509.load_der_x509_certificate(rec.der)
                held = found.get(rec.key_id)
                if held is None or cert.not_valid_after_utc > held.not_valid_after_utc:
                    found[rec.key_id] = cert
        return found

    def due_by_key(self, tp: str | Trustpoint) -> dict[str, datetime]:
        """When each key pair's certificate is due for renewal (``auto-enroll PERCENT``: notBefore
        plus PERCENT of its lifetime; without PERCENT, its notAfter, as IOS); empty without
        ``auto-enroll``, without a certificate, or when the newest one is revoked."""
        trustpoint = self._tp(tp)
        if trustpoint.auto_enroll is None or (self._revoked is not None and self._revoked(trustpoint.name)):
            return {}
        percent = trustpoint.auto_enroll.percent
        return {key_id: renewal_time(cert.not_valid_before_utc, cert.not_valid_after_utc, percent)
                for key_id, cert in self.device_certificates(trustpoint).items()}

    def due(self, tp: str | Trustpoint) -> datetime | None:
        """When ``tp``'s certificate is due for renewal (the earliest of its key pairs'), or None
        without ``auto-enroll`` or without a device certificate."""
        times = self.due_by_key(tp).values()
        return min(times) if times else None

    # -- renewing -------------------------------------------------------------------------------
    def renew(self, tp: str | Trustpoint, on_event: Callable[[EnrollmentEvent], None] | None = None,
              cancel: threading.Event | None = None, *, force: bool = False) -> RenewalResult:
        """Renew ``tp``'s certificate if it is due (``force``: even before, or without
        ``auto-enroll``); a pending renewal is polled instead. Never raises a PkiError: the result
        says what happened and why. Do not call it holding the core's lock (enrollment waits)."""
        trustpoint = self._tp(tp)
        try:
            return self._renew(trustpoint, on_event, cancel, force)
        except PkiError as exc:
            return RenewalResult(trustpoint.name, RenewalOutcome.FAILED, _text(exc))

    def _renew(self, trustpoint: Trustpoint, on_event: Callable[[EnrollmentEvent], None] | None,
               cancel: threading.Event | None, force: bool) -> RenewalResult:
        name = trustpoint.name
        scep = self._scep()
        with self._lock:
            before = self._snapshot(name)
            due = self.due(trustpoint)
            resuming = bool(scep.pending(name))
        regenerate = bool(trustpoint.auto_enroll and trustpoint.auto_enroll.regenerate)
        if not resuming:
            with self._lock:
                # A regenerated pair whose certificate came in with a poll the last time: switch now.
                switched = self._switch_to_renewed(trustpoint)
            if switched:
                return self._finish(trustpoint, before, RenewalOutcome.RENEWED,
                                    "new key pair(s) issued earlier switched to", due, regenerated=True)
            refusal = self._not_now(trustpoint, due, force)
            if refusal is not None:
                return refusal
        request_tp = trustpoint
        if regenerate and not resuming:
            with self._lock:
                request_tp = self._generate_renewal_keys(trustpoint)
        try:
            # regenerate: the new pair's request is a RenewalReq signed with the old certificate and
            # key when the CA advertises Renewal (RFC 8894 allows it for a new key), else a PKCSReq.
            results = scep.enroll(request_tp, password=trustpoint.password, answers=_answers(trustpoint),
                                  on_event=on_event, cancel=cancel,
                                  renew_with=self._label(trustpoint) if regenerate and not resuming else None)
        except PkiError as exc:
            with self._lock:
                if regenerate and not resuming:
                    self._drop_renewal_keys(trustpoint)
            return RenewalResult(name, RenewalOutcome.FAILED, _text(exc), due)
        return self._conclude(trustpoint, before, due, results, regenerate)

    def _not_now(self, tp: Trustpoint, due: datetime | None, force: bool) -> RenewalResult | None:
        """Why ``tp`` is not renewed now (None: go ahead)."""
        name = tp.name
        if tp.auto_enroll is None and not force:
            return RenewalResult(name, RenewalOutcome.NOT_DUE, f"auto-enroll is not configured on trustpoint {name}")
        if not self.device_certificates(tp):
            return RenewalResult(name, RenewalOutcome.NOT_DUE,
                                 f"trustpoint {name} holds no certificate to renew: crypto pki enroll {name}")
        if due is not None and due > self._clock.now() and not force:
            return RenewalResult(name, RenewalOutcome.NOT_DUE, f"renewal due at {due.isoformat(timespec='seconds')}",
                                 due)
        if tp.enrollment_terminal or not tp.enrollment_url:
            return RenewalResult(name, RenewalOutcome.FAILED,
                                 f"trustpoint {name} has no enrollment url: auto-enroll renews over SCEP", due)
        if tp.password is None:
            return RenewalResult(name, RenewalOutcome.FAILED,
                                 f"trustpoint {name} has no challenge password and nobody can be asked for one: "
                                 f"configure it (crypto pki trustpoint {name} / password SECRET) "
                                 f"or renew by hand (crypto pki enroll {name})", due)
        return None

    def _conclude(self, tp: Trustpoint, before: dict[str, Any], due: datetime | None,
                  results: list[EnrollmentResult], regenerate: bool) -> RenewalResult:
        from pkitui.core.scep.enroll import EnrollmentState

        failed = [r for r in results if r.state == EnrollmentState.FAILED]
        pending = [r for r in results if r.state == EnrollmentState.PENDING]
        if failed or not results:
            with self._lock:
                if regenerate:
                    self._drop_renewal_keys(tp)
            why = "; ".join(f"{r.key_id}: {r.message or r.fail_info or 'refused'}" for r in failed) or "cancelled"
            result = self._finish(tp, before, RenewalOutcome.FAILED, f"the CA did not renew: {why}", due,
                                  save=not regenerate)
        elif pending:
            result = self._finish(tp, before, RenewalOutcome.PENDING,
                                  "the CA has not decided yet: "
                                  + ", ".join(f"{r.key_id} transaction {r.transaction_id}" for r in pending), due)
        else:
            switched = False
            if regenerate:
                with self._lock:
                    switched = self._switch_to_renewed(tp)
            result = self._finish(tp, before, RenewalOutcome.RENEWED,
                                  "new certificate(s) issued" + (" for a new key pair" if switched else ""),
                                  due, regenerated=switched)
        result.enrollments = results
        result.certificates = [r.certificate for r in results if r.certificate is not None]
        return result

    def _finish(self, tp: Trustpoint, before: dict[str, Any], outcome: RenewalOutcome, message: str,
                due: datetime | None, *, regenerated: bool = False, save: bool = True) -> RenewalResult:
        """The result, with what changed saved on its own."""
        result = RenewalResult(tp.name, outcome, message, due, regenerated=regenerated)
        if not save:
            return result
        with self._lock:
            after = self._snapshot(tp.name)
            names = [n for n in dict.fromkeys([*before, *after]) if before.get(n) != after.get(n)]
            if names:
                names.append(merge.caps_name(tp.name))
                try:
                    self._save_objects(names)
                except PkiError as exc:
                    result.message += f"; not saved: {_text(exc)}"
                    return result
                if regenerated and self._remove_files is not None:  # the replaced private keys, now saved away
                    self._remove_files(merge.files_of(before) - merge.files_of(after))
            result.saved = names
        return result

    def _snapshot(self, name: str) -> dict[str, Any]:
        """The key pairs and ``name``'s certificates by object name (what a renewal may change)."""
        docs = {merge.object_name("key_pairs", d): d for d in map(key_pair_doc, self._config.key_pairs.values())}
        docs |= {merge.object_name("certificates", d): d for d in
                 (c.to_doc() for c in self._config.certificates if c.trustpoint == name)}
        return docs

    # -- regenerate -----------------------------------------------------------------------------
    def _label(self, tp: Trustpoint) -> str:
        return tp.rsakeypair or self._config.identity.require_fqdn("renewing")

    def _generate_renewal_keys(self, tp: Trustpoint) -> Trustpoint:
        """New key pairs like the current ones (usage, modulus, exportable) under the temporary
        label; ``tp`` as the request sees it (its rsakeypair the temporary label)."""
        from pkitui.core.keys import generate_rsa_private_key

        label = self._label(tp)
        temp = renewal_label(label)
        self._drop_renewal_keys(tp)  # a leftover of an interrupted run
        now = self._clock.now().isoformat(timespec="seconds")
        for old in [p for p in self._config.key_pairs.values() if p.label == label]:
            pair = KeyPair(temp, old.usage, generate_rsa_private_key(old.modulus), created=now,
                           exportable=old.exportable)
            self._config.key_pairs[pair.key_id] = pair
        return dataclasses.replace(tp, rsakeypair=temp)

    def _drop_renewal_keys(self, tp: Trustpoint) -> None:
        """Remove the temporary key pairs and whatever certificate they got (the old pair stays)."""
        temp = renewal_label(self._label(tp))
        doomed = {k for k, p in self._config.key_pairs.items() if p.label == temp}
        for key_id in doomed:
            del self._config.key_pairs[key_id]
        self._config.certificates = [c for c in self._config.certificates if c.key_id not in doomed]

    def _switch_to_renewed(self, tp: Trustpoint) -> bool:
        """When every temporary key pair holds a valid certificate: remove the old pairs and their
        certificates, and give the new pairs the label. False (nothing changed) otherwise."""
        from cryptography import x509

        label = self._label(tp)
        temp = renewal_label(label)
        new = [p for p in self._config.key_pairs.values() if p.label == temp]
        now = self._clock.now()

        def issued(pair: KeyPair) -> bool:
            return any(c.trustpoint == tp.name and c.role == CertRole.DEVICE and c.key_id == pair.key_id
                       and c.der is not None
                       and x509.load_der_x509_certificate(c.der).not_valid_after_utc > now
                       for c in self._config.certificates)

        if not new or not all(issued(p) for p in new):
            return False
        old_ids = {k for k, p in self._config.key_pairs.items() if p.label == label}
        for key_id in old_ids:
            del self._config.key_pairs[key_id]
        renamed: dict[str, str] = {}
        for pair in new:
            del self._config.key_pairs[pair.key_id]
            temp_id = pair.key_id
            pair.label = label
            renamed[temp_id] = pair.key_id
            self._config.key_pairs[pair.key_id] = pair
        kept: list[StoredCertificate] = []
        for cert in self._config.certificates:
            if cert.key_id in old_ids:
                continue  # the old pair's certificates go with it
            kept.append(dataclasses.replace(cert, key_id=renamed[cert.key_id]) if cert.key_id in renamed else cert)
        self._config.certificates = kept
        return True


def renewal_time(not_before: datetime, not_after: datetime, percent: int | None) -> datetime:
    """When a certificate valid from ``not_before`` to ``not_after`` is renewed: after ``percent``
    of its lifetime (None: at ``not_after``, as IOS's ``auto-enroll`` without a percentage)."""
    if percent is None:
        return not_after
    return not_before + (not_after - not_before) * percent / 100


def _answers(tp: Trustpoint) -> RequestAnswers:
    """What a person would have answered to IOS's questions, for a renewal nobody watches: the
    trustpoint's password, no serial number and no address unless the trustpoint configures them."""
    from pkitui.core.scep.plan import RequestAnswers

    return RequestAnswers(password=tp.password, serial_number=False, ip_address=None)


def _text(exc: PkiError) -> str:
    """An error on one line: what was wrong, then what to do."""
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message
