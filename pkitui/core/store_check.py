"""Validation of the saved tables (nvram.json) before the running configuration is built from them.

:func:`check_tables` looks at every record of every table and raises :class:`StoreError` on the
first bad one, naming the table, the record (its name, label or trustpoint where it has one, else
its id), the field, what was wrong, and what to do. It runs on every load, so it stays cheap: types
and allowed values, base64 that decodes, certificate and public-key DER of the right shape
(:mod:`pkitui.core.der`; a certificate must also match its SHA-256), file names
that stay in their folder; CRL files are not read (only their name and kind are checked).
The checks of single values are in :mod:`pkitui.core.store_fields`, the tables' fields in
:mod:`pkitui.core.store_specs`; this module walks the records and says where a problem is.

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
import ipaddress
import os
import stat
from pathlib import Path
from typing import Any

from pkitui.core.errors import StoreError
from pkitui.core.schema import SCHEMA_VERSION
from pkitui.core.store_fields import BadValue, kind_of, shown
from pkitui.core.store_specs import CERTIFICATES, KEY_PAIRS, PENDING, TABLES, Spec, trustpoint_spec
from pkitui.core.userfile import file_kind


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
    specs["trustpoints"] = (trustpoint_spec(), "trustpoint", "name")
    for table, (spec, what, naming) in specs.items():
        if table not in tables:
            continue
        records = tables[table]
        if not isinstance(records, dict):
            raise StoreError(f"the saved configuration in {root / 'nvram.json'} is damaged: table {table} "
                             f"is {kind_of(records)}, not a map of records", _hint(root, table, None))
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
        raise StoreError(f"{where}: it is {kind_of(doc)}, not a map", hint)
    certificates = doc.get("certificates") or []
    if not isinstance(certificates, list):
        raise StoreError(f"{where}, certificates: {kind_of(certificates)}, not a list", hint)
    parts: list[tuple[str, str, Spec, Any]] = [
        ("pending", "pending", PENDING, doc.get("pending")),
        ("key_pair", "key_pairs", KEY_PAIRS, doc.get("key_pair")),
        ("trustpoint", "trustpoints", trustpoint_spec(), doc.get("trustpoint")),
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
        raise _RecordError(None, f"the record is {kind_of(doc)}, not a map of fields")
    for name, (required, check) in spec.items():
        if name not in doc:
            if required:
                raise _RecordError(name, "the field is missing")
            continue
        try:
            check(doc[name])
        except BadValue as exc:
            raise _RecordError(name, str(exc)) from None
    try:
        _check_consistency(table, doc, root)
    except BadValue as exc:
        raise _RecordError(str(exc.args[0]), str(exc.args[1])) from None


def _check_consistency(table: str, doc: dict[str, Any], root: Path) -> None:
    """What ties the fields of one record together, and its files (``BadValue(field, problem)``)."""
    if table == "key_pairs":
        expected = doc["label"] if doc["usage"] == "general" else f"{doc['label']}#{doc['usage']}"
        if doc["key_id"] != expected:
            raise BadValue("key_id", f"is {doc['key_id']!r}, but label and usage make it {expected!r}")
        # A missing key file is left to Store.read_private ("restore private/ from the same backup").
        _check_file(root / "private", doc["file"], missing_ok=True)
    elif table == "certificates" and doc.get("der") is not None:
        import hashlib

        digest = hashlib.sha256(base64.b64decode(doc["der"])).hexdigest()
        if digest.upper() != doc["sha256"].upper():
            raise BadValue("sha256", "does not match the certificate in field der")
    elif table == "crls":
        folder = "crl" if doc.get("in_nvram", True) else "cache"
        _check_file(root / folder, doc["file"], missing_ok=True)
    elif table == "peer_keys" and doc["kind"] == "addressed":
        try:
            ipaddress.ip_address(doc["name"])
        except ValueError:
            raise BadValue("name", f"is {shown(doc['name'])}, not an IP address (an addressed-key)") from None


def _check_file(folder: Path, name: str, *, missing_ok: bool) -> None:
    try:
        mode = os.stat(folder / name).st_mode
    except FileNotFoundError:
        if missing_ok:
            return
        raise BadValue("file", f"names {folder.name}/{name}, which is missing") from None
    except OSError as exc:
        raise BadValue("file", f"names {folder.name}/{name}, which cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise BadValue("file", f"names {folder.name}/{name}, which is {file_kind(mode)}, not a regular file")


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
