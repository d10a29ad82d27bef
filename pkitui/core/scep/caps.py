"""GetCACaps remembered per trustpoint, so that a CA that stops advertising a strong capability
is noticed (a downgrade, RFC 8894 §7.5)."""

from __future__ import annotations

STRONG_CAPS = ("SCEPSTANDARD", "AES", "SHA-256")


def note_caps(seen: dict[str, list[str]], tp: str, caps: frozenset[str]) -> list[str]:
    """Remember ``caps`` of trustpoint ``tp`` in ``seen`` (``RunningConfig.ca_caps_seen``);
    the warnings when a strong capability seen before is gone."""
    before = set(seen.get(tp, []))
    lost = [c for c in STRONG_CAPS if c in before and c not in caps]
    warnings = []
    if lost:
        warnings.append(f"Downgrade: the CA no longer advertises {', '.join(lost)} (it did before); "
                        "someone may be tampering with GetCACaps (RFC 8894 §7.5).")
    # Keep the union: a later downgrade is still detected after this one.
    seen[tp] = sorted(before | set(caps))
    return warnings
