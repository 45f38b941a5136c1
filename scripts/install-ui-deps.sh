#!/usr/bin/env bash
# What `make test-ui` needs, installed only when missing (safe to run again):
#   - Debian's chromium + chromium-driver (apt-get; as root, or through sudo), unless
#     MMCL_CHROMIUM already names a Chrome/Chromium binary;
#   - Playwright for Python in the venv. Never `playwright install`: it downloads its own browser
#     from the network; the tests launch Debian's /usr/bin/chromium instead.
# Usage: scripts/install-ui-deps.sh [python]   (default: .venv/bin/python, else python3)
set -euo pipefail

PY="${1:-${PYTHON:-}}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi

chromium="${MMCL_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  echo "install-ui-deps: chromium present ($chromium)"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-ui-deps: installing chromium chromium-driver with apt-get"
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
fi

if "$PY" -c "import playwright.sync_api" 2>/dev/null; then
  echo "install-ui-deps: playwright present ($("$PY" -m pip show playwright 2>/dev/null \
    | sed -n 's/^Version: //p'))"
else
  echo "install-ui-deps: installing playwright into $PY"
  "$PY" -m pip install playwright
fi
