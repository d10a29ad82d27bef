"""``crl query ldap://HOST[:PORT]``: read a CA's CRL from its directory entry (ldap3).

The entry is the one named by the URL's DN (``ldap://host:389/cn=Lab CA,dc=example,dc=com``);
without a DN, the directory is searched for any entry holding a CRL that names the CA's subject
in its ``cn`` (or any CRL when nothing else matches). Attributes read, in order:
``certificateRevocationList;binary`` then ``authorityRevocationList;binary``.
"""

from __future__ import annotations

import math
import socket
from typing import Any
from urllib.parse import unquote, urlsplit

from pkitui.core import net
from pkitui.core.deadline import Deadline, TIMEOUT_HINT, deadline_for
from pkitui.core.errors import RevocationError

ATTRIBUTES = ("certificateRevocationList;binary", "authorityRevocationList;binary")
_PLAIN = {a.split(";")[0].lower(): a for a in ATTRIBUTES}
TIMEOUT: float | None = None  # None: deadline_for() (the run's --timeout, the trustpoint's, or 30 s)
RECEIVE_CHUNK = 1024 * 1024  # bytes per socket read
# Everything the directory sends for one query (ldap3 holds it in memory until the answer is whole).
MAX_ANSWER_BYTES = net.CRL_BYTES
MAX_ENTRIES = 100  # entries of a subtree search


class _BoundedSocket:
    """ldap3's socket, read under the operation's deadline (each recv waits only the time left) and
    refused past MAX_ANSWER_BYTES in all."""

    def __init__(self, sock: socket.socket, deadline: Deadline, limit: int) -> None:
        self._sock = sock
        self._deadline = deadline
        self._limit = limit
        self.received = 0
        self.too_big = False

    def recv(self, size: int) -> bytes:
        if self._deadline.passed():
            raise TimeoutError("deadline reached")
        self._sock.settimeout(self._deadline.remaining())
        data = self._sock.recv(size)
        self.received += len(data)
        if self.received > self._limit:
            self.too_big = True
            raise OSError(f"answer larger than {self._limit:,} bytes")
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _values(entry_attrs: dict[str, object], wanted: str) -> list[bytes]:
    """Values of ``wanted`` whatever the server's spelling (with or without ``;binary``)."""
    for name, values in entry_attrs.items():
        if name.lower().split(";")[0] == wanted.split(";")[0].lower():
            items = values if isinstance(values, list) else [values]
            return [v for v in items if isinstance(v, bytes) and v]
    return []


def fetch_crls(url: str, ca_name_hint: str | None = None,
               timeout: float | None = TIMEOUT) -> list[tuple[str, bytes]]:
    """(source description, DER) for every CRL found at ``url``, within one deadline (``timeout``,
    default :func:`deadline_for`) and MAX_ANSWER_BYTES; RevocationError when it fails."""
    import ldap3
    from ldap3.core.exceptions import LDAPException

    parts = urlsplit(url)
    if parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
        raise RevocationError(f"invalid LDAP URL {url!r}", "Example: crl query ldap://ldap.example.com:389")
    base = unquote(parts.path.lstrip("/")) or ""
    where = f"{parts.hostname}:{parts.port or (636 if parts.scheme == 'ldaps' else 389)}"
    seconds = timeout or deadline_for()
    with Deadline(seconds) as deadline:
        server = ldap3.Server(parts.hostname, port=parts.port, use_ssl=parts.scheme == "ldaps",
                              connect_timeout=deadline.remaining(), get_info=ldap3.NONE)
        bounded: _BoundedSocket | None = None
        conn = ldap3.Connection(server, auto_bind=False, receive_timeout=math.ceil(seconds), read_only=True)
        # ldap3 reads 4 KiB at a time and appends to one bytes object: quadratic, 108 s for a
        # 42 MB CRL; 1 MiB reads take 0.5 s (this connection only, not ldap3's global setting)
        conn.strategy.socket_size = RECEIVE_CHUNK
        try:
            conn.open()
            deadline.register(conn.socket)
            bounded = _BoundedSocket(conn.socket, deadline, MAX_ANSWER_BYTES)
            conn.socket = bounded
            conn.bind()
        except LDAPException as exc:
            _raise_bounded(url, seconds, deadline, bounded)
            raise RevocationError(f"LDAP server {where} unreachable ({exc})",
                                  "Check the crl query URL and that the directory is up.") from None
        try:
            found: list[tuple[str, bytes]] = []
            if base:
                conn.search(base, "(objectClass=*)", search_scope=ldap3.BASE, attributes=list(ATTRIBUTES))
            else:
                root = _naming_context(conn)
                conn.search(root, "(|(certificateRevocationList;binary=*)(authorityRevocationList;binary=*)"
                            "(certificateRevocationList=*)(authorityRevocationList=*))",
                            search_scope=ldap3.SUBTREE, attributes=list(ATTRIBUTES), size_limit=MAX_ENTRIES)
            for entry in conn.response or []:
                if entry.get("type") != "searchResEntry":
                    continue
                attrs = entry.get("raw_attributes") or {}
                for attr in ATTRIBUTES:
                    for der in _values(attrs, attr):
                        found.append((f"{url.split('?')[0]} {entry['dn']} {attr}", der))
            if not found:
                raise RevocationError(f"no CRL at {url}: the entry has no certificateRevocationList;binary or "
                                      "authorityRevocationList;binary value",
                                      "Give the CA entry's DN in the URL: ldap://HOST:PORT/cn=CA,dc=example,dc=com")
            return found
        except LDAPException as exc:
            _raise_bounded(url, seconds, deadline, bounded)
            raise RevocationError(f"LDAP search at {url} failed: {exc}") from None
        finally:
            try:
                conn.unbind()
            except (LDAPException, OSError):
                pass


def _raise_bounded(url: str, seconds: float, deadline: Deadline, bounded: _BoundedSocket | None) -> None:
    """The deadline or the size cap, when one of them is why ldap3 failed."""
    if bounded is not None and bounded.too_big:
        raise RevocationError(f"LDAP query: the directory at {url} sent more than {MAX_ANSWER_BYTES:,} bytes "
                              f"({net.size_text(MAX_ANSWER_BYTES)}): refused",
                              "Give the CA entry's DN in the URL so that only its CRL is read.") from None
    if deadline.passed():
        raise RevocationError(f"LDAP query: the directory at {url} sent no complete answer within {seconds:g} s",
                              TIMEOUT_HINT) from None


def _naming_context(conn: object) -> str:
    """The directory's first naming context (from the root DSE), or '' when it does not say."""
    import ldap3

    conn.search("", "(objectClass=*)", search_scope=ldap3.BASE, attributes=["namingContexts"])  # type: ignore[attr-defined]
    for entry in conn.response or []:  # type: ignore[attr-defined]
        values = (entry.get("raw_attributes") or {}).get("namingContexts") or []
        if values:
            context: str = values[0].decode()
            return context
    return ""
