#!/usr/bin/env bash
# Builds the Debian package: a build tree of its own (prefix /usr, no tests), then cpack.
# Usage: scripts/package.sh [BUILD_DIR]      (default ./build-deb; from anywhere)
# Prints the path of build-deb/codeloc_<version>_<arch>.deb on its last line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-deb}
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_INSTALL_PREFIX=/usr -DCODELOC_BUILD_TESTS=OFF -DCODELOC_WERROR=ON
cmake --build "$build"
rm -f "$build"/codeloc_*.deb
(cd "$build" && cpack -G DEB)
ls "$build"/codeloc_*.deb
