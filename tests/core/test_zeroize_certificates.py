"""crypto key zeroize rsa with the certificates bound to the keys (issue 10, point 5): orphaned by
default, removed in the same step when asked (IOS: "All router certs issued using these keys will
also be removed"); the keys leave the running configuration, NVRAM keeps them until a save."""

from __future__ import annotations

from pathlib import Path

from pkitui.core.pki import Pki
from pkitui.core.records import StoredCertificate


def _device(store: Path) -> Pki:
    pki = Pki.open(store)
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    pki.trustpoints.declare("tp")
    [pair] = pki.keys.generate(modulus=1024, label="vpn")
    pki.keys.generate(modulus=1024, label="other")
    pki.config.certificates += [StoredCertificate("tp", "device", "AB" * 32, key_id=pair.key_id),
                                StoredCertificate("tp", "device", "CD" * 32, key_id="other")]
    return pki


def test_zeroize_orphans_by_default_and_removes_when_asked(tmp_path: Path) -> None:
    pki = _device(tmp_path / "a")
    kept = pki.keys.zeroize("vpn")
    assert kept.orphaned_certificates == ["AB" * 32] and kept.removed_certificates == []
    assert any("Manually remove" in step for step in kept.follow_ups)
    pki = _device(tmp_path / "b")
    gone = pki.keys.zeroize("vpn", remove_certificates=True)
    assert gone.removed_certificates == ["AB" * 32] and gone.orphaned_certificates == []
    assert [c.sha256 for c in pki.config.certificates] == ["CD" * 32]  # the other key's stays
    assert not any("Manually remove" in step for step in gone.follow_ups)
    assert any("revoke" in step for step in gone.follow_ups)


def test_the_saved_keys_stay_in_nvram_until_the_next_save(tmp_path: Path) -> None:
    pki = _device(tmp_path / "c")
    pki.save()
    pki.keys.zeroize("vpn", remove_certificates=True)
    assert "vpn" in Pki.open(tmp_path / "c").config.key_pairs  # not saved yet: NVRAM keeps it
    pki.save()
    assert "vpn" not in Pki.open(tmp_path / "c").config.key_pairs
