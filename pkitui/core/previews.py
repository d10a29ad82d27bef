"""What an action will do, answered before it runs, once for both front ends.

``crypto key zeroize rsa`` asks for a confirmation in the console and says what it found in
``pkitui exec``: both read the same :class:`ZeroizePreview` instead of walking the running
configuration's records themselves. Pure functions over the records they are given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pkitui.core.keys import KeyPair
from pkitui.core.records import StoredCertificate


@dataclass(frozen=True)
class ZeroizePreview:
    """What ``crypto key zeroize rsa [LABEL]`` would destroy (``key_ids``) and which
    certificates bound to those keys it would mark orphaned (``orphans``), as
    :meth:`pkitui.core.keyring.KeyRing.zeroize` does."""

    label: str | None
    key_ids: list[str]
    orphans: list[StoredCertificate]

    @property
    def empty(self) -> bool:
        """True when there is no key pair to zeroize."""
        return not self.key_ids

    @property
    def title(self) -> str:
        """The question to confirm: 'Zeroize RSA key pair LABEL?'."""
        what = f"RSA key pair {self.label}" if self.label is not None else "every RSA key pair"
        return f"Zeroize {what}?"

    @property
    def when(self) -> str:
        """When the keys are really gone, said precisely (as on a router: zeroize changes the
        running configuration; NVRAM keeps the saved keys until the next save)."""
        return ("The keys leave the running configuration now and are erased from NVRAM at the next save "
                "(copy running-config startup-config, ctrl+s in the console); until then, quitting without "
                "saving keeps the saved keys.")

    def lines(self) -> list[str]:
        """What goes, a line each: the keys removed, then the certificates orphaned, then when."""
        return ([f"key {k} is removed" for k in self.key_ids]
                + [f"{c.trustpoint} {c.role} certificate {c.sha256[:16]}… is bound to these keys" for c in self.orphans]
                + [self.when])


def zeroize_preview(key_pairs: Mapping[str, KeyPair], certificates: Iterable[StoredCertificate],
                    label: str | None = None) -> ZeroizePreview:
    """The key pairs of ``label`` (all when None) and the certificates bound to them that are
    not orphaned yet (``config.key_pairs``, ``config.certificates``)."""
    key_ids = [k for k, p in key_pairs.items() if label is None or p.label == label]
    orphans = [c for c in certificates if c.key_id in key_ids and not c.orphaned]
    return ZeroizePreview(label, key_ids, orphans)
