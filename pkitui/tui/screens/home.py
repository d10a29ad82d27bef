"""Home: the device at a glance — identity, key pairs, trustpoints, and the lab when it runs."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from pkitui.tui.screens.base import PkiPane
from pkitui.tui.tones import Tone


class HomePane(PkiPane):
    """Identity, key pairs and trustpoints (the foundation issue's home screen)."""

    BINDINGS = [
        Binding("t", "app.show_tab('trustpoints')", "Trustpoints", id="home_trustpoints",
                tooltip="Declare or edit trustpoints"),
        Binding("k", "app.show_tab('keys')", "Keys", id="home_keys", tooltip="Generate or zeroize key pairs"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="home-scroll", can_focus=True):
            yield Static(id="home-body")

    def reload(self) -> None:
        pki = self.pki
        ident = pki.config.identity
        toned = self.toned
        head = Table.grid(padding=(0, 2))
        head.add_row(toned("Hostname", Tone.STRONG),
                     ident.hostname or toned("not set (hostname NAME)", Tone.WARNING))
        head.add_row(toned("Domain", Tone.STRONG),
                     ident.domain_name or toned("not set (ip domain-name DOMAIN)", Tone.WARNING))
        head.add_row(toned("FQDN", Tone.STRONG), pki.fqdn or toned("—", Tone.MUTED))
        head.add_row(toned("Store", Tone.STRONG), str(pki.store.root))
        lab = self.console.lab
        if lab is not None:
            for label, value in lab.summary():
                head.add_row(toned(label, Tone.ACCENT_STRONG), value)
        keys = Table(title="Key pairs", title_justify="left", expand=True)
        for col in ("label", "usage", "modulus", "created"):
            keys.add_column(col)
        for pair in list(pki.config.key_pairs.values()):
            keys.add_row(pair.label, pair.usage_text, str(pair.modulus), pair.created)
        if not pki.config.key_pairs:
            keys.add_row(toned("none yet: press 3 for Keys, then g", Tone.MUTED), "", "", "")
        tps = Table(title="Trustpoints", title_justify="left", expand=True)
        for col in ("name", "enrollment url", "CA", "device certificates"):
            tps.add_column(col)
        certs = list(pki.config.certificates)
        for tp in pki.trustpoints.list():
            has_ca = any(c.trustpoint == tp.name and c.role == "ca" for c in certs)
            devices = sum(1 for c in certs if c.trustpoint == tp.name and c.role == "device")
            tps.add_row(tp.name, tp.enrollment_url or "—",
                        toned("authenticated", Tone.OK) if has_ca else toned("not authenticated", Tone.WARNING),
                        str(devices))
        if not pki.trustpoints.list():
            tps.add_row(toned("none yet: press 2 for Trustpoints, then n", Tone.MUTED), "", "", "")
        self.query_one("#home-body", Static).update(Group(head, Text(""), keys, Text(""), tps))
