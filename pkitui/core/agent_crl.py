"""``pkitui agent``'s CRL step: ``crypto pki crl request TP`` on the CRL refresh timer (before a
held CRL's nextUpdate, or at once when its trustpoint's CRL sources changed); only the CRL records
that changed are saved, and the NVRAM files of the CRLs it replaced removed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkitui.core import merge
from pkitui.core.agent_events import INFO, WARNING, AgentEvent, AgentEventKind
from pkitui.core.dn import ios_dn

if TYPE_CHECKING:
    from pkitui.core.agent_schedule import Due
    from pkitui.core.clock import Clock
    from pkitui.core.pki import Pki
    from pkitui.core.records import CrlRecord


def refresh_crl(pki: Pki, clock: Clock, source_checked: set[str], timer: Due, events: list[AgentEvent]) -> None:
    """``crypto pki crl request TP``; only the CRL records that changed are saved."""
    config = pki.config
    name = timer.trustpoint
    held = {r.sha256 for r in config.crls if r.trustpoint == name}
    source_checked.update(held)
    before = {merge.object_name("crls", r.to_doc()): r for r in config.crls}
    info = pki.revocation.request_crl(name)
    with pki.lock:
        after = {merge.object_name("crls", r.to_doc()): r for r in config.crls}
        changed = [n for n in set(before) | set(after) if before.get(n) != after.get(n)]
        if changed:
            pki.save_objects(sorted(changed))
            _drop_unused_files(pki, [r for n, r in before.items() if n not in after])
    source_checked.add(info.sha256)
    data = {"source": info.source, "issuer": info.issuer, "crl_number": info.crl_number, "entries": info.entries,
            "this_update": info.this_update.isoformat(),
            "next_update": info.next_update.isoformat() if info.next_update else None, "sha256": info.sha256}
    if info.sha256 in held or not changed:
        expired = info.next_update is not None and clock.now() >= info.next_update
        events.append(AgentEvent(AgentEventKind.CRL_NOT_NEWER, WARNING if expired else INFO, name,
                                 f"CRL request for trustpoint {name} from {info.source}: not newer than the CRL "
                                 f"held (number {info.crl_number}); tried again later", data))
        return
    until = f", next update {info.next_update:%Y-%m-%d %H:%M} UTC" if info.next_update else ""
    events.append(AgentEvent(AgentEventKind.CRL_FETCHED, INFO, name,
                             f"CRL request for trustpoint {name} from {info.source}: {ios_dn(info.issuer)}, number "
                             f"{info.crl_number}, {info.entries:,} entries{until}", data))


def _drop_unused_files(pki: Pki, replaced: list[CrlRecord]) -> None:
    """The NVRAM files of CRLs this refresh replaced (a full save would remove them; the agent
    saves only what it produced)."""
    store = pki.store
    held = {r.file for r in pki.config.crls}
    for rec in replaced:
        if rec.in_nvram and rec.file not in held:
            (store.crl_dir / rec.file).unlink(missing_ok=True)
