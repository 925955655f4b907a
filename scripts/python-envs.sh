#!/usr/bin/env bash
# Creates (once) and caches the Python virtual environments the tests use, under the build tree:
#   build/venvs/test             pytest, the interpreter of the integration tests
#   build/venvs/dagster          the newest supported dagster (tests/requirements-dagster.txt)
#   build/venvs/dagster-oldest   the oldest supported one (tests/requirements-dagster-oldest.txt)
#   build/venvs/example-*        the example workspace's locations
# Re-running is cheap: an environment whose requirements file has not changed is left as it is.
# Usage: scripts/python-envs.sh           every environment
#        scripts/python-envs.sh example   only the example workspace's (scripts/run-example.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CODELOC_BUILD_DIR:-$root/build}
python=${CODELOC_BOOTSTRAP_PYTHON:-python3}

# uv (from PyPI, in a venv of its own under the build tree) installs an environment in ~5 s
# where pip takes ~50 s and ~30 CPU-seconds, which the compiler beside it would rather have
# (scripts/run-example.sh, scripts/test.sh). When uv cannot be had, pip does it.
uv=$build/venvs/uv/bin/uv
ensure_uv() {
  [ -x "$uv" ] && return 0
  rm -rf "$build/venvs/uv"
  if "$python" -m venv "$build/venvs/uv" &&
    "$build/venvs/uv/bin/python" -m pip install -q --disable-pip-version-check uv; then
    return 0
  fi
  echo "python-envs: could not install uv; using pip" >&2
  rm -rf "$build/venvs/uv"
}

# make_venv NAME REQUIREMENTS_FILE
make_venv() {
  local name=$1 requirements=$2 dir=$build/venvs/$1
  local stamp=$dir/.codeloc-requirements
  if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
    return 0
  fi
  echo "python-envs: creating $dir from ${requirements#$root/}"
  rm -rf "$dir"
  if [ -x "$uv" ]; then
    # --seed: pip in it too (some tests install into an environment with it). --compile-bytecode:
    # the .pyc files now, as pip writes them; without them every interpreter compiles each module
    # it imports, every time when PYTHONDONTWRITEBYTECODE is set (dagster: ~800 modules).
    "$uv" venv -q --seed --python "$(command -v "$python")" "$dir"
    VIRTUAL_ENV=$dir "$uv" pip install -q --compile-bytecode -r "$requirements"
  else
    "$python" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
  fi
  cp "$requirements" "$stamp"
}

mkdir -p "$build/venvs"
ensure_uv
if [ "${1:-}" = "example" ]; then
  # The example workspace's locations (examples/), each in its own environment with a package the
  # other lacks; examples/workspace.yaml names their interpreters by paths relative to itself. Both
  # install at once: the installer mostly waits on downloads and on disk.
  make_venv example-analytics "$root/examples/analytics/requirements.txt" &
  analytics=$!
  make_venv example-reporting "$root/examples/reporting/requirements.txt"
  wait "$analytics"
  exit 0
fi
make_venv test "$root/tests/requirements.txt"
# The code server's tests (tests/python): a pinned dagster, pytest and dagster-dg-cli (the oracle).
make_venv dagster "$root/tests/requirements-dagster.txt"
# The oldest supported dagster (docs/dagster.md, "Supported Dagster versions"), for the tests that
# run against it (CODELOC_DAGSTER_PYTHON=build/venvs/dagster-oldest/bin/python).
make_venv dagster-oldest "$root/tests/requirements-dagster-oldest.txt"
# The example workspace's locations (examples/), each in its own environment with a package the
# other lacks; examples/workspace.yaml names their interpreters by paths relative to itself.
make_venv example-analytics "$root/examples/analytics/requirements.txt"
make_venv example-reporting "$root/examples/reporting/requirements.txt"
