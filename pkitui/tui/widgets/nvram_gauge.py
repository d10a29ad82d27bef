"""The NVRAM gauge: capacity, used and free as a bar, the breakdown by category, items kept as
fingerprint only or cached outside NVRAM, query mode with its warning, and what the next save
would remove. Renders a ``pki.nvram_usage()`` (NvramUsage)."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

CATEGORY_STYLES = {
    "configuration": "cyan", "own keys": "medium_purple1", "peer keys": "blue", "CA certificates": "green",
    "RA certificates": "bright_green", "device certificates": "yellow", "CRLs": "red",
}


def _kib(n: int) -> str:
    return f"{n / 1024:,.1f} KiB" if abs(n) >= 1024 else f"{n} B"


def stacked_bar(used: dict[str, int], capacity: int, width: int) -> Text:
    """One bar, a coloured run per category, the rest free; over capacity shows red '!'."""
    bar = Text()
    cells = 0
    for name, size in used.items():
        n = round(size / capacity * width) if capacity else 0
        if size and n == 0:
            n = 1
        n = min(n, width - cells)
        bar.append("█" * n, style=CATEGORY_STYLES.get(name, "white"))
        cells += n
    total = sum(used.values())
    if total > capacity:
        bar.append("!", style="bold red")
    else:
        bar.append("░" * (width - cells), style="dim")
    return bar


def render_usage(use: Any, width: int = 60) -> RenderableType:
    """The whole gauge for one NvramUsage."""
    total, capacity = use.total, use.capacity
    pct = total / capacity * 100 if capacity else 0
    head = Text()
    head.append(f"{_kib(total)} used of {_kib(capacity)} ({pct:.1f}%), ", style="bold")
    head.append(f"{_kib(use.free)} free" if use.free >= 0 else f"{_kib(-use.free)} OVER capacity",
                style="green" if use.free >= 0 and pct < 80 else ("yellow" if use.free >= 0 else "bold red"))
    parts: list[RenderableType] = [head, stacked_bar(use.used, capacity, width), Text("")]
    table = Table(expand=False, title="By category", title_justify="left")
    table.add_column("category")
    table.add_column("bytes", justify="right")
    table.add_column("share", justify="right")
    table.add_column("")
    for name, size in use.used.items():
        share = size / capacity * 100 if capacity else 0
        table.add_row(Text("■ ", style=CATEGORY_STYLES.get(name, "white")) + Text(name), f"{size:,}",
                      f"{share:.1f}%", Text("▇" * min(30, round(share * 30 / 100)) or "·",
                                            style=CATEGORY_STYLES.get(name, "white")))
    parts.append(table)
    mode = Text("\nQuery mode (crypto ca certificate query): ", style="bold")
    if use.query_mode:
        mode.append("ON", style="bold magenta")
        mode.append("\n  Certificates and CRLs are not kept in NVRAM: they are fetched from the CA when needed, "
                    "so authentication and revocation checks now depend on the CA being reachable.", style="yellow")
    else:
        mode.append("off", style="green")
        mode.append("   (certificates and CRLs are kept in NVRAM)", style="dim")
    parts.append(mode)
    for title, items, style in (
        ("Kept as fingerprint only (fetched again when needed)", use.fingerprint_only, "cyan"),
        ("Cached outside NVRAM (too large; fetched again if the cache is gone)", use.cached_outside, "blue"),
        ("The next save removes (query mode)", use.next_save_removes, "yellow"),
    ):
        parts.append(Text(f"\n{title}:", style="bold"))
        if items:
            parts.extend(Text(f"  • {item}", style=style) for item in items)
        else:
            parts.append(Text("  none", style="dim"))
    return Group(*parts)


class NvramGauge(Static):
    """Shows an NvramUsage."""

    DEFAULT_CSS = "NvramGauge { height: auto; padding: 0 1; }"

    def show(self, use: Any) -> None:
        """Render ``use``."""
        width = max(20, min(80, (self.size.width or 80) - 4))
        self.update(render_usage(use, width))
