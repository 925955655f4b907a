#!/usr/bin/env python3
"""Hot-reload latency: from a file's save to the new definitions being served on the control
socket, for `codeloc serve --watch` (docs/protocol.md, docs/configuration.md).

    python3 bench/reload_latency.py [--saves 20] [--scenario all|trivial|dagster]
                                    [--watch-debounce 100ms] [--save-mode rename|inplace]
                                    [--json] [--write bench/RESULTS.md]

Standard library only (Python 3.11). See bench/README.md for what is measured and how.

Every process this script starts is stopped by its pid: the daemon leads its own session and gets
SIGTERM, then SIGKILL after 10 s; the code-server pids the daemon reports are checked (and killed
by pid if the daemon left one behind). At the end `ps` must show none of them.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import select
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
CODELOC = BUILD / "codeloc"
TEST_SERVER = BUILD / "codeloc_test_server"
DAGSTER_PYTHON = BUILD / "venvs" / "example-analytics" / "bin" / "python"
ANALYTICS = ROOT / "examples" / "analytics"
SECTION = "## Hot reload (issue 6)"


class BenchError(Exception):
    """A failed run: a timeout, a wrong answer, a daemon that died."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Statistics ------------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "median": statistics.median(values), "p90": percentile(values, 90),
            "min": min(values), "max": max(values)}


# Control socket --------------------------------------------------------------------------------
class Connection:
    """One control-socket connection: newline-delimited JSON-RPC 2.0. Notifications that arrive
    while waiting for an answer are queued, each with its arrival time (time.monotonic())."""

    def __init__(self, path: pathlib.Path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.connect(str(path))
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)
        self.buffer = b""
        self.next_id = 1
        self.notifications: list[tuple[float, dict]] = []

    def close(self) -> None:
        self.sock.close()

    def _read_message(self, deadline: float) -> tuple[float, dict] | None:
        """The next message, or None at the deadline."""
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return None
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise BenchError("the daemon closed the control connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return time.monotonic(), json.loads(line)

    def call(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        request = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}}
        self.next_id += 1
        self.sock.setblocking(True)
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        self.sock.setblocking(False)
        deadline = time.monotonic() + timeout
        while True:
            got = self._read_message(deadline)
            if got is None:
                raise BenchError(f"no answer to {method} within {timeout:.0f} s")
            at, message = got
            if "method" in message and "id" not in message:
                self.notifications.append((at, message))
            elif message.get("id") == request["id"]:
                if "error" in message:
                    raise BenchError(f"{method}: error {message['error']}")
                return message["result"]

    def notification(self, deadline: float) -> tuple[float, dict] | None:
        """The next notification (queued first), or None at the deadline."""
        if self.notifications:
            return self.notifications.pop(0)
        while True:
            got = self._read_message(deadline)
            if got is None or "id" not in got[1]:
                return got


# The daemon ------------------------------------------------------------------------------------
def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def stop_codeloc(proc: subprocess.Popen, log_file, child_pids: set[int]) -> None:
    """Stops a daemon a benchmark started: SIGTERM, wait up to 10 s, then SIGKILL; closes its log;
    then kills by pid any code server it reported (`child_pids`) that is still alive."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log(f"  the daemon (pid {proc.pid}) ignored SIGTERM for 10 s: SIGKILL")
            proc.kill()
            proc.wait()
    log_file.close()
    for pid in sorted(child_pids):
        if pid_alive(pid):
            log(f"  code server pid {pid} outlived the daemon: SIGKILL")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Daemon:
    """`codeloc serve --watch` on a private socket in its own temporary folder."""

    def __init__(self, workdir: pathlib.Path, debounce: str, timeout: float,
                 extra_args: list[str] | None = None):
        self.workdir = workdir
        self.workspace = workdir / "workspace.yaml"
        self.socket = workdir / "codeloc.sock"
        self.log_path = workdir / "daemon.log"
        self.debounce = debounce
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None
        self.child_pids: set[int] = set()
        self.command: list[str] = []
        self.extra_args = list(extra_args or [])  # more `codeloc serve` options

    def start(self) -> None:
        self.command = [str(CODELOC), "serve", "--watch", "--watch-debounce", self.debounce,
                        "-w", str(self.workspace), "--socket", str(self.socket),
                        "--state-dir", str(self.workdir / "state"), *self.extra_args]
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
                    if conn.call("daemon.info", timeout=5)["pid"] == self.proc.pid:
                        return
                finally:
                    conn.close()
            except (OSError, BenchError):
                pass
            if time.monotonic() > deadline:
                raise BenchError("the daemon did not answer on its control socket")
            time.sleep(0.02)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, text: str) -> None:
        deadline = time.monotonic() + self.timeout
        while text not in self.log_text():
            if self.proc.poll() is not None:
                raise BenchError(f"the daemon exited with {self.proc.returncode}")
            if time.monotonic() > deadline:
                raise BenchError(f"timed out after {self.timeout:.0f} s waiting for the log line "
                                 f"{text!r}")
            time.sleep(0.02)

    def note_pid(self, pid) -> None:
        if isinstance(pid, int) and pid > 0:
            self.child_pids.add(pid)

    def stop(self) -> None:
        """SIGTERM, wait up to 10 s, then SIGKILL; then any code server the daemon reported that
        is still alive is killed by its pid."""
        if self.proc is not None:
            stop_codeloc(self.proc, self.log_file, self.child_pids)

    def started_pids(self) -> set[int]:
        return ({self.proc.pid} if self.proc else set()) | self.child_pids


def leftovers(pids: set[int], marker: str) -> list[str]:
    """`ps` lines of processes that are ours: a pid we recorded, a process in the session or group
    of one, or one whose command line names our temporary folder."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,pgid=,sid=,stat=,args="], capture_output=True,
                         text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        fields = line.split(None, 4)
        if len(fields) < 4:
            continue
        pid, pgid, sid, stat = (int(fields[0]), int(fields[1]), int(fields[2]), fields[3])
        args = fields[4] if len(fields) > 4 else ""
        if pid == os.getpid() or stat.startswith("Z"):
            continue
        if pid in pids or pgid in pids or sid in pids or marker in args:
            found.append(line.strip())
    return found


def command_line() -> str:
    """How this script was run, as the report quotes it: `python3 bench/NAME.py ARGS`."""
    return shlex.join(["python3", os.path.relpath(sys.argv[0], os.getcwd()), *sys.argv[1:]])


def report_missing(paths: list, how: str, also: list[str] | None = None) -> bool:
    """Logs the `paths` that do not exist (and the names in `also`) with `how` to make them.
    True when something is missing: the script then exits with status 2."""
    missing = [str(p) for p in paths if not p.exists()] + (also or [])
    if missing:
        log("missing: " + ", ".join(missing) + f" ({how})")
    return bool(missing)


def check_leftovers(pids: set[int], markers: str | list[str]) -> bool:
    """Logs the `ps` lines of our processes still alive (see leftovers(), once per marker), or
    that none of the `pids` started is left. True if some are left: the run fails. One marker
    gives the lines in `ps` order; a list, sorted and without repeats."""
    if isinstance(markers, str):
        left = leftovers(pids, markers)
    else:
        left = sorted({line for marker in markers for line in leftovers(pids, marker)})
    if left:
        log("processes left behind:\n  " + "\n  ".join(left))
        return True
    log(f"ps: none of the {len(pids)} processes started is left")
    return False


class Measuring:
    """`with Measuring(pids, markers) as outcome:` around a benchmark's measurements in its
    main(), then `return outcome.end(result, markdown, args)`. A BenchError raised in the block
    is logged as FAILED and fails the run; however the block is left, check_leftovers(pids, markers) then fails
    it if any of our processes is left. `markers` is one marker, or a function that gives the list
    when the block is left (folders the run adds as it goes). Every benchmark script has this."""

    def __init__(self, pids: set[int], markers: str | Callable[[], list[str]]):
        self.pids = pids
        self.markers = markers
        self.status = 0

    def __enter__(self) -> Measuring:
        return self

    def __exit__(self, kind, error, trace) -> bool:
        failed = kind is not None and issubclass(kind, BenchError)
        try:
            if failed:
                log(f"FAILED: {error}")
                self.status = 1
        finally:
            markers = self.markers if isinstance(self.markers, str) else self.markers()
            if check_leftovers(self.pids, markers):
                self.status = 1
        return failed

    def end(self, result: dict, markdown: Callable[[dict], str],
            args: argparse.Namespace) -> int:
        """main()'s exit status: a run that failed returns it; one that passed is published
        (publish(result, markdown(result), args)) and returns 0."""
        if self.status:
            return self.status
        publish(result, markdown(result), args)
        return 0


def stop_daemon(daemon: Daemon, pids: set[int], ok: bool, keep: bool) -> None:
    """Stops the daemon and adds the pids it started to `pids`, even if stopping fails. A run that
    failed (not ok) shows the daemon log's last lines and keeps its folder; one that passed
    removes the folder unless keep."""
    try:
        daemon.stop()
    finally:
        pids |= daemon.started_pids()
        if not ok:
            log(f"--- {daemon.log_path} (last lines) ---")
            log("\n".join(daemon.log_text().splitlines()[-40:]))
            log(f"(kept {daemon.workdir})")
        elif not keep:
            shutil.rmtree(daemon.workdir, ignore_errors=True)


def python_file_location(workdir: pathlib.Path, name: str, python: pathlib.Path) -> list[str]:
    """Writes workdir/locs/NAME/defs.py, `Definitions` with one asset, and returns the
    workspace.yaml lines of its python_file location, run by `python`."""
    folder = workdir / "locs" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "defs.py").write_text(
        "import dagster as dg\n\n\n"
        "@dg.asset\n"
        f"def {name}_asset() -> None:\n"
        "    pass\n\n\n"
        f"defs = dg.Definitions(assets=[{name}_asset])\n")
    return ["  - python_file:",
            f"      relative_path: locs/{name}/defs.py",
            f"      location_name: {name}",
            f"      working_directory: locs/{name}",
            f"      executable_path: {json.dumps(str(python))}"]


# Scenarios -------------------------------------------------------------------------------------
def save(path: pathlib.Path, text: str, mode: str) -> None:
    """Writes `text` to `path`: as editors that save atomically do (a temporary file beside it,
    then rename over it), or in place (truncate and write). No fsync."""
    if mode == "rename":
        temporary = path.with_name(f".{path.name}.bench-save")
        temporary.write_text(text)
        os.replace(temporary, path)
    else:
        with open(path, "w") as f:
            f.write(text)


class Trivial:
    """A `command:` location running codeloc_test_server --code code.txt; each save writes a
    different `assets N`, so the snapshot's asset count says which save it is."""

    name = "trivial"
    title = "trivial (codeloc_test_server, command:)"

    def setup(self, workdir: pathlib.Path) -> None:
        self.project = workdir / "project"
        self.project.mkdir()
        self.file = self.project / "code.txt"
        self.file.write_text("assets 2\n")
        (workdir / "workspace.yaml").write_text(
            "load_from:\n"
            "  - command:\n"
            f"      argv: [{json.dumps(str(TEST_SERVER))}, --code, code.txt]\n"
            f"      location_name: {self.name}\n"
            "      working_directory: project\n")

    def text(self, i: int) -> str:
        return f"assets {self.assets(i)}\n"

    @staticmethod
    def assets(i: int) -> int:
        return 3 + i % 50  # never 2 (the initial count), and never the previous save's

    def check(self, definitions: dict, i: int) -> bool:
        return len(definitions.get("assets", [])) == self.assets(i)


class Dagster:
    """A copy of examples/analytics (python_module analytics.definitions in the example-analytics
    venv). The definitions module holds one benchmark asset, bench_asset_<i>; each save renames it,
    so the new key must appear and the previous one go."""

    name = "analytics"
    title = "Dagster (examples/analytics, python_module)"
    ASSETS_LINE = "    assets=[raw_orders, raw_customers, orders_report, daily_revenue],\n"
    DEFS_LINE = "defs = dg.Definitions(\n"

    def __init__(self, entry_lines: tuple[str, ...] = ()):
        self.entry_lines = entry_lines  # more keys of the workspace entry, e.g. "warm: false"

    def setup(self, workdir: pathlib.Path) -> None:
        project = workdir / "analytics"
        shutil.copytree(ANALYTICS, project,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".tmp_dagster_home_*"))
        self.file = project / "analytics" / "definitions.py"
        self.original = self.file.read_text()
        for needle in (self.ASSETS_LINE, self.DEFS_LINE):
            if self.original.count(needle) != 1:
                raise BenchError(f"{self.file}: expected one line {needle.strip()!r}; "
                                 "the example changed, update bench/reload_latency.py")
        self.previous_size = -1
        self.file.write_text(self.text(0))
        (workdir / "workspace.yaml").write_text(
            "load_from:\n"
            "  - python_module:\n"
            "      module_name: analytics.definitions\n"
            f"      location_name: {self.name}\n"
            "      working_directory: analytics\n"
            f"      executable_path: {json.dumps(str(DAGSTER_PYTHON))}\n"
            + "".join(f"      {line}\n" for line in self.entry_lines))

    def text(self, i: int) -> str:
        asset = (f"@dg.asset(group_name=\"bench\", description=\"Save {i} of the reload benchmark.\")\n"
                 f"def bench_asset_{i}() -> None:\n"
                 "    pass\n\n\n")
        text = self.original.replace(self.DEFS_LINE, asset + self.DEFS_LINE)
        text = text.replace(self.ASSETS_LINE, self.ASSETS_LINE.replace(
            "daily_revenue]", f"daily_revenue, bench_asset_{i}]"))
        # Python trusts a cached .pyc whose source has the same size and the same mtime in whole
        # seconds; two saves within one second must therefore differ in size.
        if len(text.encode()) == self.previous_size:
            text += "# .\n"
        self.previous_size = len(text.encode())
        return text

    def check(self, definitions: dict, i: int) -> bool:
        keys = {tuple(asset["key"]) for asset in definitions.get("assets", [])}
        return (f"bench_asset_{i}",) in keys and (f"bench_asset_{i - 1}",) not in keys


def run_scenario(scenario, args, marker_dirs: list[str], all_pids: set[int],
                 before_saves=None, after_save=None) -> dict:
    """Saves args.saves times and times each save to its new definitions. before_saves(daemon,
    control), if given, runs once the location is LOADED and watched, before the first settle;
    after_save(daemon, control, i) after save i's reloads have settled, before its sample is
    kept (bench/warm_start.py checks the start mode there)."""
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"codeloc-bench-{scenario.name}-"))
    marker_dirs.append(str(workdir))
    log(f"{scenario.title}: {workdir}")
    scenario.setup(workdir)
    daemon = Daemon(workdir, args.watch_debounce, args.timeout)
    name = scenario.name
    ok = False
    try:
        daemon.start()
        events = Connection(daemon.socket)
        control = Connection(daemon.socket)
        topics = events.call("events.subscribe", {"topics": ["definitions", "reload", "state"]})
        if not {"definitions", "reload", "state"} <= set(topics["topics"]):
            raise BenchError(f"events.subscribe answered {topics}")

        def wait_until(what: str, condition, on_event=None):
            """Reads notifications until condition() holds; every one goes through on_event."""
            deadline = time.monotonic() + args.timeout
            while not condition():
                got = events.notification(deadline)
                if got is None:
                    raise BenchError(f"{scenario.title}: timed out after {args.timeout:.0f} s "
                                     f"waiting for {what}")
                at, message = got
                params = message.get("params", {})
                if params.get("name") != name:
                    continue
                daemon.note_pid(params.get("pid"))
                if on_event:
                    on_event(at, message["method"], params)

        # The first load, and the watches in place.
        deadline = time.monotonic() + args.timeout
        while True:
            entry = control.call("location.get", {"name": name})
            daemon.note_pid(entry.get("pid"))
            if entry["state"] == "LOADED":
                break
            if entry["state"] in ("LOAD_ERROR", "BACKOFF", "STOPPED"):
                raise BenchError(f"{name} did not load: {entry['state']} {entry.get('error')}")
            if time.monotonic() > deadline:
                raise BenchError(f"{name} not LOADED after {args.timeout:.0f} s: {entry}")
            time.sleep(0.05)
        daemon.wait_log("watching 1 location(s)")
        if before_saves:
            before_saves(daemon, control)
        state = {"state": "LOADED", "reloads": [], "reloading": False}

        def track(at, method, params):
            if method == "event.state":
                state["state"] = params["to"]
                state["reloading"] = params["to"] == "RELOADING"
            elif method == "event.reloaded":
                state["reloads"].append((at, params))
                state["reloading"] = False

        def settle():
            """Waits until no reload has started for the settle time, and the location is LOADED;
            returns the reloads seen meanwhile."""
            before = len(state["reloads"])
            while True:
                quiet_until = time.monotonic() + args.settle
                while time.monotonic() < quiet_until:
                    got = events.notification(quiet_until)
                    if got is None:
                        break
                    at, message = got
                    params = message.get("params", {})
                    if params.get("name") == name:
                        daemon.note_pid(params.get("pid"))
                        track(at, message["method"], params)
                if state["reloading"] or state["state"] != "LOADED":
                    wait_until(f"{name} to settle (LOADED)",
                               lambda: not state["reloading"] and state["state"] == "LOADED", track)
                    continue
                return state["reloads"][before:]

        settle()  # a reload caused by the first load's own files would show up here
        state["reloads"].clear()

        latencies, to_event, reload_ms, extra = [], [], [], []
        causes: dict[str, int] = {}
        for i in range(1, args.saves + 1):
            text = scenario.text(i)
            seen = len(state["reloads"])
            found = {}

            def on_event(at, method, params):
                track(at, method, params)
                if method == "event.definitions" and "t1" not in found:
                    answer = control.call("location.definitions", {"name": name})
                    if scenario.check(answer.get("definitions") or {}, i):
                        found["t1"] = time.monotonic()
                        found["event"] = at
                    else:
                        found["misses"] = found.get("misses", 0) + 1

            t0 = time.monotonic()
            save(scenario.file, text, args.save_mode)
            wait_until(f"save {i}'s definitions", lambda: "t1" in found, on_event)
            t1 = found["t1"]
            # The reload's own report, and the location LOADED again.
            wait_until(f"save {i}'s event.reloaded",
                       lambda: len(state["reloads"]) > seen and not state["reloading"]
                       and state["state"] == "LOADED", track)
            settle()
            reloads = state["reloads"][seen:]
            for _, params in reloads:
                if params["outcome"] != "LOADED":
                    raise BenchError(f"save {i}: a reload ended {params['outcome']}: {params}")
                causes[params["cause"]] = causes.get(params["cause"], 0) + 1
            if after_save:
                after_save(daemon, control, i)
            if len(reloads) > 1:
                extra.append({"save": i, "reloads": [p for _, p in reloads]})
            latencies.append((t1 - t0) * 1000)
            to_event.append((found["event"] - t0) * 1000)
            reload_ms.append(reloads[0][1]["duration_ms"])
            log(f"  save {i}/{args.saves}: {latencies[-1]:7.1f} ms to the new definitions "
                f"(event after {to_event[-1]:.1f} ms; reload {reload_ms[-1]} ms"
                f"{'; ' + str(len(reloads)) + ' reloads' if len(reloads) > 1 else ''}"
                f"{'; ' + str(found['misses']) + ' stale event(s)' if found.get('misses') else ''})")
        events.close()
        control.close()
        ok = True
        return {"scenario": scenario.title, "location": name, "saves": args.saves,
                "latency_ms": summary(latencies), "event_ms": summary(to_event),
                "reload_ms": summary(reload_ms), "samples_ms": [round(v, 2) for v in latencies],
                "reload_samples_ms": reload_ms, "extra_reloads": extra, "causes": causes}
    finally:
        stop_daemon(daemon, all_pids, ok, args.keep)


def time_python(python: pathlib.Path, code: str, runs: int, cwd: pathlib.Path | None = None) -> dict:
    """Wall time of `python -c code`, `runs` times after one unmeasured warm-up run."""
    samples = []
    for run in range(runs + 1):
        t0 = time.monotonic()
        subprocess.run([str(python), "-c", code], cwd=cwd, check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL)
        if run:
            samples.append((time.monotonic() - t0) * 1000)
    return summary(samples) | {"samples_ms": [round(v, 2) for v in samples]}


# Report ----------------------------------------------------------------------------------------
def machine() -> dict:
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {"nproc": len(os.sched_getaffinity(0)), "kernel": os.uname().release, "cpu": model,
            "python": sys.version.split()[0], "codeloc_commit": commit}


def ms(value: float) -> str:
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"


def seconds(value: float) -> str:
    """A duration in seconds, two decimals below 10 s."""
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def markdown(result: dict) -> str:
    lines = [SECTION, "",
             "Time from a file's save to the new definitions being served on the control socket "
             "(`codeloc serve --watch`; method in bench/README.md). "
             f"Debounce {result['debounce']}; saved "
             f"{'by writing a temporary file and renaming it over' if result['save_mode'] == 'rename' else 'in place'}.",
             "",
             "| scenario | saves | median | p90 | min | max | event median | reload-only median |",
             "|---|---|---|---|---|---|---|---|"]
    for s in result["scenarios"]:
        lat, ev, rl = s["latency_ms"], s["event_ms"], s["reload_ms"]
        lines.append(f"| {s['scenario']} | {s['saves']} | {ms(lat['median'])} | {ms(lat['p90'])} "
                     f"| {ms(lat['min'])} | {ms(lat['max'])} | {ms(ev['median'])} "
                     f"| {ms(rl['median'])} (p90 {ms(rl['p90'])}) |")
    lines.append("")
    if result["python"]:
        lines += ["| Dagster venv python, 10 runs each | median | p90 | min | max |",
                  "|---|---|---|---|---|"]
        for label, key in (("`python -c pass` (interpreter start)", "start"),
                           ("`python -c \"import dagster\"`", "import_dagster"),
                           ("`python -c \"import analytics.definitions\"` (the example, in its "
                            "folder)", "import_definitions")):
            p = result["python"][key]
            lines.append(f"| {label} | {ms(p['median'])} | {ms(p['p90'])} | {ms(p['min'])} "
                         f"| {ms(p['max'])} |")
        lines.append("")
    notes = []
    for s in result["scenarios"]:
        extra = s["extra_reloads"]
        notes.append(f"- {s['scenario']}: {len(extra)} save(s) reloaded more than once"
                     + (f" (saves {', '.join(str(e['save']) for e in extra)})" if extra else "")
                     + "; causes: " + ", ".join(f"{c!r} x{n}" for c, n in sorted(s["causes"].items())))
    m = result["machine"]
    notes += [f"- machine: {m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}, "
              f"Python {m['python']} (benchmark), codeloc {m['codeloc_commit']}",
              f"- command: `{result['command']}`",
              "- event median: save to the `event.definitions` notification; the rest of the "
              "latency is one `location.definitions` call. Reload-only: `event.reloaded` "
              "`duration_ms`, the new child's start to its definitions, inside the daemon.",
              "- the Dagster location runs with codeloc's defaults: since issue 9 its new code "
              "server is forked from a warm interpreter that has imported dagster (docs/warm.md); "
              "bench/warm_start.py measures it against cold starts (section Warm interpreters)."]
    return "\n".join(lines + notes) + "\n"


def publish(result: dict, section: str, args: argparse.Namespace) -> None:
    """Prints the run as JSON (--json) or as its Markdown section, and with --write FILE puts the
    section into FILE. Every benchmark script ends with this."""
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(section, end="")
    if args.write:
        write_section(pathlib.Path(args.write), section)
        log(f"wrote {args.write}")


def write_section(path: pathlib.Path, section: str) -> None:
    """Puts `section` into `path` in place of the old section with the same title (its first
    line, "## ..."), or at the end. Every benchmark script writes bench/RESULTS.md through this."""
    title = section.split("\n", 1)[0]
    if not path.exists():
        path.write_text("# codeloc benchmarks\n\n" + section)
        return
    text = path.read_text()
    start = text.find(title + "\n")
    if start < 0:
        path.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    end = text.find("\n## ", start + len(title))
    rest = text[end + 1:] if end >= 0 else ""
    path.write_text(text[:start] + section + ("\n" + rest if rest else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=20, help="saves per scenario (default 20)")
    parser.add_argument("--scenario", choices=["all", "trivial", "dagster"], default="all")
    parser.add_argument("--watch-debounce", default="100ms",
                        help="passed to codeloc serve (default 100ms, the daemon's default)")
    parser.add_argument("--save-mode", choices=["rename", "inplace"], default="rename",
                        help="rename: write a temporary file beside it and rename it over "
                             "(default); inplace: truncate and write")
    parser.add_argument("--settle", type=float, default=0.5,
                        help="seconds without a new reload after each save before the next "
                             "(catches a save that reloads twice; not part of the latency)")
    parser.add_argument("--timeout", type=float, default=60, help="deadline of every wait (s)")
    parser.add_argument("--python-runs", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--write", metavar="FILE", help="also write the Markdown section there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()
    if args.saves < 1:
        parser.error("--saves must be at least 1")

    needed = [CODELOC]
    if args.scenario in ("all", "trivial"):
        needed.append(TEST_SERVER)
    if args.scenario in ("all", "dagster"):
        needed += [DAGSTER_PYTHON, ANALYTICS / "analytics" / "definitions.py"]
    if report_missing(needed, "build with `ninja -C build codeloc codeloc_test_server`; the "
                      "venv comes from scripts/python-envs.sh"):
        return 2

    command = command_line()
    result = {"command": command, "machine": machine(), "debounce": args.watch_debounce,
              "save_mode": args.save_mode, "scenarios": [], "python": None}
    markers: list[str] = []
    pids: set[int] = set()
    with Measuring(pids, "codeloc-bench-") as outcome:
        if args.scenario in ("all", "trivial"):
            result["scenarios"].append(run_scenario(Trivial(), args, markers, pids))
        if args.scenario in ("all", "dagster"):
            result["scenarios"].append(run_scenario(Dagster(), args, markers, pids))
            log("python start and imports, venv " + str(DAGSTER_PYTHON))
            # The example is imported from a copy, so that no __pycache__ lands in the source tree.
            copy = pathlib.Path(tempfile.mkdtemp(prefix="codeloc-bench-import-"))
            try:
                shutil.copytree(ANALYTICS, copy / "analytics",
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                result["python"] = {
                    "start": time_python(DAGSTER_PYTHON, "pass", args.python_runs),
                    "import_dagster": time_python(DAGSTER_PYTHON, "import dagster",
                                                  args.python_runs),
                    "import_definitions": time_python(DAGSTER_PYTHON,
                                                      "import analytics.definitions",
                                                      args.python_runs, cwd=copy / "analytics"),
                }
            finally:
                shutil.rmtree(copy, ignore_errors=True)
    return outcome.end(result, markdown, args)


if __name__ == "__main__":
    sys.exit(main())
