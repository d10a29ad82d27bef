"""An LDAP directory holding a CA's CRL, for tests and the lab: OpenLDAP ``slapd``.

A generated ``slapd.conf`` (core schema, one mdb database ``dc=example,dc=com``, anonymous
read), the CA entry loaded offline with ``slapadd``::

    dn: cn=Lab CA,dc=example,dc=com
    objectClass: cRLDistributionPoint
    objectClass: pkiCA
    certificateRevocationList;binary, cACertificate;binary

then ``slapd -f slapd.conf -h ldap://127.0.0.1:PORT/ -d 0`` in the foreground (our PID). The
database is recreated on every start. :meth:`SlapdServer.replace_crl` swaps the CRL live as
the directory's administrator.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pkitui.lab.process import LabError, LabServer, free_port, require_binary, spawn, stop_pid, wait_ready

BASE = "dc=example,dc=com"
SCHEMA = Path("/etc/ldap/schema/core.schema")
MODULE_DIR = Path("/usr/lib/ldap")


MAX_REQUEST = 256 * 1024 * 1024  # bytes: a 1,000,000-entry CRL is ~35 MB


class SlapdServer(LabServer):
    """``with SlapdServer(workdir, crl_der, ca_der) as ldap: ldap.crl_query_url``."""

    def __init__(self, workdir: str | Path, crl_der: bytes, ca_der: bytes, *, port: int | None = None,
                 ca_cn: str = "Lab CA", root_password: str = "secret", timeout: float = 15.0) -> None:
        self.workdir = Path(workdir).resolve()
        self.crl_der = crl_der
        self.ca_der = ca_der
        self.port = port or free_port()
        self.ca_cn = ca_cn
        self.root_password = root_password
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def ca_dn(self) -> str:
        """The CA entry's DN."""
        return f"cn={self.ca_cn},{BASE}"

    @property
    def url(self) -> str:
        """``ldap://127.0.0.1:PORT`` (what ``crl query`` takes; the CA entry is searched for)."""
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def crl_query_url(self) -> str:
        """``ldap://127.0.0.1:PORT/cn=Lab%20CA,dc=example,dc=com``: straight to the CA entry."""
        return f"{self.url}/{self.ca_dn.replace(' ', '%20')}"

    @property
    def pid(self) -> int | None:
        """slapd's PID while it runs."""
        return self._proc.pid if self._proc else None

    def _write_config(self) -> Path:
        w = self.workdir
        db = w / "db"
        shutil.rmtree(db, ignore_errors=True)
        db.mkdir(parents=True)
        (w / "crl.der").write_bytes(self.crl_der)
        (w / "cacert.der").write_bytes(self.ca_der)
        conf = w / "slapd.conf"
        conf.write_text(
            f"include {SCHEMA}\npidfile {w / 'slapd.pid'}\nargsfile {w / 'slapd.args'}\n"
            f"modulepath {MODULE_DIR}\nmoduleload back_mdb\naccess to * by * read\n"
            # slapd's default cap on an authenticated request refused a 1,000,000-entry CRL's modify
            f"sockbuf_max_incoming_auth {MAX_REQUEST}\n"
            f"database mdb\nmaxsize 1073741824\nsuffix \"{BASE}\"\nrootdn \"cn=admin,{BASE}\"\n"
            f"rootpw {self.root_password}\ndirectory {db}\n")
        (w / "data.ldif").write_text(
            f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Lab\n\n"
            f"dn: {self.ca_dn}\nobjectClass: cRLDistributionPoint\nobjectClass: pkiCA\ncn: {self.ca_cn}\n"
            f"certificateRevocationList;binary:< file://{w / 'crl.der'}\n"
            f"cACertificate;binary:< file://{w / 'cacert.der'}\n")
        return conf

    def start(self) -> SlapdServer:
        """Load the entry with slapadd, start slapd and wait until a search answers."""
        slapd = require_binary("slapd", "slapd")
        slapadd = require_binary("slapadd", "slapd")
        if not SCHEMA.exists():
            raise LabError(f"{SCHEMA} is missing", "Install the Debian package: apt-get install slapd")
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self._write_config()
        load = subprocess.run([slapadd, "-q", "-f", str(conf), "-l", str(self.workdir / "data.ldif")],
                              capture_output=True, text=True, timeout=60)
        if load.returncode != 0:
            raise LabError("slapadd failed", load.stdout + load.stderr)
        log = self.workdir / "slapd.log"
        with open(log, "ab") as out:
            self._proc = spawn([slapd, "-f", str(conf), "-h", f"ldap://127.0.0.1:{self.port}/", "-d", "0"],
                               stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_ready("slapd", self._answers, [self._proc], [log], self.timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _answers(self) -> bool:
        import ldap3

        try:
            conn = ldap3.Connection(ldap3.Server("127.0.0.1", port=self.port, connect_timeout=1), auto_bind=True)
            ok = conn.search(BASE, "(objectClass=*)", search_scope=ldap3.BASE)
            conn.unbind()
            return bool(ok)
        except Exception:  # noqa: BLE001 - not up yet
            return False

    def replace_crl(self, crl_der: bytes) -> None:
        """Swap the CA entry's CRL (as cn=admin), as a CA publishing a new CRL would."""
        import ldap3

        conn = ldap3.Connection(ldap3.Server("127.0.0.1", port=self.port), user=f"cn=admin,{BASE}",
                                password=self.root_password, auto_bind=True)
        try:
            if not conn.modify(self.ca_dn, {"certificateRevocationList;binary": [(ldap3.MODIFY_REPLACE, [crl_der])]}):
                raise LabError(f"LDAP modify failed: {conn.result}")
        finally:
            conn.unbind()
        self.crl_der = crl_der

    def stop(self) -> None:
        """Stop slapd by its PID."""
        if self._proc is not None:
            stop_pid(self._proc.pid)
            self._proc = None
