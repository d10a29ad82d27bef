"""``pki.ca_trust``: which CA certificate a trustpoint trusts (``crypto pki authenticate``).

A CA certificate arrives by SCEP GetCACert, or by TFTP with ``root tftp SERVER FILE`` (IOS then
uses TFTP instead); either way it becomes a :class:`~pkitui.core.scep.ca.CaCandidate` and one rule
decides (:meth:`CaTrust.decide`): a pre-configured fingerprint alone, else a person asked through
``confirm``; with neither it is refused. Nothing is stored unless accepted.

The same sources give the CA certificate back when only its fingerprint is kept (query mode, or
NVRAM too small): :meth:`CaTrust.sources`.

CA rollover (RFC 8894 §2.8, GetNextCACert): :meth:`CaTrust.fetch_next_ca` keeps the CA's next
certificate, verified as signed by the current CA, as a shadow (role ``ca-next``, IOS's "Rollover
CA Certificate"); :meth:`CaTrust.rollover_due` says when it takes over and
:meth:`CaTrust.switch_to_next` makes it the CA certificate. The agent calls these.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from cryptography import x509

from pkitui.core.clock import Clock
from pkitui.core.config import RunningConfig
from pkitui.core.deadline import with_trustpoint_deadline
from pkitui.core.errors import FingerprintMismatch, ScepError, TrustpointError
from pkitui.core.records import RA_ROLES, CertRole, StoredCertificate
from pkitui.core.scep.ca import CaCandidate, der_of, parse_ca_reply
from pkitui.core.scep.caps import note_caps
from pkitui.core.scep.transport import ScepSettings
from pkitui.core.trustpoints import Trustpoint

__all__ = ["CaCandidate", "CaTrust", "Confirm"]

Confirm = Callable[[CaCandidate], bool]
SCEP_MISMATCH_HINT = "Check with the CA administrator; someone may be impersonating the CA."
TFTP_MISMATCH_HINT = "Check the file on the TFTP server with the CA administrator."


class CaTrust:
    """Fetch, decide on and store the CA certificates of the trustpoints of one configuration."""

    def __init__(self, config: RunningConfig, trustpoint: Callable[[str], Trustpoint], scep: ScepSettings,
                 clock: Clock, *, ca_certificate: Callable[[str], x509.Certificate] | None = None) -> None:
        """``ca_certificate``: a trustpoint's current CA certificate, fetched again and checked when
        only its fingerprint is kept (``pki.certificates.ca_certificate``); needed by rollover."""
        self._config = config
        self._trustpoint = trustpoint
        self._scep = scep
        self._clock = clock
        self._ca_certificate = ca_certificate

    def _tp(self, tp: str | Trustpoint) -> Trustpoint:
        return tp if isinstance(tp, Trustpoint) else self._trustpoint(tp)

    # -- sources --------------------------------------------------------------------------------
    def caps(self, tp: str | Trustpoint) -> frozenset[str]:
        """GetCACaps, keywords upper-cased (empty when the CA gives none or answers with an error;
        ScepError when it does not answer at all)."""
        return self._scep.transport(self._tp(tp)).get_ca_caps()

    def fetch_ca(self, tp: str | Trustpoint) -> CaCandidate:
        """SCEP GetCACert: the CA certificate (and RA certificates) offered; nothing stored."""
        trustpoint = self._tp(tp)
        reply = self._scep.transport(trustpoint).get_ca_cert()
        return self._checked(trustpoint, parse_ca_reply(reply.body, reply.content_type, self._clock.now()))

    @with_trustpoint_deadline
    def fetch_root_der(self, tp: str | Trustpoint) -> bytes:
        """TFTP: the CA certificate file named by ``root tftp SERVER FILE`` (PEM converted to DER)."""
        from pkitui.core import tftp
        from pkitui.core.certfields import load_certificates

        trustpoint = self._tp(tp)
        if not trustpoint.root_tftp:
            raise TrustpointError(f"Trustpoint {trustpoint.name} has no root tftp",
                                  "Configure: root tftp SERVER FILE")
        data = tftp.download(*trustpoint.root_tftp)
        return der_of(load_certificates(data)[0]) if b"-----BEGIN" in data else data

    def candidate_from_der(self, tp: str | Trustpoint, der: bytes) -> CaCandidate:
        """A candidate from a certificate or PKCS#7 chain obtained otherwise (e.g. TFTP)."""
        return self._checked(self._tp(tp), parse_ca_reply(der, now=self._clock.now()))

    def _checked(self, tp: Trustpoint, cand: CaCandidate) -> CaCandidate:
        if tp.enrollment_mode_ra and not cand.ra_certificates:
            raise ScepError(f"Trustpoint {tp.name} is in RA mode but the CA sent no RA certificate",
                            "Remove 'enrollment mode ra' or check the CA's GetCACert reply.")
        return cand

    def sources(self, tp: Trustpoint) -> list[tuple[str, Callable[[], bytes]]]:
        """Where ``tp``'s CA certificate can be fetched again (DER), in order: TFTP root, SCEP."""
        sources: list[tuple[str, Callable[[], bytes]]] = []
        if tp.root_tftp:
            sources.append(("tftp", lambda: self.fetch_root_der(tp)))
        if tp.enrollment_url:
            sources.append(("scep", lambda: self.fetch_ca(tp).der))
        return sources

    # -- the decision ---------------------------------------------------------------------------
    def accept(self, tp: str | Trustpoint, cand: CaCandidate) -> None:
        """Store the CA certificate (role 'ca') and RA certificates under ``tp``, replacing older ones."""
        name = self._tp(tp).name
        config = self._config
        # A shadow (next CA certificate) belonged to the CA being replaced: it goes too.
        config.certificates = [c for c in config.certificates if not (
            c.trustpoint == name and (c.role in (CertRole.CA, CertRole.CA_NEXT) or c.role in RA_ROLES))]
        config.certificates.append(StoredCertificate.from_der(name, CertRole.CA, cand.der))
        for extra in cand.chain:
            config.certificates.append(StoredCertificate.from_der(name, CertRole.CA, der_of(extra)))
        for ra in cand.ra_certificates:
            config.certificates.append(StoredCertificate.from_der(name, cand.ra_role(ra), der_of(ra)))
        cand.accepted = True

    def decide(self, tp: str | Trustpoint, cand: CaCandidate, confirm: Confirm | None, *,
               mismatch_hint: str = SCEP_MISMATCH_HINT) -> CaCandidate:
        """Accept ``cand`` or not, the rule of ``crypto pki authenticate`` for every way a CA
        certificate arrives (SCEP, TFTP): a pre-configured fingerprint decides alone, else
        ``confirm`` asks a person; with neither it is refused. Nothing is stored unless accepted."""
        trustpoint = self._tp(tp)
        if trustpoint.fingerprint:
            if not cand.matches(trustpoint.fingerprint):
                alg = {32: "md5", 40: "sha1", 64: "sha256"}[len(trustpoint.fingerprint)]
                raise FingerprintMismatch(
                    f"CA fingerprint does not match: expected {trustpoint.fingerprint}, "
                    f"got {cand.fingerprints[alg]} ({alg.upper()}). Certificate not stored.", mismatch_hint)
            self.accept(trustpoint, cand)
        elif confirm is None:
            raise TrustpointError(
                "No fingerprint to compare the CA certificate with, and nobody to ask: certificate not stored.",
                f"Pre-configure it after checking it out of band: crypto pki trustpoint {trustpoint.name} / "
                f"fingerprint {cand.fingerprints['sha256']}")
        elif confirm(cand):
            self.accept(trustpoint, cand)
        return cand

    def authenticate(self, tp: str | Trustpoint, confirm: Confirm | None = None) -> CaCandidate:
        """``crypto pki authenticate``: fetch the CA certificate and store it only when accepted.

        With ``root tftp`` configured the certificate is fetched over TFTP instead (IOS does so).
        A pre-configured ``fingerprint`` decides alone; else ``confirm`` asks a person; with
        neither the certificate is refused. Returns the candidate (``accepted`` says the outcome).
        """
        trustpoint = self._tp(tp)
        if trustpoint.root_tftp:  # root tftp SERVER FILE: the certificate comes over TFTP, same rules
            return self.root_tftp(trustpoint, confirm)
        caps = self.caps(trustpoint)  # as IOS: GetCACaps first; remembered once the CA is accepted
        cand = self.fetch_ca(trustpoint)
        try:
            return self.decide(trustpoint, cand, confirm)
        finally:
            if cand.accepted:
                cand.warnings += note_caps(self._config.ca_caps_seen, trustpoint.name, caps)

    def root_tftp(self, tp: str | Trustpoint, confirm: Confirm | None = None) -> CaCandidate:
        """Get the CA certificate over TFTP, then the same acceptance as ``crypto pki authenticate``:
        a pre-configured fingerprint decides alone, else ``confirm``; nothing stored unless accepted."""
        trustpoint = self._tp(tp)
        cand = self.candidate_from_der(trustpoint, self.fetch_root_der(trustpoint))
        return self.decide(trustpoint, cand, confirm, mismatch_hint=TFTP_MISMATCH_HINT)

    # -- rollover (GetNextCACert) ---------------------------------------------------------------
    def _current_ca(self, tp: Trustpoint) -> x509.Certificate:
        if not any(c.trustpoint == tp.name and c.role == CertRole.CA for c in self._config.certificates):
            raise TrustpointError(f"CA certificate for trustpoint {tp.name} not yet authenticated",
                                  f"Authenticate it first: crypto pki authenticate {tp.name}")
        if self._ca_certificate is None:
            raise TrustpointError("CA rollover needs the trustpoints' CA certificates (built without them)")
        return self._ca_certificate(tp.name)

    def next_ca(self, tp: str | Trustpoint) -> x509.Certificate | None:
        """The shadow CA certificate held for ``tp`` (None: none)."""
        name = self._tp(tp).name
        rec = next((c for c in self._config.certificates if c.trustpoint == name and c.role == CertRole.CA_NEXT
                    and c.der is not None), None)
        return None if rec is None or rec.der is None else x509.load_der_x509_certificate(rec.der)

    def fetch_next_ca(self, tp: str | Trustpoint) -> x509.Certificate:
        """SCEP GetNextCACert: the CA's next certificate, verified as signed by the current CA (or
        its authenticated RA) and chaining sensibly (:mod:`pkitui.core.scep.next_ca`), kept as the
        trustpoint's shadow CA certificate (replacing an older shadow). VerificationError when the
        reply fails a check (nothing kept); ScepError when the CA does not advertise GetNextCACert."""
        from pkitui.core.scep.next_ca import parse_next_ca_reply

        trustpoint = self._tp(tp)
        current = self._current_ca(trustpoint)
        caps = self.caps(trustpoint)
        if "GETNEXTCACERT" not in caps:
            raise ScepError(f"The CA of trustpoint {trustpoint.name} does not advertise GetNextCACert (GetCACaps)",
                            "It offers no next CA certificate; re-authenticate when it changes its certificate.")
        ras = [x509.load_der_x509_certificate(c.der) for c in self._config.certificates
               if c.trustpoint == trustpoint.name and c.role in RA_ROLES and c.der is not None]
        reply = self._scep.transport(trustpoint).get_next_ca_cert()
        new = parse_next_ca_reply(reply.body, current, ras)
        name = trustpoint.name
        self._config.certificates = [c for c in self._config.certificates
                                     if not (c.trustpoint == name and c.role == CertRole.CA_NEXT)]
        self._config.certificates.append(StoredCertificate.from_der(name, CertRole.CA_NEXT, der_of(new)))
        return new

    def rollover_at(self, tp: str | Trustpoint) -> datetime.datetime | None:
        """When the shadow CA certificate takes over (None: no shadow held): when the current CA
        certificate expires, or when the shadow becomes valid if that is later."""
        trustpoint = self._tp(tp)
        shadow = self.next_ca(trustpoint)
        if shadow is None:
            return None
        current = self._current_ca(trustpoint)
        return max(current.not_valid_after_utc, shadow.not_valid_before_utc)

    def rollover_due(self, tp: str | Trustpoint, now: datetime.datetime | None = None) -> bool:
        """True when ``tp`` holds a shadow CA certificate whose time has come (``now``: default the
        core's clock)."""
        at = self.rollover_at(tp)
        return at is not None and (now or self._clock.now()) >= at

    def switch_to_next(self, tp: str | Trustpoint) -> x509.Certificate:
        """The shadow CA certificate becomes ``tp``'s CA certificate; the old one (and any CA
        certificates above it) removed. RA certificates stay. TrustpointError without a shadow."""
        trustpoint = self._tp(tp)
        shadow = self.next_ca(trustpoint)
        if shadow is None:
            raise TrustpointError(f"Trustpoint {trustpoint.name} holds no next (rollover) CA certificate",
                                  "Fetch it first: GetNextCACert (pki.ca_trust.fetch_next_ca).")
        name = trustpoint.name
        self._config.certificates = [c for c in self._config.certificates if not (
            c.trustpoint == name and c.role in (CertRole.CA, CertRole.CA_NEXT))]
        self._config.certificates.append(StoredCertificate.from_der(name, CertRole.CA, der_of(shadow)))
        return shadow
