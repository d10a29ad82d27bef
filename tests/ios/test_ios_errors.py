"""IOS's ``% `` is added to a core message in one place, for the session and for ``pkitui exec``."""

from __future__ import annotations

from pkitui.core.errors import KeyPairError, StoreError
from pkitui.ios.errors import ios_error_lines


def test_the_core_message_gets_the_prefix_and_the_hint_its_own_line() -> None:
    exc = KeyPairError("Key pair 'zz' does not exist", "See: show crypto key mypubkey rsa")
    assert ios_error_lines(exc) == ["% Key pair 'zz' does not exist", "See: show crypto key mypubkey rsa"]


def test_no_hint_no_second_line_and_no_second_prefix() -> None:
    assert ios_error_lines(StoreError("Not saved:\n  trustpoint a")) == ["% Not saved:\n  trustpoint a"]
    assert ios_error_lines(StoreError("% Already in IOS's words")) == ["% Already in IOS's words"]


def test_no_core_message_carries_ios_prefix() -> None:
    """IOS's ``% `` is the IOS layer's to add: no string the core builds starts with it."""
    import ast
    from pathlib import Path

    core = Path(__file__).resolve().parents[2] / "pkitui" / "core"
    found = []
    for path in sorted(core.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            first = node.values[0] if isinstance(node, ast.JoinedStr) and node.values else node
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith("% "):
                found.append(f"{path.relative_to(core)}:{node.lineno}")
    assert not found, found
