"""Peers' public keys: named-key / addressed-key, key-string in IOS hex or PEM, removal, lookup."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pkitui.core.errors import ConfigError, KeyPairError
from pkitui.core.keys import ios_hex_lines, public_der, public_pem
from pkitui.core.pki import Pki
from pkitui.core.pubkey_chain import parse_key_string


@pytest.fixture(scope="module")
def peer() -> rsa.RSAPublicKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()


@pytest.fixture
def pki(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pki:
    monkeypatch.delenv("PKITUI_PASSPHRASE", raising=False)
    return Pki.open(tmp_path / "store")


def test_ios_hex_key_string_with_quit(peer: rsa.RSAPublicKey) -> None:
    text = "\n".join("  " + line for line in ios_hex_lines(public_der(peer))) + "\n  quit\n"
    assert parse_key_string(text) == public_der(peer)


def test_hex_in_lower_case_without_spaces(peer: rsa.RSAPublicKey) -> None:
    assert parse_key_string(public_der(peer).hex()) == public_der(peer)


def test_pem_key_string(peer: rsa.RSAPublicKey) -> None:
    assert parse_key_string(public_pem(peer)) == public_der(peer)


def test_pkcs1_pem_is_normalised_to_spki(peer: rsa.RSAPublicKey) -> None:
    pkcs1 = peer.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    assert parse_key_string(pkcs1) == public_der(peer)


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("30819F30 0D06092A 864886F7 0D0101XZ", "'X' is not a hex digit"),
        ("30819F30 0D06092A 864886F7 0D01010", "odd number of hex digits"),
        ("DEADBEEF", "not a DER public key"),
        ("", "no key data"),
        ("quit", "no key data"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "PEM public key cannot be read"),
    ],
)
def test_bad_key_strings_name_the_problem(text: str, part: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_key_string(text)
    assert part in info.value.message
    assert info.value.hint


def test_non_rsa_keys_are_refused() -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    with pytest.raises(ConfigError, match="only RSA"):
        parse_key_string(ec_pem)


def test_named_and_addressed_keys(pki: Pki, peer: rsa.RSAPublicKey) -> None:
    chain = pki.pubkey_chain
    named = chain.add("named", "peer1.example.com", "encryption")
    chain.set_key(named, public_pem(peer))
    addressed = chain.add("addressed", "10.0.0.1")
    chain.set_key(addressed, " ".join(ios_hex_lines(public_der(peer))))
    assert chain.add("named", "PEER1.example.com", "encryption") is named  # re-entering edits the same entry
    assert [(k.kind, k.name, k.usage) for k in chain.lookup()] == [
        ("named", "peer1.example.com", "encryption"),
        ("addressed", "10.0.0.1", "general"),
    ]
    assert chain.lookup(name="peer1.example.com") == [named]
    assert chain.lookup(address="10.0.0.1") == [addressed]
    assert named.der == addressed.der == public_der(peer)


def test_ipv6_addresses_are_normalised(pki: Pki) -> None:
    entry = pki.pubkey_chain.add("addressed", "2001:DB8:0::1")
    assert entry.name == "2001:db8::1"
    assert pki.pubkey_chain.lookup(address="2001:db8:0:0::1") == [entry]
    assert pki.pubkey_chain.remove("addressed", "2001:DB8::1") == [entry]


def test_bad_entries_are_refused(pki: Pki) -> None:
    with pytest.raises(ConfigError, match="invalid address '10.0.0'"):
        pki.pubkey_chain.add("addressed", "10.0.0")
    with pytest.raises(ConfigError, match="unknown key usage 'both'"):
        pki.pubkey_chain.add("named", "p", "both")
    with pytest.raises(ConfigError, match="invalid named-key name"):
        pki.pubkey_chain.add("named", "two words")
    assert pki.pubkey_chain.lookup() == []


def test_a_failed_key_string_leaves_the_entry_unchanged(pki: Pki, peer: rsa.RSAPublicKey) -> None:
    entry = pki.pubkey_chain.add("named", "p")
    pki.pubkey_chain.set_key(entry, public_pem(peer))
    with pytest.raises(ConfigError):
        pki.pubkey_chain.set_key(entry, "ZZ")
    assert entry.der == public_der(peer)


def test_no_named_key_and_no_addressed_key(pki: Pki) -> None:
    chain = pki.pubkey_chain
    chain.add("named", "p", "signature")
    chain.add("named", "p", "encryption")
    chain.add("addressed", "10.0.0.1")
    assert len(chain.remove("named", "p", "signature")) == 1
    assert [k.usage for k in chain.lookup(name="p")] == ["encryption"]
    chain.remove("named", "p")
    chain.remove("addressed", "10.0.0.1")
    assert chain.lookup() == []
    with pytest.raises(KeyPairError) as info:
        chain.remove("named", "p")
    assert "named-key 'p'" in info.value.message and info.value.hint


def test_peer_keys_survive_save_and_count_in_nvram(pki: Pki, peer: rsa.RSAPublicKey) -> None:
    before = pki.nvram_usage().used["peer keys"]
    entry = pki.pubkey_chain.add("named", "p", "signature")
    pki.pubkey_chain.set_key(entry, public_pem(peer))
    assert pki.nvram_usage().used["peer keys"] >= before + len(public_der(peer))
    assert pki.dirty
    pki.save()
    (loaded,) = Pki.open(pki.store.root).pubkey_chain.lookup(name="p")
    assert (loaded.kind, loaded.name, loaded.usage, loaded.der) == ("named", "p", "signature", public_der(peer))
