"""Trustpoints: the CA a device uses and how to reach it, with every option of the seed."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import MISSING, dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from pkitui.core.dn import validate_dn as _validate_dn
from pkitui.core.errors import ConfigError

REVOCATION_METHODS = ("crl", "ocsp", "none")
DEFAULT_SCEP_PATH = "/cgi-bin/pkiclient.exe"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def validate_name(name: str, what: str = "trustpoint name") -> str:
    """A trustpoint (or key label) name: letters, digits, '.', '_' and '-', up to 64."""
    if not _NAME.match(name):
        raise ConfigError(
            f"invalid {what} {name!r}",
            "Use letters, digits, '.', '_' or '-' (up to 64 characters, starting with a letter or digit).",
        )
    return name


def validate_port(port: int | str, what: str = "port") -> int:
    """A TCP/UDP port number 1..65535."""
    try:
        value = int(port)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} {port!r} is not a number", "Give a port from 1 to 65535.") from None
    if not 1 <= value <= 65535:
        raise ConfigError(f"{what} {value} is out of range", "Give a port from 1 to 65535.")
    return value


def validate_host(host: str, what: str = "host") -> str:
    """A host name or an IP address."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    if not re.match(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$", host):
        raise ConfigError(f"invalid {what} {host!r}", "Give a host name (e.g. ca.example.com) or an IP address.")
    return host


def _url_port(netloc: str) -> str | None:
    """The port text of a URL's netloc (None when there is no ':port')."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        rest = hostport.partition("]")[2]
        return rest[1:] if rest.startswith(":") else None
    host, sep, port = hostport.partition(":")
    return port if sep else None


def validate_url(url: str, schemes: tuple[str, ...], what: str) -> str:
    """A URL with one of ``schemes``, a host and, if given, a port 1..65535."""
    example = f"{schemes[0]}://ca.example.com:{'389' if schemes[0].startswith('ldap') else '80'}"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ConfigError(f"invalid {what} {url!r}: {exc}", f"Example: {example}") from None
    if parts.scheme.lower() not in schemes:
        raise ConfigError(
            f"invalid {what} {url!r}: scheme {parts.scheme or '(none)'!r} is not supported",
            f"Use a URL starting with {' or '.join(s + '://' for s in schemes)}",
        )
    if not parts.hostname:
        raise ConfigError(f"invalid {what} {url!r}: no host", f"Example: {example}")
    validate_host(parts.hostname, f"host in {what}")
    port = _url_port(parts.netloc)
    if port is not None:
        if not port.isdigit():
            raise ConfigError(f"invalid {what} {url!r}: port {port!r} is not a number", "Give a port from 1 to 65535.")
        if not 1 <= int(port) <= 65535:
            raise ConfigError(f"invalid {what} {url!r}: port {int(port)} is out of range",
                              "Give a port from 1 to 65535.")
    return url


def validate_dn(dn: str) -> str:
    """A distinguished name for ``subject-name`` (see :mod:`pkitui.core.dn`); ConfigError names
    the bad part (unknown attribute, missing '=', empty value, bad country code ...)."""
    return _validate_dn(dn)


def normalize_fingerprint(text: str) -> str:
    """Hex digits of a fingerprint, upper case, with separators (':', ' ', '.', '-') removed."""
    hint = "Give the CA certificate's MD5 (32 hex digits), SHA-1 (40) or SHA-256 (64) fingerprint."
    hexs = re.sub(r"[\s:.-]", "", text).upper()
    bad = re.search(r"[^0-9A-F]", hexs)
    if bad:
        raise ConfigError(f"invalid fingerprint {text!r}: {bad.group()!r} is not a hex digit", hint)
    if len(hexs) not in (32, 40, 64):
        raise ConfigError(f"invalid fingerprint {text!r}: {len(hexs)} hex digits", hint)
    return hexs


def validate_revocation_methods(methods: list[str]) -> list[str]:
    """1 to 3 distinct methods out of crl, ocsp, none."""
    methods = [m.lower() for m in methods]
    if not 1 <= len(methods) <= 3:
        raise ConfigError("revocation-check takes 1 to 3 methods", "Example: revocation-check crl ocsp none")
    for m in methods:
        if m not in REVOCATION_METHODS:
            raise ConfigError(f"unknown revocation method {m!r}", "Use crl, ocsp or none.")
    if len(set(methods)) != len(methods):
        raise ConfigError("revocation-check lists a method twice", "Give each of crl, ocsp, none at most once.")
    return methods


@dataclass
class Trustpoint:
    """A CA the device trusts, and how to enroll with it and check revocation.

    ``password`` holds the challenge password in clear only in memory; the store seals it.
    """

    name: str
    enrollment_url: str | None = None
    enrollment_command: str | None = None
    enrollment_mode_ra: bool = False
    enrollment_retry_period: int = 1
    enrollment_retry_count: int = 0
    enrollment_http_proxy: tuple[str, int] | None = None
    enrollment_timeout: int | None = None  # seconds per network operation (our addition); None: 30 s
    crl_query: str | None = None
    revocation_check: list[str] = field(default_factory=lambda: ["crl"])
    ocsp_url: str | None = None
    root_tftp: tuple[str, str] | None = None
    fingerprint: str | None = None
    password: str | None = field(default=None, repr=False)
    rsakeypair: str | None = None
    subject_name: str | None = None
    serial_number: bool = False
    ip_address: str | None = None

    # -- setters that validate; each raises ConfigError naming the bad part --------------------
    def set_enrollment_url(self, url: str) -> None:
        """``enrollment url URL`` (http or https)."""
        self.enrollment_url = validate_url(url, ("http", "https"), "enrollment url")

    def set_enrollment_command(self, path: str | None) -> None:
        """``enrollment command [PATH]``: the HTTP path sent to the CA (IOS default without one)."""
        path = path or DEFAULT_SCEP_PATH
        if not path.startswith("/") or any(c.isspace() for c in path):
            raise ConfigError(f"invalid enrollment command {path!r}",
                              "Give an absolute HTTP path, e.g. /cgi-bin/pkiclient.exe")
        self.enrollment_command = path

    def set_retry_period(self, minutes: int | str) -> None:
        """``enrollment retry period MINUTES`` (1..60)."""
        self.enrollment_retry_period = _int_in_range(minutes, 1, 60, "enrollment retry period (minutes)")

    def set_retry_count(self, count: int | str) -> None:
        """``enrollment retry count N`` (0..100, 0 = until cancelled)."""
        self.enrollment_retry_count = _int_in_range(count, 0, 100, "enrollment retry count")

    def set_timeout(self, seconds: int | str) -> None:
        """``enrollment timeout SECONDS`` (1..3600; our addition): the deadline of each network
        operation of this trustpoint (SCEP, CRL, LDAP, OCSP, TFTP), connect to last byte."""
        self.enrollment_timeout = _int_in_range(seconds, 1, 3600, "enrollment timeout (seconds)")

    def set_http_proxy(self, host: str, port: int | str) -> None:
        """``enrollment http-proxy HOST PORT``."""
        self.enrollment_http_proxy = (validate_host(host, "http-proxy host"), validate_port(port, "http-proxy port"))

    def set_crl_query(self, url: str) -> None:
        """``crl query ldap://HOST[:PORT]``."""
        self.crl_query = validate_url(url, ("ldap", "ldaps"), "crl query URL")

    def set_revocation_check(self, methods: list[str]) -> None:
        """``revocation-check m1 [m2 m3]``."""
        self.revocation_check = validate_revocation_methods(methods)

    def set_ocsp_url(self, url: str) -> None:
        """``ocsp url URL``."""
        self.ocsp_url = validate_url(url, ("http", "https"), "ocsp url")

    def set_root_tftp(self, server: str, filename: str) -> None:
        """``root tftp SERVER FILE``."""
        if not filename or any(c.isspace() for c in filename):
            raise ConfigError(f"invalid TFTP file name {filename!r}", "Example: root tftp server1 ca.cer")
        host, port = server, ""
        if not _is_ip(server.strip("[]")):  # an IPv6 address is full of ':'
            host, _, port = server.partition(":")
        validate_host(host, "TFTP server")
        if port:
            validate_port(port, "TFTP port")
        self.root_tftp = (server, filename)

    def set_fingerprint(self, text: str) -> None:
        """``fingerprint HEX``: the CA fingerprint expected at authentication."""
        self.fingerprint = normalize_fingerprint(text)

    def set_password(self, password: str) -> None:
        """``password SECRET``: the SCEP challenge password."""
        if not password or any(c.isspace() for c in password) or len(password) > 80:
            raise ConfigError("invalid challenge password", "Give 1 to 80 characters without spaces.")
        self.password = password

    def set_rsakeypair(self, label: str) -> None:
        """``rsakeypair LABEL``: the key pair this trustpoint enrolls."""
        self.rsakeypair = validate_name(label, "key label")

    def set_subject_name(self, dn: str) -> None:
        """``subject-name DN``."""
        self.subject_name = validate_dn(dn)

    def set_ip_address(self, address: str) -> None:
        """``ip-address A.B.C.D``: put this address in the certificate request."""
        try:
            self.ip_address = str(ipaddress.ip_address(address))
        except ValueError:
            raise ConfigError(f"invalid ip-address {address!r}", "Give an IPv4 or IPv6 address.") from None

    def reset(self, option: str) -> None:
        """The ``no`` form of an option: back to its default (None, or e.g. retry period 1,
        revocation-check crl). One place for the defaults, for every front end."""
        spec = next((f for f in fields(self) if f.name == option and f.name != "name"), None)
        if spec is None:
            raise ConfigError(f"trustpoint {self.name} has no option {option!r}")
        if spec.default_factory is not MISSING:
            setattr(self, option, spec.default_factory())
        else:
            setattr(self, option, spec.default)

    # -- persistence ---------------------------------------------------------------------------
    def to_doc(self) -> dict[str, Any]:
        """A JSON-ready dict (the password is *not* included; the store seals it separately)."""
        doc: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "password":
                continue
            value = getattr(self, f.name)
            doc[f.name] = list(value) if isinstance(value, (tuple, list)) else value
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Trustpoint:
        """Inverse of :meth:`to_doc`."""
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in doc.items() if k in known and k != "password"}
        for key in ("enrollment_http_proxy", "root_tftp"):
            if kw.get(key) is not None:
                kw[key] = tuple(kw[key])
        return cls(**kw)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _int_in_range(value: int | str, low: int, high: int, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: {value!r} is not a number", f"Give a number from {low} to {high}.") from None
    if not low <= number <= high:
        raise ConfigError(f"{what}: {number} is out of range", f"Give a number from {low} to {high}.")
    return number
