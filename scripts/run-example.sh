#!/usr/bin/env bash
# The README's first command: install what is needed, build, and run codeloc on the example
# workspace (examples/workspace.yaml: two real Dagster projects, each in its own virtual
# environment under build/venvs/). Ctrl-C stops every location and exits.
# It runs `codeloc dev --ui`: Dagster's UI on the example workspace at http://127.0.0.1:3000 (from
# the analytics environment, which has dagster-webserver); edit a file under examples/ and watch
# that location reload.
# Extra arguments go to `codeloc dev` (e.g. --socket /tmp/codeloc.sock).
#
# It builds only what it runs: the `codeloc` binary (the Python code server is python/, nothing to
# compile), through ccache when it is installed, while the example's environments install beside
# the compiler. A build tree it configures itself is a unity build (one translation unit per
# library, CMakeLists.txt) at -O1 without debug information (Release with -O1: 170 s of user CPU
# for the binary where -O2 takes 296 s, and -O2 -g a quarter more; the daemon waits on sockets
# and children, and its figures at -O1 are in docs/testing.md, "Time"). An existing build/ keeps
# its settings; CODELOC_OPT=-O2 optimizes as the test command's build does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
mkdir -p build
envs_log=build/python-envs.log
scripts/python-envs.sh example >"$envs_log" 2>&1 &
envs=$!
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -G Ninja -DCMAKE_UNITY_BUILD="${CODELOC_UNITY:-ON}" \
    -DCMAKE_BUILD_TYPE="${CODELOC_BUILD_TYPE:-Release}" -DCMAKE_CXX_FLAGS_RELEASE="${CODELOC_OPT:--O1} -DNDEBUG" >/dev/null
fi
cmake --build build --target codeloc
if ! wait "$envs"; then
  cat "$envs_log" >&2
  echo "run-example: creating the example's Python environments failed (log above)" >&2
  exit 1
fi
cat "$envs_log"
build/codeloc check -w examples/workspace.yaml
exec build/codeloc dev --ui -w examples/workspace.yaml "$@"
