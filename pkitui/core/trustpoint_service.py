"""The trustpoint service: declare, find and remove trustpoints in the running configuration.

Kept apart from :mod:`pkitui.core.trustpoints` (the Trustpoint and its validating setters), which
the running configuration imports: the service uses the configuration, so living there would make
an import cycle.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkitui.core.errors import TrustpointError
from pkitui.core.records import OWN_ROLES, CertRole
from pkitui.core.trustpoint_values import validate_name
from pkitui.core.trustpoints import Trustpoint

if TYPE_CHECKING:
    from pkitui.core.config import RunningConfig
    from pkitui.core.records import CrlRecord, PendingEnrollment, StoredCertificate


@dataclass(frozen=True)
class TrustpointRemoval:
    """What ``no crypto pki trustpoint NAME`` removes with the trustpoint: every certificate, CRL
    and pending request under it. Both front ends show it before asking."""

    name: str
    certificates: tuple[StoredCertificate, ...]
    crls: tuple[CrlRecord, ...]
    pending: tuple[PendingEnrollment, ...]


@dataclass(frozen=True)
class TrustpointStatus:
    """Where trustpoint ``name`` stands: its CA certificate (authenticated or not), how many device
    certificates it holds, how many enrollment requests are pending. The console's title line and
    ``show crypto pki trustpoints`` both render it."""

    name: str
    ca_sha256: str | None  # the CA certificate's SHA-256 fingerprint; None: not authenticated
    device_certificates: int  # this device's own: enrolled or imported (OWN_ROLES)
    pending: int

    @property
    def authenticated(self) -> bool:
        """True when the CA certificate (or its fingerprint, in query mode) is stored."""
        return self.ca_sha256 is not None


class TrustpointService:
    """Create, find and remove trustpoints in the running configuration."""

    def __init__(self, config: RunningConfig) -> None:
        # The running configuration object is never replaced (a refresh updates it in place).
        self._config = config

    def list(self) -> list[Trustpoint]:
        """All trustpoints, in creation order."""
        return list(self._config.trustpoints.values())

    def get(self, name: str) -> Trustpoint:
        """The trustpoint called ``name`` or a TrustpointError saying how to declare it."""
        try:
            return self._config.trustpoints[name]
        except KeyError:
            raise TrustpointError(
                f"Trustpoint {name!r} does not exist",
                f"Declare it with: crypto pki trustpoint {name}",
            ) from None

    def declare(self, name: str) -> Trustpoint:
        """``crypto pki trustpoint NAME``: the existing one, or a new one with defaults."""
        validate_name(name)
        tps = self._config.trustpoints
        if name not in tps:
            tps[name] = Trustpoint(name=name)
        return tps[name]

    def status(self, name: str) -> TrustpointStatus:
        """Trustpoint ``name``'s CA, device certificates and pending requests (TrustpointError if
        unknown)."""
        self.get(name)
        config = self._config
        certs = [c for c in config.certificates if c.trustpoint == name]
        ca = next((c for c in certs if c.role == CertRole.CA), None)
        return TrustpointStatus(
            name,
            ca.sha256 if ca is not None else None,
            sum(1 for c in certs if c.role in OWN_ROLES),
            sum(1 for p in config.pending if p.trustpoint == name),
        )

    def removal_preview(self, name: str) -> TrustpointRemoval:
        """What :meth:`remove` would delete with trustpoint ``name`` (TrustpointError if unknown)."""
        self.get(name)
        config = self._config
        return TrustpointRemoval(
            name,
            tuple(c for c in config.certificates if c.trustpoint == name),
            tuple(c for c in config.crls if c.trustpoint == name),
            tuple(p for p in config.pending if p.trustpoint == name),
        )

    def remove(self, name: str) -> builtins.list[str]:
        """``no crypto pki trustpoint NAME``: remove it with every certificate, CRL and pending
        request under it (the seed: removing the CA identity removes its certificates).
        Returns a description of what was removed."""
        gone = self.removal_preview(name)
        config = self._config
        removed = [f"trustpoint {name}"]
        removed += [f"{c.role} certificate {c.sha256[:16]}…" for c in gone.certificates]
        removed += [f"CRL from {c.issuer}" for c in gone.crls]
        config.certificates = [c for c in config.certificates if c.trustpoint != name]
        config.crls = [c for c in config.crls if c.trustpoint != name]
        config.pending = [p for p in config.pending if p.trustpoint != name]
        config.ca_caps_seen.pop(name, None)
        del config.trustpoints[name]
        return removed
