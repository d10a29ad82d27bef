"""From a typed line to a registered command: prompt stripping, modes, abbreviations, errors.

A line may carry an IOS prompt (``Device(config)#``) and any indentation; ``!`` comments and
blank lines are ignored. The line is matched against the commands of the current mode; when
nothing matches there, IOS-style fallbacks apply: a sub-mode tries its parent modes (and leaves
the sub-mode if the parent takes the line), configuration modes accept exec commands (as with
``do``), and privileged exec accepts configuration commands when ``implicit_configure`` is on (an
implicit ``configure terminal``, so that ``pkitui exec -c 'hostname r1'`` works; scripts have it,
an interactive prompt only with ``pkitui exec --lenient``). ``?`` lists what the line would accept
there: the current mode, and in privileged exec with the implicit ``configure terminal`` the
configuration commands too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pkitui.ios.grammar import EOL, Args, Caps, Token, Tracker, name_words, placeholders, tokenize
from pkitui.ios.help_texts import ARG_HELP, NAME_HELP
from pkitui.ios.registry import CONFIG, EXEC, MODES, USER_EXEC, Command, commands_for

PIPE = "|"
PIPE_HELP = "Output modifiers"
_PROMPT = re.compile(r"^\s*[A-Za-z0-9._-]+(?:\([A-Za-z0-9._-]+\))?[#>]\s*")


def strip_prompt(line: str) -> str:
    """The command part of ``line``: without an IOS prompt, indentation and line ending."""
    line = line.rstrip("\r\n")
    m = _PROMPT.match(line)
    return (line[m.end() :] if m else line).strip()


def is_comment(text: str) -> bool:
    """Blank lines and ``!`` comments are ignored."""
    return not text or text.startswith("!")


@dataclass
class Match:
    """A line matched a command; ``mode`` is the mode it was found in."""

    command: Command
    args: Args
    mode: str


@dataclass
class ParseFailure:
    """Why a line did not match: ``kind`` is invalid, incomplete or ambiguous."""

    kind: str
    pos: int
    expected: list[str] = field(default_factory=list)

    def message(self, line: str) -> str:
        """IOS's wording for this failure."""
        if self.kind == "incomplete":
            return "% Incomplete command."
        if self.kind == "ambiguous":
            return f'% Ambiguous command:  "{line}"'
        return "% Invalid input detected at '^' marker."

    def hint(self) -> str:
        """What would have been accepted at the failing word."""
        words = sorted(self.expected, key=lambda w: (w.startswith("<") or w.isupper() or w == EOL, w))
        if self.kind == "ambiguous":
            return "Could be: " + ", ".join(words)
        if words == [EOL]:
            return "Expected: end of line (nothing more)"
        return "Expected: " + ", ".join(w if w != EOL else "<cr> (end of line)" for w in words)


def fallback_modes(mode: str, *, implicit_configure: bool = True) -> list[str]:
    """The modes tried, in order, for a line typed in ``mode``."""
    if mode == USER_EXEC:
        return [USER_EXEC]
    if mode == EXEC:
        return [EXEC, CONFIG] if implicit_configure else [EXEC]
    chain = []
    m: str | None = mode
    while m is not None and m != EXEC:
        chain.append(m)
        m = MODES[m].parent
    return chain + [EXEC]


def _rank(caps: Caps) -> tuple[int, int]:
    kws = [e for e in caps if e[0] == "kw"]
    return len(kws), sum(1 for e in kws if e[2])


def _ambiguous_at(toks: list[Token], caps: Caps, tr: Tracker, upto: int) -> tuple[int, list[str]] | None:
    """The first word that abbreviates several keywords possible there, if any."""
    arg_positions = {e[3] for e in caps if e[0] == "arg"}
    for pos in range(min(upto, len(toks))):
        if pos in arg_positions:
            continue
        text = toks[pos].text.lower()
        cands = sorted(w for w in tr.tried.get(pos, ()) if w.startswith(text))
        if len(cands) > 1 and text not in cands:
            return pos, cands
    return None


def match_in_mode(mode: str, toks: list[Token], line: str) -> Match | ParseFailure:
    """Match ``toks`` against every command of ``mode`` (no fallbacks)."""
    tr = Tracker()
    best: tuple[tuple[int, int], Command, Caps] | None = None
    first = toks[0].text.lower() if toks else ""
    for cmd in commands_for(mode):
        if cmd.hidden and cmd.spec.split()[0] != first:
            continue  # IOS's hidden commands run when typed in full, and never make a prefix ambiguous
        for j, caps in cmd.node.match(toks, line, 0, (), tr):
            if j < len(toks):
                tr.fail(j, EOL)
                continue
            rank = _rank(caps)
            if best is None or rank > best[0]:
                best = (rank, cmd, caps)
    if best is not None:
        amb = _ambiguous_at(toks, best[2], tr, len(toks))
        if amb:
            return ParseFailure("ambiguous", amb[0], amb[1])
        return Match(best[1], Args(best[2]), mode)
    amb = _ambiguous_at(toks, (), tr, tr.far)
    if amb:
        return ParseFailure("ambiguous", amb[0], amb[1])
    if tr.far >= len(toks):
        return ParseFailure("incomplete", len(toks), sorted(tr.expected))
    return ParseFailure("invalid", max(tr.far, 0), sorted(tr.expected))


def parse(mode: str, text: str, *, implicit_configure: bool = True) -> Match | ParseFailure:
    """Match a prompt-less line typed in ``mode``, applying the IOS fallbacks."""
    toks = tokenize(text)
    failures: list[ParseFailure] = []
    for m in fallback_modes(mode, implicit_configure=implicit_configure):
        result = match_in_mode(m, toks, text)
        if isinstance(result, Match):
            return result
        if result.kind == "ambiguous" and m == mode:
            return result
        failures.append(result)
    # Report the mode that understood most of the line (the current one on a tie), with what
    # every mode that got as far would have accepted there.
    best = max(failures, key=lambda f: (f.pos, f.kind == "incomplete", -failures.index(f)))
    expected = {w for f in failures if f.pos == best.pos and f.kind == best.kind for w in f.expected}
    return ParseFailure(best.kind, best.pos, sorted(expected))


def help_modes(mode: str, *, implicit_configure: bool = True) -> list[str]:
    """The modes whose commands ``?`` lists in ``mode``: the current one (as IOS: a sub-mode's
    parents still take a line, but ``?`` does not offer their commands), and in privileged exec
    with an implicit ``configure terminal`` (scripts, ``--lenient``) the configuration commands
    too, since the line runs there."""
    return [EXEC, CONFIG] if mode == EXEC and implicit_configure else [mode]


# Configuration commands ``?`` does not offer in privileged exec even with the implicit
# ``configure terminal``: they only move between modes (exec's own ``end`` takes the line).
CONFIG_ONLY = ("do", "end")


def help_words(mode: str, text: str, *, implicit_configure: bool = True) -> list[str]:
    """IOS's ``?``: the words that may come next (``text`` ending in a space) or that complete
    the partial last word, plus argument placeholders and ``<cr>`` when the line may end there."""
    return [word for word, _help in help_entries(mode, text, implicit_configure=implicit_configure)]


def help_entries(mode: str, text: str, *, implicit_configure: bool = True) -> list[tuple[str, str]]:
    """:func:`help_words` with each word's one-line help (:func:`word_help`; empty for ``<cr>``).
    The commands of :func:`help_modes` are listed, hidden ones never; ``|`` (output modifiers)
    where a ``show`` command may end."""
    toks = tokenize(text)
    if mode not in (EXEC, USER_EXEC) and len(toks) > 1 and toks[0].text.lower() == "do":
        return help_entries(EXEC, text[toks[1].col :], implicit_configure=False)
    partial = ""
    if toks and text and not text[-1].isspace():
        partial = toks.pop().text.lower()
    pos = len(toks)
    probe = toks + [Token("\0", len(text))]  # a word no keyword matches: shows what is tried there
    helps: dict[str, set[str]] = {}
    for m in help_modes(mode, implicit_configure=implicit_configure):
        for cmd in commands_for(m):
            if not cmd.hidden and not (m != mode and cmd.spec.split()[0] in CONFIG_ONLY):
                _collect(cmd, probe, text, pos, partial, helps)
    if partial:
        helps.pop(EOL, None)
        helps.pop(PIPE, None)
    order = sorted(helps, key=lambda w: (w == EOL, w == PIPE, w.startswith("<") or w[:1].isupper(), w))
    return [(w, _one_help(helps[w])) for w in order]


def _collect(cmd: Command, probe: list[Token], text: str, pos: int, partial: str, helps: dict[str, set[str]]) -> None:
    """Add to ``helps`` the words ``cmd`` accepts at word ``pos`` (starting with ``partial``)."""
    tr = Tracker()
    words: set[str] = set()
    for j, _caps in cmd.node.match(probe, text, 0, (), tr):
        if j == pos:
            words.add(EOL)
            if cmd.filterable:
                helps.setdefault(PIPE, set()).add(PIPE_HELP)
    words |= {w for w in tr.tried.get(pos, set()) if w.startswith(partial)}
    if not partial:
        words |= tr.args_at.get(pos, set())
    for word in words:
        helps.setdefault(word, set()).add("" if word == EOL else word_help(cmd, word, pos))


def command_key(cmd: Command) -> tuple[str, ...]:
    """The command's name as the help tables key it: its leading keywords (``pki`` for
    ``{pki | ca}``, ``running-config`` for its ``system:`` synonym), without ``no`` (a ``no``
    form is described by its positive form)."""
    words = [("pki" if "pki" in alts else min(alts, key=len)) for alts in name_words(cmd.node)]
    return tuple(words[1:] if words[:1] == ["no"] else words)


def word_help(cmd: Command, word: str, pos: int) -> str:
    """The help of ``word`` (a keyword or a placeholder's label) at word ``pos`` of ``cmd``.

    A word of the command's name (its leading keywords) is described by :data:`NAME_HELP` for
    the name so far (``crypto pki export``: the words shared by several commands), else as the
    whole command (:data:`NAME_HELP`'s short line for it, else its own help); an argument by
    :data:`ARG_HELP` for the command's name (one place for every argument's help)."""
    key = command_key(cmd)
    name_length = len(name_words(cmd.node))
    negated = name_length > len(key)
    if pos == 0 and negated:
        return NAME_HELP[("no",)]
    if pos < name_length:
        return NAME_HELP.get(key[: pos + 1 - negated]) or NAME_HELP.get(key, cmd.help)
    arg = placeholders(cmd.node).get(word, word)
    return ARG_HELP.get(key, {}).get(arg, "")


def _one_help(summaries: set[str]) -> str:
    return next(iter(summaries)) if len(summaries) == 1 else ""
