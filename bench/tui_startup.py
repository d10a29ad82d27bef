"""Time from starting the console to its first painted screen, headless, against
``python -c 'import textual'`` (and ``import textual.app``) on the same machine.

Each measurement is a fresh process (interpreter start included), alternated, N runs each;
prints min/median/max per variant and the ratios. Target (issue 10): the store's content on
screen (not a "loading" frame) at most 1.5x a bare Textual app's first paint, side by side in
one run.

    .venv/bin/python bench/tui_startup.py [N] [--store DIR]

Without ``--store`` the console opens a new, empty store; with it, a copy of DIR (a saved store:
its checks, its secret and its keys' records are loaded before the first frame too).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# The child prints the wall-clock time of its first frame (written to the headless driver), so
# the figure is "process start → first painted screen"; then of the first frame showing the
# store on Home (the tab on screen); then of the first frame once every hidden tab is mounted
# too (composed, and reloaded from the store by its on_mount); then it exits.
FIRST_PAINT = """
import sys, time
from pkitui.tui.app import PkiConsole
from pkitui.tui.screens.home import HomePane

class FirstPaint(PkiConsole):
    painted = None
    home = None
    content = None
    home_shown = False  # Home drew the store's content (not the "opening the store" frame)
    def _display(self, screen, renderable):
        super()._display(screen, renderable)
        if renderable is None:
            return
        if self.painted is None:
            self.painted = time.time()
            print(f"PAINTED {self.painted!r}")
            self.set_interval(0.02, self._exit_when_mounted)
        if self.home is None and self.home_shown:
            self.home = time.time()
            print(f"HOME {self.home!r}")
        if self.content is None and self.home_shown and self._all_tabs_mounted():
            self.content = time.time()  # a frame with the store's content and every tab mounted
            print(f"CONTENT {self.content!r}")
    def _all_tabs_mounted(self):  # each pane composed and its on_mount (the reload) run
        panes = self.panes()
        return len(panes) == 6 and all(pane.is_mounted for pane in panes)
    def _exit_when_mounted(self):
        if self.content is not None:
            self.exit()

show_home = HomePane._show
def shown(self):
    show_home(self)
    self.app.home_shown = True
HomePane._show = shown

FirstPaint(sys.argv[1]).run(headless=True, size=(120, 40))
"""

# The floor: a bare Textual app with the same chrome (status, 6 tabs, log, input, footer).
BARE_PAINT = """
import sys, time
from textual.app import App
from textual.widgets import Footer, Input, RichLog, Static, TabbedContent, TabPane

class Bare(App):
    painted = None
    def compose(self):
        yield Static("status")
        with TabbedContent():
            for i in range(6):
                with TabPane(f"tab {i}"):
                    yield Static("pane")
        yield RichLog()
        yield Input()
        yield Footer()
    def _display(self, screen, renderable):
        super()._display(screen, renderable)
        if renderable is not None and self.painted is None:
            self.painted = time.time()
            print(f"PAINTED {self.painted!r}")
            self.call_later(self.exit)

Bare().run(headless=True, size=(120, 40))
"""

VARIANTS = {
    "import textual": ["-c", "import textual"],
    "import textual.app": ["-c", "import textual.app"],
    "bare Textual paint": ["-c", BARE_PAINT],
    "pkitui first paint": ["-c", FIRST_PAINT],
}


CONTENT_TIMES: list[float] = []
HOME_TIMES: list[float] = []


# Time with bytecode cached, as an installed package has it: the warm-up run writes it into a
# private cache (PYTHONDONTWRITEBYTECODE in the caller's shell would otherwise make every run
# compile the modules edited since the last cached .pyc).
ENV = dict(os.environ)


def run_once(args: list[str], store: str) -> float:
    """Seconds from spawning the process to its exit, or to its first paint when it reports one
    (the time until the store's content is on screen goes to CONTENT_TIMES)."""
    start = time.time()
    out = subprocess.run([sys.executable, *args, store], check=True, capture_output=True, text=True, env=ENV).stdout
    end = time.time()
    marks = dict(line.split() for line in out.splitlines() if line.startswith(("PAINTED ", "HOME ", "CONTENT ")))
    if "CONTENT" in marks:
        CONTENT_TIMES.append(float(marks["CONTENT"]) - start)
        HOME_TIMES.append(float(marks["HOME"]) - start)
    return float(marks["PAINTED"]) - start if "PAINTED" in marks else end - start


def main() -> None:
    args = sys.argv[1:]
    source = None
    if "--store" in args:
        at = args.index("--store")
        source = args[at + 1]
        del args[at:at + 2]
    n = int(args[0]) if args else 9
    with tempfile.TemporaryDirectory() as store, tempfile.TemporaryDirectory() as pycache:
        if source is not None:
            shutil.copytree(source, store, dirs_exist_ok=True)
        ENV.pop("PYTHONDONTWRITEBYTECODE", None)  # time the program, not the bytecode compiler
        ENV.pop("PKITUI_STORE", None)
        ENV["PYTHONPYCACHEPREFIX"] = pycache
        for args in VARIANTS.values():  # warm the bytecode cache and the OS page cache
            run_once(args, store)
        times: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(n):
            for name, args in VARIANTS.items():
                times[name].append(run_once(args, store))
    med = {name: statistics.median(t) for name, t in times.items()}
    content = statistics.median(CONTENT_TIMES[1:])  # the first one was the warm-up
    for name, t in times.items():
        print(f"{name:22s} min {min(t) * 1000:7.1f} ms   median {med[name] * 1000:7.1f} ms"
              f"   max {max(t) * 1000:7.1f} ms   (n={n})")
    home = statistics.median(HOME_TIMES[1:])
    print(f"{'pkitui store on Home':22s} min {min(HOME_TIMES[1:]) * 1000:7.1f} ms"
          f"   median {home * 1000:7.1f} ms   max {max(HOME_TIMES[1:]) * 1000:7.1f} ms"
          "   (the store's content painted on the tab shown; hidden tabs may still be mounting)")
    print(f"{'pkitui store on screen':22s} min {min(CONTENT_TIMES[1:]) * 1000:7.1f} ms"
          f"   median {content * 1000:7.1f} ms   max {max(CONTENT_TIMES[1:]) * 1000:7.1f} ms"
          "   (the store's content painted, every tab mounted)")
    print(f"ratio pkitui store on screen / bare Textual paint = {content / med['bare Textual paint']:.2f}x "
          "(target <= 1.5x)")
    print(f"ratio pkitui store on Home / bare Textual paint    = {home / med['bare Textual paint']:.2f}x")
    base = med["import textual"]
    print(f"ratio pkitui first paint / import textual      = {med['pkitui first paint'] / base:.2f}x (target < 2x)")
    print("ratio pkitui first paint / import textual.app  = "
          f"{med['pkitui first paint'] / med['import textual.app']:.2f}x")
    print(f"ratio bare Textual paint / import textual      = {med['bare Textual paint'] / base:.2f}x (the floor)")


if __name__ == "__main__":
    main()
