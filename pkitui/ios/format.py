"""How IOS lays out what a show command prints: times and subject names.

One function each, used by every command of the ios package, so ``show crypto pki
certificates``, ``crls``, ``trustpoints``, ``enrollments`` and ``mypubkey`` read alike. ``--json``
output is not formatted here: it keeps ISO 8601 times and RFC 4514 names.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pkitui.core.dn import ios_dn_parts


def ios_time(when: datetime | str | None) -> str:
    """IOS's date layout: ``22:28:56 UTC Nov 30 2026`` (``-`` when unknown).

    The day of the month is not zero-padded (``Mar 7 2027``), as IOS prints certificate validity
    and key generation times. A naive time, or an ISO 8601 string without an offset, is taken as
    UTC; an aware one is converted to UTC (pkitui keeps no ``clock timezone``).
    """
    if when is None or when == "":
        return "-"
    if isinstance(when, str):
        try:
            parsed = datetime.fromisoformat(when)
        except ValueError:  # not a time pkitui wrote: shown as it is rather than refused
            return when
        when = parsed
    when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    return f"{when:%H:%M:%S} UTC {when:%b} {when.day} {when.year}"


def dn_lines(name: bytes | str | None, indent: str = "    ", *,
             missing: str = "(not held: fingerprint only)") -> list[str]:
    """A subject or issuer name one RDN to a line, as ``show crypto pki certificates`` prints it:
    ``cn=r1.example.com`` then ``o=Example``, each after ``indent``."""
    if not name:
        return [f"{indent}{missing}"]
    return [f"{indent}{part}" for part in ios_dn_parts(name)]
