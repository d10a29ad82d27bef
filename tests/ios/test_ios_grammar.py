"""The spec grammar and the parser: abbreviations, modes, prompts and IOS error forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from ios_support import recorder
from pkitui.ios.grammar import Args, compile_spec, tokenize
from pkitui.ios.parser import Match, ParseFailure, parse, strip_prompt
from pkitui.ios.registry import CONFIG, EXEC, PUBKEY_KEY, TRUSTPOINT, USER_EXEC


def _match(spec: str, line: str) -> list[Args]:
    toks = tokenize(line)
    from pkitui.ios.grammar import Tracker

    return [Args(c) for j, c in compile_spec(spec).match(toks, line, 0, (), Tracker()) if j == len(toks)]


def test_spec_keywords_arguments_ranges_and_rest() -> None:
    assert _match("enrollment retry period MINUTES:1-60", "enrollment retry period 5")[0]["minutes"] == 5
    assert _match("enrollment retry period MINUTES:1-60", "enrollment retry period 61") == []
    assert _match("subject-name DN...", "subject-name CN=a  b, O=x")[0]["dn"] == "CN=a  b, O=x"
    [args] = _match("no hostname [NAME]", "no hostname")
    assert args.no and "name" not in args


def test_repeated_options_any_order() -> None:
    spec = "crypto key generate rsa [general-keys | usage-keys | label LABEL | modulus BITS:int | exportable]*"
    [args] = _match(spec, "crypto key generate rsa modulus 1024 exportable label k1 usage-keys")
    assert args["bits"] == 1024 and args["label"] == "k1"
    assert {"exportable", "usage-keys"} <= args.words


@pytest.mark.parametrize("line", ["Device(config)# hostname r1", "  r1(ca-trustpoint)#hostname r1",
                                  "Device>hostname r1", "\thostname r1  ", "Device(ca-profile-enroll)# hostname r1"])
def test_prompts_and_indentation_are_stripped(line: str) -> None:
    assert strip_prompt(line) == "hostname r1"


def test_abbreviations() -> None:
    m = parse(EXEC, "conf t")
    assert isinstance(m, Match) and m.command.spec == "configure terminal"
    m = parse(EXEC, "sh run")
    assert isinstance(m, Match) and "running-config" in m.command.spec
    m = parse(EXEC, "copy run start")
    assert isinstance(m, Match) and m.command.handler.__name__ == "save"
    m = parse(TRUSTPOINT, "enr ret per 2")
    assert isinstance(m, Match) and m.args["minutes"] == 2


def test_ambiguous_command() -> None:
    f = parse(EXEC, "c t")
    assert isinstance(f, ParseFailure) and f.kind == "ambiguous"
    assert {"configure", "copy"} <= set(f.expected)
    f = parse(TRUSTPOINT, "e url http://ca")
    assert isinstance(f, ParseFailure) and f.kind == "ambiguous" and f.pos == 0
    assert {"end", "enrollment", "exit"} <= set(f.expected)
    f = parse(TRUSTPOINT, "enrollment r 3")  # "r" is retry (mode ra needs "mode" first)
    assert isinstance(f, ParseFailure) and f.kind == "invalid" and f.expected == ["count", "period"]


def test_incomplete_command() -> None:
    f = parse(TRUSTPOINT, "enrollment url")
    assert isinstance(f, ParseFailure) and f.kind == "incomplete" and f.expected == ["URL"]


def test_fallbacks_between_modes() -> None:
    # a sub-mode hands a global command to config, config hands show to exec, exec takes config
    assert isinstance(parse(TRUSTPOINT, "crypto pki trustpoint other"), Match)
    m = parse(CONFIG, "show running-config")
    assert isinstance(m, Match) and m.mode == EXEC
    m = parse(EXEC, "hostname r1")
    assert isinstance(m, Match) and m.mode == CONFIG
    assert isinstance(parse(USER_EXEC, "hostname r1"), ParseFailure)
    m = parse(PUBKEY_KEY, "named-key peer2")
    assert isinstance(m, Match) and m.mode == "pubkey-chain"


def test_invalid_input_caret_under_bad_word(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    rec.ok("configure terminal\ncrypto pki trustpoint ka")
    err = rec.fail("   enrollment retry period x")
    echo, caret = err[0], err[1]
    assert echo == "Device(ca-trustpoint)#enrollment retry period x"
    assert caret.index("^") == echo.index(" x") + 1
    assert err[2] == "% Invalid input detected at '^' marker."
    assert err[3].startswith("Expected:") and "MINUTES" in err[3]


def test_invalid_keyword_hint_lists_valid_words(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    err = rec.fail("crypto key generate dsa")
    assert err[1].index("^") == err[0].index("dsa")
    assert "rsa" in err[3]
    err = rec.fail("hostname r1 extra")
    assert err[1].index("^") == err[0].index("extra") and "end of line" in err[3]


def test_incomplete_and_ambiguous_messages(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    err = rec.fail("crypto pki trustpoint")
    assert err == ["% Incomplete command.", "Expected: NAME"]
    err = rec.fail("c t")
    assert err[0] == '% Ambiguous command:  "c t"' and err[1].startswith("Could be:")


def test_comments_and_blank_lines_are_ignored(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    rec.ok("!\n! a comment\n\n   \nDevice# !\nhostname r9")
    assert rec.pki.config.identity.hostname == "r9"


def first_words(lines: list[str]) -> list[str]:
    return [line.split()[0] for line in lines]


def test_question_mark_lists_next_words(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    assert first_words(rec.ok("show crypto key mypubkey rsa ?")) == ["pem", "LABEL", "|", "<cr>"]
    assert first_words(rec.ok("sh?")) == ["show"]
    rec.ok("conf t\ncrypto pki trustpoint ka")
    assert first_words(rec.ok("enrollment ?")) == ["command", "http-proxy", "mode", "retry", "terminal", "timeout",
                                                   "url"]
    assert first_words(rec.ok("enrollment retry period ?")) == ["<MINUTES>"]
    assert first_words(rec.ok("do show ?"))[0] == "crypto"
    assert rec.session.errors == 0
    assert rec.session.completions("revocation-check crl o") == ["ocsp"]


def test_question_mark_shows_each_words_help_from_the_option_table(tmp_path: Path) -> None:
    """IOS's ``?`` prints each next word with its help in a column; in ca-trustpoint mode an
    option's help is the option table's short line (pkitui.core.trustpoint_options), a word shared
    by several options and an argument their own (pkitui.ios.help_texts)."""
    from pkitui.core.trustpoint_options import OPTIONS_BY_KEY

    rec = recorder(tmp_path)
    rec.ok("conf t\ncrypto pki trustpoint ka")
    lines = rec.ok("enrollment ?")
    url = next(line for line in lines if line.split()[0] == "url")
    assert url.split(None, 1)[1] == OPTIONS_BY_KEY["enrollment_url"].summary
    period = rec.ok("enrollment retry ?")[1]
    assert period.split(None, 1) == ["period", OPTIONS_BY_KEY["enrollment_retry_period"].summary]
    columns = {len(line) - len(line[2:].split(None, 1)[1]) for line in lines if len(line.split()) > 1}
    assert len(columns) == 1, "the help column is aligned"
    retry = next(line for line in lines if line.split()[0] == "retry")
    assert retry.split(None, 1) == ["retry", "Polling parameters"], "a word shared by two options has its own help"
    assert rec.ok("enrollment retry period ?") == ["  <MINUTES>  Minutes between polls (1-60)"]


def test_do_failure_counts_as_an_error(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    rec.ok("conf t")
    assert rec.session.run_lines(["do show bogus", "hostname r1"]) == 1
    assert rec.pki.config.identity.hostname is None  # stopped at the failing do
