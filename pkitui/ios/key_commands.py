"""The device's own RSA key pairs: generate, zeroize, show crypto key mypubkey rsa."""

from __future__ import annotations

import time
from typing import Any

from pkitui.core.fingerprint import grouped
from pkitui.core.keys import KeyPair, ios_hex_lines, key_fingerprints, public_pem, validate_modulus
from pkitui.core.previews import zeroize_preview
from pkitui.core.trustpoint_values import validate_name
from pkitui.ios.format import ios_time
from pkitui.ios.grammar import Args
from pkitui.ios.registry import CONFIG, EXEC, USER_EXEC, command
from pkitui.ios.session import Session


@command(CONFIG, "crypto key generate rsa [general-keys | usage-keys | label LABEL | modulus BITS:int | exportable]*")
def generate(session: Session, args: Args) -> None:
    """Generate one general-purpose key pair, or signature + encryption pairs (usage-keys)."""
    pki = session.pki
    label = args.get("label") or pki.config.identity.require_fqdn("generating keys")
    modulus = validate_modulus(args.get("bits", 2048))  # before asking or announcing anything
    validate_name(label, "key label")
    usage_keys = False
    for word in args.kw:  # the last of general-keys / usage-keys wins
        if word in ("general-keys", "usage-keys"):
            usage_keys = word == "usage-keys"
    replace = False
    if pki.keys.exists(label):
        replace = session.confirm(f"% You already have RSA keys defined named {label}.\n"
                                  "% Do you really want to replace them? [yes/no]: ")
        if not replace:
            session.print("% Keys not replaced.")
            return
    session.print(f"The name for the keys will be: {label}")
    kind = "non-exportable" if "exportable" not in args.words else "exportable"
    started = time.monotonic()
    pairs = pki.keys.generate(usage_keys=usage_keys, label=args.get("label"), modulus=modulus,
                              exportable="exportable" in args.words, replace=replace)
    what = "Signature and Encryption Keys" if usage_keys else "General Purpose Keys"
    session.print(f"% Generating {modulus} bit RSA keys for {what}, keys will be {kind}...[OK] "
                  f"(elapsed time {time.monotonic() - started:.2f} seconds)")
    for pair in pairs:
        session.print(f"% Key pair {pair.key_id}: {pair.usage_text}, {pair.modulus} bits")


@command(CONFIG, "crypto key zeroize rsa [LABEL]")
def zeroize(session: Session, args: Args) -> None:
    """Delete all key pairs, or those of one label, then say what must follow."""
    pki = session.pki
    preview = zeroize_preview(pki.config.key_pairs, pki.config.certificates, args.get("label"))
    if preview.empty and preview.label is None:  # a label that does not exist is the core's error
        session.print("% No RSA keys found in the configuration.")
        return
    if not preview.empty:
        # IOS's question; IOS says the certificates "will also be removed", pkitui keeps them
        # marked orphaned until 'no certificate' (they still name the device to the CA).
        what = "% All keys will be removed." if preview.label is None else \
            f"% Keys to be removed are named '{preview.label}'."
        orphans = f"\n% {len(preview.orphans)} certificate(s) issued for these keys will be marked orphaned." \
            if preview.orphans else ""
        if not session.confirm(f"{what}{orphans}\nDo you really want to remove these keys? [yes/no]: ",
                               refuse_hint="Answer yes with pkitui exec --force."):
            session.print("% Keys not removed.")
            return
    result = pki.keys.zeroize(args.get("label"))
    for key_id in result.removed:
        session.print(f"% Removed RSA key pair {key_id}")
    if result.orphaned_certificates:
        session.print(f"% {len(result.orphaned_certificates)} certificate(s) are bound to the removed keys "
                      "and are now orphaned:")
        for fp in result.orphaned_certificates:
            session.print(f"%   SHA-256 {fp}")
    session.print("% What to do next:")
    for step in result.follow_ups:
        session.print(f"%  - {step}")


def key_json(pair: KeyPair) -> dict[str, Any]:
    """A key pair's public part as JSON-ready data (never the private key)."""
    der = pair.public_der
    return {
        "label": pair.label,
        "key_id": pair.key_id,
        "usage": pair.usage,
        "modulus": pair.modulus,
        "exportable": pair.exportable,
        "created": pair.created,
        "imported": pair.imported,
        "fingerprints": key_fingerprints(der),
        "der_hex": der.hex().upper(),
        "pem": public_pem(pair.public_key),
    }


def key_lines(pair: KeyPair, pem: bool) -> list[str]:
    """IOS's ``show crypto key mypubkey rsa`` block for one key pair, then pkitui's lines (the
    modulus and the key's fingerprints, in IOS's groups of 8 digits), which IOS does not print."""
    der = pair.public_der
    fps = key_fingerprints(der)
    lines = [
        f"% Key pair was {'imported' if pair.imported else 'generated'} at: {ios_time(pair.created)}",
        f"Key name: {pair.label}",
        "Key type: RSA KEYS",
        " Storage Device: private-config",
        f" Usage: {pair.usage_text}",
        f" Key is {'' if pair.exportable else 'not '}exportable.",
    ]
    if pem:
        lines.append(" Key Data (PEM):")
        lines += ["  " + ln for ln in public_pem(pair.public_key).strip().split("\n")]
    else:
        lines.append(" Key Data:")
        lines += ["  " + ln for ln in ios_hex_lines(der)]
    return lines + [
        f" Modulus: {pair.modulus} bits",
        f" Fingerprint MD5: {grouped(fps['md5'])}",
        f" Fingerprint SHA1: {grouped(fps['sha1'])}",
        f" Fingerprint SHA256: {grouped(fps['sha256'])}",
    ]


@command((USER_EXEC, EXEC), "show crypto key mypubkey rsa [LABEL] [pem]")
def show_mypubkey(session: Session, args: Args) -> None:
    """The device's RSA public keys (label, usage, modulus, fingerprints, key data)."""
    pairs = session.pki.keys.list(args.get("label"))
    lines: list[str] = []
    for pair in pairs:
        lines += key_lines(pair, "pem" in args.words)
    if not pairs:
        lines.append("% No RSA keys: generate them with crypto key generate rsa")
    session.show([key_json(p) for p in pairs], lines)
