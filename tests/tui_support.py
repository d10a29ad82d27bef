"""Fixtures and fixed data for the console tests: a device with fixed keys, certificates and a
CRL (deterministic DER, so snapshots are stable), a frozen clock, and the real lab."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from rich.console import Console
from textual.message import Message
from textual.widgets import Input

from pkitui.core.clock import Clock, FixedClock
from pkitui.core.keys import KeyPair
from pkitui.core.pki import Pki
from pkitui.core.records import StoredCertificate
from pkitui.lab import Lab
from pkitui.tui.app import PkiConsole
from pkitui.tui.screens.fingerprint import FingerprintDialog

DATA = Path(__file__).parent / "data"
# The time of the fixed data: the core judges validity by a FixedClock at this time
# (Pki.open(..., clock=)) and the console's clock is frozen at it, so nothing depends on today.
FROZEN_NOW = datetime(2026, 3, 20, 12, 0, 0, tzinfo=timezone.utc)
SNAPSHOT_STORE = Path("/tmp/pkitui-tui-snapshot/store")
SIZE = (120, 40)
# The sizes the console must be usable at: a roomy terminal, and the classic 80x24 (issue 9).
SIZES = {"120x40": (120, 40), "80x24": (80, 24)}
each_size = pytest.mark.parametrize("size", list(SIZES.values()), ids=list(SIZES))

M = TypeVar("M", bound=Message)


class Messages:
    """A ``message_hook`` for ``app.run_test``: records every Message the console dispatches,
    each once and in order (a bubbling Message reaches the hook at every node it passes), so a
    test asserts the typed Message an action posted, not only the text it left on screen."""

    def __init__(self) -> None:
        self.seen: list[Message] = []
        self._ids: set[int] = set()  # the Messages are kept in ``seen``, so an id is never reused

    def __call__(self, message: Message) -> None:
        if id(message) not in self._ids:
            self._ids.add(id(message))
            self.seen.append(message)

    def of(self, kind: type[M]) -> list[M]:
        """The recorded Messages of ``kind``, oldest first."""
        return [m for m in self.seen if isinstance(m, kind)]

    def one(self, kind: type[M]) -> M:
        """The only recorded Message of ``kind`` (fails when there are none or several)."""
        found = self.of(kind)
        assert len(found) == 1, f"expected one {kind.__name__}, got {found!r}"
        return found[0]

    def clear(self) -> None:
        """Forget what was recorded (before the next step of a test)."""
        self.seen.clear()
        self._ids.clear()


def fixed_keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """(CA key, device key), the same on every run."""
    blobs = DATA.joinpath("tui_fixed_keys.pem").read_bytes().split(b"-----END PRIVATE KEY-----")
    keys = [serialization.load_pem_private_key(b + b"-----END PRIVATE KEY-----\n", None) for b in blobs[:2]]
    return keys[0], keys[1]  # type: ignore[return-value]


def _cert(subject: x509.Name, issuer: x509.Name, key: Any, signer: Any, serial: int, start: datetime,
          end: datetime, ca: bool) -> x509.Certificate:
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
         .serial_number(serial).not_valid_before(start).not_valid_after(end)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier("http://127.0.0.1:8081/lab.crl")], None, None, None)]), critical=False)
    return b.sign(signer, hashes.SHA256())


def fixed_chain() -> tuple[x509.Certificate, x509.Certificate]:
    """A CA certificate (10 years) and a device certificate expiring 21 days after FROZEN_NOW."""
    ca_key, dev_key = fixed_keys()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "scep-ca"),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "SCEP CA")])
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ca = _cert(ca_name, ca_name, ca_key, ca_key, 1, start, start + timedelta(days=365 * 20), True)
    dev = _cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "r1.example.com")]), ca_name, dev_key, ca_key, 2,
                start, FROZEN_NOW + timedelta(days=21), False)
    return ca, dev


def fixed_crl_der(count: int = 60) -> bytes:
    """A CRL of the fixed CA revoking ``count`` deterministic serials."""
    from pkitui.lab.bigcrl import LabCa, build_crl_der, revoked_serials

    ca_key, _ = fixed_keys()
    ca, _dev = fixed_chain()
    return build_crl_der(LabCa(ca_key, ca), revoked_serials(count),
                         this_update=datetime(2026, 3, 19, tzinfo=timezone.utc),
                         next_update=datetime(2026, 3, 26, tzinfo=timezone.utc))


def fixed_pki(store: Path = SNAPSHOT_STORE, *, certificates: bool = True) -> Pki:
    """A device at a fixed path with fixed identity, key pair, trustpoint and chain."""
    shutil.rmtree(store, ignore_errors=True)
    pki = Pki.open(store, clock=FixedClock(FROZEN_NOW))
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    _ca_key, dev_key = fixed_keys()
    pair = KeyPair(label="r1.example.com", usage="general", private_key=dev_key, created="2026-01-02T09:30:00+00:00")
    pki.config.key_pairs[pair.key_id] = pair
    tp = pki.trustpoints.declare("lab")
    tp.set_enrollment_url("http://127.0.0.1:8080/scep")
    tp.set_revocation_check(["crl", "none"])
    if certificates:
        ca, dev = fixed_chain()
        der = serialization.Encoding.DER
        pki.config.certificates.append(StoredCertificate.from_der("lab", "ca", ca.public_bytes(der)))
        pki.config.certificates.append(StoredCertificate.from_der("lab", "device", dev.public_bytes(der),
                                                                  key_id=pair.key_id))
    return pki


def device(tmp_path: Path, hostname: str = "r1", *, clock: Clock | None = None) -> Pki:
    """A fresh device in ``tmp_path``/store named HOSTNAME.example.com, nothing else configured."""
    pki = Pki.open(tmp_path / "store", clock=clock)
    pki.set_hostname(hostname)
    pki.set_domain_name("example.com")
    return pki


# A CA as the fingerprint dialog reads it (no certificate behind it): its fingerprints are fixed.
FAKE_CA = SimpleNamespace(
    subject="C=US,O=scep-ca,OU=SCEP CA", issuer="C=US,O=scep-ca,OU=SCEP CA",
    not_before=datetime(2026, 1, 1, tzinfo=timezone.utc),
    not_after=datetime(2036, 1, 1, tzinfo=timezone.utc),
    key_size=2048, warnings=[], accepted=False,
    fingerprints={"sha256": "19DE283EAAC992A7BBFEE8987557ADAE22634DF8123755AABF84F1F3593D7DE1",
                  "sha1": "E408D280B108A3D77205BB2FECDD261F9158DC74", "md5": "BB45C943BF860EA5A480E481CC257B5C"})


async def show_fingerprint_dialog(pilot: Any, results: list[bool] | None = None) -> Any:
    """Open the fingerprint dialog for :data:`FAKE_CA` (its answers appended to ``results``) and
    return it once shown."""
    pilot.app.push_screen(FingerprintDialog(FAKE_CA), None if results is None else results.append)
    await pilot.pause()
    return pilot.app.screen


def frozen_app(pki: Pki, now: datetime = FROZEN_NOW) -> PkiConsole:
    """The console over ``pki`` with a frozen clock."""
    return PkiConsole(pki=pki, clock=lambda: now)


def plain(renderable: object, width: int = 200) -> str:
    """What a Rich renderable (a Static's content, a table) shows, as plain text."""
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def freeze_cursors(app: PkiConsole) -> None:
    """No cursor blink anywhere (snapshots)."""
    for screen in app.screen_stack:
        for inp in screen.query(Input):
            inp.cursor_blink = False


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The real lab (scepserver in a private netns + relay); fails when scepserver is missing."""
    with Lab(tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture
def lab_pki(lab: Lab, tmp_path: Path) -> Pki:
    """A fresh device configured by the lab (trustpoint lab with URL and challenge)."""
    pki = Pki.open(tmp_path / "store")
    lab.configure(pki)
    # The lab pins its CA's fingerprint (pkitui lab then authenticates without a question); the
    # console tests drive the fingerprint dialog, so the device starts unpinned (a test pins it).
    pki.trustpoints.get("lab").reset("fingerprint")
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    return pki


async def wait_for(pilot: Any, predicate: Any, timeout: float = 20.0) -> None:
    """Pause until ``predicate()`` is true (workers finishing, screens appearing)."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the console")
        await pilot.pause(0.05)


def add_fixed_crl(pki: Pki, count: int = 60) -> None:
    """Hold the fixed CRL under trustpoint lab, as if fetched from its distribution point."""
    from pkitui.core.revocation.crl import parse_crl, verify_crl

    parsed = parse_crl(fixed_crl_der(count))
    verify_crl(parsed, fixed_chain()[0], datetime(2026, 3, 20, tzinfo=timezone.utc))  # as a fetch does before keep
    pki.revocation.store.keep("lab", "http://127.0.0.1:8081/lab.crl", parsed)


async def ready(pilot: Any) -> None:
    """Wait until every tab's pane is mounted (hidden tabs mount just after the first frame; a
    key pressed for a tab before then finds nothing to act on)."""
    await wait_for(pilot, lambda: len(pilot.app.panes()) == 6)
