"""Validation of the saved tables (nvram.json) before the running configuration is built from them.

:func:`check_tables` looks at every record of every table and raises :class:`StoreError` on the
first bad one, naming the table, the record (its name, label or trustpoint where it has one, else
its id), the field, what was wrong, and what to do. It runs on every load, so it stays cheap: types
and allowed values, base64 that decodes, certificate and public-key DER of the right shape
(:mod:`pkitui.core.der`; a certificate must also match its SHA-256), file names
that stay in their folder; CRL files are not read (only their name and kind are checked).

Policy for what this version does not know:

* A table this version does not know (e.g. written by a newer pkitui with the same schema) is
  ignored: the running configuration is not built from it, and it is not read as anything.
  TinyDB's ``_default`` table is one of those.
* A field this version does not know, in a known table, is ignored (``from_doc`` drops it).
  A trustpoint field that the :class:`Trustpoint` dataclass has but this module has no explicit
  rule for is checked against the dataclass's type annotation (``int``, ``str | None`` ...).
* A store whose ``device.schema`` is newer than this version's is not checked here:
  :func:`pkitui.core.config.from_tables` refuses it with "upgrade pkitui".
* A CRL file that is missing is accepted: the CRL is fetched again when needed (a cache may be
  removed, and a concurrent save removes files the previous nvram.json named). A missing key
  file is refused when the key is read (Store.read_private says which and what to restore).
  A CRL or key "file" that exists but is not a regular file (a FIFO, a directory ...) is
  refused here: reading it would block or fail.
* The ``meta`` table (the save bookkeeping: ``generation`` int >= 0, ``saved_by`` text,
  ``changes`` a map of text to text) is checked like the others.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
import stat
from collections.abc import Callable
from dataclasses import MISSING, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from pkitui.core.der import DerShapeError, check_certificate, check_public_key, is_rsa_public_key
from pkitui.core.errors import PkiError, StoreError
from pkitui.core.identity import validate_domain_name, validate_hostname
from pkitui.core.keys import MAX_MODULUS, MIN_MODULUS, USAGES
from pkitui.core.records import CertRole, PeerKeyKind, PeerKeyUsage
from pkitui.core.schema import MIN_CAPACITY, SCHEMA_VERSION
from pkitui.core.store import is_plain_name
from pkitui.core.userfile import file_kind
from pkitui.core.trustpoints import (
    REVOCATION_METHODS,
    Trustpoint,
    normalize_fingerprint,
    validate_dn,
    validate_host,
    validate_name,
    validate_url,
)

CERT_ROLES = tuple(CertRole)
PEER_KINDS = tuple(PeerKeyKind)
PEER_USAGES = tuple(PeerKeyUsage)
SECRET_MODES = ("keyfile", "passphrase")
MESSAGE_TYPES = ("PKCSReq", "RenewalReq", "GetCertInitial", "CertPoll")
_HEX64 = re.compile(r"^[0-9A-Fa-f]{64}$")


class _Bad(Exception):
    """One field's problem (the caller adds where it is)."""


Check = Callable[[Any], None]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
            dict: "a map"}.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type(value: Any, *types: type, what: str) -> None:
    if isinstance(value, bool) and bool not in types:
        raise _Bad(f"is {_kind(value)} ({_shown(value)}), not {what}")
    if not isinstance(value, types):
        raise _Bad(f"is {_kind(value)} ({_shown(value)}), not {what}")


# -- field checks: each raises _Bad with what is wrong ---------------------------------------------
def text(value: Any) -> None:
    _type(value, str, what="text")


def nonempty(value: Any) -> None:
    text(value)
    if not value.strip():
        raise _Bad("is empty")


def boolean(value: Any) -> None:
    _type(value, bool, what="true or false")


def integer(low: int | None = None, high: int | None = None) -> Check:
    def check(value: Any) -> None:
        _type(value, int, what="a whole number")
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"{low} to {high}" if high is not None else f"at least {low}"
            raise _Bad(f"is {value}, out of range ({span})")
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
            raise _Bad(f"is {_shown(value)}, not one of {', '.join(allowed)}")
    return check


def list_of(item: Check, low: int = 0, high: int | None = None) -> Check:
    def check(value: Any) -> None:
        _type(value, list, what="a list")
        if len(value) < low or (high is not None and len(value) > high):
            raise _Bad(f"has {len(value)} items, not {low}" + (f" to {high}" if high != low else ""))
        for i, element in enumerate(value):
            try:
                item(element)
            except _Bad as exc:
                raise _Bad(f"item {i + 1} {exc}") from None
    return check


def pair(first: Check, second: Check) -> Check:
    def check(value: Any) -> None:
        list_of(lambda _: None, 2, 2)(value)
        for i, (part, element) in enumerate(zip((first, second), value, strict=True)):
            try:
                part(element)
            except _Bad as exc:
                raise _Bad(f"item {i + 1} {exc}") from None
    return check


def map_of(value_check: Check) -> Check:
    def check(value: Any) -> None:
        _type(value, dict, what="a map")
        for key, element in value.items():
            try:
                value_check(element)
            except _Bad as exc:
                raise _Bad(f"entry {key!r} {exc}") from None
    return check


def validated(validator: Callable[[Any], Any]) -> Check:
    """A check from a core validator that raises PkiError (its message says what was wrong)."""
    def check(value: Any) -> None:
        text(value)
        try:
            validator(value)
        except PkiError as exc:
            raise _Bad(f"is not valid: {exc.message}") from None
    return check


def url(*schemes: str) -> Check:
    return validated(lambda v: validate_url(v, schemes, "URL"))


def http_path(value: Any) -> None:
    text(value)
    if not value.startswith("/") or any(c.isspace() for c in value):
        raise _Bad(f"is {_shown(value)}, not an absolute HTTP path (e.g. /cgi-bin/pkiclient.exe)")


def peer_name(value: Any) -> None:
    nonempty(value)
    if any(c.isspace() for c in value) or len(value) > 253:
        raise _Bad(f"is {_shown(value)}, not one word of at most 253 characters")


def iso_time(value: Any) -> None:
    text(value)
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(f"is {_shown(value)}, not a date and time (ISO 8601)") from None


def iso_time_or_empty(value: Any) -> None:
    if value != "":
        iso_time(value)


def ip_address(value: Any) -> None:
    text(value)
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise _Bad(f"is {_shown(value)}, not an IP address") from None


def sha256_hex(value: Any) -> None:
    text(value)
    if not _HEX64.match(value):
        raise _Bad(f"is {_shown(value)}, not a SHA-256 fingerprint (64 hex digits)")


def fingerprint(value: Any) -> None:
    validated(normalize_fingerprint)(value)


def decoded(value: Any) -> bytes:
    """base64 text → bytes, or _Bad."""
    text(value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Bad("is not valid base64") from None


def base64_text(value: Any) -> None:
    decoded(value)


def sealed(value: Any) -> None:
    """A secret sealed by SecretBox: base64 of a 12-byte nonce, the text and a 16-byte tag."""
    if len(decoded(value)) < 12 + 16:
        raise _Bad("is too short to be a sealed secret")


def certificate_der(value: Any) -> None:
    der = decoded(value)
    try:
        check_certificate(der)
    except DerShapeError:
        raise _Bad(f"does not hold an X.509 certificate ({len(der)} bytes that do not parse)") from None


def rsa_public_key_der(value: Any) -> None:
    der = decoded(value)
    try:
        check_public_key(der, rsa_only=False)
    except DerShapeError:
        raise _Bad(f"does not hold a public key ({len(der)} bytes that do not parse)") from None
    if not is_rsa_public_key(der):
        raise _Bad("holds a public key that is not RSA")


def file_name(value: Any) -> None:
    text(value)
    if not is_plain_name(value):
        raise _Bad(f"is {_shown(value)}, not a plain file name in its folder (no '/', no leading dot)")


# -- the tables ------------------------------------------------------------------------------
Spec = dict[str, tuple[bool, Check]]  # field -> (required, check)

DEVICE: Spec = {
    "schema": (False, integer(1)),
    "hostname": (False, optional(validated(validate_hostname))),
    "domain_name": (False, optional(validated(validate_domain_name))),
    "query_mode": (False, boolean),
    "capacity": (False, integer(MIN_CAPACITY)),
    "ca_caps_seen": (False, map_of(list_of(text))),
    "secret_mode": (False, one_of(*SECRET_MODES)),
    "secret_check": (False, sealed),
}
KEY_PAIRS: Spec = {
    "key_id": (True, nonempty),
    "label": (True, validated(lambda v: validate_name(v, "key label"))),
    "usage": (True, one_of(*USAGES)),
    "modulus": (False, integer(MIN_MODULUS, MAX_MODULUS)),
    "created": (True, iso_time),
    "exportable": (False, boolean),
    "file": (True, file_name),
}
PEER_KEYS: Spec = {
    "kind": (True, one_of(*PEER_KINDS)),
    "name": (True, peer_name),
    "usage": (False, one_of(*PEER_USAGES)),
    "der": (False, optional(rsa_public_key_der)),
}
TRUSTPOINTS: Spec = {
    "name": (True, validated(validate_name)),
    "enrollment_url": (False, optional(url("http", "https"))),
    "enrollment_command": (False, optional(http_path)),
    "enrollment_mode_ra": (False, boolean),
    "enrollment_retry_period": (False, integer(1, 60)),
    "enrollment_retry_count": (False, integer(0, 100)),
    "enrollment_http_proxy": (False, optional(pair(validated(validate_host), integer(1, 65535)))),
    "crl_query": (False, optional(url("ldap", "ldaps"))),
    "revocation_check": (False, list_of(one_of(*REVOCATION_METHODS), 1, 3)),
    "ocsp_url": (False, optional(url("http", "https"))),
    "root_tftp": (False, optional(pair(nonempty, nonempty))),
    "fingerprint": (False, optional(fingerprint)),
    "password_sealed": (False, sealed),
    "rsakeypair": (False, optional(validated(lambda v: validate_name(v, "key label")))),
    "subject_name": (False, optional(validated(validate_dn))),
    "serial_number": (False, boolean),
    "ip_address": (False, optional(ip_address)),
}
CERTIFICATES: Spec = {
    "trustpoint": (True, nonempty),
    "role": (True, one_of(*CERT_ROLES)),
    "sha256": (True, sha256_hex),
    "der": (False, optional(certificate_der)),
    "key_id": (False, optional(nonempty)),
    "source": (False, text),
    "orphaned": (False, boolean),
}
CRLS: Spec = {
    "trustpoint": (True, nonempty),
    "issuer": (True, text),
    "source": (True, text),
    "file": (True, file_name),
    "sha256": (True, sha256_hex),
    "size": (True, integer(0)),
    "this_update": (True, iso_time),
    "next_update": (False, optional(iso_time)),
    "entries": (False, integer(0)),
    "in_nvram": (False, boolean),
    "crl_number": (False, optional(integer(0))),
    "scope": (False, optional(text)),
    "issuer_key": (False, text),
}
PENDING: Spec = {
    "trustpoint": (True, nonempty),
    "key_id": (True, nonempty),
    "transaction_id": (True, nonempty),
    "signer_der": (False, optional(certificate_der)),
    "message_type": (False, one_of(*MESSAGE_TYPES)),
    "started": (False, iso_time_or_empty),
    "polls_done": (False, integer(0)),
    "next_poll": (False, iso_time_or_empty),
    "extra": (False, map_of(lambda v: None)),
}
META: Spec = {
    "generation": (True, integer(0)),
    "saved_by": (False, text),
    "changes": (False, map_of(text)),
}


def _from_annotation(annotation: str) -> Check | None:
    """A type check from a dataclass field's annotation text, for fields without a rule here."""
    parts = [p.strip() for p in annotation.split("|")]
    nullable = "None" in parts
    parts = [p for p in parts if p != "None"]
    if len(parts) != 1:
        return None
    simple: dict[str, Check] = {"int": integer(), "bool": boolean, "str": text, "list[str]": list_of(text),
                                "float": lambda v: _type(v, int, float, what="a number")}
    check = simple.get(parts[0])
    if check is None:
        return None
    return optional(check) if nullable else check


def _trustpoint_spec() -> Spec:
    spec = dict(TRUSTPOINTS)
    for f in fields(Trustpoint):
        if f.name in spec or f.name == "password":
            continue
        check = _from_annotation(str(f.type))
        if check is not None:
            required = f.default is MISSING and f.default_factory is MISSING
            spec[f.name] = (required, check)
    return spec


# table -> (spec, what a record is called, the field that names it)
TABLES: dict[str, tuple[Spec, str, str | None]] = {
    "device": (DEVICE, "device settings", None),
    "key_pairs": (KEY_PAIRS, "key pair", "key_id"),
    "peer_keys": (PEER_KEYS, "peer key", "name"),
    "trustpoints": (TRUSTPOINTS, "trustpoint", "name"),
    "certificates": (CERTIFICATES, "certificate of trustpoint", "trustpoint"),
    "crls": (CRLS, "CRL of trustpoint", "trustpoint"),
    "pending": (PENDING, "pending enrollment of trustpoint", "trustpoint"),
    "meta": (META, "save bookkeeping", None),
}


class _RecordError(Exception):
    def __init__(self, field: str | None, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


def check_tables(tables: dict[str, dict[str, Any]], root: Path) -> None:
    """Raise StoreError on the first bad record of the saved ``tables`` of the store at ``root``."""
    root = Path(root)
    if not isinstance(tables, dict):
        raise StoreError(f"the saved configuration in {root / 'nvram.json'} is not a map of tables",
                         _hint(root, None, None))
    device = tables.get("device")
    if isinstance(device, dict):
        for doc in device.values():
            schema = doc.get("schema") if isinstance(doc, dict) else None
            if isinstance(schema, int) and not isinstance(schema, bool) and schema > SCHEMA_VERSION:
                return  # from_tables refuses it: "written by a newer pkitui"
    specs = dict(TABLES)
    specs["trustpoints"] = (_trustpoint_spec(), "trustpoint", "name")
    for table, (spec, what, naming) in specs.items():
        if table not in tables:
            continue
        records = tables[table]
        if not isinstance(records, dict):
            raise StoreError(f"the saved configuration in {root / 'nvram.json'} is damaged: table {table} "
                             f"is {_kind(records)}, not a map of records", _hint(root, table, None))
        seen: dict[str, str] = {}
        for rid, doc in records.items():
            where = _record_name(table, what, naming, rid, doc)
            try:
                _check_record(table, spec, doc, root)
                _check_unique(table, doc, rid, seen)
            except _RecordError as exc:
                field = f", field {exc.field}" if exc.field else ""
                raise StoreError(
                    f"the saved configuration in {root / 'nvram.json'} is damaged: table {table}, "
                    f"{where}{field}: {exc.problem}",
                    _hint(root, table, rid),
                ) from None


def check_journal_entry(doc: Any, path: Path, root: Path) -> None:
    """Raise StoreError unless ``doc``, read from the pending-journal file ``path``, is
    ``{"pending": a pending record, "key_pair": a key pair record or null}`` (checked as in nvram.json)."""
    where = f"the pending enrollment record {path} is damaged"
    hint = "Remove that file to forget the transaction (then enroll again), or restore it from a backup."
    if not isinstance(doc, dict):
        raise StoreError(f"{where}: it is {_kind(doc)}, not a map", hint)
    certificates = doc.get("certificates") or []
    if not isinstance(certificates, list):
        raise StoreError(f"{where}, certificates: {_kind(certificates)}, not a list", hint)
    parts: list[tuple[str, str, Spec, Any]] = [
        ("pending", "pending", PENDING, doc.get("pending")),
        ("key_pair", "key_pairs", KEY_PAIRS, doc.get("key_pair")),
        ("trustpoint", "trustpoints", _trustpoint_spec(), doc.get("trustpoint")),
        *((f"certificates[{i}]", "certificates", CERTIFICATES, c) for i, c in enumerate(certificates)),
    ]
    for part, table, spec, record in parts:
        if part != "pending" and record is None:
            continue  # optional parts
        try:
            _check_record(table, spec, record, root)
        except _RecordError as exc:
            field = f", field {part}.{exc.field}" if exc.field else f", {part}"
            raise StoreError(f"{where}{field}: {exc.problem}", hint) from None


def _record_name(table: str, what: str, naming: str | None, rid: str, doc: Any) -> str:
    name = doc.get(naming) if naming and isinstance(doc, dict) else None
    kind = doc.get("kind") if isinstance(doc, dict) else None
    if table == "peer_keys" and isinstance(kind, str) and isinstance(name, str):
        return f"{kind}-key {name!r} (record {rid})"
    if isinstance(name, str) and name and len(name) <= 80:
        return f"{what} {name!r} (record {rid})"
    return f"{what} record {rid}"


def _check_record(table: str, spec: Spec, doc: Any, root: Path) -> None:
    if not isinstance(doc, dict):
        raise _RecordError(None, f"the record is {_kind(doc)}, not a map of fields")
    for name, (required, check) in spec.items():
        if name not in doc:
            if required:
                raise _RecordError(name, "the field is missing")
            continue
        try:
            check(doc[name])
        except _Bad as exc:
            raise _RecordError(name, str(exc)) from None
    try:
        _check_consistency(table, doc, root)
    except _Bad as exc:
        raise _RecordError(str(exc.args[0]), str(exc.args[1])) from None


def _check_consistency(table: str, doc: dict[str, Any], root: Path) -> None:
    """What ties the fields of one record together, and its files (``_Bad(field, problem)``)."""
    if table == "key_pairs":
        expected = doc["label"] if doc["usage"] == "general" else f"{doc['label']}#{doc['usage']}"
        if doc["key_id"] != expected:
            raise _Bad("key_id", f"is {doc['key_id']!r}, but label and usage make it {expected!r}")
        # A missing key file is left to Store.read_private ("restore private/ from the same backup").
        _check_file(root / "private", doc["file"], missing_ok=True)
    elif table == "certificates" and doc.get("der") is not None:
        import hashlib

        digest = hashlib.sha256(base64.b64decode(doc["der"])).hexdigest()
        if digest.upper() != doc["sha256"].upper():
            raise _Bad("sha256", "does not match the certificate in field der")
    elif table == "crls":
        folder = "crl" if doc.get("in_nvram", True) else "cache"
        _check_file(root / folder, doc["file"], missing_ok=True)
    elif table == "peer_keys" and doc["kind"] == "addressed":
        try:
            ipaddress.ip_address(doc["name"])
        except ValueError:
            raise _Bad("name", f"is {_shown(doc['name'])}, not an IP address (an addressed-key)") from None


def _check_file(folder: Path, name: str, *, missing_ok: bool) -> None:
    try:
        mode = os.stat(folder / name).st_mode
    except FileNotFoundError:
        if missing_ok:
            return
        raise _Bad("file", f"names {folder.name}/{name}, which is missing") from None
    except OSError as exc:
        raise _Bad("file", f"names {folder.name}/{name}, which cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise _Bad("file", f"names {folder.name}/{name}, which is {file_kind(mode)}, not a regular file")


def _check_unique(table: str, doc: dict[str, Any], rid: str, seen: dict[str, str]) -> None:
    """Two records for one key pair or one trustpoint would silently become one."""
    key = {"key_pairs": "key_id", "trustpoints": "name"}.get(table)
    if key is None:
        return
    value = doc[key]
    if value in seen:
        raise _RecordError(key, f"{value!r} is also in record {seen[value]}")
    seen[value] = rid


def _hint(root: Path, table: str | None, rid: str | None) -> str:
    record = f"remove that record (table {table}, record {rid}) from {root / 'nvram.json'}, " if rid else ""
    return (f"Restore the store from a backup, or {record}or move the store {root} away to start afresh "
            "(pkitui exec --store DIR, or PKITUI_STORE, picks another one).")
