#!/usr/bin/env python3
"""What the daemon does between a child's exit and the next fork (issue 17).

    python3 bench/restart_profile.py [--codeloc [LABEL=]PATH ...] [--cycles 20]
                                     [--tool strace|perf|spawn] [--static-child] [--keep]

One location runs bench/peers_child.c (the C child: it exits with status 1 200 ms after its
start) with `restart: always` and a 1 ms backoff. For each daemon given (default build/codeloc;
several: each in turn, same settings), the script lets the child crash a few times, then

- strace (default): traces the daemon's threads (`strace -ttt -T`, no -f: the children are not
  traced) for --cycles restarts and splits the trace into cycles, from the reap (`wait4` returning
  a pid) to the fork (`clone`/`clone3`/`vfork`) that starts the next child, and until the next
  `epoll_wait` after it (the rest of that event). Per cycle it counts the system calls by name,
  the /proc files opened, the writes to stderr (the log) and the timers armed; the spans are
  strace's (each traced call costs tens of microseconds), so they rank work, they are not the
  untraced latency (bench/peers.py --child c measures that).
- perf: `perf record -e cpu-clock` on the daemon for as long as --cycles restarts take, then the
  flat profile by symbol (no hardware counters needed).
- spawn: no daemon. This script starts the C child --cycles times itself (os.posix_spawn, then
  SIGKILL and wait) and times each spawn to the child's `start` stamp: the fork+exec floor that
  every supervisor's restart latency has on top of its backoff.

Standard library only. Every process it starts is stopped by its pid or process group.
"""
from __future__ import annotations

import argparse
import collections
import os
import pathlib
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import peers  # noqa: E402  (the C child, its build, read_stamps, stop_group)

CALL = re.compile(r"^(?:\[pid\s+(\d+)\]\s+)?(\d+\.\d+)\s+(\w+)\((.*)$")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def start_daemon(workdir: pathlib.Path, binary: pathlib.Path) -> subprocess.Popen:
    argv = [str(workdir / "child"), "crash", str(workdir / "child.stamps")]
    (workdir / "workspace.yaml").write_text(
        "load_from:\n"
        "  - command:\n"
        f"      argv: {peers.json.dumps(argv)}\n"
        "      location_name: bench\n"
        "      restart: always\n"
        "      backoff: {initial: 1ms, max: 1ms}\n")
    out = open(workdir / "codeloc.log", "ab")
    proc = subprocess.Popen([str(binary), "serve", "-w", str(workdir / "workspace.yaml"),
                             "--socket", str(workdir / "codeloc.sock"),
                             "--state-dir", str(workdir / "state")],
                            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            cwd=workdir, start_new_session=True)
    out.close()
    return proc


def starts(workdir: pathlib.Path) -> int:
    return sum(1 for kind, _, _ in peers.read_stamps(workdir / "child.stamps") if kind == "start")


def wait_starts(workdir: pathlib.Path, count: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while starts(workdir) < count:
        if proc.poll() is not None:
            raise peers.BenchError(f"codeloc exited with {proc.returncode}; see {workdir}")
        if time.monotonic() > deadline:
            raise peers.BenchError(f"timed out waiting for {count} starts; see {workdir}")
        time.sleep(0.01)


def cycles_of(trace: pathlib.Path, main_tid: int) -> list[dict]:
    """The reap -> fork -> end-of-event cycles of the daemon's main thread in a strace output."""
    cycles, current = [], None
    for line in trace.read_text(errors="replace").splitlines():
        m = CALL.match(line)
        if not m:
            continue
        tid = int(m.group(1) or main_tid)
        if tid != main_tid:
            continue
        t, name, rest = float(m.group(2)), m.group(3), m.group(4)
        if name == "wait4" and re.search(r"\)\s+=\s+[1-9]\d*", rest) and current is None:
            current = {"start": t, "calls": collections.Counter(), "proc_opens": 0,
                       "stderr_writes": 0, "timers": 0, "fork": None, "end": None}
        if current is None:
            continue
        current["calls"][name] += 1
        if name in ("openat", "open") and '"/proc/' in rest:
            current["proc_opens"] += 1
        if name in ("write", "writev") and rest.startswith("2,"):
            current["stderr_writes"] += 1
        if name == "timerfd_settime":
            current["timers"] += 1
        if name in ("clone", "clone3", "vfork", "fork") and current["fork"] is None:
            current["fork"] = t
            current["calls_to_fork"] = sum(current["calls"].values())
            current["proc_opens_to_fork"] = current["proc_opens"]
            current["stderr_writes_to_fork"] = current["stderr_writes"]
        elif name == "epoll_wait" and current["fork"] is not None:
            current["end"] = t
            cycles.append(current)
            current = None
    return cycles


def med(values) -> float:
    return statistics.median(values) if values else float("nan")


def profile_strace(workdir, proc, args) -> dict:
    tids = sorted(int(t) for t in os.listdir(f"/proc/{proc.pid}/task"))
    trace = workdir / "strace.out"
    argv = ["strace", "-ttt", "-T", "-qq", "-o", str(trace)]
    for tid in tids:
        argv += ["-p", str(tid)]
    tracer = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=open(workdir / "strace.err", "wb"), start_new_session=True)
    try:
        time.sleep(0.5)  # attached
        wait_starts(workdir, starts(workdir) + args.cycles + 1, proc, args.timeout)
    finally:
        tracer.send_signal(signal.SIGINT)
        try:
            tracer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            tracer.kill()
            tracer.wait()
    cycles = cycles_of(trace, proc.pid)
    if not cycles:
        raise peers.BenchError(f"no reap -> fork cycle found in {trace}")
    names = collections.Counter()
    for c in cycles:
        names.update(c["calls"])
    return {
        "cycles": len(cycles),
        "to_fork_ms": med([(c["fork"] - c["start"]) * 1000 for c in cycles]),
        "after_fork_ms": med([(c["end"] - c["fork"]) * 1000 for c in cycles]),
        "calls_to_fork": med([c["calls_to_fork"] for c in cycles]),
        "calls": med([sum(c["calls"].values()) for c in cycles]),
        "proc_opens_to_fork": med([c["proc_opens_to_fork"] for c in cycles]),
        "proc_opens": med([c["proc_opens"] for c in cycles]),
        "stderr_writes_to_fork": med([c["stderr_writes_to_fork"] for c in cycles]),
        "stderr_writes": med([c["stderr_writes"] for c in cycles]),
        "timers": med([c["timers"] for c in cycles]),
        "top": [(n, round(k / len(cycles), 1)) for n, k in names.most_common(8)],
    }


def profile_perf(workdir, proc, args) -> dict:
    data = workdir / "perf.data"
    rec = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "20000", "--no-inherit",
                            "-p", str(proc.pid), "-o", str(data)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=open(workdir / "perf.err", "wb"),
                           start_new_session=True)
    try:
        time.sleep(0.5)
        wait_starts(workdir, starts(workdir) + args.cycles, proc, args.timeout)
    finally:
        rec.send_signal(signal.SIGINT)
        try:
            rec.wait(timeout=30)
        except subprocess.TimeoutExpired:
            rec.kill()
            rec.wait()
    report = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children",
                             "--sort", "dso,symbol", "--percent-limit", "1.5"],
                            capture_output=True, text=True, timeout=120).stdout
    lines = [line.rstrip(" -") for line in report.splitlines()
             if line.strip() and not line.startswith("#")]
    samples = re.search(r"# Samples: (\S+)", report)
    return {"top": lines[:25], "samples": samples.group(1) if samples else "?"}


def spawn_floor(args) -> dict:
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="codeloc-restart-profile-"))
    try:
        peers.build_c_child(workdir, static=args.static_child)
        stamps = workdir / "child.stamps"
        latencies = []
        for _ in range(args.cycles):
            before = len(peers.read_stamps(stamps))
            t0 = time.monotonic()
            pid = os.posix_spawn(str(workdir / "child"), [str(workdir / "child"), "serve",
                                                          str(stamps)], {})
            try:
                # Idle while the child starts (a polling loop would compete for the CPU).
                time.sleep(0.02)
                deadline = time.monotonic() + args.timeout
                while len(peers.read_stamps(stamps)) == before:
                    if time.monotonic() > deadline:
                        raise peers.BenchError(f"the child (pid {pid}) wrote no stamp")
                    time.sleep(0.01)
            finally:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            latencies.append((peers.read_stamps(stamps)[-1][2] - t0) * 1000)
        return peers.summary(latencies)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(label: str, binary: pathlib.Path, args) -> dict:
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="codeloc-restart-profile-"))
    proc = None
    ok = False
    try:
        peers.build_c_child(workdir, static=args.static_child)
        proc = start_daemon(workdir, binary)
        wait_starts(workdir, 4, proc, args.timeout)
        log(f"{label}: {binary} (pid {proc.pid}), {args.tool}, {args.cycles} restarts: {workdir}")
        result = (profile_strace if args.tool == "strace" else profile_perf)(workdir, proc, args)
        ok = True
        return result
    finally:
        if proc:
            peers.stop_group(proc, label)
        for _, pid, _ in peers.read_stamps(workdir / "child.stamps"):
            peers.kill_pid(pid, "child")
        if not ok or args.keep:
            log(f"  (kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codeloc", action="append", metavar="[LABEL=]PATH",
                        help="a codeloc binary (default build/codeloc); repeatable")
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--static-child", action="store_true",
                        help="link the C child with -static (no dynamic loader in its start)")
    parser.add_argument("--tool", choices=["strace", "perf", "spawn"], default="strace")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()
    if args.tool == "spawn":
        r = spawn_floor(args)
        print(f"load average (1 min) {os.getloadavg()[0]:.1f}")
        print(f"posix_spawn of the C child to its start stamp, {r['n']} times: median "
              f"{r['median']:.2f} ms, p90 {r['p90']:.2f}, min {r['min']:.2f}, max {r['max']:.2f}")
        return 0
    if not shutil.which(args.tool):
        print(f"restart_profile: `{args.tool}` is not on PATH", file=sys.stderr)
        return 2
    print(f"load average (1 min) {os.getloadavg()[0]:.1f}")
    for label, binary in peers.daemons(args):
        r = run(label, binary, args)
        if args.tool == "strace":
            print(f"\n{label} ({binary}): {r['cycles']} cycles, medians per cycle")
            print(f"  reap -> fork: {r['to_fork_ms']:.2f} ms under strace, {r['calls_to_fork']:.0f} "
                  f"syscalls, {r['proc_opens_to_fork']:.0f} /proc opens, "
                  f"{r['stderr_writes_to_fork']:.0f} stderr writes")
            print(f"  fork -> end of the event: {r['after_fork_ms']:.2f} ms under strace")
            print(f"  whole cycle: {r['calls']:.0f} syscalls, {r['proc_opens']:.0f} /proc opens, "
                  f"{r['stderr_writes']:.0f} stderr writes, {r['timers']:.0f} timerfd_settime")
            print("  most frequent: " + ", ".join(f"{n} {k}" for n, k in r["top"]))
        else:
            print(f"\n{label} ({binary}): {r['samples']} samples")
            print("\n".join("  " + line for line in r["top"]))
    print(f"load average (1 min) {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except peers.BenchError as e:
        print(f"restart_profile: {e}", file=sys.stderr)
        sys.exit(1)
