"""The ``:`` command line: IOS commands through the same :class:`pkitui.ios.session.Session` as
``pkitui exec``. Output goes to the log pane; the session's ``confirm``/``ask_secret`` callbacks
are answered by modal dialogs (the command runs in a worker thread, which waits for the answer).

A line runs holding the core's lock, except ``crypto pki enroll NAME``: the console runs that as
the trustpoint pane's Enroll does (:func:`pkitui.tui.screens.enrollment.run_enrollment`: the same
checks, dialogs, progress screen and locking; the core holds the lock only while it works, so a
save during minutes of PENDING polling is not blocked).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING

from textual import events
from textual.widgets import Input

from pkitui.tui.bridge import ask_from_thread
from pkitui.tui.messages import CommandOutputWritten, ConfigChanged, CoreCallFailed
from pkitui.tui.tones import Tone

if TYPE_CHECKING:
    from pkitui.ios.session import Session
    from pkitui.tui.app import PkiConsole


class CommandInput(Input):
    """The ``:`` input. A pasted block of lines is submitted line by line, in order (a plain
    Input keeps only the first line of a paste); an unfinished last line stays in the input."""

    def _on_paste(self, event: events.Paste) -> None:
        if "\n" not in event.text and "\r" not in event.text:
            super()._on_paste(event)
            return
        event.stop()
        text = self.value + event.text.replace("\r\n", "\n").replace("\r", "\n")
        *complete, rest = text.split("\n")
        self.value = ""
        for line in complete:
            self.post_message(Input.Submitted(self, line))
        self.value = rest
        self.cursor_position = len(rest)


class CommandLine:
    """One IOS session for the console's lifetime (modes persist between lines, as on a router).
    Lines queue up and one worker at a time runs them in the order they were entered."""

    def __init__(self, app: PkiConsole) -> None:
        self.app = app
        self._session: Session | None = None
        self._queue: deque[str] = deque()
        self._queue_lock = threading.Lock()
        self._draining = False

    def _write(self, text: str) -> None:
        for line in str(text).rstrip("\n").split("\n"):
            self.app.post_message(CommandOutputWritten(line))

    def _write_err(self, text: str) -> None:
        for line in str(text).rstrip("\n").split("\n"):
            self.app.post_message(CommandOutputWritten(line, Tone.ERROR))

    def _write_debug(self, line: str) -> None:
        """A ``debug crypto pki`` line (from whichever thread the exchange runs in) to the log pane."""
        self.app.post_message(CommandOutputWritten(line, Tone.MUTED))

    def _confirm(self, prompt: str) -> bool | None:
        from pkitui.tui.screens.dialogs import ConfirmDialog

        answer: bool | None = ask_from_thread(self.app, ConfirmDialog(prompt, yes="Yes", no="No"))
        return bool(answer)

    def _ask_secret(self, prompt: str) -> str | None:
        from pkitui.tui.screens.dialogs import SecretDialog

        return ask_from_thread(self.app, SecretDialog(prompt))

    def _ask_text(self, prompt: str) -> str | None:
        from pkitui.tui.screens.enrollment import AddressDialog

        return ask_from_thread(self.app, AddressDialog(prompt))

    def session(self) -> Session:
        """The IOS session (created on first use: importing the language costs start-up time). As on
        a router's console it starts in user exec (``Device>``): ``enable``, then ``configure
        terminal`` for configuration commands (or PKITUI_LENIENT=1 to skip it, as scripts do)."""
        if self._session is None:
            from pkitui.ios.registry import USER_EXEC
            from pkitui.ios.session import Session, lenient_requested

            self._session = Session(self.app.pki, out=self._write, err=self._write_err,
                                    confirm=self._confirm, ask_secret=self._ask_secret, ask_text=self._ask_text,
                                    mode=USER_EXEC,
                                    implicit_configure=lenient_requested(), debug_out=self._write_debug)
        return self._session

    def prompt(self) -> str:
        """The session's IOS prompt of the current mode (``r1(config)#``), as ``pkitui exec`` has it."""
        return f"{self.session().prompt} "

    def enrollment(self, line: str) -> str | None:
        """The trustpoint when ``line`` is ``crypto pki enroll NAME`` (the console runs it as the
        trustpoint pane's Enroll, not through the session), else None."""
        from pkitui.ios.parser import Match, parse, strip_prompt
        from pkitui.ios.scep_commands import enroll

        session = self.session()
        if session.collecting:
            return None
        found = parse(session.mode, strip_prompt(line), implicit_configure=session.implicit_configure)
        if isinstance(found, Match) and found.command.handler is enroll:
            return str(found.args["name"])
        return None

    def run(self, line: str) -> None:
        """Run one line (in a worker thread). Errors are shown, never raised to the worker."""
        try:
            session = self.session()
            session.execute(line)
        except Exception as exc:  # PkiError (or a bug): show it, keep the session
            self.app.post_message(CoreCallFailed(exc))

    def submit(self, line: str) -> None:
        """Queue ``line``; start the worker that runs the queue unless it is already running."""
        with self._queue_lock:
            self._queue.append(line)
            if self._draining:
                return
            self._draining = True
        self.app.run_command_queue()

    def drain(self) -> None:
        """Run queued lines until none is left (in the worker thread), each echoed with the
        prompt of the mode it runs in."""
        from pkitui.ios.session import mask_secrets

        try:
            while True:
                with self._queue_lock:
                    if not self._queue:
                        self._draining = False
                        return
                    line = self._queue.popleft()
                shown = mask_secrets(line)  # the log (and its search) and the wait bar never show a secret
                self.app.post_message(CommandOutputWritten(f"{self.prompt()}{shown}", Tone.NOTE_STRONG))
                self.app.network_waits.label(shown)
                name = self.enrollment(line)
                if name is not None:
                    from pkitui.tui.screens.enrollment import run_enrollment

                    run_enrollment(self.app, name)  # not under the lock (see the module docstring)
                else:
                    with self.app.core_lock:
                        self.run(line)
                self.app.post_message(ConfigChanged("command"))
        except BaseException:
            with self._queue_lock:
                self._draining = False
            raise
