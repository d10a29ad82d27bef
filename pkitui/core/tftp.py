"""TFTP downloads (tftpy), for ``root tftp SERVER FILE``."""

from __future__ import annotations

import io
import logging

from pkitui.core.errors import PkiError

DEFAULT_PORT = 69
TIMEOUT = 3
MAX_SIZE = 1024 * 1024  # a CA certificate or chain; anything bigger is not what we asked for


class TftpError(PkiError):
    """A TFTP transfer failed (server unreachable, file not found, too large)."""


def split_server(server: str) -> tuple[str, int]:
    """``host`` or ``host:port`` → (host, port)."""
    host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
    if not host:
        host, port = server, ""
    return host, int(port) if port else DEFAULT_PORT


def download(server: str, filename: str, timeout: float = TIMEOUT, retries: int = 2) -> bytes:
    """The content of ``filename`` on TFTP ``server`` (``host[:port]``), octet mode."""
    import tftpy

    host, port = split_server(server)
    # tftpy logs every packet at INFO level and an error traceback on failure: keep it quiet.
    logging.getLogger("tftpy").setLevel(logging.CRITICAL)
    out = io.BytesIO()
    try:
        client = tftpy.TftpClient(host, port)
        client.download(filename, out, timeout=timeout, retries=retries)
    except tftpy.TftpShared.TftpFileNotFoundError:
        raise TftpError(f"% TFTP: file {filename!r} not found on {host}:{port}",
                        "Check the file name given to root tftp.") from None
    except (tftpy.TftpShared.TftpException, tftpy.TftpShared.TftpTimeout, OSError) as exc:
        raise TftpError(f"% TFTP download of {filename!r} from {host}:{port} failed: {exc}",
                        "Check that the TFTP server is up and reachable (UDP).") from None
    data = out.getvalue()
    if not data:
        raise TftpError(f"% TFTP: {filename!r} on {host}:{port} is empty")
    if len(data) > MAX_SIZE:
        raise TftpError(f"% TFTP: {filename!r} is {len(data)} bytes, too large for a CA certificate")
    return data
