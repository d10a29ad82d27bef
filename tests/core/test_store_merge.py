"""Several sessions on one store: saves merge object by object and never lose another's work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pkitui.core.errors import StoreError
from pkitui.core.journal import PendingJournal
from pkitui.core.merge import SaveConflict
from pkitui.core.pki import Pki
from pkitui.core.records import PendingEnrollment


def _key_files(root: Path) -> list[str]:
    return sorted(p.name.split(".")[0] for p in (root / "private").glob("*.p8"))


def test_two_sessions_changing_different_objects_both_land(tmp_path: Path) -> None:
    first, second = Pki.open(tmp_path), Pki.open(tmp_path)
    first.keys.generate(label="one", modulus=1024)
    first.trustpoints.declare("tp1")
    second.keys.generate(label="two", modulus=1024)
    second.trustpoints.declare("tp2")
    second.save()
    first.save()  # used to delete second's key file and drop tp2
    final = Pki.open(tmp_path)
    assert sorted(final.keys.labels()) == ["one", "two"] and sorted(final.config.trustpoints) == ["tp1", "tp2"]
    assert _key_files(tmp_path) == ["one", "two"]
    # the first session took the second's objects over into its running configuration
    assert sorted(first.config.trustpoints) == ["tp1", "tp2"] and not first.dirty


def test_a_save_takes_over_what_another_session_saved(tmp_path: Path) -> None:
    Pki.open(tmp_path).save()
    console, cron = Pki.open(tmp_path), Pki.open(tmp_path)
    cron.set_hostname("r1")
    cron.keys.generate(label="k", modulus=1024)
    cron.save()
    console.trustpoints.declare("ka")
    console.save()
    saved = Pki.open(tmp_path)
    assert saved.config.identity.hostname == "r1" and saved.keys.labels() == ["k"]
    assert console.config.identity.hostname == "r1" and console.keys.labels() == ["k"]


def test_the_same_object_changed_twice_is_refused_and_nothing_is_lost(tmp_path: Path) -> None:
    base = Pki.open(tmp_path)
    base.trustpoints.declare("ka").set_enrollment_url("http://ca.example.com")
    base.save()
    console, cron = Pki.open(tmp_path), Pki.open(tmp_path)
    cron.trustpoints.get("ka").set_enrollment_url("http://cron.example.com")
    cron.keys.generate(label="cron", modulus=1024)
    cron.save()
    before = (tmp_path / "nvram.json").read_bytes()
    console.trustpoints.get("ka").set_enrollment_url("http://console.example.com")
    with pytest.raises(SaveConflict) as caught:
        console.save()
    message = str(caught.value)
    assert "trustpoint ka" in message and "pid" in message and "show startup-config" in message
    assert "changed by the Python API (pid" in message
    assert caught.value.conflicts == ["trustpoint ka"]
    assert (tmp_path / "nvram.json").read_bytes() == before  # nothing written
    assert console.trustpoints.get("ka").enrollment_url == "http://console.example.com"  # ours kept
    assert console.keys.labels() == ["cron"]  # what did not conflict was taken over
    assert Pki.open(tmp_path).trustpoints.get("ka").enrollment_url == "http://cron.example.com"
    console.save()  # the user saw the conflict: saving again replaces theirs
    final = Pki.open(tmp_path)
    assert final.trustpoints.get("ka").enrollment_url == "http://console.example.com"
    assert final.keys.labels() == ["cron"] and _key_files(tmp_path) == ["cron"]


def test_a_file_goes_only_with_the_object_this_session_removed(tmp_path: Path) -> None:
    first = Pki.open(tmp_path)
    first.keys.generate(label="old", modulus=1024)
    first.save()
    second = Pki.open(tmp_path)
    first.keys.zeroize("old")
    second.keys.generate(label="new", modulus=1024)
    second.save()
    (tmp_path / "private" / "unsaved-work.0000.p8").write_bytes(b"another session's key")
    first.save()
    assert _key_files(tmp_path) == ["new", "unsaved-work"]
    assert Pki.open(tmp_path).keys.labels() == ["new"]


def test_a_record_of_who_changed_what(tmp_path: Path) -> None:
    pki = Pki.open(tmp_path)
    pki.trustpoints.declare("ka")
    pki.save()
    pki.set_hostname("r2")
    pki.save()
    meta = json.loads((tmp_path / "nvram.json").read_text())["meta"]["1"]
    assert meta["generation"] == 2 and "pid" in meta["saved_by"]
    assert {"identity", "trustpoint ka"} <= meta["changes"].keys()
    assert all(" at " in who for who in meta["changes"].values())


def test_refresh_reloads_what_this_session_did_not_change_and_flags_the_rest(tmp_path: Path) -> None:
    base = Pki.open(tmp_path)
    base.trustpoints.declare("ka")
    base.trustpoints.declare("kb")
    base.save()
    console, cron = Pki.open(tmp_path), Pki.open(tmp_path)
    console.trustpoints.get("kb").set_enrollment_url("http://mine.example.com")
    assert not console.store_changed()
    cron.trustpoints.get("ka").set_enrollment_url("http://theirs.example.com")
    cron.trustpoints.get("kb").set_enrollment_url("http://theirs.example.com")
    cron.set_hostname("cron")
    cron.save()
    assert console.store_changed()
    found = console.refresh()
    assert not console.store_changed()
    assert found.taken == ["identity", "trustpoint ka"] and found.conflicts == ["trustpoint kb"]
    assert "pid" in found.changes["trustpoint kb"]
    assert console.trustpoints.get("ka").enrollment_url == "http://theirs.example.com"
    assert console.trustpoints.get("kb").enrollment_url == "http://mine.example.com"
    assert console.dirty  # kb is still this session's unsaved change


def test_a_pending_transaction_is_journaled_without_saving_anything_else(tmp_path: Path) -> None:
    pki = Pki.open(tmp_path)
    pki.set_hostname("r1")
    pki.trustpoints.declare("ka").set_enrollment_url("http://ca.example.com")
    (pair,) = pki.keys.generate(label="k", modulus=1024)
    pending = PendingEnrollment("ka", pair.key_id, "tid-1")
    pki.config.pending.append(pending)
    pki.record_pending(pending, pair)
    assert not (tmp_path / "nvram.json").exists()  # nothing else saved
    (entry,) = PendingJournal(tmp_path / "pending").entries()
    assert entry.pending.transaction_id == "tid-1" and entry.trustpoint and entry.trustpoint["name"] == "ka"
    assert oct((tmp_path / "pending" / next(iter(p.name for p in (tmp_path / "pending").iterdir()))).stat().st_mode
               & 0o777) == "0o600"
    again = Pki.open(tmp_path)  # after a kill: resumable, the rest unsaved
    assert [p.transaction_id for p in again.config.pending] == ["tid-1"]
    assert again.keys.labels() == ["k"] and again.trustpoints.get("ka").enrollment_url == "http://ca.example.com"
    assert again.config.identity.hostname is None


def test_a_damaged_journal_entry_is_a_store_error(tmp_path: Path) -> None:
    Pki.open(tmp_path)
    (tmp_path / "pending" / ("0" * 32 + ".json")).write_text('{"pending": 3}')
    with pytest.raises(StoreError, match="pending enrollment record"):
        Pki.open(tmp_path)


def test_pending_kept_in_nvram_json_by_an_older_pkitui_moves_to_the_journal(tmp_path: Path) -> None:
    pki = Pki.open(tmp_path)
    (pair,) = pki.keys.generate(label="k", modulus=1024)
    pki.trustpoints.declare("ka")
    pki.save()
    data = json.loads((tmp_path / "nvram.json").read_text())
    data["pending"] = {"1": PendingEnrollment("ka", "k", "legacy-tid").to_doc()}
    (tmp_path / "nvram.json").write_text(json.dumps(data))
    again = Pki.open(tmp_path)
    assert [p.transaction_id for p in again.config.pending] == ["legacy-tid"]
    assert [e.pending.transaction_id for e in PendingJournal(tmp_path / "pending").entries()] == ["legacy-tid"]
    again.save()
    assert "pending" not in json.loads((tmp_path / "nvram.json").read_text())
    assert [p.transaction_id for p in Pki.open(tmp_path).config.pending] == ["legacy-tid"]


def test_the_same_crl_fetched_by_two_sessions_is_no_conflict_the_newer_wins(tmp_path: Path) -> None:
    from pkitui.core.records import CrlRecord

    def crl(number: int) -> CrlRecord:
        (tmp_path / "crl").mkdir(parents=True, exist_ok=True)
        (tmp_path / "crl" / f"{number}.crl").write_bytes(b"crl")
        return CrlRecord("ka", "CN=CA", f"http://ca/{number}.crl", f"{number}.crl", f"{number:064X}", 3,
                         f"2026-01-0{number}T00:00:00+00:00", crl_number=number, scope="")

    first, second = Pki.open(tmp_path), Pki.open(tmp_path)
    second.config.crls = [crl(5)]
    second.save()
    first.config.crls = [crl(4)]
    first.save()  # its older copy yields to the newer one saved meanwhile
    assert [c.crl_number for c in Pki.open(tmp_path).config.crls] == [5]
    assert [c.crl_number for c in first.config.crls] == [5]
    second.config.crls = [crl(6)]
    first.config.crls = [crl(7)]
    second.save()
    first.save()  # its copy is newer: written
    assert [c.crl_number for c in Pki.open(tmp_path).config.crls] == [7]


def test_a_store_damaged_after_opening_is_a_store_error_at_save(tmp_path: Path) -> None:
    pki = Pki.open(tmp_path)
    pki.trustpoints.declare("ka")
    pki.save()
    data = json.loads((tmp_path / "nvram.json").read_text())
    data["trustpoints"]["1"] = 5  # edited by hand while this session runs
    (tmp_path / "nvram.json").write_text(json.dumps(data))
    pki.set_hostname("r1")
    with pytest.raises(StoreError, match="trustpoints"):
        pki.save()
    with pytest.raises(StoreError, match="trustpoints"):
        pki.refresh()


def test_a_key_label_with_two_dots_round_trips(tmp_path: Path) -> None:
    """Labels may hold '.', so a key file may be named 'a..b.<digest>.p8': still a plain name."""
    pki = Pki.open(tmp_path)
    pki.keys.generate(label="a..b", modulus=1024)
    pki.save()
    assert Pki.open(tmp_path).keys.labels() == ["a..b"]
