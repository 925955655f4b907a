#!/usr/bin/env bash
# The README's second command: install what is needed, build, and run the whole test suite.
# Usage: scripts/test.sh            (from anywhere; builds into ./build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
scripts/python-envs.sh
cmake -S . -B build -G Ninja -DCODELOC_WERROR=ON -DCODELOC_BENCH=ON \
  -DCODELOC_PYTHON="$root/build/venvs/test/bin/python" \
  -DCODELOC_DAGSTER_PYTHON="$root/build/venvs/dagster/bin/python"
cmake --build build
ctest --test-dir build --output-on-failure -j2
