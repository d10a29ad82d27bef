"""The fingerprint confirmation dialog (Authenticate, root tftp): nothing is stored unless the
administrator presses Accept, which is never the default; Reject and Escape store nothing."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from pkitui.core.fingerprint import DIGESTS, MatchState, grouped
from pkitui.tui.tones import Tone, tone_classes, tone_style, toned
from pkitui.tui.widgets.fingerprint import FingerprintMatchView

if TYPE_CHECKING:
    from pkitui.core.scep.ca import CaCandidate


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "?"


class FingerprintDialog(ModalScreen[bool]):
    """Shows a CA candidate (subject, issuer, validity, key size, SHA-256/SHA-1/MD5) and matches
    a typed fingerprint live. Dismisses with True only from the Accept button. The candidate's
    fields are coloured by tone: ``fingerprint-dialog--note-strong``, … (styles/widgets.tcss)."""

    COMPONENT_CLASSES = tone_classes("fingerprint-dialog")
    BINDINGS = [Binding("escape", "reject", "Reject", id="fp_reject", tooltip="Reject: store nothing")]

    def __init__(self, candidate: CaCandidate, title: str = "Authenticate the CA") -> None:
        super().__init__(classes="dialog")
        self.candidate = candidate
        self.fingerprints: dict[str, str] = {k.lower(): v.upper() for k, v in candidate.fingerprints.items()}
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide", id="fp-box"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(id="fp-scroll"):
                yield Static(id="fp-info")
            yield Label("Compare with the fingerprint you got out of band (phone, letter, lab banner):",
                        id="fp-prompt")
            yield Input(placeholder="paste or type a SHA-256, SHA-1 or MD5 fingerprint", id="fp-input")
            yield FingerprintMatchView(id="fp-match")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reject", id="reject", variant="primary")
                yield Button("Accept certificate", id="accept", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#fp-info", Static).update(self._info())  # tones resolve once the CSS applies
        self.query_one("#fp-match", FingerprintMatchView).show("", self.fingerprints)
        self.query_one("#fp-input", Input).focus()

    def toned(self, text: str, tone: Tone) -> Text:
        """``text`` in ``tone``, as the CSS colours it on this dialog."""
        return toned(self, "fingerprint-dialog", text, tone)

    def _info(self) -> Table:
        """The candidate: subject, issuer, validity, key, the fingerprints, and any warning."""
        c = self.candidate
        info = Table.grid(padding=(0, 2))
        info.add_column(style=tone_style(self, "fingerprint-dialog", Tone.STRONG))
        info.add_column()
        info.add_row("Subject", str(c.subject))
        info.add_row("Issuer", str(c.issuer))
        info.add_row("Valid", f"{_when(c.not_before)}  →  {_when(c.not_after)}")
        info.add_row("Key", f"RSA {c.key_size} bits" if c.key_size else "?")
        for digest in DIGESTS:
            if digest in self.fingerprints:
                info.add_row(digest.label, self.toned(grouped(self.fingerprints[digest]), Tone.NOTE_STRONG))
        for warning in c.warnings:
            info.add_row(self.toned("Warning", Tone.WARNING_STRONG), self.toned(str(warning), Tone.WARNING))
        return info

    @on(Input.Changed, "#fp-input")
    def _typed(self, event: Input.Changed) -> None:
        m = self.query_one("#fp-match", FingerprintMatchView).show(event.value, self.fingerprints)
        self.query_one("#accept", Button).disabled = m.state is MatchState.MISMATCH

    @on(Input.Submitted, "#fp-input")
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter never accepts: it moves to the buttons, to Accept once the typed fingerprint
        matches (a second Enter there rejected the certificate just verified), else to Reject."""
        event.stop()
        m = self.query_one("#fp-match", FingerprintMatchView).show(event.value, self.fingerprints)
        self.query_one("#accept" if m.matched else "#reject", Button).focus()

    def action_reject(self) -> None:
        """Store nothing."""
        self.dismiss(False)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "accept")
