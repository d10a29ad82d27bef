"""Regression tests for the real bugs the mypy run (tests/test_types.py) found."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from asn1crypto import algos, cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from textual.widgets import Button

from pkitui.core.errors import VerificationError
from pkitui.core.scep.envelope import decrypt, envelope

from pkitui.tui.app import PkiConsole
from pkitui.tui.screens.dialogs import ConfirmDialog
from pkitui.tui.widgets.cert_detail import cert_view
from tui_support import SIZE, fixed_pki, ready, wait_for


async def test_trustpoint_pane_buttons_run_their_action(tmp_path: Path) -> None:
    """The Apply/Authenticate/Enroll/Request CRL/Delete buttons called the coroutine
    ``run_action`` without awaiting it, so pressing one did nothing."""
    pki = fixed_pki(tmp_path / "store")
    app = PkiConsole(pki=pki)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        app.screen.query_one("#tp-list").focus()
        await pilot.pause()
        app.screen.query_one("#delete", Button).press()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout=5)
        await pilot.click("#yes")
        await wait_for(pilot, lambda: "lab" not in pki.config.trustpoints)


def _self_signed() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "r1.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return cert, key


def test_an_envelope_without_an_iv_is_a_verification_error() -> None:
    """A reply whose content cipher carries no IV reached modes.CBC(None): a TypeError traceback
    instead of VerificationError("envelope", ...)."""
    cert, key = _self_signed()
    info = cms.ContentInfo.load(envelope(b"degenerate", cert, "aes128"))
    alg = info["content"]["encrypted_content_info"]["content_encryption_algorithm"]["algorithm"].native
    info["content"]["encrypted_content_info"]["content_encryption_algorithm"] = algos.EncryptionAlgorithm(
        {"algorithm": alg})
    stripped = info.dump(force=True)
    assert decrypt(envelope(b"degenerate", cert, "aes128"), [(cert, key)])[0] == b"degenerate"
    with pytest.raises(VerificationError) as err:
        decrypt(stripped, [(cert, key)])
    assert err.value.check == "envelope"


def test_chain_browser_marks_an_orphaned_certificate(tmp_path: Path) -> None:
    """cert_view read ``orphaned`` with getattr(..., False) from a CertificateInfo, which had no
    such field: the chain browser never marked a certificate whose key pair was zeroized."""
    pki = fixed_pki(tmp_path / "store")
    device = next(c for c in pki.config.certificates if c.role == "device")
    device.orphaned = True
    views = {v.role: v for v in map(cert_view, pki.certificates.list())}
    assert views["device"].orphaned and not views["ca"].orphaned
    # The core's one wording: zeroized only when the record still names the key pair it lost.
    assert views["device"].key_pair_missing == device.key_pair_missing
    device.key_id = None  # restored without its key pair (show running-config into a new store)
    assert cert_view(next(i for i in pki.certificates.list() if i.role == "device")).key_pair_missing == \
        "its key pair is not in this store"
