"""What a certificate request asks for: subject name and options, from the trustpoint (IOS rules)."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from pkitui.core.dn import parse_dn
from pkitui.core.identity import Identity
from pkitui.core.trustpoints import Trustpoint


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


def request_subject(identity: Identity, tp: Trustpoint) -> x509.Name:
    """``subject-name`` if configured, else CN=FQDN; ``serial-number`` adds serialNumber."""
    if tp.subject_name:
        name = parse_dn(tp.subject_name)  # the relaxed IOS syntax subject-name accepts
    else:
        fqdn = identity.require_fqdn("enrolling")
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn)])
    if tp.serial_number:
        name = x509.Name(list(name.rdns) + [x509.RelativeDistinguishedName(
            [x509.NameAttribute(NameOID.SERIAL_NUMBER, device_serial_number())])])
    return name
