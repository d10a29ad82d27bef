"""CRL scale benchmark: pkitui's cold check and warm look-ups against `openssl crl -noout`.

Generates CRLs of 10k, 100k and 1M entries once into bench/.cache (signed by a throw-away CA
made with cryptography), then for each size runs, each in a fresh child process:

* pkitui cold check: read the DER, parse, verify the signature against the CA, look one serial up;
* `openssl crl -inform DER -in FILE -noout` (parse only) and, for reference, with `-CAfile`
  (parse + signature check);
* pkitui warm look-ups: after the index is built, 100,000 look-ups (half revoked, half not).

Peak memory is the child's maximum RSS (os.wait4). Usage: .venv/bin/python bench/crl_bench.py [SIZES...]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
SIZES = (10_000, 100_000, 1_000_000)

CHILD = r"""
import json, random, sys, time
t0 = time.perf_counter()
from cryptography import x509
from pkitui.core.revocation.crl import parse_crl, verify_crl
t1 = time.perf_counter()
crl_path, ca_path, probe = sys.argv[1], sys.argv[2], int(sys.argv[3])
ca = x509.load_pem_x509_certificate(open(ca_path, "rb").read())
crl = parse_crl(open(crl_path, "rb").read())
verify_crl(crl, ca)
hit = crl.index.find(probe)
t2 = time.perf_counter()
out = {"imports": t1 - t0, "check": t2 - t1, "found": hit is not None}
if sys.argv[4] == "warm":
    index = crl.index
    t3 = time.perf_counter(); index.build(); t4 = time.perf_counter()
    rng = random.Random(7)
    present = [index.row(rng.randrange(len(index))).serial for _ in range(1000)]
    queries = [present[i % 1000] if i % 2 else rng.getrandbits(120) for i in range(100_000)]
    t5 = time.perf_counter()
    hits = sum(index.find(q) is not None for q in queries)
    t6 = time.perf_counter()
    t7 = time.perf_counter()
    for i in range(len(index) // 2, len(index) // 2 + 50):
        index.row(i)
    t8 = time.perf_counter()
    out.update(build=t4 - t3, lookup_us=(t6 - t5) / len(queries) * 1e6, hits=hits, rows50_ms=(t8 - t7) * 1e3)
print(json.dumps(out))
"""


def ensure_crls() -> tuple[Path, dict[int, tuple[Path, int]]]:
    """Generate the CA and the CRLs once; return the CA path and {size: (crl path, revoked serial)}."""
    CACHE.mkdir(parents=True, exist_ok=True)
    ca_path = CACHE / "ca.pem"
    meta_path = CACHE / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and ca_path.exists() else {}
    missing = [n for n in SIZES if str(n) not in meta or not (CACHE / f"crl{n}.der").exists()]
    if missing:
        from cryptography.hazmat.primitives import serialization

        from pkitui.lab.bigcrl import LabCa, build_crl_der, revoked_serials

        ca = LabCa.create("pkitui bench CA")
        ca_path.write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
        meta = {}
        for n in SIZES:
            t = time.perf_counter()
            serials = revoked_serials(n, seed=n)
            der = build_crl_der(ca, serials)
            (CACHE / f"crl{n}.der").write_bytes(der)
            meta[str(n)] = serials[n // 2]
            print(f"generated {n:>9,} entries, {len(der) / 1e6:6.1f} MB in {time.perf_counter() - t:5.2f} s")
        meta_path.write_text(json.dumps(meta))
    return ca_path, {n: (CACHE / f"crl{n}.der", int(meta[str(n)])) for n in SIZES}


def run_measured(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB, from wait4) and stdout of ``argv``.

    subprocess spawns with vfork/posix_spawn, so the child's peak RSS does not include a copy of
    this (large) parent process, as a plain fork() would.
    """
    t = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv[:3])} failed with status {proc.returncode}")
    return wall, usage.ru_maxrss / 1024, out.decode()


def main() -> None:
    """Generate if needed, measure, print one table."""
    sizes = tuple(int(a) for a in sys.argv[1:]) or SIZES
    ca_path, crls = ensure_crls()
    py = sys.executable
    openssl = "/usr/bin/openssl"
    print(f"{'entries':>9} {'MB':>5} | {'pkitui cold':>11} {'(in-proc)':>9} {'RSS':>6} | {'openssl':>7} {'RSS':>6}"
          f" | {'ratio':>5} {'in-proc':>7} | {'+verify':>7} {'RSS':>6}"
          f" | {'index':>6} {'warm look-up':>12} {'50 rows':>8}")
    for n in sizes:
        path, probe = crls[n]
        mb = path.stat().st_size / 1e6
        cold = [run_measured([py, "-c", CHILD, str(path), str(ca_path), str(probe), "cold"]) for _ in range(3)]
        wall, rss, out = min(cold)
        res = json.loads(out)
        assert res["found"], "the probe serial must be found"
        ossl = min(run_measured([openssl, "crl", "-inform", "DER", "-in", str(path), "-noout"]) for _ in range(3))
        ossl_v = min(run_measured([openssl, "crl", "-inform", "DER", "-in", str(path), "-noout",
                                   "-CAfile", str(ca_path)]) for _ in range(3))
        _, _, wout = run_measured([py, "-c", CHILD, str(path), str(ca_path), str(probe), "warm"])
        warm = json.loads(wout)
        print(f"{n:>9,} {mb:5.1f} | {wall:10.3f}s {res['check']:8.3f}s {rss:5.0f}M | {ossl[0]:6.3f}s {ossl[1]:5.0f}M"
              f" | {wall / ossl[0]:5.2f} {res['check'] / ossl[0]:7.2f}"
              f" | {ossl_v[0]:6.3f}s {ossl_v[1]:5.0f}M | {warm['build']:5.2f}s"
              f" {warm['lookup_us']:9.2f} µs {warm['rows50_ms']:6.1f}ms")
    print("pkitui cold = whole child process (interpreter start, imports, read, parse, verify, one look-up);"
          " in-proc = read+parse+verify+look-up only. ratio = pkitui / openssl process time (<1: pkitui faster);"
          " in-proc ratio = pkitui's check alone / openssl process time.")


if __name__ == "__main__":
    main()
