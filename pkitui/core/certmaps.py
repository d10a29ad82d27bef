"""Certificate maps (``crypto pki certificate map LABEL SEQ``): rules on a peer certificate's
subject and issuer names that a trustpoint's ``match certificate MAP`` makes ``crypto pki
verify`` enforce.

IOS's semantics: a map is one or more sequences; a sequence matches when every one of its lines
matches (a sequence without lines matches any certificate); the certificate matches the map
when any sequence matches. ``co`` contains, ``eq`` equal, ``nc`` does not contain, ``ne`` not
equal, all case-insensitive. A name is compared as text in IOS's lower-case form
in the certificate's order (``cn=r1.example.com,ou=vpn,o=example``): attribute names and values
lower case, parts joined by ``,`` without spaces; ``eq``/``ne`` values are read the same way, so
``CN=R1, O=Example`` equals ``cn=r1,o=example``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkitui.core.config import RunningConfig
from pkitui.core.errors import ConfigError
from pkitui.core.records import CertificateMapEntry, MapField, MapOperator
from pkitui.core.trustpoint_values import validate_name

if TYPE_CHECKING:  # certificates are matched where they are verified; a show command pays nothing
    from cryptography import x509

MAX_SEQ = 65535


@dataclass(frozen=True)
class MapRule:
    """One line of a sequence: ``subject-name co VALUE``."""

    field: MapField
    operator: MapOperator
    value: str

    @property
    def line(self) -> str:
        """The line as IOS shows it."""
        return f"{self.field} {self.operator} {self.value}"

    def matches(self, cert: x509.Certificate) -> bool:
        """Whether ``cert`` passes this line."""
        name = name_text(cert.subject if self.field == MapField.SUBJECT_NAME else cert.issuer)
        wanted = _normal(self.value)
        if self.operator == MapOperator.CONTAINS:
            return self.value.lower() in name or wanted in name
        if self.operator == MapOperator.NOT_CONTAINS:
            return self.value.lower() not in name and wanted not in name
        if self.operator == MapOperator.EQUAL:
            return name == wanted
        return name != wanted


def _normal(text: str) -> str:
    """A DN as text in the form names are compared in (lower case, no spaces around , and =)."""
    parts = [p.strip() for p in text.lower().split(",")]
    return ",".join("=".join(s.strip() for s in p.split("=", 1)) for p in parts)


def name_text(name: x509.Name) -> str:
    """``name`` in the compared form: its attributes in the certificate's order (as IOS prints
    them), lower case, no spaces."""
    return _normal(",".join(rdn.rfc4514_string() for rdn in name.rdns))


def rules_of(entry: CertificateMapEntry) -> list[MapRule]:
    """The lines of a stored sequence."""
    return [MapRule(MapField(f), MapOperator(o), v) for f, o, v in entry.rules]


@dataclass(frozen=True)
class MapVerdict:
    """Whether a certificate matched a map, and which sequence (None when none did)."""

    label: str
    matched: bool
    seq: int | None
    reason: str


class CertificateMaps:
    """The certificate maps of one running configuration."""

    def __init__(self, config: RunningConfig) -> None:
        self._config = config

    def entries(self, label: str | None = None) -> list[CertificateMapEntry]:
        """Every sequence (of map ``label``), by label then sequence number."""
        found = [e for e in self._config.certificate_maps if label is None or e.label.lower() == label.lower()]
        return sorted(found, key=lambda e: (e.label.lower(), e.seq))

    def declare(self, label: str, seq: int) -> CertificateMapEntry:
        """``crypto pki certificate map LABEL SEQ``: the sequence, created when new."""
        label = validate_name(label, "certificate map label")
        if not 1 <= seq <= MAX_SEQ:
            raise ConfigError(f"certificate map sequence {seq} is out of range", f"Give 1 to {MAX_SEQ}.")
        entry = self.get(label, seq)
        if entry is None:
            entry = CertificateMapEntry(label=label, seq=seq)
            self._config.certificate_maps.append(entry)
        return entry

    def get(self, label: str, seq: int) -> CertificateMapEntry | None:
        """Sequence ``seq`` of map ``label`` (None when absent)."""
        return next((e for e in self.entries(label) if e.seq == seq), None)

    def remove(self, label: str, seq: int | None = None) -> list[CertificateMapEntry]:
        """``no crypto pki certificate map LABEL [SEQ]``: the sequence, or every one of the map.
        ConfigError when there is nothing to remove."""
        doomed = [e for e in self.entries(label) if seq is None or e.seq == seq]
        if not doomed:
            what = f"certificate map {label}" + (f" sequence {seq}" if seq is not None else "")
            raise ConfigError(f"There is no {what}", "show running-config lists the certificate maps.")
        self._config.certificate_maps = [e for e in self._config.certificate_maps if not any(e is d for d in doomed)]
        return doomed

    @staticmethod
    def add_rule(entry: CertificateMapEntry, field: str, operator: str, value: str) -> MapRule:
        """Add a line (the same line twice is kept once, as IOS does)."""
        value = value.strip()
        if not value:
            raise ConfigError(f"{field} {operator} needs a value", f"Example: {field} {operator} cn=r1")
        rule = MapRule(MapField(field), MapOperator(operator.lower()), value)
        triple = [str(rule.field), str(rule.operator), rule.value]
        if triple not in entry.rules:
            entry.rules.append(triple)
        return rule

    @staticmethod
    def remove_rule(entry: CertificateMapEntry, field: str, operator: str, value: str) -> None:
        """``no subject-name co VALUE``: remove that line (ConfigError when it is not there)."""
        triple = [field, operator.lower(), value.strip()]
        if triple not in entry.rules:
            raise ConfigError(f"certificate map {entry.label} {entry.seq} has no line '{' '.join(triple)}'",
                              "show running-config lists its lines.")
        entry.rules.remove(triple)

    def match(self, label: str, cert: x509.Certificate) -> MapVerdict:
        """Whether ``cert`` matches map ``label`` (IOS: any sequence whose lines all match). A map
        that does not exist matches nothing, so a trustpoint naming it refuses every peer."""
        entries = self.entries(label)
        if not entries:
            return MapVerdict(label, False, None, f"certificate map {label} is not configured")
        for entry in entries:
            if all(rule.matches(cert) for rule in rules_of(entry)):
                return MapVerdict(label, True, entry.seq, f"matches certificate map {label} sequence {entry.seq}")
        return MapVerdict(label, False, None, f"the certificate matches no sequence of certificate map {label} "
                          f"(subject {name_text(cert.subject)}, issuer {name_text(cert.issuer)})")
