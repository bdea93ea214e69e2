#!/usr/bin/env bash
# Create .venv and install policy-assistant with its web, test, milvus and ray extras (idempotent;
# milvus: pymilvus + milvus-lite, about 17 s, for tests/retrieval/test_milvus.py; ray: ray[data],
# about 7 s more (pyarrow and pandas come with milvus), for tests/embedding/test_ray_batch.py).
# torch is pinned first: the pinned CPU build installs from the machine's local wheel, while an
# unpinned torch would pull gigabytes of CUDA packages.  Debian's chromium, chromium-driver and
# fonts-noto-cjk are installed for the browser test when missing (needs root, as on CI; otherwise
# that test skips).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[web,test,milvus,ray]"
# fonts-noto-cjk: Chinese text in the browser test's screenshots (README) is legible, not boxes.
missing=()
{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || missing+=(chromium chromium-driver)
if command -v dpkg >/dev/null 2>&1 && ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  missing+=(fonts-noto-cjk)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: missing ${missing[*]}; the browser test is skipped without chromium" >&2
  fi
fi
