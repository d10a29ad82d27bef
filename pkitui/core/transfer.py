"""``pki.transfer``: export and import of key pairs and trustpoints (IOS's ``crypto pki export``,
``crypto pki import ... pem | pkcs12``, ``crypto key export | import rsa``).

Each method is one user intention; the front ends render what it returns::

    pki.transfer.export_pem("lab", "aes", "pw")                  # PemExport: .ca_pem, .key_pairs[i].private_pem ...
    pki.transfer.export_pem_to("lab", "/tmp/r1", "3des", "pw")  # writes /tmp/r1.ca, .prv, .crt (0600, atomic)
    pki.transfer.export_pkcs12_to("lab", "tftp://10.0.0.1/r1.p12", "pw")
    pki.transfer.export_key("vpn", "aes", "pw")                  # KeyExport: public and private PEM per pair
    pki.transfer.import_pem("lab", pasted_text, "pw", confirm=ask)   # ImportResult (.accepted: CA decision)
    pki.transfer.import_pem_parts("lab", ca_text, [("general", key_text, cert_text)], "pw", confirm=ask)  # IOS's pastes
    pki.transfer.import_pem_from("lab", "/tmp/r1", "pw", confirm=None)  # the trustpoint's fingerprint decides
    pki.transfer.import_pkcs12_from("lab", "/tmp/r1.p12", "pw", confirm=ask)
    pki.transfer.import_key("vpn", pasted_text, "pw", exportable=True)

URLs are those of ``copy running-config URL`` (:mod:`pkitui.core.config_copy`): a local path,
``file:PATH`` (written atomically, mode 0600) or ``tftp://HOST[:PORT]/FILE``. Every export refuses a
key pair generated without ``exportable`` (:class:`~pkitui.core.export.KeyNotExportable`) before
anything is written. Nothing here saves: the running configuration changes, ``pki.save()`` keeps it.
Network transfers (TFTP) and CA checks block: front ends call these from a worker.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import TYPE_CHECKING

from pkitui.core.clock import Clock
from pkitui.core.config import RunningConfig
from pkitui.core.config_copy import ConfigCopyError, ConfigUrl, Copied, parse_url, read_bytes, write_bytes
from pkitui.core.export import Cipher, Exporter, KeyExport, PemExport, TransferError, require_exportable
from pkitui.core.import_bundle import (MAX_BUNDLE_BYTES, Bundle, Importer, ImportResult, decrypt_private_key,
                                       key_files, parse_pem_bundle, parse_pem_parts, parse_pkcs12)
from pkitui.core.keyring import KeyRing
from pkitui.core.keys import KeyPair, Usage
from pkitui.core.tftp import TftpError

if TYPE_CHECKING:
    from pkitui.core.ca_trust import CaTrust, Confirm
    from pkitui.core.certs import CertificateService
    from pkitui.core.trustpoint_service import TrustpointService


_PKCS12_EXAMPLE = "./vpn.p12"  # what a URL error's hint suggests: one file for PKCS#12,
_FILES_EXAMPLE = "/root/vpn"  # a base name for PEM (vpn.ca, vpn.prv, vpn.crt) and keys (vpn.pub, vpn.prv)
_MISSING = (ConfigCopyError, TftpError)  # a file that is not there (or cannot be read): try the other layout


def _with_suffix(url: ConfigUrl, suffix: str) -> ConfigUrl:
    return ConfigUrl(url.scheme, url.path + suffix, url.server)


class TransferService:
    """Export and import (see the module's docstring for the calls)."""

    def __init__(self, config: RunningConfig, keys: KeyRing, trustpoints: TrustpointService,
                 ca_trust: Callable[[], CaTrust], certificates: Callable[[], CertificateService],
                 clock: Clock) -> None:
        self._keys = keys
        self._trustpoints = trustpoints
        self._certificates = certificates
        self._exporter = Exporter(config, lambda tp: certificates().ca_certificate(tp),
                                  lambda record: certificates().der_of(record))
        self._importer = Importer(config, trustpoints, ca_trust, certificates, clock)

    # -- export ----------------------------------------------------------------------------------
    def check_export(self, tp: str) -> None:
        """The refusal any export of ``tp`` would give, without encrypting anything: no certificate
        of this device held, or a key pair generated without ``exportable`` (KeyNotExportable).
        A front end calls it before asking for a password."""
        require_exportable([pair for pair, _der in self._exporter.own(self._trustpoints.get(tp).name)])

    def check_key_export(self, label: str) -> None:
        """The refusal any export of key label ``label`` would give (KeyNotExportable)."""
        require_exportable(self._keys.list(label))

    def export_pem(self, tp: str, cipher: Cipher, password: str) -> PemExport:
        """``crypto pki export TP pem terminal CIPHER password PW``: CA certificate(s), then each key
        pair (private key encrypted with ``cipher``) with its certificate."""
        return self._exporter.pem(self._trustpoints.get(tp).name, cipher, password)

    def export_pem_to(self, tp: str, url: str, cipher: Cipher, password: str) -> builtins.list[Copied]:
        """``crypto pki export TP pem url URL ...``: ``URL.ca``, ``URL.prv``, ``URL.crt`` (usage keys:
        ``URL-sign.prv`` ... ``URL-encr.crt``), each file written atomically 0600 (or over TFTP)."""
        target = parse_url(url, "an export", _FILES_EXAMPLE)
        return [write_bytes(_with_suffix(target, suffix), text.encode())
                for suffix, text in self.export_pem(tp, cipher, password).files()]

    def export_pkcs12(self, tp: str, password: str) -> bytes:
        """PKCS#12 (DER) of ``tp``: key pair, certificate, CA certificate(s), encrypted with ``password``."""
        return self._exporter.pkcs12(self._trustpoints.get(tp).name, password)

    def export_pkcs12_to(self, tp: str, url: str, password: str) -> Copied:
        """``crypto pki export TP pkcs12 URL password PW``: the file at ``URL`` itself (no suffix)."""
        target = parse_url(url, "an export", _PKCS12_EXAMPLE)
        return write_bytes(target, self.export_pkcs12(tp, password))

    def export_key(self, label: str, cipher: Cipher, password: str) -> KeyExport:
        """``crypto key export rsa LABEL pem terminal CIPHER PW``: public and encrypted private key per pair."""
        return self._exporter.key(self._keys.list(label), cipher, password)

    def export_key_to(self, label: str, url: str, cipher: Cipher, password: str) -> builtins.list[Copied]:
        """``crypto key export rsa LABEL pem url URL ...``: ``URL.pub`` and ``URL.prv`` (usage keys:
        ``URL-sign.pub`` ... ``URL-encr.prv``)."""
        target = parse_url(url, "an export", _FILES_EXAMPLE)
        return [write_bytes(_with_suffix(target, suffix), text.encode())
                for suffix, text in self.export_key(label, cipher, password).files()]

    # -- import ----------------------------------------------------------------------------------
    def import_pem(self, tp: str, text: str, password: str, *, confirm: Confirm | None,
                   exportable: bool = False) -> ImportResult:
        """``crypto pki import TP pem terminal password PW``: ``text`` is what was pasted (an
        export's terminal output as printed). The CA goes through the fingerprint decision."""
        self._trustpoints.get(tp)
        return self._importer.bundle(tp, parse_pem_bundle(text, password), confirm=confirm, exportable=exportable)

    def import_pem_parts(self, tp: str, ca_text: str, pairs: builtins.list[tuple[Usage, str, str]], password: str,
                         *, confirm: Confirm | None, exportable: bool = False) -> ImportResult:
        """``crypto pki import TP pem terminal password PW`` pasted as IOS asks for it: the CA
        certificate, then per key pair (usage, encrypted private key, certificate) as three pastes."""
        self._trustpoints.get(tp)
        return self._importer.bundle(tp, parse_pem_parts(ca_text, pairs, password), confirm=confirm,
                                     exportable=exportable)

    def import_pem_from(self, tp: str, url: str, password: str, *, confirm: Confirm | None,
                        usage_keys: bool | None = None, exportable: bool = False) -> ImportResult:
        """``crypto pki import TP pem url URL password PW``: reads ``URL.ca``, ``URL.prv``, ``URL.crt``
        (usage keys: the ``-sign``/``-encr`` files; None: whichever are there)."""
        self._trustpoints.get(tp)
        bundle = self._read_pem_files(parse_url(url, "an import", _FILES_EXAMPLE), password, usage_keys)
        return self._importer.bundle(tp, bundle, confirm=confirm, exportable=exportable)

    def _read_pem_files(self, base: ConfigUrl, password: str, usage_keys: bool | None) -> Bundle:
        from pkitui.core.certfields import load_certificates

        def read(suffix: str, what: str) -> bytes:
            return read_bytes(_with_suffix(base, suffix), what, MAX_BUNDLE_BYTES)

        if usage_keys is None:  # the general-purpose files, else the usage keys' ones
            try:
                return self._read_pem_files(base, password, False)
            except _MISSING as general:
                try:
                    return self._read_pem_files(base, password, True)
                except _MISSING:
                    raise general from None
        bundle = Bundle(ca_certificates=load_certificates(read(".ca", "a CA certificate file (.ca)")))
        for usage, prv in key_files(usage_keys):
            bundle.keys.append((usage, decrypt_private_key(read(prv, f"a private key file ({prv})"), password,
                                                           f"the private key in {base}{prv}")))
            crt = prv[:-4] + ".crt"
            bundle.certificates += load_certificates(read(crt, f"a certificate file ({crt})"))
        return bundle

    def import_pkcs12(self, tp: str, data: bytes, password: str, *, confirm: Confirm | None,
                      exportable: bool = False) -> ImportResult:
        """``crypto pki import TP pkcs12``: ``data`` is the PKCS#12 file; ``tp`` is declared when missing (IOS)."""
        return self._importer.bundle(tp, parse_pkcs12(data, password), confirm=confirm, exportable=exportable,
                                     create=True)

    def import_pkcs12_from(self, tp: str, url: str, password: str, *, confirm: Confirm | None,
                           exportable: bool = False) -> ImportResult:
        """``crypto pki import TP pkcs12 URL password PW``."""
        data = read_bytes(parse_url(url, "an import", _PKCS12_EXAMPLE), "a PKCS#12 file", MAX_BUNDLE_BYTES)
        return self.import_pkcs12(tp, data, password, confirm=confirm, exportable=exportable)

    def import_key(self, label: str, text: str, password: str, *, exportable: bool = False) -> builtins.list[KeyPair]:
        """``crypto key import rsa LABEL pem terminal PW [exportable]``: one private key (general
        purpose) or two (usage keys) from pasted PEM."""
        bundle = parse_pem_bundle(text, password)
        if not bundle.keys:
            raise TransferError("No private key in what was pasted", "Paste the -----BEGIN RSA PRIVATE KEY----- block.")
        return self._importer.key_pairs(label, bundle.keys, exportable=exportable)

    def import_key_from(self, label: str, url: str, password: str, *, usage_keys: bool | None = None,
                        exportable: bool = False) -> builtins.list[KeyPair]:
        """``crypto key import rsa LABEL pem url URL PW``: ``URL.prv`` (usage keys: ``URL-sign.prv``
        and ``URL-encr.prv``; None: whichever are there)."""
        base = parse_url(url, "an import", _FILES_EXAMPLE)
        if usage_keys is None:  # URL.prv, else URL-sign.prv and URL-encr.prv
            try:
                return self.import_key_from(label, url, password, usage_keys=False, exportable=exportable)
            except _MISSING as general:
                try:
                    return self.import_key_from(label, url, password, usage_keys=True, exportable=exportable)
                except _MISSING:
                    raise general from None
        keys = [(usage, decrypt_private_key(read_bytes(_with_suffix(base, prv), f"a private key file ({prv})",
                                                       MAX_BUNDLE_BYTES), password, f"the private key in {base}{prv}"))
                for usage, prv in key_files(usage_keys)]
        return self._importer.key_pairs(label, keys, exportable=exportable)
