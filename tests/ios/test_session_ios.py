"""The IOS session itself (issue 12): output modifiers, modes and ``?``, terminal length, debug."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ios_support import Recorder, recorder
from pkitui.core import trace
from pkitui.core.scep.ca import fingerprints
from pkitui.core.scep.transport import ScepTransport
from pkitui.ios.registry import USER_EXEC
from pkitui.lab.scepserver import ScepServer
from scep_support import CHALLENGE
from servers.scep_responder import ScepResponder

CONFIG = """\
hostname r1
ip domain-name example.com
crypto pki trustpoint ka
 enrollment url http://ca.example.com:81
 revocation-check crl
crypto pki trustpoint kb
 enrollment url http://cb.example.com
end"""


@pytest.fixture
def rec(tmp_path: Path) -> Recorder:
    r = recorder(tmp_path)
    r.ok(CONFIG)
    return r


@pytest.fixture(autouse=True)
def no_trace_left() -> Iterator[None]:
    """The trace sink is process-wide: no test leaves one installed for the next."""
    yield
    trace.install(None)


def test_include_exclude_begin_count(rec: Recorder) -> None:
    full = rec.ok("show running-config")
    assert rec.ok("show running-config | include enrollment url") == [
        " enrollment url http://ca.example.com:81", " enrollment url http://cb.example.com"]
    assert rec.ok("show running-config | i ^crypto|^hostname") == [  # the rest of the line is the regex
        "hostname r1", "crypto pki trustpoint ka", "crypto pki trustpoint kb"]
    assert rec.ok("show running-config | exclude ^ |^!") == [line for line in full
                                                             if not line.startswith((" ", "!"))]
    begun = rec.ok("show running-config | begin trustpoint kb")
    assert begun[0] == "crypto pki trustpoint kb" and begun == full[full.index(begun[0]):]
    assert rec.ok("show running-config | count ^crypto") == ["Number of lines which match regexp = 2"]
    assert rec.ok("show running-config | count") == [f"Number of lines which match regexp = {len(full)}"]
    assert rec.ok("show run | inc nothing-matches") == []


def test_section_is_a_matching_line_and_its_indented_children(rec: Recorder) -> None:
    assert rec.ok("show running-config | section trustpoint ka") == [
        "crypto pki trustpoint ka", " enrollment url http://ca.example.com:81", " revocation-check crl"]
    # a child that matches brings its own (deeper) children only
    assert rec.ok("show running-config | section cb.example") == [" enrollment url http://cb.example.com"]


def test_every_show_command_takes_a_modifier_and_do_passes_it(rec: Recorder) -> None:
    assert rec.ok("show crypto pki trustpoints | count") != []
    assert rec.ok("show nvram usage | include ^NVRAM")[0].startswith("NVRAM capacity")
    rec.ok("configure terminal")
    assert rec.ok("do show running-config | include ^hostname") == ["hostname r1"]


def test_a_bad_modifier_or_regex_is_a_clear_error(rec: Recorder) -> None:
    err = rec.fail("show running-config | include (")
    assert err[0].startswith("% Invalid regular expression '(' after | include")
    assert "regular expression" in err[1]
    err = rec.fail("show running-config | grep x")
    assert err[0] == "Device#show running-config | grep x".replace("Device", "r1")
    assert err[1] == " " * len("r1#show running-config | ") + "^"
    assert err[2] == "% Invalid input detected at '^' marker."
    assert err[3] == "Expected: begin, count, exclude, include, section"
    assert rec.fail("show running-config | include") == ["% Incomplete command.", "Expected: LINE"]
    rec.session.json = True
    assert "--json" in rec.fail("show running-config | include x")[0]


def test_a_pipe_word_in_a_non_show_command_is_not_a_modifier(rec: Recorder) -> None:
    rec.ok("configure terminal\ncrypto pki trustpoint ka\n subject-name CN=a | b\nend")
    assert rec.pki.config.trustpoints["ka"].subject_name == "CN=a | b"


def test_question_mark_after_the_pipe_lists_the_modifiers(rec: Recorder) -> None:
    assert rec.ok("show running-config | ?") == [
        "  begin    Begin with the line that matches",
        "  count    Count number of lines which match regexp",
        "  exclude  Exclude lines that match",
        "  include  Include lines that match",
        "  section  Filter a section of output"]
    assert rec.ok("show running-config | s?") == ["  section  Filter a section of output"]
    assert rec.ok("show running-config | include ?") == ["  LINE  Regular Expression"]
    assert rec.ok("show running-config ?")[-2:] == ["  |     Output modifiers", "  <cr>"]
    assert rec.session.completions("show running-config | ex") == ["exclude"]


def test_question_mark_lists_what_the_mode_accepts(rec: Recorder) -> None:
    """A strict exec prompt lists exec commands only (as IOS); a sub-mode its own commands only
    (its parents' still run, as in IOS). Scripts: tests/ios/test_ios_help.py."""
    rec.session.implicit_configure = False
    exec_words = [line.split()[0] for line in rec.ok("?")]
    assert "configure" in exec_words and "hostname" not in exec_words and "end" not in exec_words
    show = next(line for line in rec.ok("?") if line.split()[0] == "show")
    assert show.split(None, 1)[1] == "Show running system information"  # IOS's help for a shared first word
    rec.ok("configure terminal")
    config_words = [line.split()[0] for line in rec.ok("?")]
    assert "hostname" in config_words and "configure" not in config_words and "show" not in config_words
    rec.ok("crypto pki trustpoint ka")
    tp_words = [line.split()[0] for line in rec.ok("?")]
    assert "enrollment" in tp_words and "hostname" not in tp_words and "exit" in tp_words


def test_en_is_enable_in_both_exec_modes(tmp_path: Path) -> None:
    rec = recorder(tmp_path, mode=USER_EXEC)
    assert rec.session.prompt == "Device>"
    rec.ok("en")
    assert rec.session.prompt == "Device#"
    rec.ok("en")  # 'end' in exec is hidden (typed in full only), so 'en' is not ambiguous
    assert rec.session.prompt == "Device#"
    rec.ok("end")  # still accepted in full: a show running-config fed back ends with it
    rec.ok("disable")
    assert rec.session.prompt == "Device>"


def test_config_commands_in_exec_are_refused_unless_implicit(tmp_path: Path) -> None:
    strict = recorder(tmp_path / "a", implicit_configure=False)
    err = strict.fail("hostname r1")
    assert err[:3] == ["Device#hostname r1", "^".rjust(len("Device#") + 1), "% Invalid input detected at '^' marker."]
    assert "configure terminal first" in err[3] and "--lenient" in err[3]
    assert strict.pki.config.identity.hostname is None
    strict.ok("configure terminal\nhostname r1\nend")
    assert strict.pki.config.identity.hostname == "r1"
    user = recorder(tmp_path / "b", mode=USER_EXEC)
    assert "type enable first" in user.fail("configure terminal")[-1]
    scripted = recorder(tmp_path / "c")  # scripts: the documented convenience stays
    scripted.ok("hostname r2")
    assert scripted.pki.config.identity.hostname == "r2" and scripted.session.prompt == "r2(config)#"


def test_terminal_length_is_accepted_and_remembered(rec: Recorder) -> None:
    rec.ok("terminal length 0")
    assert rec.ok("show terminal")[0] == "Length: 0 lines (no paging)"
    rec.ok("terminal length 40")
    assert rec.json("show terminal") == {"length": 40}
    rec.ok("terminal no length")
    assert rec.json("show terminal") == {"length": 24}
    assert rec.fail("terminal length 600")[2] == "% Invalid input detected at '^' marker."


def test_debug_switches(rec: Recorder) -> None:
    assert rec.ok("show debugging") == []
    assert rec.ok("debug crypto pki transactions") == ["Crypto PKI Trans debugging is on"]
    assert rec.ok("debug crypto pki messages") == ["Crypto PKI Msg debugging is on"]
    assert rec.ok("show debugging") == ["Cryptographic Subsystem:", "  Crypto PKI Trans debugging is on",
                                        "  Crypto PKI Msg debugging is on"]
    assert rec.ok("no debug crypto pki messages") == ["Crypto PKI Msg debugging is off"]
    assert trace.enabled(trace.TraceLevel.TRANSACTIONS) and not trace.enabled(trace.TraceLevel.MESSAGES)
    assert rec.ok("undebug all") == ["All possible debugging has been turned off"]
    assert rec.ok("show debugging") == [] and not trace.enabled(trace.TraceLevel.TRANSACTIONS)


def _lab_script(url: str, sha256: str) -> str:
    return "\n".join(["hostname r1", "ip domain-name example.com", "crypto key generate rsa modulus 1024",
                      "crypto pki trustpoint lab", f" enrollment url {url}", f" fingerprint {sha256}",
                      f" password {CHALLENGE}", "end"])


def test_debug_traces_the_scep_exchange_with_the_real_ca(scep_ca: ScepServer, tmp_path: Path) -> None:
    """Against scepserver: each step in IOS's CRYPTO_PKI: style, on err (stderr in pkitui exec),
    never the challenge password; off again after undebug all."""
    debug: list[str] = []
    rec = recorder(tmp_path, debug_out=debug.append)
    cert = x509.load_pem_x509_certificate(scep_ca.ca_pem_path.read_bytes())
    rec.ok(_lab_script(scep_ca.url, fingerprints(cert.public_bytes(serialization.Encoding.DER))["sha256"]))
    rec.ok("debug crypto pki transactions\ndebug crypto pki messages")
    rec.ok("crypto pki authenticate lab")
    sent = debug.index("CRYPTO_PKI: Sending CA Certificate Request:")
    assert debug[sent + 1].startswith("GET http://127.0.0.1:") and "operation=GetCACert&" in debug[sent + 1]
    assert "CRYPTO_PKI: http connection opened" in debug
    assert "CRYPTO_PKI: transaction GetCACert completed" in debug
    assert any(line.startswith("CRYPTO_PKI: received msg of ") and line.endswith(" bytes") for line in debug)
    assert any(line.startswith("CRYPTO_PKI: HTTP response header:") for line in debug)
    debug.clear()
    rec.ok("crypto pki enroll lab")
    assert "CRYPTO_PKI: transaction PKCSReq completed" in debug
    assert "CRYPTO_PKI: status = 100: certificate is granted" in debug
    assert "CRYPTO_PKI: signed attr: pki-message-type: CertRep" in debug
    assert "CRYPTO_PKI: signed attr: pki-status: SUCCESS" in debug
    assert not any(CHALLENGE in line for line in debug)
    rec.ok("undebug all")
    debug.clear()
    ScepTransport(rec.pki.config.trustpoints["lab"]).get_ca_caps()
    assert debug == []


def test_debug_shows_a_pending_status(tmp_path: Path) -> None:
    """PENDING comes from the test responder: the real scepserver grants at once."""
    debug: list[str] = []
    with ScepResponder(pending_polls=1, ra=False) as r:
        fp = fingerprints(r.ca_cert.public_bytes(serialization.Encoding.DER))["sha1"]
        rec = recorder(tmp_path, debug_out=debug.append)
        rec.ok(_lab_script(r.url, fp) + "\ncrypto pki trustpoint lab\n enrollment retry count 2\nend")
        rec.pki.scep.seconds_per_retry_minute = 0.01
        rec.ok("crypto pki authenticate lab\ndebug crypto pki transactions\ncrypto pki enroll lab")
    assert "CRYPTO_PKI: status = 102: certificate request pending" in debug
    assert "CRYPTO_PKI: transaction CertPoll completed" in debug  # RFC 8894's name (GetCertInitial before)
    assert debug.index("CRYPTO_PKI: status = 102: certificate request pending") < debug.index(
        "CRYPTO_PKI: status = 100: certificate is granted")
