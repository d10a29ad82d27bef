"""Trustpoints: ``crypto ca|pki trustpoint NAME`` and every ca-trustpoint sub-command.

The sub-commands are generated from the option table (:mod:`pkitui.core.trustpoint_options`):
for each option, ``WORDS ARGS`` sets it through its validating setter and ``no WORDS [ARGS]``
restores its default. Secrets (``password``, ``deploy key-password``) have a handler of their own
(the sealed ``password 7`` form, and the secret asked when not given).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pkitui.core.errors import StoreError
from pkitui.core.trustpoint_options import OPTIONS, TrustpointOption, config_lines
from pkitui.core.trustpoints import Trustpoint
from pkitui.ios.grammar import Args
from pkitui.ios.registry import CERT_CHAIN, CONFIG, TRUSTPOINT, Handler, command, running_config_section
from pkitui.ios.session import Session

if TYPE_CHECKING:
    from pkitui.core.pki import Pki

T = TRUSTPOINT
_PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*")


def _tp(session: Session) -> Trustpoint:
    """The trustpoint the current ca-trustpoint mode works on."""
    tp: Trustpoint = session.pki.trustpoints.get(session.context)
    return tp


def _optional(args: str) -> str:
    """The ``no`` form's arguments: any leading part of them (``HOST PORT:int`` becomes
    ``[HOST [PORT:int]]``; an already optional last item stays as it is)."""
    items: list[str] = []
    depth = 0
    for word in args.split():
        if depth:
            items[-1] += " " + word
        else:
            items.append(word)
        depth += word.count("[") + word.count("{") - word.count("]") - word.count("}")
    if not items:
        return ""
    nested = items[-1] if items[-1].startswith("[") else f"[{items[-1]}]"
    for item in reversed(items[:-1]):
        nested = f"[{item} {nested}]"
    return nested


def _argument_text(option: TrustpointOption, args: Args) -> str:
    """What followed the option's words, as its text: the keywords (revocation methods,
    ``serial-number none``), then each captured argument in the grammar's order."""
    values = [str(args[name]) for name in map(str.lower, _PLACEHOLDER.findall(option.args)) if name in args]
    return " ".join(args.kw[len(option.words.split()):] + values)


def _option_handler(option: TrustpointOption) -> Handler:
    """The handler of one option's ``WORDS ARGS`` and ``no WORDS [ARGS]`` forms."""

    def handler(session: Session, args: Args) -> None:
        tp = _tp(session)
        if args.no:
            option.reset(tp)
        else:
            option.parse(tp, _argument_text(option, args))

    handler.__name__ = handler.__qualname__ = option.key
    handler.__doc__ = option.help
    return handler


@command(CONFIG, "crypto {ca | pki} trustpoint NAME")
def trustpoint(session: Session, args: Args) -> None:
    """Declare a trustpoint (or open an existing one) and enter ca-trustpoint mode."""
    tp = session.pki.trustpoints.declare(args["name"])
    session.enter(TRUSTPOINT, tp.name)


@command(CONFIG, "no crypto {ca | pki} trustpoint NAME")
def no_trustpoint(session: Session, args: Args) -> None:
    """Remove a trustpoint with every certificate, CRL and pending request under it."""
    name = args["name"]
    if session.pki.trustpoints.removal_preview(name).certificates:
        if not session.confirm("% Removing an enrolled trustpoint will destroy all certificates received "
                               "from the related Certificate Authority.\nAre you sure you want to do this? [yes/no]: "):
            return
    for item in session.pki.trustpoints.remove(name):
        session.print(f"% Removed {item}")


@command(CONFIG, "crypto {ca | pki} certificate chain NAME")
def certificate_chain(session: Session, args: Args) -> None:
    """Enter certificate chain mode for a trustpoint (``no certificate SERIAL`` lives there)."""
    session.enter(CERT_CHAIN, session.pki.trustpoints.get(args["name"]).name)


def _register_options() -> None:
    """Register ``no WORDS [ARGS]`` and ``WORDS ARGS`` for every option of the table (in that
    order, as stacked decorators did), except secrets, which have a handler of their own."""
    for option in OPTIONS:
        if option.secret:
            continue
        no_spec = option.no_syntax or f"{option.words} {_optional(option.args)}".strip()
        handler = command(T, f"no {no_spec}", help=option.summary)(_option_handler(option))
        command(T, f"{option.words} {option.args}".strip(), help=option.summary)(handler)


_register_options()

def _secret_handler(option: TrustpointOption, ask: str, hint: str) -> Handler:
    """The handler of a secret option: ``WORDS SECRET``, ``WORDS 7 SEALED`` (as show
    running-config writes it: reversible only with this store's secret), ``WORDS`` alone (asked)
    and ``no WORDS``."""

    def handler(session: Session, args: Args) -> None:
        tp = _tp(session)
        if args.no:
            option.reset(tp)
        elif "sealed" in args:
            try:
                option.parse(tp, session.pki.box.open(args["sealed"]))
            except (StoreError, ValueError):
                # A running-config from another store: rebuild the rest, but say what is missing.
                option.reset(tp)
                session.warn(f"% Warning: trustpoint {tp.name}: this '{option.words} 7' was sealed by another store; "
                             f"the {hint} is NOT set.\n% Enter it again: {option.words} SECRET")
        elif "secret" in args:
            option.parse(tp, args["secret"])
        else:
            option.parse(tp, session.ask_secret(
                ask, refuse_hint=f"Give it on the line in a script: {option.words} SECRET"))

    handler.__name__ = handler.__qualname__ = option.key
    handler.__doc__ = option.help
    return handler


def _register_secrets() -> None:
    """``WORDS [SECRET]``, ``WORDS 7 SEALED`` and ``no WORDS [SECRET]`` of each secret option."""
    asked = {"password": ("Challenge password: ", "challenge password"),
             "deploy_key_password": ("Deployed key password: ", "deployed key's password")}
    for option in OPTIONS:
        if option.secret:
            ask, hint = asked[option.key]
            handler = _secret_handler(option, ask, hint)
            for spec in (f"no {option.words} {_optional(option.args)}", f"{option.words} 7 SEALED",
                         f"{option.words} {option.args}"):
                command(T, spec, help=option.summary)(handler)


_register_secrets()


def trustpoint_lines(tp: Trustpoint, pki: Pki) -> list[str]:
    """The ``crypto pki trustpoint`` block of ``show running-config`` for ``tp``."""
    # A password is written like IOS's "password 7": reversible only with this store's secret.
    return [f"crypto pki trustpoint {tp.name}"] + [" " + line for line in config_lines(tp, pki.box.seal)]


@running_config_section(40, "trustpoints")
def render_trustpoints(pki: Pki) -> list[str]:
    """Every trustpoint, separated by ``!``."""
    lines: list[str] = []
    for tp in pki.trustpoints.list():
        if lines:
            lines.append("!")
        lines += trustpoint_lines(tp, pki)
    return lines
