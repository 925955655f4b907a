#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, docs/fuzzing.md) with clang into build-fuzz/ and runs each
# for SECONDS (default 60) on a working copy of its seed corpus. Fails if any target finds a crash;
# the reproducer is left in build-fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh [SECONDS]
#   FUZZ_TARGETS="json_rpc"  only these targets (default: all of fuzz/corpus/*)
#   FUZZ_RESUME=1            keep build-fuzz/work/<target> from the last run instead of reseeding
#   FUZZ_ARGS="-jobs=4 ..."  extra libFuzzer flags
#   JOBS=2                   ninja parallelism
#   FUZZ_BUILD=DIR           an instrumented tree already configured (default build-fuzz/)
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}  # scripts/test-sanitizers.sh passes its build-san
case $build in /*) ;; *) build=$root/$build ;; esac
jobs=${JOBS:-2}

# clang and its runtime (libFuzzer, ASan, UBSan) only for this script; the normal build is g++.
if ! command -v clang++-14 >/dev/null ||
  ! compgen -G '/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a' >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "fuzz: installing clang-14 and libclang-rt-14-dev"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends clang-14 libclang-rt-14-dev
fi
"$root/scripts/install-deps.sh"

if [ ! -f "$build/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCODELOC_FUZZ=ON -DCODELOC_BUILD_TESTS=OFF
fi
ninja -C "$build" -j"$jobs" frame_decoder_fuzz json_rpc_fuzz workspace_parser_fuzz

targets=${FUZZ_TARGETS:-$(cd "$root/fuzz/corpus" && ls)}
declare -A max_len=([frame_decoder]=4096 [json_rpc]=8192 [workspace_parser]=4096)
failed=()
summary=()
for target in $targets; do
  work=$build/work/$target
  artifacts=$build/artifacts/$target
  log=$build/logs/$target.log
  if [ "${FUZZ_RESUME:-0}" != 1 ]; then rm -rf "$work"; fi
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  cp -n "$root/fuzz/corpus/$target"/* "$work"/
  args=(-max_total_time="$seconds" -max_len="${max_len[$target]:-4096}" -timeout=10
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/")
  [ -f "$root/fuzz/$target.dict" ] && args+=(-dict="$root/fuzz/$target.dict")
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
  if (cd "$build" && "./${target}_fuzz" "${args[@]}" ${FUZZ_ARGS:-} "$work") >"$log" 2>&1; then
    status=ok
  else
    status=CRASH
    failed+=("$target")
  fi
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, features \2, corpus \3/p' <<<"$last")
  summary+=("$(printf '%-17s %-5s %s execs (%s/s), %s' "$target" "$status" "${execs:-?}" "${rate:-?}" "${cov:-?}")")
done

echo "fuzz: ${seconds}s per target; logs in ${build#"$root"/}/logs/"
printf 'fuzz: %s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz: crash in ${failed[*]}: reproducers in ${build#"$root"/}/artifacts/, see docs/fuzzing.md" >&2
  exit 1
fi
