"""Launchers for real servers on 127.0.0.1, shared by the tests and ``pkitui lab``.

:class:`Lab` starts the embedded lab (a micromdm ``scepserver`` CA with a challenge password, its
CRL over HTTP, and over LDAP through slapd when installed), declares trustpoint ``lab`` in the
store, and stops everything it started, by PID. ``pkitui lab`` (:func:`pkitui.cli.run_lab`)
starts it and opens the console on it: the lab sits below the entry point and never imports
Textual or the console.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import shutil
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pkitui.core.errors import PkiError
from pkitui.core.fingerprint import grouped

if TYPE_CHECKING:
    from pkitui.core.pki import Pki

# binary → Debian package, for the message when something is missing.
REQUIRED = {"scepserver": "scep", "socat": "socat", "unshare": "util-linux", "ip": "iproute2"}
OPTIONAL = {"slapd": "slapd", "openssl": "openssl"}
LAB_TRUSTPOINT = "lab"
REVOCATION_HELP = (
    "The lab CA keeps every certificate it issues valid: micromdm's scepserver would revoke a subject's",
    "older certificate when the same subject enrolls again (one of a usage-keys pair), the lab turns",
    "that off (pkitui/lab/scepserver.py). Revoke on purpose: Lab.scep.revoke(serial); the CRL follows.",
)
"""The lab's revocation rule, in the banner (and the console's log) under the CA fingerprint."""


def _which(name: str) -> str | None:
    return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.path.exists(p)), None)


def missing_packages(names: dict[str, str] | None = None) -> list[str]:
    """Debian packages whose binaries the lab needs and cannot find."""
    return sorted({pkg for binary, pkg in (names or REQUIRED).items() if _which(binary) is None})


def _port_free(port: int) -> bool:
    """True when a server can listen on 127.0.0.1:``port``. With SO_REUSEADDR, as the lab's
    servers bind (socat reuseaddr, http.server, slapd): without it the connections the last run
    closed (TIME_WAIT) made the port look taken, and a restarted lab moved its URLs."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def depot_ca_key(depot: Path) -> Any:
    """The scepserver CA's private key, decrypted in memory by ``openssl pkey``: micromdm
    encrypts it with 3DES and an empty password, which cryptography cannot open."""
    import subprocess

    from cryptography.hazmat.primitives import serialization

    from pkitui.lab.process import LabError, require_binary

    openssl = require_binary("openssl", "openssl")
    out = subprocess.run([openssl, "pkey", "-in", str(depot / "ca.key"), "-passin", "pass:"],
                         capture_output=True, timeout=30)
    if out.returncode != 0:
        raise LabError("cannot read the lab CA key", out.stderr.decode(errors="replace")[:200])
    return serialization.load_pem_private_key(out.stdout, None)


def _authority_key_id(ca: Any) -> Any:
    """The CRL's authorityKeyIdentifier: the CA certificate's own subjectKeyIdentifier when it has
    one (what a relying party compares it with), else the RFC 5280 hash of its public key."""
    from cryptography import x509

    try:
        ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key())
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def depot_crl(depot: Path, days: int = 7) -> bytes:
    """A CRL (DER) signed by the scepserver CA of ``depot``, revoking what its index.txt marks
    ``R`` (:meth:`pkitui.lab.scepserver.ScepServer.revoke`; micromdm's own marking of a subject's
    older certificate is turned off in the lab).

    """
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    key = depot_ca_key(depot)
    ca = x509.load_pem_x509_certificate((depot / "ca.pem").read_bytes())
    now = datetime.now(timezone.utc).replace(microsecond=0)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(now)
               .next_update(now + timedelta(days=days))
               .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
               # strongSwan matches a CRL to its CA by this extension only: without it the CRL is
               # loaded but never used, and revocation = strict refuses every peer.
               .add_extension(_authority_key_id(ca), critical=False))
    index = depot / "index.txt"
    for line in (index.read_text().splitlines() if index.exists() else []):
        cols = line.split("\t")
        if len(cols) >= 4 and cols[0] == "R":
            when = datetime.strptime(cols[2].split(",")[0], "%y%m%d%H%M%SZ").replace(tzinfo=timezone.utc)
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(int(cols[3], 16)).revocation_date(when).build())
    crl = builder.sign(key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


class Lab:
    """The local lab. ``workdir`` keeps the CA depot and the challenge between runs, so a store's
    trustpoint ``lab`` stays valid; the port is reused when still free."""

    def __init__(self, workdir: str | Path) -> None:
        self.workdir = Path(workdir)
        self.scep: Any = None
        self.crl_http: Any = None
        self.ldap: Any = None
        self.notes: list[str] = []
        self._watch_stop = threading.Event()
        self._big_crl = False
        self._watcher: threading.Thread | None = None

    # -- persistent lab settings --------------------------------------------------------------
    def _remembered(self, name: str, make: Any) -> str:
        path = self.workdir / name
        if path.exists():
            return path.read_text().strip()
        value = str(make())
        self.workdir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(value)
        return value

    def _port(self, name: str) -> int:
        """A port kept in the lab dir under ``name``, so the URLs a store holds (enrollment url,
        crl query) stay valid between runs; a new one when it is taken meanwhile."""
        from pkitui.lab.process import free_port

        port = int(self._remembered(name, free_port))
        if not _port_free(port):
            port = free_port()
            (self.workdir / name).write_text(str(port))
        return port

    @property
    def challenge(self) -> str:
        """The CA's challenge password (random, kept in the lab dir, mode 0600)."""
        return self._remembered("challenge", lambda: secrets.token_urlsafe(12))

    # -- start / stop -------------------------------------------------------------------------------
    def start(self) -> Lab:
        """Start the SCEP CA, then the CRL publishers that are available. Raises LabError/PkiError."""
        from pkitui.lab.scepserver import ScepServer

        self.workdir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o700)
        # The lab CA revokes only on purpose (ScepServer.revoke): micromdm's own revocation of the
        # older certificate of a subject enrolling again would revoke one of a usage-keys pair.
        self.scep = ScepServer(self.workdir / "scep", self.challenge, port=self._port("port"), revoke_replaced=False)
        try:
            self.scep.start()
            self._start_crl_publishers()
            if self.crl_http is not None:
                self._watcher = threading.Thread(target=self._watch_depot, name="lab-crl", daemon=True)
                self._watcher.start()
        except BaseException:
            self.stop()
            raise
        return self

    def publish_crl(self, der: bytes | None = None) -> bytes:
        """(Re)write the lab CRL (default: from the depot): the HTTP server serves the file; slapd
        gets it."""
        der = der if der is not None else depot_crl(self.scep.depot)
        crl_dir = self.workdir / "crl"
        crl_dir.mkdir(exist_ok=True)
        (crl_dir / "lab.crl").write_bytes(der)
        if self.ldap is not None:
            self.ldap.replace_crl(der)
        return der

    def publish_big_crl(self, count: int) -> bytes:
        """Publish a CRL of the lab CA revoking ``count`` made-up serials (the CRL viewer at scale)."""
        from cryptography import x509

        from pkitui.lab.bigcrl import LabCa, build_crl_der, revoked_serials

        ca = LabCa(depot_ca_key(self.scep.depot),
                   x509.load_pem_x509_certificate(Path(self.scep.ca_pem_path).read_bytes()))
        self._big_crl = True  # the depot watcher leaves it in place
        return self.publish_crl(build_crl_der(ca, revoked_serials(count)))

    def _start_crl_publishers(self) -> None:
        """The CRL over HTTP (http.server on 127.0.0.1) and over LDAP (slapd) when installed."""
        from pkitui.lab.crl_http import CrlHttpServer

        try:
            der = self.publish_crl()
        except PkiError as exc:
            self.notes.append(f"No lab CRL: {exc.message}")
            return
        self.crl_http = CrlHttpServer(self.workdir / "crl", port=self._port("crl_http_port")).start()
        if _which("slapd") is None:
            self.notes.append("CRL over LDAP: install the Debian package slapd (and ldap-utils) to publish it")
            return
        from pkitui.lab.slapd import SlapdServer

        try:
            self.ldap = SlapdServer(self.workdir / "ldap", der, self.ca_der, port=self._port("ldap_port")).start()
        except PkiError as exc:
            self.ldap = None
            self.notes.append(f"CRL over LDAP not started: {exc.message}")

    def _watch_depot(self, every: float = 2.0) -> None:
        """Publish a new CRL whenever the CA's index changes (a certificate revoked with
        ``lab.scep.revoke(serial)``), as a CA publishing CRLs would."""
        index = self.scep.depot / "index.txt"
        seen = index.stat().st_mtime if index.exists() else 0.0
        while not self._watch_stop.wait(every):
            mtime = index.stat().st_mtime if index.exists() else 0.0
            if mtime != seen and not self._big_crl:
                seen = mtime
                try:
                    self.publish_crl()
                except Exception as exc:  # keep the lab running; say why once
                    self.notes.append(f"CRL not republished: {exc}")

    def stop(self) -> None:
        """Stop everything this lab started (each by its PID)."""
        self._watch_stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None
        for server in (self.ldap, self.crl_http, self.scep):
            if server is not None:
                try:
                    server.stop()
                except Exception as exc:  # keep stopping the others
                    print(f"warning: stopping {type(server).__name__}: {exc}", file=sys.stderr)
        self.ldap = self.crl_http = self.scep = None

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- facts to show --------------------------------------------------------------------------------
    @property
    def ca_der(self) -> bytes:
        """The lab CA certificate (DER)."""
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        cert = x509.load_pem_x509_certificate(Path(self.scep.ca_pem_path).read_bytes())
        return cert.public_bytes(Encoding.DER)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the CA certificate, upper hex."""
        return hashlib.sha256(self.ca_der).hexdigest().upper()

    def grouped_fingerprint(self) -> str:
        """The fingerprint in IOS's groups of 8 hex digits (as the dialog and ``show`` print it)."""
        return grouped(self.fingerprint)

    def crl_url(self) -> str | None:
        """The HTTP CRL URL, when published."""
        return self.crl_http.url_for("lab.crl") if self.crl_http is not None else None

    def ldap_url(self) -> str | None:
        """The LDAP URL for ``crl query``, when published."""
        return self.ldap.crl_query_url if self.ldap is not None else None

    def summary(self) -> list[tuple[str, str]]:
        """(label, value) lines for the console's home screen."""
        out = [("Lab CA", self.scep.url),
               ("Challenge", f"configured in trustpoint {LAB_TRUSTPOINT} (kept in {self.workdir})"),
               ("CA SHA-256", self.grouped_fingerprint())]
        if self.crl_url():
            out.append(("Lab CRL (HTTP)", str(self.crl_url())))
        if self.ldap_url():
            out.append(("Lab CRL (LDAP)", str(self.ldap_url())))
        out += [("Lab note", n) for n in self.notes]
        return out

    def banner_lines(self) -> list[str]:
        """What ``pkitui lab`` prints and the console's log pane repeats."""
        lines = [f"Lab SCEP CA: {self.scep.url} (trustpoint {LAB_TRUSTPOINT})",
                 "Compare this CA fingerprint in the Authenticate dialog (SHA-256):",
                 f"  {self.grouped_fingerprint()}", *REVOCATION_HELP]
        if self.crl_url():
            lines.append(f"Lab CRL over HTTP: {self.crl_url()}")
        if self.ldap_url():
            lines.append(f"Lab CRL over LDAP: {self.ldap_url()}")
        return lines + self.notes

    def facts(self, store: Path | None = None) -> dict[str, Any]:
        """What a script needs to enroll against the lab (``pkitui lab --serve --json`` prints it).

        The challenge password itself is not printed: ``challenge_file`` holds it (mode 0600), and
        trustpoint ``lab`` in the store is configured with it."""
        from pkitui.core.keys import key_fingerprints

        fps = key_fingerprints(self.ca_der)
        return {
            "trustpoint": LAB_TRUSTPOINT,
            "store": str(store) if store is not None else None,
            "scep_url": self.scep.url,
            # the SHA-1 and MD5 too: IOS shows them
            "ca_fingerprint": {name: grouped(fps[name]) for name in ("sha256", "sha1", "md5")},
            "challenge_file": str(self.workdir / "challenge"),
            "crl_http_url": self.crl_url(),
            "crl_ldap_url": self.ldap_url(),
            "ios": self.ios_snippet(),
            "notes": list(self.notes),
        }

    def ios_snippet(self) -> list[str]:
        """A whole ``pkitui exec`` script that names a new device ``lab-client``, generates its key
        pair, declares, authenticates and enrolls trustpoint ``lab`` and saves, for an unquoted heredoc
        (``pkitui exec --store DIR <<IOS``): the ``password`` line reads the challenge file with
        ``$(cat FILE)``, so the password is never printed."""
        lines = ["enable", "configure terminal", "hostname lab-client", "ip domain-name pkitui.lab",
                 "crypto key generate rsa",
                 "crypto pki trustpoint " + LAB_TRUSTPOINT,
                 f" enrollment url {self.scep.url}",
                 f" fingerprint {self.fingerprint}",
                 f" password {'$(cat ' + str(self.workdir / 'challenge') + ')'}"]
        if self.ldap_url():
            lines += [f" crl query {self.ldap_url()}", " revocation-check crl"]
        return lines + ["exit", f"crypto pki authenticate {LAB_TRUSTPOINT}", f"crypto pki enroll {LAB_TRUSTPOINT}",
                        "end", "copy system:running-config nvram:startup-config"]

    def configure(self, pki: Pki, save: bool = True) -> None:
        """Declare trustpoint ``lab`` with the CA's URL, fingerprint and challenge password (and the
        LDAP CRL query when published); give the device a name if it has none, so keys can be
        generated. With ``save``, what the lab changed (the identity and trustpoint ``lab``) is saved
        at once, so a script on the same store finds it and the console has nothing of the lab's
        to warn about; any other unsaved change stays unsaved."""
        ident = pki.config.identity
        if not ident.hostname:
            host = "".join(c for c in socket.gethostname().split(".")[0] if c.isalnum() or c == "-") or "device"
            pki.set_hostname(host[:63].strip("-") or "device")
        if not ident.domain_name:
            pki.set_domain_name("pkitui.lab")
        tp = pki.trustpoints.declare(LAB_TRUSTPOINT)
        if tp.enrollment_url != self.scep.url:
            tp.set_enrollment_url(self.scep.url)
        if tp.password != self.challenge:
            tp.set_password(self.challenge)
        if self.ldap_url() and tp.crl_query != self.ldap_url():
            tp.set_crl_query(str(self.ldap_url()))
        if tp.fingerprint != self.fingerprint:
            tp.set_fingerprint(self.fingerprint)
        if save:
            from pkitui.core.merge import IDENTITY, object_name

            pki.save_objects([IDENTITY, object_name("trustpoints", {"name": LAB_TRUSTPOINT})])


def default_lab_dir(store_dir: Path) -> Path:
    """The lab's state lives next to the store (same parent), in ``pkitui-lab``."""
    return store_dir.resolve().parent / f"{store_dir.name}-lab"
