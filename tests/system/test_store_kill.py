"""Atomic saves: a writer SIGKILLed at random moments leaves the old or the new store, never a
broken one, and never a configuration that names a missing or undecryptable key file."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from pkitui.core.config import key_file_name
from pkitui.core.pki import Pki

REPO = Path(__file__).resolve().parents[2]
KILLS = 30

# The writer: each iteration i makes a configuration that is entirely derived from i (hostname,
# trustpoint URL, capacity, a replaced key "k", a new key "x{i}" with "x{i-1}" zeroized so that
# garbage collection runs), announces "begin i", saves, announces "done i".
WRITER = r"""
import os, sys, time
from pkitui.core.pki import Pki

# A slow disk: every fsync takes 3 ms more, so kills land inside the write steps, not only
# between them (on this machine a whole save takes ~3 ms, keygen ~12 ms).
_fsync = os.fsync
os.fsync = lambda fd: (time.sleep(0.003), _fsync(fd))[1]

pki = Pki.open(sys.argv[1])
start = int(pki.config.identity.hostname[1:]) + 1 if pki.config.identity.hostname else 0
print("ready", start, flush=True)
i = start
while True:
    pki.set_hostname(f"h{i}")
    pki.set_domain_name("example.com")
    pki.set_capacity(512 * 1024 + i)
    pki.trustpoints.declare("ka").set_enrollment_url(f"http://ca{i}.example.com")
    pki.keys.generate(label="k", modulus=1024, replace=True)
    if pki.keys.exists(f"x{i - 1}"):
        pki.keys.zeroize(f"x{i - 1}")
    pki.keys.generate(label=f"x{i}", modulus=1024)
    print("begin", i, flush=True)
    pki.save()
    print("done", i, flush=True)
    i += 1
"""


def check_store(root: Path) -> int | None:
    """Open the store as a new process would and check it is one whole configuration.

    Returns the iteration it holds (None for a store never saved).
    """
    pki = Pki.open(root)  # decrypts every key: a missing or broken file fails here
    if pki.config.identity.hostname is None:
        assert not pki.config.key_pairs and not pki.config.trustpoints
        return None
    i = int(pki.config.identity.hostname[1:])
    assert pki.fqdn == f"h{i}.example.com"
    assert pki.config.capacity == 512 * 1024 + i
    assert pki.trustpoints.get("ka").enrollment_url == f"http://ca{i}.example.com"
    assert sorted(pki.keys.labels()) == sorted(["k", f"x{i}"])
    saved = json.loads((root / "nvram.json").read_text())
    for doc in saved["key_pairs"].values():
        pair = pki.config.key_pairs[doc["key_id"]]
        assert key_file_name(pair) == doc["file"]  # the file holds exactly the key it is named for
        assert (root / "private" / doc["file"]).stat().st_mode & 0o777 == 0o600
    assert not [p for p in root.rglob("*.tmp")], "stale temp files are removed on open"
    assert not pki.dirty
    return i


def test_killing_a_writer_never_breaks_the_store(tmp_path: Path) -> None:
    root = tmp_path / "store"
    rng = random.Random(20261128)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PKITUI_PASSPHRASE", None)
    started = time.monotonic()
    mid_save = new_state = 0
    last = None
    for _ in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path
        )
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.startswith("ready"), first
        seen = [first]
        if rng.random() < 0.5:  # any moment
            time.sleep(rng.uniform(0.0, 0.12))
        else:  # aim at a save: just after the writer announced one
            target = rng.randint(0, 2)
            while not (line := child.stdout.readline()).startswith("begin") or target:
                assert line, f"the writer died: {child.wait()}"
                seen.append(line)
                target -= line.startswith("begin")
            seen.append(line)
            time.sleep(rng.uniform(0.0, 0.025))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        out = "".join(seen) + child.stdout.read()
        child.stdout.close()
        begun = [int(n) for n in re.findall(r"^begin (\d+)$", out, re.M)]
        done = [int(n) for n in re.findall(r"^done (\d+)$", out, re.M)]
        held = check_store(root)
        old = done[-1] if done else last
        if begun and (not done or begun[-1] > done[-1]):  # killed between begin and done
            mid_save += 1
            assert held in (old, begun[-1]), (held, old, begun[-1])
            new_state += held == begun[-1]
        else:
            assert held == old, (held, old)
        last = held
    elapsed = time.monotonic() - started
    print(f"{KILLS} kills in {elapsed:.1f} s; {mid_save} during a save, {new_state} of those left the new state")
    assert elapsed < 30
    assert last is not None and last > 0, "the writer never completed a save"
    assert mid_save >= 3, "too few kills landed inside a save to prove anything"
