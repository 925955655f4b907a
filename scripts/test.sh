#!/usr/bin/env bash
# The README's second command: install what is needed, build, and run the whole test suite, in two
# steps (docs/testing.md):
#   1. g++ with -Werror into ./build: unit, integration, code-server tests, micro-benchmark smoke;
#   2. scripts/test-sanitizers.sh: the C++ suite again under ASan + UBSan (clang, ./build-san),
#      then 30 s of libFuzzer per fuzz target.
# Usage: scripts/test.sh           both steps (what .ci/run runs)
#        scripts/test.sh --quick   step 1 only
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
step() { echo; echo "=== scripts/test.sh: $* ($(date -u +%H:%M:%S))"; }

step "step 1: build with g++ and run the suite"
scripts/install-deps.sh
scripts/python-envs.sh
cmake -S . -B build -G Ninja -DCODELOC_WERROR=ON -DCODELOC_BENCH=ON \
  -DCODELOC_PYTHON="$root/build/venvs/test/bin/python" \
  -DCODELOC_DAGSTER_PYTHON="$root/build/venvs/dagster/bin/python"
cmake --build build
ctest --test-dir build --output-on-failure -j2

if [ "$quick" = 1 ]; then exit 0; fi
step "step 2: sanitizers and fuzzing"
scripts/test-sanitizers.sh
step "done"
