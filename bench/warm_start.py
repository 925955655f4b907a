#!/usr/bin/env python3
"""Warm interpreters (docs/warm.md): a save's new definitions served, and the memory of many
Python locations sharing one interpreter, with fork servers (warm) and without (`warm: false`,
cold), in the same run.

    python3 bench/warm_start.py [--saves 20] [--locations 20] [--only saves|memory]
                                [--json] [--write bench/RESULTS.md]

Standard library only (Python 3.11); the daemon, the control connection, the Dagster scenario and
the statistics come from reload_latency.py. See bench/README.md for what is measured and how.

Every process this script starts is stopped by its pid: each daemon leads its own session and gets
SIGTERM, then SIGKILL after 10 s; the code servers and fork servers the daemon reported are
checked (and killed by pid if the daemon left one behind). At the end `ps` must show none of them.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time

import reload_latency as rl  # noqa: E402  (shared helpers)
from reload_latency import (ANALYTICS, CODELOC, DAGSTER_PYTHON, BenchError,  # noqa: E402
                            Connection, log, summary)

SECTION = "## Warm interpreters"
MEMORY_PREFIX = "codeloc-bench-warm-"
MEMORY_SETTLE = 2.0  # seconds between "all LOADED" and reading their memory


# Fork servers and locations --------------------------------------------------------------------
def fork_server(info: dict, python: pathlib.Path = DAGSTER_PYTHON) -> dict | None:
    """The fork server of `python` in a daemon.info answer: the one named exactly so, else the only
    one whose interpreter is the same file (the daemon may name it differently)."""
    servers = info.get("fork_servers")
    if servers is None:
        raise BenchError("daemon.info has no fork_servers: this codeloc has no warm interpreters")
    for server in servers:
        if server["python"] == str(python):
            return server
    same = [s for s in servers if os.path.exists(s["python"]) and os.path.samefile(s["python"], python)]
    return same[0] if len(same) == 1 else None


def wait_fork_server(daemon: rl.Daemon, control: Connection, timeout: float) -> dict:
    """Polls daemon.info until the fork server of DAGSTER_PYTHON is ready; returns its entry."""
    deadline = time.monotonic() + timeout
    seen = None
    while True:
        server = fork_server(control.call("daemon.info"))
        if server:
            daemon.note_pid(server.get("pid"))
            if server["state"] == "ready":
                return server
            if server["state"] == "disabled":
                raise BenchError(f"the fork server of {DAGSTER_PYTHON} is disabled: {server}")
            if server["state"] != seen:
                seen = server["state"]
                log(f"  fork server: {seen}" + (f" ({server['error']})" if server.get("error") else ""))
        if daemon.proc.poll() is not None:
            raise BenchError(f"the daemon exited with {daemon.proc.returncode}")
        if time.monotonic() > deadline:
            raise BenchError(f"the fork server of {DAGSTER_PYTHON} not ready after {timeout:.0f} s: "
                             f"{server}")
        time.sleep(0.1)


def listed(daemon: rl.Daemon, control: Connection) -> dict[str, dict]:
    """locations.list by name; every pid in it is recorded."""
    entries = {e["name"]: e for e in control.call("locations.list")["locations"]}
    for entry in entries.values():
        daemon.note_pid(entry.get("pid"))
    return entries


def check_mode(entry: dict, expected: str, what: str) -> None:
    if "start_mode" not in entry:
        raise BenchError("locations.list has no start_mode: this codeloc has no warm interpreters")
    if entry["start_mode"] != expected:
        raise BenchError(f"{what}: {entry['name']} (pid {entry.get('pid')}) started "
                         f"{entry['start_mode']}, not {expected} (cold_reason: "
                         f"{entry.get('cold_reason')!r})")


# 1. Save to new definitions --------------------------------------------------------------------
def run_saves(mode: str, args, markers: list[str], pids: set[int]) -> dict:
    """reload_latency's Dagster scenario, its entry with `warm: false` (cold) or without (warm).
    Warm: the fork server must be ready before the first save. Either way every save's reload
    must have started the location in that mode."""
    scenario = rl.Dagster(entry_lines=("warm: false",) if mode == "cold" else ())
    scenario.title = f"{rl.Dagster.title}, {mode}"
    info: dict = {}

    def before_saves(daemon, control):
        first = listed(daemon, control)[scenario.name]
        info["first_start"] = {k: first.get(k) for k in ("start_mode", "cold_reason")}
        if mode == "warm":
            server = wait_fork_server(daemon, control, args.timeout)
            log(f"  fork server ready: pid {server['pid']}, preloaded {server['preloaded']}")
            info["fork_server_before"] = server
        else:
            info["fork_servers"] = control.call("daemon.info")["fork_servers"]

    def after_save(daemon, control, i):
        entry = listed(daemon, control)[scenario.name]
        check_mode(entry, mode, f"save {i}")
        if mode == "warm":
            info["fork_server_after"] = fork_server(control.call("daemon.info"))

    result = rl.run_scenario(scenario, args, markers, pids, before_saves, after_save)
    result["mode"] = mode
    result.update(info)
    return result


# 2. Memory -------------------------------------------------------------------------------------
def location_names(n: int) -> list[str]:
    return [f"loc{i:02d}" for i in range(n)]


def write_workspace(workdir: pathlib.Path, n: int, cold: bool) -> None:
    """n python_file locations, each a one-asset defs.py in its own folder, all on DAGSTER_PYTHON."""
    lines = ["load_from:"]
    for name in location_names(n):
        lines += rl.python_file_location(workdir, name, DAGSTER_PYTHON)
        if cold:
            lines.append("      warm: false")
    (workdir / "workspace.yaml").write_text("\n".join(lines) + "\n")


def wait_loaded(daemon: rl.Daemon, events: Connection, control: Connection, names: list[str],
                deadline: float, old: dict[str, int] | None = None) -> dict[str, tuple[float, int]]:
    """Waits until every location is LOADED (with a pid other than old[name], if given); returns
    when each got there (time.monotonic(): the event's arrival, or the locations.list answer's)
    and its pid. `events` is subscribed to `state`."""
    old = old or {}
    done: dict[str, tuple[float, int]] = {}
    now = time.monotonic()
    for name, entry in listed(daemon, control).items():
        if entry["state"] == "LOADED" and entry["pid"] != old.get(name):
            done[name] = (now, entry["pid"])
    while len(done) < len(names):
        got = events.notification(deadline)
        if got is None:
            states = {n: e["state"] for n, e in listed(daemon, control).items() if n not in done}
            raise BenchError(f"{len(done)} of {len(names)} locations LOADED; still waiting for "
                             f"{states}")
        at, message = got
        params = message.get("params", {})
        if message.get("method") != "event.state" or params.get("name") not in names:
            continue
        daemon.note_pid(params.get("pid"))
        name = params["name"]
        if name in done:
            continue
        if params["to"] in ("LOAD_ERROR", "BACKOFF"):
            raise BenchError(f"{name}: {params['to']} {params.get('error')}")
        if params["to"] == "LOADED" and params.get("pid") != old.get(name):
            done[name] = (at, params["pid"])
    return done


def process_tree_memory(roots: list[int]) -> dict:
    """RSS and PSS (KiB, from /proc/PID/smaps_rollup) summed over `roots` and their descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = pathlib.Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    pids, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo += children.get(pid, [])
    rss = pss = 0
    for pid in pids:
        try:
            for line in pathlib.Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError as e:
            raise BenchError(f"cannot read the memory of pid {pid}: {e}")
    return {"processes": len(pids), "rss_kib": rss, "pss_kib": pss}


def restart_all(daemon: rl.Daemon, events: Connection, control: Connection, names: list[str],
                deadline: float) -> tuple[dict, dict[str, dict]]:
    """location.restart of every location, back to back; returns the seconds from the first
    request to the last LOADED ("all_s") and to each location's LOADED ("each_s"), and
    locations.list afterwards."""
    old = {name: entry["pid"] for name, entry in listed(daemon, control).items()}
    t0 = time.monotonic()
    for name in names:
        control.call("location.restart", {"name": name})
    done = wait_loaded(daemon, events, control, names, deadline, old)
    each = sorted(at - t0 for at, _ in done.values())
    entries = listed(daemon, control)
    for name, (_, pid) in done.items():
        if entries[name]["state"] != "LOADED" or entries[name]["pid"] != pid:
            raise BenchError(f"{name} changed again after its restart: {entries[name]}")
    return {"all_s": each[-1], "each_s": summary(each), "samples_s": [round(v, 3) for v in each]}, \
        entries


def run_memory(mode: str, args, markers: list[str], pids: set[int]) -> dict:
    """n locations in one daemon. Cold (`warm: false`): the start, the memory, a restart of all.
    Warm: the start (each waits for the fork server's warm-up, then forks), the fork server
    ready, a restart of all (forks), the memory."""
    n = args.locations
    names = location_names(n)
    # n interpreters importing dagster at once on 2 busy cores take minutes, not --timeout.
    slow = max(args.timeout, 15.0 * n)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"{MEMORY_PREFIX}{mode}-"))
    markers.append(str(workdir))
    log(f"memory, {n} locations, {mode}: {workdir}")
    write_workspace(workdir, n, cold=(mode == "cold"))
    daemon = rl.Daemon(workdir, args.watch_debounce, args.timeout,
                       extra_args=["--startup-timeout", f"{slow:.0f}s"])
    result: dict = {"mode": mode, "locations": n}
    ok = False
    try:
        t0 = time.monotonic()
        daemon.start()
        events = Connection(daemon.socket)
        control = Connection(daemon.socket)
        events.call("events.subscribe", {"topics": ["state"]})
        done = wait_loaded(daemon, events, control, names, t0 + slow)
        result["start_s"] = max(at for at, _ in done.values()) - t0
        entries = listed(daemon, control)
        result["start_modes"] = sorted({str(e.get("start_mode")) for e in entries.values()})
        log(f"  {n} LOADED {result['start_s']:.1f} s after the daemon's start "
            f"(start modes {result['start_modes']})")

        def memory(label: str) -> dict:
            time.sleep(MEMORY_SETTLE)
            entries = listed(daemon, control)
            if any(entries[name]["state"] != "LOADED" for name in names):
                raise BenchError(f"not all LOADED when reading memory: {entries}")
            got = process_tree_memory([entries[name]["pid"] for name in names])
            log(f"  memory {label}: {got['processes']} processes, PSS {got['pss_kib'] / 1024:.1f} "
                f"MiB, RSS {got['rss_kib'] / 1024:.1f} MiB")
            return got

        if mode == "cold":
            for entry in entries.values():
                check_mode(entry, "cold", "start")
            result["memory"] = memory("of the locations")
            result["fork_servers"] = control.call("daemon.info")["fork_servers"]
            result["restart"], entries = restart_all(daemon, events, control, names, t0 + slow)
            for entry in entries.values():
                check_mode(entry, "cold", "restart")
        else:
            for entry in entries.values():
                check_mode(entry, "warm", "start")
            server = wait_fork_server(daemon, control, slow)
            log(f"  fork server ready: pid {server['pid']}")
            result["restart"], entries = restart_all(daemon, events, control, names,
                                                     time.monotonic() + slow)
            for entry in entries.values():
                check_mode(entry, "warm", "restart")
            result["memory"] = memory("of the locations")
            server = wait_fork_server(daemon, control, args.timeout)
            if server["restarts"]:
                raise BenchError(f"the fork server restarted during the run: {server}")
            result["fork_server"] = server
            result["fork_server_memory"] = process_tree_memory([server["pid"]])
            log(f"  fork server pid {server['pid']}: PSS "
                f"{result['fork_server_memory']['pss_kib'] / 1024:.1f} MiB")
        each = result["restart"]["each_s"]
        log(f"  restart of {n} ({mode}): {result['restart']['all_s']:.2f} s to all LOADED; per "
            f"location median {each['median']:.2f} s, max {each['max']:.2f} s")
        events.close()
        control.close()
        ok = True
        return result
    finally:
        rl.stop_daemon(daemon, pids, ok, args.keep)


# Report ----------------------------------------------------------------------------------------
def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def markdown(result: dict) -> str:
    ms = rl.ms
    lines = [SECTION, "",
             "Python locations forked from a warm interpreter that has imported dagster (a fork "
             "server, docs/warm.md), against the same locations with `warm: false` (an exec of "
             "Python that imports everything), in the same run (method in bench/README.md).", ""]
    saves = result.get("saves")
    if saves:
        cold, warm = saves["cold"], saves["warm"]
        lines += ["### Save to new definitions", "",
                  "A save of `definitions.py` in a copy of examples/analytics (`python_module`, "
                  "`codeloc serve --watch`, debounce " + result["debounce"] + ") to its new asset "
                  "served by `location.definitions`, as in reload_latency.py.", "",
                  "| start of the new child | saves | median | p90 | min | max | reload-only median |",
                  "|---|---|---|---|---|---|---|"]
        for label, s in (("cold (`warm: false`)", cold), ("warm (fork)", warm)):
            lat, rl_ms = s["latency_ms"], s["reload_ms"]
            lines.append(f"| {label} | {s['saves']} | {ms(lat['median'])} | {ms(lat['p90'])} "
                         f"| {ms(lat['min'])} | {ms(lat['max'])} | {ms(rl_ms['median'])} "
                         f"(p90 {ms(rl_ms['p90'])}) |")
        ratio = saves["ratio"]
        lines += ["", f"Cold / warm: {ratio['median']:.1f}x at the median, {ratio['p90']:.1f}x at "
                      f"the p90. Goal (warm median under 500 ms, at least 5x faster than cold): "
                      f"{'met' if saves['goal_met'] else 'not met'}."]
        slow = [(i, v) for i, v in enumerate(warm["samples_ms"], 1)
                if v > 2 * warm["latency_ms"]["median"]]
        if slow:
            lines.append(f"{len(slow)} warm save(s) took over twice the warm median: "
                         + ", ".join(f"save {i} ({ms(v)})" for i, v in slow) + ".")
        lines.append("")
    memory = result.get("memory")
    if memory:
        cold, warm = memory["cold"], memory["warm"]
        n = cold["locations"]
        fs = warm["fork_server_memory"]
        total_warm = warm["memory"]["pss_kib"] + fs["pss_kib"]
        lines += ["### Memory", "",
                  f"{n} `python_file` locations (one `@dg.asset` each, in its own folder), all on "
                  "the example-analytics venv's interpreter, in one daemon. PSS counts a page "
                  "shared by k processes as 1/k in each, so the sums are what the locations cost "
                  "together.", "",
                  "| | cold (`warm: false`) | warm |", "|---|---|---|",
                  f"| PSS, the {n} locations' processes | {mib(cold['memory']['pss_kib'])} "
                  f"| {mib(warm['memory']['pss_kib'])} |",
                  f"| PSS, the fork server | - | {mib(fs['pss_kib'])} |",
                  f"| **PSS, total** | **{mib(cold['memory']['pss_kib'])}** "
                  f"| **{mib(total_warm)}** |",
                  f"| PSS per location (total / {n}) | {mib(cold['memory']['pss_kib'] / n)} "
                  f"| {mib(total_warm / n)} |",
                  f"| RSS, the {n} locations' processes (sum) | {mib(cold['memory']['rss_kib'])} "
                  f"| {mib(warm['memory']['rss_kib'])} |",
                  f"| RSS, the fork server | - | {mib(fs['rss_kib'])} |",
                  f"| daemon start to all {n} LOADED | {rl.seconds(cold['start_s'])} "
                  f"| {rl.seconds(warm['start_s'])} (each start waited for the fork server's "
                  "warm-up, then forked) |",
                  f"| `location.restart` of all {n}: to all LOADED | "
                  f"{rl.seconds(cold['restart']['all_s'])} (cold) | "
                  f"{rl.seconds(warm['restart']['all_s'])} (warm) |",
                  f"| the same, per location: median (max) | "
                  f"{rl.seconds(cold['restart']['each_s']['median'])} "
                  f"({rl.seconds(cold['restart']['each_s']['max'])}) | "
                  f"{rl.seconds(warm['restart']['each_s']['median'])} "
                  f"({rl.seconds(warm['restart']['each_s']['max'])}) |",
                  "",
                  f"Total PSS cold / warm: {memory['pss_ratio']:.1f}x. Restart of all {n}, cold / "
                  f"warm: {memory['restart_ratio']:.1f}x.", ""]
    m = result["machine"]
    lines += [f"- machine: {m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}, "
              f"Python {m['python']} (benchmark), codeloc {m['codeloc_commit']}",
              f"- command: `{result['command']}`"]
    if saves:
        w = saves["warm"]
        forks = ((w.get("fork_server_after") or {}).get("forks", 0)
                 - (w.get("fork_server_before") or {}).get("forks", 0))
        notes = "; ".join(f"{s['mode']}: {len(s['extra_reloads'])} save(s) reloaded more than "
                          "once" for s in (saves["cold"], saves["warm"]))
        lines.append(f"- saves: every warm sample was checked to be a fork (`start_mode` "
                     f"`warm`, {forks} forks during the saves), every cold one an exec; {notes}. "
                     "Reload-only: `event.reloaded` `duration_ms`, inside the daemon.")
    if memory:
        lines.append(f"- memory: read {MEMORY_SETTLE:.0f} s after all were LOADED, from "
                     "`/proc/PID/smaps_rollup` of each location's process and its descendants; "
                     "cold after the daemon's start, warm after every location was restarted "
                     "(forked) from the ready fork server.")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=20, help="saves per mode (default 20)")
    parser.add_argument("--locations", type=int, default=20,
                        help="locations of the memory part (default 20)")
    parser.add_argument("--only", choices=["saves", "memory"], help="run one part only")
    parser.add_argument("--watch-debounce", default="100ms",
                        help="passed to codeloc serve (default 100ms, the daemon's default)")
    parser.add_argument("--save-mode", choices=["rename", "inplace"], default="rename",
                        help="as in reload_latency.py (default rename)")
    parser.add_argument("--settle", type=float, default=0.5,
                        help="quiet seconds after each save before the next (default 0.5)")
    parser.add_argument("--timeout", type=float, default=60,
                        help="deadline of every wait (s); starting all the memory part's "
                             "locations gets at least 15 s per location")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--write", metavar="FILE", help="also write the Markdown section there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()
    if args.saves < 1 or args.locations < 1:
        parser.error("--saves and --locations must be at least 1")

    needed = [CODELOC, DAGSTER_PYTHON, ANALYTICS / "analytics" / "definitions.py"]
    if rl.report_missing(needed, "build with `ninja -C build codeloc`; the venv comes from "
                         "scripts/python-envs.sh"):
        return 2

    command = rl.command_line()
    result = {"command": command, "machine": rl.machine(), "debounce": args.watch_debounce,
              "save_mode": args.save_mode, "saves": None, "memory": None}
    markers: list[str] = []
    pids: set[int] = set()
    # Ours: a recorded pid, one in its session or group, or one naming one of our folders.
    with rl.Measuring(pids, lambda: markers or [MEMORY_PREFIX]) as outcome:
        if args.only in (None, "saves"):
            cold = run_saves("cold", args, markers, pids)
            warm = run_saves("warm", args, markers, pids)
            ratio = {k: cold["latency_ms"][k] / warm["latency_ms"][k] for k in ("median", "p90")}
            result["saves"] = {"cold": cold, "warm": warm, "ratio": ratio,
                               "goal_met": warm["latency_ms"]["median"] < 500
                               and ratio["median"] >= 5}
        if args.only in (None, "memory"):
            cold = run_memory("cold", args, markers, pids)
            warm = run_memory("warm", args, markers, pids)
            total_warm = warm["memory"]["pss_kib"] + warm["fork_server_memory"]["pss_kib"]
            result["memory"] = {"cold": cold, "warm": warm,
                                "pss_ratio": cold["memory"]["pss_kib"] / total_warm,
                                "restart_ratio": cold["restart"]["all_s"]
                                / warm["restart"]["all_s"]}
    return outcome.end(result, markdown, args)


if __name__ == "__main__":
    sys.exit(main())
