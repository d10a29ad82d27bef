"""One rule for a trustpoint's status (TrustpointService.status): the console's title line and
``show crypto pki trustpoints`` render the same facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from pkitui.core.errors import TrustpointError
from pkitui.core.records import PendingEnrollment
from pkitui.ios.session import Session
from tui_support import fixed_pki


def test_status_counts_the_ca_device_certificates_and_pending(tmp_path: Path) -> None:
    pki = fixed_pki(tmp_path / "store")
    pki.config.pending.append(PendingEnrollment(trustpoint="lab", key_id="k", transaction_id="t1"))
    status = pki.trustpoints.status("lab")
    ca = next(c for c in pki.config.certificates if c.role == "ca")
    assert (status.authenticated, status.ca_sha256, status.device_certificates, status.pending) == (
        True, ca.sha256, 1, 1)
    lines: list[str] = []
    Session(pki, out=lines.append, err=lines.append).execute("show crypto pki trustpoints lab")
    assert "    Certificate configured." in lines
    assert "    Device certificates: 1" in lines and "    Pending enrollment requests: 1" in lines


def test_a_bare_trustpoint_is_not_authenticated(tmp_path: Path) -> None:
    pki = fixed_pki(tmp_path / "store", certificates=False)
    status = pki.trustpoints.status("lab")
    assert not status.authenticated and status.device_certificates == 0 and status.pending == 0
    with pytest.raises(TrustpointError, match="does not exist"):
        pki.trustpoints.status("nope")
