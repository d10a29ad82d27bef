"""IOS's ``?``: what it lists in each kind of session, and a short help of its own for every word."""

from __future__ import annotations

from pathlib import Path

import pytest

from ios_support import recorder
from pkitui.ios.grammar import Arg, Choice, Kw, Node, Opt, Rest, Seq, name_words
from pkitui.ios.parser import EOL, help_entries, word_help
from pkitui.ios.registry import COMMANDS, load_commands
from pkitui.ios.session import help_text

SHORT = 60  # IOS's help lines are short; ours too, so that none wraps at 80 columns


def words(lines: list[str]) -> list[str]:
    return [line.split()[0] for line in lines]


def helps(lines: list[str]) -> dict[str, str]:
    return {line.split()[0]: (line.split(None, 1) + [""])[1] for line in lines}


def test_a_script_lists_the_configuration_commands_it_runs_from_exec(tmp_path: Path) -> None:
    """A script starts at Device# and runs configuration commands there (an implicit configure
    terminal): ``?`` lists them too, the line's arguments included."""
    rec = recorder(tmp_path)  # a script's session: implicit_configure
    pki = words(rec.ok("crypto pki ?"))
    assert {"authenticate", "cert", "deploy", "enroll", "export", "import", "trustpoint", "verify"} <= set(pki), pki
    assert words(rec.ok("crypto pki export ?")) == ["NAME"]
    assert words(rec.ok("crypto pki export tp ?")) == ["pem", "pkcs12"]
    assert words(rec.ok("crypto pki deploy ?")) == ["NAME", "<cr>"]
    top = words(rec.ok("?"))
    assert "hostname" in top and "show" in top and "do" not in top and "end" not in top
    assert rec.session.errors == 0


def test_a_strict_exec_prompt_lists_exec_commands_only(tmp_path: Path) -> None:
    """An interactive prompt without --lenient refuses configuration commands in exec, as IOS:
    ``?`` does not offer them."""
    rec = recorder(tmp_path, implicit_configure=False)
    assert words(rec.ok("crypto pki ?")) == ["cert", "verify"]
    assert rec.ok("crypto pki export ?") == ["% Unrecognized command"]
    assert "hostname" not in words(rec.ok("?"))


def test_arguments_have_their_own_help(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    assert helps(rec.ok("crypto pki export tp pem ?")) == {"terminal": "Display on the terminal",
                                                           "url": "Export to a URL"}
    aes = helps(rec.ok("crypto pki export tp pem terminal ?"))
    assert aes == {"3des": "Encrypt the private key with 3DES", "aes": "Encrypt the private key with AES-256"}
    assert helps(rec.ok("crypto pki export tp pem terminal aes ?")) == {
        "password": "Password that encrypts the private key"}
    rec.ok("crypto pki trustpoint tp")
    assert helps(rec.ok("auto-enroll ?")) == {"regenerate": "Generate a new key pair",
                                             "<1-100>": "Percent of the certificate's lifetime", "<cr>": ""}
    swanctl = helps(rec.ok("deploy swanctl ?"))
    assert swanctl["uri"] != swanctl["DIR"]
    assert helps(rec.ok("crl ?"))["cache"] == "How long a fetched CRL is kept"


def _atoms(node: Node) -> list[str]:
    """Every keyword and placeholder label of ``node``, as ``?`` names them."""
    if isinstance(node, Kw):
        return [node.word]
    if isinstance(node, Arg):
        return [node.label]
    if isinstance(node, Rest):
        return [node.name]
    children = node.items if isinstance(node, Seq) else node.alts if isinstance(node, Choice) else (
        [node.node] if isinstance(node, Opt) else [])
    return [a for child in children for a in _atoms(child)]


def _listed() -> list[tuple[str, str, str, str]]:
    """(mode, line, word, help) for every word ``?`` lists after each part of every command's
    name, in a script and at a strict prompt."""
    load_commands()
    seen: list[tuple[str, str, str, str]] = []
    for cmd in COMMANDS:
        if cmd.hidden:
            continue
        name = name_words(cmd.node)
        for mode in cmd.modes:
            for n in range(len(name) + 1):
                line = "".join(f"{alts[0]} " for alts in name[:n])
                for implicit in (True, False):
                    seen += [(mode, line, w, h) for w, h in help_entries(mode, line, implicit_configure=implicit)]
    return seen


def test_every_word_listed_has_a_short_plain_description() -> None:
    """IOS gives every word ``?`` lists a one-line help: no word without one, none cut or long
    (IOS's are short), no RST markup from a docstring."""
    bare = sorted({(m, line, w) for m, line, w, h in _listed() if not h and w != EOL})
    assert not bare, bare
    long = sorted({h for *_, h in _listed() if len(h) > SHORT})
    assert not long, long
    marked = sorted({h for *_, h in _listed() if "``" in h or "`" in h})
    assert not marked, marked


def test_every_argument_of_every_command_has_its_own_help() -> None:
    """What follows a command's name is described by its own line (help_texts.ARG_HELP), never by
    a copy of the whole command's help."""
    load_commands()
    missing = []
    for cmd in COMMANDS:
        if cmd.hidden:
            continue
        length = len(name_words(cmd.node))
        for atom in {a for item in cmd.node.items[length:] for a in _atoms(item)}:
            text = word_help(cmd, atom, length)
            if not text or text == cmd.help or len(text) > SHORT or "`" in text:
                missing.append((cmd.spec, atom, text))
    assert not missing, missing


def test_a_long_help_wraps_under_its_column_whole() -> None:
    """IOS wraps a long help under the description column; nothing is cut."""
    text = "word " * 30
    lines = help_text([("a", "short"), ("longer-word", text.strip())]).split("\n")
    column = len("  longer-word  ")
    assert all(len(line) < 80 for line in lines)
    assert lines[0] == "  a            short"
    assert all(line[:column].strip() == "" for line in lines[2:]) and len(lines) > 2
    assert " ".join(line.strip() for line in lines[1:]).removeprefix("longer-word ").split() == text.split()


@pytest.mark.parametrize("doc, line", [
    ("Device, RA and CA certificates, as IOS lists them (``verbose``: extensions;\n    more here).\n\nDetail.",
     "Device, RA and CA certificates, as IOS lists them (verbose: extensions; more here)."),
    ("Check a chain. And more.", "Check a chain."),
])
def test_a_command_help_is_its_docstrings_first_sentence_whole_and_plain(doc: str, line: str) -> None:
    from pkitui.ios.registry import help_line

    assert help_line(doc) == line
