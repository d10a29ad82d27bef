"""This host's network interfaces, for ``ip-address INTERFACE``: which exist, and the address an
interface has when a request is built (IOS puts the interface's address in the request)."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess

from pkitui.core.errors import ConfigError

_SYS_NET = "/sys/class/net"


def interface_names() -> list[str]:
    """The interfaces of this host (``/sys/class/net``), sorted."""
    try:
        return sorted(os.listdir(_SYS_NET))
    except OSError:
        return []


def interface_address(name: str) -> str:
    """The address ``name`` has now: its first IPv4 address that is neither loopback nor
    link-local, else such an IPv6 address, else its first address (a loopback's). Read with
    ``ip -j addr show dev NAME``; ConfigError when the interface is gone or has no address."""
    if name not in interface_names():
        raise ConfigError(f"ip-address: this host has no interface {name!r}",
                          "Configure an address instead: ip-address A.B.C.D, or ip-address none")
    ip = shutil.which("ip")
    if ip is None:
        raise ConfigError(f"ip-address {name}: the 'ip' command (iproute2) is not installed to read its address",
                          "Install iproute2, or configure the address: ip-address A.B.C.D")
    try:
        out = subprocess.run([ip, "-j", "addr", "show", "dev", name], capture_output=True, text=True,
                             timeout=5, check=True).stdout
        entries = json.loads(out or "[]")
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise ConfigError(f"ip-address {name}: could not read its address ({exc})",
                          "Configure the address instead: ip-address A.B.C.D") from None
    addresses = [ipaddress.ip_address(a["local"]) for e in entries for a in e.get("addr_info", [])
                 if "local" in a]
    if not addresses:
        raise ConfigError(f"ip-address {name}: the interface has no IP address",
                          "Give it one, or configure an address: ip-address A.B.C.D")
    ranked = sorted(addresses, key=lambda a: (a.is_loopback or a.is_link_local, a.version))
    return str(ranked[0])
