"""Field checks for the saved tables (nvram.json): each takes one value as read from JSON and
raises :class:`BadValue` saying what is wrong with it; the caller (:mod:`pkitui.core.store_check`)
adds which table, record and field it is. They stay cheap: types and allowed values, base64 that
decodes, certificate and public-key DER of the right shape (:mod:`pkitui.core.der`), plain file
names.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pkitui.core.der import DerShapeError, check_certificate, check_public_key, is_rsa_public_key
from pkitui.core.errors import PkiError
from pkitui.core.records import MapField, MapOperator
from pkitui.core.store import is_plain_name
from pkitui.core.trustpoint_values import normalize_fingerprint, validate_url

_HEX64 = re.compile(r"^[0-9A-Fa-f]{64}$")


class BadValue(Exception):
    """One field's problem (the caller adds where it is)."""


Check = Callable[[Any], None]


def kind_of(value: Any) -> str:
    """What JSON kind ``value`` is, in words ('a number', 'text', 'a map' ...)."""
    if value is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
            dict: "a map"}.get(type(value), type(value).__name__)


def shown(value: Any) -> str:
    """``value`` as a message shows it: its repr, cut at 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def typed(value: Any, *types: type, what: str) -> None:
    """BadValue unless ``value`` is one of ``types`` (a bool is not a number); ``what`` names them."""
    if isinstance(value, bool) and bool not in types:
        raise BadValue(f"is {kind_of(value)} ({shown(value)}), not {what}")
    if not isinstance(value, types):
        raise BadValue(f"is {kind_of(value)} ({shown(value)}), not {what}")


# -- field checks: each raises BadValue with what is wrong -----------------------------------------
def text(value: Any) -> None:
    typed(value, str, what="text")


def nonempty(value: Any) -> None:
    text(value)
    if not value.strip():
        raise BadValue("is empty")


def boolean(value: Any) -> None:
    typed(value, bool, what="true or false")


def integer(low: int | None = None, high: int | None = None) -> Check:
    def check(value: Any) -> None:
        typed(value, int, what="a whole number")
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"{low} to {high}" if high is not None else f"at least {low}"
            raise BadValue(f"is {value}, out of range ({span})")
    return check


def optional(check: Check) -> Check:
    def opt(value: Any) -> None:
        if value is not None:
            check(value)
    return opt


def one_of(*allowed: str) -> Check:
    def check(value: Any) -> None:
        text(value)
        if value not in allowed:
            raise BadValue(f"is {shown(value)}, not one of {', '.join(allowed)}")
    return check


def list_of(item: Check, low: int = 0, high: int | None = None) -> Check:
    def check(value: Any) -> None:
        typed(value, list, what="a list")
        if len(value) < low or (high is not None and len(value) > high):
            raise BadValue(f"has {len(value)} items, not {low}" + (f" to {high}" if high != low else ""))
        for i, element in enumerate(value):
            try:
                item(element)
            except BadValue as exc:
                raise BadValue(f"item {i + 1} {exc}") from None
    return check


def pair(first: Check, second: Check) -> Check:
    def check(value: Any) -> None:
        list_of(lambda _: None, 2, 2)(value)
        for i, (part, element) in enumerate(zip((first, second), value, strict=True)):
            try:
                part(element)
            except BadValue as exc:
                raise BadValue(f"item {i + 1} {exc}") from None
    return check


def map_of(value_check: Check) -> Check:
    def check(value: Any) -> None:
        typed(value, dict, what="a map")
        for key, element in value.items():
            try:
                value_check(element)
            except BadValue as exc:
                raise BadValue(f"entry {key!r} {exc}") from None
    return check


def validated(validator: Callable[[Any], Any]) -> Check:
    """A check from a core validator that raises PkiError (its message says what was wrong)."""
    def check(value: Any) -> None:
        text(value)
        try:
            validator(value)
        except PkiError as exc:
            raise BadValue(f"is not valid: {exc.message}") from None
    return check


def url(*schemes: str) -> Check:
    return validated(lambda v: validate_url(v, schemes, "URL"))


def http_path(value: Any) -> None:
    text(value)
    if not value.startswith("/") or any(c.isspace() for c in value):
        raise BadValue(f"is {shown(value)}, not an absolute HTTP path (e.g. /cgi-bin/pkiclient.exe)")


def peer_name(value: Any) -> None:
    nonempty(value)
    if any(c.isspace() for c in value) or len(value) > 253:
        raise BadValue(f"is {shown(value)}, not one word of at most 253 characters")


def iso_time(value: Any) -> None:
    text(value)
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise BadValue(f"is {shown(value)}, not a date and time (ISO 8601)") from None


def iso_time_or_empty(value: Any) -> None:
    if value != "":
        iso_time(value)


def ip_address(value: Any) -> None:
    text(value)
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise BadValue(f"is {shown(value)}, not an IP address") from None


def map_rule(value: Any) -> None:
    """A certificate map line: [subject-name|issuer-name, co|eq|nc|ne, text]."""
    typed(value, list, what="a list")
    if len(value) != 3 or not all(isinstance(v, str) for v in value):
        raise BadValue(f"is {shown(value)}, not [field, operator, text]")
    if value[0] not in tuple(MapField):
        raise BadValue(f"compares {value[0]!r}, not subject-name or issuer-name")
    if value[1] not in tuple(MapOperator):
        raise BadValue(f"has operator {value[1]!r}, not co, eq, nc or ne")
    if not value[2].strip():
        raise BadValue("compares with empty text")


def sha256_hex(value: Any) -> None:
    text(value)
    if not _HEX64.match(value):
        raise BadValue(f"is {shown(value)}, not a SHA-256 fingerprint (64 hex digits)")


def fingerprint(value: Any) -> None:
    validated(normalize_fingerprint)(value)


def decoded(value: Any) -> bytes:
    """base64 text → bytes, or BadValue."""
    text(value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadValue("is not valid base64") from None


def base64_text(value: Any) -> None:
    decoded(value)


def sealed(value: Any) -> None:
    """A secret sealed by SecretBox: base64 of a 12-byte nonce, the text and a 16-byte tag."""
    if len(decoded(value)) < 12 + 16:
        raise BadValue("is too short to be a sealed secret")


def certificate_der(value: Any) -> None:
    der = decoded(value)
    try:
        check_certificate(der)
    except DerShapeError:
        raise BadValue(f"does not hold an X.509 certificate ({len(der)} bytes that do not parse)") from None


def rsa_public_key_der(value: Any) -> None:
    der = decoded(value)
    try:
        check_public_key(der, rsa_only=False)
    except DerShapeError:
        raise BadValue(f"does not hold a public key ({len(der)} bytes that do not parse)") from None
    if not is_rsa_public_key(der):
        raise BadValue("holds a public key that is not RSA")


def file_name(value: Any) -> None:
    text(value)
    if not is_plain_name(value):
        raise BadValue(f"is {shown(value)}, not a plain file name in its folder (no '/', no leading dot)")
