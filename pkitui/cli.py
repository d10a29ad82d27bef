"""The ``pkitui`` command line: the console (default), ``pkitui lab``, ``pkitui exec`` and ``pkitui agent``.

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
from typing import TYPE_CHECKING, Any

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

# pkitui agent --once's exit statuses (the foreground agent ends 0 on SIGTERM/SIGINT).
AGENT_EXIT_CODES = (
    (EXIT_OK, "everything due was done (or nothing was due)"),
    (EXIT_ERRORS, "something failed (a %PKI-3 line: a CRL fetch, a renewal, a poll, a deployment, a save); "
                  "it is tried again at the next run"),
    (EXIT_FAILED, "bad usage or an unusable store (nothing was done)"),
    (EXIT_INTERNAL, "internal error (a bug): reported on one line, please report it"),
)
CLOCK_ENV = "PKITUI_CLOCK"  # tests only: an ISO time the core's clock is frozen at

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


def _crl_entries(text: str) -> int:
    """``--crl-entries N``: 0 to 2,000,000 revoked serials."""
    if not text.isdigit() or int(text) > 2_000_000:
        raise argparse.ArgumentTypeError(f"invalid number of CRL entries {text!r}: give 0 to 2000000")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``pkitui``."""
    parser = argparse.ArgumentParser(
        prog="pkitui",
        description="Give this host a PKI identity the way Cisco IOS crypto pki does. "
        "Without a sub-command, open the console.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--store", metavar="DIR", help="the NVRAM store (default: $PKITUI_STORE or the user data dir)")
    sub = parser.add_subparsers(dest="command", metavar="{exec,lab,agent}")
    ex = sub.add_parser("exec", help="run IOS commands from -c, a FILE or stdin",
                        description="Run IOS commands (crypto pki ...) as a script. Each run starts from the "
                        "saved configuration; save with copy system:running-config nvram:startup-config.",
                        epilog=exit_codes_text(), formatter_class=argparse.RawDescriptionHelpFormatter)
    ex.add_argument("--store", metavar="DIR", dest="sub_store", help="the NVRAM store")
    ex.add_argument("--json", action="store_true", help="show commands print one JSON document per line")
    ex.add_argument("--force", action="store_true", help="answer yes to confirmations (e.g. key regeneration)")
    ex.add_argument("--lenient", action="store_true",
                    help="at an interactive prompt, accept configuration commands in privileged exec without "
                    "configure terminal, as scripts always do (also: PKITUI_LENIENT=1)")
    ex.add_argument("--continue", action="store_true", dest="keep_going",
                    help="keep going after a failing command (exit 1 if any failed)")
    ex.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                    help="deadline of each network operation (SCEP, CRL, LDAP, OCSP, TFTP), connect to last "
                    "byte; overrides the trustpoints' enrollment timeout (default 30)")
    ex.add_argument("-c", action="append", dest="commands", metavar="CMD", help="a command line (repeatable)")
    ex.add_argument("file", nargs="?", metavar="FILE", help="script file ('-' or none: stdin)")
    lab = sub.add_parser("lab", help="start a local lab CA and open the console on it (or --serve it)",
                         description="Start a local lab CA (SCEP, its CRL over HTTP and LDAP) on 127.0.0.1, save "
                         "trustpoint lab (URL, fingerprint, challenge) in the store and open the console on it.")
    lab.add_argument("--store", metavar="DIR", dest="sub_store", help="the NVRAM store")
    lab.add_argument("--serve", action="store_true",
                     help="no console: print the SCEP URL, CA fingerprints, challenge file, CRL URLs and an IOS "
                     "snippet, then serve until ctrl+c or SIGTERM (every server is stopped; exit status 0)")
    lab.add_argument("--json", action="store_true", help="with --serve: print those facts as one JSON document")
    lab.add_argument("--crl-entries", type=_crl_entries, metavar="N", default=0,
                     help="publish a CRL of the lab CA revoking N made-up serials (up to 2000000; the CRL "
                     "viewer at scale) instead of the CA's real one")
    agent = sub.add_parser("agent", help="keep the identity valid: renew, refresh CRLs, poll, deploy",
                           description="The PKI timers of the store, as IOS runs them: renew (auto-enroll), poll "
                           "pending requests, refresh each held CRL before its nextUpdate, warn before a certificate "
                           "expires, then deploy. One %PKI-... line per event on stdout (journald). In the foreground "
                           "it sleeps until the next timer (at most an hour) until SIGTERM or ctrl+c (exit 0); "
                           "SIGHUP runs the timers now.",
                           epilog=exit_codes_text(AGENT_EXIT_CODES, "with --once"),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    agent.add_argument("--store", metavar="DIR", dest="sub_store", help="the NVRAM store")
    agent.add_argument("--once", action="store_true", help="do what is due, then exit (cron, a systemd timer)")
    agent.add_argument("--json", action="store_true", help="one JSON document per event instead of %%PKI lines")
    agent.add_argument("--print-unit", choices=("service", "once-service", "once-timer"), metavar="UNIT",
                       help="print a systemd unit shipped with pkitui and exit: service (the foreground agent), "
                       "once-service and once-timer (--once every 15 minutes)")
    return parser


def exit_codes_text(codes: tuple[tuple[int, str], ...] = EXIT_CODES, when: str = "") -> str:
    """The exit status table of ``pkitui exec --help`` (or another command's ``codes``)."""
    import textwrap

    rows = [textwrap.fill(text, 100, initial_indent=f"  {code:<4}", subsequent_indent=" " * 6)
            for code, text in codes]
    if when:
        return f"exit status ({when}):\n" + "\n".join(rows) + "\n"
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
        if args.command == "agent":
            return run_agent(args, where)
        if args.command == "lab":
            if args.json and not args.serve:
                from pkitui.core.errors import PkiError

                raise PkiError("pkitui lab: --json needs --serve", "Run: pkitui lab --serve --json")
            return int(run_lab(where, serve=args.serve, json_out=args.json, crl_entries=args.crl_entries) or EXIT_OK)
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
    terminal to its end before running anything showed nothing until ctrl+d.

    As on a router the session starts in user exec (``Device>``; ``enable`` for ``Device#``), and a
    configuration command needs ``configure terminal`` first unless ``--lenient`` or
    ``PKITUI_LENIENT=1`` (scripts always accept it)."""
    import readline  # noqa: F401 - input() then edits the line and keeps a history (arrow keys)

    from pkitui.ios.registry import USER_EXEC
    from pkitui.ios.session import lenient_requested

    session = make_session(where, args, True)
    session.stack = [(USER_EXEC, None)]
    session.implicit_configure = bool(args.lenient) or lenient_requested()
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


def _tty_text(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None


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
        ask_text=_tty_text if interactive else None,
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


def _agent_clock() -> Any:
    """The core's clock: the system's, or frozen at ``PKITUI_CLOCK`` (tests only)."""
    text = os.environ.get(CLOCK_ENV)
    if not text:
        return None
    from datetime import datetime

    from pkitui.core.clock import FixedClock
    from pkitui.core.errors import PkiError

    try:
        return FixedClock(datetime.fromisoformat(text))
    except ValueError:
        raise PkiError(f"invalid {CLOCK_ENV} {text!r}", "Give an ISO time, e.g. 2030-01-01T00:00:00Z, or unset it.") \
            from None


def _journald_priority() -> bool:
    """True when stdout is journald's stream: each line then starts with ``<SEVERITY>`` (systemd
    reads it as the line's priority, so journalctl -p warning shows %PKI-4 and worse)."""
    stream = os.environ.get("JOURNAL_STREAM", "")
    try:
        st = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError):
        return False
    return stream == f"{st.st_dev}:{st.st_ino}"


def run_agent(args: argparse.Namespace, where: Path) -> int:
    """``pkitui agent``: the store's PKI timers, once (``--once``) or in the foreground until
    SIGTERM/SIGINT (exit 0)."""
    if args.print_unit:
        sys.stdout.write(agent_unit(args.print_unit, where))
        return EXIT_OK
    import json
    import signal

    from pkitui.core.agent import Agent
    from pkitui.core.pki import Pki
    from pkitui.ios.syslog import agent_event, agent_json

    pki = Pki.open(where, writer="pkitui agent", clock=_agent_clock())
    agent = Agent(pki)
    prefix = _journald_priority()

    def report(events: list[Any]) -> bool:
        when = agent.clock.now().isoformat(timespec="seconds")
        for event in events:
            if args.json:
                say_out(json.dumps(agent_json(event, when)))
            else:
                say_out((f"<{event.severity}>" if prefix else "") + agent_event(event).line())
        sys.stdout.flush()
        return any(e.failed for e in events)

    if args.once:
        return EXIT_ERRORS if report(agent.run_once()) else EXIT_OK
    stops = {signal.SIGTERM, signal.SIGINT}
    wakes = stops | {signal.SIGHUP}
    stopping: list[int] = []
    report([agent.started_event()])
    # Between sleeps a stop signal is noted and the agent ends after the current operation; while
    # it sleeps the signals are blocked and taken by sigtimedwait (no handler races the sleep).
    for sig in wakes:
        signal.signal(sig, lambda signum, _frame: stopping.append(signum) if signum in stops else None)
    while not stopping:
        report(agent.run_once())
        if stopping:
            break
        delay = agent.sleep_seconds()
        signal.pthread_sigmask(signal.SIG_BLOCK, wakes)
        try:
            if stopping:
                break
            got = signal.sigtimedwait(wakes, delay)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, wakes)
        if got is not None and got.si_signo in stops:
            stopping.append(got.si_signo)
            break
        if got is not None:
            report([agent.signal_event(signal.Signals(got.si_signo).name, stopping=False)])
    report([agent.signal_event(signal.Signals(stopping[0]).name, stopping=True)])
    return EXIT_OK


# The shipped units are templates: their ExecStart and store line are replaced by this install's.
UNIT_FILES = {"service": "pkitui-agent.service", "once-service": "pkitui-agent-once.service",
              "once-timer": "pkitui-agent-once.timer"}
_UNIT_EXEC = "ExecStart=/usr/bin/env pkitui "
_UNIT_STORE = "Environment=PKITUI_STORE="


def _systemd_word(text: str) -> str:
    """One word of a unit's ExecStart or Environment line (quoted when it holds a space or a quote)."""
    if not any(c.isspace() or c in "\"'\\$%" for c in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$").replace("%", "%%") + '"'


def this_pkitui() -> list[str]:
    """The command that runs this pkitui, absolute (systemd's PATH has no venv in it): the console
    script that started us, else this Python with -m pkitui."""
    import shutil

    started = sys.argv[0] if sys.argv and sys.argv[0] else ""
    found = shutil.which(started) if started and os.sep not in started else started
    if found and Path(found).name.startswith("pkitui") and os.access(found, os.X_OK) and Path(found).is_file():
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "pkitui"]


def agent_unit(kind: str, store: Path) -> str:
    """The systemd unit ``kind`` (UNIT_FILES) for this install: the shipped template with ExecStart
    running this pkitui by its absolute path and PKITUI_STORE the store given (--store,
    PKITUI_STORE or the default)."""
    from importlib.resources import files

    lines = []
    for line in (files("pkitui") / "data" / UNIT_FILES[kind]).read_text().splitlines(keepends=True):
        if line.startswith(_UNIT_EXEC):
            argv = [*this_pkitui(), *line.removeprefix(_UNIT_EXEC).split()]
            line = "ExecStart=" + " ".join(_systemd_word(w) for w in argv) + "\n"
        elif line.startswith(_UNIT_STORE):
            line = "Environment=" + _systemd_word(f"PKITUI_STORE={store.absolute()}") + "\n"
        lines.append(line)
    return "".join(lines)


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


def run_lab(where: Path, serve: bool = False, json_out: bool = False, crl_entries: int = 0) -> int:
    """``pkitui lab``: start the lab, print the CA fingerprint, open the console, stop on quit.
    With ``serve``, no console: print the lab's facts (``json_out``: one JSON document) and serve
    until a stop signal, which is then the normal end (status 0). ``crl_entries``: publish a
    CRL revoking that many made-up serials.

    Without the Debian packages it says which to install and still opens the console.
    SIGTERM, SIGINT and SIGHUP end it in order at any moment (while the servers start, or with
    the console open: it quits and restores the terminal); every server is stopped and the
    status is 128 + the signal's number.
    """
    from pkitui.lab.process import Signalled, StopSignals, stop_started

    with StopSignals() as stops:
        try:
            status = _run_lab(where, stops, serve, json_out, crl_entries)
        except Signalled as stopped:
            status = EXIT_OK if serve else stopped.exit_status
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
        return status if serve else 128 + stops.signalled
    return status


def _serve_lab(lab: Any, where: Path, json_out: bool) -> int:
    """``pkitui lab --serve``: print the lab's facts, then wait for a stop signal (StopSignals
    raises Signalled here, and run_lab stops every server)."""
    import signal

    facts = lab.facts(where)
    if json_out:
        import json

        print(json.dumps(facts, indent=2))
    else:
        print(f"pkitui lab: serving until ctrl+c or SIGTERM; trustpoint {facts['trustpoint']} is saved in "
              f"{facts['store']}")
        rows = [("SCEP URL", facts["scep_url"]),
                *((f"CA {name.upper()}", value) for name, value in facts["ca_fingerprint"].items()),
                ("Challenge", f"in {facts['challenge_file']} (mode 0600)"),
                ("CRL (HTTP)", facts["crl_http_url"] or "not published"),
                ("CRL (LDAP)", facts["crl_ldap_url"] or "not published")]
        for label, value in rows:
            print(f"{label:<11} {value}")
        for note in facts["notes"]:
            print(f"Note        {note}")
        print("IOS, for a new store (the shell reads the challenge file):")
        print("  pkitui exec --store DIR <<IOS")
        print("\n".join(f"  {line}" for line in facts["ios"]))
        print("  IOS")
    sys.stdout.flush()
    while True:
        signal.pause()


def _run_lab(where: Path, stops: StopSignals, serve: bool = False, json_out: bool = False,
             crl_entries: int = 0) -> int:
    from pkitui.core.errors import PkiError
    from pkitui.core.pki import Pki
    from pkitui.lab import Lab, default_lab_dir, missing_packages
    from pkitui.tui.app import PkiConsole

    pki = Pki.open(where, writer="pkitui lab")
    missing = missing_packages()
    if missing:
        print(f"pkitui lab: cannot start the lab CA: missing {', '.join(missing)}.\n"
              f"Install with: apt-get install -y {' '.join(missing)}", file=sys.stderr)
        if serve:
            return EXIT_FAILED
        print("Opening the console on the local store without the lab.", file=sys.stderr)
        return _lab_console(PkiConsole(pki=pki), stops)
    lab = Lab(default_lab_dir(where))
    try:
        lab.start()
    except PkiError as exc:
        print(f"pkitui lab: {exc.message}" + (f"\n{exc.hint}" if exc.hint else ""), file=sys.stderr)
        if serve:
            return EXIT_FAILED
        print("Opening the console on the local store without the lab.", file=sys.stderr)
        return _lab_console(PkiConsole(pki=pki), stops)
    try:
        if crl_entries:
            print(f"pkitui lab: publishing a CRL of {crl_entries} entries ...", file=sys.stderr, flush=True)
            lab.publish_big_crl(crl_entries)
        lab.configure(pki)
        if serve:
            return _serve_lab(lab, where, json_out)
        for line in lab.banner_lines():
            print(line)
        sys.stdout.flush()
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
