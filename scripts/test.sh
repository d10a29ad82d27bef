#!/usr/bin/env bash
# Installs everything the tests need (Debian packages included) and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
# Lint first: it takes a second and names the line (configuration in pyproject.toml).
.venv/bin/ruff check pkitui tests bench
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then
    echo "pkitui: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit $status
