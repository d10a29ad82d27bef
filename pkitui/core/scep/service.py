"""``pki.scep``: enroll a trustpoint's key pairs and poll pending requests (RFC 8894); GetCert, GetCRL.

The CA certificate is trusted first, by :mod:`pkitui.core.ca_trust`. Nothing a CA sends is stored
before it passed every check (see :mod:`pkitui.core.scep.certrep`). Changes go to the running
configuration, except pending transactions: those are journaled at once
(:meth:`~pkitui.core.scep.transaction.PendingRecorder.record_pending`, nothing else saved) so
that a restarted process resumes polling (:meth:`ScepService.resume_pending`); the key pair and
certificate a journaled transaction ends with are saved on their own
(:meth:`~pkitui.core.scep.transaction.PendingRecorder.finish_pending`).

This service is what front ends call; the parts live beside it: the plan in
:mod:`~pkitui.core.scep.prepare`, the key pairs and renewal signer in
:mod:`~pkitui.core.scep.enroll_keys`, the exchange with the CA in :mod:`~pkitui.core.scep.exchange`,
a transaction carried to its end (polls, journal, certificate kept) in
:mod:`~pkitui.core.scep.transaction`, GetCert and GetCRL in :mod:`~pkitui.core.scep.access`.

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

from cryptography import x509

from pkitui.core.clock import Clock
from pkitui.core.config import RunningConfig
from pkitui.core.errors import KeyPairError, ScepError, TrustpointError
from pkitui.core.keys import KeyPair
from pkitui.core.records import PendingEnrollment, b64
from pkitui.core.scep.access import get_cert, get_crl
from pkitui.core.scep.ca import der_of
from pkitui.core.scep.certrep import CertRep
from pkitui.core.scep.enroll import EnrollmentEvent, EnrollmentResult, EnrollmentState, Exchange
from pkitui.core.scep.enroll_keys import generate_missing, key_pairs, renewal_signer
from pkitui.core.scep.exchange import build_exchange, require_ca
from pkitui.core.scep.manual import ManualRequest, manual_requests
from pkitui.core.scep.messages import new_transaction_id, self_signed_signer
from pkitui.core.scep.plan import EnrollmentPlan, RequestAnswers, request_trustpoint
from pkitui.core.scep.prepare import prepare_enrollment
from pkitui.core.scep.request import request_csr, request_subject
from pkitui.core.scep.transaction import PendingRecorder, TransactionRunner
from pkitui.core.scep.transport import ScepSettings, ScepTransport
from pkitui.core.trustpoints import Trustpoint


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
        self._transactions = TransactionRunner(config, self._lock, journal)

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
        return build_exchange(self._config, tp, self.settings, self._clock, self._lock, self._ca_certificate)

    def authenticated(self, tp: str | Trustpoint) -> bool:
        """True when ``tp``'s CA certificate is held (or its fingerprint, in query mode) and, in RA
        mode, its RA certificates too: authenticating again would only replace them."""
        try:
            require_ca(self._config, self._tp(tp))
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
        return prepare_enrollment(self._config, self._clock, trustpoint, self.pending(trustpoint.name))

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
            generate_missing(self._config, self._clock, trustpoint)
            pairs = key_pairs(self._config, trustpoint)
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
                old, signer_pair = (renewal_signer(self._config, self._clock, trustpoint, pair, renew_with)
                                    if renewal_ok else (None, pair))
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
                results.append(self._transactions.run(ex, pending, pair, rep, emit, stop))
        for index, pending, pair, rep in queued:
            results[index] = self._transactions.run(ex, pending, pair, rep, emit, stop)
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
            generate_missing(self._config, self._clock, trustpoint)
            challenge = trustpoint.password or (answers.password if answers else None) or None
            return manual_requests(self._config.identity, request_tp, key_pairs(self._config, trustpoint),
                                   challenge=challenge)

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
            results.append(self._transactions.run(ex, pending, pair, None, emit, stop))
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
        return self._transactions.run(ex, pending, pair, None, watch, once)

    def get_cert(self, tp: str | Trustpoint, serial: int | str | None = None) -> list[x509.Certificate]:
        """SCEP GetCert (RFC 8894 §3.3.4): this device's certificate(s) of ``tp`` fetched again from
        its CA, by serial number (int, or hex text as IOS prints it); None: each held device
        certificate's. Each reply is verified as every CertRep (signer, signature, transactionID,
        nonces), decrypted with our key, and the certificate must hold one of the trustpoint's
        key pairs and be issued by the CA; nothing is stored (the caller decides). Under the
        core's lock: nothing here waits."""
        with self._lock:
            trustpoint = self._tp(tp)
            return get_cert(self._config, lambda: self._exchange(trustpoint), trustpoint, serial)

    def get_crl(self, tp: str | Trustpoint) -> bytes:
        """GetCRL over SCEP with one of our certificates from ``tp``'s CA; the CRL DER, verified
        (under the core's lock: nothing here waits)."""
        with self._lock:
            trustpoint = self._tp(tp)
            return get_crl(self._config, self._clock, lambda: self._exchange(trustpoint), trustpoint)
