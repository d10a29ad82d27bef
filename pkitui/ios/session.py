"""A command session: the Pki, the mode stack, output sinks and interaction callbacks.

``pkitui exec`` and the console's ``:`` command line both drive a :class:`Session` with
:meth:`Session.execute`, one line at a time.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pkitui.core.errors import PkiError
from pkitui.ios.errors import ios_error_lines
from pkitui.ios.grammar import tokenize
from pkitui.ios.parser import Match, ParseFailure, help_entries, help_words, is_comment, parse, strip_prompt
from pkitui.ios.registry import EXEC, MODES

if TYPE_CHECKING:
    from pkitui.core.pki import Pki

Confirm = Callable[[str], "bool | None"]
AskSecret = Callable[[str], "str | None"]


class AlreadyReported(Exception):
    """Raised by a handler that ran a nested line (``do ...``) which failed and was reported."""


class NeedsConfirmation(PkiError):
    """A command needs a yes/no answer and the session cannot ask (a script without --force)."""


@dataclass
class _Block:
    """Raw lines being collected until ``quit`` (key-string, certificate hex)."""

    on_done: Callable[[str], None]
    lines: list[str] = field(default_factory=list)


class Session:
    """State of one command session.

    ``out`` receives normal output lines, ``err`` errors and warnings. ``confirm(prompt)`` returns
    True/False, or None when nobody can answer; ``ask_secret(prompt)`` likewise returns a string
    or None. With ``force`` every confirmation is answered yes. With ``json`` each ``show``
    prints one JSON document on one line, and informational lines go to ``err``.
    """

    def __init__(
        self,
        pki: Pki,
        *,
        out: Callable[[str], None] | None = None,
        err: Callable[[str], None] | None = None,
        json: bool = False,
        force: bool = False,
        confirm: Confirm | None = None,
        ask_secret: AskSecret | None = None,
        mode: str = EXEC,
    ) -> None:
        self.pki = pki
        self._out = out or (lambda s: print(s, file=sys.stdout))
        self._err = err or _stderr_line
        self.json = json
        self.force = force
        self._confirm = confirm
        self._ask_secret = ask_secret
        self.stack: list[tuple[str, Any]] = [(mode, None)]
        self.closed = False
        self.errors = 0
        # Trustpoints whose enrollment this session left PENDING (pkitui exec then exits 4).
        self.still_pending: set[str] = set()
        self._block: _Block | None = None

    # -- modes -------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        """The current mode's name (see :mod:`pkitui.ios.registry`)."""
        return self.stack[-1][0]

    @property
    def context(self) -> Any:
        """What the current mode works on (a Trustpoint, a PeerKey, a chain name ...)."""
        return self.stack[-1][1]

    def enter(self, mode: str, context: Any = None) -> None:
        """Enter a sub-mode of the current mode."""
        self.stack.append((mode, context))

    def exit_mode(self) -> None:
        """``exit``: back to the parent mode (from exec: the session closes)."""
        if len(self.stack) > 1:
            self.stack.pop()
        else:
            self.closed = True

    def end(self) -> None:
        """``end``: back to privileged exec."""
        while len(self.stack) > 1 and self.mode != EXEC:
            self.stack.pop()
        if self.mode != EXEC:
            self.stack = [(EXEC, None)]

    def _pop_to(self, mode: str) -> None:
        """Leave sub-modes until ``mode`` is current (a parent mode took the line)."""
        if any(m == mode for m, _ in self.stack):
            while self.mode != mode:
                self.stack.pop()
        else:  # exec → config: an implicit "configure terminal"
            self.stack = [(EXEC, None), (mode, None)]

    @property
    def prompt(self) -> str:
        """The IOS prompt for the current mode, e.g. ``device1(ca-trustpoint)#``."""
        host = self.pki.config.identity.hostname or "Device"
        if self._block is not None:
            return f"{host}(config-pubkey)#" if self.mode.startswith("pubkey") else f"{host}(config-data)#"
        return host + MODES[self.mode].prompt

    # -- output --------------------------------------------------------------------------------
    def print(self, text: str = "") -> None:
        """Informational output (to ``err`` in JSON mode, so stdout stays parseable)."""
        for line in text.split("\n"):
            (self._err if self.json else self._out)(line)

    def warn(self, text: str) -> None:
        """A warning or error line."""
        for line in text.split("\n"):
            self._err(line)

    def show(self, data: Any, text: str | Iterable[str]) -> None:
        """Output of a ``show`` command: ``data`` as JSON with ``--json``, else ``text``."""
        if self.json:
            self._out(json.dumps(data, default=str, sort_keys=False))
            return
        lines = text.split("\n") if isinstance(text, str) else list(text)
        for line in lines:
            self._out(line)

    # -- interaction ---------------------------------------------------------------------------
    def confirm(self, prompt: str, *, refuse_hint: str = "Confirm with pkitui exec --force.") -> bool:
        """Ask yes/no. ``--force`` answers yes; with nobody to ask, raise NeedsConfirmation."""
        if self.force:
            return True
        answer = self._confirm(prompt) if self._confirm else None
        if answer is None:
            first = prompt.strip().split("\n")[0].lstrip("% ").replace("[yes/no]:", "").strip()
            raise NeedsConfirmation(f"{first} Nobody can confirm in a script.", refuse_hint)
        return answer

    def ask_secret(self, prompt: str, *, refuse_hint: str) -> str:
        """Ask for a secret; with nobody to ask, raise NeedsConfirmation with ``refuse_hint``."""
        answer = self._ask_secret(prompt) if self._ask_secret else None
        if answer is None:
            raise NeedsConfirmation(f"{prompt.rstrip(': ')}: cannot ask in a script", refuse_hint)
        return answer

    def collect_block(self, on_done: Callable[[str], None]) -> None:
        """Collect the following raw lines until ``quit``, then call ``on_done(text)``."""
        self._block = _Block(on_done)

    @property
    def collecting(self) -> bool:
        """True while lines are being collected for a block (until ``quit``)."""
        return self._block is not None

    # -- execution -----------------------------------------------------------------------------
    def execute(self, line: str) -> bool:
        """Run one line. Returns False (and prints an IOS-style error) when it failed."""
        text = strip_prompt(line)
        if self._block is not None:
            return self._feed_block(text)
        if is_comment(text):
            return True
        if text.endswith("?"):
            self.print(help_text(help_entries(self.mode, text[:-1])) or "% Unrecognized command")
            return True
        result = parse(self.mode, text)
        if isinstance(result, ParseFailure):
            self._report_parse(text, result)
            return False
        return self._run(result, text)

    def completions(self, text: str) -> list[str]:
        """What may follow ``text`` in the current mode (IOS ``?``; usable for tab completion):
        keywords, ``NAME``-style placeholders and ``<cr>`` when the line may end there."""
        return help_words(self.mode, text)

    def run_lines(self, lines: Iterable[str], *, keep_going: bool = False) -> int:
        """Run many lines; stop at the first error unless ``keep_going``. Returns the error count."""
        todo = list(lines)
        done = 0
        while done < len(todo) and not self.closed:
            done += 1
            if not self.execute(todo[done - 1]) and not keep_going:
                return self.errors
        skipped = [ln for ln in todo[done:] if not is_comment(strip_prompt(ln))]
        if skipped:
            self.warn(f"% The session was closed by 'exit' in exec mode: {len(skipped)} line(s) not run.")
        return self.errors

    def _run(self, match: Match, text: str) -> bool:
        saved_stack = list(self.stack)
        if match.mode != self.mode and match.mode != EXEC:
            self._pop_to(match.mode)
        try:
            match.command.handler(self, match.args)
        except PkiError as exc:
            self.stack = saved_stack
            self._report_error(exc)
            return False
        except AlreadyReported:
            self.stack = saved_stack
            return False
        return True

    def _feed_block(self, text: str) -> bool:
        assert self._block is not None
        if text.lower() != "quit":
            self._block.lines.append(text)
            return True
        block, self._block = self._block, None
        try:
            block.on_done("\n".join(block.lines))
        except PkiError as exc:
            self._report_error(exc)
            return False
        return True

    def _report_error(self, exc: PkiError) -> None:
        self.errors += 1
        for line in ios_error_lines(exc):
            self.warn(line)

    def _report_parse(self, text: str, failure: ParseFailure) -> None:
        self.errors += 1
        text = _masked(text)
        prompt = self.prompt
        if failure.kind == "invalid":
            toks = tokenize(text)
            self.warn(prompt + text.replace("\t", " "))  # one column per character, like the caret
            self.warn(" " * (len(prompt) + toks[failure.pos].col) + "^")
        self.warn(failure.message(text))
        if failure.expected:
            self.warn(failure.hint())


def help_text(entries: list[tuple[str, str]]) -> str:
    """IOS's ``?`` listing: each word, and its help in a column after the longest word."""
    width = max((len(word) for word, _ in entries), default=0)
    return "\n".join(f"  {word:<{width}}  {text}".rstrip() for word, text in entries)


def _stderr_line(line: str) -> None:
    """An error line after everything already printed on stdout (the order of events)."""
    sys.stdout.flush()
    print(line, file=sys.stderr, flush=True)


def _masked(text: str) -> str:
    """``text`` with what follows a ``password`` keyword (or its abbreviation) starred out, for
    error lines that echo the command: a challenge password must not reach logs in clear."""
    toks = tokenize(text)
    words = [t.text.lower() for t in toks]
    i = 1 if words[:1] in (["no"], ["do"]) else 0
    if len(toks) > i + 1 and len(words[i]) >= 2 and "password".startswith(words[i]):
        start = toks[i + 1].col
        return text[:start] + re.sub(r"\S", "*", text[start:])
    return text
