"""What a zeroize will remove and orphan, answered by core for the console and pkitui exec."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import rsa

from pkitui.core.keys import KeyPair
from pkitui.core.previews import zeroize_preview
from pkitui.core.records import StoredCertificate


def test_zeroize_preview_lists_keys_of_the_label_and_bound_certificates() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pairs = {p.key_id: p for p in (KeyPair("a", "signature", key), KeyPair("a", "encryption", key),
                                    KeyPair("b", "general", key))}
    certs = [StoredCertificate("tp", "device", "AB" * 32, key_id="a#signature"),
             StoredCertificate("tp", "device", "CD" * 32, key_id="a#encryption", orphaned=True),
             StoredCertificate("tp", "device", "EF" * 32, key_id="b")]
    preview = zeroize_preview(pairs, certs, "a")
    assert preview.key_ids == ["a#signature", "a#encryption"]
    assert [c.sha256 for c in preview.orphans] == ["AB" * 32]  # already orphaned ones stay out
    assert preview.title == "Zeroize RSA key pair a?"
    assert preview.lines()[-2] == f"tp device certificate {'AB' * 8}… is bound to these keys"
    assert "erased from NVRAM at the next save" in preview.lines()[-1]
    everything = zeroize_preview(pairs, certs)
    assert len(everything.key_ids) == 3 and not everything.empty
    assert zeroize_preview({}, [], None).empty
