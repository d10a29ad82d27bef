"""Intermediate CA certificates seen on verified peer paths, kept to verify their CRLs later.

A CRL issued by an intermediate CA must be verified with that CA's key, every time it is used
(a held CRL file lives outside the process). The intermediate's certificate is known while a peer
presents its chain; to verify a held CRL after a restart (``show crypto pki crls``, the CRL viewer)
the path from the intermediate up to the trustpoint CA is kept in the store's cache directory
(outside the NVRAM budget, like a router's RAM; never in query mode). A kept path is trusted only
after each certificate in it is verified again as issued by the next one, the last by the
trustpoint CA, each a CA certificate valid now.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pkitui.core.store import atomic_write


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def path_is_valid(path: list[x509.Certificate], ca: x509.Certificate, now: datetime | None = None) -> bool:
    """True when ``path`` (an intermediate first, up to just below ``ca``) chains to ``ca``: each
    certificate signed by the next (the last by ``ca``), each a CA certificate valid ``now``."""
    now = now or datetime.now(timezone.utc)
    if not path:
        return False
    for cert, parent in zip(path, [*path[1:], ca], strict=True):
        if not _is_ca(cert) or not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return False
        try:
            cert.verify_directly_issued_by(parent)
        except Exception:  # noqa: BLE001 - any failure (signature, names, key type) breaks the path
            return False
    return True


class IssuerCache:
    """Intermediate CAs per trustpoint: in memory, and on disk unless ``persist()`` says no."""

    def __init__(self, directory: Callable[[], Path], persist: Callable[[], bool],
                 now: Callable[[], datetime] | None = None) -> None:
        self._directory = directory
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._persist = persist
        self._known: dict[tuple[str, bytes], x509.Certificate] = {}

    def _file(self, tp: str, name_der: bytes) -> Path:
        digest = hashlib.sha256(tp.encode() + b"\0" + name_der).hexdigest()[:40]
        return self._directory() / f"issuer-{digest}.pem"

    def note(self, tp: str, chain: list[x509.Certificate]) -> None:
        """Remember the intermediates of ``chain`` (peer first, trustpoint CA last), a path that
        was just verified to ``tp``'s CA."""
        for i in range(1, len(chain) - 1):
            cert = chain[i]
            name = cert.subject.public_bytes()
            self._known[(tp, name)] = cert
            if not self._persist():
                continue
            data = b"".join(c.public_bytes(Encoding.PEM) for c in chain[i:-1])
            target = self._file(tp, name)
            try:
                if not target.exists() or target.read_bytes() != data:
                    atomic_write(target, data, 0o644)
            except OSError:
                pass  # only a convenience for later: the check itself does not need it

    def remember(self, tp: str, cert: x509.Certificate) -> None:
        """Remember one intermediate CA (in memory) that was verified as the issuer of a checked certificate."""
        self._known[(tp, cert.subject.public_bytes())] = cert

    def get(self, tp: str, name_der: bytes, ca: x509.Certificate) -> x509.Certificate | None:
        """The intermediate CA named ``name_der`` under ``tp``'s CA ``ca``; a kept path is verified again."""
        known = self._known.get((tp, name_der))
        if known is not None:
            return known
        try:
            data = self._file(tp, name_der).read_bytes()
            path = x509.load_pem_x509_certificates(data)
        except (OSError, ValueError):
            return None
        if path[0].subject.public_bytes() != name_der or not path_is_valid(path, ca, self._now()):
            return None
        self._known[(tp, name_der)] = path[0]
        return path[0]
