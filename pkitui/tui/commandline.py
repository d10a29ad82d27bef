"""The ``:`` command line: IOS commands through the same :class:`pkitui.ios.session.Session` as
``pkitui exec``. Output goes to the log pane; the session's ``confirm``/``ask_secret`` callbacks
are answered by modal dialogs (the command runs in a worker thread, which waits for the answer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pkitui.tui.bridge import ask_from_thread
from pkitui.tui.messages import CommandOutputWritten, CoreCallFailed

if TYPE_CHECKING:
    from pkitui.tui.app import PkiConsole


class CommandLine:
    """One IOS session for the console's lifetime (modes persist between lines, as on a router)."""

    def __init__(self, app: PkiConsole) -> None:
        self.app = app
        self._session: Any = None

    def _write(self, text: str) -> None:
        for line in str(text).rstrip("\n").split("\n"):
            self.app.post_message(CommandOutputWritten(line))

    def _write_err(self, text: str) -> None:
        for line in str(text).rstrip("\n").split("\n"):
            self.app.post_message(CommandOutputWritten(line, "red"))

    def _confirm(self, prompt: str) -> bool | None:
        from pkitui.tui.screens.dialogs import ConfirmDialog

        answer: bool | None = ask_from_thread(self.app, ConfirmDialog(prompt, yes="Yes", no="No"))
        return bool(answer)

    def _ask_secret(self, prompt: str) -> str | None:
        from pkitui.tui.screens.dialogs import SecretDialog

        return ask_from_thread(self.app, SecretDialog(prompt))

    def session(self) -> Any:
        """The IOS session (created on first use: importing the language costs start-up time)."""
        if self._session is None:
            from pkitui.ios.session import Session

            self._session = Session(self.app.pki, out=self._write, err=self._write_err,
                                    confirm=self._confirm, ask_secret=self._ask_secret)
        return self._session

    def prompt(self) -> str:
        """The IOS prompt of the current mode (``r1(config)#``)."""
        if self._session is None:
            return f"{self.app.pki.config.identity.hostname or 'Router'}# "
        return f"{self._session.prompt} "

    def run(self, line: str) -> None:
        """Run one line (in a worker thread). Errors are shown, never raised to the worker."""
        try:
            session = self.session()
            session.execute(line)
        except Exception as exc:  # PkiError (or a bug): show it, keep the session
            self.app.post_message(CoreCallFailed(exc))
