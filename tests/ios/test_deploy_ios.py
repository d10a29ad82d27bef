"""``crypto pki deploy [TP]`` (issue 11 item 5): IOS-style lines for what was written and run, and
an error line with what to do, against a certificate the real lab CA issued."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

from cryptography import x509

from ios_support import Recorder, recorder
from pkitui.lab import Lab


def _enrolled(lab: Lab, store: Path) -> Recorder:
    rec = recorder(store)
    lab.configure(rec.pki)
    rec.ok("crypto key generate rsa modulus 1024\ncrypto pki authenticate lab\nend")
    rec.pki.scep.enroll("lab")
    rec.pki.revocation.request_crl("lab")
    return rec


def test_deploy_prints_what_it_wrote_and_ran(lab: Lab, tmp_path: Path) -> None:
    rec = _enrolled(lab, tmp_path / "store")
    folder = tmp_path / "pem"
    rec.ok(f"crypto pki trustpoint lab\ndeploy pem {folder}\ndeploy command {sys.executable} -c pass\nend")
    out = rec.ok("crypto pki deploy lab")
    assert out[0] == (f"% Deployed lab: wrote {folder}/lab.key, {folder}/lab.crt, {folder}/lab-chain.pem, "
                      f"{folder}/lab-ca.crt, {folder}/lab.crl.pem")
    assert out[1:] == [f"% Ran: {sys.executable} -c pass"]
    assert rec.ok("crypto pki deploy") == ["% Deployed lab: nothing changed"]  # every configured trustpoint
    [doc] = rec.json("crypto pki deploy lab")
    assert doc["trustpoint"] == "lab" and doc["changed"] == [] and doc["command_ok"] is None


def test_a_failed_command_is_an_error_saying_it_is_retried(lab: Lab, tmp_path: Path) -> None:
    rec = _enrolled(lab, tmp_path / "store")
    code = "import sys; sys.exit('charon is not running')"
    rec.ok(f"crypto pki trustpoint lab\ndeploy pem {tmp_path / 'pem'}\n"
           f"deploy command {shlex.join([sys.executable, '-c', code])}\nend")
    err = rec.fail("crypto pki deploy lab")
    assert err == [f"% Deployment of lab failed: {shlex.join([sys.executable, '-c', code])}: "
                   "exited with status 1 (charon is not running); it runs again at the next deployment"]
    assert rec.out[0].startswith("% Deployed lab: wrote ")


def test_a_failed_deployment_fails_the_script_like_any_failing_command(lab: Lab, tmp_path: Path) -> None:
    """pkitui exec stops at it (exit 2: the error count is what exec's status is made of) and the
    next line never runs; with --continue the next line runs and the count still says 1 (exit 1)."""
    rec = _enrolled(lab, tmp_path / "store")
    rec.ok(f"crypto pki trustpoint lab\ndeploy pem {tmp_path / 'pem'}\n"
           f"deploy command {shlex.join([sys.executable, '-c', 'raise SystemExit(2)'])}\nend")
    rec.out.clear()
    assert rec.run("crypto pki deploy lab\nshow crypto pki timers") == 1
    assert not any("RENEW" in line or "CRL" in line for line in rec.out[1:]), rec.out  # the show never ran
    rec.out.clear()
    assert rec.run("crypto pki deploy lab\nshow crypto pki trustpoints", keep_going=True) == 2  # 1 more
    assert any(line.startswith("Trustpoint lab") for line in rec.out), rec.out


def test_a_refused_deployment_is_one_line_and_an_error(lab: Lab, tmp_path: Path) -> None:
    """Our certificate revoked at the CA: one line says it was refused, why, what was still written
    (peers need the CA certificate and CRL) and what to do; the line counts as a failure."""
    rec = _enrolled(lab, tmp_path / "store")
    folder = tmp_path / "pem"
    rec.ok(f"crypto pki trustpoint lab\ndeploy pem {folder}\nend")
    [info] = [i for i in rec.pki.certificates.list("lab") if i.role == "device"]
    assert info.der is not None
    serial = x509.load_der_x509_certificate(info.der).serial_number
    lab.scep.revoke(serial)
    deadline = time.monotonic() + 15
    while rec.pki.revocation.open_crl(rec.pki.revocation.request_crl("lab")).find(serial) is None:
        assert time.monotonic() < deadline, "the lab never republished its CRL"
        time.sleep(0.5)
    rec.out.clear()
    err = rec.fail("crypto pki deploy lab")
    assert len(err) == 1 and not rec.out, (err, rec.out)
    assert err[0].startswith(f"% Deployment of lab refused: our certificate serial {info.serial_hex} is revoked since ")
    assert err[0].endswith("; the CA certificate and CRL were written; enroll again: crypto pki enroll lab")
    assert rec.session.errors == 1
    assert rec.fail("crypto pki deploy lab")[0].endswith("; nothing else changed; enroll again: crypto pki enroll lab")


def test_without_a_deployment_it_says_how_to_configure_one(tmp_path: Path) -> None:
    rec = recorder(tmp_path / "store")
    rec.ok("crypto pki trustpoint lab\nend")
    assert rec.fail("crypto pki deploy") == [
        "% no trustpoint has a deployment configured",
        "Configure one: crypto pki trustpoint NAME, then deploy swanctl [DIR] or deploy pem DIR"]
    assert rec.fail("crypto pki deploy lab")[0] == "% trustpoint lab has no deployment configured"
