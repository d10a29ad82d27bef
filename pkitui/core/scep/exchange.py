"""The :class:`Exchange` an enrollment, a poll, GetCert or GetCRL sends through: the trustpoint's
CA and RA certificates, what the CA advertises (GetCACaps: POST, digest, cipher, Renewal), the
retry period and count; each message built, sent and verified under the core's lock
(:class:`LockedExchange`), the waits between polls outside it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography import x509

from pkitui.core.errors import TrustpointError
from pkitui.core.records import RA_ROLES, CertRole
from pkitui.core.scep.caps import note_caps
from pkitui.core.scep.enroll import Exchange
from pkitui.core.scep.messages import message_digest

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from pkitui.core.clock import Clock
    from pkitui.core.config import RunningConfig
    from pkitui.core.scep.certrep import CertRep
    from pkitui.core.scep.transport import ScepSettings
    from pkitui.core.trustpoints import Trustpoint


@dataclass
class LockedExchange(Exchange):
    """An :class:`Exchange` whose every message (build, send, verify) runs under the core's lock;
    the polls' waits between messages (in :func:`run_transaction`) stay outside it."""

    lock: threading.RLock = field(default_factory=threading.RLock)

    def send(self, message_type: str, inner: bytes, *, signer: x509.Certificate, key: rsa.RSAPrivateKey,
             transaction_id: str, public_keys: list[bytes], want_crl: bool = False) -> CertRep:
        """Build, send and verify one pkiMessage, holding the lock."""
        with self.lock:
            return super().send(message_type, inner, signer=signer, key=key, transaction_id=transaction_id,
                                public_keys=public_keys, want_crl=want_crl)


def require_ca(config: RunningConfig, tp: Trustpoint) -> None:
    """Raise the TrustpointError saying what enrolling ``tp`` lacks: its authenticated CA
    certificate, or in RA mode its RA certificates."""
    roles = {c.role for c in config.certificates if c.trustpoint == tp.name}
    if CertRole.CA not in roles:
        raise TrustpointError(f"CA certificate for trustpoint {tp.name} not yet authenticated",
                              f"Authenticate it first: crypto pki authenticate {tp.name}")
    if tp.enrollment_mode_ra and not roles & set(RA_ROLES):
        raise TrustpointError(f"Trustpoint {tp.name} is in RA mode but no RA certificate is stored",
                              f"Re-authenticate: crypto pki authenticate {tp.name}")


def build_exchange(config: RunningConfig, tp: Trustpoint, settings: ScepSettings, clock: Clock,
                   lock: threading.RLock, ca_certificate: Callable[[str], x509.Certificate]) -> Exchange:
    """The exchange with ``tp``'s CA (asks GetCACaps); ``ca_certificate`` fetches the CA certificate
    again when only its fingerprint is kept. TrustpointError when the CA is not authenticated."""
    recs = [(c.role, x509.load_der_x509_certificate(c.der)) for c in config.certificates
            if c.trustpoint == tp.name and c.der is not None]
    require_ca(config, tp)
    cas = [cert for role, cert in recs if role == CertRole.CA]
    if not cas:  # only the fingerprint is kept (query mode, or NVRAM too small): fetch it again, checked
        cas = [ca_certificate(tp.name)]
    ras = [(role, cert) for role, cert in recs if role in RA_ROLES]
    transport = settings.transport(tp)
    caps = transport.get_ca_caps()
    warnings = note_caps(config.ca_caps_seen, tp.name, caps)
    standard = "SCEPSTANDARD" in caps
    # NDES style: encrypt to the RA certificate allowing keyEncipherment, verify with the one
    # allowing digitalSignature; the CA itself may sign too.
    recipient = next((cert for role, cert in ras if role in (CertRole.RA_ENCRYPTION, CertRole.RA)), cas[0])
    signers = [cert for role, cert in ras if role in (CertRole.RA_SIGNATURE, CertRole.RA)] + cas
    return LockedExchange(
        lock=lock, trustpoint=tp.name, transport=transport, post=standard or "POSTPKIOPERATION" in caps,
        digest=message_digest(caps, tp.hash),
        cipher="aes128" if standard or "AES" in caps else "des3",
        recipient=recipient, trusted_signers=signers, ca_certificates=cas,
        retry_period_s=tp.enrollment_retry_period * settings.seconds_per_retry_minute,
        retry_count=tp.enrollment_retry_count, warnings=warnings, caps=caps, clock=clock)
