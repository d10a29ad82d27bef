'''The IOS command language: parse a line, call the service layer, render the result.

Used by ``pkitui exec`` (scripts) and by the console's ``:`` command line, both through a
:class:`~pkitui.ios.session.Session`::

    from pkitui import Pki
    from pkitui.ios import Session
    session = Session(Pki.open(store_dir), out=print, err=print, json=False, force=False,
                      confirm=None, ask_secret=None, mode=EXEC)   # all keywords optional
    session.execute("crypto pki trustpoint ka")     # -> True, or False after printing an error
    session.prompt                                  # "Device(ca-trustpoint)#"
    session.completions("enrollment re")            # ["retry"]  (a line ending in "?" prints them)
    session.collecting                              # True inside a key-string block (until quit)

``execute`` lets only PkiError become an error message; any other exception is a bug and
propagates (``pkitui exec`` turns it into a one-line internal error and exit status 3; the
console should do the same in its worker).

Modes (``pkitui.ios.registry``): ``USER_EXEC`` (``Device>``), ``EXEC`` (``Device#``), ``CONFIG``
(``Device(config)#``), ``TRUSTPOINT`` (``(ca-trustpoint)#``, context: the Trustpoint),
``PUBKEY_CHAIN``, ``PUBKEY_KEY`` (context: the PeerKey), ``CERT_CHAIN`` (context: the
trustpoint name). A line not valid in a sub-mode is tried in its parent modes (leaving the
sub-mode, as IOS does), then as an exec command; in privileged exec a configuration command
implies ``configure terminal``.

The command registry
--------------------
Each feature registers its commands from its own module ``pkitui/ios/<feature>_commands.py``;
every module named ``*_commands.py`` in this package is imported automatically (no edit
elsewhere). A command is a spec in IOS documentation syntax plus a handler
``handler(session, args) -> None``:

- ``word`` keyword (unique prefixes accepted: ``conf t``), ``NAME`` one word captured as
  ``args["name"]``, ``NAME:1-60`` a number in a range (converted to int, caret on a bad one),
  ``NAME...`` the rest of the line verbatim, ``[a | b]`` optional, ``{a | b}`` choice,
  ``[...]*`` repeatable in any order. ``args.words`` holds the keywords given (full spelling),
  ``args.kw`` the same in order, ``args.no`` is true for the ``no`` form.
- ``?`` help: the command's ``help=`` or its docstring's first sentence (plain, short: IOS's
  lines are). Its arguments (each keyword and ``NAME`` after the command's leading keywords),
  and a leading word several commands share, get their own line in :mod:`pkitui.ios.help_texts`
  (``ARG_HELP`` / ``NAME_HELP``, keyed by the command's name); tests/ios/test_ios_help.py fails
  for a word ``?`` would list without one.
- Handlers raise :class:`pkitui.core.errors.PkiError` subclasses: the session prints
  ``% message`` and the hint (never a traceback) and counts the error.
- A handler that runs a nested line (like ``do``) and sees it fail raises ``AlreadyReported``.
- Output: ``session.print(text)`` for messages, ``session.show(data, text)`` for ``show``
  commands (``data`` must be JSON-serialisable; it is printed instead of ``text`` under
  ``--json``), ``session.warn(text)`` for warnings.
- Interaction: ``session.confirm("Accept? [yes/no]: ")`` returns bool, answers yes under
  ``--force`` and raises NeedsConfirmation when nobody can answer; ``session.ask_secret(prompt,
  refuse_hint=...)``; ``session.collect_block(on_done)`` takes the next raw lines up to ``quit``.
- Keep heavy imports (requests, ldap3, asn1crypto ...) inside the handler: ``pkitui exec``
  imports every command module at start-up.
- ``@running_config_section(order, name)`` adds lines to ``show running-config``
  (order: identity 10, query mode 20, trustpoints 40, pubkey chain 60, certificate chains 80).

Worked example (``pkitui/ios/scep_commands.py``)::

    from pkitui.ios.registry import CONFIG, command

    @command(CONFIG, "crypto {pki | ca} authenticate NAME")
    def authenticate(session, args):
        """Get the CA certificate and have its fingerprint confirmed."""
        tp = session.pki.trustpoints.get(args["name"])     # TrustpointError if unknown
        def ask(candidate):
            session.print("Certificate has the following attributes: ...")
            return session.confirm("% Do you accept this certificate? [yes/no]: ")
        cand = session.pki.ca_trust.authenticate(tp, confirm=ask)
        session.print("% Certificate successfully imported")

    @command(EXEC, "show crypto pki certificates [NAME]")
    def show_certificates(session, args):
        infos = session.pki.certificates.list(args.get("name"))
        session.show([i.as_json() for i in infos], render_lines(infos))
'''

from pkitui.ios.grammar import Args
from pkitui.ios.registry import (
    CERT_CHAIN,
    CONFIG,
    EXEC,
    PUBKEY_CHAIN,
    PUBKEY_KEY,
    TRUSTPOINT,
    USER_EXEC,
    command,
    register_mode,
    running_config_section,
)
from pkitui.ios.session import AlreadyReported, NeedsConfirmation, Session

__all__ = [
    "Args", "CERT_CHAIN", "CONFIG", "EXEC", "PUBKEY_CHAIN", "PUBKEY_KEY", "TRUSTPOINT", "USER_EXEC",
    "AlreadyReported", "NeedsConfirmation", "Session", "command", "register_mode", "running_config_section",
]
