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
from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text
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
    from pkitui.core.import_bundle import ImportResult
    from pkitui.core.scep.ca import CaCandidate
    from pkitui.tui.screens.base import PkiPane

URL_HELP = "a path, file:PATH or tftp://HOST/FILE"
RequestT = TypeVar("RequestT")
T = TypeVar("T")
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


def _field(value: str, placeholder: str, id: str, *, password: bool = False) -> Input:
    """A field of a transfer dialog: entering it keeps its text and puts the cursor at its end
    (issue 10: selecting all on focus let one key erase what was typed)."""
    return Input(value, placeholder=placeholder, password=password, id=id, compact=True, select_on_focus=False)


class TransferDialog(ModalScreen[RequestT | None]):
    """What the export and import dialogs share: the focus starts on the first field the problem
    line asks for; Escape in a field leaves the field (to Cancel), Escape elsewhere closes; the run
    happens while the dialog stays open, and a failure is shown in it with every value kept, so
    the administrator corrects one field and tries again."""

    FIELDS: tuple[str, ...] = ()  # the fields in the order problem() asks for them
    BUSY = "Working…"

    def __init__(self, run: Callable[[Any, RequestT], object]) -> None:
        super().__init__(classes="dialog")
        self.run = run
        self.busy = False

    def problem(self) -> str:
        """Why the action is not possible yet ("" when it is)."""
        raise NotImplementedError

    def missing(self) -> str | None:
        """The id of the first field problem() asks for (None when nothing is missing)."""
        raise NotImplementedError

    def request(self) -> RequestT:
        """What was chosen."""
        raise NotImplementedError

    def on_mount(self) -> None:
        first = self.missing() or self.FIELDS[-1]
        self.query_one(f"#{first}", Input).focus()
        self._check()

    def action_cancel(self) -> None:
        """Escape: out of a field first (to Cancel: a next Escape closes), else close."""
        if isinstance(self.focused, Input):
            self.query_one("#cancel", Button).focus()
            return
        if not self.busy:
            self.dismiss(None)

    def _go(self) -> Button:
        return self.query_one(".transfer-go", Button)

    @on(Input.Changed)
    @on(Select.Changed)
    def _check(self) -> None:
        problem = self.problem()
        self.query_one("#transfer-problem", Label).update(problem)
        self.query_one("#transfer-failure", Static).display = False
        self._go().disabled = bool(problem) or self.busy
        self.checked()

    def checked(self) -> None:
        """Hook: the fields were checked (a dialog shows or hides what depends on them)."""

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.problem():
            self._go().press()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            if not self.busy:
                self.dismiss(None)
            return
        if self.problem() or self.busy:
            return
        self.busy = True
        self._go().disabled = True
        self.query_one("#transfer-problem", Label).update(self.BUSY)
        self.run(self, self.request())

    def failed(self, message: str, hint: str | None) -> None:
        """The run failed (UI thread): the reason and what to do in the dialog, every value kept."""
        self.busy = False
        failure = self.query_one("#transfer-failure", Static)
        failure.update(Text(message + (f"\n{hint}" if hint else "")))
        self.query_one("#transfer-problem", Label).update("")
        failure.display = True
        self._go().disabled = bool(self.problem())

    def ended(self, request: RequestT | None) -> None:
        """The run ended (UI thread): close, with what was done (None: nothing was)."""
        self.busy = False
        self.dismiss(request)


def _end(field_id: str) -> ComposeResult:
    """The dialog's foot: the problem line, a failure (hidden until a run fails), the buttons."""
    yield Label("", id="transfer-problem", classes="field-error")
    yield Static("", id="transfer-failure", classes="field-error")
    with Horizontal(classes="dialog-buttons"):
        yield Button("Cancel", id="cancel")
        yield Button(field_id.capitalize(), id=field_id, classes="transfer-go", variant="primary", disabled=True)


class ExportDialog(TransferDialog[ExportRequest]):
    """Export a trustpoint (PEM: three files as IOS writes them, or PKCS#12) or a key pair (PEM):
    the path, the cipher of the private key (PEM only: hidden for PKCS#12, which encrypts its own
    way) and the password twice. Export stays disabled until a URL is given and both passwords are
    equal; the reason shows under the fields. The URL starts empty: where a private key goes is
    chosen, never defaulted (the placeholder shows an example)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="transfer_export_cancel",
                        tooltip="Leave the field; in none, do not export")]
    FIELDS = ("transfer-url", "transfer-password", "transfer-again")
    BUSY = "Exporting…"

    def __init__(self, title: str, example_url: str, *, offer_pkcs12: bool, files: str,
                 run: Callable[[ExportDialog, ExportRequest], object]) -> None:
        super().__init__(run)
        self.title_text, self.example_url, self.offer_pkcs12, self.files = title, example_url, offer_pkcs12, files

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box transfer-box"):
            yield Label(self.title_text, classes="dialog-title")
            if self.offer_pkcs12:
                yield from _row("Form", Select([("PEM: URL.ca, URL.prv, URL.crt (as IOS)", "pem"),
                                                ("PKCS#12: one file at URL", "pkcs12")], value="pem",
                                               allow_blank=False, id="transfer-form", compact=True))
            with Horizontal(classes="transfer-row", id="transfer-cipher-row"):
                yield Label("Cipher", classes="transfer-label")
                yield Select(CIPHERS, value="aes", allow_blank=False, id="transfer-cipher", compact=True,
                             tooltip="How the private key is encrypted (PEM)")
            yield from _row("URL", _field("", f"e.g. {self.example_url} ({URL_HELP})", "transfer-url"))
            yield from _row("Password", _field("", "encrypts the private key", "transfer-password", password=True))
            yield from _row("Again", _field("", "the same password again", "transfer-again", password=True))
            yield Static(self.files, id="transfer-files", classes="dialog-details")
            yield from _end("export")

    def missing(self) -> str | None:
        url = self.query_one("#transfer-url", Input).value.strip()
        password = self.query_one("#transfer-password", Input).value
        again = self.query_one("#transfer-again", Input).value
        return ("transfer-url" if not url else "transfer-password" if not password
                else "transfer-again" if password != again else None)

    def problem(self) -> str:
        missing = self.missing()
        if missing == "transfer-url":
            return f"Give the URL to write to ({URL_HELP})."
        if missing == "transfer-password":
            return "Give a password: the private key is never exported in clear."
        if missing == "transfer-again":
            return "The two passwords differ." if self.query_one("#transfer-again", Input).value \
                else "Type the password again."
        return ""

    def checked(self) -> None:
        if self.offer_pkcs12:  # PKCS#12 encrypts its own way: no cipher to choose
            pkcs12 = self.query_one("#transfer-form", Select).value == "pkcs12"
            self.query_one("#transfer-cipher-row").display = not pkcs12

    def request(self) -> ExportRequest:
        cipher = self.query_one("#transfer-cipher", Select).value
        pkcs12 = self.offer_pkcs12 and self.query_one("#transfer-form", Select).value == "pkcs12"
        return ExportRequest(self.query_one("#transfer-url", Input).value.strip(),
                             self.query_one("#transfer-password", Input).value,
                             "3des" if cipher == "3des" else "aes", pkcs12)


class ImportDialog(TransferDialog[ImportRequest]):
    """Import into a trustpoint (PEM files URL.ca/.prv/.crt, or PKCS#12) or under a key label
    (PEM: URL.prv): the target, the URL, the password and whether the key may be exported again.
    The focus starts on the first field still to give (the one the problem line names)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="transfer_import_cancel",
                        tooltip="Leave the field; in none, do not import")]
    FIELDS = ("transfer-target", "transfer-url", "transfer-password")
    BUSY = "Importing…"

    def __init__(self, title: str, target_help: str, default_target: str, example_url: str, *,
                 offer_pkcs12: bool, run: Callable[[ImportDialog, ImportRequest], object], files: str = "") -> None:
        super().__init__(run)
        self.files = files
        self.title_text, self.target_help, self.default_target = title, target_help, default_target
        self.example_url, self.offer_pkcs12 = example_url, offer_pkcs12

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box transfer-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield from _row("Into", _field(self.default_target, self.target_help, "transfer-target"))
            if self.offer_pkcs12:
                yield from _row("Form", Select([("PEM: URL.ca, URL.prv, URL.crt", "pem"),
                                                ("PKCS#12: the file at URL", "pkcs12")],
                                               value="pem", allow_blank=False, id="transfer-form", compact=True))
            yield from _row("URL", _field("", f"e.g. {self.example_url} ({URL_HELP})", "transfer-url"))
            yield from _row("Password", _field("", "the one the private key was exported with",
                                               "transfer-password", password=True))
            yield Checkbox("exportable (the imported key may be exported again)", id="transfer-exportable",
                           compact=True)
            if self.files:
                yield Static(self.files, id="transfer-files", classes="dialog-details")
            yield from _end("import")

    def missing(self) -> str | None:
        for field in self.FIELDS:
            value = self.query_one(f"#{field}", Input).value
            if not (value if field == "transfer-password" else value.strip()):
                return field
        return None

    def problem(self) -> str:
        return {"transfer-target": f"Give the {self.target_help}.",
                "transfer-url": f"Give the URL to read from ({URL_HELP}).",
                "transfer-password": "Give the password the private key was exported with.",
                None: ""}[self.missing()]

    def request(self) -> ImportRequest:
        pkcs12 = self.offer_pkcs12 and self.query_one("#transfer-form", Select).value == "pkcs12"
        return ImportRequest(self.query_one("#transfer-target", Input).value.strip(),
                             self.query_one("#transfer-url", Input).value.strip(),
                             self.query_one("#transfer-password", Input).value, pkcs12,
                             self.query_one("#transfer-exportable", Checkbox).value)


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
    refusal (a key generated without exportable, no certificate) is logged once (the %PKI-3 line
    with the reason, then its hint) and shown, and True returned (then nothing is asked)."""
    try:
        check()
    except PkiError as exc:
        _failed(pane, form, False, what, exc)
        pane.console.post_message(CoreCallFailed(exc, logged=True))
        return True
    return False


def ask_export(pane: PkiPane, form: str, what: str, check: Callable[[], None], dialog: ExportDialog) -> None:
    """The console's export, in its one order (the key manager's and the chain browser's): the
    core's ``check`` first (a refusal is said and nothing is asked), then ``dialog``, which runs
    the export (a pane's worker) itself and stays open until it succeeded or was cancelled."""
    if not refused(pane, form, what, check):
        pane.app.push_screen(dialog)


def _dialog_error(error: BaseException) -> tuple[str, str | None]:
    """The reason and hint for a dialog (the core words its hints for every front end)."""
    message, hint = describe_error(error)
    return message, hint or None


def _carry(pane: PkiPane, dialog: TransferDialog[RequestT], form: str, importing: bool, what: str,
           action: Callable[[], T]) -> T | None:
    """From a worker: ``action`` (a core transfer); a refusal or failure is one %PKI-3 line in the
    log (with the reason) and the reason and its hint in ``dialog``, which stays open with every
    value; None then. Anything else is a bug: the dialog says so and the pane's handler shows it."""
    try:
        return action()
    except PkiError as exc:
        _failed(pane, form, importing, what, exc)
        pane.app.call_from_thread(dialog.failed, *_dialog_error(exc))
        return None
    except Exception as exc:
        pane.app.call_from_thread(dialog.failed, *_dialog_error(exc))
        raise


def export_trustpoint(pane: PkiPane, dialog: ExportDialog, trustpoint: str, request: ExportRequest) -> None:
    """``crypto pki export TP pem url URL CIPHER password PW`` or ``... pkcs12 URL password PW``."""
    transfer = pane.pki.transfer

    def run() -> list[Copied]:
        if request.pkcs12:
            return [pane.core(transfer.export_pkcs12_to, trustpoint, request.url, request.password)]
        return pane.core(transfer.export_pem_to, trustpoint, request.url, request.cipher, request.password)

    copies = _carry(pane, dialog, "PKCS12" if request.pkcs12 else "PEM", False,
                    f"Export from trustpoint {trustpoint}", run)
    if copies is not None:
        pane.console.post_message(console_log.trustpoint_exported(trustpoint, request.pkcs12, *_copied(copies)))
        pane.app.call_from_thread(dialog.ended, request)


def export_key(pane: PkiPane, dialog: ExportDialog, label: str, request: ExportRequest) -> None:
    """``crypto key export rsa LABEL pem url URL CIPHER PASSPHRASE``."""
    copies = _carry(pane, dialog, "KEY", False, f"Export of RSA key pair {label}",
                    lambda: pane.core(pane.pki.transfer.export_key_to, label, request.url, request.cipher,
                                      request.password))
    if copies is not None:
        pane.console.post_message(console_log.key_exported(label, *_copied(copies)))
        pane.app.call_from_thread(dialog.ended, request)


def import_trustpoint(pane: PkiPane, dialog: ImportDialog, request: ImportRequest) -> bool:
    """``crypto pki import TP pem url URL password PW`` or ``... pkcs12 URL password PW``; the CA
    certificate goes through the fingerprint dialog. True when something was imported (the panes
    are then told the configuration changed)."""
    import functools

    transfer, tp = pane.pki.transfer, request.target
    confirm = functools.partial(ask_ca_decision, pane, tp)

    def run() -> ImportResult:
        if request.pkcs12:
            return pane.core(transfer.import_pkcs12_from, tp, request.url, request.password, confirm=confirm,
                             exportable=request.exportable)
        return pane.core(transfer.import_pem_from, tp, request.url, request.password, confirm=confirm,
                         exportable=request.exportable)

    result = _carry(pane, dialog, "PKCS12" if request.pkcs12 else "PEM", True, f"Import into trustpoint {tp}", run)
    if result is None:
        return False
    if not result.accepted:  # the administrator refused the CA: nothing to retry, the dialog closes
        pane.console.post_message(console_log.ca_rejected(tp))
        pane.app.call_from_thread(dialog.ended, None)
        return False
    pane.console.post_message(console_log.trustpoint_imported(
        result.trustpoint, request.pkcs12, [p.key_id for p in result.key_pairs], len(result.certificates)))
    pane.changed("import")  # before the dialog closes: whoever waits for it finds the panes reloaded
    pane.app.call_from_thread(dialog.ended, request)
    return True


def import_key(pane: PkiPane, dialog: ImportDialog, request: ImportRequest) -> bool:
    """``crypto key import rsa LABEL pem url URL PASSPHRASE [exportable]``. True when imported (the
    panes are then told the configuration changed)."""
    pairs = _carry(pane, dialog, "KEY", True, f"Import of RSA key pair {request.target}",
                   lambda: pane.core(pane.pki.transfer.import_key_from, request.target, request.url,
                                     request.password, exportable=request.exportable))
    if pairs is None:
        return False
    pane.console.post_message(console_log.key_imported(request.target, [p.key_id for p in pairs]))
    pane.changed("keys")
    pane.app.call_from_thread(dialog.ended, request)
    return True
