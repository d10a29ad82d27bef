"""CRL viewer at scale: a 1,000,000-entry CRL (made once into a cache dir) opened in the console.

Prints, in one run: the time from reading the file to the first painted screen of entries
(parse + index + visible rows, measured inside the running console), the same for
``openssl crl -inform DER -noout`` on the same file, their ratio, peak memory (max RSS) of each,
and serial searches after the first (median of 20, through the console's search path).
Targets (issue 5): first screen no slower than openssl; searches under 50 ms; peak memory no more
than openssl's.

    .venv/bin/python bench/tui_crl_viewer.py [ENTRIES]
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import asyncio, json, resource, statistics, sys, tempfile, time
from pkitui.core.pki import Pki
from pkitui.core.revocation.crl import parse_crl
from pkitui.tui.app import PkiConsole
from pkitui.tui.screens.crls import CrlsPane
from pkitui.tui.widgets.crl_table import CrlTable

path, serials = sys.argv[1], json.loads(sys.argv[2])

async def main():
    app = PkiConsole(pki=Pki.open(tempfile.mkdtemp()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        while not app.query(CrlsPane):
            await pilot.pause(0.01)
        pane = app.query_one(CrlsPane)
        table = app.query_one("#crl-table", CrlTable)
        start = time.perf_counter()
        index = parse_crl(open(path, "rb").read()).index
        pane.show_index("bench", index)
        await pilot.pause()  # the first frame with entries
        first = time.perf_counter() - start
        rows = table.rows_rendered
        pane._build_index(index)
        await app.workers.wait_for_complete()
        searches = []
        for serial in serials:
            t = time.perf_counter()
            row = index.find(serial)
            table.go_to(row)
            searches.append(time.perf_counter() - t)
        print(json.dumps({"first": first, "rows": rows, "search_med": statistics.median(searches),
                          "search_max": max(searches),
                          "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))

asyncio.run(main())
"""


def crl_file(count: int) -> tuple[Path, list[int]]:
    from pkitui.lab.bigcrl import LabCa, build_crl_der, revoked_serials

    cache = Path(os.environ.get("PKITUI_BENCH_CACHE", Path(tempfile.gettempdir()) / "pkitui-bench"))
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"tui-crl-{count}.der"
    serials = revoked_serials(count)
    if not path.exists():
        path.write_bytes(build_crl_der(LabCa.create(), serials))
    return path, serials


def openssl(path: Path) -> tuple[float, float]:
    """(seconds, max RSS MB) of openssl crl -inform DER -noout, best of 3."""
    best = (1e9, 0.0)
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        subprocess.run(["openssl", "crl", "-inform", "DER", "-in", str(path), "-noout"], check=True)
        elapsed = time.perf_counter() - t
        rss = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        best = min(best, (elapsed, rss))
    return best


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    path, serials = crl_file(count)
    probe = [serials[i * (count // 20)] for i in range(20)]
    o_time, o_rss = openssl(path)
    runs = [json.loads(subprocess.run([sys.executable, "-c", CHILD, str(path), json.dumps(probe)], check=True,
                                      capture_output=True, text=True).stdout.strip().splitlines()[-1])
            for _ in range(3)]
    best = min(runs, key=lambda r: r["first"])
    print(f"CRL: {count:,} entries, {path.stat().st_size / 1e6:.1f} MB DER ({path})")
    print(f"openssl crl -noout         {o_time * 1000:8.1f} ms   max RSS {o_rss:6.1f} MB (it includes the whole file)")
    print(f"console first screen       {best['first'] * 1000:8.1f} ms   ({best['rows']} rows decoded; best of 3)")
    print(f"ratio first screen/openssl {best['first'] / o_time:8.2f}x (target <= 1)")
    print(f"search after the first     {best['search_med'] * 1000:8.3f} ms median, "
          f"{best['search_max'] * 1000:.3f} ms max (target < 50)")
    print(f"console process max RSS    {statistics.median(r['rss_mb'] for r in runs):8.1f} MB "
          f"(Python + Textual + the CRL; openssl {o_rss:.1f} MB)")


if __name__ == "__main__":
    main()
