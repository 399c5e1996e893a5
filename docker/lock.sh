#!/usr/bin/env bash
# Refresh docker/requirements.lock, the exact packages the image installs (pip --require-hashes):
# pyproject.toml's dependencies and the build backend, each pinned with the sha256 of every file
# PyPI has for that version (Linux, Python 3.11). Pins that still fit pyproject.toml are kept;
# `bash docker/lock.sh --upgrade` moves everything to the newest allowed versions. Needs uv
# (`pip install uv`). tests/operator/test_docker_lock.py checks the lock against pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
"${UV:-uv}" pip compile pyproject.toml docker/build-requirements.in \
  --generate-hashes --python-version 3.11 --python-platform linux \
  --custom-compile-command "bash docker/lock.sh" --quiet \
  --output-file docker/requirements.lock "$@"
