"""Export and import: ``crypto pki export | import TP pem | pkcs12``, ``crypto key export | import rsa``.

Thin adapters over ``pki.transfer``: they print what IOS prints (the PEM with its ``% CA
certificate:`` / ``% Key name:`` / ``% Certificate:`` headers, the files written) and ask about the
CA certificate of an import as ``crypto pki authenticate`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkitui.core.export import Cipher, ExportedKeyPair
from pkitui.ios.grammar import Args
from pkitui.ios.registry import CONFIG, command
from pkitui.ios.scep_commands import ca_confirm
from pkitui.ios.session import Session

if TYPE_CHECKING:
    from pkitui.core.config_copy import Copied
    from pkitui.core.import_bundle import ImportResult
    from pkitui.core.keys import KeyPair, Usage

PASTE_PROMPT = "% End with \"quit\" on a line by itself."
_USAGE_WORDS = {"general": "General Purpose", "signature": "Signature", "encryption": "Encryption"}  # IOS's


def _cipher(args: Args) -> Cipher:
    return "3des" if "3des" in args.words else "aes"


def _pem_lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


def _key_header(pair: ExportedKeyPair) -> list[str]:
    return [f"% Key name: {pair.label}", f"   Usage: {pair.usage_text}"]


def _written(session: Session, copies: list[Copied]) -> None:
    for copied in copies:
        session.print(f"!Writing file to {copied.url}")
        session.print(f"{copied.size} bytes copied in {copied.seconds:.3f} secs ({copied.rate} bytes/sec)")


@command(CONFIG, "crypto {pki | ca} export NAME pem {terminal | url URL} {3des | aes} password PASSWORD")
def export_pem(session: Session, args: Args) -> None:
    """Export the CA certificate, the key pair(s) (private key encrypted) and the device
    certificate(s) as PEM: printed, or to ``URL.ca``, ``URL.prv``, ``URL.crt`` (usage keys:
    ``URL-sign.*``, ``URL-encr.*``). A key generated without ``exportable`` is refused."""
    transfer = session.pki.transfer
    if "url" in args.words:
        _written(session, transfer.export_pem_to(args["name"], args["url"], _cipher(args), args["password"]))
        return
    bundle = transfer.export_pem(args["name"], _cipher(args), args["password"])
    session.print("% The specified key and certificates will be exported in PEM format:")
    session.print("% CA certificate:")
    for line in _pem_lines(bundle.ca_pem):
        session.print(line)
    for pair in bundle.key_pairs:
        for line in _key_header(pair) + _pem_lines(pair.private_pem):
            session.print(line)
        if pair.certificate_pem:
            session.print("% Certificate:")
            for line in _pem_lines(pair.certificate_pem):
                session.print(line)


@command(CONFIG, "crypto {pki | ca} export NAME pkcs12 URL password PASSWORD")
def export_pkcs12(session: Session, args: Args) -> None:
    """Export the key pair, the device certificate and the CA certificate as one PKCS#12 file."""
    _written(session, [session.pki.transfer.export_pkcs12_to(args["name"], args["url"], args["password"])])


@command(CONFIG, "crypto key export rsa LABEL pem {terminal | url URL} {3des | aes} PASSPHRASE")
def export_key(session: Session, args: Args) -> None:
    """Export a key label's pair(s): public key and encrypted private key, printed or to
    ``URL.pub`` and ``URL.prv`` (usage keys: ``URL-sign.*``, ``URL-encr.*``)."""
    transfer = session.pki.transfer
    if "url" in args.words:
        _written(session, transfer.export_key_to(args["label"], args["url"], _cipher(args), args["passphrase"]))
        return
    exported = transfer.export_key(args["label"], _cipher(args), args["passphrase"])
    for pair in exported.key_pairs:
        for line in _key_header(pair) + ["% Public key:", *_pem_lines(pair.public_pem), "% Private key:",
                                         *_pem_lines(pair.private_pem)]:
            session.print(line)


def _imported(session: Session, result: ImportResult) -> None:
    if not result.accepted:
        session.print("% Certificate not accepted: nothing imported.")
        return
    if result.ca is not None:
        session.print("% CA certificate accepted.")
    for pair in result.key_pairs:
        session.print(f"% Key pair {pair.key_id}: {pair.usage_text}, {pair.modulus} bits"
                      f"{', exportable' if pair.exportable else ''}")
    for info in result.certificates:
        session.print(f"% Certificate {info.serial_hex} imported into trustpoint {result.trustpoint} "
                      f"(key {info.key_label}).")
    session.print(f"% Trustpoint {result.trustpoint} imported successfully.")
    session.print("% Save the configuration to keep it: copy system:running-config nvram:startup-config")


def _usage_keys(args: Args) -> bool | None:
    return True if "usage-keys" in args.words else False if "general-purpose" in args.words else None


@command(CONFIG, "crypto {pki | ca} import NAME pem [usage-keys | general-purpose] {terminal | url URL} "
                 "password PASSWORD [exportable]")
def import_pem(session: Session, args: Args) -> None:
    """Import a key pair, its certificate and the CA certificate (the CA's fingerprint decided
    as by ``crypto pki authenticate``): pasted as IOS asks (the CA certificate, the private key,
    the certificate, each ended by ``quit``) or at once as ``pem terminal`` printed, or from
    ``URL.ca``, ``URL.prv``, ``URL.crt``."""
    pki = session.pki
    tp = pki.trustpoints.get(args["name"]).name
    exportable = "exportable" in args.words
    if "url" in args.words:
        _imported(session, pki.transfer.import_pem_from(tp, args["url"], args["password"],
                                                        confirm=ca_confirm(session, tp), usage_keys=_usage_keys(args),
                                                        exportable=exportable))
        return
    _PemPastes(session, tp, args["password"], exportable, usage_keys=_usage_keys(args) is True).start()


class _PemPastes:
    """``crypto pki import TP pem terminal``'s pastes, as IOS asks for them: the CA certificate,
    then per key pair its encrypted private key and its certificate, each ended by ``quit``. A
    first paste that holds a private key is a whole bundle (what ``crypto pki export ... pem
    terminal`` printed, pasted at once): imported as it is, nothing more asked."""

    def __init__(self, session: Session, tp: str, password: str, exportable: bool, *, usage_keys: bool) -> None:
        self.session, self.tp, self.password, self.exportable = session, tp, password, exportable
        self.usages: list[Usage] = ["signature", "encryption"] if usage_keys else ["general"]
        self.ca = ""
        self.pairs: list[tuple[Usage, str, str]] = []

    def start(self) -> None:
        self.session.print("% Enter PEM-formatted CA certificate.")
        self.session.print(PASTE_PROMPT)
        self.session.collect_block(self._ca_pasted)

    def _ca_pasted(self, text: str) -> None:
        transfer = self.session.pki.transfer
        if "PRIVATE KEY-----" in text:  # the whole export at once
            _imported(self.session, transfer.import_pem(self.tp, text, self.password,
                                                        confirm=ca_confirm(self.session, self.tp),
                                                        exportable=self.exportable))
            return
        self.ca = text
        self._ask_key()

    def _ask_key(self) -> None:
        usage = self.usages[len(self.pairs)]
        self.session.print(f"% Enter PEM-formatted encrypted private {_USAGE_WORDS[usage]} key.")
        self.session.print(PASTE_PROMPT)
        self.session.collect_block(lambda key: self._ask_certificate(usage, key))

    def _ask_certificate(self, usage: Usage, key: str) -> None:
        self.session.print(f"% Enter PEM-formatted {_USAGE_WORDS[usage]} certificate.")
        self.session.print(PASTE_PROMPT)
        self.session.collect_block(lambda cert: self._pair_pasted(usage, key, cert))

    def _pair_pasted(self, usage: Usage, key: str, cert: str) -> None:
        self.pairs.append((usage, key, cert))
        if len(self.pairs) < len(self.usages):
            self._ask_key()
            return
        _imported(self.session, self.session.pki.transfer.import_pem_parts(
            self.tp, self.ca, self.pairs, self.password, confirm=ca_confirm(self.session, self.tp),
            exportable=self.exportable))


@command(CONFIG, "crypto {pki | ca} import NAME pkcs12 URL password PASSWORD [exportable]")
def import_pkcs12(session: Session, args: Args) -> None:
    """Import a PKCS#12 file: the trustpoint (declared when missing), its CA certificate (the
    fingerprint decision), the key pair named after it and its certificate."""
    tp = args["name"]
    result = session.pki.transfer.import_pkcs12_from(tp, args["url"], args["password"], confirm=ca_confirm(session, tp),
                                                     exportable="exportable" in args.words)
    _imported(session, result)


def _keys_imported(session: Session, pairs: list[KeyPair]) -> None:
    for pair in pairs:
        session.print(f"% Key pair {pair.key_id}: {pair.usage_text}, {pair.modulus} bits, "
                      f"{'exportable' if pair.exportable else 'not exportable'}")
    session.print("% Key pair import succeeded.")


@command(CONFIG, "crypto key import rsa LABEL pem [usage-keys | general-purpose] {terminal | url URL} "
                 "PASSPHRASE [exportable]")
def import_key(session: Session, args: Args) -> None:
    """Import an RSA key pair (or a signature and an encryption pair) under LABEL: pasted PEM,
    or ``URL.prv`` (usage keys: ``URL-sign.prv`` and ``URL-encr.prv``). Not exportable unless
    ``exportable`` is given."""
    transfer = session.pki.transfer
    exportable = "exportable" in args.words
    if "url" in args.words:
        _keys_imported(session, transfer.import_key_from(args["label"], args["url"], args["passphrase"],
                                                         usage_keys=_usage_keys(args), exportable=exportable))
        return
    session.print("% Enter PEM-formatted encrypted private key(s).")
    session.print(PASTE_PROMPT)
    session.collect_block(lambda text: _keys_imported(session, transfer.import_key(
        args["label"], text, args["passphrase"], exportable=exportable)))
