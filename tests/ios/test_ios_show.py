"""The show commands, in IOS text and as --json."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ios_support import Recorder, peer_key_hex, recorder
from pkitui.core.fingerprint import grouped
from pkitui.core.keys import key_fingerprints


@pytest.fixture
def rec(tmp_path: Path) -> Recorder:
    r = recorder(tmp_path / "store")
    r.ok("conf t\nhostname device1\nip domain-name example.com\ncrypto key generate rsa modulus 1024\n"
         "crypto key generate rsa usage-keys label vpn modulus 1024\nend")
    return r


def test_show_mypubkey_text(rec: Recorder) -> None:
    out = rec.ok("show crypto key mypubkey rsa")
    pair = rec.pki.keys.list("device1.example.com")[0]
    assert "Key name: device1.example.com" in out and " Usage: General Purpose Key" in out
    assert " Usage: Signature Key" in out and " Usage: Encryption Key" in out
    assert " Modulus: 1024 bits" in out and " Key is not exportable." in out
    assert f" Fingerprint SHA256: {grouped(key_fingerprints(pair.public_der)['sha256'])}" in out
    assert re.fullmatch(r"% Key pair was generated at: \d\d:\d\d:\d\d UTC [A-Z][a-z]{2} \d{1,2} \d{4}", out[0])
    data = out[out.index(" Key Data:") + 1]
    assert data.startswith("  30819F30 0D06092A") and len(data.split()) == 8
    assert not any("PRIVATE" in line for line in out)


def test_show_mypubkey_one_label_pem_and_json(rec: Recorder) -> None:
    out = rec.ok("show crypto key mypubkey rsa vpn pem")
    assert sum(1 for line in out if line.startswith("Key name: vpn")) == 2
    assert "  -----BEGIN PUBLIC KEY-----" in out and "device1.example.com" not in "\n".join(out)
    data = rec.json("show crypto key mypubkey rsa vpn")
    assert [d["usage"] for d in data] == ["signature", "encryption"]
    assert data[0]["modulus"] == 1024 and data[0]["pem"].startswith("-----BEGIN PUBLIC KEY")
    assert "private" not in str(data).lower()
    assert "does not exist" in rec.fail("show crypto key mypubkey rsa nosuch")[0]


def test_show_pubkey_chain_table_detail_and_json(rec: Recorder) -> None:
    hex_lines, der = peer_key_hex()
    rec.ok("conf t\ncrypto key pubkey-chain rsa\nnamed-key peer.example.com signature\nkey-string\n" + hex_lines
           + "\nquit\naddressed-key 209.165.202.129\nkey-string\n" + hex_lines + "\nquit\nend")
    out = rec.ok("show crypto key pubkey-chain rsa")
    assert out[0].startswith("Codes: M - Manually configured")
    assert any(line.split()[:2] == ["M", "Signature"] and line.endswith("peer.example.com") for line in out)
    assert any("209.165.202.129" in line and "General Purpose" in line for line in out)
    out = rec.ok("show crypto key pubkey-chain rsa address 209.165.202.129")
    assert out[0] == "Key address: 209.165.202.129" and out[4].strip() == hex_lines.split("\n")[0]
    out = rec.ok("show crypto key pubkey-chain rsa name peer.example.com")
    assert out[:2] == ["Key name: peer.example.com", "Usage: Signature Key"]
    data = rec.json("show crypto key pubkey-chain rsa")
    assert [(d["kind"], d["name"]) for d in data] == [("named", "peer.example.com"), ("addressed", "209.165.202.129")]
    assert data[0]["der_hex"] == der.hex().upper()
    assert rec.json("show crypto key pubkey-chain rsa name nobody") == []


def test_show_trustpoints_text_and_json(rec: Recorder) -> None:
    rec.ok("conf t\ncrypto pki trustpoint ka\nenrollment url http://entrust:81\nrevocation-check crl ocsp\n"
           "password secret99\nexit\ncrypto ca trustpoint kb\nend")
    out = rec.ok("show crypto pki trustpoints")
    assert out[0] == "Trustpoint ka:" and "    SCEP URL: http://entrust:81" in out
    assert "    Revocation check: crl ocsp" in out and "    Challenge password: configured" in out
    assert "Trustpoint kb:" in out and "secret99" not in "\n".join(out)
    assert any("Not authenticated" in line for line in out)
    data = rec.json("show crypto pki trustpoints")
    assert [d["name"] for d in data] == ["ka", "kb"]
    assert data[0]["password_set"] is True and "password" not in data[0] and not data[0]["authenticated"]
    assert rec.json("show crypto ca trustpoints kb")[0]["name"] == "kb"


def test_show_nvram_usage_text_and_json(rec: Recorder) -> None:
    out = rec.ok("show nvram usage")
    assert out[0].startswith("NVRAM capacity 524,288 bytes:")
    assert any(line.split()[:2] == ["own", "keys"] and "[#" in line for line in out)
    assert "% The running configuration has unsaved changes." in out
    rec.ok("conf t\ncrypto ca certificate query\nend\nwrite memory")
    out = rec.ok("show nvram usage")
    assert any("Query mode is on" in line for line in out)
    data = rec.json("show nvram usage")
    assert data["capacity"] == 524288 and data["query_mode"] is True and data["dirty"] is False
    assert data["used"]["own keys"] > 0 and data["total"] == sum(data["used"].values())


def test_show_running_config_has_no_private_keys(rec: Recorder) -> None:
    hex_lines, _ = peer_key_hex()
    rec.ok("conf t\ncrypto key pubkey-chain rsa\nnamed-key peer\nkey-string\n" + hex_lines + "\nquit\nend")
    out = rec.ok("show running-config")
    text = "\n".join(out)
    assert "hostname device1" in out and "ip domain-name example.com" in out and out[-1] == "end"
    assert " named-key peer" in out and "  key-string" in out and "  quit" in out
    for pair in rec.pki.config.key_pairs.values():
        assert pair.public_der.hex().upper()[:64] not in text.replace(" ", "").replace("\n", "")
    data = rec.json("show running-config")
    assert data["lines"][-1] == "end" and data["dirty"] is True


def test_shows_work_in_user_exec(rec: Recorder) -> None:
    rec.ok("disable")
    assert rec.ok("show crypto pki trustpoints") == ["% No trustpoints: declare one with crypto pki trustpoint NAME"]
    assert rec.fail("configure terminal")


def test_write_terminal_and_show_startup_config(rec: Recorder) -> None:
    assert rec.ok("write terminal") == rec.ok("show running-config")
    assert rec.ok("show startup-config") == ["% startup-config is not present (nothing saved yet)"]
    rec.ok("write memory\nconf t\nhostname changed\nend")
    startup = rec.ok("show startup-config")
    assert "hostname device1" in startup and "hostname changed" not in startup
    assert rec.json("show startup-config")["lines"][-1] == "end"
