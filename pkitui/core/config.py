"""The running configuration and its mapping to the store's tables."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pkitui.core.errors import StoreError
from pkitui.core.identity import Identity
from pkitui.core.keys import KeyPair, SavedKey
from pkitui.core.records import CertificateMapEntry, CrlRecord, PeerKey, PendingEnrollment, StoredCertificate
from pkitui.core.schema import DEFAULT_CAPACITY, SCHEMA_VERSION
from pkitui.core.secrets import SecretBox
from pkitui.core.store import Store
from pkitui.core.store_check import check_tables
from pkitui.core.trustpoints import Trustpoint
from pkitui.core.trustpoint_values import SEALED

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa



@dataclass
class RunningConfig:
    """Everything the device has in memory; ``Pki.save`` writes it to NVRAM."""

    identity: Identity = field(default_factory=Identity)
    query_mode: bool = False
    capacity: int = DEFAULT_CAPACITY
    key_pairs: dict[str, KeyPair] = field(default_factory=dict)
    peer_keys: list[PeerKey] = field(default_factory=list)
    certificate_maps: list[CertificateMapEntry] = field(default_factory=list)
    trustpoints: dict[str, Trustpoint] = field(default_factory=dict)
    certificates: list[StoredCertificate] = field(default_factory=list)
    crls: list[CrlRecord] = field(default_factory=list)
    pending: list[PendingEnrollment] = field(default_factory=list)
    ca_caps_seen: dict[str, list[str]] = field(default_factory=dict)


def key_file_name(pair: KeyPair) -> str:
    """Content-named private key file: the key id plus a digest of the public key (for a saved
    key pair, the file its record names: it was named so when written)."""
    if pair.saved is not None:
        return pair.saved.file
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", pair.key_id)
    return f"{safe}.{hashlib.sha256(pair.public_der).hexdigest()[:16]}.p8"


def _table(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(i + 1): doc for i, doc in enumerate(docs)}


def to_tables(config: RunningConfig, box: SecretBox | None) -> dict[str, dict[str, Any]]:
    """The running configuration as TinyDB tables (private keys referenced by file name only).

    Sealed passwords are re-sealed only when ``box`` is given; without it they are represented by
    a digest so two configurations can be compared without writing anything.
    """
    device = {
        "schema": SCHEMA_VERSION,
        "hostname": config.identity.hostname,
        "domain_name": config.identity.domain_name,
        "query_mode": config.query_mode,
        "capacity": config.capacity,
        "ca_caps_seen": {name: list(caps) for name, caps in config.ca_caps_seen.items()},
    }
    keys = [key_pair_doc(p) for p in config.key_pairs.values()]
    tps = []
    for tp in config.trustpoints.values():
        doc = tp.stored_doc()
        for name in SEALED:  # the challenge password, the deployed key's password
            secret = getattr(tp, name)
            if secret is not None:
                doc[f"{name}_sealed"] = (box.seal(secret) if box
                                         else "sha256:" + hashlib.sha256(secret.encode()).hexdigest())
        tps.append(doc)
    return {
        "device": {"1": device},
        "key_pairs": _table(keys),
        "peer_keys": _table([k.to_doc() for k in config.peer_keys]),
        "certificate_maps": _table([m.to_doc() for m in config.certificate_maps]),
        "trustpoints": _table(tps),
        "certificates": _table([c.to_doc() for c in config.certificates]),
        "crls": _table([c.to_doc() for c in config.crls]),
        "pending": _table([p.to_doc() for p in config.pending]),
    }


def from_tables(tables: dict[str, dict[str, Any]], store: Store, box: SecretBox) -> RunningConfig:
    """Rebuild the running configuration from saved tables, decrypting the private keys.

    A damaged table (a missing field, a wrong type) raises StoreError, never a bare KeyError.
    """
    check_tables(tables, store.root)
    try:
        return _from_tables(tables, store, box)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StoreError(
            f"the saved configuration in {store.root} is damaged ({type(exc).__name__}: {exc})",
            "Restore the store from a backup, or move it away to start afresh.",
        ) from None


def _from_tables(tables: dict[str, dict[str, Any]], store: Store, box: SecretBox) -> RunningConfig:
    device: dict[str, Any] = next(iter(tables.get("device", {}).values()), {})
    if device.get("schema", SCHEMA_VERSION) > SCHEMA_VERSION:
        raise StoreError("the store was written by a newer pkitui", "Upgrade pkitui to read it.")
    config = RunningConfig(
        identity=Identity(device.get("hostname"), device.get("domain_name")),
        query_mode=bool(device.get("query_mode", False)),
        capacity=int(device.get("capacity", DEFAULT_CAPACITY)),
        ca_caps_seen=dict(device.get("ca_caps_seen", {})),
    )
    for doc in tables.get("key_pairs", {}).values():
        pair = key_pair_from_doc(doc, store, box)
        config.key_pairs[pair.key_id] = pair
    config.peer_keys = [PeerKey.from_doc(d) for d in tables.get("peer_keys", {}).values()]
    config.certificate_maps = [CertificateMapEntry.from_doc(d) for d in tables.get("certificate_maps", {}).values()]
    for doc in tables.get("trustpoints", {}).values():
        tp = trustpoint_from_doc(doc, box)
        config.trustpoints[tp.name] = tp
    config.certificates = [StoredCertificate.from_doc(d) for d in tables.get("certificates", {}).values()]
    config.crls = [CrlRecord.from_doc(d) for d in tables.get("crls", {}).values()]
    config.pending = [PendingEnrollment.from_doc(d) for d in tables.get("pending", {}).values()]
    return config


def key_pair_from_doc(doc: dict[str, Any], store: Store, box: SecretBox) -> KeyPair:
    """A saved key pair record. Its private key file is read now (a missing one is refused at
    once) and decrypted on first use (a show command never pays for it)."""
    pem = store.read_private(doc["file"])

    def load() -> rsa.RSAPrivateKey:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        try:
            # Our own keys were validated when generated; skipping re-validation saves ~29 ms a key.
            key = serialization.load_pem_private_key(pem, box.password, unsafe_skip_rsa_key_validation=True)
        except (ValueError, TypeError):
            raise StoreError(
                f"cannot decrypt private key {doc['key_id']!r} (private/{doc['file']})",
                "Set PKITUI_PASSPHRASE to the passphrase the store was saved with, or restore "
                "private/ (with master.key) from the same backup as nvram.json.",
            ) from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise StoreError(f"private key {doc['key_id']!r} is not an RSA key")
        return key

    pair = KeyPair(label=doc["label"], usage=doc["usage"], created=doc["created"],
                   exportable=doc.get("exportable", False), imported=doc.get("imported", False),
                   saved=SavedKey(file=doc["file"], modulus=int(doc.get("modulus") or 0), load=load))
    if not doc.get("modulus"):
        pair.private_key  # noqa: B018 -- a record without its size: decrypt now to know it
    return pair


def write_key_file(store: Store, box: SecretBox, pair: KeyPair) -> None:
    """Write ``pair``'s private key to ``private/`` (PKCS#8 PEM, encrypted by ``box``) unless its
    file is there: files are named after their content, so an existing one is this key."""
    name = key_file_name(pair)
    if not store.has_private(name):
        from cryptography.hazmat.primitives import serialization

        store.write_private(name, pair.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, box.encryption()))


def key_pair_doc(pair: KeyPair) -> dict[str, Any]:
    """The saved record of a key pair (the private key itself lives in ``private/``)."""
    return {
        "key_id": pair.key_id,
        "label": pair.label,
        "usage": pair.usage,
        "modulus": pair.modulus,
        "created": pair.created,
        "exportable": pair.exportable,
        "file": key_file_name(pair),
    } | ({"imported": True} if pair.imported else {})  # how the pair came to be: generated unless said


def trustpoint_from_doc(doc: dict[str, Any], box: SecretBox) -> Trustpoint:
    """A saved trustpoint record, its challenge password unsealed."""
    tp = Trustpoint.from_doc(doc)
    for name in SEALED:
        if f"{name}_sealed" in doc:
            setattr(tp, name, box.open(doc[f"{name}_sealed"]))
    return tp
