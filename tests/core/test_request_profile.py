"""The certificate request a trustpoint builds (issue 12): subject-alt-name, fqdn, ip-address,
usage, eku request and hash, read back from the PKCS#10 with cryptography as a CA reads it."""

from __future__ import annotations

import pytest
from asn1crypto import csr as asn1_csr
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pkitui.core.errors import ConfigError
from pkitui.core.identity import Identity
from pkitui.core.scep.messages import message_digest
from pkitui.core.scep.request import request_csr
from pkitui.core.trustpoints import Trustpoint

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
IDENTITY = Identity(hostname="r1", domain_name="example.com")


def csr_of(tp: Trustpoint, key_usage: str = "general") -> x509.CertificateSigningRequest:
    der = request_csr(IDENTITY, tp, KEY, challenge="pw", key_usage=key_usage)
    return x509.load_der_x509_csr(der)


def sans(csr: x509.CertificateSigningRequest) -> list[str]:
    ext = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(n.value) for n in ext]


def test_default_request_names_hostname_domain_and_has_no_usage() -> None:
    csr = csr_of(Trustpoint(name="t"))
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "r1.example.com"
    assert sans(csr) == ["r1.example.com"]
    assert csr.signature_hash_algorithm is not None and csr.signature_hash_algorithm.name == "sha256"
    with pytest.raises(x509.ExtensionNotFound):
        csr.extensions.get_extension_for_class(x509.KeyUsage)
    with pytest.raises(x509.ExtensionNotFound):
        csr.extensions.get_extension_for_class(x509.ExtendedKeyUsage)


def test_fqdn_subject_alt_name_and_address_go_in_the_san() -> None:
    tp = Trustpoint(name="t")
    tp.set_fqdn("vpn1.corp.example")
    tp.set_subject_alt_name("alias.corp.example")
    tp.set_ip_address("192.0.2.7")
    csr = csr_of(tp)
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "vpn1.corp.example"
    assert sans(csr) == ["vpn1.corp.example", "alias.corp.example", "192.0.2.7"]


def test_ip_address_interface_is_resolved_and_none_adds_nothing() -> None:
    tp = Trustpoint(name="t")
    tp.set_ip_address("lo")
    assert "127.0.0.1" in sans(csr_of(tp))
    tp.set_ip_address("none")
    assert sans(csr_of(tp)) == ["r1.example.com"]


def test_unknown_interface_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError, match="no interface 'nosuch0'"):
        Trustpoint(name="t").set_ip_address("nosuch0")


def test_fqdn_none_leaves_the_fqdn_out_and_needs_a_subject_name() -> None:
    tp = Trustpoint(name="t")
    tp.set_fqdn("none")
    with pytest.raises(ConfigError, match="fqdn none"):
        csr_of(tp)
    tp.set_subject_name("CN=box,O=Example")
    tp.set_subject_alt_name("box.example.com")
    assert sans(csr_of(tp)) == ["box.example.com"]


def test_usage_and_eku_request_put_key_usage_and_ekus_in_the_request() -> None:
    tp = Trustpoint(name="t")
    tp.set_usage(["ike", "ssl-server"])
    tp.set_eku_request(["client-auth", "server-auth", "ipsec-end-system"])
    csr = csr_of(tp)
    ku = csr.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.key_encipherment
    ekus = list(csr.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert ekus == [x509.ObjectIdentifier("1.3.6.1.5.5.7.3.17"), ExtendedKeyUsageOID.SERVER_AUTH,
                    ExtendedKeyUsageOID.CLIENT_AUTH, x509.ObjectIdentifier("1.3.6.1.5.5.7.3.5")]
    # Usage keys: each request carries its own key's usage.
    sign = csr_of(tp, "signature").extensions.get_extension_for_class(x509.KeyUsage).value
    enc = csr_of(tp, "encryption").extensions.get_extension_for_class(x509.KeyUsage).value
    assert (sign.digital_signature, sign.key_encipherment) == (True, False)
    assert (enc.digital_signature, enc.key_encipherment) == (False, True)


@pytest.mark.parametrize("name", ["sha256", "sha384", "sha512"])
def test_hash_signs_the_request(name: str) -> None:
    tp = Trustpoint(name="t")
    tp.set_hash(name)
    csr = csr_of(tp)
    assert csr.signature_hash_algorithm is not None and csr.signature_hash_algorithm.name == name
    assert csr.is_signature_valid


def test_hash_sha1_signs_the_request_by_hand_and_it_verifies() -> None:
    tp = Trustpoint(name="t")
    tp.set_hash("sha1")
    der = request_csr(IDENTITY, tp, KEY, challenge="pw")
    parsed = asn1_csr.CertificationRequest.load(der)
    assert parsed["signature_algorithm"]["algorithm"].native == "sha1_rsa"
    csr = x509.load_der_x509_csr(der)
    from cryptography.hazmat.primitives import hashes

    KEY.public_key().verify(csr.signature, csr.tbs_certrequest_bytes, padding.PKCS1v15(), hashes.SHA1())
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "r1.example.com"


def test_scep_message_digest_follows_hash_where_the_ca_allows_it() -> None:
    assert message_digest({"SHA-256", "SHA-512"}, "sha512") == "sha512"
    assert message_digest({"SHA-256"}, "sha512") == "sha256"  # not offered: the best allowed
    assert message_digest(set(), "sha256") == "sha1"  # an old CA: SHA-1 only
    assert message_digest({"SCEPSTANDARD"}, "sha1") == "sha1"
    assert message_digest({"SCEPSTANDARD"}, "sha384") == "sha256"  # SCEP has no SHA-384
    assert message_digest({"SCEPSTANDARD"}, None) == "sha256"
