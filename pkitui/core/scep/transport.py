"""SCEP over HTTP (RFC 8894 §4): GetCACaps, GetCACert, PKIOperation by GET or POST, via requests.

Every request honours the trustpoint's ``enrollment http-proxy`` (and only it: the environment's
proxy variables are ignored so a script behaves the same everywhere), has bounded connect and
read timeouts, and turns connection errors, timeouts and HTTP errors into :class:`ScepError`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests

from pkitui.core.errors import ScepError
from pkitui.core.trustpoints import DEFAULT_SCEP_PATH, Trustpoint

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
# A bound, not a size estimate: GetCRL may carry a CRL of a million entries (~40 MB); what it
# stops is a server streaming without end (the read timeout applies between packets only).
MAX_REPLY_BYTES = 512 * 1024 * 1024


def scep_url(tp: Trustpoint) -> str:
    """The URL requests go to: ``enrollment command`` overrides the path; a URL without a path
    gets IOS's ``/cgi-bin/pkiclient.exe``; a URL with a path is used as given."""
    if not tp.enrollment_url:
        from pkitui.core.errors import TrustpointError

        raise TrustpointError(f"% Trustpoint {tp.name} has no enrollment URL",
                              f"Configure it: crypto pki trustpoint {tp.name} / enrollment url http://HOST[:PORT]/PATH")
    parts = urlsplit(tp.enrollment_url)
    path = tp.enrollment_command or (parts.path if parts.path not in ("", "/") else DEFAULT_SCEP_PATH)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def parse_caps(text: str) -> frozenset[str]:
    """GetCACaps keywords, upper-cased (they are case-insensitive); CRLF or LF; blanks ignored."""
    return frozenset(word.strip().upper() for word in text.replace("\r", "\n").split("\n") if word.strip())


@dataclass
class HttpReply:
    """What the CA answered: body and content type."""

    body: bytes
    content_type: str


class ScepTransport:
    """HTTP access to one trustpoint's CA."""

    def __init__(self, tp: Trustpoint, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None) -> None:
        self.url = scep_url(tp)
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.trust_env = False
        self.proxies = {"http": "", "https": ""}
        self.proxy_text = ""
        if tp.enrollment_http_proxy:
            host, port = tp.enrollment_http_proxy
            proxy = f"http://{host}:{port}"
            self.proxies = {"http": proxy, "https": proxy}
            self.proxy_text = f" through the http-proxy {host}:{port}"

    def _request(self, method: str, operation: str, message: str | None = None,
                 data: bytes | None = None) -> HttpReply:
        params = {"operation": operation}
        if message is not None:
            params["message"] = message
        where = f"{self.url}{self.proxy_text}"
        try:
            with self.session.request(method, self.url, params=params, data=data, timeout=self.timeout,
                                      proxies=self.proxies, stream=True,
                                      headers={"Content-Type": "application/x-pki-message"} if data else None) as reply:
                body = _read_bounded(reply)
        except requests.exceptions.ProxyError as exc:
            raise ScepError(f"% {operation}: cannot use the http-proxy for {self.url} ({_reason(exc)})",
                            "Check enrollment http-proxy HOST PORT and that the proxy is running.") from None
        except requests.exceptions.ConnectTimeout:
            raise ScepError(f"% {operation}: no connection to {where} within {self.timeout[0]:g} s",
                            "Check the enrollment URL and the network; the CA may be down.") from None
        except requests.exceptions.Timeout:
            raise ScepError(f"% {operation}: the CA at {where} did not answer within {self.timeout[1]:g} s",
                            "The CA is slow or stuck; try again later or raise the timeout.") from None
        except requests.exceptions.RequestException as exc:
            raise ScepError(f"% {operation}: cannot reach the CA at {where} ({_reason(exc)})",
                            "Check the enrollment URL (host, port, path) and that the CA is running.") from None
        if len(body) > MAX_REPLY_BYTES:
            raise ScepError(f"% {operation}: the reply from {where} is larger than {MAX_REPLY_BYTES:,} bytes; refused",
                            "Check the enrollment URL: this is not a SCEP server's answer.")
        if reply.status_code != 200:
            snippet = body[:120].decode("utf-8", "replace").strip()
            raise ScepError(f"% {operation}: the CA at {where} answered HTTP {reply.status_code}"
                            + (f" ({snippet})" if snippet else ""),
                            "Check the enrollment URL path (enrollment command) and whether the CA supports "
                            f"{operation}.")
        return HttpReply(body, reply.headers.get("Content-Type", "").split(";")[0].strip().lower())

    def get_ca_caps(self) -> frozenset[str]:
        """The CA's capabilities; an error or an empty reply means none (RFC 8894 §3.5.2)."""
        try:
            return parse_caps(self._request("GET", "GetCACaps").body.decode("ascii", "replace"))
        except ScepError:
            return frozenset()

    def get_ca_cert(self) -> HttpReply:
        """GetCACert: a DER certificate or a PKCS#7 certs-only chain with RA certificates."""
        return self._request("GET", "GetCACert", message="pkitui")

    def pki_operation(self, der: bytes, *, post: bool) -> bytes:
        """Send a pkiMessage: POST when the CA advertises POSTPKIOperation, else GET (base64)."""
        if post:
            return self._request("POST", "PKIOperation", data=der).body
        return self._request("GET", "PKIOperation", message=base64.b64encode(der).decode()).body


def _read_bounded(reply: requests.Response) -> bytes:
    """The body, read up to one byte past MAX_REPLY_BYTES (requests' errors, not urllib3's)."""
    chunks, size = [], 0
    try:
        for chunk in reply.iter_content(1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_REPLY_BYTES:
                break
    except requests.exceptions.ConnectionError as exc:  # requests wraps a body read timeout so
        if "timed out" in str(exc):
            raise requests.exceptions.ReadTimeout(str(exc)) from None
        raise
    return b"".join(chunks)


def _reason(exc: Exception) -> str:
    text = str(exc.__cause__ or exc)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "Temporary failure in name resolution" in text:
        return "host name not found"
    return text[-160:]
