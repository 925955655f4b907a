#!/usr/bin/env bash
# The whole test suite again, with every binary built under AddressSanitizer (with LeakSanitizer)
# and UndefinedBehaviorSanitizer, into ./build-san. A finding aborts the process that made it: a
# unit test fails, and an integration test fails on the report in its daemon.log
# (tests/integration/daemon_harness.py). About twice as slow as scripts/test.sh.
# Usage: scripts/test-sanitizers.sh   (CODELOC_SANITIZE=address,undefined by default)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
scripts/python-envs.sh   # the venvs stay in build/venvs, shared with scripts/test.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cmake -S . -B build-san -G Ninja -DCODELOC_WERROR=ON \
  -DCODELOC_SANITIZE="${CODELOC_SANITIZE:-address,undefined}" \
  -DCODELOC_PYTHON="$root/build/venvs/test/bin/python" \
  -DCODELOC_DAGSTER_PYTHON="$root/build/venvs/dagster/bin/python"
# The integration tests look for the venvs under the build tree they test (build-san/venvs).
ln -sfn ../build/venvs build-san/venvs
cmake --build build-san
ctest --test-dir build-san --output-on-failure -j2
