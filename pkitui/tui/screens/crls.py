"""CRL viewer: the CRLs held per trustpoint (issuer, this/next update, signature, entries), their
entries in a Line-API table that renders only visible rows, a serial search (hex or decimal)
and fetch now. Opening, indexing and searching run in thread workers."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label

from pkitui.core.dn import ios_dn
from pkitui.ios.format import ios_time
from pkitui.tui.screens.base import PkiPane
from pkitui.tui.tones import Tone
from pkitui.tui.widgets.crl_table import CrlTable, RowIndex, parse_serial

if TYPE_CHECKING:
    from pkitui.core.revocation.crl_index import CrlIndex
    from pkitui.core.revocation.crl_info import CrlInfo


@dataclass
class CrlOpened(Message):
    """A CRL's index is ready for the table."""

    key: str
    index: CrlIndex
    length: int
    seconds: float


@dataclass
class SerialFound(Message):
    """A search finished (row None: not listed)."""

    query: str
    row: int | None
    how: str
    seconds: float


def _newer(a: CrlInfo, b: CrlInfo) -> bool:
    """``a`` supersedes ``b``: a higher CRL number, else a later thisUpdate (the core's rule)."""
    if a.crl_number is not None and b.crl_number is not None and a.crl_number != b.crl_number:
        return a.crl_number > b.crl_number
    return a.this_update > b.this_update


def one_per_issuer(infos: list[CrlInfo]) -> tuple[list[CrlInfo], list[list[str]]]:
    """One row per issuer: the newest CRL held of each, with every trustpoint holding one of that
    issuer (two trustpoints of one CA hold the same CRL; each held copy stays for its checks)."""
    newest: dict[str, CrlInfo] = {}
    holders: dict[str, list[str]] = {}
    for info in infos:
        held = newest.get(info.issuer)
        if held is None or _newer(info, held):
            newest[info.issuer] = info
        names = holders.setdefault(info.issuer, [])
        if info.trustpoint not in names:
            names.append(info.trustpoint)
    return list(newest.values()), [holders[issuer] for issuer in newest]


def _when(value: datetime | None) -> str:
    return ios_time(value) if value is not None else "—"  # IOS's layout, as show crypto pki crls


class CrlsPane(PkiPane):
    """The CRL viewer."""

    BINDINGS = [
        Binding("f", "fetch", "Fetch now", id="crls_fetch", tooltip="crypto pki crl request: download the newest CRL"),
        Binding("o", "open", "Open", id="crls_open", tooltip="Show the entries of the selected CRL"),
        Binding("slash", "search", "Search serial", key_display="/", id="crls_search",
                tooltip="Find a serial number (hex or decimal)"),
    ]

    show_timings = True  # snapshot tests turn the (machine-dependent) timings off

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.infos: list[CrlInfo] = []
        self.open_key: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("CRLs held (each verified with its issuer's certificate)", classes="section-title")
            yield DataTable(id="crl-list", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="crl-search-row"):
                yield Input(placeholder="search serial: hex (0x1F, 1f:2a) or decimal", id="crl-search",
                            select_on_focus=False)
                yield Label("", id="crl-search-result")
            yield CrlTable(id="crl-table")
            yield Label("", id="crl-status")

    def on_mount(self) -> None:
        # PkiPane.on_mount (the reload) runs after this one: Textual calls each class's handler.
        # No signature column: the core holds a CRL only once its signature verified (the title says so).
        self.query_one("#crl-list", DataTable).add_columns(
            "trustpoints", "entries", "this update", "next update", "issuer", "source")

    def reload(self) -> None:
        table = self.query_one("#crl-list", DataTable)
        table.clear()
        self.infos, sharing = one_per_issuer(self.pki.revocation.crls())
        for i, info in enumerate(self.infos):
            table.add_row(
                ", ".join(sharing[i]), f"{info.entries:,}", _when(info.this_update), _when(info.next_update),
                ios_dn(info.issuer), self._source(info), key=str(i))
        status = self.query_one("#crl-status", Label)
        if self.open_key is not None and not any(self._key(i) == self.open_key for i in self.infos):
            self.open_key = None
            self.query_one("#crl-table", CrlTable).set_index(None)
        if not self.infos:
            status.update("No CRL held. Authenticate a trustpoint's CA, then press f to fetch its CRL.")
        elif self.open_key is None:
            status.update(f"{len(self.infos)} CRL(s) held: o (or Enter) shows the selected one's entries.")

    @staticmethod
    def _source(info: CrlInfo) -> str:
        """Where it came from and where it is held, short enough for the table (whole at 120 columns)."""
        source = info.source if len(info.source) <= 24 else info.source[:23] + "…"
        return f"{source} ({info.location})" if info.location else source

    @staticmethod
    def _key(info: CrlInfo) -> str:
        return f"{info.trustpoint}:{info.sha256}"

    def selected_info(self) -> CrlInfo | None:
        """The CRL under the list cursor."""
        table = self.query_one("#crl-list", DataTable)
        if not self.infos or not table.row_count:
            return None
        return self.infos[min(table.cursor_row, len(self.infos) - 1)]

    # -- open -----------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#crl-list")
    def _row_selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        """Open the selected CRL's entries."""
        info = self.selected_info()
        if info is None:
            self.notify("No CRL to open", severity="warning")
            return
        self.query_one("#crl-status", Label).update(f"Opening the CRL from {ios_dn(info.issuer)}…")
        self._open(info)

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def _open(self, info: CrlInfo) -> None:
        start = time.perf_counter()
        index = self.core(self.pki.revocation.open_crl, info)
        length = len(index)
        self.post_message(CrlOpened(self._key(info), index, length, time.perf_counter() - start))

    def show_index(self, key: str, index: RowIndex | None, length: int | None = None) -> None:
        """Put an index in the table (also used by tests and the benchmark)."""
        self.open_key = key
        self.query_one("#crl-table", CrlTable).set_index(index, length)

    @on(CrlOpened)
    def _opened(self, message: CrlOpened) -> None:
        self.show_index(message.key, message.index, message.length)
        took = f", opened in {message.seconds * 1000:.0f} ms" if self.show_timings else ""
        self.query_one("#crl-status", Label).update(
            f"{message.length:,} entries{took}. ↑↓ PgUp PgDn Home End to move; / to search.")
        self.query_one("#crl-table", CrlTable).focus()
        self._build_index(message.index)

    @work(thread=True, exclusive=True, exit_on_error=False, group="index")
    def _build_index(self, index: CrlIndex) -> None:
        """Build the serial index in the background (0.5 s at 1,000,000 entries), so every search
        after the first screen is a dictionary look-up; until then searches scan (~10 ms)."""
        index.build()

    # -- search ---------------------------------------------------------------------------------
    def action_search(self) -> None:
        """Focus the search box."""
        self.query_one("#crl-search", Input).focus()

    @on(Input.Changed, "#crl-search")
    def _search_changed(self, event: Input.Changed) -> None:
        table = self.query_one("#crl-table", CrlTable)
        result = self.query_one("#crl-search-result", Label)
        candidates = parse_serial(event.value)
        if not event.value.strip():
            result.update("")
            return
        if not candidates:
            result.update(self.toned("not a serial number (hex or decimal)", Tone.ERROR))
            return
        if table.index is None:
            result.update(self.toned("open a CRL first (o)", Tone.WARNING))
            return
        self._search(event.value, table.index, candidates)

    @work(thread=True, exclusive=True, exit_on_error=False, group="search")
    def _search(self, query: str, index: RowIndex, candidates: list[tuple[int, str]]) -> None:
        start = time.perf_counter()
        for serial, how in candidates:
            row = index.find(serial)
            if row is not None:
                self.post_message(SerialFound(query, row, how, time.perf_counter() - start))
                return
        self.post_message(SerialFound(query, None, "", time.perf_counter() - start))

    @on(SerialFound)
    def _found(self, message: SerialFound) -> None:
        if message.query != self.query_one("#crl-search", Input).value:
            return  # a newer search is under way
        result = self.query_one("#crl-search-result", Label)
        ms = f", {message.seconds * 1000:.1f} ms" if self.show_timings else ""
        if message.row is None:
            result.update(self.toned(f"not revoked: not in this CRL{ms}", Tone.OK))
        else:
            self.query_one("#crl-table", CrlTable).go_to(message.row)
            result.update(self.toned(f"REVOKED: row {message.row + 1:,} ({message.how}{ms})", Tone.ERROR_STRONG))

    # -- fetch ----------------------------------------------------------------------------------
    def action_fetch(self) -> None:
        """Download the newest CRL of the selected CRL's trustpoint (or the only trustpoint)."""
        info = self.selected_info()
        names = [tp.name for tp in self.pki.trustpoints.list()]
        name = info.trustpoint if info is not None else (names[0] if len(names) == 1 else None)
        if name is None:
            self.notify("Several trustpoints: use CRL (r) in Trustpoints", severity="warning")
            return
        self._fetch(name)

    @work(thread=True, exclusive=True, exit_on_error=False, group="fetch")
    def _fetch(self, name: str) -> None:
        info = self.core(self.pki.revocation.request_crl, name)
        self.say(f"CRL for {name}: {ios_dn(info.issuer)}, {info.entries:,} entries", Tone.OK)
        self.changed("crl")
