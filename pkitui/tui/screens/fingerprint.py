"""The fingerprint confirmation dialog (Authenticate, root tftp): nothing is stored unless the
administrator presses Accept, which is never the default and stays disabled until the typed
fingerprint matches one of the CA's (MD5, SHA-1 or SHA-256) in full; the only other way is the
separate "Verified another way…" step, a confirmation that says what it means. Reject and Escape
store nothing."""

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

from pkitui.core.dn import ios_dn
from pkitui.core.fingerprint import DIGESTS, MatchState, grouped
from pkitui.ios.format import ios_time
from pkitui.tui.screens.dialogs import ConfirmDialog
from pkitui.tui.tones import Tone, tone_classes, tone_style, toned
from pkitui.tui.widgets.fingerprint import FingerprintMatchView

if TYPE_CHECKING:
    from pkitui.core.scep.ca import CaCandidate


def _when(value: datetime | None) -> str:
    return ios_time(value) if value is not None else "?"  # IOS's layout, as show prints validity


class FingerprintDialog(ModalScreen[bool]):
    """Shows a CA candidate (subject, issuer, validity, key size, SHA-256/SHA-1/MD5) and matches
    a typed fingerprint live. Dismisses with True only from the Accept button (enabled by a full
    match) or the confirmed "Verified another way…" step. ``trusted_sha256``: the SHA-256 of the CA
    the trustpoint already holds (None: none), so the dialog says whether this is the same CA. The
    candidate's fields are coloured by tone: ``fingerprint-dialog--note-strong``, … (styles/widgets.tcss)."""

    COMPONENT_CLASSES = tone_classes("fingerprint-dialog")
    BINDINGS = [Binding("escape", "reject", "Reject", id="fp_reject", tooltip="Reject: store nothing")]

    def __init__(self, candidate: CaCandidate, title: str = "Authenticate the CA", *,
                 trusted_sha256: str | None = None) -> None:
        super().__init__(classes="dialog")
        self.candidate = candidate
        self.fingerprints: dict[str, str] = {k.lower(): v.upper() for k, v in candidate.fingerprints.items()}
        self.title_text = title
        self.trusted_sha256 = trusted_sha256.upper() if trusted_sha256 else None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide", id="fp-box"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(id="fp-scroll"):
                yield Static(id="fp-info")
            yield Label("Compare with the fingerprint you got out of band (phone, letter, lab banner):",
                        id="fp-prompt")
            # Not selected on focus: coming back to fix a mismatch must not let one key erase it all.
            yield Input(placeholder="paste or type a SHA-256, SHA-1 or MD5 fingerprint", id="fp-input",
                        select_on_focus=False)
            yield FingerprintMatchView(id="fp-match")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reject", id="reject", variant="primary")
                yield Button("Verified another way…", id="override",
                             tooltip="Accept without typing the fingerprint: asks you to confirm what that means")
                yield Button("Accept certificate", id="accept", variant="warning", disabled=True,
                             tooltip="Enabled once the typed fingerprint matches in full")

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
        info.add_row("Subject", ios_dn(c.subject) if c.subject else "?")  # IOS's DN layout, as show prints it
        info.add_row("Issuer", ios_dn(c.issuer) if c.issuer else "?")
        info.add_row("Valid", f"{_when(c.not_before)}  →  {_when(c.not_after)}")
        info.add_row("Key", f"RSA {c.key_size} bits" if c.key_size else "?")
        for digest in DIGESTS:
            if digest in self.fingerprints:
                info.add_row(digest.label, self.toned(grouped(self.fingerprints[digest]), Tone.NOTE_STRONG))
        for warning in c.warnings:
            info.add_row(self.toned("Warning", Tone.WARNING_STRONG), self.toned(str(warning), Tone.WARNING))
        sha256 = self.fingerprints.get("sha256")
        if self.trusted_sha256 is not None and sha256 == self.trusted_sha256:
            info.add_row(self.toned("Trusted", Tone.OK_STRONG),
                         self.toned("This is the CA the trustpoint already trusts (same SHA-256): "
                                    "accepting changes nothing.", Tone.OK))
        elif self.trusted_sha256 is not None:
            info.add_row(self.toned("Trusted", Tone.WARNING_STRONG),
                         self.toned(f"The trustpoint trusts another CA (SHA-256 {grouped(self.trusted_sha256)}): "
                                    "accepting replaces it.", Tone.WARNING))
        return info

    @on(Input.Changed, "#fp-input")
    def _typed(self, event: Input.Changed) -> None:
        m = self.query_one("#fp-match", FingerprintMatchView).show(event.value, self.fingerprints)
        self.query_one("#accept", Button).disabled = m.state is not MatchState.MATCH

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
        event.stop()
        if event.button.id == "override":
            self._confirm_override()
            return
        if event.button.id == "accept" and not self._matched():
            return  # never without a full match (the button is disabled; this guards a stale press)
        self.dismiss(event.button.id == "accept")

    def _matched(self) -> bool:
        match = self.query_one("#fp-match", FingerprintMatchView).match
        return match is not None and match.matched

    def _confirm_override(self) -> None:
        """The explicit step for a CA verified without its fingerprint (No has the focus)."""
        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(True)

        self.app.push_screen(ConfirmDialog(
            "Accept this CA without comparing its fingerprint?",
            ["Only if you verified this exact CA certificate another way: you copied it yourself from "
             "the CA over a channel you trust, or its administrator confirmed it with you.",
             "From now on this host trusts every certificate the CA signs: a CA an attacker put in "
             "the path would be trusted too.",
             f"SHA-256 {grouped(self.fingerprints.get('sha256', ''))}"],
            yes="Accept, verified another way", no="Back"), answered)
