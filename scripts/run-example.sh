#!/usr/bin/env bash
# The README's first command: install what is needed, build, and run codeloc on the example
# workspace (examples/workspace.yaml: two real Dagster projects, each in its own virtual
# environment under build/venvs/). Ctrl-C stops every location and exits.
# It runs `codeloc dev --ui`: Dagster's UI on the example workspace at http://127.0.0.1:3000 (from
# the analytics environment, which has dagster-webserver); edit a file under examples/ and watch
# that location reload.
# Extra arguments go to `codeloc dev` (e.g. --socket /tmp/codeloc.sock).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
scripts/python-envs.sh
cmake -S . -B build -G Ninja -DCODELOC_PYTHON="$root/build/venvs/test/bin/python" \
  -DCODELOC_DAGSTER_PYTHON="$root/build/venvs/dagster/bin/python" >/dev/null
cmake --build build
build/codeloc check -w examples/workspace.yaml
exec build/codeloc dev --ui -w examples/workspace.yaml "$@"
