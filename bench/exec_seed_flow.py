"""Start-up benchmark: whole processes, measured side by side in one run.

1. ``pkitui exec`` running the seed's flow (hostname, ip domain-name, RSA 2048 key generation,
   trustpoint, authenticate with the pinned fingerprint, enroll, save) on a fresh store, against
   micromdm's ``scepclient`` enrolling with a new 2048-bit key, both against one scepserver.
2. ``pkitui exec -c 'show running-config'`` on a store holding a key pair, a trustpoint and
   certificates, against ``python -c 'import cryptography.x509'`` on the same interpreter.

Runs alternate (ours, theirs, ours, ...) after one warm-up each; prints min/median/max and the
ratio of the medians (targets: both <= 1.0x).

    .venv/bin/python bench/exec_seed_flow.py [N]      (N >= 10, default 15)
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pkitui.lab.process import require_binary
from pkitui.lab.scepserver import ScepServer

CHALLENGE = "bench"
PY = sys.executable


def seed_script(url: str, fingerprint: str) -> str:
    return f"""enable
configure terminal
hostname bench
ip domain-name example.com
crypto key generate rsa general-keys modulus 2048
crypto pki trustpoint lab
 enrollment url {url}
 fingerprint {fingerprint}
 password {CHALLENGE}
 exit
crypto pki authenticate lab
crypto pki enroll lab
end
copy system:running-config nvram:startup-config
"""


def timed(argv: list[str], env: dict[str, str], check: Callable[[subprocess.CompletedProcess[str]], None]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    check(proc)
    return elapsed


def must_succeed(what: str) -> Callable[[subprocess.CompletedProcess[str]], None]:
    def check(proc: subprocess.CompletedProcess[str]) -> None:
        if proc.returncode != 0:
            raise SystemExit(f"{what} failed (exit {proc.returncode}):\n{proc.stdout[-800:]}{proc.stderr[-800:]}")
    return check


def summary(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return f"  {name:<34} n={len(ms)}  min {ms[0]:7.1f}  median {statistics.median(ms):7.1f}  max {ms[-1]:7.1f} ms"


def ratio_line(what: str, ours: list[float], theirs: list[float]) -> str:
    return f"  ratio {what} (medians): {statistics.median(ours) / statistics.median(theirs):.2f}x (target <= 1.0x)"


def main(n: int = 15) -> None:
    if n < 10:
        raise SystemExit("give N >= 10")
    scepclient = require_binary("scepclient", "scep")
    with tempfile.TemporaryDirectory() as tmp_name, ScepServer(Path(tmp_name) / "ca", CHALLENGE) as ca:
        tmp = Path(tmp_name)
        env = dict(os.environ)
        env.pop("PKITUI_STORE", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # time the program, not the bytecode compiler
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        fingerprint = x509.load_pem_x509_certificate(ca.ca_pem_path.read_bytes()).fingerprint(hashes.SHA256()).hex()
        script = tmp / "seed.ios"
        script.write_text(seed_script(ca.url, fingerprint))

        def ours_enroll(i: int) -> float:
            store = tmp / f"store{i}"
            shutil.rmtree(store, ignore_errors=True)
            return timed([PY, "-m", "pkitui", "exec", "--store", str(store), str(script)], env,
                         must_succeed(f"pkitui exec seed flow {i}"))

        def theirs_enroll(i: int) -> float:
            key, cert = tmp / f"key{i}.pem", tmp / f"cert{i}.pem"
            for path in (key, cert):
                path.unlink(missing_ok=True)
            return timed([scepclient, "-server-url", ca.url, "-private-key", str(key), "-certificate", str(cert),
                          "-cn", f"scepclient{i}", "-challenge", CHALLENGE, "-keySize", "2048"], env,
                         must_succeed(f"scepclient {i}"))

        show_store = tmp / "store-show"
        ours_enroll_times: list[float] = []
        theirs_enroll_times: list[float] = []
        ours_enroll(-1)
        theirs_enroll(-1)
        shutil.copytree(tmp / "store-1", show_store)  # keys, a trustpoint, CA and device certificates
        for i in range(n):
            ours_enroll_times.append(ours_enroll(i))
            theirs_enroll_times.append(theirs_enroll(i))

        def ours_show() -> float:
            def check(proc: subprocess.CompletedProcess[str]) -> None:
                must_succeed("pkitui exec show running-config")(proc)
                if "certificate ca" not in proc.stdout:
                    raise SystemExit("show running-config printed no certificate chain: the store is not the one meant")
            return timed([PY, "-m", "pkitui", "exec", "--store", str(show_store), "-c", "show running-config"],
                         env, check)

        def theirs_show() -> float:
            return timed([PY, "-c", "import cryptography.x509"], env,
                         must_succeed("python -c import cryptography.x509"))

        ours_show_times: list[float] = []
        theirs_show_times: list[float] = []
        ours_show()
        theirs_show()
        for _ in range(n):
            ours_show_times.append(ours_show())
            theirs_show_times.append(theirs_show())

    print("seed flow as a whole process (keygen 2048, authenticate, enroll, save):")
    print(summary("pkitui exec", ours_enroll_times))
    print(summary("scepclient (new 2048-bit key)", theirs_enroll_times))
    print(ratio_line("pkitui/scepclient", ours_enroll_times, theirs_enroll_times))
    print("a show command on a store with keys, a trustpoint and certificates:")
    print(summary("pkitui exec -c 'show running-config'", ours_show_times))
    print(summary("python -c 'import cryptography.x509'", theirs_show_times))
    print(ratio_line("show/import cryptography.x509", ours_show_times, theirs_show_times))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
