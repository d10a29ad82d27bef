"""The ``pkitui`` command line: the console (default), ``pkitui lab`` and ``pkitui exec``.

The entry point is the top layer (entry | lab | tui | ios | core): it alone puts the lab and the
console together (``pkitui lab``), so neither imports the other.
Start-up time matters for scripts: this module imports only argparse at the top; each
sub-command imports what it needs (``exec`` never imports Textual).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pkitui.ios.session import Session
    from pkitui.lab.process import StopSignals
    from pkitui.tui.app import PkiConsole

# pkitui exec's exit statuses: defined here only; the README's table and --help repeat them.
EXIT_OK = 0
EXIT_ERRORS = 1  # --continue and at least one command failed
EXIT_FAILED = 2  # stopped at the first failing command (or bad usage / unusable store)
EXIT_INTERNAL = 3  # a bug: an unexpected exception (reported on one line, no traceback)
EXIT_PENDING = 4  # every command ran, but an enrollment is still PENDING after its retry count
EXIT_INTERRUPTED = 130  # ctrl+c (SIGINT)
EXIT_CODES = (
    (EXIT_OK, "every command succeeded"),
    (EXIT_ERRORS, "--continue was given and at least one command failed"),
    (EXIT_FAILED, "stopped at a failing command; or bad usage, an unreadable script, an unusable store"),
    (EXIT_INTERNAL, "internal error (a bug): reported on one line, please report it"),
    (EXIT_PENDING, "every command succeeded, but an enrollment is still PENDING at the CA after "
                   "'enrollment retry count' polls; the request is kept: run 'crypto pki enroll TP' again "
                   "(even after a restart) to resume polling"),
    (EXIT_INTERRUPTED, "interrupted (ctrl+c)"),
)

UNSAVED_WARNING = (
    "% Warning: the running configuration has unsaved changes, lost when pkitui exec ends.\n"
    "% Save them with: copy system:running-config nvram:startup-config (or write memory)"
)


def _seconds(text: str) -> float:
    """``--timeout SECONDS``: a number of seconds, 0.1 to 3600."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.1 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"invalid timeout {text!r}: give seconds from 0.1 to 3600")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``pkitui``."""
    parser = argparse.ArgumentParser(
        prog="pkitui",
        description="Give this host a PKI identity the way Cisco IOS crypto pki does. "
        "Without a sub-command, open the console.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--store", metavar="DIR", help="the NVRAM store (default: $PKITUI_STORE or the user data dir)")
    sub = parser.add_subparsers(dest="command", metavar="{exec,lab}")
    ex = sub.add_parser("exec", help="run IOS commands from -c, a FILE or stdin",
                        description="Run IOS commands (crypto pki ...) as a script. Each run starts from the "
                        "saved configuration; save with copy system:running-config nvram:startup-config.",
                        epilog=exit_codes_text(), formatter_class=argparse.RawDescriptionHelpFormatter)
    ex.add_argument("--store", metavar="DIR", dest="sub_store", help="the NVRAM store")
    ex.add_argument("--json", action="store_true", help="show commands print one JSON document per line")
    ex.add_argument("--force", action="store_true", help="answer yes to confirmations (e.g. key regeneration)")
    ex.add_argument("--continue", action="store_true", dest="keep_going",
                    help="keep going after a failing command (exit 1 if any failed)")
    ex.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                    help="deadline of each network operation (SCEP, CRL, LDAP, OCSP, TFTP), connect to last "
                    "byte; overrides the trustpoints' enrollment timeout (default 30)")
    ex.add_argument("-c", action="append", dest="commands", metavar="CMD", help="a command line (repeatable)")
    ex.add_argument("file", nargs="?", metavar="FILE", help="script file ('-' or none: stdin)")
    lab = sub.add_parser("lab", help="start a local lab CA and open the console on it")
    lab.add_argument("--store", metavar="DIR", dest="sub_store", help="the NVRAM store")
    return parser


def exit_codes_text() -> str:
    """The exit status table of ``pkitui exec --help``."""
    import textwrap

    rows = [textwrap.fill(text, 100, initial_indent=f"  {code:<4}", subsequent_indent=" " * 6)
            for code, text in EXIT_CODES]
    return ("exit status:\n" + "\n".join(rows)
            + "\nstdout and stderr keep the order of events, even when both go to one file (2>&1).\n")


def say_out(line: str) -> None:
    """A line of output (stdout stays buffered: stderr flushes it first)."""
    print(line, file=sys.stdout)


def say_err(line: str) -> None:
    """An error or warning line, after everything printed before it on stdout (with both piped to
    one file the order is the order of events)."""
    sys.stdout.flush()
    print(line, file=sys.stderr, flush=True)


def _version() -> str:
    from pkitui import __version__

    return __version__


def store_dir(option: str | None) -> Path:
    """``--store``, else ``PKITUI_STORE``, else the platformdirs default."""
    if option:
        return Path(option)
    from pkitui.core.pki import default_store_dir

    return default_store_dir()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``pkitui`` and ``python -m pkitui``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        where = store_dir(getattr(args, "sub_store", None) or args.store)
        if args.command == "exec":
            if args.timeout is not None:
                from pkitui.core.deadline import set_run_deadline

                set_run_deadline(args.timeout)
            return run_exec(args, where)
        if args.command == "lab":
            return int(run_lab(where) or EXIT_OK)
        return int(run_console(where) or EXIT_OK)
    except KeyboardInterrupt:
        say_err("% Interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): nothing more to say, and stdout is unusable.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # the last line of defence: never a traceback
        from pkitui.core.errors import PkiError

        if isinstance(exc, PkiError):
            from pkitui.ios.errors import ios_error_lines

            for line in ios_error_lines(exc):
                say_err(line)
            return EXIT_FAILED
        say_err(f"% Internal error: {type(exc).__name__}: {exc}")
        return EXIT_INTERNAL


def run_interactive(args: argparse.Namespace, where: Path) -> int:
    """``pkitui exec`` at a terminal: a prompt per line, as on a router's console; an error is
    shown and the session goes on. ctrl+d (or ``exit`` from exec mode) ends it. Reading the
    terminal to its end before running anything showed nothing until ctrl+d."""
    import readline  # noqa: F401 - input() then edits the line and keeps a history (arrow keys)

    session = make_session(where, args, True)
    errors = 0
    while not session.closed:
        try:
            line = input(f"{session.prompt} ")
        except EOFError:
            print()
            break
        errors += session.run_lines([line], keep_going=True)
        sys.stdout.flush()
    if session.pki.dirty:
        session.warn(UNSAVED_WARNING)
    if errors:
        return EXIT_ERRORS
    return _pending_status(session)


def _pending_status(session: Session) -> int:
    """EXIT_PENDING (with what to do, on stderr) when an enrollment of this run is still pending."""
    if not session.still_pending:
        return EXIT_OK
    names = ", ".join(sorted(session.still_pending))
    session.warn(f"% No certificate yet for trustpoint {names}: the enrollment is still PENDING at the CA "
                 f"(exit status {EXIT_PENDING}).")
    return EXIT_PENDING


def _script_lines(args: argparse.Namespace) -> tuple[list[str], bool]:
    """The script's lines, and whether they came from stdin."""
    from pkitui.core.errors import PkiError

    if args.commands:
        if args.file:  # bad usage: status 2 (SystemExit with a message gave 1, the --continue status)
            raise PkiError("pkitui exec: give -c commands or a FILE, not both", "See pkitui exec --help.")
        return [line for cmd in args.commands for line in cmd.split("\n")], False

    name = args.file if args.file and args.file != "-" else "standard input"
    try:
        if name == args.file:  # a regular file only: a FIFO or /dev/zero must not hang the run
            from pkitui.core.userfile import read_user_file

            data = read_user_file(args.file, "a script file", 16 << 20, hint="Check the script's path.")
        else:
            data = sys.stdin.buffer.read()
        return data.decode("utf-8").splitlines(), name != args.file
    except OSError as exc:
        raise PkiError(f"cannot read {name}: {exc.strerror}", "Check the script's path.") from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PkiError(f"{name} is not UTF-8 text (line {line})", "Save the script as plain UTF-8 text.") from None


def _tty_confirm(prompt: str) -> bool | None:
    try:
        answer = input(prompt if prompt.endswith(" ") else prompt + " ")
    except EOFError:
        return None
    return answer.strip().lower() in ("y", "yes")


def _tty_secret(prompt: str) -> str | None:
    import getpass

    try:
        return getpass.getpass(prompt)
    except EOFError:
        return None


def make_session(where: Path, args: argparse.Namespace, interactive: bool) -> Session:
    """A Session over the store at ``where`` for ``pkitui exec``."""
    from pkitui.core.pki import Pki
    from pkitui.ios.session import Session

    return Session(
        Pki.open(where, writer="pkitui exec"),
        out=say_out,
        err=say_err,
        json=args.json,
        force=args.force,
        confirm=_tty_confirm if interactive else None,
        ask_secret=_tty_secret if interactive else None,
    )


def run_exec(args: argparse.Namespace, where: Path) -> int:
    """``pkitui exec``: run the script, report, and return the exit status."""
    if not args.commands and (not args.file or args.file == "-") and sys.stdin.isatty():
        return run_interactive(args, where)
    lines, from_stdin = _script_lines(args)
    # Questions can be asked only when a person is at the terminal and stdin is not the script.
    interactive = not from_stdin and sys.stdin.isatty()
    session = make_session(where, args, interactive)
    errors = session.run_lines(lines, keep_going=args.keep_going)
    if session.collecting:
        session.warn("% Incomplete key-string or certificate block: 'quit' is missing at the end of the script.")
        errors += 1
    if session.pki.dirty:
        session.warn(UNSAVED_WARNING)
    sys.stdout.flush()
    if errors:
        return EXIT_ERRORS if args.keep_going else EXIT_FAILED
    return _pending_status(session)


def run_console(where: Path) -> int:
    """The console on the store at ``where``; returns the exit status (128 + the signal's number
    when SIGTERM, SIGINT or SIGHUP ended it)."""
    from pkitui.lab.process import Signalled, StopSignals
    from pkitui.tui.app import PkiConsole

    app = PkiConsole(where)
    with StopSignals() as stops:
        try:
            stops.forward = app.stop_on_signal
            app.run()
        except Signalled as stopped:
            return stopped.exit_status
    return app.return_code or 0


def run_lab(where: Path) -> int:
    """``pkitui lab``: start the lab, print the CA fingerprint, open the console, stop on quit.

    Without the Debian packages it says which to install and still opens the console.
    SIGTERM, SIGINT and SIGHUP end it in order at any moment (while the servers start, or with
    the console open: it quits and restores the terminal); every server is stopped and the
    status is 128 + the signal's number.
    """
    from pkitui.lab.process import Signalled, StopSignals, stop_started

    with StopSignals() as stops:
        try:
            status = _run_lab(where, stops)
        except Signalled as stopped:
            status = stopped.exit_status
        finally:
            with stops.cleaning():
                stop_started()  # whatever a server's own stop missed (a signal during its start)
    if stops.signalled is not None:
        import signal

        try:  # after SIGHUP the terminal may be gone
            name = signal.Signals(stops.signalled).name
            print(f"pkitui lab: stopped by {name}; every lab server is stopped.", file=sys.stderr)
        except OSError:
            pass
        return 128 + stops.signalled
    return status


def _run_lab(where: Path, stops: StopSignals) -> int:
    from pkitui.core.errors import PkiError
    from pkitui.core.pki import Pki
    from pkitui.lab import Lab, default_lab_dir, missing_packages
    from pkitui.tui.app import PkiConsole

    pki = Pki.open(where)
    missing = missing_packages()
    if missing:
        print(f"pkitui lab: cannot start the lab CA: missing {', '.join(missing)}.\n"
              f"Install with: apt-get install -y {' '.join(missing)}\n"
              "Opening the console on the local store without the lab.", file=sys.stderr)
        return _lab_console(PkiConsole(pki=pki), stops)
    lab = Lab(default_lab_dir(where))
    try:
        lab.start()
    except PkiError as exc:
        print(f"pkitui lab: {exc.message}" + (f"\n{exc.hint}" if exc.hint else ""), file=sys.stderr)
        print("Opening the console on the local store without the lab.", file=sys.stderr)
        return _lab_console(PkiConsole(pki=pki), stops)
    try:
        for line in lab.banner_lines():
            print(line)
        sys.stdout.flush()
        lab.configure(pki)
        return _lab_console(PkiConsole(pki=pki, lab=lab), stops)
    finally:
        with stops.cleaning():
            lab.stop()


def _lab_console(app: PkiConsole, stops: StopSignals) -> int:
    """Run the console; a stop signal makes it quit as ctrl+q does (Textual restores the terminal)."""
    stops.forward = app.stop_on_signal
    try:
        app.run()
    finally:
        stops.forward = None
    return 128 + app.stopped_by if app.stopped_by is not None else 0
