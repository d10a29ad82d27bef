"""Device-wide commands: identity, query mode, saving the configuration, NVRAM usage."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from pkitui.ios.grammar import Args
from pkitui.ios.registry import CONFIG, EXEC, USER_EXEC, command, running_config_section
from pkitui.ios.session import Session

if TYPE_CHECKING:
    from pkitui.core.pki import Pki


@command(CONFIG, "hostname NAME")
@command(CONFIG, "no hostname [NAME]")
def hostname(session: Session, args: Args) -> None:
    """Set the device's host name (the first half of the FQDN)."""
    if args.no:
        session.pki.config.identity.hostname = None
    else:
        session.pki.set_hostname(args["name"])


@command(CONFIG, "ip {domain-name | domain name} NAME")
@command(CONFIG, "no ip {domain-name | domain name} [NAME]")
def domain_name(session: Session, args: Args) -> None:
    """Set the IP domain name (the second half of the FQDN)."""
    session.pki.set_domain_name(None if args.no else args["name"])


@command(CONFIG, "crypto {ca | pki} certificate query")
@command(CONFIG, "no crypto {ca | pki} certificate query")
def query_mode(session: Session, args: Args) -> None:
    """Query mode: certificates and CRLs are not kept in NVRAM but fetched when needed."""
    session.pki.set_query_mode(not args.no)
    if not args.no and (session.pki.config.certificates or session.pki.config.crls):
        session.print("% Stored certificates and CRLs will be deleted from NVRAM at the next save\n"
                      "% (copy system:running-config nvram:startup-config).")
    if args.no:
        session.print("% Query mode is off: save now to keep the certificates and CRLs in NVRAM.")


@command(EXEC, "copy {system:running-config | running-config} {nvram:startup-config | startup-config}")
@command(EXEC, "write [memory]")
def save(session: Session, args: Args) -> None:
    """Save the running configuration to NVRAM (private keys go to the private area)."""
    session.print("Building configuration...")
    use = session.pki.save()
    session.print(f"[OK] ({use.total:,} of {use.capacity:,} bytes of NVRAM used)")
    for item in use.fingerprint_only:  # seed: NVRAM too small for a root certificate (or query mode)
        session.print(f"% Kept as fingerprint only: {item}")
    for item in use.cached_outside:
        session.print(f"% Kept in the cache outside NVRAM: {item}")


@command(EXEC, "end", hidden=True)
def end_in_exec(session: Session, args: Args) -> None:
    """``end`` in exec mode does nothing (so a ``show running-config`` can be fed back as is). Hidden,
    as on IOS: typed in full only, so ``en`` is ``enable``."""


def _bar(used: int, capacity: int, width: int = 30) -> str:
    filled = min(width, round(width * used / capacity)) if capacity else width
    if used and not filled:
        filled = 1
    return "[" + "#" * filled + "." * (width - filled) + "]"


@command((USER_EXEC, EXEC), "show nvram usage")
def show_nvram_usage(session: Session, args: Args) -> None:
    """How the NVRAM capacity is (after the next save: will be) used, by category."""
    use = session.pki.nvram_usage()
    pct = 100.0 * use.total / use.capacity if use.capacity else 100.0
    lines = [f"NVRAM capacity {use.capacity:,} bytes: {use.total:,} used ({pct:.1f}%), {use.free:,} free",
             f"  {'total':<20} {use.total:>9,}  {_bar(use.total, use.capacity)}"]
    for category, size in use.used.items():
        lines.append(f"  {category:<20} {size:>9,}  {_bar(size, use.capacity)}")
    lines.append(f"  {'free':<20} {max(use.free, 0):>9,}")
    if use.free < 0:
        lines.append(f"% Over capacity by {-use.free:,} bytes: the next save will fail.")
    if use.query_mode:
        lines.append("% Query mode is on: certificates and CRLs are not kept in NVRAM; they are fetched")
        lines.append("% from the CA when needed (slower, and unavailable while the CA is down).")
    for title, items in (("Kept as fingerprint only", use.fingerprint_only),
                         ("Cached outside NVRAM", use.cached_outside),
                         ("The next save removes", use.next_save_removes)):
        if items:
            lines.append(f"{title}:")
            lines += [f"  {item}" for item in items]
    if session.pki.dirty:
        lines.append("% The running configuration has unsaved changes.")
    data = asdict(use) | {"total": use.total, "free": use.free, "dirty": session.pki.dirty}
    session.show(data, lines)


@running_config_section(10, "identity")
def render_identity(pki: Pki) -> list[str]:
    """``hostname`` and ``ip domain-name``."""
    ident = pki.config.identity
    lines = []
    if ident.hostname:
        lines.append(f"hostname {ident.hostname}")
    if ident.domain_name:
        lines.append(f"ip domain-name {ident.domain_name}")
    return lines


@running_config_section(20, "query mode")
def render_query_mode(pki: Pki) -> list[str]:
    """``crypto ca certificate query`` when query mode is on."""
    return ["crypto ca certificate query"] if pki.config.query_mode else []
