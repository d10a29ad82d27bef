"""Peers' RSA public keys entered by hand (``crypto key pubkey-chain rsa``)."""

from __future__ import annotations

import ipaddress
import re

from pkitui.core.config import RunningConfig
from pkitui.core.errors import ConfigError, KeyPairError
from pkitui.core.keys import public_der
from pkitui.core.records import PeerKey, PeerKeyKind, PeerKeyUsage

PEER_USAGES = tuple(PeerKeyUsage)


def parse_key_string(text: str) -> bytes:
    """A public key from ``key-string`` input: IOS hex (spaces/newlines allowed, 'quit' ends it)
    or PEM. Returns SubjectPublicKeyInfo DER; raises ConfigError naming what was wrong."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    text = text.strip()
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError as exc:
            raise ConfigError(f"the PEM public key cannot be read: {exc}", "Paste the whole PEM block.") from None
    else:
        hexs = re.sub(r"\s+|quit$", "", text, flags=re.IGNORECASE)
        bad = re.search(r"[^0-9A-Fa-f]", hexs)
        if bad:
            raise ConfigError(f"key-string: {bad.group()!r} is not a hex digit",
                              "Give the key as hex (IOS style) or PEM.")
        if not hexs:
            raise ConfigError("key-string: no key data was given",
                              "Paste the key as hex (IOS style) or PEM, then quit.")
        if len(hexs) % 2:
            raise ConfigError("key-string: odd number of hex digits", "A key is whole bytes: check the last group.")
        try:
            key = serialization.load_der_public_key(bytes.fromhex(hexs))
        except ValueError:
            raise ConfigError("key-string: the hex is not a DER public key",
                              "Copy the 'Key Data' of show crypto key mypubkey rsa.") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigError("key-string: only RSA public keys are supported", "IOS pubkey-chain rsa holds RSA keys only.")
    return public_der(key)


def _normalize_address(address: str, *, strict: bool) -> str:
    """The canonical text of an IP address (``addressed-key``); ConfigError if ``strict``."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        if strict:
            raise ConfigError(f"invalid address {address!r}", "addressed-key takes an IP address.") from None
        return address


class PubkeyChain:
    """The peer public key chain."""

    def __init__(self, config: RunningConfig) -> None:
        self._config = config

    @property
    def keys(self) -> list[PeerKey]:
        """Every peer key."""
        return self._config.peer_keys

    def _find(self, kind: str, name: str, usage: str | None) -> list[PeerKey]:
        if kind == PeerKeyKind.ADDRESSED:
            name = _normalize_address(name, strict=False)
        return [k for k in self.keys
                if k.kind == kind and k.name.lower() == name.lower() and (usage is None or k.usage == usage)]

    def add(self, kind: str, name: str, usage: str = PeerKeyUsage.GENERAL) -> PeerKey:
        """``named-key NAME [encryption|signature]`` or ``addressed-key ADDRESS [...]``: an entry
        whose key is given by a following ``key-string``."""
        if kind not in tuple(PeerKeyKind):
            raise ConfigError(f"unknown peer key kind {kind!r}")
        if usage not in PEER_USAGES:
            raise ConfigError(f"unknown key usage {usage!r}", "Use encryption or signature (or nothing).")
        if kind == PeerKeyKind.ADDRESSED:
            name = _normalize_address(name, strict=True)
        elif not name or any(c.isspace() for c in name) or len(name) > 253:
            raise ConfigError(f"invalid named-key name {name!r}", "Give one word, e.g. named-key peer1.example.com")
        existing = self._find(kind, name, usage)
        if existing:
            return existing[0]
        entry = PeerKey(kind=PeerKeyKind(kind), name=name, usage=PeerKeyUsage(usage))
        self.keys.append(entry)
        return entry

    def set_key(self, entry: PeerKey, key_text: str) -> None:
        """``key-string``: set the entry's public key from hex or PEM text."""
        entry.der = parse_key_string(key_text)

    def remove(self, kind: str, name: str, usage: str | None = None) -> list[PeerKey]:
        """``no named-key NAME [usage]`` / ``no addressed-key ADDRESS [usage]``."""
        doomed = self._find(kind, name, usage)
        if not doomed:
            raise KeyPairError(f"No {kind}-key {name!r} in the public key chain",
                               "See: show crypto key pubkey-chain rsa")
        self._config.peer_keys = [k for k in self.keys if k not in doomed]
        return doomed

    def lookup(self, *, name: str | None = None, address: str | None = None) -> list[PeerKey]:
        """Entries by name or address (all when neither is given)."""
        if name is not None:
            return self._find(PeerKeyKind.NAMED, name, None)
        if address is not None:
            return self._find(PeerKeyKind.ADDRESSED, address, None)
        return list(self.keys)
