"""Trustpoints: the CA a device uses and how to reach it, with every option of the seed."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import MISSING, dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from pkitui.core.dn import validate_dn as _validate_dn
from pkitui.core.errors import ConfigError
from pkitui.core.keys import MAX_MODULUS, MIN_MODULUS

REVOCATION_METHODS = ("crl", "ocsp", "none")
FQDN_NONE = "none"  # "fqdn none": no FQDN in the request
IP_NONE = "none"  # "ip-address none": no address in the request (and none asked)
USAGES = ("ike", "ssl-client", "ssl-server")  # "usage": what the certificate is for
# "eku request": IOS's keywords and the extended key usage OIDs they put in the request.
EKU_OIDS: dict[str, str] = {
    "any": "2.5.29.37.0",
    "client-auth": "1.3.6.1.5.5.7.3.2",
    "code-signing": "1.3.6.1.5.5.7.3.3",
    "email-protection": "1.3.6.1.5.5.7.3.4",
    "ipsec-end-system": "1.3.6.1.5.5.7.3.5",
    "ipsec-tunnel": "1.3.6.1.5.5.7.3.6",
    "ipsec-user": "1.3.6.1.5.5.7.3.7",
    "ocsp-signing": "1.3.6.1.5.5.7.3.9",
    "server-auth": "1.3.6.1.5.5.7.3.1",
    "time-stamping": "1.3.6.1.5.5.7.3.8",
}
HASHES = ("sha1", "sha256", "sha384", "sha512")
CRL_CACHE_MAX_MINUTES = 43200  # IOS's crl cache delete-after range: 1-43200 minutes (30 days)
_INTERFACE = re.compile(r"^[A-Za-z][A-Za-z0-9_.:@-]{0,14}$")  # Linux: IFNAMSIZ 16 with the NUL
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


# Options saved only when away from their default (Trustpoint.stored_doc): issue 12's.
SAVED_WHEN_SET = ("enrollment_terminal", "rsakeypair_size", "rsakeypair_encryption_size", "subject_alt_name", "fqdn",
                  "usage", "eku_request", "hash", "ocsp_disable_nonce", "crl_cache", "chain_validation",
                  "match_certificate")


@dataclass
class Trustpoint:
    """A CA the device trusts, and how to enroll with it and check revocation.

    ``password`` holds the challenge password in clear only in memory; the store seals it.
    """

    name: str
    enrollment_url: str | None = None
    enrollment_command: str | None = None
    enrollment_terminal: bool = False  # manual cut-and-paste enrollment (no SCEP); excludes enrollment url
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
    rsakeypair_size: int | None = None  # modulus generated at enrollment when the key pair is missing
    rsakeypair_encryption_size: int | None = None  # ... and of the encryption key of usage keys
    subject_name: str | None = None
    subject_alt_name: str | None = None  # a DNS name added to the request's subjectAltName
    fqdn: str | None = None  # the request's FQDN instead of hostname.domain; FQDN_NONE: none
    serial_number: bool | None = None  # None: not configured (IOS asks); False: "serial-number none"
    ip_address: str | None = None  # an address, an interface (resolved at enrollment) or IP_NONE
    usage: list[str] = field(default_factory=list)  # ike, ssl-client, ssl-server
    eku_request: list[str] = field(default_factory=list)  # IOS's EKU keywords (EKU_OIDS)
    hash: str | None = None  # the request's signature hash; None: sha256
    ocsp_disable_nonce: bool = False
    crl_cache: int | None = None  # None: until the CRL's next update; 0: "none"; N: delete-after N min
    chain_validation: str | None = None  # None: continue; "stop"; "continue PARENT"
    match_certificate: str | None = None  # a certificate map's label

    # -- setters that validate; each raises ConfigError naming the bad part --------------------
    def set_enrollment_url(self, url: str) -> None:
        """``enrollment url URL`` (http or https); refused while ``enrollment terminal`` is set."""
        url = validate_url(url, ("http", "https"), "enrollment url")
        if self.enrollment_terminal:
            raise ConfigError(f"Trustpoint {self.name} enrolls by cut-and-paste (enrollment terminal): "
                              "enrollment url and enrollment terminal exclude each other",
                              "Remove it first: no enrollment terminal")
        self.enrollment_url = url

    def set_enrollment_terminal(self) -> None:
        """``enrollment terminal``: manual cut-and-paste enrollment (the request is printed, the
        certificate pasted back with crypto pki import); refused while ``enrollment url`` is set."""
        if self.enrollment_url:
            raise ConfigError(f"Trustpoint {self.name} enrolls over SCEP (enrollment url {self.enrollment_url}): "
                              "enrollment url and enrollment terminal exclude each other",
                              "Remove it first: no enrollment url")
        self.enrollment_terminal = True

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

    def set_rsakeypair(self, label: str, size: int | str | None = None,
                       encryption_size: int | str | None = None) -> None:
        """``rsakeypair LABEL [SIZE [ENCRYPTION-SIZE]]``: the key pair this trustpoint enrolls, and
        the moduli enrollment generates it with when it is missing (the second one for the
        encryption key of usage keys). Without sizes, none are kept."""
        if encryption_size is not None and size is None:
            raise ConfigError("rsakeypair: an encryption key size needs the key size before it",
                              "Example: rsakeypair vpn-keys 2048 2048")
        label = validate_name(label, "key label")
        bits = None if size is None else _int_in_range(size, MIN_MODULUS, MAX_MODULUS, "rsakeypair key size (bits)")
        enc = None if encryption_size is None else _int_in_range(
            encryption_size, MIN_MODULUS, MAX_MODULUS, "rsakeypair encryption key size (bits)")
        self.rsakeypair, self.rsakeypair_size, self.rsakeypair_encryption_size = label, bits, enc

    def set_subject_name(self, dn: str) -> None:
        """``subject-name DN``."""
        self.subject_name = validate_dn(dn)

    def set_ip_address(self, address: str) -> None:
        """``ip-address {ADDRESS | INTERFACE | none}``: put this address, or the address the
        interface has at enrollment, in the certificate request; ``none``: no address (IOS then
        does not ask). An interface must exist on this host now."""
        address = validate_request_address(address)
        if address == IP_NONE or _is_ip(address):
            self.ip_address = address
            return
        from pkitui.core.interfaces import interface_names  # the OS, only for an interface

        names = interface_names()
        if address not in names:
            raise ConfigError(f"ip-address: this host has no interface {address!r}",
                              f"Interfaces here: {', '.join(names) or '(none found)'}; or give an address.")
        self.ip_address = address

    def set_subject_alt_name(self, name: str) -> None:
        """``subject-alt-name NAME``: a DNS name added to the request's subjectAltName."""
        self.subject_alt_name = validate_dns_name(name, "subject-alt-name")

    def set_fqdn(self, name: str) -> None:
        """``fqdn {NAME | none}``: the FQDN the request carries instead of hostname.domain."""
        self.fqdn = FQDN_NONE if name.lower() == FQDN_NONE else validate_dns_name(name, "fqdn")

    def set_serial_number(self, include: bool) -> None:
        """``serial-number`` (True) or ``serial-number none`` (False): whether the request's
        subject carries this host's serial number, decided here so enrollment does not ask."""
        self.serial_number = include

    def set_usage(self, usages: list[str]) -> None:
        """``usage {ike | ssl-client | ssl-server} ...``: what the certificate is for (the request's
        key usage and extended key usage follow it)."""
        self.usage = _distinct_words(usages, USAGES, "usage", "usage ike ssl-client")

    def set_eku_request(self, ekus: list[str]) -> None:
        """``eku request KEYWORD ...``: the extended key usages the request asks for."""
        self.eku_request = _distinct_words(ekus, tuple(EKU_OIDS), "eku request", "eku request client-auth server-auth")

    def set_hash(self, name: str) -> None:
        """``hash {sha1 | sha256 | sha384 | sha512}``: the request's signature hash."""
        name = name.lower()
        if name not in HASHES:
            raise ConfigError(f"unknown hash {name!r}", f"Use one of {', '.join(HASHES)}.")
        self.hash = name

    def set_crl_cache(self, minutes: int | str | None) -> None:
        """``crl cache none`` (None: a fetched CRL serves that check only) or ``crl cache
        delete-after MINUTES`` (1-43200: kept at most that long, even if its next update is later)."""
        self.crl_cache = 0 if minutes is None else _int_in_range(
            minutes, 1, CRL_CACHE_MAX_MINUTES, "crl cache delete-after (minutes)")

    def set_chain_validation(self, stop: bool, parent: str | None = None) -> None:
        """``chain-validation stop`` (this trustpoint's CA ends the path: it is trusted as it is)
        or ``chain-validation continue [PARENT]`` (the path goes on, to PARENT's CA if named)."""
        if stop:
            if parent is not None:
                raise ConfigError("chain-validation stop takes no parent trustpoint",
                                  "Example: chain-validation continue root-ca")
            self.chain_validation = "stop"
            return
        if parent is not None:
            parent = validate_name(parent, "parent trustpoint")
            if parent.lower() == self.name.lower():
                raise ConfigError(f"trustpoint {self.name} cannot be its own parent",
                                  "Name the trustpoint of the CA that issued this one's CA.")
        self.chain_validation = "continue" + (f" {parent}" if parent else "")

    @property
    def chain_parent(self) -> str | None:
        """The parent trustpoint of ``chain-validation continue PARENT`` (else None)."""
        words = (self.chain_validation or "").split()
        return words[1] if len(words) == 2 else None

    def set_match_certificate(self, label: str) -> None:
        """``match certificate MAP``: a peer's certificate must match the certificate map."""
        self.match_certificate = validate_name(label, "certificate map label")

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

    def stored_doc(self) -> dict[str, Any]:
        """:meth:`to_doc` as the store keeps it: the options added since the first store format
        only when set, so a trustpoint without them is saved (and counted in NVRAM) as before."""
        doc = self.to_doc()
        blank = Trustpoint(name=self.name)
        for name in SAVED_WHEN_SET:
            if name in doc and getattr(self, name) == getattr(blank, name):
                del doc[name]
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


def validate_request_address(text: str) -> str:
    """What ``ip-address`` takes, by its form only: an IP address (normalised), an interface
    name or ``none`` (whether the interface exists is the setter's question, not a loaded store's)."""
    if text.lower() == IP_NONE:
        return IP_NONE
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if not _INTERFACE.match(text):
        raise ConfigError(f"invalid ip-address {text!r}",
                          "Give an IPv4 or IPv6 address, an interface name (e.g. eth0) or none.")
    return text


def validate_chain_validation(text: str) -> str:
    """A stored ``chain-validation`` value: ``stop``, ``continue`` or ``continue PARENT``."""
    words = text.split()
    if words == ["stop"] or words == ["continue"]:
        return text
    if len(words) == 2 and words[0] == "continue":
        validate_name(words[1], "parent trustpoint")
        return text
    raise ConfigError(f"invalid chain-validation {text!r}", "Use stop, continue or continue PARENT.")


def validate_dns_name(name: str, what: str) -> str:
    """A DNS name (letters, digits, '-' labels joined by '.'), not an IP address."""
    if _is_ip(name) or not re.match(r"^(?=.{1,253}$)(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
                                    r"(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$", name):
        raise ConfigError(f"invalid {what} {name!r}", "Give a DNS name, e.g. r1.example.com")
    return name.rstrip(".")


def _distinct_words(words: list[str], allowed: tuple[str, ...], what: str, example: str) -> list[str]:
    """``words`` lower-cased: at least one, each of ``allowed``, none twice."""
    words = [w.lower() for w in words]
    if not words:
        raise ConfigError(f"{what} takes at least one of {', '.join(allowed)}", f"Example: {example}")
    for w in words:
        if w not in allowed:
            raise ConfigError(f"unknown {what} keyword {w!r}", f"Use {', '.join(allowed)}.")
    if len(set(words)) != len(words):
        raise ConfigError(f"{what} lists {next(w for w in words if words.count(w) > 1)!r} twice",
                          "Give each keyword once.")
    return words


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
