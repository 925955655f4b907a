#!/usr/bin/env python3
"""Event-loop stalls: the longest time the daemon's one loop is busy elsewhere, seen as the latency
of a `daemon.info` probe sent every ~1 ms on its own control connection, (a) while a location
loads a 50 MB snapshot and (b) while 20 warm forks are requested at once.

    python3 bench/loop_stall.py [--binary build/codeloc ...] [--only snapshot|forks] [--rounds 10]
                                [--snapshot-mb 50] [--locations 20] [--json] [--write FILE]

--binary may be given several times (e.g. an older build first): each runs every case, in turn.

Standard library only (Python 3.11); the daemon, the control connection, the Python locations and
the statistics come from reload_latency.py and warm_start.py. See bench/README.md for the method.

Every process this script starts is stopped by its pid: each daemon leads its own session and gets
SIGTERM, then SIGKILL after 10 s; the code servers and fork servers the daemon reported are
checked (and killed by pid if the daemon left one behind). At the end `ps` must show none of them.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading
import time

import reload_latency as rl  # noqa: E402  (shared helpers)
import warm_start as ws  # noqa: E402
from reload_latency import DAGSTER_PYTHON, TEST_SERVER, BenchError, Connection, log, summary

SECTION = "## Loop stalls (issue 16)"
PREFIX = "codeloc-bench-stall-"
TAIL = 0.2  # seconds probed after the round's last event, so that late work is seen too
REALTIME: list[str] = []  # --realtime: the command prefix of the daemon and the probe


class Probe:
    """`daemon.info` sent on its own connection, by a process of its own (this script with
    --probe-child), so that the bench's own Python work never delays it behind the GIL. It waits
    for each answer and sends the next one `interval` after the previous was sent (at once if the
    answer came later). The longest answer time while the loop works on something else is the
    longest stall, give or take the interval and the probe's own cost (its median latency).
    Samples are CLOCK_MONOTONIC, shared by both processes; they come back when the probe stops."""

    def __init__(self, path: pathlib.Path, interval: float):
        self.path, self.interval = path, interval
        self.samples: list[tuple[float, float]] = []  # (sent at, latency s)
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Probe:
        self.proc = subprocess.Popen(
            [*REALTIME, sys.executable, __file__, "--probe-child", str(self.path),
             str(self.interval)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = self.proc.stdout.readline()
        if ready.strip() != "ready":
            self._stop()
            raise BenchError(f"probe: did not start ({ready.strip() or 'no answer'})")
        return self

    def __exit__(self, *exc) -> None:
        out = self._stop()
        try:
            reply = json.loads(out or "{}")
        except ValueError as e:
            raise BenchError(f"probe: unreadable samples ({e})") from None
        if reply.get("error"):
            raise BenchError(f"probe: {reply['error']}")

    def _stop(self) -> str:
        """Closes the probe's stdin (its signal to stop), reads its samples, and waits for it;
        killed by its pid when it does not end within 30 s."""
        assert self.proc is not None
        try:
            out, _ = self.proc.communicate(input="", timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        try:
            self.samples = [tuple(x) for x in json.loads(out or "{}").get("samples", [])]
        except ValueError:
            self.samples = []
        return out

    def window(self, start: float, end: float) -> list[float]:
        """Latencies (ms) of the probes sent in [start, end]. Only after the probe stopped."""
        return [lat * 1000 for t0, lat in self.samples if start <= t0 <= end]


def probe_child(path: str, interval: float) -> int:
    """The probe process: probes until its stdin closes, then prints {"samples": [[t0, lat]...]}
    (or {"error": ...}) on stdout."""
    stopping = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stopping.set()), daemon=True).start()
    samples: list[tuple[float, float]] = []
    error = None
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        print("ready", flush=True)
        buffer, next_id = b"", 1
        while not stopping.is_set():
            t0 = time.monotonic()
            sock.sendall(json.dumps({"jsonrpc": "2.0", "id": next_id,
                                     "method": "daemon.info"}).encode() + b"\n")
            while True:
                while b"\n" not in buffer:
                    chunk = sock.recv(1 << 16)
                    if not chunk:
                        raise BenchError("the daemon closed the probe's connection")
                    buffer += chunk
                line, buffer = buffer.split(b"\n", 1)
                if json.loads(line).get("id") == next_id:
                    break
            t1 = time.monotonic()
            samples.append((t0, t1 - t0))
            next_id += 1
            left = t0 + interval - time.monotonic()
            if left > 0:
                time.sleep(left)
    except (OSError, ValueError, BenchError) as e:
        print("ready", flush=True)  # unblocks the parent if the connect failed
        error = str(e)
    print(json.dumps({"samples": samples, "error": error}), flush=True)
    return 0


def round_result(probe: Probe, start: float, end: float) -> dict:
    lat = probe.window(start, end)
    if not lat:
        raise BenchError("no probe was answered during the round")
    return {"max_ms": max(lat), "probes": len(lat), "median_probe_ms": summary(lat)["median"]}


def collect_rounds(probe: Probe, idle_end: float, windows: list[tuple[float, float, float]],
                   result: dict, what: str) -> None:
    """The stopped probe's samples into result["idle"] (before idle_end) and one entry of
    result["rounds"] per (start, end, loaded_s) window, each logged."""
    result["idle"] = round_result(probe, 0, idle_end)
    for i, (start, end, loaded) in enumerate(windows):
        r = round_result(probe, start, end) | {"loaded_s": loaded}
        log(f"  round {i + 1}: longest probe {r['max_ms']:.1f} ms "
            f"({r['probes']} probes, {what} {r['loaded_s']:.2f} s)")
        result["rounds"].append(r)


def wait_state(daemon: rl.Daemon, events: Connection, control: Connection, names: list[str],
               deadline: float, old: dict[str, int]) -> float:
    """ws.wait_loaded, returning when the last of `names` was LOADED with a new pid."""
    done = ws.wait_loaded(daemon, events, control, names, deadline, old)
    return max(at for at, _ in done.values())


# (a) A big snapshot ----------------------------------------------------------------------------
def run_snapshot(args, markers: list[str], pids: set[int]) -> dict:
    """One command: location, codeloc_test_server --snapshot-bytes N; each round restarts it (a
    new child, which sends N bytes of definitions, and the swap) while the probe runs."""
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=PREFIX + "snapshot-"))
    markers.append(str(workdir))
    size = args.snapshot_mb * 1_000_000
    log(f"snapshot of {size} bytes, {args.rounds} rounds: {workdir}")
    (workdir / "workspace.yaml").write_text(
        "load_from:\n"
        "  - command:\n"
        f"      argv: [{json.dumps(str(TEST_SERVER))}, --snapshot-bytes, '{size}']\n"
        "      location_name: big\n")
    daemon = rl.Daemon(workdir, "100ms", args.timeout)
    result: dict = {"snapshot_bytes": size, "rounds": []}
    ok = False
    try:
        daemon.start()
        events, control = Connection(daemon.socket), Connection(daemon.socket)
        events.call("events.subscribe", {"topics": ["state"]})
        wait_state(daemon, events, control, ["big"], time.monotonic() + args.timeout, {})
        got = control.call("location.definitions", {"name": "big"}, timeout=args.timeout)
        result["version"] = got.get("version")
        windows = []  # (start, end, loaded_s) per round
        with Probe(daemon.socket, args.interval) as probe:
            time.sleep(TAIL)  # the probe's idle latency before the first round
            idle_end = time.monotonic()
            for i in range(args.rounds):
                old = {n: e["pid"] for n, e in ws.listed(daemon, control).items()}
                t0 = time.monotonic()
                control.call("location.restart", {"name": "big"})
                t1 = wait_state(daemon, events, control, ["big"], t0 + args.timeout, old)
                time.sleep(TAIL)
                windows.append((t0, time.monotonic(), t1 - t0))
        collect_rounds(probe, idle_end, windows, result, "restart to LOADED")
        ok = True
    finally:
        rl.stop_daemon(daemon, pids, ok, args.keep)
    return result


# (b) 20 warm forks at once ---------------------------------------------------------------------
def run_forks(args, markers: list[str], pids: set[int]) -> dict:
    """n python_file locations on one interpreter (warm starts, docs/warm.md); each round
    restarts all of them back to back, so n fork requests reach the fork server at once."""
    n = args.locations
    names = ws.location_names(n)
    slow = max(args.timeout, 15.0 * n)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=PREFIX + "forks-"))
    markers.append(str(workdir))
    log(f"{n} warm locations, {args.rounds} rounds: {workdir}")
    ws.write_workspace(workdir, n, cold=False)
    daemon = rl.Daemon(workdir, "100ms", args.timeout,
                       extra_args=["--startup-timeout", f"{slow:.0f}s"])
    result: dict = {"locations": n, "rounds": []}
    ok = False
    try:
        daemon.start()
        events, control = Connection(daemon.socket), Connection(daemon.socket)
        events.call("events.subscribe", {"topics": ["state"]})
        wait_state(daemon, events, control, names, time.monotonic() + slow, {})
        server = ws.wait_fork_server(daemon, control, slow)
        log(f"  {n} LOADED; fork server ready (pid {server['pid']})")
        # The first start of each may have been cold (before the fork server was ready): one
        # unmeasured restart of all makes every later one a fork.
        ws.restart_all(daemon, events, control, names, time.monotonic() + slow)
        windows = []  # (start, end, loaded_s) per round
        with Probe(daemon.socket, args.interval) as probe:
            time.sleep(TAIL)
            idle_end = time.monotonic()
            for i in range(args.rounds):
                t0 = time.monotonic()
                restart, entries = ws.restart_all(daemon, events, control, names,
                                                  t0 + slow)
                for entry in entries.values():
                    ws.check_mode(entry, "warm", f"round {i + 1}")
                time.sleep(TAIL)
                windows.append((t0, time.monotonic(), restart["all_s"]))
        collect_rounds(probe, idle_end, windows, result, "restarts to all LOADED")
        ok = True
    finally:
        rl.stop_daemon(daemon, pids, ok, args.keep)
    return result


# Report ----------------------------------------------------------------------------------------
def load_average() -> str:
    try:
        return " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def tree_state() -> str:
    """"clean", or how many tracked files differ from the commit (a shared tree mid-edit)."""
    try:
        out = subprocess.run(["git", "-C", str(rl.ROOT), "status", "--porcelain", "-uno"],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    changed = len(out.splitlines())
    return "clean" if not changed else f"{changed} tracked file(s) changed"


def markdown(result: dict) -> str:
    lines = [SECTION, "",
             "Longest event-loop stall of the daemon: the latency of a `daemon.info` probe sent "
             f"every {result['interval_ms']:g} ms on its own control connection (method in "
             "bench/README.md). Per round, the longest probe; then the median and the max of "
             "those over the rounds.", "",
             "| binary | case | rounds | longest probe, median | max | probe idle (median) "
             "| round, median |",
             "|---|---|---|---|---|---|---|"]
    for run in result["runs"]:
        for key, label, what in (("snapshot", f"a {result['snapshot_mb']} MB snapshot loaded",
                                  "restart to LOADED"),
                                 ("forks", f"{result['locations']} warm forks requested at once",
                                  "restarts to all LOADED")):
            case = run.get(key)
            if not case:
                continue
            top = summary([r["max_ms"] for r in case["rounds"]])
            loaded = summary([r["loaded_s"] for r in case["rounds"]])
            lines.append(f"| `{run['binary']}` | {label} | {len(case['rounds'])} "
                         f"| {rl.ms(top['median'])} | {rl.ms(top['max'])} "
                         f"| {case['idle']['median_probe_ms']:.2f} ms "
                         f"| {what} {rl.seconds(loaded['median'])} |")
    m = result["machine"]
    lines += ["",
              f"- machine: {m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}, load average "
              f"{result['load_before']} before / {result['load_after']} after, codeloc tree "
              f"{m['codeloc_commit']} ({result['tree']})",
              f"- command: `{result['command']}`"]
    if result.get("realtime"):
        lines.append("- `--realtime`: the daemon and the probe ran SCHED_FIFO (their children "
                     "normal), so the machine's other work could not preempt them")
    return "\n".join(lines) + "\n"


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--probe-child":
        return probe_child(sys.argv[2], float(sys.argv[3]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=pathlib.Path, action="append",
                        help="a codeloc binary to measure (default build/codeloc); repeatable")
    parser.add_argument("--only", choices=["snapshot", "forks"], help="run one case only")
    parser.add_argument("--rounds", type=int, default=10, help="rounds per case (default 10)")
    parser.add_argument("--snapshot-mb", type=int, default=50, help="snapshot size (default 50)")
    parser.add_argument("--locations", type=int, default=20,
                        help="warm locations of the fork case (default 20)")
    parser.add_argument("--interval", type=float, default=0.001,
                        help="seconds between probes (default 0.001)")
    parser.add_argument("--realtime", action="store_true",
                        help="run the daemon and the probe SCHED_FIFO (chrt -f -R 10; their "
                        "children stay normal), so that a loaded machine's other work does not "
                        "preempt them: what is left is the daemon's own work (needs root)")
    parser.add_argument("--timeout", type=float, default=60, help="deadline of every wait (s)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--write", metavar="FILE", help="also write the Markdown section there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()
    if args.rounds < 1 or args.locations < 1:
        parser.error("--rounds and --locations must be at least 1")

    binaries = args.binary or [rl.CODELOC]
    needed = [*binaries, TEST_SERVER, DAGSTER_PYTHON]
    if rl.report_missing(needed, "build with `ninja -C build codeloc codeloc_test_server`; the "
                         "venv comes from scripts/python-envs.sh"):
        return 2
    result = {"command": rl.command_line(), "machine": rl.machine(),
              "interval_ms": args.interval * 1000, "snapshot_mb": args.snapshot_mb,
              "locations": args.locations, "load_before": load_average(), "runs": [],
              "tree": tree_state()}
    if args.realtime:
        REALTIME[:] = ["chrt", "-f", "-R", "10"]
    result["realtime"] = bool(args.realtime)
    markers: list[str] = []
    pids: set[int] = set()
    wrappers = pathlib.Path(tempfile.mkdtemp(prefix=PREFIX + "bin-"))
    markers.append(str(wrappers))
    with rl.Measuring(pids, lambda: markers or [PREFIX]) as outcome:
        for i, binary in enumerate(binaries):
            rl.CODELOC = binary.resolve()  # rl.Daemon starts rl.CODELOC
            if REALTIME:  # the same pid: the wrapper execs chrt, which execs the daemon
                wrapper = wrappers / f"codeloc-{i}"
                wrapper.write_text(f"#!/bin/sh\nexec {' '.join(REALTIME)} {rl.CODELOC} \"$@\"\n")
                wrapper.chmod(0o755)
                rl.CODELOC = wrapper
            log(f"binary {binary}")
            run = {"binary": str(binary), "snapshot": None, "forks": None}
            result["runs"].append(run)
            if args.only in (None, "snapshot"):
                run["snapshot"] = run_snapshot(args, markers, pids)
            if args.only in (None, "forks"):
                run["forks"] = run_forks(args, markers, pids)
    result["load_after"] = load_average()
    return outcome.end(result, markdown, args)


if __name__ == "__main__":
    sys.exit(main())
