#!/usr/bin/env bash
# The second CI step (docs/testing.md): the whole C++ test suite again with every binary built by
# clang under AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer, then a short
# libFuzzer run of each fuzz target from the same build. A finding aborts the process that made it:
# a unit test fails, an integration test fails on the report in its daemon.log
# (tests/integration/daemon_harness.py), and fuzz.sh fails on a crash.
#
#   scripts/test-sanitizers.sh              build-san/, 30 s of fuzzing per target
#   CODELOC_FUZZ_SECONDS=0                  skip the fuzzing
#
# One instrumented tree serves both: the libraries carry libFuzzer's coverage hooks
# (CODELOC_FUZZ), which the tests run through unused. -O1 and line tables only, as ASan's docs
# advise, keep the build about as fast as the normal one; so does a unity build (CODELOC_UNITY=OFF:
# source by source).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
scripts/python-envs.sh   # the venvs stay in build/venvs, shared with scripts/test.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
CC=clang-14 CXX=clang++-14 cmake -S . -B build-san -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DCODELOC_SANITIZE="${CODELOC_SANITIZE:-address,undefined}" -DCODELOC_FUZZ=ON \
  -DCMAKE_UNITY_BUILD="${CODELOC_UNITY:-ON}" \
  -DCODELOC_PYTHON="$root/build/venvs/test/bin/python"
# The integration tests look for the venvs under the build tree they test (build-san/venvs).
ln -sfn ../build/venvs build-san/venvs
cmake --build build-san
# The code server's own tests (tests/python) run no C++: scripts/test.sh runs them.
# integration_dagster is step 1's alone: under the sanitizers it took 303 s (2026-12-04), most of
# it real Dagster's imports and runs in Python, while the daemon paths it drives (reloads, gRPC
# publication, draining) are those `integration` runs here too.
ctest --test-dir build-san --output-on-failure -j2 -E '^integration_dagster'
seconds=${CODELOC_FUZZ_SECONDS:-30}
if [ "$seconds" != 0 ]; then
  FUZZ_BUILD=build-san scripts/fuzz.sh "$seconds"
fi
