"""Enrollment benchmark: pkitui's service layer vs micromdm's scepclient against one scepserver.

N sequential enrollments each, alternating (pkitui, scepclient, pkitui, ...), each with a fresh
RSA-2048 key generated inside the timed part. pkitui does what scepclient does per run: GetCACert,
GetCACaps and one PKIOperation (plus full verification of the reply). Prints min/median/max per
enrollment for each and the ratio of the medians (target: pkitui <= 1.2x scepclient).

    .venv/bin/python bench/enroll_bench.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pkitui.core.pki import Pki
from pkitui.lab.process import require_binary
from pkitui.lab.scepserver import ScepServer

CHALLENGE = "bench"


def pkitui_once(pki: Pki, i: int) -> float:
    """One enrollment through the service layer, key generation included."""
    start = time.perf_counter()
    pki.keys.generate(label=f"bench{i}", modulus=2048)
    tp = pki.trustpoints.get("lab")
    tp.set_rsakeypair(f"bench{i}")
    pki.scep.fetch_ca("lab")
    result = pki.scep.enroll("lab")[0]
    elapsed = time.perf_counter() - start
    if result.state != "issued":
        raise SystemExit(f"pkitui enrollment {i} failed: {result.message}")
    return elapsed


def scepclient_once(binary: str, url: str, work: Path, i: int) -> float:
    """One scepclient run (it generates the key, then GetCACert, GetCACaps, PKIOperation)."""
    start = time.perf_counter()
    proc = subprocess.run([binary, "-server-url", url, "-private-key", str(work / f"key{i}.pem"),
                           "-certificate", str(work / f"cert{i}.pem"), "-cn", f"scepclient{i}",
                           "-challenge", CHALLENGE, "-keySize", "2048"], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or not (work / f"cert{i}.pem").exists():
        raise SystemExit(f"scepclient run {i} failed: {proc.stderr[-400:]}")
    return elapsed


def summary(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return f"{name:<11} n={len(ms)}  min {ms[0]:7.1f}  median {statistics.median(ms):7.1f}  max {ms[-1]:7.1f} ms"


def main(n: int = 20) -> None:
    binary = require_binary("scepclient", "scep")
    with tempfile.TemporaryDirectory() as tmp, ScepServer(Path(tmp) / "ca", CHALLENGE) as ca:
        work = Path(tmp) / "scepclient"
        work.mkdir()
        pki = Pki.open(Path(tmp) / "store")
        pki.set_hostname("bench")
        pki.set_domain_name("example.com")
        tp = pki.trustpoints.declare("lab")
        tp.set_enrollment_url(ca.url)
        tp.set_password(CHALLENGE)
        pki.scep.authenticate("lab", confirm=lambda c: True)
        pkitui_once(pki, -1)  # warm-up (imports, connection pool), not counted
        scepclient_once(binary, ca.url, work, -1)
        ours, theirs = [], []
        for i in range(n):
            ours.append(pkitui_once(pki, i))
            theirs.append(scepclient_once(binary, ca.url, work, i))
        print(summary("pkitui", ours))
        print(summary("scepclient", theirs))
        ratio = statistics.median(ours) / statistics.median(theirs)
        print(f"ratio pkitui/scepclient (medians): {ratio:.2f}x (target <= 1.2x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
