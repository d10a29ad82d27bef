"""Fingerprint matching as the administrator types, and its display (groups of two hex digits)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from pkitui.tui.tones import Tone
from pkitui.tui.widgets.toned import TonedStatic, ToneStyles, tone

ALGORITHMS = ("sha256", "sha1", "md5")
NAMES = {"sha256": "SHA-256", "sha1": "SHA-1", "md5": "MD5"}
_SEPARATORS = re.compile(r"[\s:.\-]")


def groups(hexs: str) -> list[str]:
    """'AB12CD' → ['AB', '12', 'CD']."""
    return [hexs[i : i + 2] for i in range(0, len(hexs), 2)]


def grouped(hexs: str, per_line: int = 16) -> str:
    """Groups of two hex digits separated by spaces, ``per_line`` groups to a line."""
    g = groups(hexs)
    return "\n".join(" ".join(g[i : i + per_line]) for i in range(0, len(g), per_line))


@dataclass(frozen=True)
class FingerprintMatch:
    """How typed text compares with a CA's fingerprints.

    ``state``: 'empty', 'partial' (a correct prefix so far), 'match' or 'mismatch';
    ``first_bad`` is the index of the first mismatching group of two hex digits.
    """

    typed: str
    algorithm: str
    state: str
    first_bad: int | None = None

    @property
    def matched(self) -> bool:
        """True when the whole fingerprint was typed and is identical."""
        return self.state == "match"


def match_fingerprint(typed: str, fingerprints: dict[str, str]) -> FingerprintMatch:
    """Compare typed text (separators and case ignored) with each digest; pick the digest the
    text is closest to (by length when complete, else by the longest common prefix)."""
    text = _SEPARATORS.sub("", typed).upper()
    if not text:
        return FingerprintMatch("", "sha256", "empty")
    algs = [a for a in ALGORITHMS if a in fingerprints]
    for alg in algs:
        if text == fingerprints[alg].upper():
            return FingerprintMatch(text, alg, "match")

    def common(alg: str) -> int:
        want = fingerprints[alg].upper()
        n = 0
        while n < min(len(text), len(want)) and text[n] == want[n]:
            n += 1
        return n

    by_length = [a for a in algs if len(fingerprints[a]) == len(text)]
    alg = by_length[0] if by_length else max(algs, key=common)
    want = fingerprints[alg].upper()
    n = common(alg)
    if n == len(text) and len(text) < len(want):
        return FingerprintMatch(text, alg, "partial")
    return FingerprintMatch(text, alg, "mismatch", first_bad=min(n, len(want)) // 2)


def render_match(m: FingerprintMatch, fingerprints: dict[str, str], styles: ToneStyles) -> Text:
    """The typed groups (good ones 'ok', the first bad one 'bad-group', the rest dim) and a
    sentence; ``styles`` by tone (``FingerprintMatchView.tone_styles``)."""
    out = Text()
    if m.state == "empty":
        out.append("Type or paste the fingerprint you got from the CA administrator (any of the three).",
                   style="dim")
        return out
    want = groups(fingerprints[m.algorithm].upper())
    for i, g in enumerate(groups(m.typed)):
        if m.first_bad is not None and i == m.first_bad:
            out.append(g, style=tone(styles, "bad-group"))
        elif m.first_bad is not None and i > m.first_bad:
            out.append(g, style="dim")
        else:
            out.append(g, style=tone(styles, Tone.OK))
        out.append(" ")
    out.append("\n")
    name = NAMES[m.algorithm]
    if m.state == "match":
        out.append(f"✓ MATCH: the typed fingerprint is the CA's {name} fingerprint",
                   style=tone(styles, Tone.OK_STRONG))
    elif m.state == "partial":
        out.append(f"… {len(m.typed) // 2} of {len(want)} groups match so far ({name})",
                   style=tone(styles, Tone.WARNING))
    else:
        assert m.first_bad is not None
        got = groups(m.typed)[m.first_bad] if m.first_bad < len(groups(m.typed)) else "(extra)"
        has = want[m.first_bad] if m.first_bad < len(want) else "(end)"
        out.append(f"✗ MISMATCH at group {m.first_bad + 1}: typed {got}, the CA's {name} has {has}. "
                   "Do not accept this certificate.", style=tone(styles, Tone.ERROR_STRONG))
    return out


class FingerprintMatchView(TonedStatic):
    """Shows a :class:`FingerprintMatch`; updated on every keystroke."""

    COMPONENT_CLASSES = {
        "fingerprint-match--ok", "fingerprint-match--ok-strong", "fingerprint-match--warning",
        "fingerprint-match--error-strong", "fingerprint-match--bad-group",
    }
    DEFAULT_CSS = """
    FingerprintMatchView { height: auto; min-height: 2; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.match: FingerprintMatch | None = None
        self.fingerprints: dict[str, str] = {}

    def show(self, typed: str, fingerprints: dict[str, str]) -> FingerprintMatch:
        """Recompute and display; returns the match."""
        m = match_fingerprint(typed, fingerprints)
        self.match, self.fingerprints = m, fingerprints
        self.redraw()
        self.set_class(m.state == "mismatch", "-mismatch")
        self.set_class(m.state == "match", "-match")
        return m

    def redraw(self) -> None:
        """Build the display again (a keystroke, or a new theme)."""
        if self.match is not None:
            self.update(render_match(self.match, self.fingerprints, self.tone_styles()))
