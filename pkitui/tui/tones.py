"""Tones: what a piece of console text means (done, needs attention, failed, …), never its colour.

A widget that colours its text declares one component class per tone (``tone_classes("log")``
gives ``log--ok``, ``log--warning``, …) and resolves a tone with :func:`tone_style`; the colours
are theme variables in ``styles/widgets.tcss``, so the console follows the theme. This is how
textual's own widgets do it (``ProgressBar``: ``bar--complete``; ``DataTable``: ``datatable--cursor``).
"""

from __future__ import annotations

from enum import StrEnum

from rich.style import Style
from rich.text import Text
from textual.widget import Widget


class Tone(StrEnum):
    """The meaning of a line or a span; ``*_STRONG`` is the same meaning as a headline (bold)."""

    OK = "ok"  # done, verified, saved, authenticated
    OK_STRONG = "ok-strong"  # a certificate issued
    WARNING = "warning"  # not done yet, or worth a look (not set, not authenticated, zeroized)
    WARNING_STRONG = "warning-strong"  # needs the administrator now (unsaved, conflict, PENDING)
    ERROR = "error"  # a failure's detail: the hint, IOS error output, a bad serial typed
    ERROR_STRONG = "error-strong"  # a failure: the error itself, REVOKED, NOT verified
    NOTE = "note"  # information from elsewhere: another session's save, fingerprints, a request sent
    NOTE_STRONG = "note-strong"  # an echoed command line, the CA fingerprints to compare
    ACCENT = "accent"  # out of the ordinary: a cancelled enrollment
    ACCENT_STRONG = "accent-strong"  # a mode or a guest: query mode, the lab's lines
    STRONG = "strong"  # a label or a heading, no colour of its own
    MUTED = "muted"  # a placeholder or a hint (“none yet: press …”)


def tone_classes(prefix: str) -> set[str]:
    """The component classes of every tone for a widget: ``{prefix}--ok``, ``{prefix}--warning``, …"""
    return {f"{prefix}--{tone}" for tone in Tone}


def tone_style(widget: Widget, prefix: str, tone: Tone | None) -> Style:
    """The Rich style the CSS gives ``tone`` on ``widget`` (partial: it goes on a span of the
    widget's text, whose background stays the widget's); no tone is no style."""
    if tone is None:
        return Style.null()
    return widget.get_component_rich_style(f"{prefix}--{tone}", partial=True)


def toned(widget: Widget, prefix: str, text: str, tone: Tone | None) -> Text:
    """``text`` in ``tone`` as ``widget``'s CSS colours it."""
    return Text(text, style=tone_style(widget, prefix, tone))
