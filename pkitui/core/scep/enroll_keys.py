"""The key pairs a trustpoint's requests are for: those of its ``rsakeypair`` label (else the
FQDN's), generated first when ``rsakeypair LABEL SIZE [ENC-SIZE]`` names missing ones (as IOS does
at enrollment); a pair's valid certificate, and the certificate and key pair a RenewalReq is
signed with (``auto-enroll regenerate``: the old pair's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkitui.core.errors import KeyPairError
from pkitui.core.keys import KeyPair, Usage, generate_rsa_private_key
from pkitui.core.records import CertRole

if TYPE_CHECKING:
    from pkitui.core.clock import Clock
    from pkitui.core.config import RunningConfig
    from pkitui.core.trustpoints import Trustpoint


def to_generate(tp: Trustpoint) -> list[tuple[str, Usage, int]] | None:
    """(key id, usage, bits) of the key pair(s) ``rsakeypair LABEL SIZE [ENC-SIZE]`` generates when
    missing (usage keys when ENC-SIZE is given, as IOS); None without a size."""
    if not tp.rsakeypair or tp.rsakeypair_size is None:
        return None
    if tp.rsakeypair_encryption_size is None:
        return [(tp.rsakeypair, "general", tp.rsakeypair_size)]
    return [(f"{tp.rsakeypair}#signature", "signature", tp.rsakeypair_size),
            (f"{tp.rsakeypair}#encryption", "encryption", tp.rsakeypair_encryption_size)]


def generate_missing(config: RunningConfig, clock: Clock, tp: Trustpoint) -> None:
    """``rsakeypair LABEL SIZE [ENC-SIZE]``: generate the trustpoint's key pair(s) when missing,
    as IOS does at enrollment (usage keys when an encryption size is given)."""
    generate = to_generate(tp)
    if generate is None or any(p.label == tp.rsakeypair for p in config.key_pairs.values()):
        return
    for _key_id, usage, bits in generate:
        assert tp.rsakeypair is not None
        pair = KeyPair(tp.rsakeypair, usage, generate_rsa_private_key(bits),
                       created=clock.now().isoformat(timespec="seconds"))
        config.key_pairs[pair.key_id] = pair


def key_pairs(config: RunningConfig, tp: Trustpoint) -> list[KeyPair]:
    """The key pairs ``tp`` enrolls; KeyPairError (what to generate) when there is none."""
    label = tp.rsakeypair or config.identity.require_fqdn("enrolling")
    pairs = [p for p in config.key_pairs.values() if p.label == label]
    if not pairs:
        raise KeyPairError(f"Trustpoint {tp.name} has no key pair {label!r}",
                           "Generate it first: crypto key generate rsa [usage-keys]"
                           + (f" label {label}" if tp.rsakeypair else ""))
    return pairs


def renewal_signer(config: RunningConfig, clock: Clock, tp: Trustpoint, pair: KeyPair,
                   renew_with: str | None) -> tuple[x509.Certificate | None, KeyPair]:
    """The certificate and key pair a request for ``pair`` is signed with as a RenewalReq:
    ``pair``'s own valid certificate, or with ``renew_with`` the valid certificate of a pair
    of that label (the same usage first); (None, ``pair``): none, a PKCSReq."""
    if renew_with is None:
        return current_cert(config, clock, tp, pair), pair
    olds = sorted((p for p in config.key_pairs.values() if p.label == renew_with),
                  key=lambda p: p.usage != pair.usage)
    for old in olds:
        cert = current_cert(config, clock, tp, old)
        if cert is not None:
            return cert, old
    return None, pair


def current_cert(config: RunningConfig, clock: Clock, tp: Trustpoint, pair: KeyPair) -> x509.Certificate | None:
    """``pair``'s certificate of ``tp`` valid now (not orphaned, holding that key); None: none."""
    now = clock.now()
    for rec in config.certificates:
        if rec.trustpoint == tp.name and rec.role == CertRole.DEVICE and rec.key_id == pair.key_id \
                and rec.der is not None and not rec.orphaned:
            cert = x509.load_der_x509_certificate(rec.der)
            same_key = cert.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == pair.public_der
            if same_key and cert.not_valid_after_utc > now:
                return cert
    return None
