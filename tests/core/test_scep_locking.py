"""The enrollment's locking rule, in core: ``pki.scep.enroll`` holds ``Pki.lock`` while it builds,
sends and stores, never while a PENDING poll waits, so a save (which takes the same lock) during a
poll wait of minutes goes through at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from pkitui.core.scep.ca import fingerprints
from pkitui.core.scep.enroll import EnrollmentEvent, EnrollmentState
from scep_support import make_device
from servers.scep_responder import ScepResponder


def test_the_lock_is_free_while_a_pending_poll_waits(tmp_path: Path, responder: ScepResponder) -> None:
    responder.pending_polls = 1
    fingerprint = fingerprints(responder.ca_cert.public_bytes(serialization.Encoding.DER))["md5"]
    pki = make_device(tmp_path / "store", responder.url, fingerprint=fingerprint, ra=True)
    pki.ca_trust.authenticate("lab")
    tp = pki.trustpoints.get("lab")
    tp.enrollment_retry_period = 1
    pki.scep.seconds_per_retry_minute = 30.0  # a long wait, cancelled below
    waiting = threading.Event()
    cancel = threading.Event()
    events: list[EnrollmentEvent] = []

    def on_event(event: EnrollmentEvent) -> None:
        events.append(event)
        if event.state == EnrollmentState.PENDING and event.next_poll_at:
            waiting.set()

    results: list[object] = []
    worker = threading.Thread(target=lambda: results.extend(pki.scep.enroll("lab", on_event=on_event, cancel=cancel)))
    worker.start()
    try:
        assert waiting.wait(30)
        time.sleep(0.1)  # the worker is in its poll wait now
        assert pki.lock.acquire(blocking=False), "Pki.lock is held while a PENDING poll waits"
        pki.lock.release()
        started = time.monotonic()
        pki.save()  # takes the same lock
        assert time.monotonic() - started < 5
    finally:
        cancel.set()
        worker.join(30)
    assert [e.state for e in events] == [EnrollmentState.SENT, EnrollmentState.PENDING]
    assert pki.scep.pending("lab")  # cancelled: the transaction is kept for later
