"""The Textual console: a thin front end over :mod:`pkitui.core` (never its own copy of the logic).

``run_console(store_dir, lab=None)`` opens it; :class:`pkitui.tui.app.PkiConsole` is the App.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def run_console(store_dir: str | Path | None = None, lab: Any = None) -> int:
    """Open the console on the store at ``store_dir`` (see :func:`pkitui.tui.app.run_console`)."""
    from pkitui.tui.app import run_console as _run

    return _run(store_dir, lab=lab)


__all__ = ["run_console"]
