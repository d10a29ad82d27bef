"""pki.scep.prepare_enrollment: what crypto pki enroll will do, answered without any network;
enroll asks for the challenge password only once the prerequisites are met."""

from __future__ import annotations

from pathlib import Path

import pytest

from pkitui.core.errors import IdentityError, PkiError, TrustpointError
from pkitui.core.pki import Pki
from pkitui.core.records import PendingEnrollment


def _device(tmp_path: Path) -> Pki:
    pki = Pki.open(tmp_path / "store")
    pki.trustpoints.declare("lab")
    return pki


def test_a_bare_trustpoint_lists_every_missing_prerequisite(tmp_path: Path) -> None:
    plan = _device(tmp_path).scep.prepare_enrollment("lab")
    assert not plan.ready and not plan.resuming and plan.needs_password
    messages = [m.message for m in plan.missing]
    assert "not yet authenticated" in messages[0]
    assert any(isinstance(m, IdentityError) for m in plan.missing)  # no FQDN: no key label, no subject
    assert sum(isinstance(m, IdentityError) for m in plan.missing) == 1  # said once
    assert "has no enrollment URL" in messages[-1]
    with pytest.raises(TrustpointError, match="not yet authenticated"):
        plan.raise_missing()


def test_the_password_is_not_asked_before_the_prerequisites_pass(tmp_path: Path) -> None:
    pki = _device(tmp_path)
    asked: list[bool] = []
    with pytest.raises(PkiError, match="not yet authenticated"):
        pki.scep.enroll("lab", ask_password=lambda: asked.append(True) or "secret")
    assert asked == []


def test_a_configured_password_and_subject_are_in_the_plan(tmp_path: Path) -> None:
    pki = _device(tmp_path)
    pki.set_hostname("r1")
    pki.set_domain_name("example.com")
    tp = pki.trustpoints.get("lab")
    tp.set_password("s3cret")
    plan = pki.scep.prepare_enrollment("lab")
    assert plan.subject == "hostname=r1.example.com,cn=r1.example.com" and not plan.needs_password


def test_a_pending_transaction_is_resumed(tmp_path: Path) -> None:
    pki = _device(tmp_path)
    pki.config.pending.append(PendingEnrollment(trustpoint="lab", key_id="k", transaction_id="t1"))
    plan = pki.scep.prepare_enrollment("lab")
    assert plan.resuming and plan.ready and plan.missing == []
    plan.raise_missing()  # nothing to raise: resuming needs no new request
