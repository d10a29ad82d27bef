"""Manual (cut-and-paste) enrollment, ``enrollment terminal``: the PKCS#10 requests a person
carries to the CA (a web enrollment page, an offline CA, ``openssl x509 -req``), one per key pair
(usage keys: signature and encryption). They are built exactly as the SCEP requests are
(:func:`pkitui.core.scep.request.request_csr`);
the certificate comes back through ``crypto pki import`` (:meth:`CertificateService.import_certificate`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkitui.core.identity import Identity
from pkitui.core.keys import KeyPair
from pkitui.core.scep.request import request_csr, request_subject
from pkitui.core.trustpoints import Trustpoint


@dataclass(frozen=True)
class ManualRequest:
    """One certificate request to paste to the CA: for key pair ``key_id`` (``usage``: general,
    signature or encryption), as PEM (``-----BEGIN CERTIFICATE REQUEST-----``)."""

    trustpoint: str
    key_id: str
    usage: str
    subject: str
    pem: str


def manual_requests(identity: Identity, tp: Trustpoint, pairs: list[KeyPair], *,
                    challenge: str | None) -> list[ManualRequest]:
    """The PKCS#10 request of each key pair in ``pairs`` for trustpoint ``tp`` (``tp`` as the
    request sees it: see :func:`pkitui.core.scep.plan.request_trustpoint`)."""
    subject = request_subject(identity, tp)
    requests = []
    for pair in pairs:
        der = request_csr(identity, tp, pair.private_key, challenge=challenge, key_usage=pair.usage)
        pem = x509.load_der_x509_csr(der).public_bytes(serialization.Encoding.PEM).decode()
        requests.append(ManualRequest(tp.name, pair.key_id, pair.usage, subject.rfc4514_string(), pem))
    return requests
