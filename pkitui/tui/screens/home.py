"""Home: the device at a glance — identity, key pairs, trustpoints, the PKI timers (what fires
next, as ``show crypto pki timers``), and the lab when it runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

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
from pkitui.core.timers import Timer
from pkitui.tui.screens.base import PkiPane
from pkitui.tui.tones import Tone
from pkitui.tui.widgets.timers import REFRESH_SECONDS, TIMER_TITLES, TimersListed, time_left

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
        self._pki_timers: list[Timer] | None = None  # None until the first worker listed them
        self._pki_timers_at = datetime.now(timezone.utc)  # when they were listed (the countdowns' origin)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="home-scroll", can_focus=True):
            yield Static(id="home-body")

    def on_mount(self) -> None:
        # PkiPane.on_mount (the reload) runs after this one. Time passes: the countdowns are
        # listed again once a minute (they are shown to the minute).
        self.set_interval(REFRESH_SECONDS, self._list_timers)

    def reload(self) -> None:
        self._show()
        self._check_revocations()
        self._list_timers()

    @work(thread=True, exclusive=True, exit_on_error=False, group="timers")
    def _list_timers(self) -> None:
        """The core's timers (parses certificates: not on the UI thread)."""
        now = self.now()
        self.post_message(TimersListed(self.core(self.pki.timers.list, now), now))

    @on(TimersListed)
    def _timers_listed(self, message: TimersListed) -> None:
        message.stop()
        self._pki_timers, self._pki_timers_at = message.timers, message.now
        if self.query("#home-body"):
            self._show()

    def _timers_table(self) -> Table:
        """The soonest timers: time left, what fires, for which trustpoint, and what it concerns."""
        timers = self._pki_timers or []
        table = Table(title="Timers (show crypto pki timers)", title_justify="left", expand=True,
                      box=box.SIMPLE_HEAD, show_edge=False)
        table.add_column("left", no_wrap=True, justify="right", min_width=9)  # up to "9999d 23h"
        table.add_column("fires", no_wrap=True)
        table.add_column("trustpoint", no_wrap=True)
        table.add_column("what", no_wrap=True, overflow="ellipsis", ratio=1)
        for timer in timers[:HOME_TIMERS]:
            left = timer.left(self._pki_timers_at)
            table.add_row(self.toned(time_left(left), Tone.WARNING if left.total_seconds() <= 0 else Tone.STRONG),
                          TIMER_TITLES[timer.kind], timer.trustpoint, timer.detail)
        if len(timers) > HOME_TIMERS:
            table.add_row("", "", "", self.toned(f"{len(timers) - HOME_TIMERS} more: :show crypto pki timers",
                                                 Tone.MUTED))
        if not timers:
            table.add_row("", "", "", self.toned("none: auto-enroll, a CRL held or a certificate sets one", Tone.MUTED))
        return table

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
            keys.add_row(pair.label, pair.usage_text, str(pair.modulus), pair.created)
        if not pki.config.key_pairs:
            keys.add_row(toned("none yet: press 3 for Keys, then g", Tone.MUTED), "", "", "")
        tps = Table(title="Trustpoints", title_justify="left", expand=True, box=box.SIMPLE_HEAD, show_edge=False)
        for col in ("name", "enrollment url", "CA", "device certificates"):
            tps.add_column(col)
        certs = list(pki.config.certificates)
        for tp in pki.trustpoints.list():
            has_ca = any(c.trustpoint == tp.name and c.role == "ca" for c in certs)
            devices = sum(1 for c in certs if c.trustpoint == tp.name and c.role == "device")
            tps.add_row(tp.name, tp.enrollment_url or "—",
                        toned("authenticated", Tone.OK) if has_ca else toned("not authenticated", Tone.WARNING),
                        self._device_text(tp.name, devices))
        if not pki.trustpoints.list():
            tps.add_row(toned("none yet: press 2 for Trustpoints, then n", Tone.MUTED), "", "", "")
        parts: list[Table | Text] = [head, Text(""), tps]
        if self._pki_timers is not None:
            parts.append(self._timers_table())
        self.query_one("#home-body", Static).update(Group(*parts, keys))
