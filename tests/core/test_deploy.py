"""Deployment (issue 11 item 5): a trustpoint's key, certificates and CRL written for a daemon,
against a certificate the real lab CA (micromdm scepserver) issued. The command after a change is
a real process (a small script counting its runs); the real swanctl is run by the IKEv2
end-to-end test, here the exact argv and environment the swanctl preset builds are asserted."""

from __future__ import annotations

import os
import stat
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ios_support import recorder
from pkitui.core.clock import FixedClock
from pkitui.core.deploy_command import failure_cause, run_one
from pkitui.core.deploy_plan import plan_for
from pkitui.core.errors import ConfigError
from pkitui.core.held import serial_hex
from pkitui.core.pki import Pki
from pkitui.core.trustpoint_options import OPTIONS_BY_KEY
from pkitui.ios.show_commands import running_config_lines
from pkitui.lab import Lab


@pytest.fixture
def enrolled(lab: Lab, lab_pki: Pki) -> Pki:
    """A device enrolled at the lab CA, the lab's CRL held."""
    lab_pki.keys.generate(modulus=1024)
    lab_pki.trustpoints.get("lab").set_fingerprint(lab.fingerprint)
    lab_pki.ca_trust.authenticate("lab")
    lab_pki.scep.enroll("lab")
    lab_pki.revocation.request_crl("lab")
    return lab_pki


def _device_certificate(pki: Pki) -> x509.Certificate:
    [info] = [i for i in pki.certificates.list("lab") if i.role == "device"]
    assert info.der is not None
    return x509.load_der_x509_certificate(info.der)


def _counting_command(tmp_path: Path, fail_flag: Path | None = None) -> tuple[str, Path]:
    """A command line that appends a line to a log per run, and fails while ``fail_flag`` exists."""
    log = tmp_path / "runs.log"
    script = tmp_path / "reload.py"
    flag = f"if os.path.exists({str(fail_flag)!r}): sys.exit(3)\n" if fail_flag else ""
    script.write_text("import os, sys\n" + flag +
                      f"open({str(log)!r}, 'a').write(os.environ.get('SWANCTL_DIR', '-') + '\\n')\n")
    return f"{sys.executable} {script}", log


def _runs(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_swanctl_preset_writes_each_file_with_its_mode(enrolled: Pki, tmp_path: Path) -> None:
    folder = tmp_path / "swanctl"
    tp = enrolled.trustpoints.get("lab")
    tp.set_deploy_swanctl(str(folder))
    command, log = _counting_command(tmp_path)
    tp.set_deploy_command(command)
    report = enrolled.deployment.deploy("lab")
    assert report.ok and report.refused is None and report.error is None, report
    key, cert, ca, crl = (folder / "private/lab.pem", folder / "x509/lab.pem", folder / "x509ca/lab-ca.pem",
                          folder / "x509crl/lab.crl")
    assert report.changed == [key, cert, ca, crl]
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert {stat.S_IMODE(p.stat().st_mode) for p in (cert, ca, crl)} == {0o644}
    device = _device_certificate(enrolled)
    assert x509.load_pem_x509_certificate(cert.read_bytes()) == device
    private = serialization.load_pem_private_key(key.read_bytes(), None)
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, unencrypted
    assert private.public_key().public_numbers() == device.public_key().public_numbers()  # type: ignore[union-attr]
    assert x509.load_pem_x509_certificate(ca.read_bytes()).subject == device.issuer
    assert x509.load_pem_x509_crl(crl.read_bytes()).issuer == device.issuer
    assert _runs(log) == 1 and log.read_text() == f"{folder}\n"  # the command sees SWANCTL_DIR
    assert report.command_ok is True and report.command == command.split()
    assert not [p for p in folder.rglob(".*")], "a temp file was left behind"
    # Created folders: the key's alone is private (it holds only the key); the others are readable.
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.parent.stat().st_mode) for p in (cert, ca, crl)} == {0o755}


def test_a_created_pem_folder_lets_other_users_read_the_certificates(enrolled: Pki, tmp_path: Path) -> None:
    """deploy pem DIR puts the key beside the certificates: DIR is created 0755 (the certificates
    are 0644 for a daemon's other users), the key alone stays 0600; its parents 0755, whatever the
    umask (the agent's unit runs with 0077); a folder that exists keeps its mode."""
    folder = tmp_path / "etc/ssl/vpn"
    enrolled.trustpoints.get("lab").set_deploy_pem(str(folder))
    old = os.umask(0o077)
    try:
        assert enrolled.deployment.deploy("lab").ok
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755 and stat.S_IMODE(folder.parent.stat().st_mode) == 0o755
    assert stat.S_IMODE((folder / "lab.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "lab.crt").stat().st_mode) == 0o644
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o750)
    enrolled.trustpoints.get("lab").set_deploy_pem(str(mine))
    assert enrolled.deployment.deploy("lab").ok and stat.S_IMODE(mine.stat().st_mode) == 0o750


def test_a_failed_command_is_reported_by_its_cause_not_its_usage_text() -> None:
    """swanctl without its charon: the cause is the connection line, not the last line of the usage
    text it prints after it, nor the plugins it could not load (swanctl 5.9.8's real output)."""
    output = ("plugin 'ldap': failed to load - ldap_plugin_create not found and no plugin file available\n"
              "connecting to 'unix:///var/run/charon.vici' failed: No such file or directory\n"
              "Error: connecting to 'default' URI failed: No such file or directory\n"
              "strongSwan 5.9.8 swanctl\nusage:\n  swanctl --flush-certs [--type x509|x509_ac|x509_crl]\n"
              "           --uri             (-u)  service URI to connect to\n")
    assert failure_cause(output) == ("connecting to 'unix:///var/run/charon.vici' failed: No such file or directory; "
                                     "Error: connecting to 'default' URI failed: No such file or directory")
    assert failure_cause("reload refused\nsee the log\n") == "reload refused"
    assert failure_cause("just one line\nand another\n") == "just one line"
    assert failure_cause("") == ""


def test_real_swanctl_without_charon_says_why(tmp_path: Path) -> None:
    """The real swanctl (strongswan-swanctl) against a vici socket nobody serves: the report names the
    connection that failed."""
    failure = run_one(["swanctl", "--load-creds", "--noprompt", "--uri", f"unix://{tmp_path}/none.vici"],
                      dict(os.environ, SWANCTL_DIR=str(tmp_path)))
    assert failure is not None and f"connecting to 'unix://{tmp_path}/none.vici' failed" in failure, failure
    assert "service URI to connect to" not in failure and "plugin" not in failure


def test_nothing_changed_nothing_written_nothing_run(enrolled: Pki, tmp_path: Path) -> None:
    folder = tmp_path / "pem"
    tp = enrolled.trustpoints.get("lab")
    tp.set_deploy_pem(str(folder))
    command, log = _counting_command(tmp_path)
    tp.set_deploy_command(command)
    first = enrolled.deployment.deploy("lab")
    assert sorted(p.name for p in first.changed) == ["lab-ca.crt", "lab-chain.pem", "lab.crl.pem", "lab.crt", "lab.key"]
    chain = (folder / "lab-chain.pem").read_bytes()
    assert chain == (folder / "lab.crt").read_bytes() + (folder / "lab-ca.crt").read_bytes()
    inodes = {p: p.stat().st_ino for p in first.changed}
    second = enrolled.deployment.deploy("lab")
    assert second.changed == [] and second.commands == [] and second.command_ok is None
    assert {p: p.stat().st_ino for p in first.changed} == inodes
    assert _runs(log) == 1
    # One file replaced behind our back: written again (atomically: a new inode), the command once more.
    (folder / "lab.crt").write_text("tampered\n")
    third = enrolled.deployment.deploy("lab")
    assert third.changed == [folder / "lab.crt"] and _runs(log) == 2
    assert (folder / "lab.crt").stat().st_ino != inodes[folder / "lab.crt"]
    # A mode changed behind our back is put right without a rewrite or a reload.
    os.chmod(folder / "lab.key", 0o644)
    assert enrolled.deployment.deploy("lab").changed == [] and _runs(log) == 2
    assert stat.S_IMODE((folder / "lab.key").stat().st_mode) == 0o600


def test_a_failing_command_is_run_again_at_the_next_deployment(enrolled: Pki, tmp_path: Path) -> None:
    flag = tmp_path / "daemon-down"
    flag.touch()
    command, log = _counting_command(tmp_path, fail_flag=flag)
    tp = enrolled.trustpoints.get("lab")
    tp.set_deploy_pem(str(tmp_path / "pem"))
    tp.set_deploy_command(command)
    first = enrolled.deployment.deploy("lab")
    assert first.command_ok is False and first.changed and not first.ok
    assert first.error is not None and "exited with status 3" in first.error and "runs again" in first.error
    # Nothing changed since, but the command is owed (across processes too: a new Pki on the store).
    enrolled.save()
    again = Pki.open(enrolled.store.root)
    again.trustpoints.get("lab").set_deploy_command(command)
    assert again.deployment.deploy("lab").command_ok is False
    flag.unlink()
    second = again.deployment.deploy("lab")
    assert second.changed == [] and second.command_ok is True and second.ok
    assert _runs(log) == 1  # the two failed runs wrote nothing
    third = again.deployment.deploy("lab")
    assert third.commands == [] and _runs(log) == 1


def test_our_revoked_certificate_is_refused(lab: Lab, enrolled: Pki, tmp_path: Path) -> None:
    folder = tmp_path / "swanctl"
    tp = enrolled.trustpoints.get("lab")
    tp.set_deploy_swanctl(str(folder))
    command, log = _counting_command(tmp_path)
    tp.set_deploy_command(command)
    lab.scep.revoke(_device_certificate(enrolled).serial_number)
    deadline = time.monotonic() + 15
    while True:  # the lab republishes its CRL when the index changes
        info = enrolled.revocation.request_crl("lab")
        if enrolled.revocation.open_crl(info).find(_device_certificate(enrolled).serial_number) is not None:
            break
        assert time.monotonic() < deadline, "the lab never republished its CRL"
        time.sleep(0.5)
    report = enrolled.deployment.deploy("lab")
    serial = serial_hex(_device_certificate(enrolled).serial_number)
    assert report.refused is not None
    assert report.refused.startswith(f"our certificate serial {serial} is revoked since ")
    assert report.remedy == "enroll again: crypto pki enroll lab" and report.written == ["ca", "crl"]
    assert not (folder / "private/lab.pem").exists() and not (folder / "x509/lab.pem").exists()
    # The CA and its CRL (which revokes us, and maybe peers) are still deployed.
    assert report.changed == [folder / "x509ca/lab-ca.pem", folder / "x509crl/lab.crl"] and _runs(log) == 1


def test_an_expired_certificate_is_refused(enrolled: Pki, tmp_path: Path) -> None:
    tp = enrolled.trustpoints.get("lab")
    tp.set_deploy_pem(str(tmp_path / "pem"))
    enrolled.save()
    later = FixedClock(_device_certificate(enrolled).not_valid_after_utc + timedelta(days=1))
    report = Pki.open(enrolled.store.root, clock=later).deployment.deploy("lab")
    assert report.refused is not None and "expired" in report.refused
    assert not (tmp_path / "pem/lab.key").exists() and not (tmp_path / "pem/lab.crt").exists()


def test_encrypted_key_and_overrides(enrolled: Pki, tmp_path: Path) -> None:
    """deploy key-password writes AES-encrypted PKCS#8; being salted, it is compared decrypted, so
    an unchanged key is not rewritten. deploy key/mode/owner override the preset's."""
    tp = enrolled.trustpoints.get("lab")
    tp.set_deploy_pem(str(tmp_path / "pem"))
    tp.set_deploy_file("key", str(tmp_path / "keys/vpn.key"))
    tp.set_deploy_key_password("k3y-passw0rd")
    tp.set_deploy_mode("0640")
    tp.set_deploy_owner("root:root")
    report = enrolled.deployment.deploy("lab")
    key = tmp_path / "keys/vpn.key"
    assert key in report.changed and not (tmp_path / "pem/lab.key").exists()
    assert key.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key.read_bytes(), None)
    serialization.load_pem_private_key(key.read_bytes(), b"k3y-passw0rd")
    assert {stat.S_IMODE(p.stat().st_mode) for p in report.changed} == {0o640}
    assert enrolled.deployment.deploy("lab").changed == []
    # A user or group this host does not have is refused when configured (the deployment would fail).
    with pytest.raises(ConfigError, match="this host has no user 'no-such-user-here'"):
        tp.set_deploy_owner("no-such-user-here")
    with pytest.raises(ConfigError, match="this host has no group 'no-such-group'"):
        tp.set_deploy_owner("root:no-such-group")
    assert tp.deploy_owner == "root:root"


def test_a_write_that_fails_is_reported(enrolled: Pki, tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("")
    enrolled.trustpoints.get("lab").set_deploy_pem(str(tmp_path / "not-a-folder"))
    report = enrolled.deployment.deploy("lab")
    assert report.error is not None and "cannot write" in report.error and "next deployment" in report.error


def test_swanctl_argv_and_environment(tmp_path: Path) -> None:
    """The preset's commands: --load-creds, after --flush-certs --type x509_crl when the CRL changed,
    through the vici URI; SWANCTL_DIR is the folder. Configured as the IKEv2 test does (pkitui exec)."""
    rec = recorder(tmp_path / "store")
    rec.ok("crypto pki trustpoint gw1\ndeploy swanctl /run/gw1/swanctl uri unix:///run/gw1/charon.vici\nend")
    plan = plan_for(rec.pki.trustpoints.get("gw1"))
    via = ["--uri", "unix:///run/gw1/charon.vici"]
    assert plan.commands(False) == [["swanctl", "--load-creds", "--noprompt", *via]]
    assert plan.commands(True) == [["swanctl", "--flush-certs", "--type", "x509_crl", *via],
                                   ["swanctl", "--load-creds", "--noprompt", *via]]
    assert plan.env == {"SWANCTL_DIR": "/run/gw1/swanctl"}
    assert plan.paths.key == Path("/run/gw1/swanctl/private/gw1.pem") and plan.paths.chain is None
    rec.ok("crypto pki trustpoint gw2\ndeploy swanctl\nend")
    assert plan_for(rec.pki.trustpoints.get("gw2")).commands(False) == [["swanctl", "--load-creds", "--noprompt"]]
    assert plan_for(rec.pki.trustpoints.get("gw2")).env == {"SWANCTL_DIR": "/etc/swanctl"}


def test_running_config_round_trip(tmp_path: Path) -> None:
    """Every deploy option through show running-config and a pkitui exec script into the same store
    (the sealed key password opens again), then into another store (it cannot: said so)."""
    rec = recorder(tmp_path / "a")
    rec.ok("crypto pki trustpoint gw1\ndeploy swanctl /srv/swanctl uri unix:///run/charon.vici\n"
           "deploy chain /srv/chain.pem\ndeploy key-password k3y-passw0rd\ndeploy mode 640\n"
           "deploy owner root:ssl-cert\ndeploy command swanctl --load-creds 'x y'\nend")
    lines = running_config_lines(rec.pki)
    assert " deploy swanctl /srv/swanctl uri unix:///run/charon.vici" in lines
    assert " deploy mode 0640" in lines and " deploy command swanctl --load-creds 'x y'" in lines
    assert not any("k3y-passw0rd" in line for line in lines)
    assert any(line.startswith(" deploy key-password 7 ") for line in lines)
    rec.pki.save()
    same = recorder(tmp_path / "a")
    same.ok("\n".join(lines))
    assert same.pki.trustpoints.get("gw1") == rec.pki.trustpoints.get("gw1")
    other = recorder(tmp_path / "b")
    other.run("\n".join(lines), keep_going=True)
    assert other.pki.trustpoints.get("gw1").deploy_key_password is None
    assert any("deploy key-password 7' was sealed by another store" in e for e in other.err)


def test_bad_deploy_values_say_what_to_do(tmp_path: Path) -> None:
    rec = recorder(tmp_path / "store")
    rec.ok("crypto pki trustpoint gw1\ndeploy swanctl /etc/swanctl")  # stays in ca-trustpoint mode
    for line, said in (("deploy pem /srv/pem", "no deploy swanctl"), ("deploy key etc/x.key", "not an absolute path"),
                       ("deploy mode 0644", "every user of the host"), ("deploy mode 9", "invalid deploy mode"),
                       ("deploy command 'unterminated", "invalid deploy command"),
                       ("deploy key-password short", "8 to 128 characters"),
                       ("deploy swanctl /x uri http://h/", "unix://PATH or tcp://HOST:PORT")):
        err = rec.fail(line)
        assert any(said in e for e in err), (line, err)
    assert OPTIONS_BY_KEY["deploy_key_password"].secret


def test_usage_keys_deploy_the_signature_pair(lab: Lab, lab_pki: Pki, tmp_path: Path) -> None:
    """IKE authenticates by signing: of usage keys, the signature key and its certificate."""
    lab_pki.keys.generate(usage_keys=True, modulus=1024)
    lab_pki.trustpoints.get("lab").set_fingerprint(lab.fingerprint)
    lab_pki.ca_trust.authenticate("lab")
    lab_pki.scep.enroll("lab")
    lab_pki.trustpoints.get("lab").set_deploy_pem(str(tmp_path / "pem"))
    report = lab_pki.deployment.deploy("lab")
    assert report.error is None and report.refused is None, report
    [signature] = [i for i in lab_pki.certificates.list("lab") if i.role == "device" and i.usage == "Signature"]
    assert signature.der is not None
    cert = x509.load_pem_x509_certificate((tmp_path / "pem/lab.crt").read_bytes())
    assert cert == x509.load_der_x509_certificate(signature.der)
    key = serialization.load_pem_private_key((tmp_path / "pem/lab.key").read_bytes(), None)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]
    assert any("no CRL" in note for note in report.notes)
