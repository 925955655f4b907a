#!/usr/bin/env python3
"""Control API throughput: requests per second and latency of `location.definitions` for several
snapshot sizes and numbers of concurrent clients, and the daemon's memory while it relays a large
snapshot (docs/protocol.md, "location.definitions").

    python3 bench/api_throughput.py [--duration 5] [--sizes 10k,1m,50m] [--clients 1,10,100]
                                    [--rss-clients 10] [--json] [--write bench/RESULTS.md]
                                    [--codeloc PATH]... [--section TITLE]

--codeloc given more than once compares daemons in one run: every row is measured for each
daemon in turn (same sizes, clients and duration), and the table gains a daemon column. Each row
also gives the daemon's own CPU time per request (utime + stime from /proc/PID/stat over the
row, divided by the requests answered), since the load tool shares the machine's CPUs.

Standard library only (Python 3.11). The load comes from build/codeloc_api_load (C++, one thread
and one connection per client; built with -DCODELOC_BENCH=ON). See bench/README.md for what is
measured and how.

Every process this script starts is stopped by its pid: the daemon leads its own session and gets
SIGTERM, then SIGKILL after 10 s; the code-server pids the daemon reports are checked (and killed
by pid if the daemon left one behind); the load tool is waited for (killed by pid at its
deadline). At the end `ps` must show none of them.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import reload_latency as rl  # noqa: E402  (shared helpers)
from reload_latency import (BUILD, CODELOC, TEST_SERVER, BenchError, Connection,  # noqa: E402
                            log, machine, percentile)

LOAD_TOOL = BUILD / "codeloc_api_load"

SECTION = "## Control API (issue 8)"
LOCATION = "bench"
SIZES = {"10k": 10 * 1000, "1m": 1000 * 1000, "50m": 50 * 1000 * 1000}
MARKER = "codeloc-bench-api-"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def parse_size(text: str) -> int:
    text = text.strip().lower()
    if text in SIZES:
        return SIZES[text]
    units = {"k": 1000, "m": 1000 * 1000}
    if text[-1:] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def size_label(n: int) -> str:
    if n >= 1000 * 1000:
        return f"{n / 1e6:g} MB"
    if n >= 1000:
        return f"{n / 1e3:g} KB"
    return f"{n} B"


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM, ... of /proc/PID/status, in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Vm"):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    return out


class Daemon:
    """`codeloc serve` (no watch) with one `command:` location, codeloc_test_server padding its
    snapshot to `snapshot_bytes`, in its own temporary folder."""

    def __init__(self, codeloc: pathlib.Path, snapshot_bytes: int, timeout: float, keep: bool):
        self.workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"{MARKER}{snapshot_bytes}-"))
        self.socket = self.workdir / "codeloc.sock"
        self.log_path = self.workdir / "daemon.log"
        self.timeout = timeout
        self.keep = keep
        self.proc: subprocess.Popen | None = None
        self.child_pids: set[int] = set()
        (self.workdir / "workspace.yaml").write_text(
            "load_from:\n"
            "  - command:\n"
            f"      argv: [{json.dumps(str(TEST_SERVER))}, --snapshot-bytes, "
            f"\"{snapshot_bytes}\"]\n"
            f"      location_name: {LOCATION}\n")
        self.command = [str(codeloc), "serve", "-w", str(self.workdir / "workspace.yaml"),
                        "--socket", str(self.socket), "--state-dir", str(self.workdir / "state")]

    def start(self) -> None:
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.command, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=self.log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log(f"  daemon pid {self.proc.pid}: {shlex.join(self.command)}")
        deadline = time.monotonic() + self.timeout
        while True:
            if self.proc.poll() is not None:
                raise BenchError(f"the daemon exited with {self.proc.returncode}")
            try:
                conn = Connection(self.socket)
                try:
                    status = conn.call("location.get", {"name": LOCATION}, timeout=5)
                finally:
                    conn.close()
                for pid in (status.get("pid"), status.get("candidate_pid")):
                    if isinstance(pid, int) and pid > 0:
                        self.child_pids.add(pid)
                if status.get("state") == "LOADED":
                    return
                if status.get("state") in ("LOAD_ERROR", "BACKOFF", "STOPPED"):
                    raise BenchError(f"location {LOCATION} is {status.get('state')}: "
                                     f"{status.get('error')}")
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"the location was not LOADED within {self.timeout:.0f} s")
            time.sleep(0.05)

    def snapshot_bytes(self) -> int:
        """The size of the snapshot as served: the bytes of `definitions` in one raw answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(str(self.socket))
            s.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "location.definitions",
                                  "params": {"name": LOCATION}}).encode() + b"\n")
            chunks = []
            while not chunks or not chunks[-1].endswith(b"\n"):
                chunk = s.recv(1 << 20)
                if not chunk:
                    raise BenchError("the daemon closed the connection mid-answer")
                chunks.append(chunk)
        line = b"".join(chunks).rstrip(b"\n")
        key = b',"definitions":'
        at = line.find(key)
        if at < 0:
            raise BenchError(f"no definitions in the answer: {line[:200]!r}")
        return len(line) - (at + len(key)) - 2  # the answer ends with "}}": result, response

    def stop(self) -> None:
        if self.proc is not None:
            rl.stop_codeloc(self.proc, self.log_file, self.child_pids)

    def cleanup(self, failed: bool) -> None:
        if failed:
            log(f"  daemon log (end), {self.log_path}:\n" + self.log_path.read_text(
                errors="replace")[-3000:])
        if failed or self.keep:
            log(f"  kept {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def pids(self) -> set[int]:
        return ({self.proc.pid} if self.proc else set()) | self.child_pids


def allowance(args, clients: int, snapshot_bytes: int) -> float:
    """Seconds the load tool gets beyond --duration: --timeout, plus every client's warm-up
    request and one last request at 5 MB/s (a 50 MB snapshot to 100 clients is 10 GB)."""
    return args.timeout + clients * snapshot_bytes * 2 / 5e6


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(utime, stime) of the process, in seconds (clock ticks of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def run_load(daemon: Daemon, clients: int, duration: float, timeout: float,
             pids: set[int]) -> dict:
    user_before, sys_before = cpu_seconds(daemon.proc.pid)
    result = run_load_tool(daemon, clients, duration, timeout, pids)
    user_after, sys_after = cpu_seconds(daemon.proc.pid)
    per_request = 1e6 / result["requests"] if result["requests"] else 0
    result["daemon_user_us_per_req"] = (user_after - user_before) * per_request
    result["daemon_sys_us_per_req"] = (sys_after - sys_before) * per_request
    result["daemon_cpu_us_per_req"] = (result["daemon_user_us_per_req"] +
                                       result["daemon_sys_us_per_req"])
    return result


def run_load_tool(daemon: Daemon, clients: int, duration: float, timeout: float,
                  pids: set[int]) -> dict:
    command = [str(LOAD_TOOL), "--socket", str(daemon.socket), "--location", LOCATION,
               "--clients", str(clients), "--duration", str(duration)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pids.add(proc.pid)
    try:
        out, err = proc.communicate(timeout=duration + timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise BenchError(f"codeloc_api_load --clients {clients} did not finish within "
                         f"{duration + timeout:.0f} s")
    if proc.returncode == 2 or not out.strip():
        raise BenchError(f"codeloc_api_load failed ({proc.returncode}): {err.strip()}")
    result = json.loads(out)
    if result["errors"]:
        raise BenchError(f"codeloc_api_load: {result['errors']} failed request(s), the first: "
                         f"{result['first_error']}")
    return result


class Sampler:
    """While running: the daemon's VmRSS every `interval` s, and the round trip of `daemon.info`
    on a connection of its own (how long the event loop keeps a small request waiting)."""

    def __init__(self, daemon: Daemon, interval: float):
        self.daemon = daemon
        self.interval = interval
        self.rss_kib: list[int] = []
        self.probe_ms: list[float] = []
        self.stop_flag = threading.Event()
        self.threads = [threading.Thread(target=self._rss), threading.Thread(target=self._probe)]
        self.error: Exception | None = None

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join()

    def _rss(self) -> None:
        while not self.stop_flag.is_set():
            self.rss_kib.append(proc_status(self.daemon.proc.pid)["VmRSS"])
            self.stop_flag.wait(self.interval)

    def _probe(self) -> None:
        try:
            conn = Connection(self.daemon.socket)
            try:
                while not self.stop_flag.is_set():
                    t0 = time.monotonic()
                    conn.call("daemon.info", timeout=60)
                    self.probe_ms.append((time.monotonic() - t0) * 1000)
                    self.stop_flag.wait(self.interval)
            finally:
                conn.close()
        except (OSError, BenchError) as e:
            self.error = e


def run_size(size: int, codeloc: pathlib.Path, args, pids: set[int]) -> dict:
    log(f"snapshot {size_label(size)}, daemon {codeloc}")
    daemon = Daemon(codeloc, size, args.timeout, args.keep)
    failed = True
    try:
        t0 = time.monotonic()
        daemon.start()
        pids.update(daemon.pids())
        load_s = time.monotonic() - t0
        actual = daemon.snapshot_bytes()
        log(f"  LOADED in {load_s:.2f} s; the snapshot is {actual} bytes")
        cells = []
        for clients in args.clients:
            r = run_load(daemon, clients, args.duration, allowance(args, clients, actual), pids)
            log(f"  {clients:>3} client(s): {r['requests']} requests, {r['req_per_s']:.1f} req/s, "
                f"p50 {r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms, {r['mb_per_s']:.1f} MB/s, "
                f"daemon CPU {r['daemon_cpu_us_per_req']:.2f} µs/request (user "
                f"{r['daemon_user_us_per_req']:.2f}, system {r['daemon_sys_us_per_req']:.2f})")
            cells.append(r)
        hwm = proc_status(daemon.proc.pid)["VmHWM"]
        failed = False
        return {"snapshot_bytes": actual, "requested_bytes": size, "load_s": load_s, "cells": cells,
                "hwm_kib": hwm, "codeloc": str(codeloc)}
    finally:
        daemon.stop()
        pids.update(daemon.pids())
        daemon.cleanup(failed)


def run_rss(size: int, clients: int, codeloc: pathlib.Path, args, pids: set[int]) -> dict:
    """A fresh daemon (the first --codeloc), so that its VmHWM covers only the load and this
    relay."""
    log(f"memory: snapshot {size_label(size)} to {clients} client(s)")
    daemon = Daemon(codeloc, size, args.timeout, args.keep)
    failed = True
    try:
        daemon.start()
        pids.update(daemon.pids())
        actual = daemon.snapshot_bytes()
        before = proc_status(daemon.proc.pid)
        with Sampler(daemon, 0.02) as sampler:
            load = run_load(daemon, clients, args.duration, allowance(args, clients, actual),
                            pids)
        after = proc_status(daemon.proc.pid)
        if sampler.error:
            raise BenchError(f"daemon.info probe: {sampler.error}")
        result = {"snapshot_bytes": actual, "clients": clients,
                  "rss_before_kib": before["VmRSS"], "hwm_before_kib": before["VmHWM"],
                  "rss_after_kib": after["VmRSS"], "hwm_after_kib": after["VmHWM"],
                  "rss_max_sampled_kib": max(sampler.rss_kib), "rss_samples": len(sampler.rss_kib),
                  "probe_n": len(sampler.probe_ms),
                  "probe_p50_ms": percentile(sampler.probe_ms, 50),
                  "probe_p99_ms": percentile(sampler.probe_ms, 99),
                  "probe_max_ms": max(sampler.probe_ms), "load": load}
        log(f"  VmRSS {before['VmRSS'] / 1024:.0f} MiB before, sampled max "
            f"{result['rss_max_sampled_kib'] / 1024:.0f} MiB, VmHWM {after['VmHWM'] / 1024:.0f} "
            f"MiB, {after['VmRSS'] / 1024:.0f} MiB after; daemon.info p50 "
            f"{result['probe_p50_ms']:.2f} ms, max {result['probe_max_ms']:.1f} ms")
        failed = False
        return result
    finally:
        daemon.stop()
        pids.update(daemon.pids())
        daemon.cleanup(failed)


def ms(value: float) -> str:
    return f"{value:.0f} ms" if value >= 100 else f"{value:.2f} ms" if value >= 1 else \
        f"{value * 1000:.0f} µs"


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def markdown(result: dict) -> str:
    several = len(result["codelocs"]) > 1
    lines = [result["section"], "",
             "`location.definitions` on the control socket: each client is one connection with one "
             "request in flight, sent again as soon as the answer is read (build/codeloc_api_load, "
             f"C++); {result['duration']:g} s per row (method in bench/README.md). The snapshot "
             "column is the size of `definitions` as served, in bytes (10^3, 10^6).",
             "",
             ("| daemon " if several else "") +
             "| snapshot | clients | requests | req/s | p50 | p99 | MB/s | daemon CPU/req |",
             ("|---" if several else "") + "|---|---|---|---|---|---|---|---|"]
    for s in result["sizes"]:
        for c in s["cells"]:
            lines.append((f"| `{s['codeloc']}` " if several else "") +
                         f"| {size_label(s['snapshot_bytes'])} ({s['snapshot_bytes']} B) "
                         f"| {c['clients']} | {c['requests']} | {c['req_per_s']:.1f} "
                         f"| {ms(c['p50_ms'])} | {ms(c['p99_ms'])} | {c['mb_per_s']:.1f} "
                         f"| {c['daemon_cpu_us_per_req']:.2f} µs ({c['daemon_user_us_per_req']:.2f} "
                         f"+ {c['daemon_sys_us_per_req']:.2f}) |")
    lines.append("")
    notes = []
    r = result["rss"]
    if r:
        notes.append(
            f"- daemon memory relaying the {size_label(r['snapshot_bytes'])} snapshot to "
            f"{r['clients']} clients for {result['duration']:g} s ({r['load']['requests']} answers, "
            f"{r['load']['mb_per_s']:.0f} MB/s), fresh daemon: VmRSS {mib(r['rss_before_kib'])} "
            f"once LOADED (VmHWM {mib(r['hwm_before_kib'])}); during the relay VmRSS sampled every "
            f"20 ms peaked at {mib(r['rss_max_sampled_kib'])}; VmHWM {mib(r['hwm_after_kib'])}; "
            f"VmRSS {mib(r['rss_after_kib'])} after. A `daemon.info` probe on another connection "
            f"meanwhile: p50 {ms(r['probe_p50_ms'])}, p99 {ms(r['probe_p99_ms'])}, max "
            f"{ms(r['probe_max_ms'])} ({r['probe_n']} calls).")
    for s in result["sizes"]:
        notes.append(f"- {size_label(s['snapshot_bytes'])}"
                     + (f" (`{s['codeloc']}`)" if several else "") + ": asked codeloc_test_server for "
                     f"--snapshot-bytes {s['requested_bytes']}; LOADED {s['load_s']:.2f} s after "
                     f"the daemon started; the daemon's VmHWM after all its rows: {mib(s['hwm_kib'])}")
    m = result["machine"]
    notes += [f"- machine: {m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}, "
              f"Python {m['python']} (driver), codeloc {m['codeloc_commit']}; the load tool runs "
              "on the same CPUs as the daemon",
              f"- daemon CPU/req: the daemon's utime + stime over the row (/proc/PID/stat, "
              f"{CLOCK_TICKS} ticks/s) divided by its requests, as (user + system)",
              f"- daemon(s): {', '.join(f'`{c}`' for c in result['codelocs'])}; "
              f"command: `{result['command']}`"]
    return "\n".join(lines + notes) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds of load per row")
    parser.add_argument("--sizes", default="10k,1m,50m",
                        help="snapshot sizes in bytes, 'k' = 10^3, 'm' = 10^6 (default 10k,1m,50m)")
    parser.add_argument("--clients", default="1,10,100", help="client counts (default 1,10,100)")
    parser.add_argument("--rss-size", default="50m", help="snapshot of the memory run (default 50m)")
    parser.add_argument("--rss-clients", type=int, default=10,
                        help="clients of the memory run (default 10; 0 skips it)")
    parser.add_argument("--codeloc", type=pathlib.Path, action="append",
                        help="the daemon binary (default build/codeloc); given more than once, "
                             "each row is measured for each daemon in turn")
    parser.add_argument("--section", default=SECTION,
                        help=f"the Markdown section's title (default {SECTION!r})")
    parser.add_argument("--timeout", type=float, default=120, help="deadline of every wait (s)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--write", metavar="FILE", help="also write the Markdown section there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()
    args.codeloc = [c.resolve() for c in args.codeloc or [CODELOC]]  # the daemons run elsewhere
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    args.clients = [int(c) for c in args.clients.split(",") if c.strip()]
    if args.duration <= 0 or not sizes or not args.clients or min(args.clients) < 1:
        parser.error("--duration, --sizes and --clients need positive values")

    if rl.report_missing([*args.codeloc, TEST_SERVER, LOAD_TOOL], "configure with "
                         "-DCODELOC_BENCH=ON, then `ninja -C build codeloc codeloc_test_server "
                         "codeloc_api_load`"):
        return 2

    command = rl.command_line()
    result = {"command": command, "machine": machine(), "duration": args.duration, "sizes": [],
              "rss": None, "codelocs": [str(c) for c in args.codeloc], "section": args.section}
    pids: set[int] = set()
    with rl.Measuring(pids, MARKER) as outcome:
        for size in sizes:
            for codeloc in args.codeloc:
                result["sizes"].append(run_size(size, codeloc, args, pids))
        if args.rss_clients > 0:
            result["rss"] = run_rss(parse_size(args.rss_size), args.rss_clients, args.codeloc[0],
                                    args, pids)
    return outcome.end(result, markdown, args)


if __name__ == "__main__":
    sys.exit(main())
