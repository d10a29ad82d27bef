"""RSA key pairs: generate (general/usage keys, labels, modulus bounds, replace), zeroize, display."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from pkitui.core.errors import KeyPairError
from pkitui.core.keys import (
    ZEROIZE_FOLLOW_UPS,
    generate_key_pairs,
    ios_hex_lines,
    key_fingerprints,
    validate_modulus,
)
from pkitui.core.pki import Pki
from pkitui.core.records import StoredCertificate


@pytest.fixture
def pki(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pki:
    monkeypatch.delenv("PKITUI_PASSPHRASE", raising=False)
    pki = Pki.open(tmp_path / "store")
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    return pki


def _cert(key_id: str, tag: bytes = b"x") -> StoredCertificate:
    return StoredCertificate.from_der("ka", "device", b"fake-der-" + tag + key_id.encode(), key_id=key_id)


def test_general_keys_default_to_the_fqdn_label(pki: Pki) -> None:
    (pair,) = pki.keys.generate(modulus=1024)
    assert (pair.label, pair.usage, pair.key_id, pair.modulus) == ("r1.example.com", "general", "r1.example.com", 1024)
    assert pair.usage_text == "General Purpose Key"
    assert pki.keys.labels() == ["r1.example.com"]
    assert pki.keys.get("r1.example.com", "signature") is pair
    assert pki.keys.get("r1.example.com", "encryption") is pair


def test_usage_keys_make_a_signature_and_an_encryption_pair(pki: Pki) -> None:
    pairs = pki.keys.generate(usage_keys=True, label="vpn", modulus=1024)
    assert [(p.usage, p.key_id) for p in pairs] == [("signature", "vpn#signature"), ("encryption", "vpn#encryption")]
    assert pairs[0].public_der != pairs[1].public_der
    assert pki.keys.get("vpn", "signature") is pairs[0]
    assert pki.keys.get("vpn", "encryption") is pairs[1]
    assert [p.usage_text for p in pki.keys.list("vpn")] == ["Signature Key", "Encryption Key"]


def test_default_modulus_is_2048() -> None:
    (pair,) = generate_key_pairs("x", usage_keys=False)
    assert pair.modulus == 2048


def test_modulus_bounds_are_inclusive(pki: Pki) -> None:
    assert validate_modulus(1024) == 1024
    assert validate_modulus(4096) == 4096
    (pair,) = pki.keys.generate(label="big", modulus=4096)
    assert pair.modulus == 4096


@pytest.mark.parametrize("modulus", [512, 1016, 4104, 8192, 0, -2048])
def test_modulus_outside_1024_4096_is_refused_with_a_clear_message(pki: Pki, modulus: int) -> None:
    with pytest.raises(KeyPairError) as info:
        pki.keys.generate(label="k", modulus=modulus)
    assert info.value.message == f"modulus {modulus} is out of range"
    assert info.value.hint and "1024 to 4096" in info.value.hint
    assert pki.keys.list() == []


def test_modulus_must_be_whole_bytes() -> None:
    with pytest.raises(KeyPairError, match="multiple of 8"):
        validate_modulus(2047)


@pytest.mark.parametrize("label", ["bad label", "-x", "a/b", "", "x" * 65])
def test_bad_labels_are_refused(pki: Pki, label: str) -> None:
    with pytest.raises(Exception) as info:
        pki.keys.generate(label=label, modulus=1024)
    assert repr(label) in info.value.message  # type: ignore[attr-defined]


def test_existing_label_is_refused_unless_replaced(pki: Pki) -> None:
    (old,) = pki.keys.generate(label="k", modulus=1024)
    with pytest.raises(KeyPairError) as info:
        pki.keys.generate(label="k", modulus=1024)
    assert "already have RSA keys named k" in info.value.message
    assert info.value.hint and "zeroize" in info.value.hint and "--force" in info.value.hint
    assert pki.keys.list("k") == [old]
    new = pki.keys.generate(label="k", usage_keys=True, modulus=1024, replace=True)
    assert pki.keys.list("k") == new
    assert {p.usage for p in new} == {"signature", "encryption"}
    assert "k" not in pki.config.key_pairs  # the general pair it replaced is gone


def test_replacing_keys_orphans_their_certificates(pki: Pki) -> None:
    pki.keys.generate(label="k", modulus=1024)
    pki.keys.generate(label="other", modulus=1024)
    pki.config.certificates = [_cert("k"), _cert("other")]
    pki.keys.generate(label="k", modulus=1024, replace=True)
    assert [c.orphaned for c in pki.config.certificates] == [True, False]


def test_zeroize_all(pki: Pki) -> None:
    pki.keys.generate(modulus=1024)
    pki.keys.generate(label="vpn", usage_keys=True, modulus=1024)
    result = pki.keys.zeroize()
    assert sorted(result.removed) == ["r1.example.com", "vpn#encryption", "vpn#signature"]
    assert pki.keys.list() == []
    assert result.follow_ups == ZEROIZE_FOLLOW_UPS


def test_zeroize_one_label_marks_its_certificates_orphaned(pki: Pki) -> None:
    pki.keys.generate(modulus=1024)
    pki.keys.generate(label="vpn", usage_keys=True, modulus=1024)
    kept, sig, enc = _cert("r1.example.com"), _cert("vpn#signature"), _cert("vpn#encryption")
    pki.config.certificates = [kept, sig, enc]
    result = pki.keys.zeroize("vpn")
    assert sorted(result.removed) == ["vpn#encryption", "vpn#signature"]
    assert pki.keys.labels() == ["r1.example.com"]
    assert sorted(result.orphaned_certificates) == sorted([sig.sha256, enc.sha256])
    assert (kept.orphaned, sig.orphaned, enc.orphaned) == (False, True, True)
    assert len(pki.config.certificates) == 3  # marked, not deleted: the seed asks the admin to remove them
    again = pki.keys.zeroize()  # already orphaned certificates are not reported twice
    assert again.orphaned_certificates == [kept.sha256]


def test_zeroize_follow_ups_are_the_seeds(pki: Pki) -> None:
    pki.keys.generate(modulus=1024)
    follow_ups = " ".join(pki.keys.zeroize().follow_ups)
    assert "revoke" in follow_ups and "challenge password" in follow_ups
    assert "remove the device certificates" in follow_ups and "no certificate" in follow_ups


def test_zeroize_unknown_label_is_refused(pki: Pki) -> None:
    pki.keys.generate(modulus=1024)
    with pytest.raises(KeyPairError, match="'nope' does not exist"):
        pki.keys.zeroize("nope")
    assert len(pki.keys.list()) == 1


def test_zeroize_is_saved_and_the_key_file_collected(pki: Pki) -> None:
    pki.keys.generate(label="a", modulus=1024)
    pki.keys.generate(label="b", modulus=1024)
    pki.save()
    assert len(list(pki.store.private_dir.glob("*.p8"))) == 2
    pki.keys.zeroize("a")
    assert pki.dirty
    pki.save()
    files = list(pki.store.private_dir.glob("*.p8"))
    assert len(files) == 1 and files[0].name.startswith("b.")
    assert Pki.open(pki.store.root).keys.labels() == ["b"]


def test_unknown_label_and_usage_lookups_fail_clearly(pki: Pki) -> None:
    with pytest.raises(KeyPairError, match="'x' does not exist"):
        pki.keys.list("x")
    pki.keys.generate(label="s", usage_keys=True, modulus=1024)
    with pytest.raises(KeyPairError, match="no general key"):
        pki.keys.get("s", "general")


def test_exportable_flag_survives_save(pki: Pki) -> None:
    pki.keys.generate(label="e", modulus=1024, exportable=True)
    pki.save()
    (pair,) = Pki.open(pki.store.root).keys.list("e")
    assert pair.exportable


def test_keys_survive_save_and_reopen_identically(pki: Pki) -> None:
    made = pki.keys.generate(label="vpn", usage_keys=True, modulus=1024)
    pki.save()
    loaded = Pki.open(pki.store.root).keys.list("vpn")
    assert [(p.key_id, p.public_der, p.created) for p in loaded] == [(p.key_id, p.public_der, p.created) for p in made]
    assert loaded[0].private_key.private_numbers() == made[0].private_key.private_numbers()


def test_ios_hex_layout_and_fingerprints(pki: Pki) -> None:
    (pair,) = pki.keys.generate(modulus=1024)
    lines = ios_hex_lines(pair.public_der)
    assert all(len(line.split()) <= 8 for line in lines)
    assert all(len(word) == 8 for line in lines[:-1] for word in line.split())
    assert bytes.fromhex("".join(lines).replace(" ", "")) == pair.public_der
    assert "".join(lines) == "".join(lines).upper()
    fps = key_fingerprints(pair.public_der)
    assert fps["sha256"] == hashlib.sha256(pair.public_der).hexdigest().upper()
    assert (len(fps["md5"]), len(fps["sha1"])) == (32, 40)
    pem = pair.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert serialization.load_pem_public_key(pem).public_numbers() == pair.public_key.public_numbers()
