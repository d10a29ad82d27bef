"""Fingerprints as IOS shows them, and the compare of a fingerprint the administrator typed.

One layout for every front end: upper-case hex in groups of 8 digits separated by spaces, as
``show crypto pki certificates`` and ``crypto pki authenticate`` print them (and, 8 groups to a
line, a key's 'Key Data'). The compare answers the security question of the Authenticate dialog
once: does the typed text match one of the CA's digests, which one, and where is the first wrong
group.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

GROUP_DIGITS = 8
"""Hex digits to a group, as IOS prints fingerprints and key data."""

_SEPARATORS = re.compile(r"[\s:.\-]")


class Digest(StrEnum):
    """The digests a CA's fingerprint is given in; the value is the key of a fingerprints dict."""

    SHA256 = "sha256"
    SHA1 = "sha1"
    MD5 = "md5"

    @property
    def label(self) -> str:
        """The digest's name as people write it: 'SHA-256', 'SHA-1', 'MD5'."""
        return {"sha256": "SHA-256", "sha1": "SHA-1", "md5": "MD5"}[self.value]


DIGESTS: tuple[Digest, ...] = (Digest.SHA256, Digest.SHA1, Digest.MD5)
"""Strongest first: the order in which they are shown and tried."""


def groups(hexs: str) -> list[str]:
    """``hexs`` upper case in groups of 8 hex digits (the last one may be shorter): THE layout."""
    text = hexs.upper()
    return [text[i : i + GROUP_DIGITS] for i in range(0, len(text), GROUP_DIGITS)]


def grouped(hexs: str) -> str:
    """IOS's fingerprint layout on one line: 'BB45C943 BF860EA5 A480E481 CC257B5C'."""
    return " ".join(groups(hexs))


def grouped_lines(hexs: str, per_line: int = 8) -> list[str]:
    """IOS's layout wrapped after ``per_line`` groups (8: the 'Key Data' lines of a key)."""
    g = groups(hexs)
    return [" ".join(g[i : i + per_line]) for i in range(0, len(g), per_line)]


def digest_of(name: str) -> Digest:
    """'SHA-256', 'sha256', 'SHA1', 'md5' ... → the Digest (ValueError for any other name)."""
    return Digest(name.lower().replace("-", ""))


class MatchState(StrEnum):
    """How typed text compares with a fingerprint."""

    EMPTY = "empty"  # nothing typed yet
    PARTIAL = "partial"  # a correct beginning, not the whole fingerprint yet
    MATCH = "match"  # the whole fingerprint, identical
    MISMATCH = "mismatch"  # a wrong digit somewhere (or too many digits)


@dataclass(frozen=True)
class FingerprintMatch:
    """The compare of a typed fingerprint with a CA's digests.

    ``typed`` is the typed hex digits (separators removed, upper case), ``digest`` the digest it
    was compared with, ``expected`` that digest's hex, and ``first_bad`` the index of the first
    wrong group of 8 digits (MISMATCH only).
    """

    typed: str
    digest: Digest
    state: MatchState
    expected: str = ""
    first_bad: int | None = None

    @property
    def matched(self) -> bool:
        """True when the whole fingerprint was typed and is identical."""
        return self.state is MatchState.MATCH

    @property
    def typed_groups(self) -> list[str]:
        """The typed digits in IOS's groups."""
        return groups(self.typed)

    @property
    def expected_groups(self) -> list[str]:
        """The digest's digits in IOS's groups."""
        return groups(self.expected)

    @property
    def good_digits(self) -> int:
        """How many typed digits agree with the digest from the start."""
        n = 0
        while n < min(len(self.typed), len(self.expected)) and self.typed[n] == self.expected[n]:
            n += 1
        return n


def normalized(typed: str) -> str:
    """Typed text as hex digits: separators (spaces, ':', '.', '-') removed, upper case."""
    return _SEPARATORS.sub("", typed).upper()


def compare(typed: str, fingerprints: Mapping[str, str]) -> FingerprintMatch:
    """Compare typed text (separators and case ignored) with each digest of ``fingerprints``
    (keys 'sha256', 'sha1', 'md5'). A whole digest typed is a MATCH; otherwise the digest of the
    typed length is the one compared, else the one with the longest correct beginning."""
    text = normalized(typed)
    digests = [d for d in DIGESTS if d.value in fingerprints]
    want = {d: fingerprints[d.value].upper() for d in digests}
    if not text or not digests:
        first = digests[0] if digests else Digest.SHA256
        return FingerprintMatch("", first, MatchState.EMPTY, want.get(first, ""))
    for d in digests:
        if text == want[d]:
            return FingerprintMatch(text, d, MatchState.MATCH, want[d])

    def common(d: Digest) -> int:
        return FingerprintMatch(text, d, MatchState.MISMATCH, want[d]).good_digits

    by_length = [d for d in digests if len(want[d]) == len(text)]
    digest = by_length[0] if by_length else max(digests, key=common)
    n = common(digest)
    if n == len(text) and len(text) < len(want[digest]):
        return FingerprintMatch(text, digest, MatchState.PARTIAL, want[digest])
    return FingerprintMatch(text, digest, MatchState.MISMATCH, want[digest],
                            first_bad=min(n, len(want[digest])) // GROUP_DIGITS)
