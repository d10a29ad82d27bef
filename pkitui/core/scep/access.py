"""SCEP's certificate and CRL access (RFC 8894 §3.3.4, §3.3.5): GetCert fetches this device's
certificate again from its CA (query mode keeps it out of NVRAM), GetCRL fetches the CA's CRL with
one of our certificates. Each reply is verified as every CertRep; nothing is stored here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cryptography import x509

from pkitui.core.errors import ScepError, TrustpointError
from pkitui.core.records import CertRole
from pkitui.core.scep.enroll_keys import current_cert, key_pairs
from pkitui.core.scep.messages import get_cert_content, get_crl_content, new_transaction_id, self_signed_signer

if TYPE_CHECKING:
    from pkitui.core.clock import Clock
    from pkitui.core.config import RunningConfig
    from pkitui.core.scep.enroll import Exchange
    from pkitui.core.trustpoints import Trustpoint


def get_cert(config: RunningConfig, exchange: Callable[[], Exchange], trustpoint: Trustpoint,
             serial: int | str | None) -> list[x509.Certificate]:
    """GetCert of ``serial`` (None: each held device certificate's) over the exchange ``exchange()``
    builds (after the key pairs and serials are known); see ``ScepService.get_cert``."""
    pairs = key_pairs(config, trustpoint)
    if serial is None:
        serials = [x509.load_der_x509_certificate(c.der).serial_number for c in config.certificates
                   if c.trustpoint == trustpoint.name and c.role == CertRole.DEVICE and c.der is not None]
        if not serials:
            raise TrustpointError(f"Trustpoint {trustpoint.name} holds no device certificate to fetch again",
                                  "Give the serial number of the certificate the CA issued to this device.")
    else:
        serials = [serial_number(serial)]
    ex = exchange()
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


def get_crl(config: RunningConfig, clock: Clock, exchange: Callable[[], Exchange], trustpoint: Trustpoint) -> bytes:
    """GetCRL with the first of ``trustpoint``'s certificates valid now, over the exchange
    ``exchange()`` builds; the CRL DER, verified. TrustpointError when no certificate is held."""
    ex = exchange()
    for pair in key_pairs(config, trustpoint):
        cert = current_cert(config, clock, trustpoint, pair)
        if cert is not None:
            rep = ex.send("GetCRL", get_crl_content(cert), signer=cert, key=pair.private_key,
                          transaction_id=new_transaction_id(), public_keys=[], want_crl=True)
            if rep.status != "SUCCESS" or rep.crl is None:
                raise ScepError("GetCRL refused by the CA: "
                                f"{rep.fail_reason if rep.status == 'FAILURE' else rep.status}")
            return rep.crl
    raise TrustpointError(f"GetCRL needs a certificate of trustpoint {trustpoint.name}",
                          f"Enroll first: crypto pki enroll {trustpoint.name}")


def serial_number(serial: int | str) -> int:
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
