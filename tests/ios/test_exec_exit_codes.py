"""``pkitui exec`` exit statuses (0 done, 1 --continue with failures, 2 stopped at an error, 4 an
enrollment still PENDING after its retry count) and the order of stdout and stderr when both go to
one pipe or file. Real ``python -m pkitui`` processes; the PENDING CA is the test stand-in
``tests/servers/scep_responder.py`` (micromdm's scepserver never answers PENDING)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from pkitui.cli import EXIT_CODES, EXIT_ERRORS, EXIT_FAILED, EXIT_OK, EXIT_PENDING
from pkitui.core.scep.ca import fingerprints
from servers.scep_responder import ScepResponder

ROOT = Path(__file__).resolve().parents[2]

# ``enrollment retry period`` counts minutes (1-60): a real run would wait 60 s per poll. This
# runs the real pkitui.cli.main in a real process with the minute scaled to 0.05 s, nothing else.
FAST_MINUTES = (
    "import sys\n"
    "from pkitui.core.scep import service\n"
    "init = service.ScepService.__init__\n"
    "def fast(self, *a, **k):\n"
    "    init(self, *a, **k)\n"
    "    self.seconds_per_retry_minute = 0.05\n"
    "service.ScepService.__init__ = fast\n"
    "from pkitui.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def pkitui_exec(store: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", FAST_MINUTES, "exec", "--store", str(store), *args], input=stdin,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def device_script(url: str, fingerprint: str) -> str:
    return "\n".join(["hostname r1", "ip domain-name example.com", "crypto key generate rsa",
                      "crypto pki trustpoint lab", f" enrollment url {url}", f" fingerprint {fingerprint}",
                      " password s3cret", " enrollment retry count 1", " enrollment retry period 1", "exit",
                      "crypto pki authenticate lab"])


def test_enrollment_still_pending_after_the_retry_count_exits_4_and_resumes(tmp_path: Path) -> None:
    with ScepResponder(pending_polls=1000, ra=False) as r:
        fp = fingerprints(r.ca_cert.public_bytes(serialization.Encoding.DER))["sha256"]
        done = pkitui_exec(tmp_path, stdin=device_script(r.url, fp) + "\nwrite memory\ncrypto pki enroll lab\n")
        assert done.returncode == EXIT_PENDING, done.stderr
        assert "Traceback" not in done.stderr
        err = done.stderr
        assert "still pending" in err and "crypto pki enroll lab" in err and "exit status 4" in err
        assert "still pending" not in done.stdout  # stdout says what happened; stderr why the status is 4
        shown = pkitui_exec(tmp_path, "-c", "show crypto pki enrollments")
        assert shown.returncode == EXIT_OK and "lab" in shown.stdout and "No pending" not in shown.stdout
        # the CA decides: resuming the kept request gets the certificate, and the run exits 0
        r.pending_polls = 0
        resumed = pkitui_exec(tmp_path, "-c", "crypto pki enroll lab")
        assert resumed.returncode == EXIT_OK, resumed.stderr
        assert "Resuming" in resumed.stdout and "Certificate received" in resumed.stdout
        assert "No pending enrollments." in pkitui_exec(tmp_path, "-c", "show crypto pki enrollments").stdout


def test_a_failure_outranks_a_pending_enrollment(tmp_path: Path) -> None:
    """Status 4 means every command succeeded: a failing command still gives 1 or 2."""
    with ScepResponder(pending_polls=1000, ra=False) as r:
        fp = fingerprints(r.ca_cert.public_bytes(serialization.Encoding.DER))["sha256"]
        script = device_script(r.url, fp) + "\ncrypto pki enroll lab\nbogus command\n"
        assert pkitui_exec(tmp_path / "a", stdin=script).returncode == EXIT_FAILED
        kept_going = pkitui_exec(tmp_path / "b", "--continue", stdin=script)
        assert kept_going.returncode == EXIT_ERRORS and "still pending" in kept_going.stderr


def test_statuses_0_1_2(tmp_path: Path) -> None:
    assert pkitui_exec(tmp_path, "-c", "hostname r1").returncode == EXIT_OK
    stopped = pkitui_exec(tmp_path, "-c", "bogus", "-c", "hostname r2")
    assert stopped.returncode == EXIT_FAILED and "Invalid input" in stopped.stderr
    going = pkitui_exec(tmp_path, "--continue", "-c", "bogus", "-c", "hostname r2")
    assert going.returncode == EXIT_ERRORS
    both = pkitui_exec(tmp_path, "-c", "hostname r3", str(tmp_path / "script.ios"))
    assert both.returncode == EXIT_FAILED and "not both" in both.stderr  # bad usage


def test_the_table_is_in_help_and_in_the_readme() -> None:
    shown = subprocess.run([sys.executable, "-m", "pkitui", "exec", "--help"], capture_output=True, text=True,
                           cwd=ROOT, timeout=60).stdout
    readme = (ROOT / "README.md").read_text()
    for code, _text in EXIT_CODES:
        assert f"\n  {code:<4}" in shown, code
        assert f"| {code} |" in readme, f"README's exit status table lacks {code}"


SCRIPT = ["show crypto pki enrollments", "bogus", "show crypto pki trustpoints", "crypto pki trustpoint",
          "show crypto pki enrollments"]
EXPECTED = ["No pending enrollments.", "% Invalid input", "% No trustpoints", "% Incomplete command",
            "No pending enrollments.", "% Warning: the running configuration has unsaved changes"]


def _order(text: str) -> list[str]:
    """The expected markers in the order they appear in ``text``."""
    found = []
    for line in text.splitlines():
        found += [m for m in dict.fromkeys(EXPECTED) if line.startswith(m)]
    return found


def test_stdout_and_stderr_keep_the_order_of_events_in_one_pipe(tmp_path: Path) -> None:
    """With stdout block-buffered, as a cron job or `| tee` has it (PYTHONUNBUFFERED would hide the bug)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    args = [sys.executable, "-m", "pkitui", "exec", "--store", str(tmp_path), "--continue", "-c", "hostname r1"]
    args += [a for line in SCRIPT for a in ("-c", line)]
    piped = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, timeout=60,
                           env=env)
    assert piped.returncode == EXIT_ERRORS
    assert _order(piped.stdout) == EXPECTED, piped.stdout
    with open(tmp_path / "both.txt", "w") as both:  # a file, as `> both.txt 2>&1` gives
        assert subprocess.run(args, stdout=both, stderr=both, cwd=ROOT, timeout=60, env=env).returncode == EXIT_ERRORS
    text = (tmp_path / "both.txt").read_text()
    assert _order(text) == EXPECTED, text
