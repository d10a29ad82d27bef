"""TFTP (tftpy): downloads for ``root tftp SERVER FILE`` and ``copy tftp://... running-config``,
uploads for ``copy running-config tftp://...``; one deadline for the whole transfer and, down, a
size cap checked at every block.

The transfer runs inside its :class:`~pkitui.core.deadline.Deadline` (so a front end sees the wait
and may cancel it) with the transfer's UDP socket registered: at the deadline or a Cancel the
watchdog wakes the blocked receive at once (:func:`pkitui.core.deadline.cut`), and the transfer
ends with the deadline's error or :class:`~pkitui.core.deadline.OperationCancelled`."""

from __future__ import annotations

import io
import logging
from typing import Any

from pkitui.core import net
from pkitui.core.deadline import Deadline, OperationCancelled, deadline_for
from pkitui.core.errors import PkiError

DEFAULT_PORT = 69
TIMEOUT: float | None = None  # None: deadline_for() (the run's --timeout, the trustpoint's, or 30 s)
PACKET_TIMEOUT = 3.0  # the longest wait for one packet before resending (shorter when the deadline is)
MAX_SIZE = net.SMALL_REPLY_BYTES  # a CA certificate or chain; anything bigger is not what we asked for


class _Stop(Exception):
    """Raised from tftpy's packet hook to end a transfer (deadline or size)."""


class TftpError(PkiError):
    """A TFTP transfer failed (server unreachable, file not found, too large)."""


def split_server(server: str) -> tuple[str, int]:
    """``host`` or ``host:port`` → (host, port)."""
    host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
    if not host:
        host, port = server, ""
    return host, int(port) if port else DEFAULT_PORT


def download(server: str, filename: str, timeout: float | None = TIMEOUT, retries: int = 2, *,
             max_size: int = MAX_SIZE, what: str = "a CA certificate",
             hint: str = "Check the file and the server given to root tftp") -> bytes:
    """The content of ``filename`` on TFTP ``server`` (``host[:port]``), octet mode, within one
    deadline (``timeout``, default :func:`deadline_for`) and ``max_size`` bytes (checked per block);
    ``what`` and ``hint`` name the file and the command in errors."""
    import tftpy
    from tftpy import TftpContexts

    host, port = split_server(server)
    # tftpy logs every packet at INFO level and an error traceback on failure: keep it quiet.
    logging.getLogger("tftpy").setLevel(logging.CRITICAL)
    seconds = timeout or deadline_for()
    deadline = Deadline(seconds)
    per_packet = max(0.05, min(PACKET_TIMEOUT, seconds / max(retries, 1)))
    out = io.BytesIO()
    received = [0]

    def hook(packet: Any) -> None:
        received[0] += len(getattr(packet, "data", b"") or b"")
        if received[0] > max_size:
            raise _Stop(f"TFTP: {filename!r} on {host}:{port} is larger than {max_size:,} bytes "
                        f"({net.size_text(max_size)}), too large for {what}; transfer stopped")
        if deadline.passed():
            raise _Stop(f"TFTP: {host}:{port} did not send {filename!r} completely within {seconds:g} s")

    late = f"TFTP: {host}:{port} did not send {filename!r} within {seconds:g} s"
    try:
        with deadline:
            context = TftpContexts.TftpContextClientDownload(host, port, filename, out, {}, hook, per_packet,
                                                             retries=retries, flock=False)
            _transfer(context, deadline, late)
    except _Stop as exc:
        raise TftpError(str(exc), hint
                        + (" (or allow more time: enrollment timeout SECONDS)." if "within" in str(exc) else ".")
                        ) from None
    except tftpy.TftpShared.TftpFileNotFoundError:
        raise TftpError(f"TFTP: file {filename!r} not found on {host}:{port}", f"{hint}.") from None
    except tftpy.TftpShared.TftpTimeout:
        raise TftpError(late, "Check that the TFTP server is up and reachable (UDP).") from None
    except (tftpy.TftpShared.TftpException, OSError) as exc:
        raise TftpError(f"TFTP download of {filename!r} from {host}:{port} failed: {exc}",
                        "Check that the TFTP server is up and reachable (UDP).") from None
    data = out.getvalue()
    if not data:
        raise TftpError(f"TFTP: {filename!r} on {host}:{port} is empty")
    return data


def _transfer(context: Any, deadline: Deadline, late: str) -> None:
    """Run a tftpy client context (download or upload) with its socket cut by ``deadline``."""
    deadline.register(context.sock)
    try:
        with context:
            context.start()
    except Exception:
        if deadline.cancelled:
            raise OperationCancelled(f"Cancelled after {deadline.elapsed():.1f} s (of the {deadline.seconds:g} s "
                                     "deadline): the transfer was stopped, nothing received was used",
                                     "Run it again when the TFTP server answers.") from None
        if deadline.expired:  # the watchdog woke the receive: tftpy saw an empty packet
            raise _Stop(late) from None
        raise


def upload(server: str, filename: str, data: bytes, timeout: float | None = TIMEOUT, retries: int = 2) -> None:
    """Send ``data`` as ``filename`` to TFTP ``server`` (``host[:port]``), octet mode, within one
    deadline (``timeout``, default :func:`deadline_for`). The server must allow it: tftpd-hpa
    creates a new file only when started with ``-c`` and the directory is writable to its user."""
    import tftpy
    from tftpy import TftpContexts

    host, port = split_server(server)
    logging.getLogger("tftpy").setLevel(logging.CRITICAL)
    seconds = timeout or deadline_for()
    deadline = Deadline(seconds)
    per_packet = max(0.05, min(PACKET_TIMEOUT, seconds / max(retries, 1)))

    def hook(packet: Any) -> None:
        if deadline.passed():
            raise _Stop(f"TFTP: {host}:{port} did not take {filename!r} completely within {seconds:g} s")

    where = f"TFTP upload of {filename!r} to {host}:{port}"
    try:
        with deadline:
            # flock=False: no file to lock, the data is in memory
            context = TftpContexts.TftpContextClientUpload(host, port, filename, io.BytesIO(data), {}, hook,
                                                           per_packet, retries=retries, flock=False)
            _transfer(context, deadline, f"{where}: no answer within {seconds:g} s")
    except _Stop as exc:
        raise TftpError(str(exc), "Check that the TFTP server is up (or allow more time: pkitui exec "
                        "--timeout SECONDS).") from None
    except tftpy.TftpShared.TftpTimeout:
        raise TftpError(f"{where}: no answer within {seconds:g} s",
                        "Check that the TFTP server is up and reachable (UDP).") from None
    except (tftpy.TftpShared.TftpException, OSError) as exc:
        detail = " ".join(str(exc).split())  # tftpy's ERR text spans lines
        if "File not found" in detail or "errorcode = 1" in detail:
            detail = "the server refused to create the file (TFTP error 1, File not found)"
        raise TftpError(f"{where} failed: {detail}",
                        "Check that the server accepts uploads of new files (tftpd-hpa: -c, and a directory "
                        "its user may write) and the file name.") from None
