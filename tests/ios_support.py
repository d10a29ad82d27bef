"""Helpers for the IOS language tests: a Session over a temp store that records its output."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pkitui.core.pki import Pki
from pkitui.ios.session import Session



def peer_key_hex(bits: int = 1024) -> tuple[str, bytes]:
    """A fresh RSA public key as IOS hex lines and its DER."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    from pkitui.core.keys import ios_hex_lines, public_der

    der = public_der(rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key())
    return "\n".join(ios_hex_lines(der)), der


@dataclass
class Recorder:
    """A Session plus the lines it wrote to ``out`` and ``err``."""

    session: Session
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)

    def run(self, script: str, *, keep_going: bool = False) -> int:
        """Run a multi-line script; returns the number of errors."""
        return self.session.run_lines(script.splitlines(), keep_going=keep_going)

    def ok(self, script: str) -> list[str]:
        """Run ``script``, assert it raised no error, return (and clear) its output lines."""
        before = len(self.err)
        errors = self.session.errors
        self.run(script)
        assert self.session.errors == errors, "\n".join(self.err[before:])
        lines, self.out[:] = list(self.out), []
        return lines

    def fail(self, line: str) -> list[str]:
        """Run one line, assert it failed, return (and clear) the error lines."""
        self.err.clear()
        assert not self.session.execute(line), f"{line!r} unexpectedly succeeded"
        lines, self.err[:] = list(self.err), []
        return lines

    def json(self, line: str) -> Any:
        """Run a show command with --json and parse its one-line output."""
        self.out.clear()
        self.session.json = True
        try:
            assert self.session.execute(line), "\n".join(self.err)
        finally:
            self.session.json = False
        assert len(self.out) == 1, self.out
        return json.loads(self.out.pop())

    @property
    def pki(self) -> Pki:
        return self.session.pki


def recorder(store: Path, **kw: Any) -> Recorder:
    """A Recorder over the store at ``store`` (created if needed)."""
    out: list[str] = []
    err: list[str] = []
    session = Session(Pki.open(store), out=out.append, err=err.append, **kw)
    return Recorder(session, out, err)
