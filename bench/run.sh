#!/usr/bin/env bash
# Every benchmark in one command: codeloc and its peers (supervisord, PM2, nodemon, Dagster's own
# code server, `dagster dev`) measured in the same run on this machine, each section of
# bench/RESULTS.md rewritten with its table, the machine and the command (bench/README.md has each
# method).
#
#   bench/run.sh            everything but the 10-minute soak (about 43 minutes on 2 cores)
#   bench/run.sh --soak     the soak too
#   BENCH_ONLY="peers api"  only these of: peers footprint api reload warm ui micro soak
#
# Run it on a quiet machine: other work on the cores shows up in every figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
only=${BENCH_ONLY:-"peers footprint api reload warm ui micro"}
[ "${1:-}" = "--soak" ] && only="$only soak"
results=bench/RESULTS.md
python=python3

scripts/install-deps.sh
scripts/python-envs.sh
bench/install-peers.sh
cmake -S . -B build -G Ninja -DCODELOC_BENCH=ON \
  -DCODELOC_PYTHON="$root/build/venvs/test/bin/python" \
  -DCODELOC_DAGSTER_PYTHON="$root/build/venvs/dagster/bin/python"
cmake --build build

for what in $only; do
  echo "=== bench/run.sh: $what ($(date -u +%H:%M:%S))" >&2
  case $what in
    peers) $python bench/peers.py --write "$results" ;;
    footprint) $python bench/footprint.py --write "$results" ;;
    api) $python bench/api_throughput.py --write "$results" ;;
    reload) $python bench/reload_latency.py --saves 20 --write "$results" ;;
    warm) $python bench/warm_start.py --saves 20 --locations 20 --write "$results" ;;
    ui) $python bench/dagster_ui.py --saves 20 --locations 2,20 --write "$results" ;;
    micro) $python bench/micro_results.py --write "$results" ;;
    soak) $python bench/soak.py --minutes 10 --write "$results" ;;
    *) echo "bench/run.sh: unknown benchmark '$what'" >&2; exit 2 ;;
  esac
done
