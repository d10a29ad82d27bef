"""A command session: the Pki, the mode stack, output sinks and interaction callbacks.

``pkitui exec`` and the console's ``:`` command line both drive a :class:`Session` with
:meth:`Session.execute`, one line at a time.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pkitui.core import trace
from pkitui.core.errors import PkiError
from pkitui.core.trace import TraceLevel
from pkitui.ios.errors import ios_error_lines
from pkitui.ios.grammar import tokenize
from pkitui.ios.parser import Match, ParseFailure, help_entries, is_comment, match_in_mode, parse, strip_prompt
from pkitui.ios.pipe import BadRegex, OutputFilter, modifier_help, parse_modifier, pipe_offset, split_pipe
from pkitui.ios.registry import CONFIG, EXEC, MODES, USER_EXEC

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
    or None, typed hidden; ``ask_text(prompt)`` the same, typed in clear (an address). With
    ``force`` every confirmation is answered yes. With ``json`` each ``show``
    prints one JSON document on one line, and informational lines go to ``err``.

    ``implicit_configure``: a configuration command typed in privileged exec runs as if
    ``configure terminal`` came first (scripts rely on it; an interactive prompt says ``% Invalid
    input`` instead, as IOS, unless ``pkitui exec --lenient``). ``debug_out`` receives the
    ``debug crypto pki`` lines (default: ``err``); the console sends them to its log pane.
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
        ask_text: AskSecret | None = None,
        mode: str = EXEC,
        implicit_configure: bool = True,
        debug_out: Callable[[str], None] | None = None,
    ) -> None:
        self.pki = pki
        self._out = out or (lambda s: print(s, file=sys.stdout))
        self._err = err or _stderr_line
        self.json = json
        self.force = force
        self._confirm = confirm
        self._ask_secret = ask_secret
        self._ask_text = ask_text
        self.stack: list[tuple[str, Any]] = [(mode, None)]
        self.closed = False
        self.errors = 0
        # Trustpoints whose enrollment this session left PENDING (pkitui exec then exits 4).
        self.still_pending: set[str] = set()
        self._block: _Block | None = None
        self.implicit_configure = implicit_configure
        self._debug_out = debug_out or self._err
        self.debugging: set[TraceLevel] = set()  # debug crypto pki transactions / messages
        self.terminal_length = 24  # terminal length N: remembered, shown; there is no pager

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

    def ask_text(self, prompt: str, *, refuse_hint: str) -> str:
        """Ask for a value typed in clear; with nobody to ask, raise NeedsConfirmation."""
        answer = self._ask_text(prompt) if self._ask_text else None
        if answer is None:
            raise NeedsConfirmation(f"{prompt.rstrip(': ')}: cannot ask in a script", refuse_hint)
        return answer

    def collect_block(self, on_done: Callable[[str], None]) -> None:
        """Collect the following raw lines until ``quit``, then call ``on_done(text)``."""
        self._block = _Block(on_done)

    def cancel_block(self) -> None:
        """Drop the block being collected (its end never came: a merged file ended inside it)."""
        self._block = None

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
            self.print(help_text(self.help_entries(text[:-1])) or "% Unrecognized command")
            return True
        piped = self._piped(text)
        if piped is not None:
            return piped
        result = parse(self.mode, text, implicit_configure=self.implicit_configure)
        if isinstance(result, ParseFailure):
            self._report_parse(text, result)
            return False
        return self._run(result, text)

    def completions(self, text: str) -> list[str]:
        """What may follow ``text`` in the current mode (IOS ``?``; usable for tab completion):
        keywords, ``NAME``-style placeholders, ``|`` after a ``show`` command and ``<cr>`` when
        the line may end there."""
        return [word for word, _help in self.help_entries(text)]

    def _show_before_pipe(self, text: str) -> tuple[Match, str] | None:
        """The ``show`` command before ``|`` in ``text`` and what follows the ``|``, if so."""
        split = split_pipe(text)
        if split is None:
            return None
        found = parse(self.mode, split[0], implicit_configure=self.implicit_configure)
        return (found, split[1]) if isinstance(found, Match) and found.command.filterable else None

    def help_entries(self, text: str) -> list[tuple[str, str]]:
        """IOS's ``?`` after ``text``: each word that may follow, with its one-line help. What this
        session would run: in privileged exec with the implicit ``configure terminal`` (scripts,
        ``--lenient``) the configuration commands too; output modifiers after ``show ... |``."""
        piped = self._show_before_pipe(text)
        if piped is not None:
            return modifier_help(piped[1] + (" " if text[-1:].isspace() else ""))
        return help_entries(self.mode, text, implicit_configure=self.implicit_configure)

    def _piped(self, text: str) -> bool | None:
        """Run ``show ... | MODIFIER REGEX`` (None: ``text`` is not a show command with a pipe)."""
        piped = self._show_before_pipe(text)
        if piped is None:
            return None
        match, modifier = piped
        try:
            found = parse_modifier(modifier)
        except BadRegex as exc:
            self._report_error(exc)
            return False
        if isinstance(found, ParseFailure):
            offset = pipe_offset(text)
            found.pos += offset
            self._report_parse(text, found)
            return False
        if self.json:
            self._report_error(PkiError("Output modifiers (| include ...) filter text; --json prints one document",
                                        "Drop --json, or filter the JSON with a tool such as jq."))
            return False
        return self._run(match, text, found)

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

    def _run(self, match: Match, text: str, output_filter: OutputFilter | None = None) -> bool:
        saved_stack = list(self.stack)
        if match.mode != self.mode and match.mode != EXEC:
            self._pop_to(match.mode)
        out = self._out
        kept: list[str] = []
        if output_filter is not None:
            self._out = kept.append  # the whole output first: begin, section and count need it
        try:
            try:
                match.command.handler(self, match.args)
            finally:  # what was printed, filtered, before any error line
                if output_filter is not None:
                    self._out = out
                    for line in output_filter.apply(kept):
                        out(line)
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
        shown = mask_secrets(text)
        prompt = self.prompt
        if failure.kind == "invalid":
            column = tokenize(text)[failure.pos].col
            secret = secret_start(text)
            if secret is not None and column > secret:
                column = secret  # the secret's marker: where the secret was
            self.warn(prompt + shown.replace("\t", " "))  # one column per character, like the caret
            self.warn(" " * (len(prompt) + column) + "^")
        self.warn(failure.message(shown))
        elsewhere = self._other_mode_hint(text) if failure.kind == "invalid" else None
        if elsewhere:
            self.warn(elsewhere)
        elif failure.expected:
            self.warn(failure.hint())

    def _other_mode_hint(self, text: str) -> str | None:
        """Why a line valid in another mode was refused here (IOS says only ``% Invalid input``)."""
        if self.mode == USER_EXEC and isinstance(parse(EXEC, text), Match):
            return "That is a privileged command: type enable first (the prompt then ends in #)."
        if self.mode == EXEC and isinstance(match_in_mode(CONFIG, tokenize(text), text), Match):
            return ("That is a configuration command: type configure terminal first "
                    "(or start pkitui exec --lenient, or set PKITUI_LENIENT=1, to accept it here).")
        return None

    # -- debugging -----------------------------------------------------------------------------
    def set_debug(self, level: TraceLevel, on: bool) -> None:
        """``debug crypto pki LEVEL`` / ``no debug ...``: the core's trace goes to ``debug_out``."""
        (self.debugging.add if on else self.debugging.discard)(level)
        trace.install(self._debug_line if self.debugging else None, self.debugging)

    def _debug_line(self, level: TraceLevel, text: str) -> None:
        """One trace event as IOS prints it: ``CRYPTO_PKI: `` and the text (continuation lines as is)."""
        first, *rest = text.split("\n")
        self._debug_out(f"CRYPTO_PKI: {first}")
        for line in rest:
            self._debug_out(line)


LENIENT_ENV = "PKITUI_LENIENT"


def lenient_requested() -> bool:
    """``PKITUI_LENIENT=1`` (or yes/true/on): an interactive session accepts configuration commands
    in privileged exec as scripts do (an implicit ``configure terminal``)."""
    return os.environ.get(LENIENT_ENV, "").strip().lower() in ("1", "yes", "true", "on")


HELP_WIDTH = 80  # IOS's default terminal width: a longer help wraps under its own column


def help_text(entries: list[tuple[str, str]]) -> str:
    """IOS's ``?`` listing: each word, and its help in a column after the longest word; a help
    too long for the line wraps under that column, as IOS does (never cut)."""
    width = max((len(word) for word, _ in entries), default=0)
    column = width + 4
    lines: list[str] = []
    for word, text in entries:
        wrapped = textwrap.wrap(text, max(HELP_WIDTH - 1 - column, 20)) or [""]
        lines.append(f"  {word:<{width}}  {wrapped[0]}".rstrip())
        lines += [" " * column + more for more in wrapped[1:]]
    return "\n".join(lines)


def _stderr_line(line: str) -> None:
    """An error line after everything already printed on stdout (the order of events)."""
    sys.stdout.flush()
    print(line, file=sys.stderr, flush=True)


SECRET_MARK = "********"  # a secret's place in an echoed line: always as long, whatever its length


def mask_secrets(text: str) -> str:
    """``text`` with its secret replaced by :data:`SECRET_MARK`, for every line that echoes a
    command (error lines, the console's log): a password must not reach logs in clear, nor its
    length (one mark for the whole secret, spaces and all). Masked: what follows a secret
    trustpoint option (``password``, ``deploy key-password``, abbreviated or not), the passphrase
    of ``crypto key export | import rsa LABEL pem ...`` (it has no keyword) and what follows
    ``password`` in ``crypto pki export | import``."""
    start = secret_start(text)
    return text if start is None else text[:start] + SECRET_MARK


def without_secrets(text: str) -> str:
    """``text`` cut where its secret starts (:func:`mask_secrets`): what a command history keeps,
    so that recalling the line asks for the secret again instead of offering stars to submit."""
    start = secret_start(text)
    return text if start is None else text[:start]


def secret_start(text: str) -> int | None:
    """The column where the secret of the command ``text`` starts, or None when it has none."""
    from pkitui.core.trustpoint_options import OPTIONS

    toks = tokenize(text)
    words = [t.text.lower() for t in toks]
    i = 1 if words[:1] in (["no"], ["do"]) else 0
    for option in OPTIONS:
        keys = option.words.split()
        if option.secret and len(toks) > i + len(keys) and all(
                _abbreviates(words[i + n], key, [o.words.split()[n] for o in OPTIONS
                                                 if o.words.split()[:n] == keys[:n] and len(o.words.split()) > n])
                for n, key in enumerate(keys)):
            return toks[i + len(keys)].col
    if len(words) > i + 3 and "crypto".startswith(words[i]) and words[i + 2][:2] in ("ex", "im"):
        secret = _transfer_secret(words, i)
        if secret is not None and secret < len(toks):
            return toks[secret].col
    return None


def _abbreviates(word: str, keyword: str, keywords: list[str]) -> bool:
    """``word`` stands for ``keyword`` (two letters at least) unless it is exactly another of
    ``keywords`` (``deploy key PATH`` is not ``deploy key-password``); an ambiguous abbreviation
    counts: better a path starred than a secret shown."""
    return len(word) >= 2 and keyword.startswith(word) and (word == keyword or word not in keywords)


def _transfer_secret(words: list[str], i: int) -> int | None:
    """Which word starts the secret in ``crypto pki | ca export | import ... password PW`` (after
    ``password``) and in ``crypto key export | import rsa LABEL pem ... PASSPHRASE`` (after the
    cipher of an export; after ``terminal`` or the URL of an import); the URL stays readable."""
    after = range(i + 3, len(words))
    if words[i + 1] in ("pki", "ca") or "pki".startswith(words[i + 1]):
        return next((n + 1 for n in after if len(words[n]) >= 2 and "password".startswith(words[n])), None)
    pem = next((n for n in after if words[n] == "pem"), None)
    if pem is None:
        return None
    importing = words[i + 2][:2] == "im"
    for n in range(pem + 1, len(words)):
        if not importing and words[n] in ("3des", "aes"):
            return n + 1
        if importing and len(words[n]) >= 2 and "terminal".startswith(words[n]):
            return n + 1
        if importing and words[n] == "url":
            return n + 2
    return pem + 1  # not the grammar's shape: star everything after pem rather than show a secret
