"""``pki.scep``: enroll a trustpoint's key pairs and poll pending requests (RFC 8894); GetCRL.

The CA certificate is trusted first, by :mod:`pkitui.core.ca_trust`. Nothing a CA sends is stored
before it passed every check (see :mod:`pkitui.core.scep.certrep`). Changes go to the running
configuration, except pending transactions: those are journaled at once
(:meth:`PendingRecorder.record_pending`, nothing else saved) so that a restarted process resumes
polling (:meth:`ScepService.resume_pending`); the key pair and certificate a journaled transaction
ends with are saved on their own (:meth:`PendingRecorder.finish_pending`).

Locking (one rule for every front end): the service holds the core's lock (``Pki.lock``, which
``Pki.save`` takes too) while it reads or changes the configuration, builds and sends a request
and records or stores what came back; never while it waits (a poll's retry period, a transport
retry, a person typing the challenge password). A caller must not hold the lock around
:meth:`ScepService.enroll` or :meth:`ScepService.resume_pending`: a save during a PENDING wait of
minutes then goes through at once.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pkitui.core.clock import Clock
from pkitui.core.config import RunningConfig, key_pair_doc
from pkitui.core.errors import KeyPairError, PkiError, ScepError, TrustpointError
from pkitui.core.keys import KeyPair, Usage, generate_rsa_private_key
from pkitui.core.merge import object_name
from pkitui.core.records import RA_ROLES, CertRole, PendingEnrollment, StoredCertificate, b64
from pkitui.core.scep.ca import der_of
from pkitui.core.scep.caps import note_caps
from pkitui.core.scep.certrep import CertRep
from pkitui.core.scep.enroll import EnrollmentEvent, EnrollmentResult, EnrollmentState, Exchange, run_transaction
from pkitui.core.scep.manual import ManualRequest, manual_requests
from pkitui.core.scep.messages import get_cert_content, get_crl_content, new_transaction_id, self_signed_signer
from pkitui.core.scep.plan import EnrollmentPlan, EnrollmentQuestion, RequestAnswers, request_trustpoint
from pkitui.core.dn import ios_dn
from pkitui.core.scep.messages import message_digest
from pkitui.core.scep.request import request_csr, request_subject
from pkitui.core.scep.transport import ScepSettings, ScepTransport
from pkitui.core.trustpoints import Trustpoint


class PendingRecorder(Protocol):
    """Where pending transactions are made durable (the store's journal, ``Pki``)."""

    def record_pending(self, pending: PendingEnrollment, pair: KeyPair) -> None:
        """Journal a PENDING transaction with its key pair; nothing else is saved."""

    def finish_pending(self, pending: PendingEnrollment, produced: list[str]) -> None:
        """A journaled transaction ended: save the objects it ``produced``, drop its entry."""


@dataclass
class _LockedExchange(Exchange):
    """An :class:`Exchange` whose every message (build, send, verify) runs under the core's lock;
    the polls' waits between messages (in :func:`run_transaction`) stay outside it."""

    lock: threading.RLock = field(default_factory=threading.RLock)

    def send(self, message_type: str, inner: bytes, *, signer: x509.Certificate, key: rsa.RSAPrivateKey,
             transaction_id: str, public_keys: list[bytes], want_crl: bool = False) -> CertRep:
        """Build, send and verify one pkiMessage, holding the lock."""
        with self.lock:
            return super().send(message_type, inner, signer=signer, key=key, transaction_id=transaction_id,
                                public_keys=public_keys, want_crl=want_crl)


class ScepService:
    """SCEP enrollment on the trustpoints of one configuration.

    ``timeout`` and ``seconds_per_retry_minute`` are the shared :class:`ScepSettings` (CA
    authentication uses the same).
    """

    def __init__(self, config: RunningConfig, trustpoint: Callable[[str], Trustpoint], settings: ScepSettings,
                 clock: Clock, *, ca_certificate: Callable[[str], x509.Certificate],
                 journal: PendingRecorder, lock: threading.RLock | None = None) -> None:
        """``ca_certificate`` gives a trustpoint's CA certificate (fetched again when only its
        fingerprint is kept); ``journal`` makes pending transactions durable; ``lock`` is the
        core's lock (``Pki.lock``), held only while working, never while waiting (see above)."""
        self._lock = lock or threading.RLock()
        self._config = config
        self._trustpoint = trustpoint
        self.settings = settings
        self._clock = clock
        self._ca_certificate = ca_certificate
        self._journal = journal

    @property
    def timeout(self) -> float | None:
        """The deadline in seconds of every SCEP operation (None: see :class:`ScepSettings`)."""
        return self.settings.timeout

    @timeout.setter
    def timeout(self, seconds: float | None) -> None:
        self.settings.timeout = seconds

    @property
    def seconds_per_retry_minute(self) -> float:
        """How long one minute of ``enrollment retry period`` lasts (60 s; tests shorten it)."""
        return self.settings.seconds_per_retry_minute

    @seconds_per_retry_minute.setter
    def seconds_per_retry_minute(self, seconds: float) -> None:
        self.settings.seconds_per_retry_minute = seconds

    # -- helpers --------------------------------------------------------------------------------
    def _tp(self, tp: str | Trustpoint) -> Trustpoint:
        return tp if isinstance(tp, Trustpoint) else self._trustpoint(tp)

    def transport(self, tp: str | Trustpoint) -> ScepTransport:
        """The HTTP transport to ``tp``'s CA (URL, proxy and timeouts applied)."""
        return self.settings.transport(self._tp(tp))

    # -- enrollment -----------------------------------------------------------------------------
    def _exchange(self, tp: Trustpoint) -> Exchange:
        recs = [(c.role, x509.load_der_x509_certificate(c.der)) for c in self._config.certificates
                if c.trustpoint == tp.name and c.der is not None]
        self._require_ca(tp)
        cas = [cert for role, cert in recs if role == CertRole.CA]
        if not cas:  # only the fingerprint is kept (query mode, or NVRAM too small): fetch it again, checked
            cas = [self._ca_certificate(tp.name)]
        ras = [(role, cert) for role, cert in recs if role in RA_ROLES]
        transport = self.settings.transport(tp)
        caps = transport.get_ca_caps()
        warnings = note_caps(self._config.ca_caps_seen, tp.name, caps)
        standard = "SCEPSTANDARD" in caps
        # NDES style: encrypt to the RA certificate allowing keyEncipherment, verify with the one
        # allowing digitalSignature; the CA itself may sign too.
        recipient = next((cert for role, cert in ras if role in (CertRole.RA_ENCRYPTION, CertRole.RA)), cas[0])
        signers = [cert for role, cert in ras if role in (CertRole.RA_SIGNATURE, CertRole.RA)] + cas
        return _LockedExchange(
            lock=self._lock, trustpoint=tp.name, transport=transport, post=standard or "POSTPKIOPERATION" in caps,
            digest=message_digest(caps, tp.hash),
            cipher="aes128" if standard or "AES" in caps else "des3",
            recipient=recipient, trusted_signers=signers, ca_certificates=cas,
            retry_period_s=tp.enrollment_retry_period * self.seconds_per_retry_minute,
            retry_count=tp.enrollment_retry_count, warnings=warnings, caps=caps, clock=self._clock)

    def _require_ca(self, tp: Trustpoint) -> None:
        roles = {c.role for c in self._config.certificates if c.trustpoint == tp.name}
        if CertRole.CA not in roles:
            raise TrustpointError(f"CA certificate for trustpoint {tp.name} not yet authenticated",
                                  f"Authenticate it first: crypto pki authenticate {tp.name}")
        if tp.enrollment_mode_ra and not roles & set(RA_ROLES):
            raise TrustpointError(f"Trustpoint {tp.name} is in RA mode but no RA certificate is stored",
                                  f"Re-authenticate: crypto pki authenticate {tp.name}")

    def authenticated(self, tp: str | Trustpoint) -> bool:
        """True when ``tp``'s CA certificate is held (or its fingerprint, in query mode) and, in RA
        mode, its RA certificates too: authenticating again would only replace them."""
        try:
            self._require_ca(self._tp(tp))
        except TrustpointError:
            return False
        return True

    def check_ready(self, tp: str | Trustpoint) -> None:
        """Raise the PkiError naming what ``enroll`` lacks (an authenticated CA, RA certificates in
        RA mode, the FQDN, the key pair, the enrollment URL), without any network."""
        self.prepare_enrollment(tp).raise_missing()

    def prepare_enrollment(self, tp: str | Trustpoint) -> EnrollmentPlan:
        """What ``enroll(tp)`` will do, without any network: resume a pending transaction or send
        new requests, with which subject and key pairs; whether a challenge password is needed;
        the prerequisites missing (CA not authenticated, RA certificates in RA mode, no FQDN, no
        key pair, no enrollment URL). Front ends render it before asking for a password."""
        trustpoint = self._tp(tp)
        terminal = trustpoint.enrollment_terminal
        plan = EnrollmentPlan(trustpoint.name, resume=[] if terminal else self.pending(trustpoint.name),
                              needs_password=trustpoint.password is None and not terminal,
                              url=None if terminal else trustpoint.enrollment_url, terminal=terminal)
        if plan.resuming:
            return plan
        try:
            self._require_ca(trustpoint)
        except PkiError as exc:
            plan.missing.append(exc)
        plan.ca = self._ca_name(trustpoint)
        try:
            pairs = self._key_pairs(trustpoint)
            plan.key_ids = [p.key_id for p in pairs]
            plan.reenroll = any(self._current_cert(trustpoint, p) is not None for p in pairs)
        except PkiError as exc:
            if (generate := _to_generate(trustpoint)) is None:
                plan.missing.append(exc)
            else:
                plan.key_ids = [key_id for key_id, _usage, _bits in generate]
                plan.generate = [f"{key_id} ({bits} bits)" for key_id, _usage, bits in generate]
        try:
            plan.subject = ios_dn(request_subject(self._config.identity, trustpoint))
        except PkiError as exc:
            if not any(type(m) is type(exc) and m.message == exc.message for m in plan.missing):
                plan.missing.append(exc)
        if not trustpoint.enrollment_url and not terminal:
            plan.missing.append(TrustpointError(
                f"Trustpoint {trustpoint.name} has no enrollment URL",
                f"Configure it: crypto pki trustpoint {trustpoint.name} / enrollment url http://HOST[:PORT]/PATH, "
                "or enroll by cut-and-paste: enrollment terminal"))
        plan.questions = _questions(trustpoint, plan)
        return plan

    def _ca_name(self, tp: Trustpoint) -> str | None:
        """The subject of ``tp``'s CA certificate, or its SHA-256 when only that is kept."""
        ca = next((c for c in self._config.certificates if c.trustpoint == tp.name and c.role == CertRole.CA), None)
        if ca is None:
            return None
        if ca.der is None:
            return f"SHA-256 {ca.sha256}"
        return ios_dn(x509.load_der_x509_certificate(ca.der).subject)

    def _generate_missing(self, tp: Trustpoint) -> None:
        """``rsakeypair LABEL SIZE [ENC-SIZE]``: generate the trustpoint's key pair(s) when missing,
        as IOS does at enrollment (usage keys when an encryption size is given)."""
        generate = _to_generate(tp)
        if generate is None or any(p.label == tp.rsakeypair for p in self._config.key_pairs.values()):
            return
        for _key_id, usage, bits in generate:
            assert tp.rsakeypair is not None
            pair = KeyPair(tp.rsakeypair, usage, generate_rsa_private_key(bits),
                           created=self._clock.now().isoformat(timespec="seconds"))
            self._config.key_pairs[pair.key_id] = pair

    def _key_pairs(self, tp: Trustpoint) -> list[KeyPair]:
        label = tp.rsakeypair or self._config.identity.require_fqdn("enrolling")
        pairs = [p for p in self._config.key_pairs.values() if p.label == label]
        if not pairs:
            raise KeyPairError(f"Trustpoint {tp.name} has no key pair {label!r}",
                               "Generate it first: crypto key generate rsa [usage-keys]"
                               + (f" label {label}" if tp.rsakeypair else ""))
        return pairs

    def _renewal_signer(self, tp: Trustpoint, pair: KeyPair,
                        renew_with: str | None) -> tuple[x509.Certificate | None, KeyPair]:
        """The certificate and key pair a request for ``pair`` is signed with as a RenewalReq:
        ``pair``'s own valid certificate, or with ``renew_with`` the valid certificate of a pair
        of that label (the same usage first); (None, ``pair``): none, a PKCSReq."""
        if renew_with is None:
            return self._current_cert(tp, pair), pair
        olds = sorted((p for p in self._config.key_pairs.values() if p.label == renew_with),
                      key=lambda p: p.usage != pair.usage)
        for old in olds:
            cert = self._current_cert(tp, old)
            if cert is not None:
                return cert, old
        return None, pair

    def _current_cert(self, tp: Trustpoint, pair: KeyPair) -> x509.Certificate | None:
        now = self._clock.now()
        for rec in self._config.certificates:
            if rec.trustpoint == tp.name and rec.role == CertRole.DEVICE and rec.key_id == pair.key_id \
                    and rec.der is not None and not rec.orphaned:
                cert = x509.load_der_x509_certificate(rec.der)
                same_key = cert.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == pair.public_der
                if same_key and cert.not_valid_after_utc > now:
                    return cert
        return None

    def enroll(self, tp: str | Trustpoint, *, password: str | None = None,
               ask_password: Callable[[], str | None] | None = None, answers: RequestAnswers | None = None,
               on_event: Callable[[EnrollmentEvent], None] | None = None,
               cancel: threading.Event | None = None, renew_with: str | None = None) -> list[EnrollmentResult]:
        """``crypto pki enroll``: one request per key pair of the trustpoint.

        The plan (:meth:`prepare_enrollment`) decides: a pending transaction of ``tp`` saved in
        the store (e.g. from before a restart) is resumed instead; else a missing prerequisite is
        raised before anything is asked or sent. The challenge password is ``password``, else the
        trustpoint's, else what ``ask_password`` answers (None or "": no password; to abort,
        it raises). A key pair that already holds a valid certificate is renewed (RenewalReq
        signed by the old certificate and key) when the CA advertises Renewal. ``renew_with``
        names the label of other key pairs whose valid certificates sign the requests instead
        (``auto-enroll regenerate``: a RenewalReq for a new key, signed with the old certificate
        and key, RFC 8894 §3.3.1.2; the pair of the same usage, else any). PENDING is polled
        every retry period, at most retry count times (0: until ``cancel`` is set).

        ``answers``: what the person answered to the plan's questions (challenge password, serial
        number, address; given, ``ask_password`` is not called). A key pair ``rsakeypair LABEL
        SIZE`` names and that is missing is generated first (the plan says so).

        The core's lock is held while building, sending and storing, never while waiting (the
        module docstring): do not call this holding it.
        """
        trustpoint = self._tp(tp)
        with self._lock:
            plan = self.prepare_enrollment(trustpoint)
        if plan.resuming:  # a saved transaction is polled again, never replaced
            return self.resume_pending(on_event, cancel, tp=trustpoint.name)
        plan.raise_missing()
        if trustpoint.enrollment_terminal:
            raise TrustpointError(f"Trustpoint {trustpoint.name} enrolls by cut-and-paste (enrollment terminal)",
                                  "Its requests are shown, not sent: pki.scep.manual_requests, then crypto pki import")
        challenge = password if password is not None else trustpoint.password
        if challenge is None and answers is not None:
            challenge = answers.password or None
        elif challenge is None and ask_password is not None:
            challenge = ask_password() or None  # outside the lock: a person may take a while
        emit = on_event or (lambda _e: None)
        stop = cancel or threading.Event()
        request_tp = request_trustpoint(trustpoint, answers)  # the answers, the address resolved
        with self._lock:
            ex = self._exchange(trustpoint)
            self._generate_missing(trustpoint)
            pairs = self._key_pairs(trustpoint)
        renewal_ok = "RENEWAL" in ex.caps
        # Every request is sent first; PENDING ones are then polled in turn, so a usage-keys pair
        # does not wait for the first key's approval before asking for the second.
        results: list[EnrollmentResult | None] = []
        queued: list[tuple[int, PendingEnrollment, KeyPair, CertRep]] = []
        for pair in pairs:
            if stop.is_set():
                break
            with self._lock:
                subject = request_subject(self._config.identity, request_tp)
                old, signer_pair = self._renewal_signer(trustpoint, pair, renew_with) if renewal_ok else (None, pair)
                message_type = "RenewalReq" if old is not None else "PKCSReq"
                signer = old or self_signed_signer(pair.private_key, subject)
                csr = request_csr(self._config.identity, request_tp, pair.private_key, challenge=challenge,
                                  key_usage=pair.usage)
            tid = new_transaction_id()
            emit(EnrollmentEvent(trustpoint.name, pair.key_id, EnrollmentState.SENT,
                                 f"{message_type} sent to {ex.transport.url}",
                                 tid, algorithms=ex.algorithms))
            rep = self._send_retrying(ex, trustpoint, pair, emit, stop, functools.partial(
                ex.send, message_type, csr, signer=signer, key=signer_pair.private_key, transaction_id=tid,
                public_keys=[pair.public_der]))
            extra = {"subject_der": b64(subject.public_bytes())}
            if signer_pair is not pair:  # the polls are signed (and the replies decrypted) with the old key
                extra["signer_key_id"] = signer_pair.key_id
            pending = PendingEnrollment(
                trustpoint=trustpoint.name, key_id=pair.key_id, transaction_id=tid, signer_der=der_of(signer),
                message_type=message_type, started=self._clock.now().isoformat(timespec="seconds"),
                extra=extra)
            if rep.status == "PENDING":
                with self._lock:
                    self._config.pending.append(pending)
                    self._journal.record_pending(pending, pair)  # durable before polling starts; nothing else saved
                queued.append((len(results), pending, pair, rep))
                results.append(None)
            else:
                results.append(self._drive(ex, pending, pair, rep, emit, stop))
        for index, pending, pair, rep in queued:
            results[index] = self._drive(ex, pending, pair, rep, emit, stop)
        return [r for r in results if r is not None]

    def manual_requests(self, tp: str | Trustpoint, answers: RequestAnswers | None = None) -> list[ManualRequest]:
        """``crypto pki enroll`` on an ``enrollment terminal`` trustpoint: the PKCS#10 request of
        each key pair (usage keys: two), built as the SCEP requests are, for a person to take to
        the CA; nothing is sent or stored (a missing ``rsakeypair LABEL SIZE`` key pair is
        generated first). The certificate comes back with ``crypto pki import TP certificate``."""
        trustpoint = self._tp(tp)
        with self._lock:
            plan = self.prepare_enrollment(trustpoint)
            plan.raise_missing()
            if not trustpoint.enrollment_terminal:
                raise TrustpointError(f"Trustpoint {trustpoint.name} enrolls over SCEP ({trustpoint.enrollment_url})",
                                      f"Enroll it with: crypto pki enroll {trustpoint.name}; "
                                      "for cut-and-paste configure enrollment terminal instead of enrollment url")
            request_tp = request_trustpoint(trustpoint, answers)
            self._generate_missing(trustpoint)
            challenge = trustpoint.password or (answers.password if answers else None) or None
            return manual_requests(self._config.identity, request_tp, self._key_pairs(trustpoint), challenge=challenge)

    def _send_retrying(self, ex: Exchange, tp: Trustpoint, pair: KeyPair, emit: Callable[[EnrollmentEvent], None],
                       stop: threading.Event, send: Callable[[], CertRep]) -> CertRep:
        """Send a request; on a transport error (never a failed check) retry ``enrollment retry
        count`` times, ``retry period`` apart (0: no retry, so a script does not hang on a dead CA)."""
        for attempt in range(tp.enrollment_retry_count + 1):
            try:
                return send()
            except ScepError as exc:
                if type(exc) is not ScepError or attempt == tp.enrollment_retry_count:
                    raise
                emit(EnrollmentEvent(tp.name, pair.key_id, EnrollmentState.SENT, f"{exc.message}; retrying "
                                     f"({tp.enrollment_retry_count - attempt} attempt(s) left)",
                                     algorithms=ex.algorithms))
                if stop.wait(ex.retry_period_s):
                    raise
        raise AssertionError("unreachable")

    def _drive(self, ex: Exchange, pending: PendingEnrollment, pair: KeyPair, rep: CertRep | None,
               emit: Callable[[EnrollmentEvent], None], stop: threading.Event) -> EnrollmentResult:
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
        # Messages are sent under the lock (_LockedExchange), the waits between polls outside it.
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

    def pending(self, tp: str | None = None) -> list[PendingEnrollment]:
        """Pending transactions (all, or those of trustpoint ``tp``)."""
        return [p for p in self._config.pending if tp is None or p.trustpoint == tp]

    def resume_pending(self, on_event: Callable[[EnrollmentEvent], None] | None = None,
                       cancel: threading.Event | None = None, *, tp: str | None = None) -> list[EnrollmentResult]:
        """Resume polling the pending transactions saved in the store (after a restart);
        all of them, or only trustpoint ``tp``'s."""
        emit = on_event or (lambda _e: None)
        stop = cancel or threading.Event()
        results = []
        with self._lock:
            todo = self.pending(tp)
        for pending in todo:
            if stop.is_set():
                break
            with self._lock:
                pair = self._config.key_pairs.get(pending.key_id)  # the journal brought it back
                if pair is None:
                    raise KeyPairError(f"Pending enrollment for {pending.trustpoint} needs key pair "
                                       f"{pending.key_id!r}, which no longer exists",
                                       f"Enroll again: crypto pki enroll {pending.trustpoint}")
                ex = self._exchange(self._tp(pending.trustpoint))
            results.append(self._drive(ex, pending, pair, None, emit, stop))
        return results

    def poll_once(self, transaction_id: str,
                  on_event: Callable[[EnrollmentEvent], None] | None = None) -> EnrollmentResult | None:
        """Poll one pending transaction once, now, whatever its saved next poll time (``pkitui
        agent``: its schedule decides when); the journal then holds the next poll's time. None when
        the transaction is no longer pending (another session ended it)."""
        emit = on_event or (lambda _e: None)
        once = threading.Event()
        waits = 0

        def watch(ev: EnrollmentEvent) -> None:
            nonlocal waits
            if ev.state == EnrollmentState.PENDING and ev.next_poll_at:
                waits += 1
                if waits == 2:  # the wait after this run's poll: the caller's schedule takes over
                    once.set()
            emit(ev)

        with self._lock:
            pending = next((p for p in self._config.pending if p.transaction_id == transaction_id), None)
            if pending is None:
                return None
            pending.next_poll = self._clock.now().isoformat(timespec="seconds")  # due now: no first wait
            pair = self._config.key_pairs.get(pending.key_id)
            if pair is None:
                raise KeyPairError(f"Pending enrollment for {pending.trustpoint} needs key pair "
                                   f"{pending.key_id!r}, which no longer exists",
                                   f"Enroll again: crypto pki enroll {pending.trustpoint}")
            ex = self._exchange(self._tp(pending.trustpoint))
        return self._drive(ex, pending, pair, None, watch, once)

    def get_cert(self, tp: str | Trustpoint, serial: int | str | None = None) -> list[x509.Certificate]:
        """SCEP GetCert (RFC 8894 §3.3.4): this device's certificate(s) of ``tp`` fetched again from
        its CA, by serial number (int, or hex text as IOS prints it); None: each held device
        certificate's. Each reply is verified as every CertRep (signer, signature, transactionID,
        nonces), decrypted with our key, and the certificate must hold one of the trustpoint's
        key pairs and be issued by the CA; nothing is stored (the caller decides). Under the
        core's lock: nothing here waits."""
        with self._lock:
            return self._get_cert(self._tp(tp), serial)

    def _get_cert(self, trustpoint: Trustpoint, serial: int | str | None) -> list[x509.Certificate]:
        pairs = self._key_pairs(trustpoint)
        if serial is None:
            serials = [x509.load_der_x509_certificate(c.der).serial_number for c in self._config.certificates
                       if c.trustpoint == trustpoint.name and c.role == CertRole.DEVICE and c.der is not None]
            if not serials:
                raise TrustpointError(f"Trustpoint {trustpoint.name} holds no device certificate to fetch again",
                                      "Give the serial number of the certificate the CA issued to this device.")
        else:
            serials = [_serial_number(serial)]
        ex = self._exchange(trustpoint)
        # GetCert is signed with a transient certificate of our key: the reply is encrypted to it.
        pair = pairs[0]
        signer = self_signed_signer(pair.private_key, x509.Name([]))
        fetched = []
        for number in serials:
            rep = ex.send("GetCert", get_cert_content(ex.ca_certificates[0].subject, number), signer=signer,
                          key=pair.private_key, transaction_id=new_transaction_id(),
                          public_keys=[p.public_der for p in pairs])
            if rep.status != "SUCCESS" or rep.issued is None:
                why = rep.fail_reason if rep.status == "FAILURE" else rep.status
                raise ScepError(f"GetCert of serial {number:X} refused by the CA of {trustpoint.name}: {why}",
                                "Check the serial number (show crypto pki certificates); not every CA "
                                "answers GetCert.")
            fetched.append(rep.issued)
        return fetched

    def get_crl(self, tp: str | Trustpoint) -> bytes:
        """GetCRL over SCEP with one of our certificates from ``tp``'s CA; the CRL DER, verified
        (under the core's lock: nothing here waits)."""
        with self._lock:
            return self._get_crl(self._tp(tp))

    def _get_crl(self, trustpoint: Trustpoint) -> bytes:
        ex = self._exchange(trustpoint)
        for pair in self._key_pairs(trustpoint):
            cert = self._current_cert(trustpoint, pair)
            if cert is not None:
                rep = ex.send("GetCRL", get_crl_content(cert), signer=cert, key=pair.private_key,
                              transaction_id=new_transaction_id(), public_keys=[], want_crl=True)
                if rep.status != "SUCCESS" or rep.crl is None:
                    raise ScepError("GetCRL refused by the CA: "
                                    f"{rep.fail_reason if rep.status == 'FAILURE' else rep.status}")
                return rep.crl
        raise TrustpointError(f"GetCRL needs a certificate of trustpoint {trustpoint.name}",
                              f"Enroll first: crypto pki enroll {trustpoint.name}")


def _to_generate(tp: Trustpoint) -> list[tuple[str, Usage, int]] | None:
    """(key id, usage, bits) of the key pair(s) ``rsakeypair LABEL SIZE [ENC-SIZE]`` generates when
    missing (usage keys when ENC-SIZE is given, as IOS); None without a size."""
    if not tp.rsakeypair or tp.rsakeypair_size is None:
        return None
    if tp.rsakeypair_encryption_size is None:
        return [(tp.rsakeypair, "general", tp.rsakeypair_size)]
    return [(f"{tp.rsakeypair}#signature", "signature", tp.rsakeypair_size),
            (f"{tp.rsakeypair}#encryption", "encryption", tp.rsakeypair_encryption_size)]


def _questions(tp: Trustpoint, plan: EnrollmentPlan) -> list[EnrollmentQuestion]:
    """The questions IOS asks before a new request, in its order; what the trustpoint configures
    is not asked (password, serial-number, ip-address, including their ``none`` forms)."""
    questions = [EnrollmentQuestion.REENROLL] if plan.reenroll else []
    if plan.needs_password:
        questions.append(EnrollmentQuestion.PASSWORD)
    if tp.serial_number is None:
        questions.append(EnrollmentQuestion.SERIAL_NUMBER)
    if tp.ip_address is None:
        questions.append(EnrollmentQuestion.IP_ADDRESS)
    questions.append(EnrollmentQuestion.DISPLAY if plan.terminal else EnrollmentQuestion.REQUEST)
    return questions


def _serial_number(serial: int | str) -> int:
    """A serial number given as an int or as hex text (IOS prints serials in hex, e.g. 4E1A or 4e:1a)."""
    if isinstance(serial, int):
        if serial < 0:
            raise TrustpointError(f"Serial number {serial} is negative", "Give it in hex, as show prints it.")
        return serial
    text = serial.replace(":", "").replace(" ", "").strip()
    try:
        return int(text, 16)
    except ValueError:
        raise TrustpointError(f"Serial number {serial!r} is not hexadecimal",
                              "Give it in hex, as show crypto pki certificates prints it (e.g. 4E1A).") from None
