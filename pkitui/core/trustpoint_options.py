"""The trustpoint options, in one table: the IOS ca-trustpoint sub-commands, the console's form,
``show running-config`` and the help text are all generated from :data:`OPTIONS`.

A row names the :class:`~pkitui.core.trustpoints.Trustpoint` attribute it sets (``key``, the one
name every front end uses), the IOS words and argument grammar (the spec syntax of
:mod:`pkitui.ios.grammar`; the ``no`` form is ``no WORDS`` with every argument optional unless
``no_syntax`` says otherwise), how the argument text is parsed (the validating setters), how the
value reads as text, and what the console shows (label, an example placeholder, secret or flag).
The default is the dataclass field's default, which :meth:`Trustpoint.reset` restores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields

from pkitui.core.deploy_values import SWANCTL_DIR
from pkitui.core.errors import ConfigError
from pkitui.core.trustpoint_values import (
    CRL_CACHE_MAX_MINUTES,
    DEFAULT_SCEP_PATH,
    EKU_OIDS,
    HASHES,
    REVOCATION_METHODS,
    USAGES,
)
from pkitui.core.trustpoints import Trustpoint

Parser = Callable[[Trustpoint, str], None]
Text = Callable[[Trustpoint], str]


@dataclass(frozen=True)
class TrustpointOption:
    """One ca-trustpoint option (see the module docstring for what each front end takes)."""

    key: str  # the Trustpoint attribute: the option's one name
    words: str  # the IOS keywords: "enrollment retry period"
    args: str  # the IOS argument grammar after the words ("" for a flag)
    parse: Parser  # sets the option from its argument text (raises ConfigError)
    text: Text  # the value as argument text ("" when unset, and for a flag)
    help: str  # the console's tooltip (and IOS's ``?`` line unless ``brief`` gives a shorter one)
    label: str  # the console's label
    placeholder: str = ""  # an example in the console's empty field ("e.g. ...")
    no_syntax: str | None = None  # the ``no`` form after "no", when it is not WORDS [ARGS]
    config_text: Text | None = None  # the running-config argument text, when it differs from ``text``
    shown_at_default: bool = False  # in show running-config even at its default (revocation-check)
    secret: bool = False  # a password: hidden in the console, sealed in show running-config
    flag: bool = False  # on or off (a checkbox in the console); ``parse`` turns it on
    brief: str = ""  # IOS's one-line ``?`` help when ``help`` is longer (IOS help is short)

    @property
    def summary(self) -> str:
        """The option's ``?`` line in IOS: ``brief``, else ``help``."""
        return self.brief or self.help

    @property
    def default(self) -> object:
        """The option's default: the Trustpoint field's default (what ``no OPTION`` restores)."""
        spec = next(f for f in fields(Trustpoint) if f.name == self.key)
        return spec.default_factory() if spec.default_factory is not MISSING else spec.default

    def is_default(self, tp: Trustpoint) -> bool:
        """True when ``tp`` has this option at its default."""
        # By name, as Trustpoint.reset does: the key is checked against the dataclass's fields.
        value: object = getattr(tp, self.key)
        return value == self.default

    def reset(self, tp: Trustpoint) -> None:
        """The ``no`` form: back to the default."""
        tp.reset(self.key)

    def set_text(self, tp: Trustpoint, text: str) -> None:
        """Set from a form's text: empty text restores the default (the ``no`` form)."""
        text = text.strip()
        if text:
            self.parse(tp, text)
        else:
            self.reset(tp)

    def config_line(self, tp: Trustpoint, seal: Callable[[str], str]) -> str | None:
        """The option's ``show running-config`` line (no indentation), or None when it is not
        shown; a secret is written as IOS's ``password 7 SEALED`` with ``seal``."""
        if self.is_default(tp) and not self.shown_at_default:
            return None
        text = (self.config_text or self.text)(tp)
        if self.secret:
            text = f"7 {seal(text)}"
        return f"{self.words} {text}" if text else self.words


def _two_words(text: str, what: str, example: str) -> tuple[str, str]:
    """The two words of ``text``, or a ConfigError with an example."""
    parts = text.split()
    if len(parts) != 2:
        raise ConfigError(f"{what} takes two words", f"Example: {what} {example}")
    return parts[0], parts[1]


def _set_http_proxy(tp: Trustpoint, text: str) -> None:
    host, port = _two_words(text, "enrollment http-proxy", "proxy.example.com 3128")
    tp.set_http_proxy(host, port)


def _set_root_tftp(tp: Trustpoint, text: str) -> None:
    server, filename = _two_words(text, "root tftp", "10.0.0.1 ca.cer")
    tp.set_root_tftp(server, filename)


def _set_mode_ra(tp: Trustpoint, text: str) -> None:
    tp.enrollment_mode_ra = True


def _set_serial_number(tp: Trustpoint, text: str) -> None:
    # IOS's bare "serial-number" includes it, "serial-number none" leaves it out; the console's
    # field says "include" for the bare form.
    word = text.strip().lower()
    if word not in ("", "include", "none"):
        raise ConfigError(f"serial-number takes 'none' or nothing, not {text.strip()!r}",
                          "serial-number: include it; serial-number none: leave it out")
    tp.set_serial_number(word != "none")


def _serial_number_text(tp: Trustpoint) -> str:
    return "" if tp.serial_number is None else ("include" if tp.serial_number else "none")


def _set_rsakeypair(tp: Trustpoint, text: str) -> None:
    words = text.split()
    if not 1 <= len(words) <= 3:
        raise ConfigError("rsakeypair takes a label and up to two key sizes", "Example: rsakeypair vpn-keys 2048")
    tp.set_rsakeypair(*words)


def _rsakeypair_text(tp: Trustpoint) -> str:
    sizes = (tp.rsakeypair_size, tp.rsakeypair_encryption_size)
    return " ".join([tp.rsakeypair or ""] + [str(n) for n in sizes if n is not None]) if tp.rsakeypair else ""


def _set_crl_cache(tp: Trustpoint, text: str) -> None:
    words = text.lower().split()
    if words == ["none"]:
        tp.set_crl_cache(None)
    elif len(words) == 2 and words[0] == "delete-after":
        tp.set_crl_cache(words[1])
    else:
        raise ConfigError(f"crl cache takes 'none' or 'delete-after MINUTES', not {text.strip()!r}",
                          "Example: crl cache delete-after 60")


def _crl_cache_text(tp: Trustpoint) -> str:
    if tp.crl_cache is None:
        return ""
    return "none" if tp.crl_cache == 0 else f"delete-after {tp.crl_cache}"


def _set_chain_validation(tp: Trustpoint, text: str) -> None:
    words = text.split()
    if words and words[0].lower() == "stop" and len(words) == 1:
        tp.set_chain_validation(stop=True)
    elif words and words[0].lower() == "continue" and len(words) <= 2:
        tp.set_chain_validation(stop=False, parent=words[1] if len(words) == 2 else None)
    else:
        raise ConfigError(f"chain-validation takes 'stop' or 'continue [PARENT]', not {text.strip()!r}",
                          "Example: chain-validation continue root-ca")


AT_EXPIRY = "at-expiry"  # the console's word for a bare "auto-enroll" (an empty field means "no auto-enroll")


def _set_auto_enroll(tp: Trustpoint, text: str) -> None:
    # "auto-enroll [PERCENT] [regenerate]"; the IOS parser hands the keyword before the number.
    words = text.lower().split()
    regenerate = "regenerate" in words
    rest = [w for w in words if w not in ("regenerate", AT_EXPIRY)]
    if len(rest) > 1 or words.count("regenerate") > 1:
        raise ConfigError(f"auto-enroll takes a percentage and 'regenerate', not {text.strip()!r}",
                          "Example: auto-enroll 80 regenerate (without a percentage: at expiry)")
    tp.set_auto_enroll(rest[0] if rest else None, regenerate)


def _auto_enroll_config_text(tp: Trustpoint) -> str:
    ae = tp.auto_enroll
    if ae is None:
        return ""
    return " ".join(([str(ae.percent)] if ae.percent is not None else []) + (["regenerate"] if ae.regenerate else []))


def _auto_enroll_text(tp: Trustpoint) -> str:
    return "" if tp.auto_enroll is None else _auto_enroll_config_text(tp) or AT_EXPIRY


def _choice(words: tuple[str, ...]) -> str:
    return "{" + " | ".join(words) + "}"


def _command_config_text(tp: Trustpoint) -> str:
    # IOS writes a bare "enrollment command" for the default path.
    return "" if tp.enrollment_command == DEFAULT_SCEP_PATH else tp.enrollment_command or ""


def _set_deploy_swanctl(tp: Trustpoint, text: str) -> None:
    # The IOS form hands over "uri" before the values; the console's field reads "DIR uri URI".
    words = [w for w in text.split() if w.lower() != "uri"]
    uris = [w for w in words if "://" in w]
    folders = [w for w in words if "://" not in w]
    if len(uris) > 1 or len(folders) > 1:
        raise ConfigError(f"deploy swanctl takes a folder and a vici URI, not {text.strip()!r}",
                          "Example: deploy swanctl /etc/swanctl uri unix:///var/run/charon.vici")
    tp.set_deploy_swanctl(folders[0] if folders else None, uris[0] if uris else None)


def _deploy_swanctl_text(tp: Trustpoint) -> str:
    if tp.deploy_swanctl is None:
        return ""
    folder, uri = tp.deploy_swanctl
    return f"{folder} uri {uri}" if uri else folder


def _deploy_file(what: str, title: str, brief: str, example: str) -> TrustpointOption:
    """The ``deploy {key | certificate | chain | ca | crl} PATH`` row of one file."""

    def parse(tp: Trustpoint, text: str) -> None:
        tp.set_deploy_file(what, text)

    def value(tp: Trustpoint) -> str:
        return str(getattr(tp, f"deploy_{what}") or "")

    return TrustpointOption(
        f"deploy_{what}", f"deploy {what}", "PATH", parse, value,
        f"Where to write {title} (instead of the preset's path, or without a preset).",
        f"deploy {what} (path)", f"e.g. {example}", brief=f"Where to write {brief}")


_METHOD = "{" + " | ".join(REVOCATION_METHODS) + "}"

OPTIONS: tuple[TrustpointOption, ...] = (
    TrustpointOption(
        "enrollment_url", "enrollment url", "URL",
        lambda tp, v: tp.set_enrollment_url(v), lambda tp: tp.enrollment_url or "",
        "The CA's SCEP URL.",
        "enrollment url", "e.g. http://ca.example.com:80/scep"),
    TrustpointOption(
        "enrollment_command", "enrollment command", "[PATH]",
        lambda tp, v: tp.set_enrollment_command(v or None), lambda tp: tp.enrollment_command or "",
        f"The HTTP path sent to the CA ({DEFAULT_SCEP_PATH} when none is given).",
        "enrollment command", f"e.g. {DEFAULT_SCEP_PATH}", config_text=_command_config_text,
        brief="HTTP path of the CA's SCEP service"),
    TrustpointOption(
        "enrollment_terminal", "enrollment terminal", "",
        lambda tp, v: tp.set_enrollment_terminal(), lambda tp: "",
        "Cut-and-paste enrollment: the request is shown, the certificate pasted back (crypto pki import).",
        "enrollment terminal", flag=True,
        brief="Cut-and-paste enrollment"),
    TrustpointOption(
        "enrollment_mode_ra", "enrollment mode ra", "",
        _set_mode_ra, lambda tp: "",
        "The CA has a registration authority.",
        "enrollment mode ra", no_syntax="enrollment mode [ra]", flag=True),
    TrustpointOption(
        "enrollment_retry_period", "enrollment retry period", "MINUTES:int",
        lambda tp, v: tp.set_retry_period(v), lambda tp: str(tp.enrollment_retry_period),
        "Minutes between polls of a pending enrollment (1-60, default 1).",
        "enrollment retry period (min)", "e.g. 2",
        brief="Minutes between polls of a pending enrollment"),
    TrustpointOption(
        "enrollment_retry_count", "enrollment retry count", "COUNT:int",
        lambda tp, v: tp.set_retry_count(v), lambda tp: str(tp.enrollment_retry_count),
        "How many polls before giving up (0-100, 0: until cancelled).",
        "enrollment retry count (0: ∞)", "e.g. 8"),
    TrustpointOption(
        "enrollment_timeout", "enrollment timeout", "SECONDS:int",
        lambda tp, v: tp.set_timeout(v),
        lambda tp: str(tp.enrollment_timeout) if tp.enrollment_timeout is not None else "",
        "Deadline of each network operation to this CA, connect to last byte (1-3600 s, default 30; our addition).",
        "enrollment timeout (s, per operation)", "e.g. 30",
        brief="Deadline of each network operation to this CA"),
    TrustpointOption(
        "enrollment_http_proxy", "enrollment http-proxy", "HOST PORT:int",
        _set_http_proxy,
        lambda tp: " ".join(map(str, tp.enrollment_http_proxy)) if tp.enrollment_http_proxy else "",
        "Reach the CA through an HTTP proxy.",
        "enrollment http-proxy HOST PORT", "e.g. proxy.example.com 3128"),
    TrustpointOption(
        "crl_query", "crl query", "URL",
        lambda tp, v: tp.set_crl_query(v), lambda tp: tp.crl_query or "",
        "Where to query CRLs: LDAP (ldap://HOST[:PORT]) or HTTP (http://HOST/PATH, our addition).",
        "crl query", "e.g. ldap://ldap.example.com:389",
        brief="Where to query CRLs (LDAP or HTTP)"),
    TrustpointOption(
        "revocation_check", "revocation-check", f"{_METHOD} [{_METHOD} [{_METHOD}]]",
        lambda tp, v: tp.set_revocation_check(v.split()), lambda tp: " ".join(tp.revocation_check),
        "Revocation methods tried in order: crl, ocsp, none (default: crl).",
        "revocation-check (in order)", "e.g. crl ocsp none", shown_at_default=True,
        brief="Revocation methods, tried in order"),
    TrustpointOption(
        "ocsp_url", "ocsp url", "URL",
        lambda tp, v: tp.set_ocsp_url(v), lambda tp: tp.ocsp_url or "",
        "The OCSP responder to ask (instead of the certificate's AIA).",
        "ocsp url", "e.g. http://ocsp.example.com/",
        brief="The OCSP responder to ask"),
    TrustpointOption(
        "root_tftp", "root tftp", "SERVER FILE",
        _set_root_tftp, lambda tp: " ".join(tp.root_tftp) if tp.root_tftp else "",
        "Get the CA certificate over TFTP from SERVER[:PORT].",
        "root tftp SERVER FILE", "e.g. 10.0.0.1 ca.cer", no_syntax="root [tftp [SERVER [FILE]]]"),
    TrustpointOption(
        "fingerprint", "fingerprint", "HEX...",
        lambda tp, v: tp.set_fingerprint(v), lambda tp: tp.fingerprint or "",
        "The CA fingerprint expected at authentication (MD5, SHA-1 or SHA-256 hex).",
        "fingerprint (CA, pre-configured)", "MD5, SHA-1 or SHA-256 hex",
        brief="The CA fingerprint expected at authentication"),
    TrustpointOption(
        "password", "password", "[SECRET]",
        lambda tp, v: tp.set_password(v), lambda tp: tp.password or "",
        "The SCEP challenge password (stored encrypted; asked at enrollment when none is set).",
        "password (challenge)", "asked at enrollment when empty", secret=True,
        brief="The SCEP challenge password"),
    TrustpointOption(
        "ocsp_disable_nonce", "ocsp disable-nonce", "",
        lambda tp, v: setattr(tp, "ocsp_disable_nonce", True), lambda tp: "",
        "Send OCSP requests without a nonce (and expect none back).",
        "ocsp disable-nonce", flag=True),
    TrustpointOption(
        "crl_cache", "crl cache", f"{{none | delete-after MINUTES:1-{CRL_CACHE_MAX_MINUTES}}}",
        _set_crl_cache, _crl_cache_text,
        "How long a fetched CRL is kept: none (for that check only) or delete-after MINUTES "
        "(default: until its next update).",
        "crl cache", "e.g. delete-after 60",
        brief="How long a fetched CRL is kept"),
    TrustpointOption(
        "chain_validation", "chain-validation", "{stop | continue [PARENT]}",
        _set_chain_validation, lambda tp: tp.chain_validation or "",
        "Where a certificate path ends: stop (this CA is trusted as it is) or continue to the "
        "parent trustpoint's CA (default: continue).",
        "chain-validation", "e.g. continue root-ca",
        brief="Where a certificate path ends"),
    TrustpointOption(
        "match_certificate", "match certificate", "MAP",
        lambda tp, v: tp.set_match_certificate(v), lambda tp: tp.match_certificate or "",
        "A peer certificate must match this certificate map (crypto pki certificate map).",
        "match certificate (map)", "e.g. peers",
        brief="Match peer certificates against a certificate map"),
    TrustpointOption(
        "rsakeypair", "rsakeypair", "LABEL [SIZE:int [ENCRYPTION_SIZE:int]]",
        _set_rsakeypair, _rsakeypair_text,
        "The key pair this trustpoint enrolls (default: the FQDN's keys), and the key sizes "
        "generated when it is missing.",
        "rsakeypair (label [size [enc-size]])", "default: the FQDN",
        brief="The key pair this trustpoint enrolls"),
    TrustpointOption(
        "subject_name", "subject-name", "DN...",
        lambda tp, v: tp.set_subject_name(v), lambda tp: tp.subject_name or "",
        "The subject DN requested (RFC 4514: CN=r1.example.com,O=Example).",
        "subject-name", "e.g. CN=r1.example.com,O=Example",
        brief="The subject DN requested"),
    TrustpointOption(
        "subject_alt_name", "subject-alt-name", "NAME",
        lambda tp, v: tp.set_subject_alt_name(v), lambda tp: tp.subject_alt_name or "",
        "A DNS name added to the request's subject alternative name.",
        "subject-alt-name", "e.g. vpn.example.com"),
    TrustpointOption(
        "fqdn", "fqdn", "NAME",
        lambda tp, v: tp.set_fqdn(v), lambda tp: tp.fqdn or "",
        "The FQDN the request carries instead of hostname.domain (none: no FQDN).",
        "fqdn (or none)", "e.g. r1.example.com",
        brief="The FQDN put in the certificate request"),
    TrustpointOption(
        "serial_number", "serial-number", "[none]",
        _set_serial_number, _serial_number_text,
        "Put the device serial number in the certificate request (none: leave it out; unset: asked at enrollment).",
        "serial-number (include or none)", "e.g. none", no_syntax="serial-number [none]",
        brief="Put the serial number in the certificate request",
        config_text=lambda tp: "none" if tp.serial_number is False else ""),
    TrustpointOption(
        "ip_address", "ip-address", "ADDRESS",
        lambda tp, v: tp.set_ip_address(v), lambda tp: tp.ip_address or "",
        "Put this IP address, or an interface's address, in the certificate request (none: no address).",
        "ip-address (address, interface or none)", "e.g. 192.0.2.1",
        brief="Put an IP address in the certificate request"),
    TrustpointOption(
        "usage", "usage", f"{_choice(USAGES)} [{_choice(USAGES)} [{_choice(USAGES)}]]",
        lambda tp, v: tp.set_usage(v.split()), lambda tp: " ".join(tp.usage),
        "What the certificate is for: ike, ssl-client, ssl-server (the request's key usage and EKU).",
        "usage", "e.g. ike ssl-client",
        brief="What the certificate is for"),
    TrustpointOption(
        "eku_request", "eku request", f"{_choice(tuple(EKU_OIDS))} [{_choice(tuple(EKU_OIDS))}]*",
        lambda tp, v: tp.set_eku_request(v.split()), lambda tp: " ".join(tp.eku_request),
        "The extended key usages the certificate request asks for.",
        "eku request", "e.g. client-auth server-auth"),
    TrustpointOption(
        "hash", "hash", _choice(HASHES),
        lambda tp, v: tp.set_hash(v), lambda tp: tp.hash or "",
        "The certificate request's signature hash (default: sha256).",
        "hash", "e.g. sha384"),
    TrustpointOption(
        "auto_enroll", "auto-enroll", "[PERCENT:1-100] [regenerate]",
        _set_auto_enroll, _auto_enroll_text,
        "Renew the certificate when PERCENT of its lifetime has passed (at expiry without one); "
        "regenerate: with a new key pair.",
        "auto-enroll (percent [regenerate])", "e.g. 80 regenerate", config_text=_auto_enroll_config_text,
        brief="Renew the certificate automatically"),
    # Deployment (our addition, issue 11): pkitui.core.deploy writes these files and runs the command.
    TrustpointOption(
        "deploy_swanctl", "deploy swanctl", "[DIR] [uri URI]",
        _set_deploy_swanctl, _deploy_swanctl_text,
        f"Deploy for strongSwan: private/, x509/, x509ca/, x509crl/ under DIR (default {SWANCTL_DIR}), then "
        "swanctl --load-creds (after --flush-certs --type x509_crl when the CRL changed), through the vici URI "
        "if given.",
        "deploy swanctl (dir [uri URI])", "e.g. /etc/swanctl uri unix:///var/run/charon.vici",
        brief="Deploy for strongSwan (swanctl)",
        no_syntax="deploy swanctl [DIR] [uri URI]"),
    TrustpointOption(
        "deploy_pem", "deploy pem", "DIR",
        lambda tp, v: tp.set_deploy_pem(v), lambda tp: tp.deploy_pem or "",
        "Deploy as PEM files in DIR (nginx, openssl): TP.key, TP.crt, TP-chain.pem, TP-ca.crt, TP.crl.pem.",
        "deploy pem (dir)", "e.g. /etc/nginx/ssl",
        brief="Deploy as PEM files in a folder"),
    _deploy_file("key", "the private key (PKCS#8 PEM; the signature key of usage keys)", "the private key",
                 "/etc/ssl/private/vpn.key"),
    _deploy_file("certificate", "the device certificate (the signature certificate of usage keys)",
                 "the device certificate", "/etc/ssl/vpn.crt"),
    _deploy_file("chain", "the device certificate followed by the CA certificate", "the certificate chain",
                 "/etc/ssl/vpn-chain.pem"),
    _deploy_file("ca", "the CA certificate", "the CA certificate", "/etc/ssl/vpn-ca.crt"),
    _deploy_file("crl", "the CA's CRL held (PEM)", "the CRL", "/etc/ssl/vpn.crl.pem"),
    TrustpointOption(
        "deploy_key_password", "deploy key-password", "[SECRET]",
        lambda tp, v: tp.set_deploy_key_password(v), lambda tp: tp.deploy_key_password or "",
        "Write the deployed private key encrypted with this password (AES-256 PKCS#8; stored encrypted).",
        "deploy key-password", "none: the key is written unencrypted", secret=True,
        brief="Encrypt the deployed private key with a password"),
    TrustpointOption(
        "deploy_mode", "deploy mode", "OCTAL",
        lambda tp, v: tp.set_deploy_mode(v), lambda tp: "" if tp.deploy_mode is None else f"{tp.deploy_mode:04o}",
        "The mode of every deployed file (default 0600 for the key, 0644 for the others; none for others).",
        "deploy mode (octal)", "e.g. 0640",
        brief="The mode of the deployed files"),
    TrustpointOption(
        "deploy_owner", "deploy owner", "OWNER",
        lambda tp, v: tp.set_deploy_owner(v), lambda tp: tp.deploy_owner or "",
        "The owner of the deployed files: USER or USER:GROUP (default: the user pkitui runs as).",
        "deploy owner (user[:group])", "e.g. root:ssl-cert",
        brief="The owner of the deployed files"),
    TrustpointOption(
        "deploy_command", "deploy command", "LINE...",
        lambda tp, v: tp.set_deploy_command(v), lambda tp: tp.deploy_command or "",
        "Run after a deployed file changed, instead of the preset's command (no shell; retried until it succeeds).",
        "deploy command", "e.g. systemctl reload nginx",
        brief="Run a command after a deployed file changed"),
)
OPTIONS_BY_KEY: dict[str, TrustpointOption] = {o.key: o for o in OPTIONS}


def config_lines(tp: Trustpoint, seal: Callable[[str], str]) -> list[str]:
    """The option lines of ``tp`` in ``show running-config`` (no indentation): those away from
    their default in table order, then those shown even at their default (IOS ends a trustpoint
    with ``revocation-check``)."""
    ordered = sorted(OPTIONS, key=lambda o: o.shown_at_default)  # stable: table order otherwise
    return [line for o in ordered if (line := o.config_line(tp, seal)) is not None]
