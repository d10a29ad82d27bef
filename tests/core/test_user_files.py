"""Only regular files are read as FILE arguments (issue 8, point 8).

``crypto pki verify FILE``, ``crypto pki import NAME certificate FILE`` and the script FILE of
``pkitui exec`` given a FIFO (with no writer: reading it would block forever), /dev/zero (never
ends), a directory or a socket each fail at once with a clear message, through the real
``pkitui exec`` in a subprocess with a timeout, so a regression fails instead of hanging.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pkitui.core.errors import CertificateError, PkiError
from pkitui.core.userfile import read_user_file

PKITUI = str(Path(sys.executable).with_name("pkitui"))
TIMEOUT = 20  # seconds: far above the fraction of a second these take; reached only by a hang


@pytest.fixture
def specials(tmp_path: Path) -> Iterator[dict[str, tuple[Path, str]]]:
    """Special files by name: (path, the kind the message must name)."""
    fifo = tmp_path / "peer.pem"
    os.mkfifo(fifo)
    folder = tmp_path / "certs"
    folder.mkdir()
    sock_path = tmp_path / "s.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    try:
        yield {"fifo": (fifo, "a FIFO"), "zero": (Path("/dev/zero"), "a character device"),
               "directory": (folder, "a directory"), "socket": (sock_path, "a socket")}
    finally:
        sock.close()


def _exec(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PKITUI_PASSPHRASE"}
    return subprocess.run([PKITUI, "exec", "--store", str(store), *args], capture_output=True, text=True,
                          timeout=TIMEOUT, stdin=subprocess.DEVNULL, env=env)


def _assert_refused(result: subprocess.CompletedProcess[str], path: Path, kind: str, what: str) -> None:
    assert result.returncode == 2, result
    assert f"% {path} is {kind}, not a regular file: give the path of {what}" in result.stderr
    assert "Traceback" not in result.stderr and "Internal error" not in result.stderr


@pytest.mark.parametrize("which", ["fifo", "zero", "directory", "socket"])
def test_verify_refuses_a_special_file(tmp_path: Path, specials: dict[str, tuple[Path, str]], which: str) -> None:
    path, kind = specials[which]
    started = time.monotonic()
    result = _exec(tmp_path / "store", "-c", f"crypto pki verify {path}")
    _assert_refused(result, path, kind, "a certificate file")
    print(f"{which}: refused in {time.monotonic() - started:.2f} s")


@pytest.mark.parametrize("which", ["fifo", "zero", "directory"])
def test_import_refuses_a_special_file(tmp_path: Path, specials: dict[str, tuple[Path, str]], which: str) -> None:
    path, kind = specials[which]
    result = _exec(tmp_path / "store", "-c", "configure terminal", "-c", "crypto pki trustpoint lab", "-c", "exit",
                   "-c", f"crypto pki import lab certificate {path}")
    _assert_refused(result, path, kind, "a certificate file")


@pytest.mark.parametrize("which", ["fifo", "zero", "directory"])
def test_exec_refuses_a_special_script_file(tmp_path: Path, specials: dict[str, tuple[Path, str]],
                                            which: str) -> None:
    path, kind = specials[which]
    _assert_refused(_exec(tmp_path / "store", str(path)), path, kind, "a script file")


def test_a_regular_script_file_still_runs(tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text("configure terminal\nhostname r9\nend\nshow running-config\n")
    result = _exec(tmp_path / "store", str(script))
    assert result.returncode == 0, result
    assert "hostname r9" in result.stdout


def test_read_user_file_bounds_and_errors(tmp_path: Path) -> None:
    small = tmp_path / "small.pem"
    small.write_bytes(b"x" * 100)
    assert read_user_file(small, "a certificate file", 100) == b"x" * 100
    with pytest.raises(CertificateError, match=r"larger than 99 bytes: not a certificate file"):
        read_user_file(small, "a certificate file", 99, error=CertificateError)
    with pytest.raises(PkiError, match=r"Cannot read .*missing.pem: No such file"):
        read_user_file(tmp_path / "missing.pem", "a certificate file", 100)
    unreadable = tmp_path / "secret.pem"
    unreadable.write_bytes(b"x")
    unreadable.chmod(0)
    if os.geteuid() != 0:  # root reads anything
        with pytest.raises(PkiError, match="Permission denied"):
            read_user_file(unreadable, "a certificate file", 100)
    home = Path.home()
    try:
        relative = small.relative_to(home)
    except ValueError:
        return
    assert read_user_file(f"~/{relative}", "a certificate file", 100) == b"x" * 100
