"""Device identity: hostname, ip domain-name, FQDN, and the refusal to make keys without them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pkitui.core.errors import IdentityError, PkiError
from pkitui.core.identity import Identity, validate_domain_name, validate_hostname
from pkitui.core.pki import Pki


@pytest.fixture
def pki(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pki:
    monkeypatch.delenv("PKITUI_PASSPHRASE", raising=False)
    return Pki.open(tmp_path / "store")


@pytest.mark.parametrize("name", ["r1", "device1", "R-1", "a", "x" * 63, "1router"])
def test_valid_hostnames_are_accepted(name: str) -> None:
    assert validate_hostname(name) == name


@pytest.mark.parametrize("name", ["", "-r1", "r1-", "r1.example", "r 1", "r_1", "x" * 64, "rö"])
def test_invalid_hostnames_are_refused_naming_the_value(name: str) -> None:
    with pytest.raises(IdentityError) as info:
        validate_hostname(name)
    assert repr(name) in info.value.message
    assert info.value.hint and "DNS label" in info.value.hint


def test_domain_name_is_lower_cased_and_loses_its_trailing_dot() -> None:
    assert validate_domain_name("Example.COM.") == "example.com"
    assert validate_domain_name("lab") == "lab"


@pytest.mark.parametrize(
    ("domain", "bad"),
    [("exa_mple.com", "exa_mple"), ("example..com", ""), ("-x.com", "-x"), ("a.b-.c", "b-")],
)
def test_invalid_domain_names_name_the_bad_label(domain: str, bad: str) -> None:
    with pytest.raises(IdentityError) as info:
        validate_domain_name(domain)
    assert f"bad label {bad!r}" in info.value.message


def test_overlong_domain_name_is_refused() -> None:
    with pytest.raises(IdentityError, match="too long"):
        validate_domain_name(".".join(["a" * 60] * 5))


def test_fqdn_needs_both_parts(pki: Pki) -> None:
    assert pki.fqdn is None
    pki.set_hostname("device1")
    assert pki.fqdn is None
    pki.set_domain_name("Example.com")
    assert pki.fqdn == "device1.example.com"
    pki.set_domain_name(None)  # no ip domain-name
    assert pki.fqdn is None and pki.config.identity.domain_name is None


def test_set_hostname_refuses_and_keeps_the_old_value(pki: Pki) -> None:
    pki.set_hostname("r1")
    with pytest.raises(IdentityError):
        pki.set_hostname("bad name")
    assert pki.config.identity.hostname == "r1"


def test_require_fqdn_says_what_to_configure() -> None:
    with pytest.raises(IdentityError) as info:
        Identity().require_fqdn("generating keys")
    assert "hostname" in info.value.message and info.value.hint == "Configure it with: hostname NAME"
    with pytest.raises(IdentityError) as info:
        Identity(hostname="r1").require_fqdn("generating keys")
    assert "domain-name" in info.value.message
    assert info.value.hint == "Configure it with: ip domain-name DOMAIN"
    assert Identity("r1", "example.com").require_fqdn("x") == "r1.example.com"


def test_key_generation_refuses_without_hostname_then_without_domain(pki: Pki) -> None:
    with pytest.raises(IdentityError, match="hostname"):
        pki.keys.generate(modulus=1024)
    pki.set_hostname("r1")
    with pytest.raises(IdentityError, match="domain-name"):
        pki.keys.generate(modulus=1024)
    assert pki.keys.list() == []
    pki.set_domain_name("example.com")
    (pair,) = pki.keys.generate(modulus=1024)
    assert pair.label == "r1.example.com"


def test_explicit_label_needs_no_identity(pki: Pki) -> None:
    (pair,) = pki.keys.generate(label="vpn", modulus=1024)
    assert pair.label == "vpn"


def test_identity_errors_are_pki_errors_with_message_and_hint() -> None:
    with pytest.raises(PkiError) as info:
        validate_hostname("bad host")
    assert str(info.value) == f"{info.value.message}\n{info.value.hint}"


def test_identity_survives_save_and_reopen(pki: Pki) -> None:
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    pki.save()
    again = Pki.open(pki.store.root)
    assert again.fqdn == "r1.example.com"
    assert not again.dirty
