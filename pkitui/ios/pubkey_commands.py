"""Peers' public keys: ``crypto key pubkey-chain rsa`` and its sub-modes, and their show."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pkitui.core.keys import ios_hex_lines, key_fingerprints
from pkitui.core.records import PeerKey
from pkitui.ios.grammar import Args
from pkitui.ios.registry import CONFIG, EXEC, PUBKEY_CHAIN, PUBKEY_KEY, USER_EXEC, command, running_config_section
from pkitui.ios.session import Session

if TYPE_CHECKING:
    from pkitui.core.pki import Pki

USAGE = "[encryption | signature]"
_USAGE_TEXT = {"general": "General Purpose", "encryption": "Encryption", "signature": "Signature"}


def _usage(args: Args) -> str | None:
    for word in ("encryption", "signature"):
        if word in args.words:
            return word
    return None


@command(CONFIG, "crypto key pubkey-chain rsa")
def pubkey_chain(session: Session, args: Args) -> None:
    """Enter public key chain mode, to enter peers' RSA public keys by hand."""
    session.enter(PUBKEY_CHAIN)


@command(PUBKEY_CHAIN, f"named-key NAME {USAGE}")
@command(PUBKEY_CHAIN, f"addressed-key ADDRESS {USAGE}")
def add_key(session: Session, args: Args) -> None:
    """A peer's key by name or by IP address; its key follows with ``key-string``."""
    kind = "named" if "named-key" in args.words else "addressed"
    entry = session.pki.pubkey_chain.add(kind, args.get("name") or args["address"], _usage(args) or "general")
    session.enter(PUBKEY_KEY, entry)


@command(PUBKEY_CHAIN, f"no named-key NAME {USAGE}")
@command(PUBKEY_CHAIN, f"no named key NAME {USAGE}")  # the seed's summary spells it so
@command(PUBKEY_CHAIN, f"no addressed-key ADDRESS {USAGE}")
def remove_key(session: Session, args: Args) -> None:
    """Delete a peer's public key."""
    kind = "addressed" if "addressed-key" in args.words else "named"
    for key in session.pki.pubkey_chain.remove(kind, args.get("name") or args["address"], _usage(args)):
        session.print(f"% Removed {key.kind}-key {key.name} ({_USAGE_TEXT[key.usage]})")


@command(PUBKEY_KEY, "key-string [HEX...]")
def key_string(session: Session, args: Args) -> None:
    """The key as IOS hex (or PEM) on the following lines, up to ``quit``."""
    entry: PeerKey = session.context
    first = args.get("hex", "")
    session.collect_block(lambda text: session.pki.pubkey_chain.set_key(entry, first + "\n" + text))


@command(PUBKEY_KEY, "no key-string")
def no_key_string(session: Session, args: Args) -> None:
    """Forget the key data of this entry (the entry stays)."""
    entry: PeerKey = session.context
    entry.der = None


def peer_json(key: PeerKey) -> dict[str, Any]:
    """A peer key as JSON-ready data."""
    return {
        "kind": key.kind,
        "name": key.name,
        "usage": key.usage,
        "der_hex": key.der.hex().upper() if key.der else None,
        "fingerprints": key_fingerprints(key.der) if key.der else None,
    }


@command((USER_EXEC, EXEC), "show crypto key pubkey-chain rsa [name NAME | address ADDRESS]")
def show_pubkey_chain(session: Session, args: Args) -> None:
    """The peers' public keys: a table, or one peer's key in detail."""
    chain = session.pki.pubkey_chain
    if "name" in args.words or "address" in args.words:
        keys = chain.lookup(name=args.get("name"), address=args.get("address"))
        lines: list[str] = []
        for key in keys:
            lines += [f"Key name: {key.name}" if key.kind == "named" else f"Key address: {key.name}",
                      f"Usage: {_USAGE_TEXT[key.usage]} Key", "Source: Manually entered", "Data:"]
            lines += ["  " + ln for ln in ios_hex_lines(key.der)] if key.der else ["  (no key-string yet)"]
            if key.der:
                lines.append(f"Fingerprint SHA256: {key_fingerprints(key.der)['sha256']}")
        if not keys:
            lines.append(f"% No key for {args.get('name') or args.get('address')} in the public key chain")
        session.show([peer_json(k) for k in keys], lines)
        return
    keys = chain.lookup()
    lines = ["Codes: M - Manually configured, C - Extracted from certificate", "",
             f"{'Code':<5}{'Usage':<17}{'IP-Address':<20}Name"]
    for key in keys:
        addr, name = (key.name, "") if key.kind == "addressed" else ("", key.name)
        lines.append(f"{'M':<5}{_USAGE_TEXT[key.usage]:<17}{addr:<20}{name}")
    session.show([peer_json(k) for k in keys], lines)


@running_config_section(60, "pubkey chain")
def render_pubkey_chain(pki: Pki) -> list[str]:
    """The ``crypto key pubkey-chain rsa`` block with each key-string (peers' public keys only)."""
    keys = pki.pubkey_chain.lookup()
    if not keys:
        return []
    lines = ["crypto key pubkey-chain rsa"]
    for key in keys:
        usage = "" if key.usage == "general" else f" {key.usage}"
        lines.append(f" {key.kind}-key {key.name}{usage}")
        if key.der:
            lines.append("  key-string")
            lines += ["   " + ln for ln in ios_hex_lines(key.der)]
            lines.append("  quit")
    return lines
