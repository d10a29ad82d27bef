"""Export and import from the console (issue 11): the dialogs that ask where to, in which form
and with which password (asked twice for an export), and the one run of each over
``pki.transfer`` that the key manager and the certificate chain browser share.

The runs happen in the panes' thread workers (a TFTP transfer and the CA's fingerprint check
block). Each ends with one IOS-style console message in the log (worded by
:mod:`pkitui.ios.syslog`, like every other console line, through :mod:`pkitui.tui.console_log`);
a refusal (a key generated without ``exportable``, a wrong password) is logged as
``%PKI-3-..._FAILURE`` with the core's reason, then raised to the pane's one error handler (the
notification with its hint). No password reaches the log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from pkitui.core.errors import PkiError
from pkitui.core.export import Cipher
from pkitui.tui import console_log
from pkitui.tui.bridge import describe_error
from pkitui.tui.messages import CoreCallFailed

if TYPE_CHECKING:
    from textual.widget import Widget

    from pkitui.core.config_copy import Copied
    from pkitui.core.scep.ca import CaCandidate
    from pkitui.tui.screens.base import PkiPane

URL_HELP = "a path, file:PATH or tftp://HOST/FILE"
CIPHERS: list[tuple[str, Cipher]] = [("aes (AES-256-CBC)", "aes"), ("3des (DES-EDE3-CBC)", "3des")]


@dataclass(frozen=True)
class ExportRequest:
    """Where and how to export: ``url`` as ``crypto pki export ... url URL`` takes it."""

    url: str
    password: str
    cipher: Cipher = "aes"
    pkcs12: bool = False


@dataclass(frozen=True)
class ImportRequest:
    """What to import into ``target`` (a trustpoint or a key label) and from where."""

    target: str
    url: str
    password: str
    pkcs12: bool = False
    exportable: bool = False


def _row(label: str, field: Widget) -> ComposeResult:
    """A field with its label before it (a placeholder alone is gone once the field is filled)."""
    with Horizontal(classes="transfer-row"):
        yield Label(label, classes="transfer-label")
        yield field


class ExportDialog(ModalScreen[ExportRequest | None]):
    """Export a trustpoint (PEM: three files as IOS writes them, or PKCS#12) or a key pair (PEM):
    the path, the cipher of the private key and the password twice. Export stays disabled until
    both passwords are given and equal; the reason shows under the fields."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="transfer_export_cancel", tooltip="Do not export")]

    def __init__(self, title: str, default_url: str, *, offer_pkcs12: bool, files: str) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.default_url, self.offer_pkcs12, self.files = title, default_url, offer_pkcs12, files

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box transfer-box"):
            yield Label(self.title_text, classes="dialog-title")
            if self.offer_pkcs12:
                yield from _row("Form", Select([("PEM: URL.ca, URL.prv, URL.crt (as IOS)", "pem"),
                                                ("PKCS#12: one file at URL", "pkcs12")], value="pem",
                                               allow_blank=False, id="transfer-form", compact=True))
            yield from _row("Cipher", Select(CIPHERS, value="aes", allow_blank=False, id="transfer-cipher",
                                             compact=True, tooltip="How the private key is encrypted (PEM)"))
            yield from _row("URL", Input(self.default_url, placeholder=URL_HELP, id="transfer-url", compact=True))
            yield from _row("Password", Input(placeholder="encrypts the private key", password=True,
                                              id="transfer-password", compact=True))
            yield from _row("Again", Input(placeholder="the same password again", password=True,
                                           id="transfer-again", compact=True))
            yield Static(self.files, id="transfer-files", classes="dialog-details")
            yield Label("", id="transfer-problem", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Export", id="export", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#transfer-password", Input).focus()
        self._check()

    def problem(self) -> str:
        """Why Export is not possible yet ("" when it is)."""
        url = self.query_one("#transfer-url", Input).value.strip()
        password = self.query_one("#transfer-password", Input).value
        again = self.query_one("#transfer-again", Input).value
        if not url:
            return f"Give the URL to write to ({URL_HELP})."
        if not password:
            return "Give a password: the private key is never exported in clear."
        if password != again:
            return "The two passwords differ." if again else "Type the password again."
        return ""

    @on(Input.Changed)
    @on(Select.Changed)
    def _check(self) -> None:
        problem = self.problem()
        self.query_one("#transfer-problem", Label).update(problem)
        self.query_one("#export", Button).disabled = bool(problem)
        if self.offer_pkcs12:
            pkcs12 = self.query_one("#transfer-form", Select).value == "pkcs12"
            self.query_one("#transfer-cipher", Select).disabled = pkcs12  # PKCS#12 encrypts its own way

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.problem():
            self.query_one("#export", Button).press()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "export" or self.problem():
            self.dismiss(None)
            return
        cipher = self.query_one("#transfer-cipher", Select).value
        pkcs12 = self.offer_pkcs12 and self.query_one("#transfer-form", Select).value == "pkcs12"
        self.dismiss(ExportRequest(self.query_one("#transfer-url", Input).value.strip(),
                                   self.query_one("#transfer-password", Input).value,
                                   "3des" if cipher == "3des" else "aes", pkcs12))


class ImportDialog(ModalScreen[ImportRequest | None]):
    """Import into a trustpoint (PEM files URL.ca/.prv/.crt, or PKCS#12) or under a key label
    (PEM: URL.prv): the target, the URL, the password and whether the key may be exported again."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="transfer_import_cancel", tooltip="Do not import")]

    def __init__(self, title: str, target_help: str, default_target: str, default_url: str, *,
                 offer_pkcs12: bool) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.target_help, self.default_target = title, target_help, default_target
        self.default_url, self.offer_pkcs12 = default_url, offer_pkcs12

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box transfer-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield from _row("Into", Input(self.default_target, placeholder=self.target_help, id="transfer-target",
                                          compact=True))
            if self.offer_pkcs12:
                yield from _row("Form", Select([("PEM: URL.ca, URL.prv, URL.crt", "pem"),
                                                ("PKCS#12: the file at URL", "pkcs12")],
                                               value="pem", allow_blank=False, id="transfer-form", compact=True))
            yield from _row("URL", Input(self.default_url, placeholder=URL_HELP, id="transfer-url", compact=True))
            yield from _row("Password", Input(placeholder="the one the private key was exported with", password=True,
                                              id="transfer-password", compact=True))
            yield Checkbox("exportable (the imported key may be exported again)", id="transfer-exportable",
                           compact=True)
            yield Label("", id="transfer-problem", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Import", id="import", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#transfer-url", Input).focus()
        self._check()

    def problem(self) -> str:
        """Why Import is not possible yet ("" when it is)."""
        if not self.query_one("#transfer-target", Input).value.strip():
            return f"Give the {self.target_help}."
        if not self.query_one("#transfer-url", Input).value.strip():
            return f"Give the URL to read from ({URL_HELP})."
        if not self.query_one("#transfer-password", Input).value:
            return "Give the password the private key was exported with."
        return ""

    @on(Input.Changed)
    def _check(self) -> None:
        problem = self.problem()
        self.query_one("#transfer-problem", Label).update(problem)
        self.query_one("#import", Button).disabled = bool(problem)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.problem():
            self.query_one("#import", Button).press()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "import" or self.problem():
            self.dismiss(None)
            return
        pkcs12 = self.offer_pkcs12 and self.query_one("#transfer-form", Select).value == "pkcs12"
        self.dismiss(ImportRequest(self.query_one("#transfer-target", Input).value.strip(),
                                   self.query_one("#transfer-url", Input).value.strip(),
                                   self.query_one("#transfer-password", Input).value, pkcs12,
                                   self.query_one("#transfer-exportable", Checkbox).value))


# -- the runs (in a pane's thread worker) -------------------------------------------------------------
def ask_ca_decision(pane: PkiPane, trustpoint: str, candidate: CaCandidate) -> bool:
    """From a worker: the fingerprint dialog for ``candidate``, told which CA ``trustpoint``
    already trusts (if it exists yet), as Authenticate asks it."""
    from pkitui.tui.screens.fingerprint import FingerprintDialog

    trusted = (pane.core(pane.pki.trustpoints.status, trustpoint).ca_sha256
               if trustpoint in pane.pki.config.trustpoints else None)
    accepted: bool | None = pane.ask(FingerprintDialog(candidate, trusted_sha256=trusted))
    return bool(accepted)


def _failed(pane: PkiPane, form: str, importing: bool, what: str, error: PkiError) -> None:
    pane.console.post_message(console_log.transfer_failed(form, importing, what, describe_error(error)[0]))


def _copied(copies: list[Copied]) -> tuple[list[str], int]:
    return [str(c.url) for c in copies], sum(c.size for c in copies)


def refused(pane: PkiPane, form: str, what: str, check: Callable[[], None]) -> bool:
    """On the UI thread, before a password is asked: run the core's ``check`` of an export; a
    refusal (a key generated without exportable, no certificate) is logged and shown, and True
    returned (then nothing is asked)."""
    try:
        check()
    except PkiError as exc:
        _failed(pane, form, False, what, exc)
        pane.console.post_message(CoreCallFailed(exc))
        return True
    return False


def ask_export(pane: PkiPane, form: str, what: str, check: Callable[[], None], dialog: ExportDialog,
               run: Callable[[ExportRequest], object]) -> None:
    """The console's export, in its one order (the key manager's and the chain browser's): the
    core's ``check`` first (a refusal is said and nothing is asked), then ``dialog``, then ``run``
    (a pane's worker) with what was chosen; Cancel runs nothing."""
    if refused(pane, form, what, check):
        return

    def chosen(request: ExportRequest | None) -> None:
        if request is not None:
            run(request)

    pane.app.push_screen(dialog, chosen)


def export_trustpoint(pane: PkiPane, trustpoint: str, request: ExportRequest) -> None:
    """``crypto pki export TP pem url URL CIPHER password PW`` or ``... pkcs12 URL password PW``."""
    transfer = pane.pki.transfer
    try:
        if request.pkcs12:
            copies = [pane.core(transfer.export_pkcs12_to, trustpoint, request.url, request.password)]
        else:
            copies = pane.core(transfer.export_pem_to, trustpoint, request.url, request.cipher, request.password)
    except PkiError as exc:
        _failed(pane, "PKCS12" if request.pkcs12 else "PEM", False, f"Export from trustpoint {trustpoint}", exc)
        raise
    pane.console.post_message(console_log.trustpoint_exported(trustpoint, request.pkcs12, *_copied(copies)))


def export_key(pane: PkiPane, label: str, request: ExportRequest) -> None:
    """``crypto key export rsa LABEL pem url URL CIPHER PASSPHRASE``."""
    try:
        copies = pane.core(pane.pki.transfer.export_key_to, label, request.url, request.cipher, request.password)
    except PkiError as exc:
        _failed(pane, "KEY", False, f"Export of RSA key pair {label}", exc)
        raise
    pane.console.post_message(console_log.key_exported(label, *_copied(copies)))


def import_trustpoint(pane: PkiPane, request: ImportRequest) -> bool:
    """``crypto pki import TP pem url URL password PW`` or ``... pkcs12 URL password PW``; the CA
    certificate goes through the fingerprint dialog. True when something was imported."""
    import functools

    transfer, tp = pane.pki.transfer, request.target
    confirm = functools.partial(ask_ca_decision, pane, tp)
    try:
        if request.pkcs12:
            result = pane.core(transfer.import_pkcs12_from, tp, request.url, request.password, confirm=confirm,
                               exportable=request.exportable)
        else:
            result = pane.core(transfer.import_pem_from, tp, request.url, request.password, confirm=confirm,
                               exportable=request.exportable)
    except PkiError as exc:
        _failed(pane, "PKCS12" if request.pkcs12 else "PEM", True, f"Import in to trustpoint {tp}", exc)
        raise
    if not result.accepted:
        pane.console.post_message(console_log.ca_rejected(tp))
        return False
    pane.console.post_message(console_log.trustpoint_imported(
        result.trustpoint, request.pkcs12, [p.key_id for p in result.key_pairs], len(result.certificates)))
    return True


def import_key(pane: PkiPane, request: ImportRequest) -> None:
    """``crypto key import rsa LABEL pem url URL PASSPHRASE [exportable]``."""
    try:
        pairs = pane.core(pane.pki.transfer.import_key_from, request.target, request.url, request.password,
                          exportable=request.exportable)
    except PkiError as exc:
        _failed(pane, "KEY", True, f"Import of RSA key pair {request.target}", exc)
        raise
    pane.console.post_message(console_log.key_imported(request.target, [p.key_id for p in pairs]))
