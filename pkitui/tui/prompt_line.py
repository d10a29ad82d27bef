"""The ``:`` line as a router's prompt: the live IOS prompt before the input (``gw1(ca-trustpoint)#``),
Up/Down through the history, Tab completing a keyword from the grammar, and ``?`` listing what
may follow, each word with its one-line description (the same listing as ``pkitui exec``'s ``?``:
:meth:`pkitui.ios.session.Session.help_entries` and :func:`pkitui.ios.session.help_text`).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Label

from pkitui.tui.commandline import CommandInput
from pkitui.tui.messages import CommandOutputWritten
from pkitui.tui.tones import Tone

if TYPE_CHECKING:
    from pkitui.tui.commandline import CommandLine

# A word Tab may complete to: a keyword of the grammar (not NAME-like placeholders, <cr> or |).
KEYWORD = re.compile(r"[a-z0-9][a-z0-9_.-]*")
HISTORY_SIZE = 200  # lines kept for Up/Down (IOS: terminal history size, up to 256)


def show_help(command_line: CommandLine, text: str) -> None:
    """IOS ``?`` after ``text``: the line echoed with ``?``, then each word that may follow with
    its one-line description, in the log pane."""
    from pkitui.ios.session import help_text

    entries = command_line.session().help_entries(text)  # what this session's line would accept
    post = command_line.app.post_message
    post(CommandOutputWritten(f"{command_line.prompt()}{text}?", Tone.NOTE_STRONG))
    if not entries:
        post(CommandOutputWritten("% Unrecognized command", Tone.ERROR))
        return
    for line in help_text(entries).split("\n"):
        post(CommandOutputWritten(line))


def complete(command_line: CommandLine, text: str) -> str | None:
    """``text`` with its last, partial keyword completed (a space after a unique one); with
    several candidates their common start, and the list shown as ``?`` shows it. None when
    nothing fits (Tab rings, as on a router)."""
    if not text or text[-1].isspace():
        return None
    words = [w for w in command_line.session().completions(text) if KEYWORD.fullmatch(w)]
    if not words:
        return None
    head, _, partial = text.rpartition(" ")
    prefix = f"{head} " if head else ""
    if len(words) == 1:
        return f"{prefix}{words[0]} "
    show_help(command_line, text)
    common = os.path.commonprefix(words)
    return f"{prefix}{common}" if len(common) > len(partial) else text


class RouterInput(CommandInput):
    """The ``:`` input: Up/Down walk the history, Tab completes, ``?`` lists what may follow
    (the line stays as typed); pasted blocks run line by line (CommandInput)."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous", id="cmdline_history_back", show=False,
                tooltip="The previous command line (history)"),
        Binding("down", "history(1)", "Next", id="cmdline_history_forward", show=False,
                tooltip="The next command line (history)"),
        Binding("tab", "complete", "Complete", id="cmdline_complete", show=False,
                tooltip="Complete the keyword being typed (the choices are listed when several fit)"),
    ]

    def __init__(self, command_line: CommandLine, *, id: str, placeholder: str) -> None:  # noqa: A002
        super().__init__(id=id, placeholder=placeholder)
        self.command_line = command_line
        self.history: list[str] = []
        self._position = 0  # in the history; len(history) is the line being typed
        self._typed = ""  # the line being typed, kept while walking the history

    def remember(self, line: str) -> None:
        """A submitted line goes into the history (not twice in a row), cut before its secret
        (``password ``, ``... aes ``): recalled, it waits for the secret to be typed again."""
        from pkitui.ios.session import without_secrets

        line = without_secrets(line)
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
            del self.history[:-HISTORY_SIZE]
        self._position = len(self.history)
        self._typed = ""

    def action_history(self, step: int) -> None:
        """Up (-1) / Down (+1) through the history; past the newest, the line being typed."""
        if self._position == len(self.history):
            self._typed = self.value
        position = min(max(self._position + step, 0), len(self.history))
        if position == self._position:
            self.app.bell()
            return
        self._position = position
        self.value = self.history[position] if position < len(self.history) else self._typed
        self.cursor_position = len(self.value)

    def action_complete(self) -> None:
        """Tab: complete the keyword being typed."""
        completed = complete(self.command_line, self.value)
        if completed is None:
            self.app.bell()
            return
        self.value = completed
        self.cursor_position = len(completed)

    async def _on_key(self, event: events.Key) -> None:
        if event.character == "?" and not self.command_line.session().collecting:
            event.stop()
            event.prevent_default()
            show_help(self.command_line, self.value)
            return
        await super()._on_key(event)


class CommandBar(Horizontal):
    """The live prompt and the input, docked at the bottom while the ``:`` line is open."""

    def __init__(self, command_line: CommandLine, **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.command_line = command_line

    def compose(self) -> ComposeResult:
        yield Label(id="cmdprompt")
        yield RouterInput(self.command_line, id="cmdline",
                          placeholder="IOS command; ? lists what may follow, Tab completes, Up/Down history, "
                                      "Esc closes")

    def update_prompt(self) -> None:
        """The session's prompt of the current mode (``gw1(ca-trustpoint)#``)."""
        self.query_one("#cmdprompt", Label).update(self.command_line.session().prompt)
