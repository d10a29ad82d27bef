"""A hostile server for the network bound tests: HTTP, an LDAP-ish TCP port and TFTP (UDP).

Real servers (scepserver, slapd, in.tftpd, openssl ocsp) cannot be made to misbehave, so this one
stands in. Run ``python tests/servers/hostile.py``: it listens on 127.0.0.1 (random ports), prints
``http PORT silent PORT drip PORT huge PORT tftp PORT`` and serves until its stdin closes. Nothing big
is held in memory: large bodies are generated chunk by chunk while they are sent. A test starts it
with ``with started() as ports:``.

HTTP, by path (any method, query ignored):
  /drip-headers  a status line, then one header byte every 0.5 s, forever
  /drip-body     headers (Content-Length 1 MB), then one body byte every 0.5 s
  /silent        reads the request, never answers
  /huge          200 with a 2 GB body (Content-Length 2147483648), sent as fast as read
  /huge-stream   the same 2 GB without Content-Length (the end is the connection closing)
  /gzip          Content-Encoding: gzip, ~0.5 MB on the wire, 512 MiB decompressed
  /redirect-host   302 to the same server named 'localhost' (another host)
  /redirect-scheme 302 to https:// on the same host and port
  /loop          302 to itself
  /ok            200 'ok'
LDAP-ish TCP ports (silent, drip, huge): each reads the bind request, then never answers, or
  announces a ~2 GB BER message and sends it one byte every 0.5 s, or as fast as read.
TFTP, by requested file name: 'silent' (no answer), 'drip' (a 512-byte block every 0.5 s, forever),
  'huge' (512-byte blocks as fast as acknowledged, forever).
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator

DRIP = 0.5
GiB = 1024 * 1024 * 1024


def _read_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class Http(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        head = _read_head(conn)
        try:
            path = head.split(b" ", 2)[1].split(b"?")[0].decode()
        except IndexError:
            return
        port = self.server.server_address[1]
        try:
            getattr(self, "do_" + path.strip("/").replace("-", "_"), self.do_ok)(conn, port)
        except OSError:
            pass  # the client gave up: that is the point

    def do_ok(self, conn: socket.socket, port: int) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    def do_drip_headers(self, conn: socket.socket, port: int) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while True:
            conn.sendall(b"X")
            time.sleep(DRIP)

    def do_drip_body(self, conn: socket.socket, port: int) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\nConnection: close\r\n\r\n")
        while True:
            conn.sendall(b"0")
            time.sleep(DRIP)

    def do_silent(self, conn: socket.socket, port: int) -> None:
        time.sleep(3600)

    def do_huge(self, conn: socket.socket, port: int) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (2 * GiB))
        block = b"\0" * 65536
        for _ in range(2 * GiB // len(block)):
            conn.sendall(block)

    def do_huge_stream(self, conn: socket.socket, port: int) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")  # no length: read until closed
        block = b"\0" * 65536
        for _ in range(2 * GiB // len(block)):
            conn.sendall(block)

    def do_gzip(self, conn: socket.socket, port: int) -> None:
        # 512 gzip members of 1 MiB of zeros each (a gzip body may hold several): ~0.5 MB sent
        member = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        one = member.compress(b"\0" * (1024 * 1024)) + member.flush()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: application/pkix-crl\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (len(one) * 512))
        for _ in range(512):
            conn.sendall(one)

    def _redirect(self, conn: socket.socket, location: str) -> None:
        conn.sendall(f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n".encode())

    def do_redirect_host(self, conn: socket.socket, port: int) -> None:
        self._redirect(conn, f"http://localhost:{port}/ok")

    def do_redirect_scheme(self, conn: socket.socket, port: int) -> None:
        self._redirect(conn, f"https://127.0.0.1:{port}/ok")

    def do_loop(self, conn: socket.socket, port: int) -> None:
        self._redirect(conn, "/loop")


class Ldap(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        mode = getattr(self.server, "mode", "silent")
        try:
            conn.recv(65536)  # the bind request
            if mode == "silent":
                time.sleep(3600)
            # a BER SEQUENCE announcing ~2 GB, then its content
            conn.sendall(b"\x30\x84\x7f\xff\xff\xff")
            block = b"\0" * 65536
            while True:
                if mode == "drip":
                    conn.sendall(b"\0")
                    time.sleep(DRIP)
                else:
                    conn.sendall(block)
        except OSError:
            pass


class Tftp(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, _ = self.request
        if data[:2] != b"\x00\x01":
            return
        name = data[2:].split(b"\0")[0].decode()
        if name == "silent":
            return
        peer = self.client_address
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a transfer port, as RFC 1350 says
        sock.settimeout(10)
        block = 1
        try:
            while True:
                sock.sendto(struct.pack("!HH", 3, block & 0xFFFF) + b"\x55" * 512, peer)
                if name == "drip":
                    time.sleep(DRIP)
                try:
                    sock.recvfrom(1024)  # the ACK (or an error: the client stopped)
                except socket.timeout:
                    return
                block += 1
        finally:
            sock.close()


class _TCP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _UDP(socketserver.ThreadingUDPServer):
    daemon_threads = True


@contextlib.contextmanager
def started() -> Iterator[dict[str, int]]:
    """For a test: this server run as a subprocess; yields its ports by name (http, silent, drip,
    huge, tftp) and kills it on exit."""
    proc = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        words = proc.stdout.readline().split()
        assert words, "the hostile server did not start"
        yield {words[i]: int(words[i + 1]) for i in range(0, len(words), 2)}
    finally:
        proc.kill()
        proc.wait(10)


def main() -> None:
    servers: list[socketserver.BaseServer] = [_TCP(("127.0.0.1", 0), Http)]
    for mode in ("silent", "drip", "huge"):
        ldap = _TCP(("127.0.0.1", 0), Ldap)
        ldap.mode = mode  # type: ignore[attr-defined]
        servers.append(ldap)
    servers.append(_UDP(("127.0.0.1", 0), Tftp))
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    names = ("http", "silent", "drip", "huge", "tftp")
    print(" ".join(f"{n} {s.server_address[1]}" for n, s in zip(names, servers, strict=True)), flush=True)
    try:
        sys.stdin.read()  # until the test closes our stdin (or kills us)
    finally:
        for server in servers:
            server.shutdown()


if __name__ == "__main__":
    main()
