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
rename) and only when its bytes change. A missing folder is created 0755 (a daemon running as
another user, e.g. nginx's workers, must reach the certificates, 0644), except the key's when it
holds only the key (swanctl's ``private/``): 0700; an existing folder is left as it is. Then the
command runs (``deploy command``, else the preset's: ``swanctl --load-creds``, after
``swanctl --flush-certs --type x509_crl`` when the CRL changed). A failing command is reported
and remembered in ``STORE/deploy/TP.json``, so the next deployment runs it again even when no file
changed. Our own certificate is checked first against
the CRL held (:meth:`CertificateService.own_revocation`) and its validity: a revoked or expired
one is refused (reported, never written); the CA certificate and CRL are still deployed.

This module carries one deployment out; what it writes and runs is decided in
:mod:`~pkitui.core.deploy_plan`, the files are written by :mod:`~pkitui.core.deploy_files`, the
command and what is owed are :mod:`~pkitui.core.deploy_command`'s.
"""

from __future__ import annotations

import os
import shlex
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from pkitui.core.deploy_command import OwedCommands, run_one
from pkitui.core.deploy_files import (
    KEY_FOLDER_MODE,
    PUBLIC_FOLDER_MODE,
    same_key,
    write_error,
    write_file,
)
from pkitui.core.deploy_plan import DeployContents, DeployReport, Plan, plan_for
from pkitui.core.deploy_values import FILES, KEY_MODE, PUBLIC_MODE, resolve_owner
from pkitui.core.errors import PkiError

if TYPE_CHECKING:
    from pathlib import Path

    from pkitui.core.certs import CertificateService
    from pkitui.core.clock import Clock
    from pkitui.core.config import RunningConfig
    from pkitui.core.revocation.checker import RevocationService
    from pkitui.core.trustpoints import Trustpoint

STATE_DIR = "deploy"  # STORE/deploy/TP.json: a command still owed (it failed, or the process died)


class Deployer:
    """``pki.deployment``: write each trustpoint's credentials for the daemons that use them."""

    def __init__(self, config: RunningConfig, trustpoint: Callable[[str], Trustpoint],
                 certificates: Callable[[], CertificateService], revocation: Callable[[], RevocationService],
                 state_dir: Path, clock: Clock) -> None:
        """``certificates`` and ``revocation`` give the sibling services on first use;
        ``state_dir`` keeps the commands still owed."""
        self._config = config
        self._trustpoint = trustpoint
        self._contents = DeployContents(config, certificates, revocation, clock)
        self._owed = OwedCommands(state_dir)
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
                contents = self._contents.contents(tp, plan.paths, report)
            except PkiError as exc:
                report.error = str(exc)
                return report
            owner = None
            others = {p.parent for what in FILES if what != "key" and (p := plan.paths.get(what)) is not None}
            try:
                owner = resolve_owner(tp.deploy_owner)
                for what in FILES:
                    path = plan.paths.get(what)
                    data = contents.get(what)
                    if path is None or data is None:
                        continue
                    mode = tp.deploy_mode if tp.deploy_mode is not None else (KEY_MODE if what == "key"
                                                                              else PUBLIC_MODE)
                    same = same_key(path, data, tp.deploy_key_password) if what == "key" and \
                        tp.deploy_key_password else None
                    folder_mode = KEY_FOLDER_MODE if what == "key" and path.parent not in others else \
                        PUBLIC_FOLDER_MODE
                    if write_file(path, data, mode, owner, same, folder_mode):
                        report.changed.append(path)
                        report.written.append(what)
            except (OSError, PkiError) as exc:
                report.error = write_error(exc, tp)
            crl_changed = plan.paths.crl in report.changed
            owed = self._owed.owed(tp.name)
            if report.changed or owed is not None:
                crl_changed = crl_changed or bool(owed and owed.get("crl_changed"))
                self._owed.owe(tp.name, crl_changed)  # before running: a kill in between is retried too
            if report.error is not None or (not report.changed and owed is None):
                return report
            self._run(plan, crl_changed, report)
            if report.command_ok is not False:
                self._owed.paid(tp.name)
            return report

    def _run(self, plan: Plan, crl_changed: bool, report: DeployReport) -> None:
        env = dict(os.environ, **plan.env)
        for argv in plan.commands(crl_changed):
            report.command = argv
            report.commands.append(argv)
            failure = run_one(argv, env)
            if failure is not None:
                report.command_ok = False
                report.error = f"{shlex.join(argv)}: {failure}; it runs again at the next deployment"
                return
            report.command_ok = True
