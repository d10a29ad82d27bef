"""pkitui: give a Linux host a PKI identity the way Cisco IOS ``crypto pki`` does.

The Python API is the service layer in :mod:`pkitui.core`; :class:`Pki` is its entry point::

    from pkitui import Pki
    pki = Pki.open("/var/lib/pkitui")
    pki.identity.set_hostname("r1")
"""

from pkitui.core.errors import PkiError
from pkitui.core.pki import Pki

__all__ = ["Pki", "PkiError"]
__version__ = "0.1.0"
