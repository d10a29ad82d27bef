"""How IOS shows an error: the one place that adds IOS's ``% `` to a core message.

Core messages carry no ``% `` (the console shows them as they are); the IOS session and
``pkitui exec``'s last line of defence both print an error with :func:`ios_error_lines`.
"""

from __future__ import annotations

from pkitui.core.errors import PkiError


def ios_error_lines(exc: PkiError) -> list[str]:
    """``% message`` (the message's own lines follow unchanged), then the hint line if any.

    A message raised in the IOS layer that already starts with ``%`` is not given a second one."""
    message = exc.message if exc.message.startswith("%") else f"% {exc.message}"
    return [message, exc.hint] if exc.hint else [message]
