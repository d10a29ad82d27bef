"""The live display of a typed fingerprint's compare (:func:`pkitui.core.fingerprint.compare`):
the core decides match, digest and first wrong group; this widget only colours the result."""

from __future__ import annotations

from rich.text import Text

from pkitui.core.fingerprint import FingerprintMatch, MatchState, compare
from pkitui.tui.tones import Tone
from pkitui.tui.widgets.toned import TonedStatic, ToneStyles, tone


def render_match(m: FingerprintMatch, styles: ToneStyles) -> Text:
    """The typed groups (good ones 'ok', the first bad one 'bad-group', the rest muted) and a
    sentence; ``styles`` by tone (``FingerprintMatchView.tone_styles``)."""
    out = Text()
    if m.state is MatchState.EMPTY:
        out.append("Type or paste the fingerprint you got from the CA administrator (any of the three).",
                   style=tone(styles, Tone.MUTED))
        return out
    typed, want = m.typed_groups, m.expected_groups
    for i, g in enumerate(typed):
        if m.first_bad is not None and i == m.first_bad:
            out.append(g, style=tone(styles, "bad-group"))
        elif m.first_bad is not None and i > m.first_bad:
            out.append(g, style=tone(styles, Tone.MUTED))
        else:
            out.append(g, style=tone(styles, Tone.OK))
        out.append(" ")
    out.append("\n")
    name = m.digest.label
    if m.state is MatchState.MATCH:
        out.append(f"✓ MATCH: the typed fingerprint is the CA's {name} fingerprint",
                   style=tone(styles, Tone.OK_STRONG))
    elif m.state is MatchState.PARTIAL:
        out.append(f"… {m.good_digits} of {len(m.expected)} hex digits match so far ({name})",
                   style=tone(styles, Tone.WARNING))
    else:
        assert m.first_bad is not None
        got = typed[m.first_bad] if m.first_bad < len(typed) else "(extra)"
        has = want[m.first_bad] if m.first_bad < len(want) else "(end)"
        out.append(f"✗ MISMATCH at group {m.first_bad + 1}: typed {got}, the CA's {name} has {has}. "
                   "Do not accept this certificate.", style=tone(styles, Tone.ERROR_STRONG))
    return out


class FingerprintMatchView(TonedStatic):
    """Shows a :class:`FingerprintMatch`; updated on every keystroke."""

    COMPONENT_CLASSES = {
        "fingerprint-match--ok", "fingerprint-match--ok-strong", "fingerprint-match--warning",
        "fingerprint-match--error-strong", "fingerprint-match--bad-group", "fingerprint-match--muted",
    }
    DEFAULT_CSS = """
    FingerprintMatchView { height: auto; min-height: 2; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.match: FingerprintMatch | None = None

    def show(self, typed: str, fingerprints: dict[str, str]) -> FingerprintMatch:
        """Compare (in core) and display; returns the core's answer."""
        m = compare(typed, fingerprints)
        self.match = m
        self.redraw()
        self.set_class(m.state is MatchState.MISMATCH, "-mismatch")
        self.set_class(m.state is MatchState.MATCH, "-match")
        return m

    def redraw(self) -> None:
        """Build the display again (a keystroke, or a new theme)."""
        if self.match is not None:
            self.update(render_match(self.match, self.tone_styles()))
