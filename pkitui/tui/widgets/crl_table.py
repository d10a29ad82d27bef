"""The CRL entries as a Line-API table: only the visible rows are decoded and rendered, so a
1,000,000-entry CRL scrolls as smoothly as a 10-entry one (never a DataTable for CRL rows).

It reads the revocation engineer's ``CrlIndex`` on demand: ``len(index)``, ``index.row(i)``
(serial, revocation date, reason) and ``index.find(serial)``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from pkitui.ios.format import ios_time

# Serial numbers have up to 20 octets (RFC 5280): 40 hex digits.
COLUMNS = (("#", 7), ("serial number (hex)", 40), ("revoked", 24), ("reason", 22))
ROW_WIDTH = sum(w for _n, w in COLUMNS) + 2 * (len(COLUMNS) - 1)
CACHE_ROWS = 512

if TYPE_CHECKING:
    from pkitui.core.revocation.crl_index import CrlRow


class RowIndex(Protocol):
    """What the table needs from a CRL index."""

    def __len__(self) -> int: ...
    def row(self, i: int) -> CrlRow: ...
    def find(self, serial: int) -> int | None: ...


def format_row(i: int, row: CrlRow) -> str:
    """One line of text, fixed-width columns."""
    serial, date, reason = row
    serial_hex = format(serial, "X")
    if len(serial_hex) % 2:
        serial_hex = "0" + serial_hex
    cells = (str(i + 1), serial_hex, ios_time(date), reason or "")
    return "  ".join(c[:w].ljust(w) for c, (_n, w) in zip(cells, COLUMNS, strict=True))


def header_text() -> str:
    """The column titles, aligned with :func:`format_row`."""
    return "  ".join(n.ljust(w) for n, w in COLUMNS)


class CrlTable(ScrollView, can_focus=True):
    """A virtual table over a CRL index; ``cursor`` is the highlighted row. The first line is the
    column header, pinned at the top and scrolled sideways with the rows (at 80 columns the
    reason is to the right: left/right scroll to it)."""

    COMPONENT_CLASSES = {"crl-table--cursor", "crl-table--row", "crl-table--odd", "crl-table--header"}
    DEFAULT_CSS = """
    CrlTable { height: 1fr; background: $surface; }
    CrlTable > .crl-table--row { color: $foreground; }
    CrlTable > .crl-table--odd { background: $boost; }
    CrlTable > .crl-table--cursor { background: $accent; color: $text; text-style: bold; }
    CrlTable > .crl-table--header { background: $panel; text-style: bold; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False, id="crl_up"),
        Binding("down", "move(1)", "Down", show=False, id="crl_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="crl_pageup"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="crl_pagedown"),
        Binding("home", "jump(0)", "First", show=False, id="crl_home"),
        Binding("end", "jump(-1)", "Last", show=False, id="crl_end"),
    ]

    cursor: reactive[int] = reactive(0)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.index: RowIndex | None = None
        self.count = 0  # rows of the index shown
        self._rows: OrderedDict[int, str] = OrderedDict()
        self.rows_rendered = 0  # rows decoded since the index was set (proves we render only what is seen)

    def set_index(self, index: RowIndex | None, length: int | None = None) -> None:
        """Show ``index`` (None: empty). ``length`` avoids a second ``len`` when known."""
        self.index = index
        self._rows.clear()
        self.rows_rendered = 0
        self.count = 0 if index is None else (length if length is not None else len(index))
        self.virtual_size = Size(ROW_WIDTH, self.count + 1)  # + the header line
        self.cursor = 0
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    def _text(self, i: int) -> str:
        text = self._rows.get(i)
        if text is None:
            assert self.index is not None
            text = format_row(i, self.index.row(i))
            self.rows_rendered += 1
            self._rows[i] = text
            if len(self._rows) > CACHE_ROWS:
                self._rows.popitem(last=False)
        return text

    @property
    def rows_shown(self) -> int:
        """How many entry rows fit under the header."""
        return max(1, (self.scrollable_content_region.height or self.size.height) - 1)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            style = Style.combine([self.rich_style, self.get_component_rich_style("crl-table--header")])
            head = header_text().ljust(max(width + self.scroll_offset.x, ROW_WIDTH))
            return Strip([Segment(head, style)]).crop(self.scroll_offset.x, self.scroll_offset.x + width)
        i = self.scroll_offset.y + y - 1
        if self.index is None or i >= self.count:
            return Strip.blank(width, self.rich_style)
        if i == self.cursor:
            style = self.get_component_rich_style("crl-table--cursor")
        elif i % 2:
            style = self.get_component_rich_style("crl-table--odd")
        else:
            style = self.get_component_rich_style("crl-table--row")
        text = self._text(i).ljust(max(width + self.scroll_offset.x, ROW_WIDTH))
        strip = Strip([Segment(text, Style.combine([self.rich_style, style]))])
        return strip.crop(self.scroll_offset.x, self.scroll_offset.x + width)

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        height = self.rows_shown
        top = self.scroll_offset.y
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, self.count - 1)) if self.count else 0

    def action_move(self, delta: int) -> None:
        """Cursor up/down."""
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        """A page up/down."""
        self.cursor += direction * max(1, self.rows_shown - 1)

    def action_jump(self, where: int) -> None:
        """First (0) or last (-1) row."""
        self.cursor = 0 if where == 0 else max(self.count - 1, 0)

    def on_click(self, event: events.Click) -> None:
        """A click selects the row under the mouse (not the header)."""
        if event.y > 0:
            self.cursor = self.scroll_offset.y + event.y - 1

    def go_to(self, i: int) -> None:
        """Put the cursor on row ``i`` and show it in the middle of the view."""
        self.cursor = i
        self.scroll_to(y=max(0, i - self.rows_shown // 2), animate=False)


def parse_serial(text: str) -> list[tuple[int, str]]:
    """Candidate serials for a search: hex ('0x1F', '1f:2a', 'DEADBEEF') or decimal ('1234').

    Digits only are read as decimal first, then as hex; anything with a-f or 0x is hex.
    """
    t = text.strip().replace(":", "").replace(" ", "")
    out: list[tuple[int, str]] = []
    if not t:
        return out
    if t.lower().startswith("0x"):
        t, force_hex = t[2:], True
    else:
        force_hex = False
    if not force_hex and t.isdigit():
        out.append((int(t), "decimal"))
    try:
        out.append((int(t, 16), "hex"))
    except ValueError:
        pass
    return out
