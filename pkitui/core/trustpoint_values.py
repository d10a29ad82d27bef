"""What a trustpoint option accepts: the validators its setters, the store check and the option
table share (names, hosts, URLs, fingerprints, addresses, keyword lists), and the keyword sets."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from pkitui.core.dn import validate_dn as _validate_dn
from pkitui.core.errors import ConfigError

REVOCATION_METHODS = ("crl", "ocsp", "none")
# ``crl query``: LDAP as IOS, and HTTP(S) (our addition: CAs that publish a CRL over HTTP without a CDP)
CRL_QUERY_SCHEMES = ("ldap", "ldaps", "http", "https")
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
                  "match_certificate", "auto_enroll", "deploy_swanctl", "deploy_pem", "deploy_key",
                  "deploy_certificate", "deploy_chain", "deploy_ca", "deploy_crl", "deploy_mode", "deploy_owner",
                  "deploy_command")
# Secrets the store seals (saved as FIELD_sealed, never in clear) and show running-config writes as "7 SEALED".
SEALED = ("password", "deploy_key_password")




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
    if is_ip(name) or not re.match(r"^(?=.{1,253}$)(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
                                    r"(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$", name):
        raise ConfigError(f"invalid {what} {name!r}", "Give a DNS name, e.g. r1.example.com")
    return name.rstrip(".")


def distinct_words(words: list[str], allowed: tuple[str, ...], what: str, example: str) -> list[str]:
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


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def int_in_range(value: int | str, low: int, high: int, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: {value!r} is not a number", f"Give a number from {low} to {high}.") from None
    if not low <= number <= high:
        raise ConfigError(f"{what}: {number} is out of range", f"Give a number from {low} to {high}.")
    return number
