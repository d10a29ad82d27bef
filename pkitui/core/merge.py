"""The saved configuration as named objects, and the three-way merge of concurrent saves.

Several writers share one store: the console, ``pkitui exec`` from cron, a renewal agent. Each
remembers the saved configuration it started from (its *base*). A save re-reads the latest saved
configuration (*theirs*) under the store lock and compares, object by object (identity, each key
pair, trustpoint, certificate, CRL, peer key, device setting), base, theirs and the running
configuration (*mine*):

- changed only there: taken over into the running configuration (nothing of theirs is lost);
- changed only here: written;
- changed on both sides to different values: a :class:`SaveConflict` naming the object and who
  saved it when (except where no person need decide: of two copies of one CRL the newer wins).
  Nothing is written; the running configuration keeps this session's version, and
  the base becomes theirs, so saving again deliberately replaces theirs with this session's.

Objects are compared in a *normal form* (sealed challenge passwords replaced by a digest of the
password, since sealing is randomised); raw documents are what is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pkitui.core.errors import StoreError
from pkitui.core.schema import DEFAULT_CAPACITY

Doc = dict[str, Any]
Tables = dict[str, dict[str, Any]]
ObjectMap = dict[str, Any]

# Object names start with their kind; the rest identifies the object within it.
IDENTITY = "identity"
QUERY_MODE = "query mode"
CAPACITY = "NVRAM capacity"
_CAPS = "CA capabilities of trustpoint "
_KEY = "key pair "
_PEER = "peer key "
_TP = "trustpoint "
_CERT = "certificate "
_CRL = "CRL "
_MAP = "certificate-map "  # not "certificate map ": names are told apart by prefix
_LIST_TABLES = {"key_pairs": _KEY, "peer_keys": _PEER, "certificate_maps": _MAP, "trustpoints": _TP,
                "certificates": _CERT, "crls": _CRL}
# Device fields that are not configuration objects: written by every save.
DEVICE_BOOKKEEPING = ("schema", "secret_mode", "secret_check")
MAX_CHANGE_RECORDS = 500


def crl_key(doc: Doc) -> str:
    """The identity of a CRL record (:meth:`pkitui.core.records.CrlRecord.key`)."""
    from pkitui.core.records import CrlRecord

    return CrlRecord.from_doc(doc).key()


def object_name(table: str, doc: Doc) -> str:
    """The name of the object a table's document describes."""
    prefix = _LIST_TABLES[table]
    if table == "key_pairs":
        return prefix + str(doc.get("key_id"))
    if table == "peer_keys":
        return prefix + f"{doc.get('kind')} {doc.get('name')} ({doc.get('usage', 'general')})"
    if table == "trustpoints":
        return prefix + str(doc.get("name"))
    if table == "certificate_maps":
        return prefix + f"{doc.get('label')} {doc.get('seq')}"
    if table == "certificates":
        return prefix + f"{doc.get('sha256')} of {doc.get('trustpoint')} ({doc.get('role')})"
    return prefix + crl_key(doc)


def caps_name(trustpoint: str) -> str:
    """The name of the CA capabilities last seen for ``trustpoint``."""
    return _CAPS + trustpoint


def table_of(name: str) -> str | None:
    """The list table an object name belongs to (None for device settings)."""
    for table, prefix in _LIST_TABLES.items():
        if name.startswith(prefix):
            return table
    return None


def to_objects(tables: Tables) -> ObjectMap:
    """Tables (as saved, or as :func:`pkitui.core.config.to_tables` makes them) → named objects."""
    device: Doc = next(iter(tables.get("device", {}).values()), {})
    objects: ObjectMap = {
        IDENTITY: {"hostname": device.get("hostname"), "domain_name": device.get("domain_name")},
        QUERY_MODE: bool(device.get("query_mode", False)),
        CAPACITY: device.get("capacity", DEFAULT_CAPACITY),
    }
    for tp, caps in (device.get("ca_caps_seen") or {}).items():
        objects[_CAPS + tp] = caps
    for table in _LIST_TABLES:
        for doc in tables.get(table, {}).values():
            objects[object_name(table, doc)] = doc
    return objects


def to_tables(objects: ObjectMap, device_extra: Doc) -> Tables:
    """Named objects → tables, the device document completed with ``device_extra``."""
    identity = objects.get(IDENTITY) or {"hostname": None, "domain_name": None}
    device: Doc = dict(device_extra)
    device.update(identity)
    device["query_mode"] = bool(objects.get(QUERY_MODE, False))
    device["capacity"] = objects.get(CAPACITY)
    device["ca_caps_seen"] = {name[len(_CAPS):]: caps for name, caps in objects.items() if name.startswith(_CAPS)}
    tables: Tables = {"device": {"1": device}}
    for table, prefix in _LIST_TABLES.items():
        docs = [doc for name, doc in objects.items() if name.startswith(prefix)]
        tables[table] = {str(i + 1): doc for i, doc in enumerate(docs)}
    return tables


def normalise(objects: ObjectMap, open_sealed: Callable[[str], str]) -> ObjectMap:
    """Objects in comparable form: each record read back through its class (so a record saved by
    an older pkitui, without the fields added since, compares equal to the same record in memory),
    and a sealed password as ``sha256:`` of the password."""
    out: ObjectMap = {}
    for name, value in objects.items():
        table = table_of(name)
        if table is not None and isinstance(value, dict):
            try:
                value = _round_trip(table, value, open_sealed)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise StoreError(f"the saved configuration holds a damaged {name} ({type(exc).__name__}: {exc})",
                                 "Restore the store from a backup, or move it away to start afresh.") from None
        out[name] = _canonical(value)
    return out


def _round_trip(table: str, doc: Doc, open_sealed: Callable[[str], str]) -> Doc:
    from pkitui.core.records import CertificateMapEntry, CrlRecord, PeerKey, StoredCertificate
    from pkitui.core.trustpoints import Trustpoint

    if table == "key_pairs":
        return {k: doc.get(k) for k in ("key_id", "label", "usage", "modulus", "created", "file")} | {
            "exportable": bool(doc.get("exportable", False))} | ({"imported": True} if doc.get("imported") else {})
    if table == "certificates":
        return StoredCertificate.from_doc(doc).to_doc()
    if table == "crls":
        return CrlRecord.from_doc(doc).to_doc()
    if table == "peer_keys":
        return PeerKey.from_doc(doc).to_doc()
    if table == "certificate_maps":
        return CertificateMapEntry.from_doc(doc).to_doc()
    from pkitui.core.trustpoint_values import SEALED

    out = Trustpoint.from_doc(doc).stored_doc()
    for field_name in (f"{name}_sealed" for name in SEALED):
        sealed = doc.get(field_name)
        if isinstance(sealed, str):
            if not sealed.startswith("sha256:"):
                try:
                    sealed = "sha256:" + hashlib.sha256(open_sealed(sealed).encode()).hexdigest()
                except StoreError:
                    pass  # sealed by another secret: compared as it is
            out[field_name] = sealed
    return out


def canonical(objects: ObjectMap) -> ObjectMap:
    """Objects made from the running configuration (``to_tables(config, None)``), comparable with
    :func:`normalise`'s output: a JSON round trip only."""
    return {name: _canonical(value) for name, value in objects.items()}


def _canonical(value: Any) -> Any:
    """A JSON round trip: tuples become lists, so equal content compares equal."""
    return json.loads(json.dumps(value, sort_keys=True))


@dataclass
class MergeResult:
    """What a rebase onto the latest saved configuration found."""

    taken: dict[str, Any] = field(default_factory=dict)  # name -> their object (None: they removed it)
    conflicts: list[str] = field(default_factory=list)


def three_way(base: ObjectMap, mine: ObjectMap, theirs: ObjectMap) -> MergeResult:
    """Compare every object of base, mine and theirs (all in normal form)."""
    result = MergeResult()
    for name in sorted(base.keys() | mine.keys() | theirs.keys()):
        b, m, t = base.get(name), mine.get(name), theirs.get(name)
        if t == b or m == t:
            continue  # nothing new from them, or both sides agree
        if m == b or _settled_for_theirs(name, m, t) is True:
            result.taken[name] = t
        elif _settled_for_theirs(name, m, t) is None:
            result.conflicts.append(name)
    return result


def _settled_for_theirs(name: str, mine: Any, theirs: Any) -> bool | None:
    """Objects whose two versions need no person to decide: of two copies of a CRL the newer
    wins (both sessions fetched it); the CA capabilities are an observation, this session's the
    latest. None: a person decides (a conflict)."""
    if mine is None or theirs is None:
        return None
    if table_of(name) == "crls":
        from pkitui.core.records import CrlRecord

        return CrlRecord.from_doc(theirs).newer_than(CrlRecord.from_doc(mine))
    if name.startswith(_CAPS):
        return False
    return None


def files_of(objects: ObjectMap) -> set[tuple[str, str]]:
    """(area, file name) of every file the objects reference: key files and CRL files."""
    files = set()
    for name, doc in objects.items():
        if not isinstance(doc, dict) or not isinstance(doc.get("file"), str):
            continue
        table = table_of(name)
        if table == "key_pairs":
            files.add(("private", doc["file"]))
        elif table == "crls":
            files.add(("crl" if doc.get("in_nvram", True) else "cache", doc["file"]))
    return files


# -- who saved what, when -------------------------------------------------------------------------
def writer_text(program: str) -> str:
    """This process, as another session's conflict message names it: ``program`` (the front end:
    "pkitui exec", "the pkitui console", "the Python API"), pid, user and host."""
    import pwd  # only when saving: not on every start-up

    try:
        user = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        user = str(os.getuid())
    return f"{program} (pid {os.getpid()}, {user}@{socket.gethostname()})"


def now_text() -> str:
    """A local time stamp to the second."""
    return datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def record_changes(meta: Doc, changed: Iterable[str], who: str, when: str) -> Doc:
    """``meta`` with the change records of ``changed`` objects set to ``who at when``."""
    changes: dict[str, str] = dict(meta.get("changes") or {})
    for name in changed:
        changes[name] = f"{who} at {when}"
    if len(changes) > MAX_CHANGE_RECORDS:  # oldest first out (the time stamps sort as text)
        for name in sorted(changes, key=lambda n: changes[n].rsplit(" at ", 1)[-1])[:-MAX_CHANGE_RECORDS]:
            del changes[name]
    return {"generation": int(meta.get("generation") or 0) + 1, "saved_by": f"{who} at {when}", "changes": changes}


class SaveConflict(StoreError):
    """Another session saved a different version of an object this session also changed."""

    def __init__(self, conflicts: list[str], changes: dict[str, str]) -> None:
        lines = [f"  {name}: changed by {changes.get(name, 'another session')}" for name in conflicts]
        super().__init__(
            "Not saved: another session saved changes to what this one changed too:\n" + "\n".join(lines),
            "Nothing was saved, and this session's version is still in the running configuration. "
            "See theirs with: show startup-config. Saving again replaces theirs with this session's "
            "version; to keep theirs instead, leave without saving and start again.",
        )
        self.conflicts = conflicts
