#!/usr/bin/env bash
# The README's second command: install what is needed, build, and run the whole test suite, in two
# steps (docs/testing.md):
#   1. g++ with -Werror into ./build: unit, integration, code-server tests (against the newest and
#      the oldest supported dagster), micro-benchmark smoke;
#   2. scripts/test-sanitizers.sh: the C++ suite again under ASan + UBSan (clang, ./build-san),
#      then 30 s of libFuzzer per fuzz target.
# Usage: scripts/test.sh           both steps (what .ci/run runs)
#        scripts/test.sh --quick   step 1 only
# CODELOC_UNITY=OFF builds source by source (slower from scratch, quicker to rebuild after an edit
# of one file); the default is a unity build (CMAKE_UNITY_BUILD).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
step() { echo; echo "=== scripts/test.sh: $* ($(date -u +%H:%M:%S))"; }

step "step 1: build with g++ and run the suite"
scripts/install-deps.sh
# The Python environments install while the C++ compiles: pip waits on the network and the disk.
mkdir -p build
scripts/python-envs.sh >build/python-envs.log 2>&1 &
envs=$!
cmake -S . -B build -G Ninja -DCODELOC_WERROR=ON -DCODELOC_BENCH=ON \
  -DCMAKE_UNITY_BUILD="${CODELOC_UNITY:-ON}" \
  -DCODELOC_PYTHON="$root/build/venvs/test/bin/python" \
  -DCODELOC_DAGSTER_PYTHON="$root/build/venvs/dagster/bin/python" \
  -DCODELOC_DAGSTER_OLDEST_PYTHON="$root/build/venvs/dagster-oldest/bin/python"
cmake --build build
step "step 1: waiting for the Python environments"
if ! wait "$envs"; then
  cat build/python-envs.log
  echo "scripts/test.sh: creating the Python environments failed (log above)" >&2
  exit 1
fi
cat build/python-envs.log
step "step 1: ctest"
ctest --test-dir build --output-on-failure -j2

if [ "$quick" = 1 ]; then exit 0; fi
step "step 2: sanitizers and fuzzing"
scripts/test-sanitizers.sh
step "done"
