"""The trustpoint form's fields: how each is shown, validated (core setters on a scratch copy)
and applied (the same setters on the real trustpoint, in a worker)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.validation import ValidationResult, Validator

from pkitui.core.errors import PkiError
from pkitui.core.trustpoints import Trustpoint


def _two(value: str, what: str) -> tuple[str, str]:
    parts = value.split()
    if len(parts) != 2:
        from pkitui.core.errors import ConfigError

        raise ConfigError(f"{what} takes two words", f"Example: {what} " + ("proxy.example.com 3128" if "proxy" in what else "10.0.0.1 ca.cer"))
    return parts[0], parts[1]


@dataclass(frozen=True)
class Field:
    """One text field of the form: ``apply`` is a core setter, ``clear`` resets to the default."""

    key: str
    label: str
    placeholder: str
    show: Callable[[Trustpoint], str]
    apply: Callable[[Trustpoint, str], None]
    clear: Callable[[Trustpoint], None]
    password: bool = False


def _reset(option: str) -> Callable[[Trustpoint], None]:
    """Clearing a field is the ``no`` form: the core's default for that option."""
    return lambda tp: tp.reset(option)


FIELDS: list[Field] = [
    Field("enrollment_url", "enrollment url", "http://ca.example.com:80/scep", lambda t: t.enrollment_url or "",
          lambda t, v: t.set_enrollment_url(v), _reset("enrollment_url")),
    Field("enrollment_command", "enrollment command", "/cgi-bin/pkiclient.exe", lambda t: t.enrollment_command or "",
          lambda t, v: t.set_enrollment_command(v), _reset("enrollment_command")),
    Field("retry_period", "enrollment retry period (min)", "1", lambda t: str(t.enrollment_retry_period),
          lambda t, v: t.set_retry_period(v), _reset("enrollment_retry_period")),
    Field("retry_count", "enrollment retry count (0: ∞)", "0", lambda t: str(t.enrollment_retry_count),
          lambda t, v: t.set_retry_count(v), _reset("enrollment_retry_count")),
    Field("timeout", "enrollment timeout (s, per operation)", "30",
          lambda t: str(t.enrollment_timeout) if t.enrollment_timeout else "",
          lambda t, v: t.set_timeout(v), _reset("enrollment_timeout")),
    Field("http_proxy", "enrollment http-proxy HOST PORT", "proxy.example.com 3128",
          lambda t: " ".join(map(str, t.enrollment_http_proxy)) if t.enrollment_http_proxy else "",
          lambda t, v: t.set_http_proxy(*_two(v, "enrollment http-proxy")), _reset("enrollment_http_proxy")),
    Field("crl_query", "crl query", "ldap://ldap.example.com:389", lambda t: t.crl_query or "",
          lambda t, v: t.set_crl_query(v), _reset("crl_query")),
    Field("revocation_check", "revocation-check (in order)", "crl ocsp none", lambda t: " ".join(t.revocation_check),
          lambda t, v: t.set_revocation_check(v.split()), _reset("revocation_check")),
    Field("ocsp_url", "ocsp url", "http://ocsp.example.com/", lambda t: t.ocsp_url or "",
          lambda t, v: t.set_ocsp_url(v), _reset("ocsp_url")),
    Field("root_tftp", "root tftp SERVER FILE", "10.0.0.1 ca.cer", lambda t: " ".join(t.root_tftp) if t.root_tftp else "",
          lambda t, v: t.set_root_tftp(*_two(v, "root tftp")), _reset("root_tftp")),
    Field("fingerprint", "fingerprint (CA, pre-configured)", "MD5, SHA-1 or SHA-256 hex",
          lambda t: t.fingerprint or "", lambda t, v: t.set_fingerprint(v), _reset("fingerprint")),
    Field("password", "password (challenge)", "asked at enrollment when empty", lambda t: t.password or "",
          lambda t, v: t.set_password(v), _reset("password"), password=True),
    Field("rsakeypair", "rsakeypair (key label)", "default: the FQDN", lambda t: t.rsakeypair or "",
          lambda t, v: t.set_rsakeypair(v), _reset("rsakeypair")),
    Field("subject_name", "subject-name", "CN=r1.example.com,O=Example", lambda t: t.subject_name or "",
          lambda t, v: t.set_subject_name(v), _reset("subject_name")),
    Field("ip_address", "ip-address", "put this address in the request", lambda t: t.ip_address or "",
          lambda t, v: t.set_ip_address(v), _reset("ip_address")),
]
FIELDS_BY_KEY = {f.key: f for f in FIELDS}


def apply_value(tp: Trustpoint, field: Field, value: str) -> None:
    """Set one field from its text (empty text restores the default); raises ConfigError."""
    value = value.strip()
    if value:
        field.apply(tp, value)
    else:
        field.clear(tp)


class SetterValidator(Validator):
    """Validates as the administrator types by calling the core setter on a scratch trustpoint."""

    def __init__(self, field: Field) -> None:
        super().__init__()
        self.field = field

    def validate(self, value: str) -> ValidationResult:
        try:
            apply_value(Trustpoint(name="scratch"), self.field, value)
        except PkiError as exc:
            return self.failure(exc.message + (f" — {exc.hint}" if exc.hint else ""))
        return self.success()
