#!/usr/bin/env bash
# Installs pkitui into ./.venv on a Debian machine, with the Debian packages it drives.
#   scripts/install.sh          what the console and `pkitui lab` need
#   scripts/install.sh --test   also what the test suite and benchmarks need
# Run as root (apt-get); it is safe to run again: present packages are not reinstalled.
set -euo pipefail
cd "$(dirname "$0")/.."

runtime_pkgs=(python3 python3-venv python3-pip openssl util-linux iproute2 socat scep slapd ldap-utils)
test_pkgs=(tftpd-hpa tftp-hpa tinyproxy tmux librsvg2-bin time curl
           charon-systemd strongswan-swanctl libstrongswan-standard-plugins libcharon-extra-plugins iputils-ping)
pkgs=("${runtime_pkgs[@]}")
extras="."
if [[ "${1:-}" == "--test" ]]; then
    pkgs+=("${test_pkgs[@]}")
    extras=".[test]"
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "pkitui: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # Debian's slapd/tinyproxy/tftpd-hpa also start system services; pkitui never uses those.
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e "$extras"
echo "pkitui: installed in $(pwd)/.venv (run .venv/bin/pkitui)"
