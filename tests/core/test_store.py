"""The NVRAM store: running vs saved, encryption at rest, passphrase mode, file modes, capacity."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from pkitui.core import store as store_module
from pkitui.core.errors import CapacityError, ConfigError, StoreError
from pkitui.core.pki import Pki, default_store_dir
from pkitui.core.records import CrlRecord, StoredCertificate
from pkitui.core.secrets import SecretBox
from pkitui.core.store import atomic_create, atomic_write
from pkitui.lab.bigcrl import LabCa


@pytest.fixture(autouse=True)
def _no_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PKITUI_PASSPHRASE", raising=False)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def pki(root: Path) -> Pki:
    pki = Pki.open(root)
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    return pki


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below ``directory``: content and mode."""
    return {str(p.relative_to(directory)): (p.read_bytes(), mode(p))
            for p in sorted(directory.rglob("*")) if p.is_file()}


# -- file modes and encryption at rest ---------------------------------------------------------
def test_file_modes_even_with_a_permissive_umask(root: Path) -> None:
    old = os.umask(0)
    try:
        pki = Pki.open(root)
        pki.keys.generate(label="k", modulus=1024)
        pki.save()
    finally:
        os.umask(old)
    assert mode(root) == 0o700
    for sub in ("private", "crl", "cache"):
        assert mode(root / sub) == 0o700, sub
    assert mode(root / "nvram.json") == 0o600
    assert mode(root / "private" / "master.key") == 0o600
    (key_file,) = (root / "private").glob("*.p8")
    assert mode(key_file) == 0o600


def test_loose_modes_of_an_existing_store_are_tightened(root: Path) -> None:
    (root / "private").mkdir(parents=True)
    os.chmod(root, 0o755)
    os.chmod(root / "private", 0o755)
    Pki.open(root)
    assert mode(root) == 0o700 and mode(root / "private") == 0o700


def test_private_keys_are_encrypted_at_rest(pki: Pki) -> None:
    (pair,) = pki.keys.generate(label="k", modulus=1024)
    pki.save()
    (key_file,) = pki.store.private_dir.glob("*.p8")
    pem = key_file.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # "Password was not given but private key is encrypted"
        serialization.load_pem_private_key(pem, None)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(pem, b"not the secret")
    loaded = serialization.load_pem_private_key(pem, pki.box.password)
    assert loaded.private_numbers() == pair.private_key.private_numbers()  # type: ignore[union-attr]
    nvram_text = (pki.store.root / "nvram.json").read_text()
    assert "PRIVATE KEY" not in nvram_text and key_file.name in nvram_text


def test_key_file_removed_means_a_clear_error(pki: Pki) -> None:
    pki.keys.generate(label="k", modulus=1024)
    pki.save()
    (key_file,) = pki.store.private_dir.glob("*.p8")
    key_file.unlink()
    with pytest.raises(StoreError, match=f"{key_file.name} is missing"):
        Pki.open(pki.store.root)


def test_a_foreign_master_key_is_refused(pki: Pki, tmp_path: Path) -> None:
    pki.trustpoints.declare("ka").set_password("pw")
    pki.save()
    Pki.open(tmp_path / "other")
    (pki.store.private_dir / "master.key").write_bytes((tmp_path / "other/private/master.key").read_bytes())
    with pytest.raises(StoreError, match="master.key does not match"):
        Pki.open(pki.store.root)


@pytest.mark.parametrize("content", [b"", b"short", b"!!" * 22])
def test_a_damaged_master_key_is_refused(root: Path, content: bytes) -> None:
    Pki.open(root).save()
    (root / "private" / "master.key").write_bytes(content)
    with pytest.raises(StoreError, match="damaged"):
        Pki.open(root)


def test_a_missing_master_key_is_not_silently_recreated(pki: Pki) -> None:
    pki.save()
    (pki.store.private_dir / "master.key").unlink()
    with pytest.raises(StoreError, match="master.key is missing"):
        Pki.open(pki.store.root)
    assert not (pki.store.private_dir / "master.key").exists()


# -- passphrase mode ------------------------------------------------------------------------------
def test_passphrase_mode(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PKITUI_PASSPHRASE", "correct horse")
    pki = Pki.open(root)
    (pair,) = pki.keys.generate(label="k", modulus=1024)
    pki.trustpoints.declare("ka").set_password("challenge")
    pki.save()
    assert not (root / "private" / "master.key").exists()
    assert mode(root / "private" / "passphrase.salt") == 0o600
    again = Pki.open(root)
    assert again.keys.list("k")[0].public_der == pair.public_der
    assert again.trustpoints.get("ka").password == "challenge"
    (key_file,) = (root / "private").glob("*.p8")
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(key_file.read_bytes(), b"correct horse")  # stretched, not raw

    monkeypatch.setenv("PKITUI_PASSPHRASE", "wrong")
    with pytest.raises(StoreError) as info:
        Pki.open(root)
    assert "wrong passphrase" in info.value.message and "PKITUI_PASSPHRASE" in (info.value.hint or "")

    monkeypatch.delenv("PKITUI_PASSPHRASE")
    with pytest.raises(StoreError) as info:
        Pki.open(root)
    assert "protected by a passphrase" in info.value.message and "PKITUI_PASSPHRASE" in (info.value.hint or "")
    assert not (root / "private" / "master.key").exists()


def test_wrong_passphrase_is_caught_even_without_keys(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PKITUI_PASSPHRASE", "one")
    Pki.open(root).save()
    monkeypatch.setenv("PKITUI_PASSPHRASE", "two")
    with pytest.raises(StoreError, match="wrong passphrase"):
        Pki.open(root)


def test_a_keyfile_store_refuses_a_passphrase(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    pki.save()
    monkeypatch.setenv("PKITUI_PASSPHRASE", "x")
    with pytest.raises(StoreError) as info:
        Pki.open(pki.store.root)
    assert "without a passphrase" in info.value.message and "Unset PKITUI_PASSPHRASE" in (info.value.hint or "")


def test_secret_box_hides_its_secret_and_refuses_garbage(tmp_path: Path) -> None:
    box = SecretBox.for_private_dir(tmp_path / "private")
    assert "hidden" in repr(box) and box.password.decode() not in repr(box)
    token = box.seal("s3cret")
    assert "s3cret" not in token and box.open(token) == "s3cret"
    for bad in ("not base64 !", token[:-4] + "AAAA", ""):
        with pytest.raises(StoreError):
            box.open(bad)


# -- running vs saved ---------------------------------------------------------------------------
def test_a_new_pki_sees_only_the_saved_configuration(pki: Pki) -> None:
    pki.keys.generate(label="saved", modulus=1024)
    pki.trustpoints.declare("ka").set_enrollment_url("http://ca.example.com")
    pki.save()
    pki.keys.generate(label="unsaved", modulus=1024)
    pki.trustpoints.get("ka").set_enrollment_url("http://other.example.com")
    pki.set_hostname("r2")
    other = Pki.open(pki.store.root)
    assert other.keys.labels() == ["saved"]
    assert other.trustpoints.get("ka").enrollment_url == "http://ca.example.com"
    assert other.fqdn == "r1.example.com"
    assert not other.dirty and pki.dirty


def test_dirty_tracks_every_kind_of_change(pki: Pki) -> None:
    assert pki.dirty  # hostname set but never saved
    pki.save()
    assert not pki.dirty
    pki.config.ca_caps_seen["ka"] = ["AES"]
    assert pki.dirty
    pki.save()
    pki.config.ca_caps_seen["ka"].append("SHA-256")  # in place: must not leak into the snapshot
    assert pki.dirty
    pki.save()
    tp = pki.trustpoints.declare("ka")
    pki.save()
    tp.revocation_check.append("none")  # in place as well
    assert pki.dirty
    pki.save()
    pki.set_query_mode(True)
    assert pki.dirty
    pki.set_query_mode(False)
    assert not pki.dirty  # back to what is saved


def test_a_new_empty_store_is_clean(root: Path) -> None:
    assert not Pki.open(root).dirty


def test_default_store_dir_honours_pkitui_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PKITUI_STORE", str(tmp_path / "s"))
    assert default_store_dir() == tmp_path / "s"
    monkeypatch.delenv("PKITUI_STORE")
    assert default_store_dir().name == "store" and "pkitui" in str(default_store_dir())


def test_a_damaged_nvram_file_is_a_store_error(root: Path) -> None:
    Pki.open(root).save()
    (root / "nvram.json").write_text("{not json")
    with pytest.raises(StoreError, match="not valid JSON"):
        Pki.open(root)
    (root / "nvram.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(StoreError, match="cannot read"):
        Pki.open(root)
    (root / "nvram.json").write_text("[]")
    with pytest.raises(StoreError, match="table map"):
        Pki.open(root)
    (root / "nvram.json").write_text(json.dumps({"key_pairs": {"1": {"label": "x"}}}))
    with pytest.raises(StoreError, match="damaged"):
        Pki.open(root)


def test_a_failed_write_is_a_store_error_and_keeps_the_saved_config(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    pki.save()
    before = snapshot(pki.store.root)
    pki.set_hostname("r2")

    def disk_full(path: Path, data: bytes, mode: int = 0o644) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module, "atomic_write", disk_full)
    with pytest.raises(StoreError, match="No space left"):
        pki.save()
    assert snapshot(pki.store.root) == before and pki.dirty


# -- atomic files -----------------------------------------------------------------------------
def test_atomic_write_and_create(tmp_path: Path) -> None:
    target = tmp_path / "f"
    atomic_write(target, b"one", 0o600)
    atomic_write(target, b"two", 0o600)
    assert target.read_bytes() == b"two" and mode(target) == 0o600
    assert atomic_create(tmp_path / "c", b"first") == b"first"
    assert atomic_create(tmp_path / "c", b"second") == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "f"]  # no temp file left


def test_stale_temp_files_of_dead_writers_are_removed(root: Path) -> None:
    Pki.open(root)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        stale = [root / ".nvram.json.999999999.tmp", root / "private" / ".k.p8.999999999.tmp"]
        live = [root / f".nvram.json.{sleeper.pid}-1.tmp", root / f".nvram.json.{os.getpid()}-2.tmp"]
        for path in [*stale, *live]:
            path.write_bytes(b"partial")
        Pki.open(root)
        assert not any(p.exists() for p in stale)
        assert all(p.exists() for p in live)  # another process or thread may be writing them now
    finally:
        sleeper.kill()
        sleeper.wait()


def test_save_removes_only_files_this_session_removed(pki: Pki) -> None:
    """A file nobody references may be another session's unsaved work (a key being enrolled, a CRL
    just fetched): a save removes only the files of objects it removed itself."""
    pki.keys.generate(label="k", modulus=1024)
    pki.keys.generate(label="gone", modulus=1024)
    pki.save()
    (pki.store.private_dir / "orphan.0123.p8").write_bytes(b"x")
    (pki.store.crl_dir / "kept.crl").write_bytes(b"crl")
    (pki.store.crl_dir / "other.crl").write_bytes(b"crl")
    (pki.store.crl_dir / ".kept.crl.1.tmp").write_bytes(b"in progress")
    pki.config.crls = [CrlRecord("ka", "CN=CA", "http", "kept.crl", "0" * 64, 3, "2026-01-01")]
    pki.keys.zeroize("gone")
    pki.save()
    assert sorted(p.name for p in pki.store.crl_dir.iterdir()) == [".kept.crl.1.tmp", "kept.crl", "other.crl"]
    assert sorted(p.name.split(".")[0] for p in pki.store.private_dir.glob("*.p8")) == ["k", "orphan"]
    pki.config.crls = []
    pki.save()
    assert sorted(p.name for p in pki.store.crl_dir.iterdir()) == [".kept.crl.1.tmp", "other.crl"]


# -- NVRAM usage and capacity -------------------------------------------------------------------
def test_usage_by_category(pki: Pki) -> None:
    use = pki.nvram_usage()
    assert use.capacity == 512 * 1024 and use.used["configuration"] > 0
    assert all(v == 0 for k, v in use.used.items() if k != "configuration")
    (pair,) = pki.keys.generate(label="k", modulus=1024)
    estimate = pki.nvram_usage().used["own keys"]
    pki.save()
    (key_file,) = pki.store.private_dir.glob("*.p8")
    assert pki.nvram_usage().used["own keys"] == key_file.stat().st_size
    assert abs(estimate - key_file.stat().st_size) < 100  # the estimate before the first save is close
    pki.config.certificates = [
        StoredCertificate.from_der("ka", "ca", b"C" * 1000),
        StoredCertificate.from_der("ka", "ra-signature", b"R" * 700),
        StoredCertificate.from_der("ka", "device", b"D" * 500),
        StoredCertificate("kb", "ca", "AB" * 32),  # fingerprint only
    ]
    pki.config.crls = [
        CrlRecord("ka", "CN=CA", "http", "a.crl", "00", 3000, "2026-01-01"),
        CrlRecord("ka", "CN=CA", "http", "b.crl", "00", 9999, "2026-01-01", in_nvram=False),
    ]
    use = pki.nvram_usage()
    assert use.used["CA certificates"] == 1000 + 64
    assert use.used["RA certificates"] == 700
    assert use.used["device certificates"] == 500
    assert use.used["CRLs"] == 3000
    assert len(use.fingerprint_only) == 1 and len(use.cached_outside) == 1
    assert use.total == sum(use.used.values()) and use.free == use.capacity - use.total


def test_capacity_refusal_writes_nothing(pki: Pki) -> None:
    pki.keys.generate(label="small", modulus=1024)
    pki.save()
    before = snapshot(pki.store.root)
    pki.keys.generate(label="more", usage_keys=True, modulus=2048)
    pki.set_capacity(1024)
    with pytest.raises(CapacityError) as info:
        pki.save()
    assert "Not enough NVRAM" in info.value.message and "query mode" in (info.value.hint or "")
    assert snapshot(pki.store.root) == before  # byte-identical, modes included
    assert pki.dirty and pki.keys.labels() == ["small", "more"]  # the running config is untouched
    assert Pki.open(pki.store.root).keys.labels() == ["small"]
    with pytest.raises(ConfigError, match="too small"):
        pki.set_capacity(100)


def test_query_mode_save_keeps_fingerprints_and_own_certificates(pki: Pki) -> None:
    ca_der = LabCa.create("ca", key_size=1024).certificate.public_bytes(serialization.Encoding.DER)
    ca = StoredCertificate.from_der("ka", "ca", ca_der)  # a save re-reads NVRAM: real certificates
    real = LabCa.create("device", key_size=1024).certificate.public_bytes(serialization.Encoding.DER)
    device = StoredCertificate.from_der("ka", "device", real, key_id="k")  # kept whole: must be a certificate
    pki.config.certificates = [ca, device]
    (pki.store.crl_dir / "a.crl").write_bytes(b"x" * 30)
    pki.config.crls = [CrlRecord("ka", "CN=CA", "http", "a.crl", "0" * 64, 30, "2026-01-01")]
    pki.save()
    pki.set_query_mode(True)
    use = pki.nvram_usage()
    assert len(use.next_save_removes) == 2 and use.used["CRLs"] == 0
    pki.save()
    assert not pki.dirty
    saved = Pki.open(pki.store.root)
    assert saved.config.query_mode
    assert [(c.role, c.sha256, c.der) for c in saved.config.certificates] == [
        ("ca", ca.sha256, None),
        ("device", device.sha256, device.der),
    ]
    assert saved.config.crls == [] and list(pki.store.crl_dir.iterdir()) == []


def test_concurrent_savers_in_one_process_both_land(root: Path) -> None:
    """Two sessions (the console's workers, an API user) saving over and over: each one's key pair
    and trustpoint survive every save of the other."""
    import threading

    writers = [Pki.open(root), Pki.open(root)]
    for n, pki in enumerate(writers):
        pki.keys.generate(label=f"key{n}", modulus=1024)
        pki.trustpoints.declare(f"tp{n}")
    errors: list[BaseException] = []

    def hammer(pki: Pki) -> None:
        try:
            for _ in range(15):
                pki.save()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(p,)) for p in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = Pki.open(root)
    assert sorted(final.keys.labels()) == ["key0", "key1"]
    assert sorted(final.config.trustpoints) == ["tp0", "tp1"]
    assert sorted(p.name.split(".")[0] for p in (root / "private").glob("*.p8")) == ["key0", "key1"]
