"""``pki.ca_trust``: which CA certificate a trustpoint trusts (``crypto pki authenticate``).

A CA certificate arrives by SCEP GetCACert, or by TFTP with ``root tftp SERVER FILE`` (IOS then
uses TFTP instead); either way it becomes a :class:`~pkitui.core.scep.ca.CaCandidate` and one rule
decides (:meth:`CaTrust.decide`): a pre-configured fingerprint alone, else a person asked through
``confirm``; with neither it is refused. Nothing is stored unless accepted.

The same sources give the CA certificate back when only its fingerprint is kept (query mode, or
NVRAM too small): :meth:`CaTrust.sources`.
"""

from __future__ import annotations

from collections.abc import Callable

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
                 clock: Clock) -> None:
        self._config = config
        self._trustpoint = trustpoint
        self._scep = scep
        self._clock = clock

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
        config.certificates = [c for c in config.certificates
                               if not (c.trustpoint == name and (c.role == CertRole.CA or c.role in RA_ROLES))]
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
