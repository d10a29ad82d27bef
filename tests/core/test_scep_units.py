"""SCEP building blocks without a server: caps parsing, URLs, fingerprints, CA warnings, RA choice."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from pkitui.core.errors import CertificateError, ScepError
from pkitui.core.scep.ca import candidate, from_chain, ios_grouping, parse_ca_reply
from pkitui.core.scep.transport import parse_caps, scep_url
from pkitui.core.trustpoints import Trustpoint
from scep_support import make_device
from servers.scep_responder import ScepResponder


def test_caps_case_insensitive_crlf_and_blank_lines() -> None:
    assert parse_caps("renewal\r\nSha-256\r\n\r\nAES\nFutureThing") == {"RENEWAL", "SHA-256", "AES", "FUTURETHING"}
    assert parse_caps("") == frozenset()


def test_url_path_rules() -> None:
    tp = Trustpoint("t")
    tp.set_enrollment_url("http://ca.example.com:8080")
    assert scep_url(tp) == "http://ca.example.com:8080/cgi-bin/pkiclient.exe"
    tp.set_enrollment_url("http://ca.example.com:8080/scep")
    assert scep_url(tp) == "http://ca.example.com:8080/scep"
    tp.set_enrollment_command("/other/path")
    assert scep_url(tp) == "http://ca.example.com:8080/other/path"


def test_ios_grouping() -> None:
    assert ios_grouping("BB45C943BF860EA5A480E481CC257B5C") == "BB45C943 BF860EA5 A480E481 CC257B5C"


def test_weak_ca_gets_warnings(tmp_path: Path) -> None:
    pem = tmp_path / "weak.pem"
    subprocess.run(["openssl", "req", "-x509", "-sha1", "-newkey", "rsa:1024", "-nodes", "-subj", "/CN=weak",
                    "-keyout", str(tmp_path / "k.pem"), "-out", str(pem), "-days", "2"], check=True,
                   capture_output=True)
    cand = parse_ca_reply(pem.read_bytes())
    text = " ".join(cand.warnings)
    assert "1024 bits" in text and "SHA-1" in text
    assert cand.key_size == 1024


def test_large_ca_key_is_accepted_without_warning() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from servers.scep_responder import _cert, _name

    key = rsa.generate_private_key(65537, 4096)  # IOS refuses CA keys above 2048 bits; we don't
    cand = candidate(_cert(_name("Big CA"), key, _name("Big CA"), key, ca=True))
    assert cand.key_size == 4096 and cand.warnings == []
    assert cand.matches(cand.fingerprints["md5"].lower())


def test_ra_chain_selection_by_key_usage() -> None:
    r = ScepResponder()
    cand = from_chain([r.ra_enc, r.ca_cert, r.ra_sign])  # order does not matter
    assert cand.certificate == r.ca_cert
    assert cand.ra_encryption == r.ra_enc and cand.ra_signature == r.ra_sign
    assert cand.ra_role(r.ra_enc) == "ra-encryption" and cand.ra_role(r.ra_sign) == "ra-signature"


def test_chain_keeps_only_certificates_the_ca_signed() -> None:
    """Only the CA certificate is confirmed by its fingerprint: a forged RA certificate that merely
    names the CA as issuer (it would get our challenge password and sign replies) is dropped."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    from servers.scep_responder import _cert, _name

    r = ScepResponder()
    rogue = rsa.generate_private_key(65537, 2048)
    forged_ra = _cert(_name("RA encryption"), rogue, r.ca_cert.subject, rogue, usage="encrypt")
    stray_ca = _cert(_name("Stray CA"), rogue, _name("Stray CA"), rogue, ca=True)
    cand = from_chain([r.ca_cert, forged_ra, r.ra_sign, stray_ca])
    assert cand.certificate == r.ca_cert
    assert cand.ra_certificates == [r.ra_sign] and cand.chain == []
    assert any("2 certificate(s)" in w for w in cand.warnings)
    root_key = rsa.generate_private_key(65537, 2048)
    root = _cert(_name("Root"), root_key, _name("Root"), root_key, ca=True)
    sub = _cert(_name("Sub CA"), r.ca_key, root.subject, root_key, ca=True)
    sub_ra = _cert(_name("Sub RA"), r.ra_sign_key, sub.subject, r.ca_key, usage="sign")
    cand = from_chain([root, sub, sub_ra])
    assert cand.certificate == sub and cand.chain == [root] and cand.ra_certificates == [sub_ra]


def test_garbage_ca_reply_is_a_clear_error() -> None:
    with pytest.raises(CertificateError) as err:
        parse_ca_reply(b"<html>hello</html>", "text/html")
    assert "neither a certificate nor a PKCS#7" in str(err.value)


def test_timeout_is_bounded_and_clear(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts connections, never answers
    port = listener.getsockname()[1]
    try:
        pki = make_device(tmp_path, f"http://127.0.0.1:{port}/scep")
        pki.scep.timeout = 0.3
        with pytest.raises(ScepError) as err:
            pki.ca_trust.fetch_ca("lab")
        assert "sent no complete answer within 0.3 s" in err.value.message
    finally:
        listener.close()


def test_a_reply_body_that_stalls_or_never_ends_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from pkitui.core.scep import transport

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]

    def serve() -> None:  # headers and a few bytes, then silence
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 10)
        threading.Event().wait(2)
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        pki = make_device(tmp_path / "a", f"http://127.0.0.1:{port}/scep")
        pki.scep.timeout = 0.3
        with pytest.raises(ScepError, match="sent no complete answer within 0.3 s"):
            pki.ca_trust.fetch_ca("lab")
    finally:
        listener.close()
    monkeypatch.setattr(transport, "MAX_REPLY_BYTES", 100)
    with ScepResponder(ra=False) as r:
        pki = make_device(tmp_path / "b", r.url)
        with pytest.raises(ScepError, match="larger than 100 bytes"):
            pki.ca_trust.fetch_ca("lab")


def test_http_error_is_clear(tmp_path: Path) -> None:
    with ScepResponder() as r:
        pki = make_device(tmp_path, r.url.replace("/cgi-bin/pkiclient.exe", "/nothing"))
        pki.trustpoints.get("lab").set_enrollment_command("/nothing")
        # the responder answers any path; operation names it cannot do give HTTP 500
        with pytest.raises(ScepError) as err:
            pki.scep.transport("lab")._request("GET", "GetNextCACert")
        assert "HTTP 500" in err.value.message


def test_candidate_from_der_accepts_der_and_pem() -> None:
    r = ScepResponder(ra=False)
    from cryptography.hazmat.primitives import serialization

    for data in (r.ca_cert.public_bytes(serialization.Encoding.DER),
                 r.ca_cert.public_bytes(serialization.Encoding.PEM)):
        assert parse_ca_reply(data).certificate == r.ca_cert


def test_missing_server_binary_names_the_debian_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pkitui.lab.process import LabError
    from pkitui.lab.proxy import HttpProxy
    from pkitui.lab.scepserver import ScepServer

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LabError) as err:
        ScepServer(tmp_path / "ca").start()
    assert "scepserver not found" in err.value.message and "apt-get install scep" in (err.value.hint or "")
    with pytest.raises(LabError) as err:
        HttpProxy(tmp_path / "proxy").start()
    assert "apt-get install tinyproxy" in (err.value.hint or "")
