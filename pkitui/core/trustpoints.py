"""Trustpoints: the CA a device uses and how to reach it, with every option of the seed."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, NamedTuple

from pkitui.core.deploy_values import (
    SWANCTL_DIR,
    command_argv,
    parse_mode,
    validate_key_password,
    validate_owner,
    validate_path,
    validate_vici_uri,
)
from pkitui.core.errors import ConfigError
from pkitui.core.keys import MAX_MODULUS, MIN_MODULUS
from pkitui.core.trustpoint_values import (
    CRL_CACHE_MAX_MINUTES,
    CRL_QUERY_SCHEMES,
    DEFAULT_SCEP_PATH,
    EKU_OIDS,
    FQDN_NONE,
    HASHES,
    IP_NONE,
    SAVED_WHEN_SET,
    SEALED,
    USAGES,
    distinct_words,
    int_in_range,
    is_ip,
    normalize_fingerprint,
    validate_dn,
    validate_dns_name,
    validate_host,
    validate_name,
    validate_port,
    validate_request_address,
    validate_revocation_methods,
    validate_url,
)


class AutoEnroll(NamedTuple):
    """``auto-enroll [PERCENT] [regenerate]``: renew when PERCENT of the device certificate's
    lifetime has passed (None: at its expiry, as IOS does without a percentage); ``regenerate``:
    with a new key pair, switched to once the new certificate is issued."""

    percent: int | None = None
    regenerate: bool = False


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
    auto_enroll: AutoEnroll | None = None  # None: no auto-enroll
    # Deployment (our addition, issue 11): where the key and certificates are written for a daemon.
    deploy_swanctl: tuple[str, str | None] | None = None  # "deploy swanctl [DIR] [uri URI]": (DIR, vici URI)
    deploy_pem: str | None = None  # "deploy pem DIR": the generic preset's folder
    deploy_key: str | None = None  # overrides of the preset's files (paths)
    deploy_key_password: str | None = field(default=None, repr=False)  # the key written encrypted; sealed
    deploy_certificate: str | None = None
    deploy_chain: str | None = None
    deploy_ca: str | None = None
    deploy_crl: str | None = None
    deploy_mode: int | None = None  # every file's mode; None: 0600 for the key, 0644 for the others
    deploy_owner: str | None = None  # USER[:GROUP], resolved at deployment
    deploy_command: str | None = None  # run after a change (shlex-split, no shell); replaces the preset's

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
        self.enrollment_retry_period = int_in_range(minutes, 1, 60, "enrollment retry period (minutes)")

    def set_retry_count(self, count: int | str) -> None:
        """``enrollment retry count N`` (0..100, 0 = until cancelled)."""
        self.enrollment_retry_count = int_in_range(count, 0, 100, "enrollment retry count")

    def set_timeout(self, seconds: int | str) -> None:
        """``enrollment timeout SECONDS`` (1..3600; our addition): the deadline of each network
        operation of this trustpoint (SCEP, CRL, LDAP, OCSP, TFTP), connect to last byte."""
        self.enrollment_timeout = int_in_range(seconds, 1, 3600, "enrollment timeout (seconds)")

    def set_http_proxy(self, host: str, port: int | str) -> None:
        """``enrollment http-proxy HOST PORT``."""
        self.enrollment_http_proxy = (validate_host(host, "http-proxy host"), validate_port(port, "http-proxy port"))

    def set_crl_query(self, url: str) -> None:
        """``crl query ldap://HOST[:PORT]`` or (our addition: many CAs publish their CRL over HTTP
        without a CDP in their certificates, micromdm among them) ``crl query http[s]://HOST/PATH``."""
        self.crl_query = validate_url(url, CRL_QUERY_SCHEMES, "crl query URL")

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
        if not is_ip(server.strip("[]")):  # an IPv6 address is full of ':'
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
        bits = None if size is None else int_in_range(size, MIN_MODULUS, MAX_MODULUS, "rsakeypair key size (bits)")
        enc = None if encryption_size is None else int_in_range(
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
        if address == IP_NONE or is_ip(address):
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
        self.usage = distinct_words(usages, USAGES, "usage", "usage ike ssl-client")

    def set_eku_request(self, ekus: list[str]) -> None:
        """``eku request KEYWORD ...``: the extended key usages the request asks for."""
        self.eku_request = distinct_words(ekus, tuple(EKU_OIDS), "eku request", "eku request client-auth server-auth")

    def set_hash(self, name: str) -> None:
        """``hash {sha1 | sha256 | sha384 | sha512}``: the request's signature hash."""
        name = name.lower()
        if name not in HASHES:
            raise ConfigError(f"unknown hash {name!r}", f"Use one of {', '.join(HASHES)}.")
        self.hash = name

    def set_crl_cache(self, minutes: int | str | None) -> None:
        """``crl cache none`` (None: a fetched CRL serves that check only) or ``crl cache
        delete-after MINUTES`` (1-43200: kept at most that long, even if its next update is later)."""
        self.crl_cache = 0 if minutes is None else int_in_range(
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

    def set_auto_enroll(self, percent: int | str | None = None, regenerate: bool = False) -> None:
        """``auto-enroll [PERCENT] [regenerate]``: renew when PERCENT (1-100) of the device
        certificate's lifetime has passed, or at its expiry without PERCENT (IOS)."""
        pct = None if percent is None else int_in_range(percent, 1, 100, "auto-enroll percent")
        self.auto_enroll = AutoEnroll(pct, regenerate)

    def set_deploy_swanctl(self, folder: str | None = None, uri: str | None = None) -> None:
        """``deploy swanctl [DIR] [uri VICI_URI]``: the strongSwan preset (DIR: SWANCTL_DIR,
        default /etc/swanctl; the URI reaches a charon's vici socket, e.g. in another namespace)."""
        if self.deploy_pem:
            raise ConfigError(f"Trustpoint {self.name} deploys with the pem preset: one preset per trustpoint",
                              "Remove it first: no deploy pem")
        path = validate_path(folder or SWANCTL_DIR, "deploy swanctl folder")
        self.deploy_swanctl = (path, validate_vici_uri(uri) if uri else None)

    def set_deploy_pem(self, folder: str) -> None:
        """``deploy pem DIR``: the generic preset (nginx, openssl): TP.key, TP.crt, TP-chain.pem,
        TP-ca.crt and TP.crl.pem in DIR."""
        if self.deploy_swanctl:
            raise ConfigError(f"Trustpoint {self.name} deploys with the swanctl preset: one preset per trustpoint",
                              "Remove it first: no deploy swanctl")
        self.deploy_pem = validate_path(folder, "deploy pem folder")

    def set_deploy_file(self, what: str, path: str) -> None:
        """``deploy {key | certificate | chain | ca | crl} PATH``: where that file goes (overrides
        the preset's path, or deploys it without a preset)."""
        setattr(self, f"deploy_{what}", validate_path(path, f"deploy {what} path"))

    def set_deploy_key_password(self, password: str) -> None:
        """``deploy key-password SECRET``: write the key as encrypted PKCS#8 (AES-256)."""
        self.deploy_key_password = validate_key_password(password)

    def set_deploy_mode(self, text: str) -> None:
        """``deploy mode OCTAL``: the mode of every file written (none for others)."""
        self.deploy_mode = parse_mode(text)

    def set_deploy_owner(self, owner: str) -> None:
        """``deploy owner USER[:GROUP]``: the files' owner. A user or group this host does not have
        is refused here (ConfigError naming it), as the deployment would fail; a saved configuration
        naming one is still read (the store check takes the form only)."""
        from pkitui.core.deploy_values import resolve_owner

        text = validate_owner(owner)
        resolve_owner(text)
        self.deploy_owner = text

    def set_deploy_command(self, line: str) -> None:
        """``deploy command LINE...``: run after anything changed (no shell), instead of the preset's."""
        command_argv(line)
        self.deploy_command = line.strip()

    @property
    def deploys(self) -> bool:
        """True when a deployment is configured (a preset or any file)."""
        return bool(self.deploy_swanctl or self.deploy_pem or self.deploy_key or self.deploy_certificate
                    or self.deploy_chain or self.deploy_ca or self.deploy_crl)

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
            if f.name in SEALED:
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
        kw = {k: v for k, v in doc.items() if k in known and k not in SEALED}
        for key in ("enrollment_http_proxy", "root_tftp", "deploy_swanctl"):
            if kw.get(key) is not None:
                kw[key] = tuple(kw[key])
        if kw.get("auto_enroll") is not None:
            kw["auto_enroll"] = AutoEnroll(*kw["auto_enroll"])
        return cls(**kw)
