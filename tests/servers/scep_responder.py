"""TEST STAND-IN: a small SCEP responder for the paths micromdm's scepserver cannot show.

Not a CA anyone should run: it exists so the client's handling of an NDES-style RA chain (two
RA certificates), PENDING then SUCCESS after polls, GetCRL, GetCert, GetNextCACert (CA rollover:
micromdm answers both with HTTP 500), and of deliberately broken replies
(bad signature, nonce mismatch, wrong transactionID, failInfo with failInfoText, a certificate
for another key, an unknown signer) can be tested. It serves HTTP on 127.0.0.1 (random port) in
a thread. Requests are decrypted and answered with the structures RFC 8894 describes.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from asn1crypto import algos, cms
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from pkitui.core.scep.asn1 import MESSAGE_TYPES, IssuerAndSubject, attribute, attribute_values
from pkitui.core.scep.envelope import decrypt, envelope, issuer_and_serial

DER = serialization.Encoding.DER


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Responder"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: x509.Name, key: rsa.RSAPrivateKey, issuer: x509.Name, issuer_key: rsa.RSAPrivateKey, *,
          ca: bool = False, usage: str | None = None, public_key: rsa.RSAPublicKey | None = None,
          days: int = 365, starts_in_days: int = 0, lifetime: datetime.timedelta | None = None) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=starts_in_days)
    # ``lifetime``: valid from now for exactly that long (a short-lived certificate); else from
    # 5 minutes back (clock skew) to ``days`` ahead.
    start, end = (now, now + lifetime) if lifetime else (now - datetime.timedelta(minutes=5),
                                                         now + datetime.timedelta(days=days))
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(public_key or key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(start).not_valid_after(end)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    elif usage:
        b = b.add_extension(x509.KeyUsage(usage == "sign", False, usage == "encrypt", False, False, False, False,
                                          False, False), critical=True)
    return b.sign(issuer_key, hashes.SHA256())


@dataclass
class _Txn:
    csr: x509.CertificateSigningRequest
    polls: int = 0


@dataclass
class ScepResponder:
    """A test SCEP responder. Set ``tamper`` to break the next replies on purpose:
    None, "signature", "nonce", "transaction", "failure", "wrong-key", "wrong-issuer", "unknown-signer",
    "not-certrep" ("wrong-key" also makes GetCert answer with a certificate for another key).

    ``next_ca`` answers GetNextCACert (and advertises it in GetCACaps): "current" signs the reply
    with the current CA key, as RFC 8894 §4.7 says; "other-key" signs it with another key (naming
    the current CA as signer); "other-name" signs it properly but the next CA has another name.
    The next CA certificate (``next_ca_cert``) starts a day before the current one expires and
    lasts ten years; "later" advertises GetNextCACert but has no next certificate yet (HTTP 500).
    None: GetNextCACert is neither advertised nor answered (HTTP 500), as micromdm does."""

    ra: bool = True
    caps: str = "SHA-256\nAES\nRenewal"
    pending_polls: int = 0
    tamper: str | None = None
    fail_text: str = "challenge password expired"
    http_errors: int = 0  # answer the next N PKIOperations with HTTP 503
    lifetime: datetime.timedelta | None = None  # issue certificates valid from now for this long
    next_ca: str | None = None
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ca_key = rsa.generate_private_key(65537, 2048)
        self.ca_cert = _cert(_name("Responder CA"), self.ca_key, _name("Responder CA"), self.ca_key, ca=True)
        self.ra_sign_key = rsa.generate_private_key(65537, 2048)
        self.ra_enc_key = rsa.generate_private_key(65537, 2048)
        self.ra_sign = _cert(_name("RA signing"), self.ra_sign_key, self.ca_cert.subject, self.ca_key, usage="sign")
        self.ra_enc = _cert(_name("RA encryption"), self.ra_enc_key, self.ca_cert.subject, self.ca_key,
                            usage="encrypt")
        self.rogue_key = rsa.generate_private_key(65537, 2048)
        self.rogue = _cert(_name("Rogue"), self.rogue_key, _name("Rogue"), self.rogue_key, ca=True)
        self.next_ca_key = rsa.generate_private_key(65537, 2048)
        self.next_ca_cert = _cert(_name("Responder CA"), self.next_ca_key, _name("Responder CA"), self.next_ca_key,
                                  ca=True, starts_in_days=364, days=3650)
        self.txns: dict[str, _Txn] = {}
        self.issued: list[x509.Certificate] = []
        self._server: ThreadingHTTPServer | None = None

    # -- HTTP -----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/cgi-bin/pkiclient.exe``."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/cgi-bin/pkiclient.exe"

    def __enter__(self) -> ScepResponder:
        responder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                q = parse_qs(urlsplit(self.path).query)
                operation, msg = q.get("operation", [""])[0], q.get("message", [""])[0]
                self._answer(*responder.handle(operation,
                                               base64.b64decode(msg) if operation == "PKIOperation" else b""))

            def do_POST(self) -> None:  # noqa: N802
                q = parse_qs(urlsplit(self.path).query)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._answer(*responder.handle(q.get("operation", [""])[0], body))

            def _answer(self, status: int, ctype: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def handle(self, operation: str, body: bytes) -> tuple[int, str, bytes]:
        """Answer one SCEP operation: (HTTP status, content type, body)."""
        self.requests.append(operation)
        if operation == "GetCACaps":
            return 200, "text/plain", (self.caps + ("\nGetNextCACert" if self.next_ca else "")).encode()
        if operation == "GetNextCACert" and self.next_ca and self.next_ca != "later":
            return 200, "application/x-x509-next-ca-cert", self._next_ca_reply()
        if operation == "GetCACert":
            if not self.ra:
                return 200, "application/x-x509-ca-cert", self.ca_cert.public_bytes(DER)
            return 200, "application/x-x509-ca-ra-cert", self._certs_only([self.ca_cert, self.ra_sign, self.ra_enc])
        if operation == "PKIOperation" and self.http_errors > 0:
            self.http_errors -= 1
            return 503, "text/plain", b"busy"
        if operation == "PKIOperation":
            return 200, "application/x-pki-message", self._pki_operation(body)
        return 500, "text/plain", b"operation not implemented"

    # -- PKIOperation ---------------------------------------------------------------------------
    def _pki_operation(self, der: bytes) -> bytes:
        signed = cms.ContentInfo.load(der)["content"]
        si = signed["signer_infos"][0]
        values = attribute_values(si)
        signer = x509.load_der_x509_certificate(signed["certificates"][0].chosen.dump())
        kind = MESSAGE_TYPES[values["scep_message_type"][0]]
        tid = values["scep_transaction_id"][0]
        nonce = values["scep_sender_nonce"][0]
        enc_key = (self.ra_enc, self.ra_enc_key) if self.ra else (self.ca_cert, self.ca_key)
        inner, _ = decrypt(signed["encap_content_info"]["content"].native, [enc_key])
        if self.tamper == "failure":
            return self._rep(tid, nonce, "2", fail_info="3")
        if kind in ("PKCSReq", "RenewalReq"):
            self.txns[tid] = _Txn(x509.load_der_x509_csr(inner))
        elif kind == "CertPoll":
            IssuerAndSubject.load(inner)  # must parse
            if tid not in self.txns:
                return self._rep(tid, nonce, "2", fail_info="4")
            self.txns[tid].polls += 1
        elif kind == "GetCRL":
            return self._rep(tid, nonce, "0", content=self._crl_only(), recipient=signer)
        elif kind == "GetCert":
            wanted = cms.IssuerAndSerialNumber.load(inner)
            found = [c for c in self.issued if c.serial_number == wanted["serial_number"].native
                     and wanted["issuer"].dump() == c.issuer.public_bytes()]
            if not found:
                return self._rep(tid, nonce, "2", fail_info="4")  # badCertId
            cert = found[0]
            if self.tamper == "wrong-key":
                cert = _cert(cert.subject, self.ca_key, self.ca_cert.subject, self.ca_key,
                             public_key=rsa.generate_private_key(65537, 2048).public_key())
            return self._rep(tid, nonce, "0", content=self._certs_only([cert]), recipient=signer)
        txn = self.txns[tid]
        if txn.polls < self.pending_polls:
            return self._rep(tid, nonce, "3")
        public_key = txn.csr.public_key()
        if self.tamper == "wrong-key":
            public_key = rsa.generate_private_key(65537, 2048).public_key()
        issuer_key = self.rogue_key if self.tamper == "wrong-issuer" else self.ca_key
        cert = _cert(txn.csr.subject, self.ca_key, self.ca_cert.subject, issuer_key, public_key=public_key,  # type: ignore[arg-type]
                     lifetime=self.lifetime)
        self.issued.append(cert)
        return self._rep(tid, nonce, "0", content=self._certs_only([cert]), recipient=signer)

    def _certs_only(self, certs: list[x509.Certificate]) -> bytes:
        return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData({
            "version": "v1", "digest_algorithms": [], "encap_content_info": {"content_type": "data"},
            "certificates": [asn1_x509.Certificate.load(c.public_bytes(DER)) for c in certs],
            "signer_infos": []})}).dump()

    def _next_ca_reply(self) -> bytes:
        """GetNextCACert: SignedData over a certs-only PKCS#7 holding the next CA certificate."""
        nxt = self.next_ca_cert
        if self.next_ca == "other-name":
            nxt = _cert(_name("Another CA"), self.next_ca_key, _name("Another CA"), self.next_ca_key, ca=True,
                        starts_in_days=364, days=3650)
        content = self._certs_only([nxt])
        key = self.rogue_key if self.next_ca == "other-key" else self.ca_key
        signed_attrs = cms.CMSAttributes([attribute("content_type", "data"),
                                          attribute("message_digest", hashlib.sha256(content).digest())])
        digest_alg = algos.DigestAlgorithm({"algorithm": "sha256"})
        sd = cms.SignedData({
            "version": "v1", "digest_algorithms": [digest_alg],
            "encap_content_info": {"content_type": "data", "content": content},
            "certificates": [asn1_x509.Certificate.load(self.ca_cert.public_bytes(DER))],
            "signer_infos": [{
                "version": "v1",
                "sid": cms.SignerIdentifier(name="issuer_and_serial_number", value=issuer_and_serial(self.ca_cert)),
                "digest_algorithm": digest_alg, "signed_attrs": signed_attrs,
                "signature_algorithm": {"algorithm": "sha256_rsa"},
                "signature": key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())}],
        })
        return cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()

    def _crl_only(self) -> bytes:
        now = datetime.datetime.now(datetime.timezone.utc)
        crl = (x509.CertificateRevocationListBuilder().issuer_name(self.ca_cert.subject).last_update(now)
               .next_update(now + datetime.timedelta(days=1)).sign(self.ca_key, hashes.SHA256()))
        return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData({
            "version": "v1", "digest_algorithms": [], "encap_content_info": {"content_type": "data"},
            "crls": [asn1_crl.CertificateList.load(crl.public_bytes(DER))], "signer_infos": []})}).dump()

    def _rep(self, tid: str, nonce: bytes, status: str, *, fail_info: str | None = None,
             content: bytes | None = None, recipient: x509.Certificate | None = None) -> bytes:
        signer, key = (self.ra_sign, self.ra_sign_key) if self.ra else (self.ca_cert, self.ca_key)
        if self.tamper == "unknown-signer":
            signer, key = self.rogue, self.rogue_key
        data = envelope(content, recipient, "des3") if content is not None and recipient is not None else b""
        attrs = [
            attribute("content_type", "data"),
            attribute("message_digest", hashlib.sha256(data).digest()),
            attribute("scep_message_type", "19" if self.tamper == "not-certrep" else "3"),
            attribute("scep_pki_status", status),
            attribute("scep_transaction_id", "0" * 32 if self.tamper == "transaction" else tid),
            attribute("scep_recipient_nonce", os.urandom(16) if self.tamper == "nonce" else nonce),
            attribute("scep_sender_nonce", os.urandom(16)),
        ]
        if fail_info is not None:
            attrs.append(attribute("scep_fail_info", fail_info))
            attrs.append(attribute("scep_fail_info_text", self.fail_text))
        signed_attrs = cms.CMSAttributes(attrs)
        signature = key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
        if self.tamper == "signature":
            signature = bytes([signature[0] ^ 0xFF]) + signature[1:]
        digest_alg = algos.DigestAlgorithm({"algorithm": "sha256"})
        sd = cms.SignedData({
            "version": "v1", "digest_algorithms": [digest_alg],
            "encap_content_info": {"content_type": "data", "content": data or None},
            "certificates": [asn1_x509.Certificate.load(signer.public_bytes(DER))],
            "signer_infos": [{
                "version": "v1",
                "sid": cms.SignerIdentifier(name="issuer_and_serial_number", value=issuer_and_serial(signer)),
                "digest_algorithm": digest_alg, "signed_attrs": signed_attrs,
                "signature_algorithm": {"algorithm": "sha256_rsa"}, "signature": signature}],
        })
        return cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()


__all__ = ["ScepResponder"]
