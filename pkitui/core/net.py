"""HTTP bounded in time and memory: one :class:`~pkitui.core.deadline.Deadline` per operation,
streaming size caps, and redirects kept on the same host.

Sockets are registered with the operation's deadline when http.client creates them, so the
watchdog can cut a server that sends one byte every few seconds. Bodies are read in chunks and
refused as soon as they pass the cap for their kind, counted both as sent (compressed) and as
decoded: ``Content-Encoding`` is decoded here, bounded. Large bodies (CRLs) go to a temporary file
instead of memory.
"""

from __future__ import annotations

import io
import socket
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

from pkitui.core import trace
from pkitui.core.deadline import TIMEOUT_HINT, Deadline, current
from pkitui.core.errors import PkiError

if TYPE_CHECKING:
    import http.client

SMALL_REPLY_BYTES = 1024 * 1024  # GetCACaps, GetCACert, CertRep, OCSP: a few KB in real life
CRL_BYTES = 256 * 1024 * 1024  # a CRL of several million entries; streamed to disk, not memory
MAX_REDIRECTS = 3  # same host and scheme only
CHUNK = 64 * 1024


def size_text(n: int) -> str:
    """1048576 -> '1 MiB'; other sizes in bytes."""
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 and n % (1024 * 1024) == 0 else f"{n:,} bytes"


# -- HTTP plumbing (http.client: requests and urllib3 cost ~40 ms of every start-up) --------------
def _registered(sock: socket.socket) -> socket.socket:
    deadline = current()
    if deadline is not None:
        deadline.register(sock)
    return sock


def _connection(scheme: str, host: str, port: int | None, timeout: float) -> http.client.HTTPConnection:
    """A connection whose raw socket the current deadline cuts (before TLS, so a slow handshake is
    cut too). HTTPS verifies the server with the system's trust store."""
    import http.client

    conn: http.client.HTTPConnection
    if scheme == "https":
        import ssl

        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    create = conn._create_connection  # type: ignore[attr-defined]
    conn._create_connection = (  # type: ignore[attr-defined]
        lambda *args, **kwargs: _registered(create(*args, **kwargs)))
    return conn


class ProxyFailed(Exception):
    """The http-proxy could not be reached, or refused the tunnel."""


def _send(url: str, method: str, body: bytes | None, headers: dict[str, str], proxy: str,
          timeout: float) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """Send one request (through ``proxy``, ``http://HOST:PORT``, when given); the connection and
    its response, headers read."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not proxy:
        conn = _connection(scheme, parts.hostname or "", parts.port, timeout)
        conn.connect()
        trace.step("http connection opened")
        _trace_request(method, target, parts.netloc, body)
        conn.request(method, target, body=body, headers=headers)
        return conn, conn.getresponse()
    via = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if scheme == "https":  # a CONNECT tunnel, TLS end to end
        conn = _connection("https", via.hostname or "", via.port, timeout)
        conn.set_tunnel(parts.hostname or "", parts.port)
    else:  # the proxy fetches the absolute URL
        conn = _connection("http", via.hostname or "", via.port, timeout)
        target = url
    try:
        conn.connect()
    except OSError as exc:  # the proxy is not there, or refused the tunnel (http.client says OSError)
        conn.close()
        raise ProxyFailed(reason(exc)) from exc
    trace.step(f"http connection opened (http-proxy {via.netloc})")
    _trace_request(method, target, parts.netloc, body)
    conn.request(method, target, body=body, headers=headers)
    return conn, conn.getresponse()


def _trace_request(method: str, target: str, host: str, body: bytes | None) -> None:
    """``debug crypto pki messages``: the request as sent (a long message parameter shortened)."""
    if trace.enabled(trace.TraceLevel.MESSAGES):
        trace.message(f"{method} {target} HTTP/1.1\nHost: {host}\nUser-Agent: pkitui"
                      + (f"\nContent-Length: {len(body)}" if body else ""))
    trace.step("Sending HTTP message")


def _trace_response(reply: http.client.HTTPResponse) -> None:
    """``debug crypto pki messages``: the status line and the headers that matter."""
    if trace.enabled(trace.TraceLevel.MESSAGES):
        headers = [f"{name}: {reply.getheader(name)}" for name in ("Content-Type", "Content-Length", "Location")
                   if reply.getheader(name)]
        trace.message("\n".join(["HTTP response header:", f" HTTP/1.1 {reply.status} {reply.reason}", *headers]))


def with_params(url: str, params: dict[str, str] | None) -> str:
    """``url`` with ``params`` added to its query string."""
    if not params:
        return url
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)


@dataclass
class Reply:
    """An HTTP answer read within bounds: ``body`` in memory, or ``file`` (temporary, at offset 0)
    for large kinds. A status other than 200 carries at most 1 KiB of body."""

    status: int
    content_type: str
    url: str
    body: bytes = b""
    file: IO[bytes] | None = None
    size: int = 0


@dataclass
class Operation:
    """What the messages name: ``{name}: {who} {url}{via} ...``, and the error class to raise."""

    name: str  # "GetCACert", "CRL download", "OCSP query"
    who: str  # "the CA at", "the CRL distribution point", "the OCSP responder"
    error: type[PkiError]
    via: str = ""  # " through the http-proxy HOST:PORT"

    def fail(self, url: str, what: str, hint: str | None = None, *, unanswered: bool = False) -> PkiError:
        """The error to raise; ``unanswered`` (deadline, unreachable) makes it a :class:`Unanswered` too."""
        cls = _unanswered(self.error) if unanswered else self.error
        return cls(f"{self.name}: {self.who} {url}{self.via} {what}", hint)


class Unanswered(Exception):
    """Mixed into the error raised when the server gave no answer at all (deadline passed,
    unreachable): a caller may tell it from a refusal, e.g. stop rather than try the next request."""


_UNANSWERED: dict[type[PkiError], type[PkiError]] = {}


def _unanswered(cls: type[PkiError]) -> type[PkiError]:
    if cls not in _UNANSWERED:
        _UNANSWERED[cls] = type(cls.__name__, (cls, Unanswered), {"__module__": cls.__module__})
    return _UNANSWERED[cls]


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    default = {"http": 80, "https": 443}
    return (pa.scheme.lower() == pb.scheme.lower()
            and (pa.hostname or "").lower() == (pb.hostname or "").lower()
            and (pa.port or default.get(pa.scheme.lower())) == (pb.port or default.get(pb.scheme.lower())))


def fetch(op: Operation, url: str, *, seconds: float, max_bytes: int, method: str = "GET",
          params: dict[str, str] | None = None, data: bytes | None = None,
          headers: dict[str, str] | None = None, proxy: str = "", to_file: bool = False) -> Reply:
    """One HTTP operation under one deadline of ``seconds``: connect, redirects (same host and
    scheme, at most 3), headers and body; the body bounded by ``max_bytes`` as sent and as decoded.
    ``proxy``: ``http://HOST:PORT`` of an http-proxy, or empty."""
    headers = {"Accept-Encoding": "identity", "User-Agent": "pkitui", **(headers or {})}
    start_url = url
    url = with_params(url, params)
    with Deadline(seconds) as deadline:
        conn: http.client.HTTPConnection | None = None
        try:
            for hop in range(MAX_REDIRECTS + 1):
                conn, reply = _send(url, method, data, headers, proxy, deadline.remaining())
                if deadline.expired:  # the watchdog cut the headers short: not an answer
                    raise TimeoutError
                _trace_response(reply)
                location = reply.getheader("Location")
                if reply.status in (301, 302, 303, 307, 308) and location:
                    target = urljoin(url, location)
                    if not _same_origin(url, target):
                        raise op.fail(start_url, f"redirected to {target}, another host or scheme: "
                                      "refused", "Configure the final URL; redirects are followed on "
                                      "the same host only.")
                    if hop == MAX_REDIRECTS:
                        raise op.fail(start_url, f"redirected more than {MAX_REDIRECTS} times "
                                      f"(last {url} -> {target}): refused",
                                      "Configure the final URL; the server may be in a redirect loop.")
                    conn.close()
                    url = target
                    if reply.status == 303 or (reply.status in (301, 302) and method == "POST"):
                        method, data = "GET", None
                    continue
                ctype = (reply.getheader("Content-Type") or "").split(";")[0].strip().lower()
                if reply.status != 200:
                    snippet = reply.read(1024)
                    if deadline.expired:
                        raise TimeoutError
                    return Reply(reply.status, ctype, url, body=snippet)
                body = _read_body(op, start_url, url, reply, max_bytes, to_file, deadline, ctype)
                trace.step(f"received msg of {body.size} bytes")
                return body
            raise AssertionError("unreachable")  # pragma: no cover
        except PkiError:
            raise
        except ProxyFailed as exc:
            raise op.error(f"{op.name}: cannot use the http-proxy for {start_url} ({exc})",
                           "Check enrollment http-proxy HOST PORT and that the proxy is running.") from None
        except Exception as exc:  # every transport failure: http.client's, ssl's, OSError, bad URLs
            if deadline.passed():
                raise op.fail(start_url, f"sent no complete answer within {seconds:g} s", TIMEOUT_HINT,
                              unanswered=True) from None
            if not isinstance(exc, _transport_errors()):
                raise
            raise op.fail(start_url, f"is unreachable ({reason(exc)})",
                          "Check the URL (host, port, path) and that the server is running.",
                          unanswered=True) from None
        finally:
            if conn is not None:
                conn.close()


def _transport_errors() -> tuple[type[BaseException], ...]:
    import http.client

    return (http.client.HTTPException, OSError, ValueError)


class _Inflater:
    """Content-Encoding gzip (several members too) or deflate, decoded at most ``room`` bytes at a time."""

    def __init__(self, wbits: int) -> None:
        self.wbits = wbits
        self.z = zlib.decompressobj(wbits)

    def decode(self, data: bytes, room: int) -> Iterator[bytes]:
        """The decoded bytes in pieces of at most CHUNK; ValueError once they pass ``room``."""
        while data:
            out = self.z.decompress(data, min(CHUNK, room + 1))
            data = self.z.unconsumed_tail
            if self.z.eof and self.z.unused_data:  # the next gzip member
                data = self.z.unused_data
                self.z = zlib.decompressobj(self.wbits)
            room -= len(out)
            if room < 0:
                raise ValueError("too large")
            yield out

    def flush(self) -> bytes:
        return self.z.flush()


def _decoder(op: Operation, url: str, encoding: str) -> _Inflater | None:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return _Inflater(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Inflater(zlib.MAX_WBITS)
    raise op.fail(url, f"sent a body with Content-Encoding {encoding!r}, which is not supported: refused")


def _read_body(op: Operation, url: str, final_url: str, reply: http.client.HTTPResponse, max_bytes: int,
               to_file: bool, deadline: Deadline, ctype: str) -> Reply:
    """Read the body in chunks; stop as soon as it passes ``max_bytes`` (as sent or decoded)."""
    decoder = _decoder(op, url, reply.getheader("Content-Encoding") or "")
    too_big = op.fail(url, f"sent an answer larger than {max_bytes:,} bytes ({size_text(max_bytes)}): "
                      "refused",
                      "Check the URL: this is not the answer expected here.")
    declared = reply.getheader("Content-Length") or ""
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    sink: Any = tempfile.TemporaryFile() if to_file else io.BytesIO()
    raw_size = size = 0
    try:
        while True:
            chunk = reply.read1(CHUNK)
            if not chunk:
                break
            raw_size += len(chunk)
            if raw_size > max_bytes:
                raise too_big
            if decoder is not None:
                try:
                    for piece in decoder.decode(chunk, max_bytes - size):
                        size += len(piece)
                        sink.write(piece)
                        if deadline.expired:
                            raise TimeoutError
                except ValueError:
                    raise op.fail(url, "sent a compressed answer that decodes to more than "
                                  f"{max_bytes:,} bytes: refused",
                                  "Check the URL: this is not the answer expected here.") from None
                continue
            size += len(chunk)
            sink.write(chunk)
            if deadline.passed():
                raise TimeoutError
        if deadline.expired:  # the watchdog cut the body short
            raise TimeoutError
        if decoder is not None:
            tail = decoder.flush()
            if size + len(tail) > max_bytes:
                raise too_big
            size += len(tail)
            sink.write(tail)
    except zlib.error:
        sink.close()
        encoding = reply.getheader("Content-Encoding")
        raise op.fail(url, f"sent a body that is not valid {encoding} data: refused",
                      "Check the URL: this is not the answer expected here.") from None
    except BaseException:
        sink.close()
        raise
    if to_file:
        sink.seek(0)
        return Reply(200, ctype, final_url, file=sink, size=size)
    return Reply(200, ctype, final_url, body=sink.getvalue(), size=size)


def reason(exc: BaseException) -> str:
    """A short cause for a connection error: 'connection refused', 'host name not found', or the text."""
    text = str(exc.__cause__ or exc)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "Temporary failure in name resolution" in text:
        return "host name not found"
    if "Connection reset" in text:
        return "connection reset"
    return text[-160:]
