"""Key manager: own key pairs and the peer public key chain; generate (with progress), zeroize
(confirm, then the seed's follow-up steps), show a public key, export a key pair as encrypted PEM
and import one (``crypto key export | import rsa LABEL pem url URL``)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState

from pkitui.core.errors import StoreError
from pkitui.core.fingerprint import grouped_lines, groups
from pkitui.core.keys import key_fingerprints, public_pem
from pkitui.ios.format import ios_time
from pkitui.core.previews import ZeroizePreview, zeroize_preview
from pkitui.tui.messages import KeyPairsGenerated, KeyPairZeroized
from pkitui.tui.screens.base import PkiPane
from pkitui.tui.screens.dialogs import ConfirmDialog, ExportKeyDialog, GenerateKeysDialog, InfoDialog, KeyGeneration
from pkitui.tui.screens.transfer import (ExportDialog, ExportRequest, ImportDialog, ImportRequest, ask_export,
                                         export_key, import_key)
from pkitui.tui.tones import Tone


class ZeroizeDialog(ModalScreen[bool]):
    """The zeroize question (the core's preview: what goes, and when it leaves NVRAM), with a third
    answer when certificates are bound to the keys: remove them in the same step, as IOS does.
    Cancel has the focus and Escape cancels; dismisses True to zeroize, and
    ``remove_certificates`` tells which of the two it was."""

    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel", id="zeroize_cancel", tooltip="Keep the keys")]

    def __init__(self, preview: ZeroizePreview) -> None:
        super().__init__(classes="dialog")
        self.question, self.details = preview.title, preview.lines()
        self.orphans = len(preview.orphans)
        self.remove_certificates = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Label(self.question, classes="dialog-title")
            yield Static("\n".join(f"• {d}" for d in self.details), classes="dialog-details")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="no", variant="primary")
                if self.orphans:
                    yield Button("Zeroize, keep certificates (orphaned)", id="yes", variant="warning")
                    yield Button(f"Zeroize and remove {self.orphans} certificate(s)", id="remove", variant="error")
                else:
                    yield Button("Zeroize", id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no").focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.remove_certificates = event.button.id == "remove"
        self.dismiss(event.button.id in ("yes", "remove"))


class KeysPane(PkiPane):
    """Own RSA key pairs (label, usage, modulus, created, certificates bound) and peer keys."""

    BINDINGS = [
        Binding("g", "generate", "Generate", id="keys_generate",
                tooltip="crypto key generate rsa (general or usage keys)"),
        Binding("z", "zeroize", "Zeroize", id="keys_zeroize",
                tooltip="crypto key zeroize rsa LABEL: delete the selected key pair"),
        Binding("x", "export", "Public key", id="keys_export",
                tooltip="Show, copy or save the selected public key (PEM)"),
        Binding("e", "export_pair", "Export", id="keys_export_pair",
                tooltip="crypto key export rsa LABEL pem url URL: the key pair, private key encrypted "
                        "(refused for a key generated without exportable)"),
        Binding("i", "import_pair", "Import", id="keys_import_pair",
                tooltip="crypto key import rsa LABEL pem url URL: a key pair from encrypted PEM files"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Own key pairs", classes="section-title")
            yield DataTable(id="keys-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="keygen-progress"):
                yield Label("", id="keygen-label")
                yield ProgressBar(total=None, show_eta=False, id="keygen-bar")
            yield Static(id="key-detail")
            yield Label("Peer public keys (crypto key pubkey-chain rsa)", classes="section-title")
            yield DataTable(id="peers-table", cursor_type="row", zebra_stripes=True)
            yield Static("none: add them with :crypto key pubkey-chain rsa", id="peers-empty")

    def on_mount(self) -> None:
        # PkiPane.on_mount (the reload) runs after this one: Textual calls each class's handler.
        keys = self.query_one("#keys-table", DataTable)
        # Short enough for 80 columns; the table scrolls sideways when a label is longer.
        keys.add_columns("label", "usage", "modulus", "created", "exportable", "certs")
        peers = self.query_one("#peers-table", DataTable)
        peers.add_columns("kind", "name / address", "usage", "SHA-256 of key")
        self.query_one("#keygen-progress").display = False

    def reload(self) -> None:
        certs = list(self.pki.config.certificates)
        table = self.query_one("#keys-table", DataTable)
        row = table.cursor_row
        table.clear()
        for pair in list(self.pki.config.key_pairs.values()):
            bound = sum(1 for c in certs if c.key_id == pair.key_id and not c.orphaned)
            table.add_row(pair.label, pair.usage_text, str(pair.modulus), ios_time(pair.created),
                          "yes" if pair.exportable else "no", str(bound), key=pair.key_id)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self.show_detail()
        peers = self.query_one("#peers-table", DataTable)
        peers.clear()
        for peer in list(self.pki.config.peer_keys):
            # The first four 8-digit groups (the one fingerprint layout): the table fits 80 columns.
            digest = " ".join(groups(key_fingerprints(peer.der)["sha256"])[:4]) + " …" if peer.der \
                else "(no key-string yet)"
            peers.add_row(peer.kind, peer.name, peer.usage, digest)
        self.query_one("#peers-empty").display = not peers.row_count

    def show_detail(self) -> None:
        """The selected key's fingerprints, or what to do next."""
        detail = self.query_one("#key-detail", Static)
        key_id = self.selected_key_id()
        orphans = [c for c in self.pki.config.certificates if c.orphaned]
        text = Text()
        if key_id is None:
            text.append("No key pairs. Press g to generate one (hostname and ip domain-name must be set "
                        "for the default label).", style=self.tone(Tone.MUTED))
        elif key_id in self.pki.config.key_pairs:
            pair = self.pki.config.key_pairs[key_id]
            fps = key_fingerprints(pair.public_der)
            text.append(f"{pair.key_id}: {pair.usage_text}, {pair.modulus} bits\n", style=self.tone(Tone.STRONG))
            # The one fingerprint layout (8-digit groups), four to a line: it fits 80 columns.
            pad = "\n" + " " * len("public key SHA-256 ")
            text.append(f"public key SHA-256 {pad.join(grouped_lines(fps['sha256'], per_line=4))}\n"
                        f"public key SHA-1   {pad.join(grouped_lines(fps['sha1'], per_line=4))}",
                        style=self.tone(Tone.NOTE))
        if orphans:
            text.append(f"\n{len(orphans)} certificate(s) are orphaned (their key was zeroized): "
                        "delete them in Certificates.", style=self.tone(Tone.WARNING))
        detail.update(text)

    @on(DataTable.RowHighlighted, "#keys-table")
    def _key_highlighted(self) -> None:
        self.show_detail()

    def selected_key_id(self) -> str | None:
        """The key id under the cursor."""
        table = self.query_one("#keys-table", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    # -- generate ---------------------------------------------------------------------------------
    def action_generate(self) -> None:
        """Ask for the options, then generate in a worker."""
        def chosen(options: KeyGeneration | None) -> None:
            if options is None:
                return
            label = options.label or self.pki.fqdn
            if label and self.pki.keys.exists(label):
                def replace(yes: bool | None) -> None:
                    if yes:
                        self._start_generate(options, replace=True)
                self.app.push_screen(ConfirmDialog(f"You already have RSA keys named {label}. Replace them?",
                                                   ["the old keys are destroyed",
                                                    "certificates bound to them become orphaned"],
                                                   yes="Replace"), replace)
            else:
                self._start_generate(options, replace=False)

        self.app.push_screen(GenerateKeysDialog(self.pki.fqdn), chosen)

    def _start_generate(self, options: KeyGeneration, *, replace: bool) -> None:
        """Show the progress bar (UI thread), then generate in the worker."""
        count = 2 if options.usage_keys else 1
        self.query_one("#keygen-label", Label).update(f"Generating {count} RSA {options.modulus}-bit key pair(s)…")
        self.query_one("#keygen-progress").display = True
        self._generate(options, replace)

    @work(thread=True, exclusive=True, exit_on_error=False, group="keygen")
    def _generate(self, options: KeyGeneration, replace: bool) -> None:
        pairs = self.core(self.pki.keys.generate, usage_keys=options.usage_keys, label=options.label,
                          modulus=options.modulus, exportable=options.exportable, replace=replace)
        self.post_message(KeyPairsGenerated(pairs))

    @on(KeyPairsGenerated)
    def _generated(self, message: KeyPairsGenerated) -> None:
        for pair in message.pairs:
            self.say(f"% Generated {pair.modulus}-bit RSA {pair.usage_text}: {pair.key_id}", Tone.OK)
        self.changed("keys")

    def worker_finished(self, worker: Worker[object], state: WorkerState) -> None:
        if worker.group == "keygen" and state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self.query_one("#keygen-progress").display = False

    # -- zeroize ----------------------------------------------------------------------------------
    def action_zeroize(self) -> None:
        """Confirm naming the key, zeroize, then show the follow-up steps."""
        key_id = self.selected_key_id()
        if key_id is None:
            self.notify("No key pair selected", severity="warning")
            return
        config = self.pki.config
        preview = zeroize_preview(config.key_pairs, config.certificates, config.key_pairs[key_id].label)
        label = preview.label
        assert label is not None

        dialog = ZeroizeDialog(preview)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._zeroize(label, dialog.remove_certificates)

        self.app.push_screen(dialog, confirmed)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _zeroize(self, label: str, remove_certificates: bool) -> None:
        result = self.core(self.pki.keys.zeroize, label, remove_certificates=remove_certificates)
        self.post_message(KeyPairZeroized(label, result))

    @on(KeyPairZeroized)
    def _zeroized(self, message: KeyPairZeroized) -> None:
        result = message.result
        self.say(f"% Keys zeroized: {', '.join(result.removed)}", Tone.WARNING)
        self.changed("keys")
        lines = [f"Removed from the running configuration: {', '.join(result.removed)}",
                 "They are erased from NVRAM at the next save (ctrl+s); quitting without saving keeps them.", ""]
        if result.removed_certificates:
            lines.append(f"{len(result.removed_certificates)} certificate(s) bound to them were removed too.")
            lines.append("")
        if result.orphaned_certificates:
            lines.append(f"{len(result.orphaned_certificates)} certificate(s) are now orphaned.")
            lines.append("")
        lines.append("What to do next:")
        lines += [f"{i}. {step}" for i, step in enumerate(result.follow_ups, 1)]
        self.app.push_screen(InfoDialog(f"Key pair {message.label} zeroized", lines))

    # -- export -----------------------------------------------------------------------------------
    def action_export(self) -> None:
        """Show the public key PEM; Save writes it to a file."""
        key_id = self.selected_key_id()
        if key_id is None:
            self.notify("No key pair selected", severity="warning")
            return
        pem = public_pem(self.pki.config.key_pairs[key_id].public_key)
        # The user's home, never the console's working directory (a repository, wherever it started).
        default = f"~/{key_id.replace('#', '-')}.pub.pem"

        def saved(path: str | None) -> None:
            if path:
                self._export(pem, path)

        self.app.push_screen(ExportKeyDialog(key_id, pem, default), saved)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _export(self, pem: str, path: str) -> None:
        try:
            Path(path).expanduser().write_text(pem)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror}", "Choose a writable path.") from None
        self.say(f"public key written to {path}", Tone.OK)

    # -- export and import of key pairs (issue 11) -----------------------------------------------
    def action_export_pair(self) -> None:
        """Ask where to and the password (twice), then export in a worker; a key generated without
        ``exportable`` is refused at once with the core's words (nothing asked, nothing written)."""
        key_id = self.selected_key_id()
        if key_id is None:
            self.notify("No key pair selected", severity="warning")
            return
        label = self.pki.config.key_pairs[key_id].label
        dialog = ExportDialog(f"Export RSA key pair {label} (PEM)", f"~/{label.replace('#', '-')}",
                              offer_pkcs12=False, files="Writes URL.pub and URL.prv (usage keys: URL-sign.* and "
                                                        "URL-encr.*), mode 0600.",
                              run=lambda dialog, request: self._export_pair(dialog, label, request))
        ask_export(self, "KEY", f"Export of RSA key pair {label}", lambda: self.pki.transfer.check_key_export(label),
                   dialog)

    @work(thread=True, exclusive=True, exit_on_error=False, group="transfer")
    def _export_pair(self, dialog: ExportDialog, label: str, request: ExportRequest) -> None:
        export_key(self, dialog, label, request)

    def action_import_pair(self) -> None:
        """Ask for the label, the URL (URL.prv) and the password, then import in a worker."""
        self.app.push_screen(ImportDialog("Import an RSA key pair (PEM)", "key label (e.g. vpn)", "", "~/vpn",
                                          offer_pkcs12=False, run=self._import_pair,
                                          files="Reads URL.prv (usage keys: URL-sign.prv and URL-encr.prv)."))

    @work(thread=True, exclusive=True, exit_on_error=False, group="transfer")
    def _import_pair(self, dialog: ImportDialog, request: ImportRequest) -> None:
        import_key(self, dialog, request)
