"""``copy running-config URL`` / ``copy URL running-config`` through ``pkitui exec``: a local file
and the real tftpd-hpa (pkitui.lab.tftpd, started with -c so uploads may create files)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pkitui.lab.tftpd import TftpServer, free_udp_port

CONFIG = ["hostname r1", "ip domain-name example.com", "crypto pki trustpoint ka",
          " enrollment url http://ca.example.com:81", " revocation-check crl ocsp", "end"]


@pytest.fixture(scope="module")
def tftp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TftpServer]:
    """tftpd-hpa on 127.0.0.1 accepting uploads (fails, not skips, without in.tftpd or root)."""
    with TftpServer(tmp_path_factory.mktemp("tftp"), allow_create=True) as server:
        yield server


def exec_(store: Path, *lines: str, timeout: str | None = None) -> subprocess.CompletedProcess[str]:
    """``pkitui exec --store STORE -c LINE ...`` (a script: configuration commands need no conf t)."""
    args = [sys.executable, "-m", "pkitui", "exec", "--store", str(store)]
    args += ["--timeout", timeout] if timeout else []
    for line in lines:
        args += ["-c", line]
    return subprocess.run(args, capture_output=True, text=True, timeout=90)


def test_file_round_trip_is_atomic_0600_and_merges(tmp_path: Path) -> None:
    target = tmp_path / "backup" / "r1-confg"
    target.parent.mkdir()
    proc = exec_(tmp_path / "a", *CONFIG, f"copy running-config file:{target}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].endswith("bytes/sec)") and "bytes copied in" in proc.stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "crypto pki trustpoint ka" in target.read_text()
    assert [p.name for p in target.parent.iterdir()] == ["r1-confg"]  # no temporary file left behind
    # a fresh device merges it: the file's commands are run
    proc = exec_(tmp_path / "b", "hostname other", f"copy {target} running-config",
                 "show running-config | section trustpoint ka")
    assert proc.returncode == 0, proc.stderr
    assert f"Accessing file:{target}..." in proc.stdout
    assert proc.stdout.splitlines()[-3:] == ["crypto pki trustpoint ka", " enrollment url http://ca.example.com:81",
                                             " revocation-check crl ocsp"]
    # overwriting keeps 0600 and replaces the whole file
    target.chmod(0o644)
    assert exec_(tmp_path / "c", "hostname r3", f"copy running-config {target}").returncode == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and "hostname r3" in target.read_text()


def test_a_merged_file_with_a_bad_line_runs_the_others_and_fails(tmp_path: Path) -> None:
    cfg = tmp_path / "bad-confg"
    cfg.write_text("hostname r5\nbogus line here\ncrypto pki trustpoint kz\n end\n")
    proc = exec_(tmp_path / "s", f"copy {cfg} running-config", "show running-config | include ^hostname|kz")
    assert proc.returncode == 2
    assert "% Invalid input detected at '^' marker." in proc.stderr
    assert "1 line(s) of file:" in proc.stderr
    rc = subprocess.run([sys.executable, "-m", "pkitui", "exec", "--store", str(tmp_path / "s3"), "--continue",
                         "-c", f"copy {cfg} running-config", "-c", "show running-config | include ^hostname|kz"],
                        capture_output=True, text=True, timeout=60)
    assert rc.returncode == 1 and rc.stdout.splitlines()[-2:] == ["hostname r5", "crypto pki trustpoint kz"]


def test_bad_urls_are_clear_errors(tmp_path: Path) -> None:
    proc = exec_(tmp_path, "copy running-config flash:r1-confg")
    assert proc.returncode == 2 and proc.stderr.startswith(
        "% Unsupported URL scheme flash: use a path, file:PATH or tftp://HOST/FILE")
    assert "./r1-confg" in proc.stderr
    # a URL with a scheme pkitui does not speak is never taken for a local path (no folder 'http:' written)
    (tmp_path / "http:" / "127.0.0.1").mkdir(parents=True)
    proc = subprocess.run([sys.executable, "-m", "pkitui", "exec", "--store", str(tmp_path / "s"), "-c",
                           "copy running-config http://127.0.0.1/r1-confg"], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("% Unsupported URL scheme http:"), proc.stderr
    assert list((tmp_path / "http:" / "127.0.0.1").iterdir()) == []
    proc = exec_(tmp_path, "copy running-config r1-confg")
    assert proc.returncode == 2 and proc.stderr.startswith("% r1-confg is not a place pkitui can copy")
    assert "tftp://HOST" in proc.stderr and "./r1-confg" in proc.stderr
    proc = exec_(tmp_path, "copy running-config tftp://127.0.0.1")
    assert proc.returncode == 2 and "needs a server and a file name" in proc.stderr
    proc = exec_(tmp_path, f"copy {tmp_path}/none running-config")
    assert proc.returncode == 2 and "Cannot read" in proc.stderr and "Traceback" not in proc.stderr
    proc = exec_(tmp_path, f"copy {tmp_path}/none startup-config")
    assert proc.returncode == 2 and "copy running-config startup-config" in proc.stderr


def test_tftp_upload_and_download_with_tftpd_hpa(tftp: TftpServer, tmp_path: Path) -> None:
    url = f"tftp://{tftp.server}/r1-confg"
    proc = exec_(tmp_path / "a", *CONFIG, f"copy running-config {url}")
    assert proc.returncode == 0, proc.stderr
    uploaded = tftp.root / "r1-confg"
    assert "crypto pki trustpoint ka" in uploaded.read_text()
    proc = exec_(tmp_path / "b", f"copy {url} running-config", "show running-config | section ka")
    assert proc.returncode == 0, proc.stderr
    assert f"Accessing {url}..." in proc.stdout
    assert proc.stdout.splitlines()[-3:-1] == ["crypto pki trustpoint ka", " enrollment url http://ca.example.com:81"]
    proc = exec_(tmp_path / "c", f"copy tftp://{tftp.server}/missing-confg running-config")
    assert proc.returncode == 2 and "not found" in proc.stderr


def test_tftp_is_bounded_by_the_deadline(tmp_path: Path) -> None:
    """No server on the port: the upload and the download give up at --timeout, with what to check."""
    port = free_udp_port()
    for line in (f"copy running-config tftp://127.0.0.1:{port}/x", f"copy tftp://127.0.0.1:{port}/x running-config"):
        start = time.monotonic()
        proc = exec_(tmp_path, line, timeout="1.5")
        took = time.monotonic() - start
        assert proc.returncode == 2 and "TFTP" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert took < 15, took  # interpreter start-up included; the transfer itself stops at ~1.5 s


def test_tftp_server_without_create_refuses_the_upload_clearly(tmp_path: Path) -> None:
    with TftpServer(tmp_path / "ro") as server:
        proc = exec_(tmp_path / "s", "hostname r1", f"copy running-config tftp://{server.server}/new-confg")
    assert proc.returncode == 2 and "TFTP upload of 'new-confg'" in proc.stderr
    assert "-c" in proc.stderr and not os.path.exists(server.root / "new-confg")
