"""What ``pkitui agent`` remembers from one run to the next (``--once`` from cron starts afresh
each time): ``STORE/agent/state.json`` (:class:`AgentState`, written atomically, 0600).

It holds the expiry warnings given (one per point of
:func:`pkitui.core.timers.expiry_warning_reached`, the rule ``show crypto pki timers`` shows), when
the next CA certificate was last asked for (at most once a day), a renewal held back because the
certificate the CA issued was already due again, and the refusal to deploy a revoked or expired
certificate of ours last reported (once per CRL, not at every run).
"""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

STATE_DIR = "agent"  # STORE/agent/state.json


class AgentState:
    """What the agent remembers across runs, in ``STATE_DIR/state.json`` of the store (0600,
    replaced atomically): ``warned`` (certificate SHA-256 -> the expiry warning point last warned
    of), ``next_ca_tried`` (trustpoint -> when GetNextCACert was last asked) and ``renew_held``
    (trustpoint -> until when a renewal is held back), ``refused`` (trustpoint -> the deployment
    refusal last reported: a SHA-256 of its words and of the CRLs held). An unreadable file counts
    as empty (at worst a warning is given again)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "state.json"
        self.warned: dict[str, str] = {}
        self.next_ca_tried: dict[str, str] = {}
        self.renew_held: dict[str, str] = {}
        self.refused: dict[str, str] = {}
        self.load()

    def load(self) -> None:
        """Read the file again (another run may have written it)."""
        try:
            doc = json.loads(self.path.read_text())
        except (OSError, ValueError):
            doc = {}
        doc = doc if isinstance(doc, dict) else {}
        for name in ("warned", "next_ca_tried", "renew_held", "refused"):
            value = doc.get(name)
            setattr(self, name, {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {})

    def save(self) -> None:
        """Write it (atomically); an OSError is the caller's to report."""
        from pkitui.core.store import atomic_write

        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        doc = {"warned": self.warned, "next_ca_tried": self.next_ca_tried, "renew_held": self.renew_held,
               "refused": self.refused}
        atomic_write(self.path, json.dumps(doc, indent=1, sort_keys=True).encode(), 0o600)

    @staticmethod
    def instant(text: str | None) -> datetime.datetime | None:
        """A stored time (None when missing or unreadable)."""
        try:
            return datetime.datetime.fromisoformat(text) if text else None
        except ValueError:
            return None
