"""What one trustpoint's deployment writes and runs (:mod:`pkitui.core.deploy` carries it out):
where its files go and the commands after a change (:func:`plan_for`: its preset's, overridden
option by option), what goes in each file (:class:`DeployContents`: the PEM key, certificate,
chain, CA certificate and newest CRL held; our own certificate refused when revoked per the CRL
held, expired or not yet valid), and the report of what it did (:class:`DeployReport`).
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pkitui.core.deploy_values import (
    FILES,
    DeployPaths,
    command_argv,
    pem_paths,
    swanctl_commands,
    swanctl_paths,
)
from pkitui.core.errors import CertificateError, ConfigError, PkiError, StoreError, TrustpointError
from pkitui.core.records import OWN_ROLES, OwnRevocation

if TYPE_CHECKING:
    from cryptography import x509

    from pkitui.core.certs import CertificateInfo, CertificateService
    from pkitui.core.clock import Clock
    from pkitui.core.config import RunningConfig
    from pkitui.core.keys import KeyPair
    from pkitui.core.revocation.checker import RevocationService
    from pkitui.core.trustpoints import Trustpoint


@dataclass
class DeployReport:
    """What one deployment did. ``error``: a write or the command failed (the next deployment
    retries); ``refused``: why our own certificate was not deployed (revoked per the CRL held, or
    expired), ``remedy`` what to do about it; ``written``: the kinds of file written (``FILES``'
    names, in ``changed``'s order); ``notes``: what was skipped and why (no CRL held, not enrolled)."""

    trustpoint: str
    changed: list[Path] = field(default_factory=list)
    command: list[str] | None = None  # the last command run (the failing one when it failed)
    command_ok: bool | None = None  # None: no command ran
    error: str | None = None
    refused: str | None = None
    remedy: str | None = None
    commands: list[list[str]] = field(default_factory=list)  # every command run, in order
    notes: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing was refused."""
        return self.error is None and self.refused is None and self.command_ok is not False

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"trustpoint": self.trustpoint, "changed": [str(p) for p in self.changed], "command": self.command,
                "command_ok": self.command_ok, "commands": self.commands, "error": self.error,
                "refused": self.refused, "remedy": self.remedy, "notes": self.notes}


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
    """``der`` as PEM with the ``label`` (64-character lines)."""
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    tag = label.encode()
    return b"-----BEGIN " + tag + b"-----\n" + b"\n".join(lines) + b"\n-----END " + tag + b"-----\n"


class DeployContents:
    """What goes in each file of a trustpoint's deployment, from what the store holds (nothing is
    fetched: the agent refreshes CRLs, ``crypto pki crl request`` does it by hand)."""

    def __init__(self, config: RunningConfig, certificates: Callable[[], CertificateService],
                 revocation: Callable[[], RevocationService], clock: Clock) -> None:
        """``certificates`` and ``revocation`` give the sibling services on first use."""
        self._config = config
        self._certificates = certificates
        self._revocation = revocation
        self._clock = clock

    def contents(self, tp: Trustpoint, paths: DeployPaths, report: DeployReport) -> dict[str, bytes]:
        """The bytes of each file of ``paths`` to write (key, certificate, chain, ca, crl); a refusal
        of our certificate and what was skipped go in ``report``. TrustpointError without a CA
        certificate, StoreError when our certificate's key pair is not held."""
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
            keyless = [i for i in self._certificates().list(tp.name) if i.role in OWN_ROLES and i.orphaned]
            if (paths.key or paths.certificate or paths.chain) and keyless:  # as validate and status say it
                report.notes.append(f"the certificate of trustpoint {tp.name} (serial {keyless[-1].serial_hex}) "
                                    f"cannot be deployed: {keyless[-1].key_pair_missing}; only the CA certificate "
                                    f"and CRL are deployed (crypto pki import {tp.name} ..., or crypto pki enroll "
                                    f"{tp.name})")
            elif paths.key or paths.certificate or paths.chain:
                report.notes.append(f"trustpoint {tp.name} holds no certificate of this device: only the CA "
                                    "certificate and CRL are deployed (crypto pki enroll "
                                    f"{tp.name})")
        else:
            info, cert = own
            refused = self._refusal(info, cert)
            if refused:
                report.refused, report.remedy = refused
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

    def _refusal(self, info: CertificateInfo, cert: x509.Certificate) -> tuple[str, str] | None:
        """Why our certificate is not deployed, and what to do (None: it is deployed)."""
        now = self._clock.now()
        enroll = f"enroll again: crypto pki enroll {info.trustpoint}"
        if info.revocation is OwnRevocation.REVOKED:
            return f"our certificate serial {info.serial_hex} is revoked {info.revocation_note}", enroll
        if cert.not_valid_after_utc <= now:
            return (f"our certificate serial {info.serial_hex} expired on "
                    f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC", enroll)
        if cert.not_valid_before_utc > now:
            return (f"our certificate serial {info.serial_hex} is not valid before "
                    f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC", "check this host's clock")
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
