"""pkitui: give a Linux host a PKI identity the way Cisco IOS ``crypto pki`` does.

The Python API is the service layer in :mod:`pkitui.core`; :class:`Pki` is its entry point::

    from pkitui import Pki
    pki = Pki.open("/var/lib/pkitui")
    pki.set_hostname("r1")

The layers and where each seed command lives are mapped in the README's Architecture section:
``cli`` (entry) over ``lab`` over ``tui`` (the console) over ``ios`` (the command language) over
``core`` (the service layer; ``Pki`` is its composition root).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pkitui.core.errors import PkiError
    from pkitui.core.pki import Pki

__all__ = ["Pki", "PkiError"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``Pki`` and ``PkiError`` are imported on first use (PEP 562): importing a sub-package
    (the console, the command line) does not pay for the service layer's cryptography imports
    before it needs them."""
    if name == "Pki":
        from pkitui.core.pki import Pki

        return Pki
    if name == "PkiError":
        from pkitui.core.errors import PkiError

        return PkiError
    raise AttributeError(f"module 'pkitui' has no attribute {name!r}")
