"""Every network call is bounded in time and memory, and never follows a redirect to another host.

The servers are hostile on purpose, which no real server (scepserver, slapd, in.tftpd, openssl
ocsp) can be made to be: ``tests/servers/hostile.py`` stands in (HTTP, LDAP-ish TCP, TFTP over UDP),
started as a subprocess on 127.0.0.1 with random ports. Each client runs in its own child process
with a 3 s deadline set through the new settings (the trustpoint's ``enrollment timeout``, or
``pkitui exec --timeout``); the child reports how long the operation took and its peak RSS
(VmHWM), compared with an idle child that imported the same modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import hostile as hostile_server

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 3
SLACK = 1.0  # "fails within deadline + 1 s"
MEMORY_BOUND_KB = 64 * 1024

CLIENT = r"""
import json, sys, time
kind, target, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
import datetime
import requests, ldap3, tftpy
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pkitui.core import deadline, tftp
from pkitui.core.errors import PkiError
from pkitui.core.revocation import ldap, ocsp, sources
from pkitui.core.scep.transport import ScepTransport
from pkitui.core.trustpoints import Trustpoint

if len(sys.argv) > 4:
    ldap.MAX_ANSWER_BYTES = int(sys.argv[4])
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256()))
tp = Trustpoint("hostile", enrollment_url=target if kind == "scep" else None, enrollment_timeout=int(seconds))


def run():
    if kind == "scep":
        ScepTransport(tp).get_ca_cert()
    elif kind == "crl":
        sources.http_get(target)
    elif kind == "ocsp":
        ocsp.query(target, cert, cert)
    elif kind == "ldap":
        ldap.fetch_crls(target)
    elif kind == "tftp":
        server, _, name = target.partition("/")
        tftp.download(server, name)


outcome, message = "idle", ""
start = time.monotonic()
if kind != "idle":
    with deadline.trustpoint_scope(tp):  # what the revocation service does for a trustpoint's checks
        try:
            run()
            outcome = "ok"
        except PkiError as exc:
            outcome, message = "error", str(exc)
elapsed = time.monotonic() - start
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"outcome": outcome, "message": message, "elapsed": elapsed, "peak_kb": hwm}))
"""


def _client(kind: str, target: str = "-", *extra: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", CLIENT, kind, target, str(DEADLINE), *extra], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def hostile() -> Iterator[dict[str, int]]:
    """The hostile server's ports by name: http, silent, drip, huge (LDAP-ish), tftp."""
    with hostile_server.started() as ports:
        yield ports


@pytest.fixture(scope="module")
def idle_kb() -> int:
    """Peak RSS of a child that imported everything and did nothing."""
    peak = _client("idle")["peak_kb"]
    assert isinstance(peak, int)
    return peak


def _check(result: dict[str, object], idle_kb: int, *expected: str) -> str:
    message = str(result["message"])
    assert result["outcome"] == "error", result
    assert "Traceback" not in message
    assert any(e in message for e in expected), message
    elapsed = result["elapsed"]
    assert isinstance(elapsed, float) and elapsed <= DEADLINE + SLACK, f"took {elapsed:.1f} s: {message}"
    peak = result["peak_kb"]
    assert isinstance(peak, int) and peak - idle_kb <= MEMORY_BOUND_KB, f"peak {peak} kB vs idle {idle_kb} kB"
    return message


TIMED_OUT = f"sent no complete answer within {DEADLINE} s"
TOO_BIG = ("larger than", "decodes to more than")
HTTP_CASES = {
    "drip-headers": (TIMED_OUT,),
    "drip-body": (TIMED_OUT,),
    "silent": (TIMED_OUT,),
    "huge": (*TOO_BIG, TIMED_OUT),  # the CRL cap (256 MiB) may take longer to reach than 3 s
    "huge-stream": (*TOO_BIG, TIMED_OUT),
    "gzip": (*TOO_BIG, TIMED_OUT),
    "redirect-host": ("another host or scheme: refused",),
    "redirect-scheme": ("another host or scheme: refused",),
    "loop": ("redirected more than 3 times",),
}


@pytest.mark.parametrize("kind", ["scep", "crl", "ocsp"])
@pytest.mark.parametrize("path", list(HTTP_CASES))
def test_http_operations_are_bounded(hostile: dict[str, int], idle_kb: int, kind: str, path: str) -> None:
    url = f"http://127.0.0.1:{hostile['http']}/{path}"
    message = _check(_client(kind, url), idle_kb, *HTTP_CASES[path])
    assert url in message  # which server
    assert {"scep": "GetCACert", "crl": "CRL download", "ocsp": "OCSP query"}[kind] in message  # which operation
    if path.startswith("redirect"):
        assert ("localhost" if path == "redirect-host" else "https://127.0.0.1") in message  # both URLs named


def test_small_kinds_stop_at_one_mib_and_crls_at_256_mib(hostile: dict[str, int], idle_kb: int) -> None:
    url = f"http://127.0.0.1:{hostile['http']}/gzip"  # ~0.5 MB sent, 512 MiB once decoded
    assert "1,048,576 bytes" in _check(_client("scep", url), idle_kb, "decodes to more than")
    crl = _check(_client("crl", url), idle_kb, "decodes to more than", TIMED_OUT)
    assert "268,435,456 bytes" in crl or TIMED_OUT in crl


@pytest.mark.parametrize("mode", ["silent", "drip"])
def test_ldap_is_bounded_in_time(hostile: dict[str, int], idle_kb: int, mode: str) -> None:
    url = f"ldap://127.0.0.1:{hostile[mode]}/cn=CA,dc=example,dc=com"
    _check(_client("ldap", url), idle_kb, TIMED_OUT)


def test_ldap_answer_is_bounded_in_size(hostile: dict[str, int], idle_kb: int) -> None:
    """ldap3 holds a message in memory until it is whole, so the memory bound is about twice the
    cap: the child lowers the cap (256 MiB for real) to 16 MiB to show it stops there."""
    url = f"ldap://127.0.0.1:{hostile['huge']}/cn=CA,dc=example,dc=com"
    _check(_client("ldap", url, str(16 * 1024 * 1024)), idle_kb, "sent more than 16,777,216 bytes")


@pytest.mark.parametrize(("name", "expected"), [("silent", f"within {DEADLINE} s"), ("drip", f"within {DEADLINE} s"),
                                                ("huge", "larger than 1,048,576 bytes")])
def test_tftp_root_is_bounded(hostile: dict[str, int], idle_kb: int, name: str, expected: str) -> None:
    message = _check(_client("tftp", f"127.0.0.1:{hostile['tftp']}/{name}"), idle_kb, expected)
    assert f"127.0.0.1:{hostile['tftp']}" in message


def test_exec_timeout_bounds_authenticate(hostile: dict[str, int], tmp_path: Path) -> None:
    """End to end: ``pkitui exec --timeout 3`` (it overrides the trustpoint's 20 s) and ``crypto pki
    authenticate`` against a CA that accepts and never answers: a clear message naming the CA, the
    operation and the time."""
    import time

    url = f"http://127.0.0.1:{hostile['http']}/silent"
    script = ["configure terminal", "crypto pki trustpoint ca", f"enrollment url {url}", "enrollment timeout 20",
              "exit", "crypto pki authenticate ca"]
    args = [sys.executable, "-m", "pkitui", "exec", "--store", str(tmp_path), "--timeout", str(DEADLINE)]
    for line in script:
        args += ["-c", line]
    start = time.monotonic()
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PKITUI_STORE": str(tmp_path)})
    took = time.monotonic() - start
    assert proc.returncode != 0
    # GetCACaps comes first (as on IOS); a CA that does not answer it is not asked again
    assert f"% GetCACaps: the CA at {url} sent no complete answer within {DEADLINE} s" in proc.stderr, proc.stderr
    assert "enrollment timeout SECONDS" in proc.stderr and "Traceback" not in proc.stderr
    assert took <= DEADLINE + SLACK + 3, took  # + 3 s: the interpreter starting and the imports
