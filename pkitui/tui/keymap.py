"""The user's keymap: ``keymap.toml`` (or ``keymap.json``) in the XDG config dir
(``~/.config/pkitui/``), binding id = keys, applied with Textual's ``App.set_keymap``::

    # ~/.config/pkitui/keymap.toml
    save = "ctrl+w"            # instead of ctrl+s
    tp_enroll = "E,f5"         # several keys, comma separated
    cancel_wait = "ctrl+c"

Every binding of the console has an id (the Help screen and the palette show them); a line
naming an unknown id, or a value that is not keys, is reported in the log pane and skipped.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode

FILE_NAMES = ("keymap.toml", "keymap.json")


def config_dir() -> Path:
    """pkitui's config dir ($XDG_CONFIG_HOME/pkitui, else ~/.config/pkitui)."""
    from platformdirs import user_config_path

    return user_config_path("pkitui")


def keymap_file() -> Path | None:
    """The keymap file in use, if there is one (TOML first)."""
    for name in FILE_NAMES:
        path = config_dir() / name
        if path.is_file():
            return path
    return None


@dataclass
class UserKeymap:
    """What the file says (``keys`` by binding id) and what was wrong in it."""

    path: Path | None = None
    keys: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def load_keymap(known_ids: set[str], path: Path | None = None) -> UserKeymap:
    """Read the keymap file (default: :func:`keymap_file`); problems are described, never raised."""
    path = path or keymap_file()
    found = UserKeymap(path)
    if path is None:
        return found
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        found.problems.append(f"% {path}: not read ({exc}); the default keys apply. Fix the file: "
                              "one line per binding, e.g. save = \"ctrl+w\"")
        return found
    if not isinstance(data, dict):
        found.problems.append(f"% {path}: expected a table of binding id = keys; the default keys apply")
        return found
    for binding_id, keys in data.items():
        if binding_id not in known_ids:
            found.problems.append(f"% {path}: no binding has the id {binding_id!r} (skipped); the ids are in "
                                  "the Help screen (?)")
        elif not isinstance(keys, str) or not keys.strip():
            found.problems.append(f"% {path}: {binding_id} must be keys as text, e.g. \"ctrl+w\" or \"f5,E\" (skipped)")
        else:
            found.keys[binding_id] = ",".join(k.strip() for k in keys.split(",") if k.strip())
    return found


def console_bindings() -> Iterator[tuple[type[DOMNode], Binding]]:
    """Every binding the console declares: of the app, each pane, dialog and widget of pkitui
    (their classes are imported first, so that none is missed)."""
    from pkitui.tui.app import PkiConsole
    from pkitui.tui.tabs import pane_classes

    pane_classes()  # imports every screen (and its dialogs and widgets)
    seen: set[type[DOMNode]] = set()
    todo: list[type[DOMNode]] = [DOMNode]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    for cls in sorted(seen, key=lambda c: c.__qualname__):
        if cls.__module__.startswith("pkitui.") or cls is PkiConsole:
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding):
                    yield cls, binding


def binding_ids() -> set[str]:
    """The id of every binding of the console."""
    return {b.id for _cls, b in console_bindings() if b.id}
