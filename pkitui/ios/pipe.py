"""IOS's output modifiers: ``show ... | {include | exclude | begin | section | count} REGEX``.

The session splits a line at its first ``|`` word; when the part before it is a ``show``
command, the part after it is parsed here (keywords abbreviate as everywhere: ``| i``, ``| sec``)
and the command's output goes through the :class:`OutputFilter`. As on IOS everything after the
modifier is the regular expression, spaces and further ``|`` included (``| include a|b`` is an
alternation). The expressions are Python's (:mod:`re`, searched anywhere in the line), close to
IOS's for everyday use; IOS's ``_`` (a word boundary) is not special here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pkitui.core.errors import PkiError
from pkitui.ios.grammar import EOL, Args, Tracker, compile_spec, tokenize
from pkitui.ios.parser import PIPE, ParseFailure

# IOS's words for each modifier (``show running-config | ?``).
MODIFIERS: dict[str, str] = {
    "begin": "Begin with the line that matches",
    "count": "Count number of lines which match regexp",
    "exclude": "Exclude lines that match",
    "include": "Include lines that match",
    "section": "Filter a section of output",
}
REGEX_HELP = "Regular Expression"
_SPEC = compile_spec("{begin LINE... | count [LINE...] | exclude LINE... | include LINE... | section LINE...}")


class BadRegex(PkiError):
    """An output modifier's regular expression does not compile."""


def split_pipe(text: str) -> tuple[str, str] | None:
    """``(command, modifier)`` split at the first word that is ``|``, or None without one."""
    for tok in tokenize(text):
        if tok.text == PIPE:
            return text[: tok.col].rstrip(), text[tok.col + 1 :].strip()
    return None


def pipe_offset(text: str) -> int:
    """How many words of ``text`` come before the modifier (the ``|`` included): where a
    failure's word position in the modifier starts in the whole line."""
    return next(i for i, tok in enumerate(tokenize(text)) if tok.text == PIPE) + 1


@dataclass(frozen=True)
class OutputFilter:
    """One modifier and its expression; :meth:`apply` filters a command's output lines."""

    kind: str
    regex: re.Pattern[str] | None

    def apply(self, lines: list[str]) -> list[str]:
        """The lines to print, IOS's way for ``kind``."""
        rx = self.regex
        if self.kind == "count":
            n = sum(1 for line in lines if rx is None or rx.search(line))
            return [f"Number of lines which match regexp = {n}"]
        assert rx is not None
        if self.kind == "include":
            return [line for line in lines if rx.search(line)]
        if self.kind == "exclude":
            return [line for line in lines if not rx.search(line)]
        if self.kind == "begin":
            start = next((i for i, line in enumerate(lines) if rx.search(line)), len(lines))
            return lines[start:]
        return _sections(lines, rx)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _sections(lines: list[str], rx: re.Pattern[str]) -> list[str]:
    """Each line that matches, with its children: the lines after it indented deeper."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not rx.search(lines[i]):
            i += 1
            continue
        depth = _indent(lines[i])
        out.append(lines[i])
        i += 1
        while i < len(lines) and lines[i].strip() and _indent(lines[i]) > depth:
            out.append(lines[i])
            i += 1
    return out


def parse_modifier(text: str) -> OutputFilter | ParseFailure:
    """The filter for ``text`` (what follows ``|``): a ParseFailure (word positions within
    ``text``) when the modifier is unknown or its expression is missing; BadRegex when the
    expression does not compile."""
    toks = tokenize(text)
    tr = Tracker()
    for j, caps in _SPEC.match(toks, text, 0, (), tr):
        if j != len(toks):
            tr.fail(j, EOL)
            continue
        args = Args(caps)
        kind = args.kw[0]
        pattern = args.get("line")
        try:
            return OutputFilter(kind, re.compile(pattern) if pattern is not None else None)
        except re.error as exc:
            raise BadRegex(f"Invalid regular expression {pattern!r} after | {kind}: {exc}",
                           "Output modifiers take a regular expression (Python syntax), e.g. "
                           "show running-config | include ^crypto") from None
    if tr.far >= len(toks):
        return ParseFailure("incomplete", len(toks), sorted(tr.expected))
    return ParseFailure("invalid", max(tr.far, 0), sorted(tr.expected))


def modifier_help(text: str) -> list[tuple[str, str]]:
    """``?`` after ``|``: the modifiers (completing a partial word), or ``LINE`` and ``<cr>``."""
    toks = tokenize(text)
    partial = toks.pop().text.lower() if toks and not text[-1:].isspace() else ""
    if not toks:
        return [(word, help) for word, help in MODIFIERS.items() if word.startswith(partial)]
    if partial:
        return []  # inside the expression: any text goes
    first = [w for w in MODIFIERS if w.startswith(toks[0].text.lower())]
    if len(first) != 1:
        return []
    if len(toks) == 1:
        return [("LINE", REGEX_HELP)] + ([(EOL, "")] if first[0] == "count" else [])
    return [(EOL, "")]

