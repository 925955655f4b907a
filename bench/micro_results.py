#!/usr/bin/env python3
"""Runs build/codeloc_micro_bench (Google Benchmark, bench/micro/) and writes its figures to
bench/RESULTS.md as the section "In-process micro benchmarks (issue 8)".

    python3 bench/micro_results.py [--write bench/RESULTS.md] [--filter REGEX] [--repetitions N]
"""
import argparse
import json
import pathlib
import subprocess
import sys

import reload_latency as rl
from reload_latency import write_section

SECTION = "## In-process micro benchmarks (issue 8)"


def run(binary: pathlib.Path, bench_filter: str, repetitions: int) -> dict:
    args = [str(binary), "--benchmark_format=json", f"--benchmark_repetitions={repetitions}",
            "--benchmark_report_aggregates_only=true"]
    if bench_filter:
        args.append(f"--benchmark_filter={bench_filter}")
    out = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def per_item(ns: float) -> str:
    return f"{ns / 1e3:.2f} µs" if ns < 1e6 else f"{ns / 1e6:.1f} ms"


def rate(bytes_per_second: float | None) -> str:
    if not bytes_per_second:
        return ""
    return f"{bytes_per_second / 1e9:.2f} GB/s" if bytes_per_second >= 1e9 \
        else f"{bytes_per_second / 1e6:.0f} MB/s"


def markdown(result: dict, command: str) -> str:
    lines = [SECTION, "",
             "CPU time per iteration, median of the repetitions (Google Benchmark; method in "
             "bench/README.md).", "",
             "| benchmark | time per iteration | throughput |", "|---|---|---|"]
    for b in result["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"]
        lines.append(f"| `{name}` | {per_item(b['cpu_time'] * _unit(b['time_unit']))} "
                     f"| {rate(b.get('bytes_per_second'))} |")
    m = rl.machine()
    lines += ["", f"- machine: {m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}, "
                  f"codeloc {m['codeloc_commit']}",
              f"- command: `{command}`", ""]
    return "\n".join(lines)


def _unit(unit: str) -> float:
    return {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=str(rl.BUILD), help="build tree (default build/)")
    parser.add_argument("--filter", default="", help="--benchmark_filter (default: all)")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--write", metavar="FILE", help="also write the Markdown section there")
    args = parser.parse_args()
    binary = pathlib.Path(args.build) / "codeloc_micro_bench"
    if not binary.exists():
        print(f"{binary}: not built (cmake -DCODELOC_BENCH=ON; ninja codeloc_micro_bench)",
              file=sys.stderr)
        return 2
    section = markdown(run(binary, args.filter, args.repetitions),
                       "python3 bench/micro_results.py " + " ".join(sys.argv[1:]))
    print(section)
    if args.write:
        write_section(pathlib.Path(args.write), section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
