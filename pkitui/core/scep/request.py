"""What a certificate request asks for: subject name and options, from the trustpoint (IOS rules)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from pkitui.core.dn import parse_dn
from pkitui.core.errors import ConfigError
from pkitui.core.identity import Identity
from pkitui.core.scep.messages import build_csr
from pkitui.core.trustpoint_values import EKU_OIDS, FQDN_NONE, IP_NONE
from pkitui.core.trustpoints import Trustpoint

# "usage": the extended key usage each IOS keyword puts in the request.
USAGE_EKUS = {"ike": "1.3.6.1.5.5.7.3.17", "ssl-client": "1.3.6.1.5.5.7.3.2", "ssl-server": "1.3.6.1.5.5.7.3.1"}


def device_serial_number() -> str:
    """This host's serial number for ``serial-number``: the machine id, as IOS uses the chassis serial."""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text:
            return text[:16].upper()
    import uuid

    return format(uuid.getnode(), "012X")


def request_fqdn(identity: Identity, tp: Trustpoint) -> str | None:
    """The FQDN a request of ``tp`` carries: ``fqdn NAME``, none for ``fqdn none``, else
    hostname.domain (None when those are not both set)."""
    if tp.fqdn == FQDN_NONE:
        return None
    return tp.fqdn or identity.fqdn


UNSTRUCTURED_NAME = x509.ObjectIdentifier("1.2.840.113549.1.9.2")  # IOS prints it as hostname=


def request_subject(identity: Identity, tp: Trustpoint) -> x509.Name:
    """What IOS sends: ``subject-name`` if configured, else CN=FQDN (``fqdn NAME`` or
    hostname.domain), plus the FQDN as unstructuredName (IOS's ``hostname=``) when there is one;
    ``serial-number`` adds serialNumber."""
    fqdn = tp.fqdn if tp.fqdn and tp.fqdn != FQDN_NONE else None
    if tp.fqdn != FQDN_NONE and fqdn is None:
        fqdn = identity.fqdn if tp.subject_name else identity.require_fqdn("enrolling")
    if tp.subject_name:
        name = parse_dn(tp.subject_name)  # the relaxed IOS syntax subject-name accepts
    elif fqdn is None:
        raise ConfigError(f"Trustpoint {tp.name} has 'fqdn none' and no subject-name: the request would name nothing",
                          f"Configure one: crypto pki trustpoint {tp.name} / subject-name CN=NAME")
    else:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn)])
    rdns = list(name.rdns)
    if fqdn is not None:
        rdns.append(x509.RelativeDistinguishedName([x509.NameAttribute(UNSTRUCTURED_NAME, fqdn)]))
    if tp.serial_number:
        rdns.append(x509.RelativeDistinguishedName(
            [x509.NameAttribute(NameOID.SERIAL_NUMBER, device_serial_number())]))
    return x509.Name(rdns)


@dataclass(frozen=True)
class RequestProfile:
    """What a certificate request asks for beyond its subject: the subjectAltName (the FQDN,
    ``subject-alt-name``, the address), the key usage, the extended key usages (``usage`` and
    ``eku request``) and the signature hash (``hash``)."""

    dns_names: list[str]
    ip_address: str | None
    key_usage: x509.KeyUsage | None
    ekus: list[x509.ObjectIdentifier]
    hash: str


def _key_usage(tp: Trustpoint, key_usage: str) -> x509.KeyUsage | None:
    """The request's keyUsage: a usage key's own (signature or encryption), or both for a general
    key with ``usage`` configured; none for a general key without ``usage`` (the CA decides)."""
    sign = key_usage in ("general", "signature")
    encipher = key_usage in ("general", "encryption")
    if key_usage == "general" and not tp.usage:
        return None
    return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=encipher,
                         data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                         encipher_only=False, decipher_only=False)


def _ekus(tp: Trustpoint) -> list[x509.ObjectIdentifier]:
    """``usage`` (ike: ipsecIKE, ssl-client: clientAuth, ssl-server: serverAuth) then ``eku
    request``, each OID once, in that order."""
    oids = [USAGE_EKUS[u] for u in tp.usage] + [EKU_OIDS[e] for e in tp.eku_request]
    return [x509.ObjectIdentifier(o) for o in dict.fromkeys(oids)]


def request_profile(identity: Identity, tp: Trustpoint, key_usage: str = "general") -> RequestProfile:
    """The profile of a request of ``tp`` for a key pair of ``key_usage`` (general, signature,
    encryption). ``ip-address``: an address as it is, an interface's current address, nothing
    for ``none`` or unset (an answer to IOS's question is the caller's to put in ``tp``)."""
    names = [n for n in (request_fqdn(identity, tp), tp.subject_alt_name) if n]
    address = tp.ip_address
    if address is not None and address != IP_NONE:
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            from pkitui.core.interfaces import interface_address  # the OS, only for an interface

            address = interface_address(address)
    return RequestProfile(dns_names=list(dict.fromkeys(names)),
                          ip_address=None if address == IP_NONE else address,
                          key_usage=_key_usage(tp, key_usage), ekus=_ekus(tp), hash=tp.hash or "sha256")


def request_csr(identity: Identity, tp: Trustpoint, key: rsa.RSAPrivateKey, *, challenge: str | None,
                key_usage: str = "general") -> bytes:
    """The PKCS#10 request (DER) of ``tp`` for ``key``: :func:`request_subject` and
    :func:`request_profile`, signed with the ``hash`` configured. Both SCEP and
    ``enrollment terminal`` send this."""
    profile = request_profile(identity, tp, key_usage)
    return build_csr(key, request_subject(identity, tp), challenge=challenge, dns_names=profile.dns_names,
                     ip_address=profile.ip_address, key_usage=profile.key_usage, ekus=profile.ekus,
                     hash_name=profile.hash)
