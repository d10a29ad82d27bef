"""Mode changes: enable, disable, configure terminal, exit, end, do."""

from __future__ import annotations

from pkitui.ios.grammar import Args
from pkitui.ios.registry import CONFIG, CONFIG_MODES, EXEC, USER_EXEC, command
from pkitui.ios.session import AlreadyReported, Session


@command((USER_EXEC, EXEC), "enable")
def enable(session: Session, args: Args) -> None:
    """Enter privileged exec mode (no password: the store's file permissions protect it)."""
    session.stack = [(EXEC, None)]


@command(EXEC, "disable")
def disable(session: Session, args: Args) -> None:
    """Back to user exec mode."""
    session.stack = [(USER_EXEC, None)]


@command(EXEC, "configure terminal")
def configure_terminal(session: Session, args: Args) -> None:
    """Enter global configuration mode."""
    session.stack = [(EXEC, None), (CONFIG, None)]


@command((USER_EXEC, EXEC) + CONFIG_MODES, "exit")
def exit_(session: Session, args: Args) -> None:
    """Leave the current mode (in exec mode: end the session)."""
    session.exit_mode()


@command(CONFIG_MODES, "end")
def end(session: Session, args: Args) -> None:
    """Back to privileged exec mode."""
    session.end()


@command(CONFIG_MODES, "do COMMAND...")
def do(session: Session, args: Args) -> None:
    """Run an exec command (show, copy ...) without leaving configuration mode."""
    saved = list(session.stack)
    session.stack = [(EXEC, None)]
    try:
        ok = session.execute(args["command"])
    finally:
        session.stack = saved
    if not ok:
        raise AlreadyReported
