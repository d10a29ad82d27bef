"""Command syntax specs and the matcher that turns a line's tokens into arguments.

A spec is written the way IOS documents its commands::

    crypto key generate rsa [general-keys | usage-keys] [label LABEL] [modulus BITS:1024-4096]
    enrollment retry period MINUTES:1-60
    subject-name DN...

- ``word`` (lower case) is a keyword; the user may abbreviate it to any unique prefix.
- ``NAME`` (upper case) is one word of input, captured as ``args["name"]``; ``NAME:int`` must be
  a number, ``NAME:LO-HI`` a number in that range (checked here so the caret points at it).
- ``NAME...`` captures the rest of the line verbatim (spacing kept), e.g. a DN with spaces.
- ``[ a | b ]`` is optional, ``{ a | b }`` a required choice, ``[ ... ]*`` repeats (any order).

Matching is a small backtracking "list of successes" parser over the tokens. It remembers the
furthest position where input stopped matching and what would have been accepted there, which is
exactly what IOS's ``% Invalid input detected at '^' marker.`` and ``% Incomplete command.`` need.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# One captured event: ("kw", word, exact, pos) or ("arg", name, value, pos).
Event = tuple[str, str, Any, int]
Caps = tuple[Event, ...]

EOL = "<cr>"


@dataclass(frozen=True)
class Token:
    """One word of a line and the column where it starts."""

    text: str
    col: int


def tokenize(line: str) -> list[Token]:
    """Split ``line`` on white space, remembering columns (for the caret and ``NAME...``)."""
    return [Token(m.group(), m.start()) for m in re.finditer(r"\S+", line)]


@dataclass
class Tracker:
    """What the matcher learnt while failing: the furthest position and what it expected there."""

    far: int = -1
    expected: set[str] = field(default_factory=set)
    tried: dict[int, set[str]] = field(default_factory=dict)
    args_at: dict[int, set[str]] = field(default_factory=dict)

    def fail(self, pos: int, what: str) -> None:
        """Record that ``what`` was expected at token ``pos``."""
        if pos > self.far:
            self.far, self.expected = pos, {what}
        elif pos == self.far:
            self.expected.add(what)


class Node:
    """A piece of syntax. ``match`` yields every (next position, captures) it can reach."""

    def match(self, toks: list[Token], line: str, i: int, caps: Caps, tr: Tracker) -> Iterator[tuple[int, Caps]]:
        raise NotImplementedError


@dataclass
class Kw(Node):
    """A keyword, matched by any prefix (ambiguity is judged afterwards, across alternatives)."""

    word: str

    def match(self, toks: list[Token], line: str, i: int, caps: Caps, tr: Tracker) -> Iterator[tuple[int, Caps]]:
        if i >= len(toks):
            tr.fail(i, self.word)
            return
        tr.tried.setdefault(i, set()).add(self.word)
        text = toks[i].text.lower()
        if self.word.startswith(text):
            yield i + 1, caps + (("kw", self.word, text == self.word, i),)
        else:
            tr.fail(i, self.word)


@dataclass
class Arg(Node):
    """One word of user input; ``low``/``high`` make it a number in a range."""

    name: str
    number: bool = False
    low: int | None = None
    high: int | None = None

    @property
    def label(self) -> str:
        if self.low is not None:
            return f"<{self.low}-{self.high}>"
        return f"<{self.name}>" if self.number else self.name

    def match(self, toks: list[Token], line: str, i: int, caps: Caps, tr: Tracker) -> Iterator[tuple[int, Caps]]:
        if i >= len(toks):
            tr.fail(i, self.label)
            return
        tr.args_at.setdefault(i, set()).add(self.label)
        text: Any = toks[i].text
        if self.number:
            if not re.fullmatch(r"\d{1,9}", text):
                tr.fail(i, self.label)
                return
            text = int(text)
            if self.low is not None and self.high is not None and not self.low <= text <= self.high:
                tr.fail(i, self.label)
                return
        yield i + 1, caps + (("arg", self.name.lower(), text, i),)


@dataclass
class Rest(Node):
    """The rest of the line, verbatim (at least one word)."""

    name: str

    def match(self, toks: list[Token], line: str, i: int, caps: Caps, tr: Tracker) -> Iterator[tuple[int, Caps]]:
        if i >= len(toks):
            tr.fail(i, self.name)
            return
        tr.args_at.setdefault(i, set()).add(self.name)
        yield len(toks), caps + (("arg", self.name.lower(), line[toks[i].col :].rstrip(), i),)


@dataclass
class Seq(Node):
    """Items one after the other."""

    items: list[Node]

    def match(self, toks: list[Token], line: str, i: int, caps: Caps, tr: Tracker) -> Iterator[tuple[int, Caps]]:
        yield from self._from(0, toks, line, i, caps, tr)

    def _from(self, k: int, toks: list[Token], line: str, i: int, caps: Caps,
              tr: Tracker) -> Iterator[tuple[int, Caps]]:
        if k == len(self.items):
            yield i, caps
            return
        for j, c in self.items[k].match(toks, line, i, caps, tr):
            yield from self._from(k + 1, toks, line, j, c, tr)


@dataclass
class Choice(Node):
    """One of several alternatives."""

    alts: list[Node]

    def match(self, toks: list[Token], line: str, i: int, caps: Caps, tr: Tracker) -> Iterator[tuple[int, Caps]]:
        for alt in self.alts:
            yield from alt.match(toks, line, i, caps, tr)


@dataclass
class Opt(Node):
    """Zero or one (``repeat``: zero or more) occurrences."""

    node: Node
    repeat: bool = False

    def match(self, toks: list[Token], line: str, i: int, caps: Caps, tr: Tracker) -> Iterator[tuple[int, Caps]]:
        yield i, caps
        for j, c in self.node.match(toks, line, i, caps, tr):
            if j == i:
                continue
            if self.repeat:
                yield from self.match(toks, line, j, c, tr)
            else:
                yield j, c


_SPEC_TOKEN = re.compile(r"\[|\]\*|\]|\{|\}|\||[^\s\[\]{}|]+")


def compile_spec(spec: str) -> Seq:
    """Parse a spec string (see the module docstring) into a :class:`Node` tree."""
    parts = _SPEC_TOKEN.findall(spec)
    node, k = _parse_alt(parts, 0, spec)
    if k != len(parts):
        raise ValueError(f"unbalanced spec {spec!r}")
    return node if isinstance(node, Seq) else Seq([node])


def _parse_alt(parts: list[str], k: int, spec: str) -> tuple[Node, int]:
    alts: list[Node] = []
    seq: list[Node] = []
    while k < len(parts) and parts[k] not in ("]", "]*", "}"):
        p = parts[k]
        if p == "|":
            alts.append(Seq(seq))
            seq = []
            k += 1
        elif p in ("[", "{"):
            inner, k = _parse_alt(parts, k + 1, spec)
            close = parts[k] if k < len(parts) else None
            if (p == "[" and close not in ("]", "]*")) or (p == "{" and close != "}"):
                raise ValueError(f"unbalanced spec {spec!r}")
            seq.append(Opt(inner, repeat=close == "]*") if p == "[" else inner)
            k += 1
        else:
            seq.append(_atom(p, spec))
            k += 1
    alts.append(Seq(seq))
    return (alts[0] if len(alts) == 1 else Choice(alts)), k


def _atom(p: str, spec: str) -> Node:
    if p[0].isupper():
        if p.endswith("..."):
            return Rest(p[:-3])
        name, _, kind = p.partition(":")
        if not kind:
            return Arg(name)
        if kind == "int":
            return Arg(name, number=True)
        m = re.fullmatch(r"(\d+)-(\d+)", kind)
        if not m:
            raise ValueError(f"bad argument type {p!r} in spec {spec!r}")
        return Arg(name, number=True, low=int(m.group(1)), high=int(m.group(2)))
    if not re.fullmatch(r"[a-z0-9][a-z0-9:./_-]*", p):
        raise ValueError(f"bad keyword {p!r} in spec {spec!r}")
    return Kw(p)


class Args(dict[str, Any]):
    """What a matched line captured: ``args["label"]`` for placeholders (the last one given),
    ``args.all("method")`` for repeated ones, ``args.kw`` the keywords in order (full words) and
    ``"usage-keys" in args.words`` to test a flag. ``args.no`` is true for the ``no`` form."""

    def __init__(self, caps: Caps) -> None:
        super().__init__()
        self.kw: list[str] = []
        self._lists: dict[str, list[Any]] = {}
        for kind, name, value, _pos in caps:
            if kind == "kw":
                self.kw.append(name)
            else:
                self[name] = value
                self._lists.setdefault(name, []).append(value)
        self.words = frozenset(self.kw)
        self.no = bool(self.kw) and self.kw[0] == "no" and caps[0][3] == 0

    def all(self, name: str) -> list[Any]:
        """Every value captured for placeholder ``name``, in order."""
        return list(self._lists.get(name, []))


def name_words(spec: Seq) -> list[tuple[str, ...]]:
    """The command's name: its leading keywords, each a tuple of the words allowed there. A choice
    of synonyms is one word of the name (``{pki | ca}``, ``{system:running-config | running-config}``);
    any other choice (``{sha1 | sha256}``) and what follows are the command's arguments."""
    name: list[tuple[str, ...]] = []
    for item in spec.items:
        if isinstance(item, Kw):
            name.append((item.word,))
        elif isinstance(item, Choice) and (words := _synonyms(item)):
            name.append(words)
        else:
            break
    return name


def _synonyms(choice: Choice) -> tuple[str, ...] | None:
    """The words of ``choice`` when they name one thing: ``pki`` and ``ca`` (IOS's two spellings
    of every PKI command), or a word with and without its file system (``nvram:startup-config``)."""
    words = tuple(a.items[0].word for a in choice.alts
                  if isinstance(a, Seq) and len(a.items) == 1 and isinstance(a.items[0], Kw))
    if len(words) != 2 or len(choice.alts) != 2:
        return None
    if set(words) == {"pki", "ca"} or words[0].endswith(":" + words[1]) or words[1].endswith(":" + words[0]):
        return words
    return None


def placeholders(node: Node) -> dict[str, str]:
    """Each placeholder's label as ``?`` lists it (``<1-100>``, ``URL``) → its spec name (``PERCENT``)."""
    if isinstance(node, Arg):
        return {node.label: node.name}
    if isinstance(node, Rest):
        return {node.name: node.name}
    children: list[Node] = (node.items if isinstance(node, Seq) else node.alts if isinstance(node, Choice)
                            else [node.node] if isinstance(node, Opt) else [])
    found: dict[str, str] = {}
    for child in children:
        found.update(placeholders(child))
    return found
