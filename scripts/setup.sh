#!/usr/bin/env bash
# Create .venv and install policy-assistant with its test and web extras (idempotent).
# torch is pinned first: the pinned CPU build installs from the machine's local wheel, while an
# unpinned torch would pull gigabytes of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[web,test]"
