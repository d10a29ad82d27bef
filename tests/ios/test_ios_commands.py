"""Every configuration command of issue 2, through a Session, with its ``no`` form."""

from __future__ import annotations

from pathlib import Path

import pytest

from ios_support import Recorder, peer_key_hex, recorder
from pkitui.core.pki import Pki
from pkitui.core.records import StoredCertificate
from pkitui.ios.registry import CERT_CHAIN, CONFIG, EXEC, PUBKEY_CHAIN, PUBKEY_KEY, TRUSTPOINT, USER_EXEC

SEED_SCRIPT = """\
Device> enable
Device# configure terminal
Device(config)# hostname device1
Device(config)# ip domain-name example.com
Device(config)# crypto key generate rsa usage-keys
Device(config)# crypto ca trustpoint ka
Device(ca-profile-enroll)# enrollment url http://entrust:81
Device(ca-profile-enroll)# enrollment command
Device(ca-profile-enroll)# exit
Device(config)# crypto pki trustpoint ka
Device(ca-trustpoint)# crl query ldap://bar.cisco.com:3899
Device(ca-trustpoint)# enrollment retry period 2
Device(ca-trustpoint)# enrollment retry count 8
Device(ca-trustpoint)# revocation-check crl ocsp
Device(ca-trustpoint)# root tftp server1 file1
Device(ca-trustpoint)# enrollment http-proxy host2 8080
Device(ca-trustpoint)# end
"""


@pytest.fixture
def rec(tmp_path: Path) -> Recorder:
    return recorder(tmp_path / "store")


def test_seed_example_lines(rec: Recorder) -> None:
    out = rec.ok(SEED_SCRIPT)
    assert "The name for the keys will be: device1.example.com" in out
    pki = rec.pki
    assert pki.fqdn == "device1.example.com"
    assert sorted(pki.config.key_pairs) == ["device1.example.com#encryption", "device1.example.com#signature"]
    tp = pki.trustpoints.get("ka")
    assert tp.enrollment_url == "http://entrust:81"
    assert tp.enrollment_command == "/cgi-bin/pkiclient.exe"
    assert tp.crl_query == "ldap://bar.cisco.com:3899"
    assert (tp.enrollment_retry_period, tp.enrollment_retry_count) == (2, 8)
    assert tp.revocation_check == ["crl", "ocsp"]
    assert tp.root_tftp == ("server1", "file1")
    assert tp.enrollment_http_proxy == ("host2", 8080)
    assert rec.session.mode == EXEC


def test_modes_and_prompts(rec: Recorder) -> None:
    s = rec.session
    s.stack = [(USER_EXEC, None)]
    assert s.prompt == "Device>"
    rec.ok("enable")
    assert s.prompt == "Device#"
    rec.ok("configure terminal\nhostname r1")
    assert s.prompt == "r1(config)#"
    rec.ok("crypto pki trustpoint ka")
    assert (s.mode, s.prompt) == (TRUSTPOINT, "r1(ca-trustpoint)#")
    rec.ok("exit")
    assert s.mode == CONFIG
    rec.ok("crypto key pubkey-chain rsa\nnamed-key peer1")
    assert (s.mode, s.prompt) == (PUBKEY_KEY, "r1(config-pubkey-key)#")
    rec.ok("exit")
    assert s.mode == PUBKEY_CHAIN
    rec.ok("end")
    assert s.mode == EXEC
    rec.ok("crypto pki certificate chain ka")  # exec → implicit configure terminal
    assert (s.mode, s.context) == (CERT_CHAIN, "ka")
    rec.ok("end\ndisable")
    assert s.mode == USER_EXEC
    rec.ok("exit")
    assert s.closed


def test_submode_leaves_for_global_command(rec: Recorder) -> None:
    rec.ok("conf t\ncrypto pki trustpoint a\n enrollment url http://a\n crypto pki trustpoint b\n enrollment url http://b")
    assert rec.pki.trustpoints.get("a").enrollment_url == "http://a"
    assert rec.pki.trustpoints.get("b").enrollment_url == "http://b"


def test_hostname_and_domain_no_forms(rec: Recorder) -> None:
    rec.ok("conf t\nhostname r2\nip domain name example.org")
    assert rec.pki.fqdn == "r2.example.org"
    rec.ok("no ip domain-name\nno hostname")
    assert rec.pki.config.identity.hostname is None and rec.pki.config.identity.domain_name is None
    err = rec.fail("hostname -bad-")
    assert err[0].startswith("% invalid hostname") and "DNS label" in err[1]


def test_generate_needs_identity_and_validates_modulus(rec: Recorder) -> None:
    err = rec.fail("crypto key generate rsa")
    assert "hostname" in err[0] and err[1] == "Configure it with: hostname NAME"
    rec.ok("hostname r1")
    assert "ip domain-name" in rec.fail("crypto key generate rsa")[1]
    err = rec.fail("crypto key generate rsa label k modulus 512")
    assert "modulus 512 is out of range" in err[0] and "1024 to 4096" in err[1]
    assert rec.fail("crypto key generate rsa label k modulus 8192")


def test_generate_general_usage_label_modulus_exportable(rec: Recorder) -> None:
    rec.ok("conf t\nhostname r1\nip domain-name example.com\ncrypto key generate rsa general-keys")
    [pair] = rec.pki.keys.list("r1.example.com")
    assert (pair.usage, pair.modulus, pair.exportable) == ("general", 2048, False)
    rec.ok("crypto key generate rsa exportable modulus 1024 label vpn usage-keys")
    pairs = rec.pki.keys.list("vpn")
    assert sorted(p.usage for p in pairs) == ["encryption", "signature"]
    assert all(p.modulus == 1024 and p.exportable for p in pairs)


def test_regenerate_existing_label_asks(tmp_path: Path) -> None:
    answers: list[bool | None] = [False, True]
    rec = recorder(tmp_path, confirm=lambda prompt: answers.pop(0))
    rec.ok("crypto key generate rsa label k modulus 1024")
    first = rec.pki.keys.list("k")[0].public_der
    out = rec.ok("crypto key generate rsa label k modulus 1024")  # answered no
    assert "% Keys not replaced." in out and rec.pki.keys.list("k")[0].public_der == first
    rec.ok("crypto key generate rsa label k modulus 1024")  # answered yes
    assert rec.pki.keys.list("k")[0].public_der != first


def test_regenerate_in_script_fails_unless_forced(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    rec.ok("crypto key generate rsa label k modulus 1024")
    err = rec.fail("crypto key generate rsa label k modulus 1024")
    assert "already have RSA keys" in err[0] and "--force" in err[1]
    rec.session.force = True
    rec.ok("crypto key generate rsa label k modulus 1024")


def test_generate_validates_label_and_modulus_before_asking_or_announcing(tmp_path: Path) -> None:
    asked: list[str] = []
    rec = recorder(tmp_path, confirm=lambda prompt: asked.append(prompt) or True)
    rec.ok("crypto key generate rsa label k modulus 1024")
    assert "out of range" in rec.fail("crypto key generate rsa label k modulus 512")[0]
    assert "invalid key label" in rec.fail("crypto key generate rsa label ../k")[0]
    assert not asked and not any("will be" in line for line in rec.out)


def test_zeroize_one_and_all_with_follow_ups(rec: Recorder) -> None:
    rec.ok("crypto key generate rsa label a modulus 1024\ncrypto key generate rsa label b modulus 1024")
    rec.pki.config.certificates.append(StoredCertificate(trustpoint="ka", role="device", sha256="AB" * 32,
                                                         der=b"x", key_id="a"))
    rec.session.force = True  # IOS asks first (test_zeroize_asks_as_ios_does); --force answers yes
    out = rec.ok("crypto key zeroize rsa a")
    assert rec.pki.keys.labels() == ["b"]
    assert any("revoke" in line and "challenge password" in line for line in out)
    assert any("no certificate" in line for line in out)
    assert any("orphaned" in line for line in out) and rec.pki.config.certificates[0].orphaned
    rec.ok("crypto key zeroize rsa")
    assert rec.pki.config.key_pairs == {}
    assert "% Key pair 'zz' does not exist" in rec.fail("crypto key zeroize rsa zz")[0]


def test_zeroize_asks_as_ios_does(tmp_path: Path) -> None:
    answers: list[bool] = []
    asked: list[str] = []
    rec = recorder(tmp_path / "store", confirm=lambda prompt: asked.append(prompt) or answers.pop(0))
    rec.ok("crypto key generate rsa label a modulus 1024\ncrypto key generate rsa label b modulus 1024")
    rec.pki.config.certificates.append(StoredCertificate(trustpoint="ka", role="device", sha256="AB" * 32,
                                                         der=b"x", key_id="a"))
    answers.append(False)
    assert rec.ok("crypto key zeroize rsa a") == ["% Keys not removed."]
    assert asked[-1] == ("% Keys to be removed are named 'a'.\n"
                         "% 1 certificate(s) issued for these keys will be marked orphaned.\n"
                         "Do you really want to remove these keys? [yes/no]: ")
    assert rec.pki.keys.labels() == ["a", "b"]
    answers.append(True)
    rec.ok("crypto key zeroize rsa")
    assert asked[-1] == ("% All keys will be removed.\n% 1 certificate(s) issued for these keys will be marked "
                         "orphaned.\nDo you really want to remove these keys? [yes/no]: ")
    assert rec.pki.config.key_pairs == {}
    script = recorder(tmp_path / "other")  # nobody to answer: refused, nothing removed
    script.ok("crypto key generate rsa label c modulus 1024")
    err = script.fail("crypto key zeroize rsa c")
    assert "Nobody can confirm" in err[0] and "--force" in err[-1] and script.pki.keys.labels() == ["c"]


def test_pubkey_chain_named_and_addressed_keys(rec: Recorder) -> None:
    hex_lines, der = peer_key_hex()
    rec.ok("conf t\ncrypto key pubkey-chain rsa\n named-key otherpeer.example.com\n  key-string\n"
           + "\n".join("   " + ln for ln in hex_lines.split("\n")) + "\n  quit\n"
           + " addressed-key 10.1.1.1 encryption\n  key-string\n" + hex_lines + "\nquit\nexit\n"
           + " addressed-key 10.1.1.2 signature")
    keys = rec.pki.pubkey_chain.lookup()
    assert [(k.kind, k.name, k.usage) for k in keys] == [
        ("named", "otherpeer.example.com", "general"), ("addressed", "10.1.1.1", "encryption"),
        ("addressed", "10.1.1.2", "signature")]
    assert keys[0].der == der and keys[1].der == der and keys[2].der is None
    rec.ok("end\nconf t\ncrypto key pubkey-chain rsa\nno named-key otherpeer.example.com\nno addressed-key 10.1.1.1")
    assert [k.name for k in rec.pki.pubkey_chain.lookup()] == ["10.1.1.2"]
    assert "No named-key" in rec.fail("no named-key otherpeer.example.com")[0]
    rec.ok("named-key spaced.example.com\nexit\nno named key spaced.example.com")  # the seed's spelling
    assert [k.name for k in rec.pki.pubkey_chain.lookup()] == ["10.1.1.2"]


def test_key_string_accepts_pem_and_rejects_junk(rec: Recorder) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from pkitui.core.keys import public_pem

    pem = public_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key())
    rec.ok("conf t\ncrypto key pubkey-chain rsa\nnamed-key p\nkey-string\n" + pem + "quit")
    assert rec.pki.pubkey_chain.lookup(name="p")[0].der
    rec.ok("named-key q\nkey-string\n0011 zz")
    err = rec.fail("quit")
    assert "is not a hex digit" in err[0]


def test_trustpoint_every_sub_command_and_no_forms(rec: Recorder) -> None:
    fp = "AB" * 32
    rec.ok(f"""conf t
crypto pki trustpoint tp1
 enrollment url https://ca.example.com:8443/scep
 enrollment command /scep
 enrollment mode ra
 enrollment retry period 60
 enrollment retry count 100
 enrollment http-proxy 10.0.0.1 3128
 crl query ldaps://ldap.example.com
 revocation-check ocsp crl none
 ocsp url http://ocsp.example.com
 root tftp 10.0.0.2:6969 ca.der
 fingerprint {fp[:8]} {fp[8:]}
 password s3cr3t
 rsakeypair vpn-keys
 subject-name CN=r1.example.com, O=Example Inc, C=US
 serial-number
 ip-address 192.0.2.7
""")
    tp = rec.pki.trustpoints.get("tp1")
    assert tp.enrollment_url == "https://ca.example.com:8443/scep" and tp.enrollment_command == "/scep"
    assert tp.enrollment_mode_ra and (tp.enrollment_retry_period, tp.enrollment_retry_count) == (60, 100)
    assert tp.enrollment_http_proxy == ("10.0.0.1", 3128) and tp.crl_query == "ldaps://ldap.example.com"
    assert tp.revocation_check == ["ocsp", "crl", "none"] and tp.ocsp_url == "http://ocsp.example.com"
    assert tp.root_tftp == ("10.0.0.2:6969", "ca.der") and tp.fingerprint == fp
    assert tp.password == "s3cr3t" and tp.rsakeypair == "vpn-keys"
    assert tp.subject_name == "CN=r1.example.com, O=Example Inc, C=US"
    assert tp.serial_number and tp.ip_address == "192.0.2.7"
    rec.ok("""no enrollment url
 no enrollment command
 no enrollment mode ra
 no enrollment retry period
 no enrollment retry count
 no enrollment http-proxy
 no crl query
 no revocation-check
 no ocsp url
 no root tftp
 no fingerprint
 no password
 no rsakeypair
 no subject-name
 no serial-number
 no ip-address""")
    assert rec.pki.trustpoints.get("tp1").to_doc() == type(tp)(name="tp1").to_doc()
    assert rec.pki.trustpoints.get("tp1").password is None


@pytest.mark.parametrize(("line", "words"), [
    ("enrollment url ftp://ca", ["scheme 'ftp'", "http://"]),
    ("enrollment url http://ca:0", ["port 0"]),
    ("enrollment retry period 61", ["out of range", "1 to 60"]),
    ("enrollment retry count 101", ["out of range", "0 to 100"]),
    ("enrollment http-proxy host2 70000", ["http-proxy port 70000 is out of range"]),
    ("crl query ftp://bar.cisco.com", ["crl query URL", "ldap://", "http://"]),
    ("revocation-check crl crl", ["twice"]),
    ("fingerprint 1234", ["invalid fingerprint"]),
    ("subject-name CN", ["invalid subject-name"]),
    ("ip-address 300.1.1.1", ["invalid ip-address"]),
    ("rsakeypair bad/label", ["invalid key label"]),
])
def test_trustpoint_values_are_validated(rec: Recorder, line: str, words: list[str]) -> None:
    rec.ok("conf t\ncrypto pki trustpoint tp1")
    text = "\n".join(rec.fail(line))
    for word in words:
        assert word in text


def test_revocation_check_rejects_unknown_method_with_caret(rec: Recorder) -> None:
    rec.ok("conf t\ncrypto pki trustpoint tp1")
    err = rec.fail("revocation-check crl foo")
    assert err[1].index("^") == err[0].index("foo")
    assert "crl, none, ocsp" in err[3]


def test_password_prompt_and_sealed_form(tmp_path: Path) -> None:
    rec = recorder(tmp_path / "a", ask_secret=lambda prompt: "typed-secret")
    rec.ok("conf t\ncrypto pki trustpoint tp1\npassword")
    assert rec.pki.trustpoints.get("tp1").password == "typed-secret"
    sealed = rec.pki.box.seal("other")
    rec.ok(f"password 7 {sealed}")
    assert rec.pki.trustpoints.get("tp1").password == "other"
    script = recorder(tmp_path / "b")
    script.ok("conf t\ncrypto pki trustpoint tp1")
    assert "in a script" in "\n".join(script.fail("password"))
    script.ok(f"password 7 {sealed}")  # another store's seal: a warning, and no password
    assert "sealed by another store" in script.err[-2] and script.pki.trustpoints.get("tp1").password is None


def test_no_trustpoint_removes_and_asks_when_enrolled(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    rec.ok("conf t\ncrypto ca trustpoint tp1\nexit\ncrypto pki trustpoint tp2\nexit")
    rec.ok("no crypto pki trustpoint tp1")
    assert [t.name for t in rec.pki.trustpoints.list()] == ["tp2"]
    rec.pki.config.certificates.append(StoredCertificate(trustpoint="tp2", role="ca", sha256="CD" * 32, der=b"x"))
    assert "Nobody can confirm" in rec.fail("no crypto ca trustpoint tp2")[0]
    rec.session.force = True
    out = rec.ok("no crypto ca trustpoint tp2")
    assert rec.pki.trustpoints.list() == [] and rec.pki.config.certificates == []
    assert any("ca certificate" in line for line in out)
    assert "does not exist" in rec.fail("no crypto pki trustpoint tp2")[0]


def test_query_mode_on_and_off(rec: Recorder) -> None:
    rec.ok("conf t\ncrypto ca certificate query")
    assert rec.pki.config.query_mode
    rec.ok("no crypto pki certificate query")
    assert not rec.pki.config.query_mode


@pytest.mark.parametrize("save", ["copy system:running-config nvram:startup-config", "write memory", "wr",
                                  "copy running-config startup-config"])
def test_save_persists_for_a_new_process(tmp_path: Path, save: str) -> None:
    rec = recorder(tmp_path)
    rec.ok("conf t\nhostname r7\ncrypto pki trustpoint ka\npassword pw1\nend")
    assert rec.pki.dirty
    out = rec.ok(save)
    assert out[0] == "Building configuration..." and out[1].startswith("[OK]")
    assert not rec.pki.dirty
    again = Pki.open(tmp_path)
    assert again.config.identity.hostname == "r7" and again.trustpoints.get("ka").password == "pw1"


def test_unsaved_changes_are_lost_without_save(tmp_path: Path) -> None:
    recorder(tmp_path).ok("hostname r8")
    assert Pki.open(tmp_path).config.identity.hostname is None


def test_do_runs_exec_commands_from_config(rec: Recorder) -> None:
    rec.ok("conf t\nhostname r1")
    out = rec.ok("do show running-config")
    assert "hostname r1" in out and rec.session.mode == CONFIG


def test_certificate_chain_needs_an_existing_trustpoint(rec: Recorder) -> None:
    assert "does not exist" in rec.fail("crypto pki certificate chain nope")[0]


def test_exit_in_exec_closes_the_session_and_says_what_was_skipped(rec: Recorder) -> None:
    rec.run("hostname r1\nend\nexit\n! comment\nhostname r2\nhostname r3")
    assert rec.pki.config.identity.hostname == "r1"
    assert rec.err == ["% The session was closed by 'exit' in exec mode: 2 line(s) not run."]


def test_a_mistyped_password_line_is_not_echoed_in_clear(tmp_path: Path) -> None:
    """Parse errors echo the line with a caret: a challenge password there would reach logs."""
    rec = recorder(tmp_path)
    rec.ok("crypto pki trustpoint t")
    lines = rec.fail("password my s3cret")
    text = "\n".join(lines)
    assert "s3cret" not in text and lines[0].endswith("password ********")
    assert lines[1].index("^") == lines[0].index("********")  # the caret points at the secret's mark
    assert rec.fail("password a b")[0] == lines[0], "one mark of one length: the echo does not tell the secret's length"
    assert "s3cret" not in "\n".join(rec.fail("no passw my s3cret"))
