"""A damaged store never ends in an internal error (issue 8, point 7).

A realistic store is built offline with the Python API (identity, general and usage keys, two
trustpoints with every option set, a CA certificate and an imported device certificate, peer
keys, a CRL signed by a test CA, a pending enrollment). Then every field of every record of its
nvram.json is mutated one at a time (type changes, garbage base64 and DER, path escapes in file
fields, missing fields), and ``pkitui exec`` runs the show commands on each mutated copy: in
process through :func:`pkitui.cli.main` (the CLI's entry point) for all of them, and as a real
subprocess for a sample. The exit code is never 3, nothing prints a traceback or "Internal
error", and a record refused on load is named with its field.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from pkitui.cli import main
from pkitui.core.errors import StoreError
from pkitui.core.pki import Pki
from pkitui.core.records import CrlRecord, PendingEnrollment, StoredCertificate, b64
from pkitui.core.revocation.crl import parse_crl
from pkitui.core.scep.messages import self_signed_signer
from pkitui.core.store_check import check_tables
from pkitui.lab.bigcrl import LabCa

DER = serialization.Encoding.DER
PKITUI = str(Path(sys.executable).with_name("pkitui"))
SHOWS = ["show running-config", "show startup-config", "show crypto pki certificates", "show nvram usage",
         "show crypto key mypubkey rsa", "show crypto pki crls", "show crypto key pubkey-chain rsa",
         "show crypto pki trustpoints", "show crypto pki enrollments"]
# Fields whose text is base64 of bytes, and fields that name a file.
BYTES_FIELDS = {"der", "signer_der", "password_sealed", "secret_check", "subject_der"}
FILE_FIELDS = {"file"}
TYPE_CHANGES: dict[str, Any] = {"str": "x", "empty": "", "int": 7, "negative": -1, "huge": 10**30, "float": 1.5,
                                "true": True, "false": False, "null": None, "list": [], "list1": ["x"], "dict": {},
                                "dict1": {"a": 1}}
GARBAGE_B64 = {"not-base64": "!!not base64!!", "garbage-der": base64.b64encode(b"garbage\x00\xff").decode(),
               "empty-der": ""}
ESCAPES = {"dotdot": "../../etc/passwd", "absolute": "/etc/passwd", "hidden": ".hidden", "slash": "a/b",
           "dir": "..", "missing": "nonexistent.p8"}


@pytest.fixture(autouse=True)
def _no_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PKITUI_PASSPHRASE", raising=False)


def _issue(ca: LabCa, key: rsa.RSAPrivateKey, cn: str) -> x509.Certificate:
    now = datetime.now(timezone.utc)
    return (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(ca.certificate.subject).public_key(key.public_key()).serial_number(1001)
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .sign(ca.key, hashes.SHA256()))


def _crl(ca: LabCa) -> bytes:
    now = datetime.now(timezone.utc)
    b = (x509.CertificateRevocationListBuilder().issuer_name(ca.certificate.subject)
         .last_update(now - timedelta(hours=1)).next_update(now + timedelta(days=7))
         .add_extension(x509.CRLNumber(1), critical=False))
    for serial in (5, 6):
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial)
                                      .revocation_date(now - timedelta(hours=2)).build())
    return b.sign(ca.key, hashes.SHA256()).public_bytes(DER)


def build_store(root: Path) -> None:
    """A store with a record in every table and every trustpoint option set (offline)."""
    ca = LabCa.create("Mutation CA", key_size=1024)
    pki = Pki.open(root)
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    gen = pki.keys.generate(label="gen", modulus=1024, exportable=True)[0]
    usage = pki.keys.generate(label="usage", modulus=1024, usage_keys=True)
    tp = pki.trustpoints.declare("lab")
    tp.set_enrollment_url("http://127.0.0.1:8080/scep")
    tp.set_enrollment_command("/cgi-bin/pkiclient.exe")
    tp.enrollment_mode_ra = True
    tp.set_retry_period(2)
    tp.set_retry_count(3)
    tp.set_http_proxy("proxy.example.com", 3128)
    tp.set_crl_query("ldap://127.0.0.1:389")
    tp.set_revocation_check(["crl", "ocsp", "none"])
    tp.set_ocsp_url("http://127.0.0.1:8888")
    tp.set_root_tftp("127.0.0.1", "ca.cer")
    tp.set_fingerprint("00" * 20)
    tp.set_password("secret")
    tp.set_rsakeypair("gen")
    tp.set_subject_name("CN=r1.example.com, O=lab")
    tp.serial_number = True
    tp.set_ip_address("192.0.2.1")
    pki.trustpoints.declare("other")
    pki.config.certificates.append(StoredCertificate.from_der("lab", "ca", ca.certificate.public_bytes(DER)))
    pki.certificates.import_certificate("lab", _issue(ca, gen.private_key, "r1.example.com").public_bytes(DER))
    peer = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    peer_der = peer.public_bytes(DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pki.pubkey_chain.add("named", "peer1.example.com").der = peer_der
    pki.pubkey_chain.add("addressed", "192.0.2.7", "signature").der = peer_der
    crl = parse_crl(_crl(ca))  # held as after a fetch: its file in crl/, its record in the configuration
    record = CrlRecord(trustpoint="lab", issuer=crl.issuer, source="http://127.0.0.1/ca.crl",
                       file=f"{crl.sha256[:40]}.crl", sha256=crl.sha256, size=len(crl.der),
                       this_update=crl.this_update.isoformat(), next_update=crl.next_update.isoformat()
                       if crl.next_update else None, entries=2, crl_number=crl.crl_number)
    (pki.store.crl_dir / record.file).write_bytes(crl.der)
    pki.config.crls.append(record)
    pki.save()
    # A pending enrollment as an older pkitui kept it, in nvram.json (this one moves it to pending/).
    signer = self_signed_signer(usage[0].private_key, x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "r1")]))
    pending = PendingEnrollment(
        trustpoint="lab", key_id=usage[0].key_id, transaction_id="ABC123", signer_der=signer.public_bytes(DER),
        started="2024-01-01T00:00:00+00:00", polls_done=2, next_poll="2024-01-01T00:01:00+00:00",
        extra={"subject_der": b64(signer.subject.public_bytes())})
    tables = json.loads((root / "nvram.json").read_text())
    tables["pending"] = {"1": pending.to_doc()}
    (root / "nvram.json").write_text(json.dumps(tables))
    # And one as this pkitui keeps it: a journal entry in pending/ with the key pair it needs.
    pki.record_pending(PendingEnrollment(trustpoint="lab", key_id=usage[1].key_id, transaction_id="DEF456",
                                         signer_der=signer.public_bytes(DER), started="2024-01-01T00:00:00+00:00"),
                       usage[1])


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine") / "store"
    old = os.environ.pop("PKITUI_PASSPHRASE", None)
    try:
        build_store(root)
    finally:
        if old is not None:
            os.environ["PKITUI_PASSPHRASE"] = old
    return root


def _values(field: str, value: Any) -> Iterator[tuple[str, Any]]:
    """The replacement values tried for one field."""
    for name, new in TYPE_CHANGES.items():
        if type(new) is not type(value) or new != value:
            yield name, new
    if field in BYTES_FIELDS:
        yield from GARBAGE_B64.items()
    if field in FILE_FIELDS:
        yield from ESCAPES.items()


def mutations(tables: dict[str, Any]) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
    """(description, the field named, mutated tables) for every field of every record."""
    for tname, table in tables.items():
        for rid, record in table.items():
            for field, value in record.items():
                for label, new in _values(field, value):
                    mutated = copy.deepcopy(tables)
                    mutated[tname][rid][field] = new
                    yield f"{tname}.{rid}.{field}={label}", field, mutated
                mutated = copy.deepcopy(tables)
                del mutated[tname][rid][field]
                yield f"{tname}.{rid}.{field} missing", field, mutated
                children = (list(enumerate(value)) if isinstance(value, list)
                            else list(value.items()) if isinstance(value, dict) else [])
                for key, item in children:
                    for label, new in _values(str(key), item):
                        mutated = copy.deepcopy(tables)
                        mutated[tname][rid][field][key] = new
                        yield f"{tname}.{rid}.{field}[{key!r}]={label}", field, mutated
            for label, new in (("str", "x"), ("list", []), ("null", None)):
                mutated = copy.deepcopy(tables)
                mutated[tname][rid] = new
                yield f"{tname}.{rid}={label}", None, mutated
        for label, new in (("str", "x"), ("list", []), ("null", None)):
            mutated = copy.deepcopy(tables)
            mutated[tname] = new
            yield f"{tname}={label}", None, mutated
    meta = {"generation": 3, "saved_by": "pkitui exec pid 1 at 2024-01-01", "changes": {"trustpoint lab": "x"}}
    yield "meta table", None, {**tables, "meta": {"1": meta}}
    for field, bad in (("generation", -1), ("generation", "3"), ("saved_by", 5), ("changes", {"a": 1})):
        yield f"meta.1.{field}={bad!r}", field, {**tables, "meta": {"1": {**meta, field: bad}}}
    yield "unknown table", None, {**tables, "future_table": {"1": {"anything": [1, 2]}}}


def journal_mutations(entry: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The same mutations over the fields of a pending-journal entry (its record, key pair, and
    the trustpoint and certificates it carries, when it does)."""
    def locate(doc: dict[str, Any], part: str, index: int | None) -> dict[str, Any]:
        found: dict[str, Any] = doc[part] if index is None else doc[part][index]
        return found

    for part, value in entry.items():
        spots = [(part, None)] if isinstance(value, dict) else \
            [(part, i) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []
        for _, index in spots:
            name = part if index is None else f"{part}[{index}]"
            for field, old in locate(entry, part, index).items():
                for label, new in [*_values(field, old), ("missing", KeyError)]:
                    mutated = copy.deepcopy(entry)
                    if new is KeyError:
                        del locate(mutated, part, index)[field]
                    else:
                        locate(mutated, part, index)[field] = new
                    yield f"journal {name}.{field}={label}", mutated
        yield f"journal {part}=str", {**entry, part: "x"}
    yield "journal=list", []  # type: ignore[misc]


def _copy(pristine: Path, dest: Path, tables: dict[str, Any], journal: Any = None) -> Path:
    shutil.copytree(pristine, dest)
    (dest / "nvram.json").write_text(json.dumps(tables))
    if journal is not None:
        (entry,) = (dest / "pending").glob("*.json")
        entry.write_text(json.dumps(journal))
    return dest


def _bad(code: int, out: str) -> bool:
    return code == 3 or "Traceback" in out or "Internal error" in out


def _run_in_process(store: Path) -> tuple[int, str]:
    out = io.StringIO()
    argv = ["exec", "--store", str(store), "--continue"] + [a for s in SHOWS for a in ("-c", s)]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(argv)
    return code, out.getvalue()


def test_the_pristine_store_shows_everything(pristine: Path, tmp_path: Path) -> None:
    tables = json.loads((pristine / "nvram.json").read_text())
    assert set(tables) >= {"device", "key_pairs", "peer_keys", "trustpoints", "certificates", "crls", "pending"}
    assert all(tables[t] for t in ("key_pairs", "peer_keys", "trustpoints", "certificates", "crls", "pending"))
    check_tables(tables, pristine)
    code, out = _run_in_process(_copy(pristine, tmp_path / "s", tables))
    assert code == 0, out


def test_every_field_mutation_gives_no_internal_error(pristine: Path, tmp_path: Path) -> None:
    tables = json.loads((pristine / "nvram.json").read_text())
    tried, internal, refused, failures = 0, [], 0, []
    for n, (what, field, mutated) in enumerate(mutations(tables)):
        tried += 1
        store = _copy(pristine, tmp_path / f"m{n}", mutated)
        try:
            check_tables(mutated, store)
        except StoreError as exc:
            refused += 1
            if field is not None and field not in exc.message:
                failures.append(f"{what}: the message does not name the field: {exc.message}")
            assert exc.hint and "backup" in exc.hint
        code, out = _run_in_process(store)
        if _bad(code, out):
            internal.append(f"{what}: exit {code}: {out.strip().splitlines()[-1:]}")
        shutil.rmtree(store)
    print(f"nvram.json mutations tried: {tried}, refused on load: {refused}, internal errors: {len(internal)}")
    assert not internal, "\n".join(internal)
    assert not failures, "\n".join(failures)
    assert tried > 1000


def test_every_journal_field_mutation_gives_no_internal_error(pristine: Path, tmp_path: Path) -> None:
    tables = json.loads((pristine / "nvram.json").read_text())
    (entry_file,) = (pristine / "pending").glob("*.json")
    entry = json.loads(entry_file.read_text())
    tried, internal = 0, []
    for n, (what, mutated) in enumerate(journal_mutations(entry)):
        tried += 1
        store = _copy(pristine, tmp_path / f"j{n}", tables, mutated)
        code, out = _run_in_process(store)
        if _bad(code, out):
            internal.append(f"{what}: exit {code}: {out.strip().splitlines()[-1:]}")
        shutil.rmtree(store)
    print(f"journal mutations tried: {tried}, internal errors: {len(internal)}")
    assert not internal, "\n".join(internal)


def test_a_sample_through_the_real_pkitui_exec(pristine: Path, tmp_path: Path) -> None:
    """Every 40th mutation, run by the installed ``pkitui`` in a subprocess (two at a time)."""
    tables = json.loads((pristine / "nvram.json").read_text())
    sample = [m for i, m in enumerate(mutations(tables)) if i % 40 == 0]
    env = {k: v for k, v in os.environ.items() if k != "PKITUI_PASSPHRASE"}
    args = ["exec", "--continue"] + [a for s in SHOWS for a in ("-c", s)]
    internal, named = [], 0
    for start in range(0, len(sample), 2):
        procs = []
        for n, (what, field, mutated) in enumerate(sample[start:start + 2], start):
            store = _copy(pristine, tmp_path / f"s{n}", mutated)
            proc = subprocess.Popen([PKITUI, "--store", str(store), *args], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            procs.append((what, field, proc))
        for what, field, proc in procs:
            out, err = proc.communicate(timeout=60)
            if _bad(proc.returncode, out + err):
                internal.append(f"{what}: exit {proc.returncode}: {err.strip().splitlines()[-1:]}")
            if "is damaged: table" in err and field is not None:
                assert field in err, err
                named += 1
    print(f"subprocess sample: {len(sample)} mutations, {named} refused naming the field, "
          f"internal errors: {len(internal)}")
    assert not internal, "\n".join(internal)
    assert named > len(sample) // 2
