"""The NVRAM gauge: capacity, used and free as a bar, the breakdown by category, items kept as
fingerprint only or cached outside NVRAM, query mode with its warning, and what the next save
would remove. Renders a ``pki.nvram_usage()`` (NvramUsage)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from pkitui.tui.tones import Tone
from pkitui.tui.widgets.toned import TonedStatic, ToneStyles, tone

if TYPE_CHECKING:
    from pkitui.core.nvram import NvramUsage


def category_tone(name: str) -> str:
    """The component class (without ``nvram-gauge--``) of an NVRAM category: 'own keys' → 'own-keys'
    (a category the CSS does not know is drawn without colour)."""
    return name.lower().replace(" ", "-")


def _kib(n: int) -> str:
    return f"{n / 1024:,.1f} KiB" if abs(n) >= 1024 else f"{n} B"


BAR_CELLS = 20  # a category bar this long is everything used
EIGHTHS = " ▏▎▍▌▋▊▉"  # a cell's 1/8 .. 7/8, left-aligned


def stacked_bar(used: dict[str, int], capacity: int, width: int, styles: ToneStyles) -> Text:
    """One bar, a run per category in its colour, the rest free; over capacity shows an error '!'.

    In proportion: each run ends where its running total does (whole cells, so the runs add up
    to the used share), and the used share's last fraction of a cell is an eighth block; a
    category under one cell may get none (the table lists it)."""
    bar = Text()
    cells = 0
    running = 0
    last = ""
    for name, size in used.items():
        running += size
        end = min(width, int(running / capacity * width)) if capacity else 0
        n = max(0, end - cells)
        bar.append("█" * n, style=tone(styles, category_tone(name)))
        cells += n
        last = category_tone(name) if size else last
    total = sum(used.values())
    if total > capacity:
        bar.append("!", style=tone(styles, Tone.ERROR_STRONG))
        return bar
    eighths = round(total / capacity * width * 8) - cells * 8 if capacity else 0
    if 0 < eighths < 8 and cells < width:
        bar.append(EIGHTHS[eighths], style=tone(styles, last))
        cells += 1
    bar.append("░" * (width - cells), style="dim")
    return bar


def category_bar(size: int, used: int) -> str:
    """A category's bar, in proportion to its bytes: ``BAR_CELLS`` cells are everything used, and
    eighth blocks keep small shares visible and comparable ('' for 0 bytes)."""
    if not size or not used:
        return ""
    eighths = max(1, round(size / used * BAR_CELLS * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + ("" if not rest else EIGHTHS[rest])


def _item_list(title: str, items: list[str], name: str, styles: ToneStyles) -> list[Text]:
    """A titled list of items in the tone ``name`` ('none' when empty)."""
    if not items:
        return [Text(f"{title}:", style="bold"), Text("  none", style="dim")]
    return [Text(f"{title}:", style="bold"), *(Text(f"  • {item}", style=tone(styles, name)) for item in items)]


def render_usage(use: NvramUsage, styles: ToneStyles, width: int = 60) -> RenderableType:
    """The whole gauge for one NvramUsage; ``styles`` by tone and category (``NvramGauge.tone_styles``)."""
    total, capacity = use.total, use.capacity
    pct = total / capacity * 100 if capacity else 0
    head = Text()
    head.append(f"{_kib(total)} used of {_kib(capacity)} ({pct:.1f}%), ", style="bold")
    free_tone = Tone.OK if use.free >= 0 and pct < 80 else (Tone.WARNING if use.free >= 0 else Tone.ERROR_STRONG)
    head.append(f"{_kib(use.free)} free" if use.free >= 0 else f"{_kib(-use.free)} OVER capacity",
                style=tone(styles, free_tone))
    parts: list[RenderableType] = [head, stacked_bar(use.used, capacity, width, styles)]
    table = Table(expand=False, title="By category", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("category")
    table.add_column("bytes", justify="right")
    table.add_column("of capacity", justify="right")
    table.add_column("of what is used")
    for name, size in use.used.items():
        share = size / capacity * 100 if capacity else 0
        colour = tone(styles, category_tone(name))
        table.add_row(Text("■ ", style=colour) + Text(name), f"{size:,}", f"{share:.1f}%",
                      Text(category_bar(size, total), style=colour))
    mode = Text("Query mode (crypto ca certificate query): ", style="bold")
    if use.query_mode:
        mode.append("ON", style=tone(styles, Tone.ACCENT_STRONG))
        mode.append("\n  Certificates and CRLs are not kept in NVRAM: they are fetched from the CA when needed, "
                    "so authentication and revocation checks now depend on the CA being reachable.",
                    style=tone(styles, Tone.WARNING))
    else:
        mode.append("off", style=tone(styles, Tone.OK))
        mode.append("   (certificates and CRLs are kept in NVRAM)", style="dim")
    fp_only = ("Kept as fingerprint only (fetched again when needed)", use.fingerprint_only, "fingerprint-only")
    cached = ("Cached outside NVRAM (too large; fetched again if the cache is gone)", use.cached_outside,
              "cached-outside")
    removes = ("The next save removes (query mode)", use.next_save_removes, Tone.WARNING)
    if use.query_mode:  # its notice and what the next save removes first: on screen at 80x24
        parts += [mode, *_item_list(*removes, styles), Text(""), table]
        lists = [fp_only, cached]
    else:
        parts += [Text(""), table, Text(""), mode]
        lists = [fp_only, cached, removes]
    for title, items, name in lists:
        parts += [Text(""), *_item_list(title, items, name, styles)]
    return Group(*parts)


class NvramGauge(TonedStatic):
    """Shows an NvramUsage; its colours are the component classes below (styles/widgets.tcss)."""

    COMPONENT_CLASSES = {
        # one per NVRAM category (category_tone), told apart from each other
        "nvram-gauge--configuration", "nvram-gauge--own-keys", "nvram-gauge--peer-keys",
        "nvram-gauge--ca-certificates", "nvram-gauge--ra-certificates", "nvram-gauge--device-certificates",
        "nvram-gauge--crls",
        # free space, query mode, and the lists under the table
        "nvram-gauge--ok", "nvram-gauge--warning", "nvram-gauge--error-strong", "nvram-gauge--accent-strong",
        "nvram-gauge--fingerprint-only", "nvram-gauge--cached-outside",
    }
    DEFAULT_CSS = "NvramGauge { height: auto; padding: 0 1; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.usage: NvramUsage | None = None

    def show(self, use: NvramUsage) -> None:
        """Render ``use``."""
        self.usage = use
        self.redraw()

    def redraw(self) -> None:
        """Build the gauge again (a new usage, or a new theme)."""
        if self.usage is not None:
            width = max(20, min(80, (self.size.width or 80) - 4))
            self.update(render_usage(self.usage, self.tone_styles(), width))
