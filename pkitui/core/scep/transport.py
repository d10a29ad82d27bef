"""SCEP over HTTP (RFC 8894 §4): GetCACaps, GetCACert, PKIOperation by GET or POST, through core.net (http.client).

Every request honours the trustpoint's ``enrollment http-proxy`` (and only it: the environment's
proxy variables are ignored so a script behaves the same everywhere), runs under one deadline
(connect, headers and body together: :mod:`pkitui.core.net`), reads a bounded body (1 MiB; a
GetCRL reply, a CRL in a CMS envelope, up to the CRL cap), follows redirects on the same host only,
and turns every failure into :class:`ScepError`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from pkitui.core import net, trace
from pkitui.core.deadline import deadline_for
from pkitui.core.errors import ScepError
from pkitui.core.trustpoint_values import DEFAULT_SCEP_PATH
from pkitui.core.trustpoints import Trustpoint

MAX_REPLY_BYTES = net.SMALL_REPLY_BYTES  # GetCACaps, GetCACert, CertRep
# IOS's debug wording for the first step of each request (debug crypto pki transactions).
_SENDING = {"GetCACert": "Sending CA Certificate Request:", "GetCACaps": "Sending CA Capabilities Request:",
            "PKIOperation": "Sending PKI message:"}
MAX_CRL_REPLY_BYTES = net.CRL_BYTES  # a GetCRL CertRep carries a whole CRL


def scep_url(tp: Trustpoint) -> str:
    """The URL requests go to: ``enrollment command`` overrides the path; a URL without a path
    gets IOS's ``/cgi-bin/pkiclient.exe``; a URL with a path is used as given."""
    if not tp.enrollment_url:
        from pkitui.core.errors import TrustpointError

        raise TrustpointError(f"Trustpoint {tp.name} has no enrollment URL",
                              f"Configure it: crypto pki trustpoint {tp.name} / enrollment url http://HOST[:PORT]/PATH")
    parts = urlsplit(tp.enrollment_url)
    path = tp.enrollment_command or (parts.path if parts.path not in ("", "/") else DEFAULT_SCEP_PATH)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def parse_caps(text: str) -> frozenset[str]:
    """GetCACaps keywords, upper-cased (they are case-insensitive); CRLF or LF; blanks ignored."""
    return frozenset(word.strip().upper() for word in text.replace("\r", "\n").split("\n") if word.strip())


@dataclass
class ScepSettings:
    """How this process talks to SCEP CAs, shared by CA authentication and enrollment.

    ``timeout``, when set, is the deadline in seconds of every SCEP operation (None: the run's
    ``--timeout``, else the trustpoint's ``enrollment timeout``, else 30 s);
    ``seconds_per_retry_minute`` scales ``enrollment retry period`` (60 in real life; tests set it
    small so polls take milliseconds).
    """

    timeout: float | None = None
    seconds_per_retry_minute: float = 60.0

    def transport(self, tp: Trustpoint) -> ScepTransport:
        """The HTTP transport to ``tp``'s CA (URL, proxy and deadline applied)."""
        return ScepTransport(tp, deadline=self.timeout)


@dataclass
class HttpReply:
    """What the CA answered: body and content type."""

    body: bytes
    content_type: str


class ScepTransport:
    """HTTP access to one trustpoint's CA."""

    def __init__(self, tp: Trustpoint, *, deadline: float | None = None) -> None:
        """``deadline``: seconds for each operation (None: :func:`deadline_for` the trustpoint)."""
        self.url = scep_url(tp)
        self.deadline = deadline_for(tp) if deadline is None else deadline
        self.proxy = ""
        self.proxy_text = ""
        if tp.enrollment_http_proxy:
            host, port = tp.enrollment_http_proxy
            self.proxy = f"http://{host}:{port}"
            self.proxy_text = f" through the http-proxy {host}:{port}"

    def _request(self, method: str, operation: str, message: str | None = None,
                 data: bytes | None = None, max_bytes: int | None = None) -> HttpReply:
        params = {"operation": operation}
        if message is not None:
            params["message"] = message
        where = f"{self.url}{self.proxy_text}"
        sending = _SENDING.get(operation, f"Sending {operation} Request:")  # e.g. GetNextCACert
        trace.step(f"{sending}\n{method} {net.with_params(self.url, params)}{self.proxy_text}")
        op = net.Operation(operation, "the CA at", ScepError, self.proxy_text)
        reply = net.fetch(op, self.url, seconds=self.deadline, method=method, params=params, data=data,
                          max_bytes=MAX_REPLY_BYTES if max_bytes is None else max_bytes, proxy=self.proxy,
                          headers={"Content-Type": "application/x-pki-message"} if data else None)
        if reply.status != 200:
            snippet = reply.body[:120].decode("utf-8", "replace").strip()
            raise ScepError(f"{operation}: the CA at {where} answered HTTP {reply.status}"
                            + (f" ({snippet})" if snippet else ""),
                            "Check the enrollment URL path (enrollment command) and whether the CA supports "
                            f"{operation}.")
        trace.step(f"transaction {operation} completed" if operation != "PKIOperation" else "PKIOperation answered")
        return HttpReply(reply.body, reply.content_type)

    def get_ca_caps(self) -> frozenset[str]:
        """The CA's capabilities; an error or an empty reply means none (RFC 8894 §3.5.2). A CA that
        does not answer at all (deadline, unreachable) is an error: the next request would wait again."""
        try:
            caps = parse_caps(self._request("GET", "GetCACaps").body.decode("ascii", "replace"))
        except ScepError as exc:
            if isinstance(exc, net.Unanswered):
                raise
            trace.step(f"GetCACaps failed ({exc.message}): the CA is taken to have no capabilities")
            return frozenset()
        trace.message("CA capabilities: " + (" ".join(sorted(caps)) or "(none)"))
        return caps

    def get_ca_cert(self) -> HttpReply:
        """GetCACert: a DER certificate or a PKCS#7 certs-only chain with RA certificates."""
        return self._request("GET", "GetCACert", message="pkitui")

    def get_next_ca_cert(self) -> HttpReply:
        """GetNextCACert (RFC 8894 §4.7): a SignedData from the current CA holding its next certificate."""
        return self._request("GET", "GetNextCACert", message="pkitui")

    def pki_operation(self, der: bytes, *, post: bool, carries_crl: bool = False) -> bytes:
        """Send a pkiMessage: POST when the CA advertises POSTPKIOperation, else GET (base64). The
        reply is bounded by 1 MiB, or by the CRL cap when it carries a CRL (GetCRL)."""
        cap = MAX_CRL_REPLY_BYTES if carries_crl else MAX_REPLY_BYTES
        if post:
            return self._request("POST", "PKIOperation", data=der, max_bytes=cap).body
        return self._request("GET", "PKIOperation", message=base64.b64encode(der).decode(), max_bytes=cap).body

