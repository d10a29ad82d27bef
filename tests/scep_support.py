"""Fixtures for the SCEP tests: the real scepserver and tinyproxy (pkitui.lab), a test responder,
and helpers to build a device and compare the store byte for byte."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pkitui.core.pki import Pki
from pkitui.lab.proxy import HttpProxy
from pkitui.lab.scepserver import ScepServer
from servers.scep_responder import ScepResponder

CHALLENGE = "s3cret"


@pytest.fixture(scope="module")
def scep_ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScepServer]:
    """micromdm scepserver on 127.0.0.1 (fails, not skips, when the binary is missing)."""
    with ScepServer(tmp_path_factory.mktemp("scepserver"), CHALLENGE) as server:
        yield server


@pytest.fixture(scope="module")
def http_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpProxy]:
    """tinyproxy on 127.0.0.1."""
    with HttpProxy(tmp_path_factory.mktemp("tinyproxy")) as proxy:
        yield proxy


@pytest.fixture
def responder() -> Iterator[ScepResponder]:
    """The test stand-in SCEP responder (RA chain by default)."""
    with ScepResponder() as r:
        yield r


def make_device(store: Path, url: str, *, usage_keys: bool = False, password: str | None = CHALLENGE,
                fingerprint: str | None = None, ra: bool = False) -> Pki:
    """A Pki with identity, RSA keys and trustpoint 'lab' pointing at ``url``."""
    pki = Pki.open(store)
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    pki.keys.generate(usage_keys=usage_keys)
    tp = pki.trustpoints.declare("lab")
    tp.set_enrollment_url(url)
    if password:
        tp.set_password(password)
    if fingerprint:
        tp.set_fingerprint(fingerprint)
    tp.enrollment_mode_ra = ra
    pki.scep.seconds_per_retry_minute = 0.01
    return pki


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes (to assert a store is byte-identical)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
