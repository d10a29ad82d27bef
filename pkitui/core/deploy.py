"""Deployment (issue 11 item 5, our addition): a trustpoint's key and certificates written where a
daemon reads them, and the daemon told, after anything changed.

``pki.deployment`` is a :class:`Deployer`. For each trustpoint with a ``deploy ...`` option
(:mod:`pkitui.core.deploy_values`), :meth:`Deployer.deploy` writes

- the private key (PKCS#8 PEM; AES-256 encrypted with ``deploy key-password``) and the device
  certificate: with usage keys, the *signature* key pair and its certificate, since IKE
  authenticates by signing (the encryption pair is not deployed). A key generated without
  ``exportable`` is deployed too: it stays on this host, which export would not guarantee;
- the chain (device certificate, then the CA certificate), the CA certificate and the newest CRL
  held of the CA (PEM; nothing is fetched: the agent refreshes CRLs, ``crypto pki crl request``
  does it by hand).

Each file is written atomically (a temp file in the same folder, its mode and owner set, then a
rename) and only when its bytes change; then the command runs (``deploy command``, else the
preset's: ``swanctl --load-creds``, after ``swanctl --flush-certs --type x509crl`` when the CRL
changed). A failing command is reported and remembered in ``STORE/deploy/TP.json``, so the next
deployment runs it again even when no file changed. Our own certificate is checked first against
the CRL held (:meth:`CertificateService.own_revocation`) and its validity: a revoked or expired
one is refused (reported, never written); the CA certificate and CRL are still deployed.
"""

from __future__ import annotations

import base64
import contextlib
import grp
import json
import os
import pwd
import shlex
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pkitui.core.clock import Clock
from pkitui.core.config import RunningConfig
from pkitui.core.deploy_values import (
    FILES,
    KEY_MODE,
    PUBLIC_MODE,
    DeployPaths,
    command_argv,
    pem_paths,
    swanctl_commands,
    swanctl_paths,
)
from pkitui.core.errors import CertificateError, ConfigError, PkiError, StoreError, TrustpointError
from pkitui.core.records import OWN_ROLES, OwnRevocation
from pkitui.core.store import fsync_dir
from pkitui.core.trustpoints import Trustpoint

if TYPE_CHECKING:
    from cryptography import x509

    from pkitui.core.certs import CertificateInfo, CertificateService
    from pkitui.core.keys import KeyPair
    from pkitui.core.revocation.checker import RevocationService

COMMAND_TIMEOUT = 60.0  # seconds a deploy command may run before it is killed and reported
STATE_DIR = "deploy"  # STORE/deploy/TP.json: a command still owed (it failed, or the process died)


@dataclass
class DeployReport:
    """What one deployment did. ``error``: a write or the command failed (the next deployment
    retries); ``refused``: our own certificate was not deployed (revoked per the CRL held, or
    expired); ``notes``: what was skipped and why (no CRL held, not enrolled)."""

    trustpoint: str
    changed: list[Path] = field(default_factory=list)
    command: list[str] | None = None  # the last command run (the failing one when it failed)
    command_ok: bool | None = None  # None: no command ran
    error: str | None = None
    refused: str | None = None
    commands: list[list[str]] = field(default_factory=list)  # every command run, in order
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing was refused."""
        return self.error is None and self.refused is None and self.command_ok is not False

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"trustpoint": self.trustpoint, "changed": [str(p) for p in self.changed], "command": self.command,
                "command_ok": self.command_ok, "commands": self.commands, "error": self.error,
                "refused": self.refused, "notes": self.notes}


@dataclass(frozen=True)
class Plan:
    """Where one trustpoint's files go, the commands after a change and their environment."""

    paths: DeployPaths
    commands: Callable[[bool], list[list[str]]]  # crl_changed -> argvs
    env: dict[str, str]


def plan_for(tp: Trustpoint) -> Plan:
    """The files and commands of ``tp``'s deployment: its preset's, overridden option by option."""
    if not tp.deploys:
        raise ConfigError(f"trustpoint {tp.name} has no deployment configured",
                          f"Configure one in crypto pki trustpoint {tp.name}: deploy swanctl [DIR] or deploy pem DIR")
    base = DeployPaths()
    env: dict[str, str] = {}
    preset: Callable[[bool], list[list[str]]] = lambda crl_changed: []  # noqa: E731
    if tp.deploy_swanctl:
        folder, uri = tp.deploy_swanctl
        base = swanctl_paths(tp.name, folder)
        env = swanctl_commands(folder, uri, False)[1]
        preset = lambda crl_changed: swanctl_commands(folder, uri, crl_changed)[0]  # noqa: E731
    elif tp.deploy_pem:
        base = pem_paths(tp.name, tp.deploy_pem)
    paths = DeployPaths(**{what: Path(p) if (p := getattr(tp, f"deploy_{what}")) else base.get(what)
                           for what in FILES})
    if tp.deploy_command:
        argv = command_argv(tp.deploy_command)
        return Plan(paths, lambda crl_changed: [argv], env)
    return Plan(paths, preset, env)


def _pem(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    tag = label.encode()
    return b"-----BEGIN " + tag + b"-----\n" + b"\n".join(lines) + b"\n-----END " + tag + b"-----\n"


class Deployer:
    """``pki.deployment``: write each trustpoint's credentials for the daemons that use them."""

    def __init__(self, config: RunningConfig, trustpoint: Callable[[str], Trustpoint],
                 certificates: Callable[[], CertificateService], revocation: Callable[[], RevocationService],
                 state_dir: Path, clock: Clock) -> None:
        """``certificates`` and ``revocation`` give the sibling services on first use;
        ``state_dir`` keeps the commands still owed."""
        self._config = config
        self._trustpoint = trustpoint
        self._certificates = certificates
        self._revocation = revocation
        self._state_dir = state_dir
        self._clock = clock
        self._lock = threading.Lock()  # one deployment at a time (console workers, the agent)

    def configured(self) -> list[str]:
        """The trustpoints with a deployment configured, by name."""
        return sorted(name for name, tp in self._config.trustpoints.items() if tp.deploys)

    def deploy_all(self) -> list[DeployReport]:
        """:meth:`deploy` for every trustpoint with a deployment configured (one failing does not
        stop the others: its report says why)."""
        reports = []
        for name in self.configured():
            try:
                reports.append(self.deploy(name))
            except PkiError as exc:
                reports.append(DeployReport(name, error=str(exc)))
        return reports

    def deploy(self, tp_name: str) -> DeployReport:
        """Write ``tp_name``'s files that changed and run the command when any did (or when a
        previous run owes it). ConfigError when the trustpoint has no deployment; what fails
        while deploying is in the report (see :class:`DeployReport`), never raised."""
        tp = self._trustpoint(tp_name)
        plan = plan_for(tp)
        report = DeployReport(tp.name)
        with self._lock:
            try:
                contents = self._contents(tp, plan.paths, report)
            except PkiError as exc:
                report.error = str(exc)
                return report
            owner = None
            try:
                owner = _resolve_owner(tp.deploy_owner)
                for what in FILES:
                    path = plan.paths.get(what)
                    data = contents.get(what)
                    if path is None or data is None:
                        continue
                    mode = tp.deploy_mode if tp.deploy_mode is not None else (KEY_MODE if what == "key"
                                                                              else PUBLIC_MODE)
                    same = _same_key(path, data, tp.deploy_key_password) if what == "key" and \
                        tp.deploy_key_password else None
                    if _write(path, data, mode, owner, same):
                        report.changed.append(path)
            except (OSError, PkiError) as exc:
                report.error = _write_error(exc, tp)
            crl_changed = plan.paths.crl in report.changed
            owed = self._owed(tp.name)
            if report.changed or owed is not None:
                crl_changed = crl_changed or bool(owed and owed.get("crl_changed"))
                self._owe(tp.name, crl_changed)  # before running: a kill in between is retried too
            if report.error is not None or (not report.changed and owed is None):
                return report
            self._run(plan, crl_changed, report)
            if report.command_ok is not False:
                self._paid(tp.name)
            return report

    # -- what is written -----------------------------------------------------------------------
    def _contents(self, tp: Trustpoint, paths: DeployPaths, report: DeployReport) -> dict[str, bytes]:
        from cryptography.hazmat.primitives import serialization

        try:
            ca = self._certificates().ca_certificate(tp.name)
        except (TrustpointError, CertificateError) as exc:
            raise TrustpointError(f"trustpoint {tp.name} has no CA certificate to deploy ({exc.message})",
                                  f"Authenticate it first: crypto pki authenticate {tp.name}") from None
        ca_pem = ca.public_bytes(serialization.Encoding.PEM)
        contents: dict[str, bytes] = {"ca": ca_pem}
        own = self._own_certificate(tp.name)
        if own is None:
            if paths.key or paths.certificate or paths.chain:
                report.notes.append(f"trustpoint {tp.name} holds no certificate of this device: only the CA "
                                    "certificate and CRL are deployed (crypto pki enroll "
                                    f"{tp.name})")
        else:
            info, cert = own
            refused = self._refusal(info, cert)
            if refused:
                report.refused = refused
            else:
                pair = self._key_pair(cert)
                if pair is None:
                    raise StoreError(f"the key pair of trustpoint {tp.name}'s certificate (serial {info.serial_hex}) "
                                     "is not held", f"Enroll again: crypto pki enroll {tp.name}")
                encryption: serialization.KeySerializationEncryption = (
                    serialization.BestAvailableEncryption(tp.deploy_key_password.encode())
                    if tp.deploy_key_password else serialization.NoEncryption())
                contents["key"] = pair.private_key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
                cert_pem = cert.public_bytes(serialization.Encoding.PEM)
                contents["certificate"] = cert_pem
                contents["chain"] = cert_pem + ca_pem
        if paths.crl is not None:
            crl = self._crl(tp.name, ca, own[1] if own else None)
            if crl is None:
                report.notes.append(f"no CRL of {tp.name}'s CA is held: fetch one with "
                                    f"crypto pki crl request {tp.name}")
            else:
                contents["crl"] = _pem("X509 CRL", crl)
        return contents

    def _own_certificate(self, tp: str) -> tuple[CertificateInfo, x509.Certificate] | None:
        """The device certificate to deploy: the newest of ours (not of an encryption key, not
        orphaned by a zeroize), with its revocation per the CRL held."""
        from cryptography import x509

        infos = [i for i in self._certificates().list(tp)
                 if i.role in OWN_ROLES and i.der is not None and not i.orphaned and i.usage != "Encryption"]
        if not infos:
            return None
        info = max(infos, key=lambda i: (i.not_before is not None, i.not_before))
        assert info.der is not None
        return info, x509.load_der_x509_certificate(info.der)

    def _refusal(self, info: CertificateInfo, cert: x509.Certificate) -> str | None:
        now = self._clock.now()
        if info.revocation is OwnRevocation.REVOKED:
            return (f"certificate serial {info.serial_hex} of trustpoint {info.trustpoint} is revoked "
                    f"({info.revocation_note}): enroll again (crypto pki enroll {info.trustpoint})")
        if cert.not_valid_after_utc <= now:
            return (f"certificate serial {info.serial_hex} of trustpoint {info.trustpoint} expired on "
                    f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC: enroll again "
                    f"(crypto pki enroll {info.trustpoint})")
        if cert.not_valid_before_utc > now:
            return (f"certificate serial {info.serial_hex} of trustpoint {info.trustpoint} is not valid before "
                    f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC: check this host's clock")
        return None

    def _key_pair(self, cert: x509.Certificate) -> KeyPair | None:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        return next((p for p in self._config.key_pairs.values() if p.public_der == spki), None)

    def _crl(self, tp: str, ca: x509.Certificate, cert: x509.Certificate | None) -> bytes | None:
        """The newest CRL held of ``tp``'s CA (DER, verified with the CA), nothing fetched: the one
        covering our certificate when we have one, else the newest of the CA's."""
        store = self._revocation().store
        held = store.newest_held(tp, cert, ca) if cert is not None else None
        if held is not None:
            return held[1].der
        best = None
        for info in store.crls(tp):
            with contextlib.suppress(PkiError):
                parsed = store.load(info, ca)
                if parsed is not None and parsed.issuer_der == ca.subject.public_bytes() and (
                        best is None or parsed.this_update > best.this_update):
                    best = parsed
        return best.der if best is not None else None

    # -- commands ------------------------------------------------------------------------------
    def _run(self, plan: Plan, crl_changed: bool, report: DeployReport) -> None:
        env = dict(os.environ, **plan.env)
        for argv in plan.commands(crl_changed):
            report.command = argv
            report.commands.append(argv)
            failure = _run_one(argv, env)
            if failure is not None:
                report.command_ok = False
                report.error = f"{shlex.join(argv)}: {failure}; it runs again at the next deployment"
                return
            report.command_ok = True

    def _state_file(self, tp: str) -> Path:
        return self._state_dir / f"{tp}.json"

    def _owed(self, tp: str) -> dict[str, Any] | None:
        try:
            doc = json.loads(self._state_file(tp).read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {"crl_changed": True}  # unreadable: run the command again, with the CRL flush
        return doc if isinstance(doc, dict) else {"crl_changed": True}

    def _owe(self, tp: str, crl_changed: bool) -> None:
        from pkitui.core.store import atomic_write

        self._state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(self._state_file(tp), json.dumps({"crl_changed": crl_changed}).encode(), 0o600)

    def _paid(self, tp: str) -> None:
        self._state_file(tp).unlink(missing_ok=True)


def _run_one(argv: list[str], env: dict[str, str]) -> str | None:
    """Run one command without a shell, bounded by COMMAND_TIMEOUT; None when it succeeded, else
    what went wrong (its exit status and last line of output)."""
    try:
        done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=COMMAND_TIMEOUT, check=False)
    except FileNotFoundError:
        return f"command {argv[0]!r} not found (install it, or give its full path in deploy command)"
    except PermissionError:
        return f"command {argv[0]!r} is not executable"
    except subprocess.TimeoutExpired:
        return f"did not finish within {COMMAND_TIMEOUT:.0f} s and was killed"
    except OSError as exc:
        return f"cannot run: {exc.strerror or exc}"
    if done.returncode == 0:
        return None
    output = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
    return f"exited with status {done.returncode}" + (f" ({output[-1].strip()})" if output else "")


def _resolve_owner(owner: str | None) -> tuple[int, int] | None:
    """``deploy owner USER[:GROUP]`` as (uid, gid); -1 keeps the group. None without an owner."""
    if owner is None:
        return None
    user, _, group = owner.partition(":")
    try:
        uid = int(user) if user.isdigit() else pwd.getpwnam(user).pw_uid
    except KeyError:
        raise ConfigError(f"deploy owner: this host has no user {user!r}",
                          "Create the user, or change it: deploy owner USER[:GROUP]") from None
    try:
        gid = -1 if not group else int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    except KeyError:
        raise ConfigError(f"deploy owner: this host has no group {group!r}",
                          "Create the group, or change it: deploy owner USER[:GROUP]") from None
    return uid, gid


def _same_key(path: Path, data: bytes, password: str) -> bool:
    """True when the encrypted key at ``path`` holds the same key as ``data`` (encryption is
    salted: the bytes differ at every write, so the keys are compared decrypted)."""
    from cryptography.hazmat.primitives import serialization

    try:
        old = serialization.load_pem_private_key(path.read_bytes(), password.encode())
        new = serialization.load_pem_private_key(data, password.encode())
    except (OSError, ValueError, TypeError):
        return False
    plain = (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return bool(old.private_bytes(*plain) == new.private_bytes(*plain))


def _write(path: Path, data: bytes, mode: int, owner: tuple[int, int] | None, same: bool | None) -> bool:
    """Write ``data`` to ``path`` atomically unless it holds it already (``same``: that judgement
    made by the caller); mode and owner are set on the temp file before the rename, and put right
    on an unchanged file. True when the content changed."""
    try:
        unchanged = same if same is not None else path.read_bytes() == data
    except FileNotFoundError:
        unchanged = False
    if unchanged:
        info = path.stat()
        if info.st_mode & 0o7777 != mode:
            os.chmod(path, mode)
        if owner is not None and (info.st_uid != owner[0] or (owner[1] != -1 and info.st_gid != owner[1])):
            os.chown(path, *owner)
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if mode & 0o077 == 0 else 0o755)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        try:
            os.fchmod(fd, mode)
            if owner is not None:
                os.fchown(fd, *owner)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return True


def _write_error(exc: OSError | PkiError, tp: Trustpoint) -> str:
    if isinstance(exc, PkiError):
        return str(exc)
    where = f" {exc.filename}" if exc.filename else ""
    hint = ("run as a user that may write there (and chown: deploy owner needs root)"
            if isinstance(exc, PermissionError) else "check the deploy paths of trustpoint " + tp.name)
    return f"cannot write{where}: {exc.strerror or exc}; {hint}; it is written at the next deployment"
