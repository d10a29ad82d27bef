"""Deployment's command: run after anything was written (``deploy command``, else the preset's),
without a shell and bounded by COMMAND_TIMEOUT; a command that failed (or whose process died) is
owed, remembered in ``STORE/deploy/TP.json`` (:class:`OwedCommands`), and runs again at the next
deployment even when no file changed.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

COMMAND_TIMEOUT = 60.0  # seconds a deploy command may run before it is killed and reported


class OwedCommands:
    """The commands still owed, one file per trustpoint in ``state_dir`` (0600, written
    atomically): ``{"crl_changed": bool}`` (whether the CRL flush is owed too)."""

    def __init__(self, state_dir: Path) -> None:
        self._state_dir = state_dir

    def _file(self, tp: str) -> Path:
        return self._state_dir / f"{tp}.json"

    def owed(self, tp: str) -> dict[str, Any] | None:
        """What ``tp`` is owed (None: nothing); an unreadable record owes the command with the CRL flush."""
        try:
            doc = json.loads(self._file(tp).read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {"crl_changed": True}  # unreadable: run the command again, with the CRL flush
        return doc if isinstance(doc, dict) else {"crl_changed": True}

    def owe(self, tp: str, crl_changed: bool) -> None:
        """Record that ``tp``'s command is owed (before running it: a kill in between is retried too)."""
        from pkitui.core.store import atomic_write

        self._state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(self._file(tp), json.dumps({"crl_changed": crl_changed}).encode(), 0o600)

    def paid(self, tp: str) -> None:
        """``tp``'s command ran: nothing is owed."""
        self._file(tp).unlink(missing_ok=True)


def run_one(argv: list[str], env: dict[str, str]) -> str | None:
    """Run one command without a shell, bounded by COMMAND_TIMEOUT; None when it succeeded, else
    what went wrong (its exit status and :func:`failure_cause`)."""
    try:
        done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=COMMAND_TIMEOUT, check=False)
    except FileNotFoundError:
        return f"command {argv[0]!r} not found (install it, or give its full path in deploy command)"
    except PermissionError:
        return f"command {argv[0]!r} is not executable"
    except subprocess.TimeoutExpired:
        return f"did not finish within {COMMAND_TIMEOUT:.0f} s and was killed"
    except OSError as exc:
        return f"cannot run: {exc.strerror or exc}"
    if done.returncode == 0:
        return None
    cause = failure_cause((done.stderr or done.stdout).decode(errors="replace"))
    return f"exited with status {done.returncode}" + (f" ({cause})" if cause else "")


# Lines of a command's output that say nothing of why it failed: a plugin strongSwan could not load
# (swanctl lists every one on each run), and everything from a usage text on (swanctl prints its
# usage after a failed connection, so the last line is "--uri (-u) service URI to connect to").
_NOISE = re.compile(r"^plugin '[^']*': failed to load\b")
_USAGE = re.compile(r"^usage:", re.IGNORECASE)
_CAUSE = re.compile(r"fail|error|denied|refused|not found|no such|cannot|invalid|timed? ?out", re.IGNORECASE)
MAX_CAUSE_LINES = 2


def failure_cause(output: str) -> str:
    """What a failed command's output says of why: the lines naming a failure or an error (at most
    MAX_CAUSE_LINES, the first ones: later ones tend to repeat them), else its first line; the
    noise of ``_NOISE`` and a usage text left out. "" when it said nothing."""
    lines: list[str] = []
    for raw in output.splitlines():
        line = raw.strip()
        if _USAGE.match(line):
            break
        if line and not _NOISE.match(line):
            lines.append(line)
    causes = [line for line in lines if _CAUSE.search(line)] or lines[:1]
    return "; ".join(causes[:MAX_CAUSE_LINES])

