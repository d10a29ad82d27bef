"""What a trustpoint's ``deploy`` options accept (our addition, issue 11): the folders, files,
mode, owner, command and vici URI, checked the same way by the setters, the store check and the
option table; and where each preset puts each file.

A path is one absolute word (IOS reads a line as words). Whether it exists is the deployment's
question (a configuration can be written on another host), not the setter's.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pkitui.core.errors import ConfigError

SWANCTL_DIR = "/etc/swanctl"  # strongSwan's default SWANCTL_DIR
KEY_MODE = 0o600
PUBLIC_MODE = 0o644
MIN_KEY_PASSWORD = 8
VICI_SCHEMES = ("unix", "tcp")
_OWNER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\$?$")

# The files of a deployment, in the order they are written: the key first (a daemon reloading on
# the certificate then finds the matching key), the CRL last.
FILES = ("key", "certificate", "chain", "ca", "crl")


def validate_path(text: str, what: str) -> str:
    """One absolute path, normalised (no '..' left in it)."""
    example = f"Example: {what} /etc/ssl/private/vpn.key"
    if not text or any(c.isspace() for c in text) or "\0" in text:
        raise ConfigError(f"invalid {what} {text!r}: a path is one word without spaces", example)
    if not text.startswith("/"):
        raise ConfigError(f"{what} {text!r} is not an absolute path", example)
    normal = os.path.normpath(text)
    return "/" + normal.lstrip("/") if normal.startswith("//") else normal


def validate_vici_uri(text: str) -> str:
    """``uri VICI_URI`` of ``deploy swanctl``: unix://PATH (a charon's vici socket, also one in
    another network namespace) or tcp://HOST:PORT."""
    parts = urlsplit(text)
    hint = "Example: uri unix:///var/run/charon.vici (or tcp://127.0.0.1:4502)"
    if parts.scheme not in VICI_SCHEMES or any(c.isspace() for c in text):
        raise ConfigError(f"invalid vici URI {text!r}: use unix://PATH or tcp://HOST:PORT", hint)
    if parts.scheme == "unix" and not (parts.netloc + parts.path).startswith("/") and not parts.path.startswith("/"):
        raise ConfigError(f"invalid vici URI {text!r}: the socket path must be absolute", hint)
    if parts.scheme == "tcp" and not (parts.hostname and parts.port):
        raise ConfigError(f"invalid vici URI {text!r}: tcp:// needs a host and a port", hint)
    return text


def parse_mode(text: str) -> int:
    """``deploy mode OCTAL``: the mode of every file written. Refused when it gives others any
    access (the key would be readable by every user of the host) or sets more than rwx bits."""
    hint = "Give an octal mode such as 0640 (group may read) or 0600."
    if not re.fullmatch(r"0?[0-7]{3}", text.strip()):
        raise ConfigError(f"invalid deploy mode {text!r}", hint)
    mode = int(text, 8)
    if mode & 0o007:
        raise ConfigError(f"deploy mode {mode:04o} lets every user of the host read the private key",
                          "Give others no access (e.g. 0640) and use deploy owner USER:GROUP for the daemon.")
    if not mode & 0o400:
        raise ConfigError(f"deploy mode {mode:04o} does not let the owner read the files", hint)
    return mode


def validate_owner(text: str) -> str:
    """``deploy owner USER[:GROUP]`` by its form (names or numbers; resolved at deployment)."""
    user, sep, group = text.partition(":")
    if not _OWNER.match(user) or (sep and not _OWNER.match(group)):
        raise ConfigError(f"invalid deploy owner {text!r}", "Example: deploy owner root:ssl-cert")
    return text


def command_argv(text: str) -> list[str]:
    """``deploy command LINE...`` as the argv it runs (no shell: quoting as the shell's, no
    pipes or variables)."""
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise ConfigError(f"invalid deploy command {text!r}: {exc}",
                          "Quote an argument with spaces once: deploy command systemctl reload nginx") from None
    if not argv:
        raise ConfigError("deploy command needs a command line", "Example: deploy command systemctl reload nginx")
    return argv


def validate_key_password(text: str) -> str:
    """``deploy key-password SECRET``: at least 8 characters, no spaces (the key is written as
    AES-256 encrypted PKCS#8)."""
    if len(text) < MIN_KEY_PASSWORD or len(text) > 128 or any(c.isspace() for c in text):
        raise ConfigError("invalid deploy key-password",
                          f"Give {MIN_KEY_PASSWORD} to 128 characters without spaces.")
    return text


@dataclass(frozen=True)
class DeployPaths:
    """Where one trustpoint's files go (None: not written) and the command run after a change."""

    key: Path | None = None
    certificate: Path | None = None
    chain: Path | None = None
    ca: Path | None = None
    crl: Path | None = None

    def get(self, what: str) -> Path | None:
        path: Path | None = getattr(self, what)
        return path


def swanctl_paths(name: str, folder: str) -> DeployPaths:
    """The swanctl preset: strongSwan's credential folders under ``folder`` (SWANCTL_DIR)."""
    root = Path(folder)
    return DeployPaths(key=root / "private" / f"{name}.pem", certificate=root / "x509" / f"{name}.pem",
                       ca=root / "x509ca" / f"{name}-ca.pem", crl=root / "x509crl" / f"{name}.crl")


def pem_paths(name: str, folder: str) -> DeployPaths:
    """The generic preset (nginx, openssl): PEM files named after the trustpoint in ``folder``."""
    root = Path(folder)
    return DeployPaths(key=root / f"{name}.key", certificate=root / f"{name}.crt", chain=root / f"{name}-chain.pem",
                       ca=root / f"{name}-ca.crt", crl=root / f"{name}.crl.pem")


def swanctl_commands(folder: str, uri: str | None, crl_changed: bool) -> tuple[list[list[str]], dict[str, str]]:
    """The swanctl preset's commands after a change, and the environment they run with: the
    credentials reloaded, preceded by dropping the cached CRLs when a CRL changed (charon
    otherwise keeps checking against the older CRL it cached). The type is spelled ``x509_crl`` as
    swanctl's usage does (charon 5.9.8 also takes the legacy ``x509crl``); swanctl exits 0 even when
    charon refuses the type (it prints the refusal only with --raw), so a misspelling would pass
    unseen."""
    via = ["--uri", uri] if uri else []
    load = ["swanctl", "--load-creds", "--noprompt", *via]
    commands = [["swanctl", "--flush-certs", "--type", "x509_crl", *via], load] if crl_changed else [load]
    return commands, {"SWANCTL_DIR": folder}


def resolve_owner(owner: str | None) -> tuple[int, int] | None:
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
