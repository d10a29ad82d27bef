"""``pkitui`` command line: exec semantics, exit codes, persistence, dispatch, no textual import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pkitui import cli
from pkitui.cli import main
from pkitui.core.pki import Pki

PY = sys.executable


def run_cli(*args: str, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m pkitui ARGS`` in a subprocess."""
    full_env = dict(os.environ) | (env or {})
    return subprocess.run([PY, "-m", "pkitui", *args], input=stdin, capture_output=True, text=True,
                          env=full_env, timeout=60)


SCRIPT = """\
Device> enable
Device# configure terminal
Device(config)#hostname device1
    Device(config)# ip domain-name example.com
  crypto key generate rsa modulus 1024
Device(config)# crypto pki trustpoint ka
Device(ca-trustpoint)#   enrollment url http://ca.example.com:81
      revocation-check crl ocsp
    exit
! a comment

end
copy system:running-config nvram:startup-config
show crypto pki trustpoints
"""


def test_stdin_script_with_prompts_and_indentation_persists(tmp_path: Path) -> None:
    store = tmp_path / "store"
    proc = run_cli("exec", "--store", str(store), stdin=SCRIPT)
    assert proc.returncode == 0, proc.stderr
    assert "Trustpoint ka:" in proc.stdout and "[OK]" in proc.stdout
    assert "Traceback" not in proc.stderr and "unsaved" not in proc.stderr
    # A new process starts from the saved configuration.
    proc = run_cli("exec", "--store", str(store), "--json", "-c", "show crypto pki trustpoints",
                   "-c", "show crypto key mypubkey rsa")
    assert proc.returncode == 0, proc.stderr
    tps, keys = [json.loads(line) for line in proc.stdout.splitlines()]
    assert tps[0]["name"] == "ka" and tps[0]["revocation_check"] == ["crl", "ocsp"]
    assert keys[0]["label"] == "device1.example.com" and keys[0]["modulus"] == 1024


def test_changes_without_save_are_lost_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exec", "--store", str(tmp_path), "-c", "hostname r1"]) == 0
    err = capsys.readouterr().err
    assert "unsaved changes" in err and "copy system:running-config nvram:startup-config" in err
    assert Pki.open(tmp_path).config.identity.hostname is None
    assert main(["exec", "--store", str(tmp_path), "-c", "hostname r1", "-c", "write memory"]) == 0
    assert "unsaved" not in capsys.readouterr().err
    assert Pki.open(tmp_path).config.identity.hostname == "r1"


def test_first_error_stops_with_exit_2_and_caret(tmp_path: Path) -> None:
    proc = run_cli("exec", "--store", str(tmp_path), stdin="conf t\ncrypto key generate foo\nhostname r1\nwrite\n")
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert lines[0] == "Device(config)#crypto key generate foo"
    assert lines[1].index("^") == lines[0].index("foo")
    assert lines[2] == "% Invalid input detected at '^' marker." and "rsa" in lines[3]
    assert Pki.open(tmp_path).config.identity.hostname is None  # stopped before hostname/write


def test_continue_runs_everything_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["exec", "--store", str(tmp_path), "--continue", "-c", "bogus", "-c", "hostname r1",
                 "-c", "crypto pki trustpoint", "-c", "write memory"])
    assert code == 1
    err = capsys.readouterr().err
    assert "% Invalid input detected at '^' marker." in err and "% Incomplete command." in err
    assert Pki.open(tmp_path).config.identity.hostname == "r1"


def test_core_error_prints_message_and_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exec", "--store", str(tmp_path), "-c", "crypto key generate rsa"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("% Please define a hostname") and err[1] == "Configure it with: hostname NAME"


def test_force_allows_key_regeneration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["exec", "--store", str(tmp_path)]
    assert main(base + ["-c", "crypto key generate rsa label k modulus 1024", "-c", "write"]) == 0
    assert main(base + ["-c", "crypto key generate rsa label k modulus 1024"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(base + ["--force", "-c", "crypto key generate rsa label k modulus 1024"]) == 0


def test_script_file_and_env_store(tmp_path: Path) -> None:
    script = tmp_path / "setup.ios"
    script.write_text("hostname fromfile\nwrite memory\n")
    store = tmp_path / "envstore"
    proc = run_cli("exec", str(script), env={"PKITUI_STORE": str(store)})
    assert proc.returncode == 0, proc.stderr
    assert Pki.open(store).config.identity.hostname == "fromfile"
    proc = run_cli("exec", str(tmp_path / "missing.ios"), env={"PKITUI_STORE": str(store)})
    assert proc.returncode == 2 and proc.stderr.startswith("% Cannot read") and "Traceback" not in proc.stderr


def test_unfinished_key_string_block_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["exec", "--store", str(tmp_path), "-c", "crypto key pubkey-chain rsa", "-c", "named-key p",
                 "-c", "key-string", "-c", "0011"])
    assert code == 2 and "'quit' is missing" in capsys.readouterr().err


def test_internal_error_is_one_line_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    def boom(self: Pki) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Pki, "nvram_usage", boom)
    assert main(["exec", "--store", str(tmp_path), "-c", "show nvram usage"]) == 3
    err = capsys.readouterr().err
    assert err == "% Internal error: RuntimeError: boom\n"


def test_exec_does_not_import_textual(tmp_path: Path) -> None:
    code = ("import sys; from pkitui.cli import main; "
            f"rc = main(['exec', '--store', {str(tmp_path)!r}, "
            "'-c', 'show nvram usage', '-c', 'show running-config']); "
            "assert 'textual' not in sys.modules, 'textual imported'; sys.exit(rc)")
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_console_and_lab_dispatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, Path]] = []
    monkeypatch.setattr(cli, "run_console", lambda store: seen.append(("console", store)) or 0)
    monkeypatch.setattr(cli, "run_lab", lambda store, **_options: seen.append(("lab", store)) or 0)  # --serve ...
    assert main(["--store", str(tmp_path)]) == 0
    assert main(["lab", "--store", str(tmp_path / "lab")]) == 0
    monkeypatch.setenv("PKITUI_STORE", str(tmp_path / "env"))
    assert main([]) == 0
    assert seen == [("console", tmp_path), ("lab", tmp_path / "lab"), ("console", tmp_path / "env")]


def test_help_and_version() -> None:
    proc = run_cli("exec", "--help")
    assert proc.returncode == 0 and "--continue" in proc.stdout and "--json" in proc.stdout
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("pkitui ")


def test_binary_script_is_refused_cleanly(tmp_path: Path) -> None:
    proc = subprocess.run([PY, "-m", "pkitui", "exec", "--store", str(tmp_path)], input=b"hostname r1\n\xff\xfe\n",
                          capture_output=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.decode().startswith("% standard input is not UTF-8 text (line 2)")


def test_wrong_passphrase_is_a_clean_error(tmp_path: Path) -> None:
    setup = ["exec", "--store", str(tmp_path), "-c", "crypto key generate rsa label k modulus 1024", "-c", "wr"]
    assert run_cli(*setup, env={"PKITUI_PASSPHRASE": "right"}).returncode == 0
    proc = run_cli("exec", "--store", str(tmp_path), "-c", "show nvram usage", env={"PKITUI_PASSPHRASE": "wrong"})
    assert proc.returncode == 2 and proc.stderr.startswith("% ") and "PKITUI_PASSPHRASE" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_exec_at_a_terminal_prompts_and_answers_each_line(tmp_path: Path) -> None:
    """At a terminal each line is answered at once, after a prompt, and a typo does not end the
    session (it used to read the terminal to its end first: nothing showed until ctrl+d, and the
    first typo dropped every later line)."""
    import pty
    import select
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "pkitui", "exec", "--store", str(tmp_path / "s")],
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    seen = b""

    def read_until(marker: bytes, timeout: float = 20.0) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while marker not in seen:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            if select.select([master], [], [], 0.2)[0]:
                seen += os.read(master, 4096)

    try:
        read_until(b"Device> ")  # a prompt before anything is typed: user exec, as on a router
        os.write(master, b"enable\n")
        read_until(b"Device# ")
        os.write(master, b"configure terminal\n")
        read_until(b"Device(config)# ")
        os.write(master, b"hostnme r7\n")
        read_until(b"Invalid input")
        os.write(master, b"hostname r7\n")
        read_until(b"r7(config)# ")
        os.write(master, b"end\n")
        read_until(b"r7# ")
        os.write(master, b"exit\n")
        assert proc.wait(20) == 1  # one command failed; the session went on
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def test_exec_at_a_terminal_recalls_the_previous_line_with_up(tmp_path: Path) -> None:
    """Up recalls the last command (readline); without it the arrow key was sent as escape codes."""
    import pty
    import select
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "pkitui", "exec", "--store", str(tmp_path / "s")],
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    seen = b""

    def read_until(marker: bytes, count: int = 1, timeout: float = 20.0) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while seen.count(marker) < count:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            if select.select([master], [], [], 0.2)[0]:
                seen += os.read(master, 4096)

    try:
        read_until(b"Device> ")
        os.write(master, b"show nvram usage\n")
        read_until(b"NVRAM capacity")
        os.write(master, b"\x1b[A\n")
        read_until(b"NVRAM capacity", count=2)
        read_until(b"Device> ", count=3)
        os.write(master, b"exit\n")
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def _pty_session(argv: list[str], env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """``pkitui exec`` on a pseudo-terminal: (process, send(line), read_until(marker)) ."""
    import pty
    import select
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "pkitui", "exec", *argv], stdin=slave, stdout=slave,
                            stderr=slave, close_fds=True, env=dict(os.environ) | (env or {}))
    os.close(slave)
    seen = [b""]

    def read_until(marker: bytes, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while marker not in seen[0]:
            assert time.monotonic() < deadline, seen[0].decode(errors="replace")
            if select.select([master], [], [], 0.2)[0]:
                seen[0] += os.read(master, 4096)
        text, _, seen[0] = seen[0].partition(marker)
        return text.decode(errors="replace")

    def send(line: str) -> None:
        os.write(master, line.encode() + b"\n")

    return proc, master, send, read_until


def test_exec_at_a_terminal_starts_in_user_exec_and_refuses_config_commands_in_exec(tmp_path: Path) -> None:
    """As on a router: Device>, enable → Device#, 'en' is enable (not end), a configuration command
    in privileged exec is '% Invalid input' with what to do, ? lists this mode's commands only."""
    proc, master, send, read_until = _pty_session(["--store", str(tmp_path / "s")])
    try:
        read_until(b"Device> ")
        send("configure terminal")
        shown = read_until(b"Device> ")
        assert "% Invalid input detected at '^' marker." in shown and "type enable first" in shown
        send("en")
        read_until(b"Device# ")
        send("?")
        listing = read_until(b"Device# ")
        words = [line.split()[0] for line in listing.splitlines()[1:] if line.strip()]
        assert "configure" in words and "enable" in words and "hostname" not in words and "end" not in words
        send("hostname r7")
        shown = read_until(b"Device# ")
        assert "% Invalid input detected at '^' marker." in shown and "configure terminal first" in shown
        send("conf t")
        read_until(b"Device(config)# ")
        send("hostname r7")
        read_until(b"r7(config)# ")
        send("end")
        read_until(b"r7# ")
        send("exit")
        assert proc.wait(20) == 1  # two commands failed; the session went on
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


@pytest.mark.parametrize("how", ["option", "env"])
def test_exec_at_a_terminal_lenient_accepts_config_commands_in_exec(tmp_path: Path, how: str) -> None:
    argv = ["--store", str(tmp_path / "s")] + (["--lenient"] if how == "option" else [])
    proc, master, send, read_until = _pty_session(argv, {"PKITUI_LENIENT": "1"} if how == "env" else None)
    try:
        read_until(b"Device> ")
        send("enable")
        read_until(b"Device# ")
        send("hostname r8")
        read_until(b"r8(config)# ")  # an implicit configure terminal, as in scripts
        send("exit")
        read_until(b"r8# ")
        send("exit")
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def test_scripts_keep_config_commands_in_exec(tmp_path: Path) -> None:
    """Scripts (-c, FILE, stdin) start in privileged exec and accept configuration commands there."""
    proc = run_cli("exec", "--store", str(tmp_path), "-c", "hostname r1", "-c", "crypto pki trustpoint t",
                   "-c", "end", "-c", "show running-config | include ^hostname|^crypto")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-2:] == ["hostname r1", "crypto pki trustpoint t"]
