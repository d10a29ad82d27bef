"""The session itself: modes (enable, disable, configure terminal, exit, end, do), terminal length,
and ``debug crypto pki``."""

from __future__ import annotations

from pkitui.core.trace import TraceLevel
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


@command((USER_EXEC, EXEC), "terminal length LINES:0-512")
@command((USER_EXEC, EXEC), "terminal no length")
def terminal_length(session: Session, args: Args) -> None:
    """Set the number of lines on the screen (0: no paging). Remembered only: pkitui never pages."""
    session.terminal_length = 24 if "no" in args.words else int(args["lines"])


@command((USER_EXEC, EXEC), "show terminal")
def show_terminal(session: Session, args: Args) -> None:
    """The terminal's settings (terminal length)."""
    length = session.terminal_length
    session.show({"length": length},
                 [f"Length: {length} lines" + (" (no paging)" if length == 0 else ""),
                  "% pkitui does not page its output: terminal length is accepted and remembered only."])


_DEBUG_NAMES = {TraceLevel.TRANSACTIONS: "Crypto PKI Trans", TraceLevel.MESSAGES: "Crypto PKI Msg"}


@command(EXEC, "debug crypto {pki | ca} {transactions | messages}")
@command(EXEC, "no debug crypto {pki | ca} {transactions | messages}")
@command(EXEC, "undebug crypto {pki | ca} {transactions | messages}")
def debug_crypto_pki(session: Session, args: Args) -> None:
    """Trace SCEP and the other exchanges with the CA step by step (transactions) or message by message."""
    level = TraceLevel.TRANSACTIONS if "transactions" in args.words else TraceLevel.MESSAGES
    on = not args.no and "undebug" not in args.words
    session.set_debug(level, on)
    session.print(f"{_DEBUG_NAMES[level]} debugging is {'on' if on else 'off'}")


@command(EXEC, "undebug all")
@command(EXEC, "no debug all")
def undebug_all(session: Session, args: Args) -> None:
    """Turn off every debug trace."""
    for level in TraceLevel:
        session.set_debug(level, False)
    session.print("All possible debugging has been turned off")


@command((USER_EXEC, EXEC), "show debugging")
def show_debugging(session: Session, args: Args) -> None:
    """Which debug traces are on."""
    lines = ["Cryptographic Subsystem:"] + [f"  {_DEBUG_NAMES[level]} debugging is on"
                                            for level in TraceLevel if level in session.debugging]
    session.show({"debugging": sorted(session.debugging)}, lines if session.debugging else [])
