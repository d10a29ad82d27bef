"""Device identity: hostname + ``ip domain-name`` give the FQDN that names keys and certificates."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pkitui.core.errors import IdentityError

_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
# IOS's factory hostname: a device still called "Router" has no name of its own, so IOS refuses
# to name keys or certificates after it ("Please define a hostname other than Router").
DEFAULT_HOSTNAME = "Router"


def is_default_hostname(name: str | None) -> bool:
    """True when ``name`` is unset or IOS's factory name ``Router`` (any case, as DNS compares)."""
    return not name or name.lower() == DEFAULT_HOSTNAME.lower()


def validate_hostname(name: str) -> str:
    """Return ``name`` if it is a valid host name (one DNS label, IOS: up to 63 chars)."""
    if not _LABEL.match(name):
        raise IdentityError(
            f"invalid hostname {name!r}",
            "A hostname is one DNS label: letters, digits and '-', 1 to 63 characters, "
            "not starting or ending with '-'.",
        )
    return name


def validate_domain_name(domain: str) -> str:
    """Return ``domain`` lower-cased if every label of it is a valid DNS label."""
    labels = domain.rstrip(".").split(".")
    bad = [label for label in labels if not _LABEL.match(label)]
    if bad or len(domain) > 253:
        raise IdentityError(
            f"invalid domain name {domain!r} (bad label {bad[0]!r})" if bad else "domain name too long",
            "Use dot-separated DNS labels, e.g. 'ip domain-name example.com'.",
        )
    return domain.rstrip(".").lower()


@dataclass
class Identity:
    """The device's name as IOS knows it."""

    hostname: str | None = None
    domain_name: str | None = None

    @property
    def fqdn(self) -> str | None:
        """``host.domain`` when both are set (and the hostname is not IOS's default ``Router``), else None."""
        if not is_default_hostname(self.hostname) and self.domain_name:
            return f"{self.hostname}.{self.domain_name}"
        return None

    def require_fqdn(self, what: str) -> str:
        """The FQDN, or an IOS-like refusal that names what to configure first."""
        if is_default_hostname(self.hostname):
            raise IdentityError(
                f"Please define a hostname other than Router before {what}.",
                "Configure it with: hostname NAME",
            )
        if not self.domain_name:
            raise IdentityError(
                f"Please define a domain-name first before {what}.",
                "Configure it with: ip domain-name DOMAIN",
            )
        fqdn = self.fqdn
        assert fqdn is not None
        return fqdn
