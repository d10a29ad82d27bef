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
