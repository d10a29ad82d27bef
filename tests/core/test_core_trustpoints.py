"""Trustpoints: every setter's validation (messages name the bad part), the service, persistence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.x509.oid import NameOID

from pkitui.core.dn import parse_dn
from pkitui.core.errors import ConfigError, TrustpointError
from pkitui.core.pki import Pki
from pkitui.core.records import CrlRecord, PendingEnrollment, StoredCertificate
from pkitui.core.trustpoint_values import DEFAULT_SCEP_PATH
from pkitui.core.trustpoints import Trustpoint


@pytest.fixture
def pki(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pki:
    monkeypatch.delenv("PKITUI_PASSPHRASE", raising=False)
    return Pki.open(tmp_path / "store")


@pytest.fixture
def tp() -> Trustpoint:
    return Trustpoint(name="ka")


def refused(call, *args: object) -> ConfigError:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as info:
        call(*args)
    assert info.value.hint, "every refusal carries a hint"
    return info.value


# -- enrollment url / ocsp url / crl query ---------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["http://ca.example.com:81", "https://10.0.0.1/scep", "http://[::1]:8080/x", "HTTP://CA", "http://ca:65535"]
)
def test_enrollment_url_accepts(tp: Trustpoint, url: str) -> None:
    tp.set_enrollment_url(url)
    assert tp.enrollment_url == url


@pytest.mark.parametrize(
    ("url", "part"),
    [
        ("ftp://ca.example.com", "scheme 'ftp'"),
        ("ca.example.com", "scheme '(none)'"),
        ("http://", "no host"),
        ("http://ca.example.com:0", "port 0 is out of range"),
        ("http://ca.example.com:65536", "port 65536 is out of range"),
        ("http://ca.example.com:8o", "port '8o' is not a number"),
        ("http://ca.example.com:/x", "port '' is not a number"),
        ("http://ca_1.example.com", "'ca_1.example.com'"),
    ],
)
def test_enrollment_url_refusals_name_the_bad_part(tp: Trustpoint, url: str, part: str) -> None:
    err = refused(tp.set_enrollment_url, url)
    assert part in err.message and "enrollment url" in err.message
    assert tp.enrollment_url is None


def test_ocsp_url_is_http_only(tp: Trustpoint) -> None:
    tp.set_ocsp_url("http://ocsp.example.com:2560")
    assert "scheme 'ldap'" in refused(tp.set_ocsp_url, "ldap://x").message


def test_crl_query_takes_ldap_and_http_urls(tp: Trustpoint) -> None:
    tp.set_crl_query("ldap://bar.cisco.com:3899")
    assert tp.crl_query == "ldap://bar.cisco.com:3899"
    tp.set_crl_query("ldaps://bar.cisco.com")
    tp.set_crl_query("http://ca.example.com/crl/ca.crl")  # our addition: a CRL over HTTP, no CDP needed
    assert tp.crl_query == "http://ca.example.com/crl/ca.crl"
    tp.set_crl_query("https://ca.example.com:8443/ca.crl")
    err = refused(tp.set_crl_query, "ftp://bar.cisco.com")
    assert "scheme 'ftp'" in err.message and "ldap://" in (err.hint or "") and "http://" in (err.hint or "")
    assert "port 99999" in refused(tp.set_crl_query, "ldap://h:99999").message


# -- enrollment command / retry / proxy --------------------------------------------------------
def test_enrollment_command(tp: Trustpoint) -> None:
    tp.set_enrollment_command(None)
    assert tp.enrollment_command == DEFAULT_SCEP_PATH
    tp.set_enrollment_command("/scep")
    assert tp.enrollment_command == "/scep"
    assert "'scep'" in refused(tp.set_enrollment_command, "scep").message
    assert "'/a b'" in refused(tp.set_enrollment_command, "/a b").message


@pytest.mark.parametrize(("value", "ok"), [(1, True), (60, True), ("30", True), (0, False), (61, False), ("x", False)])
def test_retry_period_1_to_60(tp: Trustpoint, value: object, ok: bool) -> None:
    if ok:
        tp.set_retry_period(value)  # type: ignore[arg-type]
        assert tp.enrollment_retry_period == int(value)  # type: ignore[call-overload]
    else:
        err = refused(tp.set_retry_period, value)
        assert "enrollment retry period" in err.message and "1 to 60" in (err.hint or "")
        assert str(value) in err.message


@pytest.mark.parametrize(("value", "ok"), [(0, True), (100, True), ("5", True), (-1, False), (101, False), ("", False)])
def test_retry_count_0_to_100(tp: Trustpoint, value: object, ok: bool) -> None:
    if ok:
        tp.set_retry_count(value)  # type: ignore[arg-type]
        assert tp.enrollment_retry_count == int(value)  # type: ignore[call-overload]
    else:
        err = refused(tp.set_retry_count, value)
        assert "enrollment retry count" in err.message and "0 to 100" in (err.hint or "")


def test_http_proxy(tp: Trustpoint) -> None:
    tp.set_http_proxy("proxy.example.com", "3128")
    assert tp.enrollment_http_proxy == ("proxy.example.com", 3128)
    assert "http-proxy port 0" in refused(tp.set_http_proxy, "p", 0).message
    assert "http-proxy port 'abc'" in refused(tp.set_http_proxy, "p", "abc").message
    assert "http-proxy host 'bad host'" in refused(tp.set_http_proxy, "bad host", 80).message
    assert tp.enrollment_http_proxy == ("proxy.example.com", 3128)


# -- revocation-check ------------------------------------------------------------------------------
def test_revocation_check_ordered_1_to_3(tp: Trustpoint) -> None:
    assert tp.revocation_check == ["crl"]
    tp.set_revocation_check(["OCSP", "crl", "none"])
    assert tp.revocation_check == ["ocsp", "crl", "none"]
    assert "1 to 3" in refused(tp.set_revocation_check, []).message
    assert "1 to 3" in refused(tp.set_revocation_check, ["crl", "ocsp", "none", "crl"]).message
    assert "'ldap'" in refused(tp.set_revocation_check, ["crl", "ldap"]).message
    assert "twice" in refused(tp.set_revocation_check, ["crl", "crl"]).message


# -- root tftp -------------------------------------------------------------------------------------
def test_root_tftp(tp: Trustpoint) -> None:
    tp.set_root_tftp("server1", "ca.cer")
    assert tp.root_tftp == ("server1", "ca.cer")
    tp.set_root_tftp("10.0.0.5:6969", "ca.cer")
    tp.set_root_tftp("::1", "ca.cer")  # IPv6: its colons are not a port
    assert "TFTP port 0" in refused(tp.set_root_tftp, "server1:0", "ca.cer").message
    assert "'bad_host'" in refused(tp.set_root_tftp, "bad_host", "ca.cer").message
    assert "'a b'" in refused(tp.set_root_tftp, "server1", "a b").message
    assert "''" in refused(tp.set_root_tftp, "server1", "").message


# -- fingerprint -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "12:34:56:78:9a:bc:de:f0:12:34:56:78:9A:BC:DE:F0",  # MD5 with colons
        "1234ABCD 1234ABCD 1234ABCD 1234ABCD 1234ABCD",  # SHA-1 in IOS's groups
        "ab" * 32,  # SHA-256, lower case
        "1234-5678.9ABC-DEF0" * 2,
    ],
)
def test_fingerprint_formats_are_normalised(tp: Trustpoint, text: str) -> None:
    tp.set_fingerprint(text)
    assert tp.fingerprint is not None
    assert tp.fingerprint == "".join(c for c in text if c.isalnum()).upper()
    assert len(tp.fingerprint) in (32, 40, 64)


def test_fingerprint_refusals_name_the_bad_part(tp: Trustpoint) -> None:
    assert "'G' is not a hex digit" in refused(tp.set_fingerprint, "G" * 32).message
    assert "4 hex digits" in refused(tp.set_fingerprint, "12:34").message
    err = refused(tp.set_fingerprint, "A" * 33)
    assert "33 hex digits" in err.message and "SHA-256 (64)" in (err.hint or "")
    assert "0 hex digits" in refused(tp.set_fingerprint, "").message


# -- password, rsakeypair, subject-name, ip-address ---------------------------------------------
def test_password(tp: Trustpoint) -> None:
    tp.set_password("s3cret!")
    assert tp.password == "s3cret!"
    assert "s3cret" not in repr(tp)
    for bad in ("", "two words", "x" * 81):
        refused(tp.set_password, bad)
    assert tp.password == "s3cret!"


def test_rsakeypair(tp: Trustpoint) -> None:
    tp.set_rsakeypair("r1.example.com")
    assert tp.rsakeypair == "r1.example.com"
    assert "key label 'a b'" in refused(tp.set_rsakeypair, "a b").message


@pytest.mark.parametrize(
    "dn",
    ["CN=r1.example.com,O=Example,C=US", "cn=r1, o=Example", "CN=a+OU=b", "E=a@b.c,CN=x", "serialNumber=1,CN=x",
     "unstructuredName=r1.example.com", "1.2.3.4=x,CN=y", r"CN=r1\,x,OU=a\2Cb", 'CN="a, b"'],
)
def test_subject_name_accepts(tp: Trustpoint, dn: str) -> None:
    tp.set_subject_name(dn)
    assert tp.subject_name == dn


@pytest.mark.parametrize(
    ("dn", "part"),
    [
        ("CN=r1,FOO=bar", "unknown attribute 'FOO'"),
        ("CNr1", "'CNr1' has no '='"),
        ("CN=r1,,O=x", "empty component"),
        ("CN=r1,O=", "O has an empty value"),
        ("CN=r1,=x", "'=x' has no attribute name"),
        ("CN=r1,C=USA", "C='USA' is not a two-letter country code"),
        ("CN=a+CN=a", "duplicate"),
        ("CN=" + "x" * 65, "longer than 64"),
        ("  ", "empty"),
        (r"CN=a\q", r"bad escape '\q'"),
    ],
)
def test_subject_name_refusals_name_the_bad_part(tp: Trustpoint, dn: str, part: str) -> None:
    assert part in refused(tp.set_subject_name, dn).message
    assert tp.subject_name is None


def test_parse_dn_builds_the_x509_name_in_rfc4514_order() -> None:
    name = parse_dn("CN=r1.example.com, o=Example, C=US")
    assert name.rfc4514_string() == "CN=r1.example.com,O=Example,C=US"
    assert name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "r1.example.com"
    assert parse_dn(r"CN=a\,b").get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "a,b"
    assert parse_dn('CN="a, b"').get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "a, b"


def test_ip_address(tp: Trustpoint) -> None:
    tp.set_ip_address("10.0.0.1")
    tp.set_ip_address("2001:DB8::1")
    assert tp.ip_address == "2001:db8::1"
    assert "'10.0.0'" in refused(tp.set_ip_address, "10.0.0").message


# -- the service ----------------------------------------------------------------------------------
def test_declare_get_list_remove(pki: Pki) -> None:
    ka = pki.trustpoints.declare("ka")
    assert pki.trustpoints.declare("ka") is ka  # crypto ca trustpoint and crypto pki trustpoint: same object
    pki.trustpoints.declare("kb")
    assert [t.name for t in pki.trustpoints.list()] == ["ka", "kb"]
    assert pki.trustpoints.get("kb").name == "kb"
    with pytest.raises(TrustpointError) as info:
        pki.trustpoints.get("nope")
    assert info.value.hint == "Declare it with: crypto pki trustpoint nope"
    with pytest.raises(ConfigError, match="trustpoint name 'a b'"):
        pki.trustpoints.declare("a b")


def test_remove_takes_certificates_crls_and_pending_along(pki: Pki) -> None:
    pki.trustpoints.declare("ka")
    pki.trustpoints.declare("kb")
    pki.config.certificates = [StoredCertificate.from_der("ka", "ca", b"1"),
                               StoredCertificate.from_der("kb", "ca", b"2")]
    pki.config.crls = [CrlRecord("ka", "CN=CA", "http", "f.crl", "00", 10, "2026-01-01")]
    pki.config.pending = [PendingEnrollment("ka", "k", "tid")]
    pki.config.ca_caps_seen["ka"] = ["AES"]
    removed = pki.trustpoints.remove("ka")
    assert removed[0] == "trustpoint ka" and len(removed) == 3
    assert [c.trustpoint for c in pki.config.certificates] == ["kb"]
    assert pki.config.crls == [] and pki.config.pending == [] and pki.config.ca_caps_seen == {}
    with pytest.raises(TrustpointError):
        pki.trustpoints.remove("ka")


def test_every_field_survives_save_and_reopen(pki: Pki) -> None:
    tp = pki.trustpoints.declare("ka")
    tp.set_enrollment_url("http://ca.example.com:81")
    tp.set_enrollment_command("/scep")
    tp.enrollment_mode_ra = True
    tp.set_retry_period(5)
    tp.set_retry_count(10)
    tp.set_http_proxy("proxy", 3128)
    tp.set_crl_query("ldap://ldap.example.com:389")
    tp.set_revocation_check(["ocsp", "crl", "none"])
    tp.set_ocsp_url("http://ocsp.example.com")
    tp.set_root_tftp("server1", "ca.cer")
    tp.set_fingerprint("AB" * 20)
    tp.set_password("challenge1")
    tp.set_rsakeypair("vpn")
    tp.set_subject_name("CN=r1.example.com,O=Example")
    tp.set_ip_address("10.0.0.1")
    pki.save()
    again = Pki.open(pki.store.root)
    assert again.trustpoints.get("ka") == tp
    assert not again.dirty
    text = (pki.store.root / "nvram.json").read_text()
    assert "challenge1" not in text  # the challenge password is sealed
    assert "password_sealed" in json.dumps(json.loads(text)["trustpoints"])


def test_changing_a_trustpoint_makes_the_config_dirty(pki: Pki) -> None:
    tp = pki.trustpoints.declare("ka")
    tp.set_password("one")
    pki.save()
    assert not pki.dirty
    tp.set_password("two")
    assert pki.dirty
    pki.save()
    assert Pki.open(pki.store.root).trustpoints.get("ka").password == "two"
    tp.set_revocation_check(["crl", "none"])
    assert pki.dirty


def test_reset_restores_each_options_default() -> None:
    from pkitui.core.errors import ConfigError
    from pkitui.core.trustpoints import Trustpoint

    tp = Trustpoint(name="ka")
    tp.set_retry_period(7)
    tp.set_revocation_check(["ocsp", "none"])
    tp.set_crl_query("ldap://ldap.example.com:389")
    for option in ("enrollment_retry_period", "revocation_check", "crl_query"):
        tp.reset(option)
    assert (tp.enrollment_retry_period, tp.revocation_check, tp.crl_query) == (1, ["crl"], None)
    tp.reset("revocation_check")
    assert tp.revocation_check is not Trustpoint(name="x").revocation_check  # a fresh list each time
    with pytest.raises(ConfigError):
        tp.reset("no_such_option")
    with pytest.raises(ConfigError):
        tp.reset("name")
