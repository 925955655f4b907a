#!/usr/bin/env python3
"""Dagster's UI on codeloc against `dagster dev`: a file's save to the new asset visible in
Dagster's own GraphQL API (dagster-webserver), and the webserver's start to every location loaded.

    python3 bench/dagster_ui.py [--saves 20] [--locations 2,20] [--only saves|start]
                                [--peers codeloc,dagster-dev] [--json] [--write bench/RESULTS.md]

Standard library only (Python 3.11). The daemon, the control connection, the Dagster scenario, the
statistics and the report come from reload_latency.py; the GraphQL client (urllib) and the
Dagster processes from tests/integration/dagster_graphql.py. See bench/README.md for what is
measured and how.

Every process this script starts is stopped by its pid or process group: the codeloc daemon leads
its own session and gets SIGTERM, then SIGKILL after 10 s; dagster-webserver and `dagster dev`
lead their own sessions and their process groups get SIGTERM, then SIGKILL after 30 s. At the end
`ps` must show none of them, nor any process in their groups or sessions.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import time

import reload_latency as rl  # noqa: E402  (shared helpers)
from reload_latency import (ANALYTICS, BUILD, CODELOC, DAGSTER_PYTHON, ROOT, BenchError,  # noqa
                            Connection, log, summary)

sys.path.insert(0, str(ROOT / "tests" / "integration"))
import dagster_graphql as gql  # noqa: E402

SECTION = "## Dagster UI (issue 15)"
PREFIX = "codeloc-bench-dagster-ui-"
DAGSTER_BIN = BUILD / "venvs" / "dagster" / "bin"
PEERS = ("codeloc", "dagster-dev")


# Shared --------------------------------------------------------------------------------------
def new_workdir(name: str, markers: list[str]) -> pathlib.Path:
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"{PREFIX}{name}-"))
    markers.append(str(workdir))
    return workdir


class Webserver:
    """dagster-webserver (or `dagster dev`, which runs one) in its own session, and its client.
    Its pid (= its process group and session) goes to `pids` at once, so that the leftovers check
    covers everything it starts."""

    def __init__(self, argv: list, workdir: pathlib.Path, port: int, log_name: str,
                 pids: set[int], timeout: float):
        home = gql.dagster_home(workdir / "dagster_home", run_coordinator=None)
        self.log_path = workdir / log_name
        self.started = time.monotonic()
        self.process = gql.Process(argv, self.log_path, env={"DAGSTER_HOME": str(home),
                                                             "NO_COLOR": "1"}, cwd=workdir)
        pids.add(self.process.pid)
        self.pids = pids
        self.client = gql.Client(port, timeout=timeout)
        self.timeout = timeout
        log(f"  {pathlib.Path(str(argv[0])).name} pid {self.process.pid} on 127.0.0.1:{port}")

    def alive_or_fail(self) -> None:
        if not self.process.alive():
            raise BenchError(f"{self.process.argv[0]} exited with "
                             f"{self.process.proc.returncode}; its log ends:\n"
                             + "\n".join(self.process.log().splitlines()[-30:]))

    def query(self, fn, *args):
        """A GraphQL call that fails the run (not the script) when the webserver answers with an
        error or not at all."""
        try:
            return fn(*args)
        except (gql.GraphQLError, OSError) as e:
            self.alive_or_fail()
            raise BenchError(f"GraphQL: {e}") from None

    def wait_answers(self) -> float:
        """Waits for /server_info; returns the time it first answered."""
        deadline = time.monotonic() + self.timeout
        while self.client.server_info() is None:
            self.alive_or_fail()
            if time.monotonic() > deadline:
                raise BenchError(f"the webserver did not answer within {self.timeout:.0f} s")
            time.sleep(0.05)
        return time.monotonic()

    def wait_workspace(self, what: str, condition, poll: float, deadline: float | None = None,
                       between=None) -> tuple[float, dict]:
        """Polls workspaceOrError every `poll` s until condition(locations) holds; returns the
        time of the answer that showed it, and the locations. `between(seconds)` replaces the
        sleep between polls (it may read other events meanwhile)."""
        deadline = deadline or time.monotonic() + self.timeout
        while True:
            try:
                locations = self.client.workspace()
            except (gql.GraphQLError, OSError):
                self.alive_or_fail()
                locations = None
            now = time.monotonic()
            if locations is not None and condition(locations):
                return now, locations
            if now > deadline:
                raise BenchError(f"timed out after {self.timeout:.0f} s waiting for {what}; "
                                 f"GraphQL shows {summarize(locations)}")
            self.alive_or_fail()
            (between or time.sleep)(poll)

    def stop(self) -> None:
        self.pids |= self.process.group_pids()
        status = self.process.stop()
        if status not in (0, -15, 143):
            log(f"  {self.process.argv[0]} exited with {status}")


def summarize(locations: dict | None) -> str:
    if locations is None:
        return "no answer"
    return ", ".join(f"{n}: {l.load_status}{' (error)' if l.error else ''} {len(l.assets)} assets"
                     for n, l in sorted(locations.items())) or "no locations"


def dagster_dev(workdir: pathlib.Path, pids: set[int], timeout: float) -> Webserver:
    port = gql.free_port()
    return Webserver([DAGSTER_BIN / "dagster", "dev", "-w", workdir / "workspace.yaml",
                      "-h", "127.0.0.1", "-p", str(port)],
                     workdir, port, "dagster-dev.log", pids, timeout)


def codeloc_webserver(workdir: pathlib.Path, workspace: pathlib.Path, pids: set[int],
                      timeout: float) -> Webserver:
    port = gql.free_port()
    return Webserver([DAGSTER_BIN / "dagster-webserver", "-h", "127.0.0.1", "-p", str(port),
                      "-w", workspace], workdir, port, "dagster-webserver.log", pids, timeout)


def dagster_grpc(entry: dict) -> dict:
    grpc = entry.get("dagster_grpc")
    if grpc is None:
        raise BenchError("locations.list has no dagster_grpc: this codeloc does not serve "
                         "Dagster's gRPC API (issue 15)")
    return grpc


def listed(daemon: rl.Daemon, control: Connection) -> dict[str, dict]:
    entries = {e["name"]: e for e in control.call("locations.list")["locations"]}
    for entry in entries.values():
        daemon.note_pid(entry.get("pid"))
    return entries


def wait_published(daemon: rl.Daemon, control: Connection, names: list[str],
                   deadline: float) -> dict[str, dict]:
    """Waits until every location is LOADED with its Dagster gRPC server published."""
    while True:
        entries = listed(daemon, control)
        missing = [n for n in names if n not in entries]
        if missing:
            raise BenchError(f"locations.list lacks {missing}")
        failed = [n for n in names if entries[n]["state"] in ("LOAD_ERROR", "STOPPED")]
        if failed:
            raise BenchError(f"{failed[0]} did not load: {entries[failed[0]]}")
        ready = [n for n in names if entries[n]["state"] == "LOADED"
                 and dagster_grpc(entries[n])["published"]]
        if len(ready) == len(names):
            return entries
        if daemon.proc.poll() is not None:
            raise BenchError(f"the daemon exited with {daemon.proc.returncode}")
        if time.monotonic() > deadline:
            waiting = sorted(set(names) - set(ready))
            raise BenchError(f"not LOADED and published in time: {waiting[:5]} "
                             f"({entries[waiting[0]]})")
        time.sleep(0.05)


def write_dagster_workspace(daemon: rl.Daemon, control: Connection, path: pathlib.Path) -> str:
    """`codeloc dagster-workspace -o FILE` from the running daemon; while that command does not
    exist, the same file built from locations.list's dagster_grpc sockets. Returns which."""
    done = subprocess.run([str(CODELOC), "dagster-workspace", "--socket", str(daemon.socket),
                           "-o", str(path)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if done.returncode == 0 and path.exists():
        return "codeloc dagster-workspace"
    log(f"  codeloc dagster-workspace failed ({done.returncode}: {done.stderr.strip()[:200]}); "
        "writing the workspace from locations.list")
    lines = ["load_from:"]
    for name, entry in sorted(listed(daemon, control).items()):
        lines += ["  - grpc_server:", f"      socket: {json.dumps(dagster_grpc(entry)['socket'])}",
                  f"      location_name: {json.dumps(name)}"]
    path.write_text("\n".join(lines) + "\n")
    return "locations.list"


# 1. Save to the new asset in GraphQL ---------------------------------------------------------
def has_save(locations: dict, name: str, i: int) -> bool:
    loc = locations.get(name)
    return bool(loc and loc.loaded and f"bench_asset_{i}" in loc.assets
                and f"bench_asset_{i - 1}" not in loc.assets)


def saves_dagster_dev(args, markers: list[str], pids: set[int]) -> dict:
    """`dagster dev` on a copy of examples/analytics; each save is followed at once by a GraphQL
    reloadRepositoryLocation (what a file watcher running curl would do)."""
    scenario = rl.Dagster()
    workdir = new_workdir("saves-dagster-dev", markers)
    log(f"saves, dagster dev: {workdir}")
    scenario.setup(workdir)
    name = scenario.name
    web = dagster_dev(workdir, pids, args.timeout)
    ok = False
    try:
        web.wait_answers()
        web.wait_workspace(f"{name} loaded with bench_asset_0",
                           lambda locs: has_save(locs, name, 0), args.poll)
        latencies, reload_ms = [], []
        phase = random.Random(args.seed)
        for i in range(1, args.saves + 1):
            text = scenario.text(i)
            time.sleep(phase.uniform(0, args.phase))
            t0 = time.monotonic()
            rl.save(scenario.file, text, args.save_mode)
            entry = web.query(web.client.reload_location, name)
            t_reload = time.monotonic()
            if entry["locationOrLoadError"]["__typename"] != "RepositoryLocation":
                raise BenchError(f"save {i}: the reload failed: {entry}")
            t1, _ = web.wait_workspace(f"save {i}'s bench_asset_{i}",
                                       lambda locs: has_save(locs, name, i), args.poll)
            latencies.append((t1 - t0) * 1000)
            reload_ms.append((t_reload - t0) * 1000)
            log(f"  save {i}/{args.saves}: {latencies[-1]:7.1f} ms to the new asset in GraphQL "
                f"(reloadRepositoryLocation answered after {reload_ms[-1]:.1f} ms)")
            time.sleep(args.settle)  # as codeloc's settle: a quiet time before the next save
        ok = True
        return {"peer": "dagster-dev", "saves": args.saves, "latency_ms": summary(latencies),
                "reload_ms": summary(reload_ms), "samples_ms": [round(v, 2) for v in latencies]}
    finally:
        web.stop()
        finish(workdir, ok, args.keep, [web.log_path])


def saves_codeloc(args, markers: list[str], pids: set[int]) -> dict:
    """`codeloc serve --watch` on a copy of examples/analytics and dagster-webserver on the
    workspace `codeloc dagster-workspace` writes. Nothing asks the webserver to reload: it sees
    the new server id of the location's stable socket by itself."""
    scenario = rl.Dagster()
    workdir = new_workdir("saves-codeloc", markers)
    log(f"saves, codeloc: {workdir}")
    scenario.setup(workdir)
    name = scenario.name
    daemon = rl.Daemon(workdir, args.watch_debounce, args.timeout)
    web = None
    ok = False
    try:
        daemon.start()
        control = Connection(daemon.socket)
        events = Connection(daemon.socket)
        events.call("events.subscribe", {"topics": ["reload", "state"]})
        wait_published(daemon, control, [name], time.monotonic() + args.timeout)
        daemon.wait_log("watching 1 location(s)")
        workspace = workdir / "dagster-workspace.yaml"
        how = write_dagster_workspace(daemon, control, workspace)
        web = codeloc_webserver(workdir, workspace, pids, args.timeout)
        web.wait_answers()
        web.wait_workspace(f"{name} loaded with bench_asset_0",
                           lambda locs: has_save(locs, name, 0), args.poll)

        reloads: list[tuple[float, dict]] = []

        def read_events(seconds: float) -> None:
            """Sleeps `seconds` while reading the daemon's events (their arrival times)."""
            until = time.monotonic() + seconds
            while True:
                got = events.notification(until)
                if got is None:
                    return
                at, message = got
                params = message.get("params", {})
                if params.get("name") == name:
                    daemon.note_pid(params.get("pid"))
                    if message["method"] == "event.reloaded":
                        reloads.append((at, params))

        def settle() -> None:
            """No reload for args.settle s, and the location LOADED and published."""
            while True:
                seen = len(reloads)
                read_events(args.settle)
                if len(reloads) == seen:
                    wait_published(daemon, control, [name], time.monotonic() + args.timeout)
                    return

        settle()
        latencies, codeloc_ms, extra = [], [], []
        phase = random.Random(args.seed)
        for i in range(1, args.saves + 1):
            text = scenario.text(i)
            read_events(phase.uniform(0, args.phase))
            seen = len(reloads)
            t0 = time.monotonic()
            rl.save(scenario.file, text, args.save_mode)
            t1, _ = web.wait_workspace(f"save {i}'s bench_asset_{i}",
                                       lambda locs: has_save(locs, name, i), args.poll,
                                       between=read_events)
            deadline = time.monotonic() + args.timeout
            while len(reloads) == seen:
                if time.monotonic() > deadline:
                    raise BenchError(f"save {i}: no event.reloaded")
                read_events(0.05)
            settle()
            mine = reloads[seen:]
            for _, params in mine:
                if params["outcome"] != "LOADED":
                    raise BenchError(f"save {i}: a reload ended {params['outcome']}: {params}")
            if len(mine) > 1:
                extra.append(i)
            latencies.append((t1 - t0) * 1000)
            codeloc_ms.append((mine[0][0] - t0) * 1000)
            log(f"  save {i}/{args.saves}: {latencies[-1]:7.1f} ms to the new asset in GraphQL "
                f"(codeloc's event.reloaded after {codeloc_ms[-1]:.1f} ms)")
        events.close()
        control.close()
        ok = True
        return {"peer": "codeloc", "saves": args.saves, "latency_ms": summary(latencies),
                "reload_ms": summary(codeloc_ms), "samples_ms": [round(v, 2) for v in latencies],
                "extra_reloads": extra, "workspace_from": how}
    finally:
        if web is not None:
            web.stop()
        rl.stop_daemon(daemon, pids, True, True)  # the folder is handled by finish()
        finish(workdir, ok, args.keep, [daemon.log_path] + ([web.log_path] if web else []))


def finish(workdir: pathlib.Path, ok: bool, keep: bool, logs: list[pathlib.Path]) -> None:
    if not ok:
        for path in logs:
            try:
                text = path.read_text(errors="replace")
            except FileNotFoundError:
                continue
            log(f"--- {path} (last lines) ---")
            log("\n".join(text.splitlines()[-40:]))
        log(f"(kept {workdir})")
    elif not keep:
        shutil.rmtree(workdir, ignore_errors=True)


# 2. The webserver's start to every location loaded -------------------------------------------
def location_names(n: int) -> list[str]:
    return [f"loc{i:02d}" for i in range(n)]


def write_locations(workdir: pathlib.Path, n: int) -> list[str]:
    """n python_file locations, each a one-asset defs.py in its own folder (NAME_asset), on the
    example-analytics venv's python: the same workspace.yaml for codeloc and `dagster dev`."""
    lines = ["load_from:"]
    names = location_names(n)
    for name in names:
        lines += rl.python_file_location(workdir, name, DAGSTER_PYTHON)
    (workdir / "workspace.yaml").write_text("\n".join(lines) + "\n")
    return names


def all_loaded(names: list[str]):
    def check(locations: dict) -> bool:
        return all(n in locations and locations[n].loaded and f"{n}_asset" in locations[n].assets
                   for n in names)
    return check


def start_dagster_dev(n: int, args, markers: list[str], pids: set[int]) -> dict:
    workdir = new_workdir(f"start-dagster-dev-{n}", markers)
    names = write_locations(workdir, n)
    log(f"start, dagster dev, {n} locations: {workdir}")
    web = dagster_dev(workdir, pids, start_timeout(args, n))
    ok = False
    try:
        answered = web.wait_answers()
        t1, _ = web.wait_workspace(f"all {n} locations loaded", all_loaded(names), args.poll)
        ok = True
        result = {"peer": "dagster-dev", "locations": n, "answers_s": answered - web.started,
                  "loaded_s": t1 - web.started}
        log(f"  all {n} loaded after {result['loaded_s']:.2f} s (answered after "
            f"{result['answers_s']:.2f} s)")
        return result
    finally:
        web.stop()
        finish(workdir, ok, args.keep, [web.log_path])


def start_codeloc(n: int, args, markers: list[str], pids: set[int]) -> dict:
    """The daemon first (its start to every location LOADED and published is reported apart),
    then the webserver on `codeloc dagster-workspace`'s file, timed from its spawn."""
    workdir = new_workdir(f"start-codeloc-{n}", markers)
    names = write_locations(workdir, n)
    log(f"start, codeloc, {n} locations: {workdir}")
    timeout = start_timeout(args, n)
    daemon = rl.Daemon(workdir, args.watch_debounce, timeout)
    web = None
    ok = False
    try:
        t_daemon = time.monotonic()
        daemon.start()
        control = Connection(daemon.socket)
        wait_published(daemon, control, names, time.monotonic() + timeout)
        daemon_s = time.monotonic() - t_daemon
        workspace = workdir / "dagster-workspace.yaml"
        how = write_dagster_workspace(daemon, control, workspace)
        web = codeloc_webserver(workdir, workspace, pids, timeout)
        answered = web.wait_answers()
        t1, _ = web.wait_workspace(f"all {n} locations loaded", all_loaded(names), args.poll)
        control.close()
        ok = True
        result = {"peer": "codeloc", "locations": n, "answers_s": answered - web.started,
                  "loaded_s": t1 - web.started, "daemon_s": daemon_s, "workspace_from": how}
        log(f"  all {n} loaded after {result['loaded_s']:.2f} s (answered after "
            f"{result['answers_s']:.2f} s; the daemon had them all published after "
            f"{daemon_s:.2f} s)")
        return result
    finally:
        if web is not None:
            web.stop()
        rl.stop_daemon(daemon, pids, True, True)
        finish(workdir, ok, args.keep, [daemon.log_path] + ([web.log_path] if web else []))


def start_timeout(args, n: int) -> float:
    return max(args.timeout, 15.0 * n)


# Report --------------------------------------------------------------------------------------
def markdown(result: dict) -> str:
    ms = rl.ms
    lines = [SECTION, "",
             "Dagster's own UI on codeloc's locations against `dagster dev`, in the same run "
             "(method in bench/README.md). The oracle is Dagster's GraphQL API "
             "(dagster-webserver 1.13, `workspaceOrError`), polled every "
             f"{result['poll'] * 1000:.0f} ms over loopback, as the UI would see it.", ""]
    saves = result.get("saves") or {}
    if saves:
        lines += ["### Save to the new asset in Dagster's GraphQL", "",
                  "A save of `definitions.py` in a copy of examples/analytics (`python_module`, "
                  "the example-analytics venv) that renames one asset; the time until "
                  "`workspaceOrError` shows the new key and not the old one.", "",
                  "| | saves | median | p90 | min | max | of which |",
                  "|---|---|---|---|---|---|---|"]
        labels = {"codeloc": "codeloc `serve --watch` + dagster-webserver on "
                             "`codeloc dagster-workspace` (no request to reload)",
                  "dagster-dev": "`dagster dev`, a GraphQL `reloadRepositoryLocation` right "
                                 "after each save (fswatch + curl)"}
        part = {"codeloc": "codeloc's `event.reloaded`: median {m}",
                "dagster-dev": "`reloadRepositoryLocation` answered: median {m}"}
        for peer in PEERS:
            s = saves.get(peer)
            if not s:
                continue
            lat = s["latency_ms"]
            lines.append(f"| {labels[peer]} | {s['saves']} | {ms(lat['median'])} "
                         f"| {ms(lat['p90'])} | {ms(lat['min'])} | {ms(lat['max'])} "
                         f"| {part[peer].format(m=ms(s['reload_ms']['median']))} |")
        if "codeloc" in saves and "dagster-dev" in saves:
            c, d = saves["codeloc"]["latency_ms"], saves["dagster-dev"]["latency_ms"]
            lines += ["", f"`dagster dev` / codeloc: {d['median'] / c['median']:.1f}x at the "
                          f"median, {d['p90'] / c['p90']:.1f}x at the p90."]
        lines.append("")
    starts = result.get("start") or []
    if starts:
        lines += ["### The webserver's start to every location loaded", "",
                  "One-asset `python_file` locations, each in its own folder, on the "
                  "example-analytics venv's python. From the spawn of the webserver (`dagster "
                  "dev`, or dagster-webserver on codeloc's workspace) to `workspaceOrError` "
                  "showing every location LOADED with its asset.", "",
                  "| locations | codeloc: webserver start to all loaded | codeloc: its daemon's "
                  "start to all published (before) | `dagster dev`: start to all loaded |",
                  "|---|---|---|---|"]
        for n in result["counts"]:
            c = next((s for s in starts if s["peer"] == "codeloc" and s["locations"] == n), None)
            d = next((s for s in starts if s["peer"] == "dagster-dev" and s["locations"] == n),
                     None)
            lines.append(f"| {n} | {rl.seconds(c['loaded_s']) if c else '-'} "
                         f"| {rl.seconds(c['daemon_s']) if c else '-'} "
                         f"| {rl.seconds(d['loaded_s']) if d else '-'} |")
        lines.append("")
    m = result["machine"]
    load = result.get("load") or {}
    lines += [f"- machine: {m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}, "
              f"Python {m['python']} (benchmark), codeloc {m['codeloc_commit']}, "
              f"dagster {result['dagster_version']}; 1-minute load average "
              f"{load.get('before', 0):.2f} before the run, {load.get('after', 0):.2f} after",
              f"- command: `{result['command']}`",
              f"- codeloc: debounce {result['debounce']}, warm starts (the default). The "
              "webserver asks each location's stable socket for its server id every second and "
              "fetches the definitions when it changed, so its share of the latency is up to "
              "1 s after codeloc has swapped the new generation in (plus the fetch). Before each "
              f"save (both peers) the script waits a random 0 to {result['phase']:g} s (seed "
              f"{result['seed']}), so that the saves fall at every phase of that poll; without "
              "it, a fixed time between saves locks them to one phase.",
              "- `dagster dev`: its own webserver and dagster-daemon; the latency includes the "
              "`reloadRepositoryLocation` call (the new code server's import) and the next "
              "GraphQL poll."]
    sources = sorted({s["workspace_from"] for s in [*saves.values(), *starts]
                      if s.get("workspace_from")})
    if sources:
        lines.append("- the webserver's workspace for codeloc came from "
                     + " and ".join(f"`{s}`" for s in sources))
    if saves.get("codeloc", {}).get("extra_reloads"):
        lines.append(f"- codeloc: saves {saves['codeloc']['extra_reloads']} reloaded more than "
                     "once")
    return "\n".join(lines) + "\n"


def dagster_version() -> str:
    done = subprocess.run([str(DAGSTER_BIN / "python"), "-c",
                           "import dagster_webserver.version as v; print(v.__version__)"],
                          capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=20, help="saves per peer (default 20)")
    parser.add_argument("--locations", default="2,20",
                        help="location counts of the start part, comma-separated (default 2,20)")
    parser.add_argument("--only", choices=["saves", "start"], help="run one part only")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help="some of codeloc,dagster-dev (default both)")
    parser.add_argument("--watch-debounce", default="100ms",
                        help="passed to codeloc serve (default 100ms, the daemon's default)")
    parser.add_argument("--save-mode", choices=["rename", "inplace"], default="rename",
                        help="as in reload_latency.py (default rename)")
    parser.add_argument("--settle", type=float, default=0.5,
                        help="quiet seconds after each save before the next (default 0.5)")
    parser.add_argument("--phase", type=float, default=1.0,
                        help="before each save, wait a random time up to this (s), so that "
                             "saves fall at every phase of the webserver's 1 s poll (default 1)")
    parser.add_argument("--seed", type=int, default=15, help="of those random waits")
    parser.add_argument("--poll", type=float, default=0.05,
                        help="seconds between GraphQL polls (default 0.05)")
    parser.add_argument("--timeout", type=float, default=120,
                        help="deadline of every wait (s); a start gets at least 15 s per "
                             "location")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--write", metavar="FILE", help="also write the Markdown section there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    if not peers or any(p not in PEERS for p in peers):
        parser.error(f"--peers: some of {','.join(PEERS)}")
    try:
        counts = [int(c) for c in args.locations.split(",") if c]
    except ValueError:
        parser.error("--locations: comma-separated numbers")
    if args.saves < 1 or not counts or min(counts) < 1:
        parser.error("--saves and every --locations count must be at least 1")

    needed = [DAGSTER_PYTHON, ANALYTICS / "analytics" / "definitions.py",
              DAGSTER_BIN / "dagster", DAGSTER_BIN / "dagster-webserver"]
    if "codeloc" in peers:
        needed.append(CODELOC)
    if rl.report_missing(needed, "build with `ninja -C build codeloc`; the venvs come from "
                         "scripts/python-envs.sh"):
        return 2

    result = {"command": rl.command_line(), "machine": rl.machine(),
              "dagster_version": dagster_version(), "debounce": args.watch_debounce,
              "load": {"before": os.getloadavg()[0]},
              "poll": args.poll, "phase": args.phase, "seed": args.seed, "counts": counts,
              "saves": {}, "start": []}
    markers: list[str] = []
    pids: set[int] = set()
    with rl.Measuring(pids, lambda: markers or [PREFIX]) as outcome:
        if args.only in (None, "saves"):
            if "dagster-dev" in peers:
                result["saves"]["dagster-dev"] = saves_dagster_dev(args, markers, pids)
            if "codeloc" in peers:
                result["saves"]["codeloc"] = saves_codeloc(args, markers, pids)
        if args.only in (None, "start"):
            for n in counts:
                if "dagster-dev" in peers:
                    result["start"].append(start_dagster_dev(n, args, markers, pids))
                if "codeloc" in peers:
                    result["start"].append(start_codeloc(n, args, markers, pids))
    result["load"]["after"] = os.getloadavg()[0]
    return outcome.end(result, markdown, args)


if __name__ == "__main__":
    sys.exit(main())
