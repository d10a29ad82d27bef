"""The command registry: (mode, command words) → handler, plus modes and running-config sections.

Feature modules register from their own file; see the package docstring for a worked example.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkitui.ios.grammar import Args, Seq, compile_spec

if TYPE_CHECKING:
    from pkitui.core.pki import Pki
    from pkitui.ios.session import Session

Handler = Callable[["Session", Args], None]
SectionRenderer = Callable[["Pki"], list[str]]

# Mode names.
USER_EXEC = "user-exec"
EXEC = "exec"
CONFIG = "config"
TRUSTPOINT = "ca-trustpoint"
PUBKEY_CHAIN = "pubkey-chain"
PUBKEY_KEY = "pubkey-key"
CERT_CHAIN = "cert-chain"
CONFIG_MODES = (CONFIG, TRUSTPOINT, PUBKEY_CHAIN, PUBKEY_KEY, CERT_CHAIN)
ALL_MODES = (USER_EXEC, EXEC) + CONFIG_MODES


@dataclass(frozen=True)
class ModeInfo:
    """A mode: its prompt suffix (``(config)#``) and the mode ``exit`` returns to."""

    name: str
    prompt: str
    parent: str | None


MODES: dict[str, ModeInfo] = {}


def register_mode(name: str, prompt: str, parent: str | None) -> None:
    """Declare a mode (feature modules may add their own sub-modes of ``config``)."""
    MODES[name] = ModeInfo(name, prompt, parent)


register_mode(USER_EXEC, ">", None)
register_mode(EXEC, "#", None)
register_mode(CONFIG, "(config)#", EXEC)
register_mode(TRUSTPOINT, "(ca-trustpoint)#", CONFIG)
register_mode(PUBKEY_CHAIN, "(config-pubkey-chain)#", CONFIG)
register_mode(PUBKEY_KEY, "(config-pubkey-key)#", PUBKEY_CHAIN)
register_mode(CERT_CHAIN, "(config-cert-chain)#", CONFIG)


@dataclass(frozen=True)
class Command:
    """One registered syntax: the modes it is valid in, its spec, and the handler."""

    modes: tuple[str, ...]
    spec: str
    node: Seq
    handler: Handler
    help: str
    order: int
    hidden: bool = False  # IOS's hidden commands: only the full word runs them; ``?`` omits them

    @property
    def filterable(self) -> bool:
        """A ``show`` command: its output may go through a pipe (``| include REGEX``)."""
        return self.spec.startswith("show ")


COMMANDS: list[Command] = []


def command(modes: str | Iterable[str], spec: str, *, help: str = "",
            hidden: bool = False) -> Callable[[Handler], Handler]:
    """Decorator: register ``handler(session, args)`` for ``spec`` in ``modes``.

    Stack several decorators for several syntaxes (``no`` forms are ordinary specs starting with
    ``no``; ``args.no`` tells the handler which form matched). A ``hidden`` command is IOS's kind:
    it runs only when its first word is typed in full, and ``?`` does not list it (so it never
    makes an abbreviation ambiguous).
    """
    mode_tuple = (modes,) if isinstance(modes, str) else tuple(modes)
    for m in mode_tuple:
        if m not in MODES:
            raise ValueError(f"unknown mode {m!r}; register it with register_mode first")
    node = compile_spec(spec)

    def decorate(handler: Handler) -> Handler:
        COMMANDS.append(Command(mode_tuple, spec, node, handler, help_line(help or handler.__doc__ or ""),
                                len(COMMANDS), hidden))
        return handler

    return decorate


def help_line(text: str) -> str:
    """A command's one-line ``?`` help from its help text or docstring: the first sentence of the
    first paragraph, whole (never cut mid-sentence), as plain text (no RST ````markup````)."""
    paragraph = " ".join(text.strip().split("\n\n")[0].split()).replace("``", "")
    sentence = re.match(r"(.+?[.!?])(?=\s+[A-Z(]|$)", paragraph)
    return sentence.group(1) if sentence else paragraph


def commands_for(mode: str) -> list[Command]:
    """Every command valid in ``mode``, in registration order."""
    load_commands()
    return [c for c in COMMANDS if mode in c.modes]


@dataclass(frozen=True)
class Section:
    """A part of ``show running-config``: ``render(pki)`` returns its lines (no trailing ``!``)."""

    order: int
    name: str
    render: SectionRenderer


SECTIONS: list[Section] = []


def running_config_section(order: int, name: str) -> Callable[[SectionRenderer], SectionRenderer]:
    """Decorator: add a ``show running-config`` section; sections print by ``order``
    (identity 10, query mode 20, trustpoints 40, pubkey chain 60, certificate chains 80)."""

    def decorate(render: SectionRenderer) -> SectionRenderer:
        SECTIONS.append(Section(order, name, render))
        SECTIONS.sort(key=lambda s: s.order)
        return render

    return decorate


_loaded = False


def load_commands() -> None:
    """Import every ``pkitui/ios/*_commands.py`` module (once), which registers its commands.

    Feature modules are found by file name, so adding one needs no edit here. They must keep
    their heavy imports (requests, ldap3, asn1crypto ...) inside handlers: ``pkitui exec``
    imports every command module at start-up.
    """
    global _loaded
    if _loaded:
        return
    _loaded = True
    import pkitui.ios as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.endswith("_commands"):
            importlib.import_module(f"pkitui.ios.{info.name}")

