#!/usr/bin/env bash
# Installs the Debian packages codeloc builds and tests with. Idempotent; needs root (or sudo).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libyaml-cpp-dev libspdlog-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev googletest libcli11-dev libsystemd-dev
  python3 python3-venv clang-format
  # Snapshot hashing: OpenSSL's libcrypto (SHA-256 through EVP, daemon/common/sha256.h).
  libssl-dev
  # A compiler cache: CMakeLists.txt compiles through it when present (CODELOC_CCACHE).
  ccache
  # Packaging (scripts/package.sh, tests/integration/test_package.py): dpkg-shlibdeps computes
  # the .deb's Depends; systemd-analyze verifies the unit, whose ExecReload runs /bin/kill.
  dpkg-dev systemd procps
  # tests/integration/test_faults.py moves the daemon's wall clock with libfaketime.
  faketime
  # The sanitizer and fuzzing step (scripts/test-sanitizers.sh, scripts/fuzz.sh): clang and its
  # runtimes (ASan, UBSan, libFuzzer).
  clang-14 libclang-rt-14-dev
  # Benchmarks (-DCODELOC_BENCH=ON, bench/README.md): Google Benchmark for bench/micro/.
  libbenchmark-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all Debian packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
