"""``crypto pki deploy [TP]`` (our addition, issue 11): write a trustpoint's key, certificates and
CRL where its ``deploy ...`` options say and run the command after a change
(:mod:`pkitui.core.deploy`); without a name, every trustpoint with a deployment."""

from __future__ import annotations

import shlex

from pkitui.core.deploy_plan import DeployReport
from pkitui.core.errors import ConfigError
from pkitui.ios.grammar import Args
from pkitui.ios.registry import CONFIG, command
from pkitui.ios.session import AlreadyReported, Session


# What each kind of file is called in a refusal line ("the CA certificate and CRL were written").
_FILE_WORDS = {"key": "key", "certificate": "certificate", "chain": "chain", "ca": "CA certificate", "crl": "CRL"}


def _written_words(report: DeployReport) -> str:
    """What a refused deployment still wrote, in words: "the CA certificate and CRL were written"."""
    words = [_FILE_WORDS.get(what, what) for what in report.written]
    if not words:
        return "nothing else changed"
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"the {listed} {'was' if len(words) == 1 else 'were'} written"


def report_lines(report: DeployReport) -> tuple[list[str], list[str]]:
    """IOS-style lines of one deployment: (what was done, what failed with what to do). A refused
    deployment (our certificate revoked or expired) is one line: why, what was still written (the
    CA certificate and CRL: peers need them) and what to do."""
    tp = report.trustpoint
    done: list[str] = []
    failed: list[str] = []
    if report.refused:
        remedy = f"; {report.remedy}" if report.remedy else ""
        failed.append(f"% Deployment of {tp} refused: {report.refused}; {_written_words(report)}{remedy}")
    elif report.changed:
        done.append(f"% Deployed {tp}: wrote {', '.join(map(str, report.changed))}")
    elif report.error is None and not report.commands:
        done.append(f"% Deployed {tp}: nothing changed")
    done += [f"% {note}" for note in report.notes]
    for argv in report.commands:
        ok = report.command_ok or argv is not report.command
        if ok:
            done.append(f"% Ran: {shlex.join(argv)}")
    if report.error:
        failed.append(f"% Deployment of {tp} failed: {report.error}")
    return done, failed


@command(CONFIG, "crypto {pki | ca} deploy [NAME]")
def deploy(session: Session, args: Args) -> None:
    """Write trustpoint NAME's key, certificates and CRL for its daemons (all with a deployment
    when no name is given), then run the deploy command when anything changed."""
    name = args.get("name")
    deployment = session.pki.deployment
    if name is None and not deployment.configured():
        raise ConfigError("no trustpoint has a deployment configured",
                          "Configure one: crypto pki trustpoint NAME, then deploy swanctl [DIR] or deploy pem DIR")
    reports = [deployment.deploy(name)] if name is not None else deployment.deploy_all()
    failures = 0
    if session.json:
        session.show([r.as_json() for r in reports], [])
    for report in reports:
        done, failed = report_lines(report)
        for line in done if not session.json else []:
            session.print(line)
        for line in failed:
            session.warn(line)
        failures += bool(failed)
    if failures:
        session.errors += 1  # a failed line like any other: exec stops (exit 2), or exits 1 with --continue
        raise AlreadyReported
