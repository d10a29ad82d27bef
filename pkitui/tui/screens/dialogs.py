"""Small modal dialogs: confirm, information, secret, help, generate keys, export a public key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

if TYPE_CHECKING:
    from pkitui.tui.app import PkiConsole


class ConfirmDialog(ModalScreen[bool]):
    """A question with two buttons; the safe answer (No) has the focus, Escape answers No."""

    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel", id="confirm_cancel", tooltip="Answer no")]

    def __init__(self, question: str, details: list[str] | None = None, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="dialog")
        self.question, self.details, self.yes, self.no = question, details or [], yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.question, classes="dialog-title")
            if self.details:
                yield Static("\n".join(f"• {d}" for d in self.details), classes="dialog-details")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.no, id="no", variant="primary")
                yield Button(self.yes, id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no").focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class InfoDialog(ModalScreen[None]):
    """Text to read (follow-up steps, results) and an OK button."""

    BINDINGS = [Binding("escape", "dismiss", "Close", id="info_close", tooltip="Close")]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.lines = title, lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static("\n".join(self.lines), classes="dialog-details")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="ok", variant="primary")

    @on(Button.Pressed)
    def _pressed(self) -> None:
        self.dismiss(None)


class SecretDialog(ModalScreen[str | None]):
    """Ask for a secret (challenge password); Enter gives what was typed ("" when nothing: e.g.
    no challenge password), Escape gives None (not answered)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="secret_cancel", tooltip="Do not answer")]

    def __init__(self, prompt: str) -> None:
        super().__init__(classes="dialog")
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.prompt, classes="dialog-title")
            yield Input(password=True, id="secret", select_on_focus=False)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


@dataclass(frozen=True)
class KeyGeneration:
    """What the Generate dialog asks for: the arguments of ``pki.keys.generate``."""

    usage_keys: bool
    label: str | None  # None: the FQDN
    modulus: int
    exportable: bool


class GenerateKeysDialog(ModalScreen[KeyGeneration | None]):
    """``crypto key generate rsa`` as a form: general/usage keys, label, modulus, exportable."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="generate_cancel", tooltip="Do not generate")]

    def __init__(self, default_label: str | None) -> None:
        super().__init__(classes="dialog")
        self.default_label = default_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label("Generate RSA key pair", classes="dialog-title")
            yield Select([("General purpose keys (one pair)", "general"),
                          ("Usage keys (signature + encryption)", "usage")],
                         value="general", allow_blank=False, id="kind")
            yield Input(placeholder=f"label (default: {self.default_label or 'the FQDN'})", id="label",
                        select_on_focus=False)
            yield Select([(f"{m} bits", m) for m in (1024, 2048, 3072, 4096)], value=2048, allow_blank=False,
                         id="modulus")
            yield Checkbox("exportable", id="exportable")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Generate", id="generate", variant="primary")

    @on(Input.Submitted, "#label")
    def _label_submitted(self, event: Input.Submitted) -> None:
        """Enter in the label field generates, as the Generate button does."""
        event.stop()
        self.query_one("#generate", Button).press()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "generate":
            self.dismiss(None)
            return
        modulus = self.query_one("#modulus", Select).value
        assert isinstance(modulus, int)  # allow_blank=False: never Select.NULL
        self.dismiss(KeyGeneration(
            usage_keys=self.query_one("#kind", Select).value == "usage",
            label=self.query_one("#label", Input).value.strip() or None,
            modulus=modulus,
            exportable=self.query_one("#exportable", Checkbox).value,
        ))


class ExportKeyDialog(ModalScreen[str | None]):
    """The public key PEM, selectable; Save writes it to the path typed (returned)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="export_close", tooltip="Close")]

    def __init__(self, key_id: str, pem: str, default_path: str) -> None:
        super().__init__(classes="dialog")
        self.key_id, self.pem, self.default_path = key_id, pem, default_path

    def compose(self) -> ComposeResult:
        from textual.widgets import TextArea  # heavy import, only when exporting

        with Vertical(classes="dialog-box wide"):
            yield Label(f"Public key {self.key_id}", classes="dialog-title")
            yield TextArea(self.pem, read_only=True, id="pem")
            yield Input(self.default_path, id="path", select_on_focus=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close")
                yield Button("Copy", id="copy")
                yield Button("Save", id="save", variant="primary")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "copy":
            self.app.copy_to_clipboard(self.pem)
            self.notify("Public key copied to the clipboard")
            return
        self.dismiss(self.query_one("#path", Input).value if event.button.id == "save" else None)


def help_table(title: str, rows: list[tuple[str, str, str]], key_width: int, action_width: int) -> Table:
    """One section of Help: its title, then key | action | what it does (the columns of every
    section as wide, so that they line up)."""
    table = Table(title=title, title_justify="left", title_style="bold", show_header=False, expand=True,
                  box=None, padding=(0, 2, 0, 0))
    table.add_column("key", width=key_width, no_wrap=True, style="bold")
    table.add_column("action", width=action_width, no_wrap=True)
    table.add_column("what it does", ratio=1, overflow="fold")
    for key, action, what in rows:  # plain text: a description may show IOS syntax in brackets
        table.add_row(Text(key), Text(action), Text(what))
    return table


class HelpScreen(ModalScreen[None]):
    """``?``: what the console is, and every key binding of the app and of each screen."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help_close", tooltip="Close help")]
    DEFAULT_CSS = "HelpScreen .help-section { margin-top: 1; }"

    def __init__(self, app: PkiConsole) -> None:
        super().__init__(classes="dialog")
        self.console = app

    def compose(self) -> ComposeResult:
        from pkitui.tui.tabs import pane_classes

        intro = Text.from_markup(
            "[b]pkitui[/b] gives this host a PKI identity the way Cisco IOS [i]crypto pki[/i] does.\n"
            "Typical flow: [b]Home[/b] → [b]i[/b]: hostname and ip domain-name (certificate subjects use them) → "
            "[b]Trustpoints[/b] → declare one with the CA's URL → Authenticate (compare the "
            "fingerprint) → [b]Keys[/b] → generate → Trustpoints → Enroll → [b]Certificates[/b] → ctrl+s.\n"
            "Keep it valid: on the trustpoint, [i]auto-enroll[/i] (renew at a percent of the lifetime) and "
            "[i]deploy swanctl[/i] or [i]deploy pem[/i] (where the daemons read key, certificates and CRL; "
            "[b]p[/b] deploys now); then run [i]pkitui agent[/i] (its systemd unit, or [i]--once[/i] from cron): "
            "it renews, refreshes CRLs, polls and deploys when the PKI timers on Home say.\n"
            "[b]:[/b] opens the IOS command line (same commands as [i]pkitui exec[/i]); [b]ctrl+p[/b] finds any "
            "action by name; [b]ctrl+q[/b] quits.\n")
        # One section per place (anywhere, then each screen), each a table of key, action and what it
        # does: the description gets every column the others leave and wraps inside its own column.
        anywhere = [(b.key_display or b.key, b.description, b.tooltip or "")
                    for b in self.console.BINDINGS if isinstance(b, Binding)]
        anywhere += [("ctrl+p", "Palette", "Search every action by name"),
                     ("ctrl+q", "Quit", "Leave the console (unsaved changes are lost)")]
        sections = [("Anywhere", anywhere)] + [
            (title, [(b.key_display or b.key, b.description, b.tooltip or "") for b in cls.BINDINGS
                     if isinstance(b, Binding)])
            for _tab, title, cls in pane_classes()]
        rows = [row for _title, section in sections for row in section]
        key_width = max(len(key) for key, _action, _what in rows)
        action_width = max(len(action) for _key, action, _what in rows)
        with Vertical(classes="dialog-box wide tall"):
            yield Label("Help", classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(intro)
                for title, section in sections:
                    if section:
                        yield Static(help_table(title, section, key_width, action_width), classes="help-section")
