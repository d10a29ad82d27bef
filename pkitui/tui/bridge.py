"""Helpers between worker threads and the UI thread.

A core call may need the administrator (confirm a fingerprint, type a challenge password); the
core asks through a plain callback from the worker thread. :func:`ask_from_thread` pushes a modal
screen on the UI thread and blocks the worker until the modal is dismissed. That is a question,
not a result: a worker's results go back as Messages (:mod:`pkitui.tui.messages`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, TypeVar

from textual.screen import Screen
from textual.worker import get_current_worker

from pkitui.core.errors import PkiError

if TYPE_CHECKING:
    from pkitui.tui.app import PkiConsole

T = TypeVar("T")


def ask_from_thread(app: PkiConsole, screen: Screen[T]) -> T | None:
    """Show ``screen`` (a ModalScreen) from a worker thread and return what it was dismissed with.

    Returns None when the worker is cancelled (the app is quitting) before an answer arrives.
    """
    answered = threading.Event()
    box: list[T | None] = [None]

    def done(result: T | None) -> None:
        box[0] = result
        answered.set()

    app.call_from_thread(app.push_screen, screen, done)
    try:
        worker = get_current_worker()
    except Exception:  # not in a worker (tests calling directly)
        worker = None
    while not answered.wait(0.05):
        if worker is not None and worker.is_cancelled:
            return None
    return box[0]


def describe_error(error: BaseException) -> tuple[str, str | None]:
    """A message and hint a person can act on; unexpected errors keep their type, no traceback."""
    if isinstance(error, PkiError):
        return error.message, error.hint
    return f"{type(error).__name__}: {error}", "This is a bug in pkitui: please report it with the steps that led here."
