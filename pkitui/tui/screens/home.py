"""Home: the device at a glance — identity, key pairs, trustpoints, the PKI timers (what fires
next, as ``show crypto pki timers``), and the lab when it runs."""

from __future__ import annotations

from dataclasses import dataclass

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from pkitui.core.records import OWN_ROLES, OwnRevocation
from pkitui.ios.format import ios_time
from pkitui.tui.screens.base import PkiPane
from pkitui.tui.tones import Tone
from pkitui.tui.widgets.timers import PkiTimers

HOME_TIMERS = 5  # the soonest ones; show crypto pki timers lists every one


@dataclass
class OwnRevocationsChecked(Message):
    """The worker checked our own certificates against the CRLs held: per trustpoint, the
    revocation of each of its device certificates."""

    by_trustpoint: dict[str, list[OwnRevocation]]


class HomePane(PkiPane):
    """Identity, key pairs and trustpoints (the foundation issue's home screen)."""

    BINDINGS = [
        Binding("i", "app.edit_identity", "Identity", id="home_identity",
                tooltip="hostname and ip domain-name (the first step: certificate subjects use them)"),
        Binding("t", "app.show_tab('trustpoints')", "Trustpoints", id="home_trustpoints",
                tooltip="Declare or edit trustpoints"),
        Binding("k", "app.show_tab('keys')", "Keys", id="home_keys", tooltip="Generate or zeroize key pairs"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._revocations: dict[str, list[OwnRevocation]] = {}

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="home-scroll", can_focus=True):
            yield Static(id="home-body")
            yield PkiTimers(limit=HOME_TIMERS, id="home-timers")  # lists them itself, once a minute too
            yield Static(id="home-keys")

    def reload(self) -> None:
        self._show()
        # The checks run in threads once this frame is painted: started now, their imports (x509,
        # the CRL index) would compete with the first frame for the interpreter.
        self.call_after_refresh(self._check_revocations)
        self.call_after_refresh(self.query_one("#home-timers", PkiTimers).reload)

    @work(thread=True, exclusive=True, exit_on_error=False, group="revocation")
    def _check_revocations(self) -> None:
        """Our own certificates against the CRLs held (CPU and file work: not on the UI thread)."""
        by_tp: dict[str, list[OwnRevocation]] = {}
        for info in self.core(self.pki.certificates.list):
            if info.role in OWN_ROLES:
                by_tp.setdefault(info.trustpoint, []).append(info.revocation)
        self.post_message(OwnRevocationsChecked(by_tp))

    @on(OwnRevocationsChecked)
    def _revocations_checked(self, message: OwnRevocationsChecked) -> None:
        message.stop()
        if message.by_trustpoint != self._revocations:
            self._revocations = message.by_trustpoint
            if self.query("#home-body"):
                self._show()

    def _device_text(self, tp: str, devices: int) -> Text:
        """The device certificates of ``tp``: how many, and which are revoked or unchecked by a CRL."""
        states = self._revocations.get(tp, [])
        text = self.toned(str(devices), None)
        revoked = states.count(OwnRevocation.REVOKED)
        if revoked:
            text.append(f", {revoked} REVOKED", style=self.tone(Tone.ERROR_STRONG))
        elif devices and OwnRevocation.NO_CRL in states:
            text.append(" (no CRL held)", style=self.tone(Tone.WARNING))
        return text

    def _show(self) -> None:
        pki = self.pki
        ident = pki.config.identity
        toned = self.toned
        head = Table.grid(padding=(0, 2))
        head.add_row(toned("Hostname", Tone.STRONG),
                     ident.hostname or toned("not set: press i (hostname NAME)", Tone.WARNING))
        head.add_row(toned("Domain", Tone.STRONG),
                     ident.domain_name or toned("not set: press i (ip domain-name DOMAIN)", Tone.WARNING))
        head.add_row(toned("FQDN", Tone.STRONG), pki.fqdn or toned("—", Tone.MUTED))
        head.add_row(toned("Store", Tone.STRONG), str(pki.store.root))
        lab = self.console.lab
        if lab is not None:
            for label, value in lab.summary():
                head.add_row(toned(label, Tone.ACCENT_STRONG), value)
        # Light tables (a rule under the header, no frame): at 80x24 both fit above the log.
        keys = Table(title="Key pairs", title_justify="left", expand=True, box=box.SIMPLE_HEAD, show_edge=False)
        for col in ("label", "usage", "modulus", "created"):
            keys.add_column(col)
        for pair in list(pki.config.key_pairs.values()):
            keys.add_row(pair.label, pair.usage_text, str(pair.modulus), ios_time(pair.created))
        if not pki.config.key_pairs:
            keys.add_row(toned("none yet: press 3 for Keys, then g", Tone.MUTED), "", "", "")
        tps = Table(title="Trustpoints", title_justify="left", expand=True, box=box.SIMPLE_HEAD, show_edge=False)
        for col in ("name", "enrollment url", "CA", "device certificates"):
            tps.add_column(col)
        for tp in pki.trustpoints.list():
            # The core's one count of this device's own certificates (enrolled or imported), as the
            # trustpoint pane and show crypto pki trustpoints have it.
            status = pki.trustpoints.status(tp.name)
            tps.add_row(tp.name, tp.enrollment_url or "—",
                        toned("authenticated", Tone.OK) if status.ca_sha256 else toned("not authenticated",
                                                                                      Tone.WARNING),
                        self._device_text(tp.name, status.device_certificates))
        if not pki.trustpoints.list():
            tps.add_row(toned("none yet: press 2 for Trustpoints, then n", Tone.MUTED), "", "", "")
        self.query_one("#home-body", Static).update(Group(head, Text(""), tps))
        self.query_one("#home-keys", Static).update(keys)
