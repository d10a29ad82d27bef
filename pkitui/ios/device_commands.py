"""Device-wide commands: identity, query mode, saving the configuration, NVRAM usage."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from pkitui.core.errors import PkiError
from pkitui.ios.grammar import Args
from pkitui.ios.registry import CONFIG, EXEC, USER_EXEC, command, running_config_section
from pkitui.ios.session import AlreadyReported, Session

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


_RUNNING = "running-config"
_STARTUP = "startup-config"


def _config_name(text: str) -> str | None:
    """``running-config`` / ``startup-config`` when ``text`` names one (as a keyword, abbreviated
    too), else None: ``copy start run`` matches both copy specs below with a word as the URL."""
    word = text.lower().removeprefix("system:").removeprefix("nvram:")
    for name in (_RUNNING, _STARTUP):
        if len(word) >= 2 and name.startswith(word):
            return name
    return None


def _keyword(args: Args) -> str:
    """Which configuration the copy spec's keyword named (the other end is the URL)."""
    return _RUNNING if "running-config" in args.words or "system:running-config" in args.words else _STARTUP


@command(EXEC, "copy {system:running-config | running-config} URL")
@command(EXEC, "copy {nvram:startup-config | startup-config} URL")
def copy_to_url(session: Session, args: Args) -> None:
    """Copy the configuration to tftp://HOST/FILE or a local file (written atomically, mode 0600)."""
    from pkitui.core.config_copy import parse_url, write_config

    source = _keyword(args)
    if (target := _config_name(args["url"])) is not None:
        _copy_between(session, source, target)
        return
    url = parse_url(args["url"])
    if source == _RUNNING:
        session.print("Building configuration...")
    lines = _config_lines(session, source)
    copied = write_config(url, "\n".join(lines) + "\n")
    if url.scheme == "tftp":
        session.print("!!")
    session.print(f"[OK]\n{copied.size} bytes copied in {copied.seconds:.3f} secs ({copied.rate} bytes/sec)")


@command(EXEC, "copy URL {system:running-config | running-config}")
@command(EXEC, "copy URL {nvram:startup-config | startup-config}")
def copy_from_url(session: Session, args: Args) -> None:
    """Merge a configuration from tftp://HOST/FILE or a local file into the running configuration
    (its commands are run, as IOS does)."""
    from pkitui.core.config_copy import ConfigCopyError, parse_url, read_config

    target = _keyword(args)
    if (source := _config_name(args["url"])) is not None:
        _copy_between(session, source, target)
        return
    url = parse_url(args["url"])
    if target == _STARTUP:
        raise ConfigCopyError(f"copy {url} startup-config would replace the saved configuration, which holds "
                              "the private keys and certificates the file does not",
                              f"Merge it, then save: copy {url} running-config, then copy running-config "
                              "startup-config.")
    session.print(f"Accessing {url}...")
    text, copied = read_config(url)
    session.print(f"[OK - {copied.size} bytes]")
    failed = _merge(session, text.splitlines())
    session.print(f"{copied.size} bytes copied in {copied.seconds:.3f} secs ({copied.rate} bytes/sec)")
    if failed:
        session.warn(f"% {failed} line(s) of {url} failed (shown above); the other lines were merged.")
        raise AlreadyReported


def _config_lines(session: Session, which: str) -> list[str]:
    """The running or the saved configuration, as show running-config / startup-config print it."""
    from pkitui.core.pki import Pki
    from pkitui.ios.show_commands import running_config_lines

    if which == _RUNNING:
        return running_config_lines(session.pki)
    if not session.pki.store.read_tables():
        raise PkiError("startup-config is not present (nothing saved yet)",
                       "Save first: copy running-config startup-config.")
    return running_config_lines(Pki(session.pki.store))


def _copy_between(session: Session, source: str, target: str) -> None:
    """``copy startup-config running-config`` merges the saved configuration; the other way saves."""
    if source == target:
        raise PkiError(f"copy {source} {target}: source and destination are the same")
    if target == _STARTUP:
        save(session, Args(()))
        return
    failed = _merge(session, _config_lines(session, _STARTUP))
    if failed:
        raise AlreadyReported


def _merge(session: Session, lines: list[str]) -> int:
    """Run ``lines`` in global configuration mode as a script does (errors shown, the others run);
    back in privileged exec after. Returns how many failed."""
    saved_implicit = session.implicit_configure
    session.stack = [(EXEC, None), (CONFIG, None)]
    session.implicit_configure = True  # a configuration file's 'end' is followed by more config lines
    failed = 0
    try:
        for line in lines:
            if not session.execute(line):
                failed += 1
        if session.collecting:
            session.cancel_block()
            session.warn("% The file ended inside a key-string or certificate block: 'quit' was missing.")
            failed += 1
    finally:
        session.implicit_configure = saved_implicit
        session.stack = [(EXEC, None)]
        session.closed = False  # an 'exit' in the file leaves configuration mode, never the session
    return failed


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
