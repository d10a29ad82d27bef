"""Two strongSwan IKEv2 gateways, gw1 and gw2, each in its own network namespace joined by a veth
pair: where the certificates and keys a store holds are used (issue 11's end-to-end proof).

Each gateway runs its own ``charon-systemd`` (Debian) with its own ``STRONGSWAN_CONF``, vici
socket, swanctl folder and log, started with Popen and stopped by its PID. Credentials go where
swanctl reads them, in the gateway's swanctl folder (:attr:`Gateway.swanctl_dir`), named after the
trustpoint ``TP`` that holds them: ``x509/TP.pem``, ``private/TP.pem``, ``x509ca/TP-ca.pem``,
``x509crl/TP.crl`` (what ``deploy swanctl`` writes).

Facts worked around (Debian 12, strongSwan 5.9.8):

- the kernel here has no ESP (``ip xfrm state add ... proto esp`` fails): ESP runs in user space
  (the kernel-libipsec plugin, package libcharon-extra-plugins), UDP-encapsulated (``encap = yes``);
- ``/usr/lib/ipsec/charon`` always writes ``/var/run/charon.pid``, so two would clash;
  ``charon-systemd`` writes none and stays in the foreground;
- an explicit plugin list must include ``kdf`` (else "KDF_PRF ... not supported");
- strongSwan keeps a cached older CRL after ``--load-creds`` until ``--flush-certs --type x509crl``;
- a CRL without an authorityKeyIdentifier is loaded but never matched to its CA.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pkitui.lab.process import require_binary, spawn, stop_pid, wait_ready

# binary → Debian package (scripts/install.sh --test installs them)
BINARIES = {"charon-systemd": "charon-systemd", "swanctl": "strongswan-swanctl", "ip": "iproute2",
            "ping": "iputils-ping"}
PLUGINS = ("random nonce openssl kdf pem pkcs1 pkcs8 x509 revocation constraints pubkey "
           "kernel-libipsec kernel-netlink socket-default vici")
CHARON_START = 10.0  # seconds until the vici socket answers
SWANCTL_TIMEOUT = 30.0


@dataclass
class Gateway:
    """One gateway: its namespace, addresses, IKE identity and the files of its charon."""

    name: str
    netns: str
    veth: str
    outer: str  # the veth's address (IKE runs between the outer addresses)
    inner: str  # the address behind the tunnel (the traffic selector)
    ike_id: str
    home: Path
    sockets: Path  # a short folder for the vici socket (a unix socket path has at most 107 bytes)
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def swanctl_dir(self) -> Path:
        return self.home / "swanctl"

    @property
    def strongswan_conf(self) -> Path:
        return self.home / "strongswan.conf"

    @property
    def vici(self) -> Path:
        return self.sockets / f"{self.name}.vici"

    @property
    def vici_uri(self) -> str:
        return f"unix://{self.vici}"

    @property
    def log(self) -> Path:
        return self.home / "charon.log"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _run(argv: list[str], timeout: float = SWANCTL_TIMEOUT, env: dict[str, str] | None = None,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})), stdin=subprocess.DEVNULL)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done


class IkePair:
    """gw1 (10.231.0.1, inner 10.231.1.1) and gw2 (10.231.0.2, inner 10.231.2.1); ``trustpoint``
    names the credential files both swanctl.conf files refer to."""

    def __init__(self, workdir: Path, trustpoint: str, ids: tuple[str, str] = ("gw1.example.com", "gw2.example.com")):
        self.workdir = workdir
        self.trustpoint = trustpoint
        self.paths = {b: require_binary(b, pkg) for b, pkg in BINARIES.items()}  # a missing one fails the test
        tag = hashlib.sha256(str(workdir.resolve()).encode()).hexdigest()[:6]  # runs in other dirs coexist
        self.sockets = Path(tempfile.gettempdir()) / f"ikp{tag}"
        self.gw1 = Gateway("gw1", f"ikp{tag}-gw1", f"ikv{tag}1", "10.231.0.1", "10.231.1.1", ids[0], workdir / "gw1",
                           self.sockets)
        self.gw2 = Gateway("gw2", f"ikp{tag}-gw2", f"ikv{tag}2", "10.231.0.2", "10.231.2.1", ids[1], workdir / "gw2",
                           self.sockets)
        self._made: list[str] = []  # namespaces created, deleted at down()

    @property
    def gateways(self) -> tuple[Gateway, Gateway]:
        return self.gw1, self.gw2

    def peer(self, gw: Gateway) -> Gateway:
        return self.gw2 if gw is self.gw1 else self.gw1

    # -- up / down --------------------------------------------------------------------------------
    def up(self) -> IkePair:
        ip = self.paths["ip"]
        self.sockets.mkdir(mode=0o700, exist_ok=True)
        for gw in self.gateways:
            _run([ip, "netns", "del", gw.netns], check=False)  # a leftover of a killed run
        for gw in self.gateways:
            _run([ip, "netns", "add", gw.netns])
            self._made.append(gw.netns)
        _run([ip, "link", "add", self.gw1.veth, "type", "veth", "peer", "name", self.gw2.veth])
        for gw in self.gateways:
            _run([ip, "link", "set", gw.veth, "netns", gw.netns])
            _run([ip, "-n", gw.netns, "addr", "add", f"{gw.outer}/24", "dev", gw.veth])
            _run([ip, "-n", gw.netns, "addr", "add", f"{gw.inner}/32", "dev", "lo"])
            _run([ip, "-n", gw.netns, "link", "set", "lo", "up"])
            _run([ip, "-n", gw.netns, "link", "set", gw.veth, "up"])
        for gw in self.gateways:
            self._configure(gw)
        for gw in self.gateways:
            self._start(gw)
        return self

    def _configure(self, gw: Gateway) -> None:
        peer = self.peer(gw)
        for sub in ("x509", "x509ca", "x509crl", "private", "conf.d"):
            (gw.swanctl_dir / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(gw.swanctl_dir / "private", 0o700)
        gw.strongswan_conf.write_text(f"""charon-systemd {{
  load = {PLUGINS}
  install_routes = yes
  journal {{ default = -1 }}
  filelog {{
    log {{ path = {gw.log}
          time_format = %T
          default = 1
          ike = 2
          cfg = 2
          append = yes
          flush_line = yes }}
  }}
  plugins {{
    vici {{ socket = {gw.vici_uri} }}
    revocation {{ enable_ocsp = no }}
  }}
}}
""")
        tp = self.trustpoint
        (gw.swanctl_dir / "swanctl.conf").write_text(f"""connections {{
  gw {{
    version = 2
    local_addrs = {gw.outer}
    remote_addrs = {peer.outer}
    encap = yes
    proposals = aes128-sha256-modp2048
    local {{ auth = pubkey
            certs = {tp}.pem
            id = {gw.ike_id} }}
    remote {{ auth = pubkey
             id = {peer.ike_id}
             cacerts = {tp}-ca.pem
             revocation = strict }}
    children {{ net {{ local_ts = {gw.inner}/32
                     remote_ts = {peer.inner}/32
                     esp_proposals = aes128-sha256 }} }}
  }}
}}
""")

    def _start(self, gw: Gateway) -> None:
        gw.log.write_text("")
        out = open(gw.home / "charon.out", "ab")
        gw.proc = spawn([self.paths["ip"], "netns", "exec", gw.netns, self.paths["charon-systemd"]],
                        env=dict(os.environ, STRONGSWAN_CONF=str(gw.strongswan_conf)), stdout=out,
                        stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        wait_ready(f"charon of {gw.name}", lambda: self.swanctl(gw, "--stats", check=False).returncode == 0,
                   [gw.proc], [gw.home / "charon.out", gw.log], CHARON_START)

    def down(self) -> None:
        """Stop both charons by PID, delete the namespaces (the veth goes with them) and the socket folder."""
        for gw in self.gateways:
            if gw.proc is not None:
                stop_pid(gw.proc.pid)
                gw.proc = None
        while self._made:
            _run([self.paths["ip"], "netns", "del", self._made.pop()], check=False)
        # a veth still in this namespace (up() failed before moving it); gone with its namespace otherwise
        _run([self.paths["ip"], "link", "del", self.gw1.veth], check=False)
        shutil.rmtree(self.sockets, ignore_errors=True)

    # -- what a test does ----------------------------------------------------------------------------
    def swanctl(self, gw: Gateway, *args: str, check: bool = True,
                timeout: float = SWANCTL_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """``swanctl ARGS --uri VICI`` against ``gw``'s charon, reading ``gw``'s swanctl folder."""
        return _run([self.paths["swanctl"], *args, "--uri", gw.vici_uri], timeout=timeout, check=check,
                    env={"SWANCTL_DIR": str(gw.swanctl_dir)})

    def load_conns(self, gw: Gateway) -> None:
        self.swanctl(gw, "--load-conns")

    def load_creds(self, gw: Gateway, *, flush_crls: bool = False) -> None:
        """What ``deploy swanctl`` does after writing the files (the API-placed test does it itself)."""
        if flush_crls:
            self.swanctl(gw, "--flush-certs", "--type", "x509crl")
        self.swanctl(gw, "--load-creds", "--noprompt")

    def initiate(self, gw: Gateway, timeout: int = 15) -> subprocess.CompletedProcess[str]:
        """``gw`` starts CHILD_SA ``net`` (and an IKE_SA if it has none); returncode 0 when it is up."""
        return self.swanctl(gw, "--initiate", "--child", "net", "--timeout", str(timeout), check=False,
                            timeout=timeout + 10)

    def terminate_ike(self, gw: Gateway) -> None:
        """Close ``gw``'s IKE_SA (so the next initiate authenticates anew)."""
        self.swanctl(gw, "--terminate", "--ike", "gw", "--timeout", "10", check=False, timeout=20)

    def list_sas(self, gw: Gateway) -> str:
        return self.swanctl(gw, "--list-sas").stdout

    def ping(self, count: int = 3) -> subprocess.CompletedProcess[str]:
        """From gw1's inner address to gw2's: only the tunnel carries it (no route otherwise)."""
        return _run([self.paths["ip"], "netns", "exec", self.gw1.netns, self.paths["ping"], "-c", str(count),
                     "-W", "2", "-I", self.gw1.inner, self.gw2.inner], check=False, timeout=count * 3 + 10)

    def wait_log(self, gw: Gateway, pattern: str, timeout: float = 20.0, since: int = 0) -> re.Match[str]:
        """The first match of ``pattern`` in ``gw``'s charon.log after offset ``since``."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, gw.log_text()[since:])
            if found:
                return found
            if time.monotonic() > deadline:
                tail = gw.log_text()[-3000:]
                raise AssertionError(f"{gw.name}'s charon.log never said {pattern!r}; its end:\n{tail}")
            time.sleep(0.1)


@pytest.fixture
def ike_pair(tmp_path: Path) -> Iterator[IkePair]:
    """gw1 and gw2 up (namespaces, veth, one charon each); stopped and deleted even when the test fails.
    The swanctl.conf of both names trustpoint ``vpn``'s files."""
    pair = IkePair(tmp_path / "ike", "vpn")
    try:
        yield pair.up()
    finally:
        pair.down()
