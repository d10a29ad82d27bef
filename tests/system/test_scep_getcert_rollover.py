"""GetCert and GetNextCACert (CA rollover) against the test stand-in responder (tests/servers):
micromdm's scepserver, the lab's real CA, answers both with HTTP 500, so no real server can show
these paths."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from pkitui.core.clock import FixedClock
from pkitui.core.errors import ScepError, TrustpointError, VerificationError
from pkitui.core.pki import Pki
from pkitui.core.scep.ca import fingerprints
from ios_support import recorder
from pkitui.ios.session import Session
from scep_support import make_device
from servers.scep_responder import ScepResponder

DER = serialization.Encoding.DER


def _device(store: Path, r: ScepResponder) -> Pki:
    pki = make_device(store, r.url, fingerprint=fingerprints(r.ca_cert.public_bytes(DER))["sha256"])
    pki.ca_trust.authenticate("lab")
    return pki


# -- GetCert ------------------------------------------------------------------------------------
def test_get_cert_fetches_the_device_certificate_again(tmp_path: Path) -> None:
    with ScepResponder(ra=False) as r:
        pki = _device(tmp_path, r)
        [issued] = [res.certificate for res in pki.scep.enroll("lab")]
        assert issued is not None
        [again] = pki.scep.get_cert("lab")  # the held device certificate's serial
        assert again.public_bytes(DER) == issued.public_bytes(DER)
        [by_serial] = pki.scep.get_cert("lab", format(issued.serial_number, "x"))
        assert by_serial == issued
        assert r.requests.count("PKIOperation") == 3


def test_get_cert_refuses_a_certificate_for_another_key(tmp_path: Path) -> None:
    with ScepResponder(ra=False) as r:
        pki = _device(tmp_path, r)
        pki.scep.enroll("lab")
        r.tamper = "wrong-key"
        with pytest.raises(VerificationError, match="our public key") as exc:
            pki.scep.get_cert("lab")
        assert exc.value.check == "certificate key"


def test_get_cert_names_an_unknown_serial_and_bad_input(tmp_path: Path) -> None:
    with ScepResponder(ra=False) as r:
        pki = _device(tmp_path, r)
        with pytest.raises(TrustpointError, match="holds no device certificate"):
            pki.scep.get_cert("lab")  # nothing enrolled, no serial given
        with pytest.raises(TrustpointError, match="not hexadecimal"):
            pki.scep.get_cert("lab", "12zz")
        with pytest.raises(ScepError, match="GetCert of serial 4E1A refused.*badCertId"):
            pki.scep.get_cert("lab", "4e:1a")


# -- GetNextCACert ------------------------------------------------------------------------------
def test_next_ca_kept_as_shadow_saved_reloaded_and_switched_at_the_old_ones_expiry(tmp_path: Path) -> None:
    with ScepResponder(ra=True, next_ca="current") as r:
        pki = _device(tmp_path, r)
        assert pki.ca_trust.rollover_at("lab") is None and not pki.ca_trust.rollover_due("lab")
        new = pki.ca_trust.fetch_next_ca("lab")
        assert new == r.next_ca_cert
        roles = sorted(c.role for c in pki.config.certificates)
        assert roles == ["ca", "ca-next", "ra-encryption", "ra-signature"]
        [shown] = [i for i in pki.certificates.list("lab") if i.role == "ca-next"]
        assert shown.title == "Rollover CA Certificate"
        pki.save()
    expiry = r.ca_cert.not_valid_after_utc
    clock = FixedClock(expiry - datetime.timedelta(seconds=1))
    again = Pki.open(tmp_path, clock=clock)
    assert again.ca_trust.next_ca("lab") == r.next_ca_cert  # saved and reloaded
    assert again.ca_trust.rollover_at("lab") == expiry  # the shadow starts a day earlier: the old one's expiry
    assert not again.ca_trust.rollover_due("lab")
    clock.advance(datetime.timedelta(seconds=1))
    assert again.ca_trust.rollover_due("lab")
    assert again.ca_trust.switch_to_next("lab") == r.next_ca_cert
    held = {c.role: c.der for c in again.config.certificates}
    assert held["ca"] == r.next_ca_cert.public_bytes(DER) and "ca-next" not in held
    assert "ra-signature" in held  # RA certificates stay
    assert again.certificates.ca_certificate("lab") == r.next_ca_cert
    assert not again.ca_trust.rollover_due("lab")
    with pytest.raises(TrustpointError, match="no next"):
        again.ca_trust.switch_to_next("lab")


def test_the_shadow_round_trips_through_show_running_config(tmp_path: Path) -> None:
    with ScepResponder(ra=False, next_ca="current") as r:
        pki = _device(tmp_path / "a", r)
        pki.ca_trust.fetch_next_ca("lab")
    out: list[str] = []
    assert Session(pki, out=out.append, err=out.append).execute("show running-config")
    text = "\n".join(out)
    # IOS lists a serial as whole bytes of hex: a leading 0 when the digits are odd in number
    assert re.search(rf"^ certificate rollover ca 0*{r.next_ca_cert.serial_number:X}$", text, re.M), text
    fresh = recorder(tmp_path / "b")
    fresh.ok("\n".join(text.splitlines()[3:]))  # fed back, as IOS would read it
    assert fresh.pki.ca_trust.next_ca("lab") == r.next_ca_cert


@pytest.mark.parametrize(("mode", "check", "words"), [
    ("other-key", "signature", "does not verify with the current CA"),
    ("other-name", "chain", "not the current CA"),
])
def test_next_ca_not_signed_by_the_current_ca_or_not_chaining_is_refused(tmp_path: Path, mode: str, check: str,
                                                                         words: str) -> None:
    with ScepResponder(ra=False, next_ca=mode) as r:
        pki = _device(tmp_path, r)
        with pytest.raises(VerificationError, match=words) as exc:
            pki.ca_trust.fetch_next_ca("lab")
        assert exc.value.check == check
        assert [c.role for c in pki.config.certificates] == ["ca"]  # nothing kept


def test_next_ca_needs_the_capability(tmp_path: Path) -> None:
    with ScepResponder(ra=False) as r:
        pki = _device(tmp_path, r)
        with pytest.raises(ScepError, match="does not advertise GetNextCACert"):
            pki.ca_trust.fetch_next_ca("lab")
        assert "GetNextCACert" not in r.requests
