#!/usr/bin/env python3
"""Footprint and start-up: what a supervisor costs while nothing happens, and how long it takes to
bring many locations up, for codeloc and its peers (supervisord, PM2) in the same run.

    python3 bench/footprint.py [--locations 50,200] [--idle-seconds 10] [--runs 5]
                               [--scenario all|trivial|python] [--peers auto|codeloc,...]
                               [--python-locations 200] [--python-runs 1]
                               [--codeloc [LABEL=]PATH ...] [--section TITLE]
                               [--json] [--write bench/RESULTS.md]

`--codeloc` given more than once compares daemons (e.g. before and after a change) in one run:
each codeloc row is measured for each binary, in turn, with the same children.

Standard library only (Python 3.11). See bench/README.md for what is measured and how.

Every process this script starts is stopped by its pid: codeloc and supervisord lead their own
sessions and get SIGTERM (SIGKILL after 30 s); PM2's daemon is stopped with `pm2 kill` in its own
PM2_HOME. Then every child pid the supervisor reported is checked, and killed by its pid if it
outlived its supervisor. At the end `ps` must show none of them.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def use_build(build: pathlib.Path) -> None:
    """Where codeloc, its test server, the venvs and bench-tools (PM2) are: `build/` unless
    --build says otherwise."""
    global BUILD, CODELOC, TEST_SERVER, DAGSTER_PYTHON, PM2
    BUILD = build
    CODELOC = BUILD / "codeloc"
    TEST_SERVER = BUILD / "codeloc_test_server"
    DAGSTER_PYTHON = BUILD / "venvs" / "dagster" / "bin" / "python"
    PM2 = BUILD / "bench-tools" / "node_modules" / ".bin" / "pm2"


use_build(ROOT / "build")
import reload_latency as rl  # noqa: E402  (shared helpers)
from reload_latency import (BenchError, Connection, log, pid_alive,  # noqa: E402
                            summary)

SECTION = "## Footprint and start-up (issue 8)"
MARKER = "codeloc-bench-footprint-"
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Resident memory of one Python location (the dagster venv, codeloc's code server, one asset),
# measured at about 100 MiB; the --python-locations check allows a little more.
PYTHON_CHILD_MIB = 110


def install_hint(key: str) -> str:
    return {"supervisord": "install it with `apt-get install supervisor` (bench/install-peers.sh "
                           "does)",
            "pm2": f"install it with `npm install --prefix {BUILD / 'bench-tools'} pm2` "
                   "(bench/install-peers.sh does)"}[key]


# /proc -----------------------------------------------------------------------------------------
def read_text(path: str) -> str:
    with open(path) as f:
        return f.read()


def proc_sample(pid: int) -> dict:
    """One look at a process: CPU time (utime+stime of all its threads, in clock ticks, and the
    scheduler's run time in ns), voluntary and involuntary context switches summed over its
    threads, thread count, RSS and PSS (KiB)."""
    stat = read_text(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()
    ticks = int(stat[11]) + int(stat[12])  # fields 14 and 15: utime, stime (whole process)
    run_ns = voluntary = involuntary = threads = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            run_ns += int(read_text(f"/proc/{pid}/task/{tid}/schedstat").split()[0])
            for line in read_text(f"/proc/{pid}/task/{tid}/status").splitlines():
                if line.startswith("voluntary_ctxt_switches"):
                    voluntary += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    involuntary += int(line.split()[1])
            threads += 1
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended meanwhile
    rss = pss = None
    for line in read_text(f"/proc/{pid}/status").splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    try:
        for line in read_text(f"/proc/{pid}/smaps_rollup").splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return {"at": time.monotonic(), "ticks": ticks, "run_ns": run_ns, "voluntary": voluntary,
            "involuntary": involuntary,
            "threads": threads, "rss_kib": rss, "pss_kib": pss}


def measure_idle(pid: int, seconds: float) -> dict:
    """Two samples `seconds` apart, with nothing asked of the supervisor in between."""
    before = proc_sample(pid)
    time.sleep(seconds)  # the measurement window itself
    after = proc_sample(pid)
    window = after["at"] - before["at"]
    return {"window_s": round(window, 3),
            "cpu_ms": (after["run_ns"] - before["run_ns"]) / 1e6,
            "cpu_ticks_ms": (after["ticks"] - before["ticks"]) * 1000 / CLK_TCK,
            # Blocked and woken again (epoll_wait, select, futex): a wake-up.
            "wakeups_per_s": (after["voluntary"] - before["voluntary"]) / window,
            # Preempted while running: the machine's load more than the supervisor's.
            "preempted_per_s": (after["involuntary"] - before["involuntary"]) / window,
            "threads": after["threads"], "rss_kib": after["rss_kib"], "pss_kib": after["pss_kib"]}


def kill_leftover_pids(pids: set[int], what: str) -> None:
    for pid in sorted(pids):
        if pid_alive(pid):
            log(f"  {what} pid {pid} outlived its supervisor: SIGKILL")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def stop_process(proc: subprocess.Popen, name: str, grace: float = 30) -> None:
    """SIGTERM, wait up to `grace` s, then SIGKILL."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log(f"  {name} (pid {proc.pid}) ignored SIGTERM for {grace:.0f} s: SIGKILL")
            proc.kill()
            proc.wait()


class LogCounter:
    """Counts lines matching a pattern in a file that grows, reading only what was added."""

    def __init__(self, path: pathlib.Path, pattern: str):
        self.path = path
        self.regex = re.compile(pattern)
        self.offset = 0
        self.partial = b""
        self.count = 0

    def poll(self) -> int:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return self.count
        self.offset += len(data)
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        self.count += sum(1 for line in lines if self.regex.search(line.decode(errors="replace")))
        return self.count


# Control socket --------------------------------------------------------------------------------
# Supervisors -----------------------------------------------------------------------------------
def location_names(n: int) -> list[str]:
    return [f"loc{i:03d}" for i in range(n)]


class Codeloc:
    """`codeloc serve` on a private socket; each location is a `command:` running
    codeloc_test_server in its own folder (or, for kind "python", a python_file location)."""

    def __init__(self, watch: bool = False, kind: str = "trivial",
                 binary: pathlib.Path | None = None, label: str = ""):
        self.watch = watch
        self.kind = kind
        self.binary = binary or CODELOC
        self.label = label
        self.key = "codeloc-watch" if watch else ("codeloc-python" if kind == "python" else "codeloc")
        self.title = {"codeloc": "codeloc", "codeloc-watch": "codeloc `--watch`",
                      "codeloc-python": "codeloc, Python locations"}[self.key]
        if label:
            self.title += f" ({label})"
        self.proc: subprocess.Popen | None = None
        self.child_pids: set[int] = set()

    def setup(self, workdir: pathlib.Path, n: int) -> None:
        self.workdir = workdir
        self.n = n
        self.socket = workdir / "codeloc.sock"
        self.log_path = workdir / "supervisor.log"
        lines = ["load_from:"]
        for name in location_names(n):
            folder = workdir / "locs" / name
            folder.mkdir(parents=True)
            if self.kind == "python":
                lines += rl.python_file_location(workdir, name, DAGSTER_PYTHON)
            else:
                lines += ["  - command:",
                          f"      argv: [{json.dumps(str(TEST_SERVER))}]",
                          f"      location_name: {name}",
                          f"      working_directory: locs/{name}"]
        (workdir / "workspace.yaml").write_text("\n".join(lines) + "\n")
        self.command = [str(self.binary), "serve", *(["--watch"] if self.watch else []),
                        "-w", str(workdir / "workspace.yaml"), "--socket", str(self.socket),
                        "--state-dir", str(workdir / "state")]
        if self.kind == "python":
            # 200 interpreters importing dagster at once on 2 cores take minutes, not 60 s.
            self.command += ["--startup-timeout", "30m"]

    def start(self, timeout: float) -> float:
        """Spawns the daemon; returns the seconds until every location is LOADED."""
        self.log_file = open(self.log_path, "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.command, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=self.log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = t0 + timeout
        conn = None
        while conn is None:
            if self.proc.poll() is not None:
                raise BenchError(f"codeloc exited with {self.proc.returncode}")
            try:
                conn = Connection(self.socket)
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchError("codeloc did not open its control socket")
                time.sleep(0.005)
        try:
            conn.call("events.subscribe", {"topics": ["state"]})
            states = {}
            for entry in conn.call("locations.list")["locations"]:
                states[entry["name"]] = entry["state"]
                if entry.get("pid"):
                    self.child_pids.add(entry["pid"])
            at = time.monotonic()
            while sum(1 for s in states.values() if s == "LOADED") < self.n:
                bad = {k: s for k, s in states.items() if s in ("LOAD_ERROR", "BACKOFF")}
                if bad:
                    raise BenchError(f"codeloc: locations failed: {bad}")
                got = conn.notification(deadline)
                if got is None:
                    loaded = sum(1 for s in states.values() if s == "LOADED")
                    raise BenchError(f"codeloc: {loaded} of {self.n} locations LOADED after "
                                     f"{timeout:.0f} s")
                at, message = got
                params = message.get("params", {})
                if message.get("method") == "event.state":
                    states[params["name"]] = params["to"]
                    if params.get("pid"):
                        self.child_pids.add(params["pid"])
            elapsed = at - t0
            if self.watch:
                self.wait_log("watching ", deadline)
        finally:
            conn.close()
        return elapsed

    def wait_log(self, text: str, deadline: float) -> None:
        while text not in self.log_path.read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise BenchError(f"codeloc did not log {text!r}")
            time.sleep(0.02)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None:
            return
        # Stopping stops every child first: allow more than 30 s for a thousand of them.
        stop_process(self.proc, "codeloc", grace=max(30, self.n * 0.1))
        self.log_file.close()
        kill_leftover_pids(self.child_pids, "code server")

    def started_pids(self) -> set[int]:
        return ({self.proc.pid} if self.proc else set()) | self.child_pids


class Supervisord:
    """supervisord -n with its own config, socket and logs in the temporary folder; each program
    runs `sleep` in its own folder. startsecs=0, so RUNNING means spawned."""

    key = "supervisord"
    title = "supervisord"

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.child_pids: set[int] = set()

    @staticmethod
    def binary() -> str | None:
        return shutil.which("supervisord")

    def setup(self, workdir: pathlib.Path, n: int) -> None:
        self.workdir = workdir
        self.n = n
        self.log_path = workdir / "supervisord.log"
        sleep = shutil.which("sleep")
        (workdir / "childlogs").mkdir()
        conf = [
            "[unix_http_server]", f"file={workdir / 'supervisor.sock'}", "",
            "[supervisord]", f"logfile={self.log_path}", f"pidfile={workdir / 'supervisord.pid'}",
            f"childlogdir={workdir / 'childlogs'}", "nodaemon=true", "loglevel=info", "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
            "[supervisorctl]", f"serverurl=unix://{workdir / 'supervisor.sock'}", ""]
        for name in location_names(n):
            folder = workdir / "locs" / name
            folder.mkdir(parents=True)
            conf += [f"[program:{name}]", f"command={sleep} 86400", f"directory={folder}",
                     "startsecs=0", "autorestart=true", ""]
        self.conf = workdir / "supervisord.conf"
        self.conf.write_text("\n".join(conf))
        self.command = [self.binary(), "-n", "-c", str(self.conf)]

    def start(self, timeout: float) -> float:
        """Spawns supervisord; returns the seconds until its log says every program entered
        RUNNING (read from the log file, so that the check never wakes supervisord)."""
        counter = LogCounter(self.log_path, r"success: loc\d+ entered RUNNING state")
        self.out = open(self.workdir / "supervisord.out", "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.command, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = t0 + timeout
        while counter.poll() < self.n:
            if self.proc.poll() is not None:
                raise BenchError(f"supervisord exited with {self.proc.returncode}")
            if time.monotonic() > deadline:
                raise BenchError(f"supervisord: {counter.count} of {self.n} programs RUNNING "
                                 f"after {timeout:.0f} s")
            time.sleep(0.005)
        elapsed = time.monotonic() - t0
        self.child_pids |= self.children()
        return elapsed

    def children(self) -> set[int]:
        """The pids of supervisord's children, from /proc (supervisord's log names them too)."""
        pids = set()
        for match in re.finditer(r"spawned: 'loc\d+' with pid (\d+)",
                                 self.log_path.read_text(errors="replace")):
            pids.add(int(match.group(1)))
        return pids

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_process(self.proc, "supervisord")
        self.out.close()
        self.child_pids |= self.children()
        kill_leftover_pids(self.child_pids, "program")

    def started_pids(self) -> set[int]:
        return ({self.proc.pid} if self.proc else set()) | self.child_pids


class Pm2:
    """PM2 with its own PM2_HOME in the temporary folder: `pm2 start ecosystem.json` starts its
    daemon (the "God daemon", a node process) and the apps, each `sleep` (interpreter none, fork
    mode) in its own folder."""

    key = "pm2"
    title = "PM2"

    def __init__(self):
        self.god_pid: int | None = None
        self.cli_pids: set[int] = set()
        self.child_pids: set[int] = set()

    @staticmethod
    def binary() -> str | None:
        return str(PM2) if PM2.exists() and shutil.which("node") else None

    def setup(self, workdir: pathlib.Path, n: int) -> None:
        self.workdir = workdir
        self.n = n
        self.home = workdir / "pm2home"
        self.env = dict(os.environ, PM2_HOME=str(self.home))
        sleep = shutil.which("sleep")
        apps = []
        for name in location_names(n):
            folder = workdir / "locs" / name
            folder.mkdir(parents=True)
            apps.append({"name": name, "script": sleep, "args": "86400", "interpreter": "none",
                         "exec_mode": "fork", "cwd": str(folder), "autorestart": True})
        self.ecosystem = workdir / "ecosystem.json"
        self.ecosystem.write_text(json.dumps({"apps": apps}, indent=1))
        self.command = [self.binary(), "start", str(self.ecosystem)]

    def cli(self, *args: str, timeout: float = 120) -> str:
        proc = subprocess.Popen([self.binary(), *args], cwd=self.workdir, env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.cli_pids.add(proc.pid)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise BenchError(f"`pm2 {' '.join(args)}` took more than {timeout:.0f} s")
        if proc.returncode != 0:
            raise BenchError(f"`pm2 {' '.join(args)}` exited with {proc.returncode}: "
                             + out.decode(errors="replace")[-2000:])
        return out.decode(errors="replace")

    def start(self, timeout: float) -> float:
        """Runs `pm2 start`, which spawns the daemon; returns the seconds until the daemon's log
        (PM2_HOME/pm2.log) says every app is online. The CLI's own exit is not waited for in the
        time (it comes a little later)."""
        counter = LogCounter(self.home / "pm2.log", r"App \[loc\d+:\d+\] online")
        t0 = time.monotonic()
        self.cli_proc = subprocess.Popen(self.command, cwd=self.workdir, env=self.env,
                                         stdin=subprocess.DEVNULL,
                                         stdout=open(self.workdir / "pm2-start.out", "wb"),
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.cli_pids.add(self.cli_proc.pid)
        deadline = t0 + timeout
        while counter.poll() < self.n:
            self.read_god_pid()
            if time.monotonic() > deadline:
                raise BenchError(f"PM2: {counter.count} of {self.n} apps online after "
                                 f"{timeout:.0f} s")
            if self.cli_proc.poll() not in (None, 0):
                raise BenchError(f"`pm2 start` exited with {self.cli_proc.returncode}")
            time.sleep(0.005)
        elapsed = time.monotonic() - t0
        try:
            self.cli_proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BenchError("`pm2 start` did not exit")
        self.read_god_pid()
        if self.god_pid is None:
            raise BenchError("PM2 wrote no pm2.pid")
        listing = self.cli("jlist")
        apps = json.loads(listing[listing.index("["):])
        self.child_pids |= {a["pid"] for a in apps if a.get("pid")}
        online = sum(1 for a in apps if a.get("pm2_env", {}).get("status") == "online")
        if online != self.n:
            raise BenchError(f"PM2: `pm2 jlist` shows {online} of {self.n} apps online")
        return elapsed

    def read_god_pid(self) -> None:
        if self.god_pid is None:
            try:
                self.god_pid = int((self.home / "pm2.pid").read_text().strip())
            except (FileNotFoundError, ValueError):
                pass

    @property
    def pid(self) -> int:
        return self.god_pid

    def stop(self) -> None:
        self.read_god_pid()
        if self.god_pid is not None and pid_alive(self.god_pid):
            try:
                self.cli("kill", timeout=60)
            except BenchError as e:
                log(f"  {e}")
            deadline = time.monotonic() + 10  # `pm2 kill` answers before the daemon has exited
            while pid_alive(self.god_pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if pid_alive(self.god_pid):
                log(f"  PM2's daemon (pid {self.god_pid}) outlived `pm2 kill`: SIGKILL")
                try:
                    os.kill(self.god_pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        kill_leftover_pids(self.cli_pids, "pm2 CLI")
        kill_leftover_pids(self.child_pids, "app")

    def started_pids(self) -> set[int]:
        return ({self.god_pid} if self.god_pid else set()) | self.cli_pids | self.child_pids


# Runs ------------------------------------------------------------------------------------------
def one_run(supervisor, n: int, args, pids: set[int]) -> dict:
    """Starts `supervisor` with n locations in a fresh folder, times the start, measures it idle,
    stops it."""
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"{MARKER}{supervisor.key}-{n}-"))
    ok = False
    try:
        supervisor.setup(workdir, n)
        start_s = supervisor.start(args.timeout)
        result = {"start_s": start_s}
        if args.idle_seconds > 0:
            time.sleep(args.settle)  # not measured: start-up stragglers (first log lines, ...)
            result |= measure_idle(supervisor.pid, args.idle_seconds)
            log(f"  {supervisor.title}, {n} locations: up in {start_s:.2f} s; idle "
                f"{result['window_s']:.1f} s: CPU {result['cpu_ms']:.1f} ms, "
                f"{result['wakeups_per_s']:.2f} wakeups/s (+{result['preempted_per_s']:.2f} "
                f"preempted), {result['threads']} threads, "
                f"RSS {result['rss_kib'] / 1024:.1f} MiB, PSS "
                f"{(result['pss_kib'] or 0) / 1024:.1f} MiB")
        else:
            log(f"  {supervisor.title}, {n} locations: up in {start_s:.2f} s")
        ok = True
        return result
    finally:
        try:
            supervisor.stop()
        finally:
            pids |= supervisor.started_pids()
            if not ok:
                log(f"(kept {workdir})")
                for name in ("supervisor.log", "supervisord.log", "pm2home/pm2.log"):
                    path = workdir / name
                    if path.exists():
                        log(f"--- {path} (last lines) ---")
                        log("\n".join(path.read_text(errors="replace").splitlines()[-30:]))
            elif not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)


def mem_available_mib() -> int:
    for line in read_text("/proc/meminfo").splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    return 0


def make(key: str, variant: tuple[str, pathlib.Path] | None = None):
    """The supervisor `key`; for codeloc's keys, `variant` (label, binary) names the daemon."""
    label, binary = variant or ("", CODELOC)
    return {"codeloc": lambda: Codeloc(binary=binary, label=label),
            "codeloc-watch": lambda: Codeloc(watch=True, binary=binary, label=label),
            "supervisord": Supervisord, "pm2": Pm2}[key]()


def parse_codeloc(values: list[str] | None) -> list[tuple[str, pathlib.Path]]:
    """--codeloc [LABEL=]PATH, given any number of times: (label, resolved path) pairs; the label
    defaults to the path. None (not given): build/codeloc, unlabelled."""
    if not values:
        return [("", CODELOC)]
    out = []
    for value in values:
        label, sep, path = value.partition("=")
        if not sep:
            label, path = value, value
        out.append((label, pathlib.Path(path).resolve()))
    return out


def is_base(row: dict, of: dict) -> bool:
    """Whether `row` is the codeloc row that `of` is compared with: same location count, the
    first --codeloc daemon."""
    return row["key"] == "codeloc" and row["locations"] == of["locations"] \
        and row.get("variant_index", 0) == 0


# Report ----------------------------------------------------------------------------------------
def machine() -> dict:
    result = rl.machine()
    versions = {}
    if Supervisord.binary():
        try:
            versions["supervisord"] = subprocess.run(
                [Supervisord.binary(), "--version"], capture_output=True, text=True,
                timeout=60).stdout.strip() or "?"
        except (OSError, subprocess.TimeoutExpired):
            versions["supervisord"] = "?"
    if Pm2.binary():
        try:  # from its package.json: `pm2 --version` would need a PM2_HOME
            package = BUILD / "bench-tools" / "node_modules" / "pm2" / "package.json"
            versions["pm2"] = json.loads(package.read_text())["version"]
        except (OSError, ValueError, KeyError):
            versions["pm2"] = "?"
        versions["node"] = subprocess.run(["node", "--version"], capture_output=True,
                                          text=True).stdout.strip()
    return {**result, "versions": versions,
            "mem_total_mib": int(read_text("/proc/meminfo").split()[1]) // 1024,
            "load_at_start": [round(v, 1) for v in os.getloadavg()]}


def fmt_s(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def fmt_pair(s: dict | None, fmt) -> str:
    if s is None:
        return "-"
    if s["n"] == 1 or fmt(s["median"]) == fmt(s["p90"]):
        return fmt(s["median"])
    return f"{fmt(s['median'])} / {fmt(s['p90'])}"


def ratio(peer: float | None, base: float | None) -> str:
    if peer is None or base is None:
        return "-"
    if base <= 0:
        return "∞" if peer > 0 else "-"
    r = peer / base
    return f"{r:.0f}×" if r >= 10 else f"{r:.1f}×" if r >= 0.1 else f"{r:.2f}×"


def aggregate(samples: list[dict]) -> dict:
    out = {"start_s": summary([s["start_s"] for s in samples])}
    for key in ("cpu_ms", "cpu_ticks_ms", "wakeups_per_s", "preempted_per_s", "threads",
                "rss_kib", "pss_kib"):
        values = [s[key] for s in samples if s.get(key) is not None]
        if values:
            out[key] = summary(values)
    return out


def markdown(result: dict) -> str:
    lines = [result.get("section") or SECTION, ""]
    rows = result["rows"]
    m = result["machine"]
    if any("rss_kib" in r["stats"] for r in rows):
        lines += [
            f"What each supervisor costs while its locations run and nothing happens: its own "
            f"process only (codeloc's daemon, supervisord's python process, PM2's God daemon), "
            f"sampled from /proc over {result['idle_seconds']:.0f} s of idle after every location "
            f"is up. Median / p90 over {result['runs']} runs; ratios are peer / codeloc "
            f"(medians). Method in bench/README.md.", "",
            "| supervisor | locations | RSS | PSS | threads | idle CPU per "
            f"{result['idle_seconds']:.0f} s | wakeups/s | preempted/s | RSS ratio | CPU ratio "
            "| wakeups ratio |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
        mib = lambda v: f"{v / 1024:.1f} MiB"  # noqa: E731
        for r in rows:
            st = r["stats"]
            if "rss_kib" not in st:
                continue
            base = next((b["stats"] for b in rows if is_base(b, r)), None)
            base_row = is_base(r, r)
            med = lambda s, k: s[k]["median"] if s and k in s else None  # noqa: E731
            lines.append(
                f"| {r['title']} | {r['locations']} | {fmt_pair(st.get('rss_kib'), mib)} "
                f"| {fmt_pair(st.get('pss_kib'), mib)} "
                f"| {fmt_pair(st.get('threads'), lambda v: f'{v:.0f}')} "
                f"| {fmt_pair(st.get('cpu_ms'), lambda v: f'{v:.1f} ms')} "
                f"| {fmt_pair(st.get('wakeups_per_s'), lambda v: f'{v:.1f}')} "
                f"| {fmt_pair(st.get('preempted_per_s'), lambda v: f'{v:.1f}')} "
                + ("| 1× | 1× | 1× |" if base_row else
                   f"| {ratio(med(st, 'rss_kib'), med(base, 'rss_kib'))} "
                   f"| {ratio(med(st, 'cpu_ms'), med(base, 'cpu_ms'))} "
                   f"| {ratio(med(st, 'wakeups_per_s'), med(base, 'wakeups_per_s'))} |"))
        lines.append("")
    lines += [
        "Start-up: from spawning the supervisor to every location up (codeloc: `LOADED`, the "
        "child has answered the handshake and served its definitions; supervisord: `RUNNING` "
        "with `startsecs=0`, i.e. spawned; PM2: `online`, i.e. spawned). Median / p90.", "",
        "| supervisor | child | locations | runs | median | p90 | min | max | ratio (median) |",
        "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s = r["stats"]["start_s"]
        base = next((b["stats"]["start_s"]["median"] for b in rows if is_base(b, r)), None)
        lines.append(f"| {r['title']} | {r['child']} | {r['locations']} | {s['n']} "
                     f"| {fmt_s(s['median'])} | {fmt_s(s['p90'])} | {fmt_s(s['min'])} "
                     f"| {fmt_s(s['max'])} | "
                     + ("1×" if is_base(r, r) else
                        ratio(s["median"], base) if r["key"] != "codeloc-python" else "-") + " |")
    lines.append("")
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    notes = [f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem_total_mib'] // 1024} GiB, "
             f"kernel {m['kernel']}, Python {m['python']} (benchmark), codeloc "
             f"{m['codeloc_commit']}; {versions}",
             f"- command: `{result['command']}`"]
    daemons = {}
    for r in rows:
        if r.get("binary") and r["key"] == "codeloc":
            daemons.setdefault(r["title"], r["binary"])
    if len(daemons) > 1:
        notes.append("- daemons compared: " + "; ".join(f"{t}: `{b}`" for t, b in daemons.items()))
    if "load_at_start" in m:
        notes.append(f"- load average (1, 5, 15 min) at the start: "
                     f"{', '.join(str(v) for v in m['load_at_start'])}; at the end: "
                     f"{', '.join(str(v) for v in result.get('load_at_end', []))}")
    if result.get("skipped"):
        notes.append("- not measured: " + "; ".join(result["skipped"]))
    if result.get("python_note"):
        notes.append("- " + result["python_note"])
    notes.append("- wakeups: voluntary context switches (blocked, then woken) of all the "
                 "supervisor's threads over the idle window, per second; preempted: involuntary "
                 "ones, which mostly measure the machine's load. codeloc's only idle work is its "
                 "ping of every loaded code server every `ping_interval` (10 s), all on one "
                 "grid: one wake-up sends them, a few more read the answers. PM2's daemon has "
                 "11 threads (node) but sleeps; supervisord's loop wakes once a second.")
    return "\n".join(lines + notes) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locations", default="50,200",
                        help="comma-separated location counts (default 50,200)")
    parser.add_argument("--idle-seconds", type=float, default=10,
                        help="length of the idle window (default 10; 0 skips the footprint)")
    parser.add_argument("--settle", type=float, default=2,
                        help="seconds between 'all up' and the idle window (default 2)")
    parser.add_argument("--runs", type=int, default=5,
                        help="runs of each supervisor and location count (default 5)")
    parser.add_argument("--scenario", choices=["all", "trivial", "python"], default="all",
                        help="trivial: every supervisor with trivial children; python: codeloc "
                             "with Python code-server locations; all: both")
    parser.add_argument("--peers", default="auto",
                        help="comma-separated: codeloc,codeloc-watch,supervisord,pm2; auto (the "
                             "default) is all four, less a peer that is not installed")
    parser.add_argument("--python-locations", type=int, default=200)
    parser.add_argument("--python-runs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120,
                        help="deadline of every start (s; default 120, Python locations get at "
                             "least 1800)")
    parser.add_argument("--codeloc", action="append", metavar="[LABEL=]PATH",
                        help="a codeloc daemon to measure; give it more than once to compare "
                             "daemons in one run (ratios are against the first). Default: "
                             "codeloc in --build")
    parser.add_argument("--section", default=SECTION,
                        help=f"the Markdown section's title (default {SECTION!r})")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--write", metavar="FILE", help="also write the Markdown section there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    parser.add_argument("--build", type=pathlib.Path, default=ROOT / "build",
                        help="the build tree with codeloc, codeloc_test_server, venvs/ and "
                             "bench-tools/ (default build/)")
    args = parser.parse_args()
    use_build(args.build.resolve())
    try:
        counts = [int(c) for c in args.locations.split(",") if c.strip()]
    except ValueError:
        parser.error(f"--locations: expected numbers like 50,200, got {args.locations!r}")
    if not counts or min(counts) < 1 or args.runs < 1 or args.python_runs < 1:
        parser.error("--locations, --runs and --python-runs must be at least 1")

    all_keys = ["codeloc", "codeloc-watch", "supervisord", "pm2"]
    skipped = []
    if args.peers == "auto":
        keys = []
        for key in all_keys:
            binary = {"supervisord": Supervisord.binary, "pm2": Pm2.binary}.get(key)
            if binary and binary() is None:
                skipped.append(f"{key} (not installed: {install_hint(key)})")
                log(f"warning: {key} is not installed, so it is left out; {install_hint(key)}")
            else:
                keys.append(key)
    else:
        keys = [k.strip() for k in args.peers.split(",") if k.strip()]
        for key in keys:
            if key not in all_keys:
                parser.error(f"--peers: unknown {key!r}; expected some of {', '.join(all_keys)}")
            binary = {"supervisord": Supervisord.binary, "pm2": Pm2.binary}.get(key)
            if binary and binary() is None:
                log(f"{key} is not installed: {install_hint(key)}")
                return 2
    variants = parse_codeloc(args.codeloc)
    needed = [binary for _, binary in variants]
    if args.scenario in ("all", "trivial"):
        needed.append(TEST_SERVER)
    if args.scenario in ("all", "python"):
        needed.append(DAGSTER_PYTHON)
    if rl.report_missing(needed, "build with `ninja -C build codeloc codeloc_test_server`; the "
                         "venv comes from scripts/python-envs.sh"):
        return 2

    command = rl.command_line()
    result = {"command": command, "machine": machine(), "idle_seconds": args.idle_seconds,
              "section": args.section,
              "runs": args.runs, "rows": [], "skipped": skipped, "python_note": None}
    pids: set[int] = set()
    with rl.Measuring(pids, MARKER) as outcome:
        if args.scenario in ("all", "trivial"):
            samples: dict[tuple[str, int], list[dict]] = {}
            for run in range(1, args.runs + 1):
                for n in counts:
                    log(f"run {run}/{args.runs}, {n} locations")
                    for key in keys:
                        for v in (range(len(variants)) if key.startswith("codeloc") else [0]):
                            samples.setdefault((key, n, v), []).append(
                                one_run(make(key, variants[v]), n, args, pids))
            for n in counts:
                for key in keys:
                    for v in (range(len(variants)) if key.startswith("codeloc") else [0]):
                        sup = make(key, variants[v])
                        child = ("codeloc_test_server (`command:`)" if key.startswith("codeloc")
                                 else "`sleep 86400`")
                        result["rows"].append({"key": key, "title": sup.title, "locations": n,
                                               "child": child, "variant_index": v,
                                               "binary": str(variants[v][1]),
                                               "stats": aggregate(samples[(key, n, v)]),
                                               "samples": samples[(key, n, v)]})
        if args.scenario in ("all", "python"):
            n = args.python_locations
            available = mem_available_mib()
            if n * PYTHON_CHILD_MIB > 0.5 * available:
                fit = int(0.5 * available // PYTHON_CHILD_MIB)
                note = (f"{n} Python locations need about {n * PYTHON_CHILD_MIB} MiB "
                        f"({PYTHON_CHILD_MIB} MiB each) but only {available} MiB is available; "
                        f"ran {fit}")
                log(f"warning: {note}")
                n = fit
            else:
                note = None
            py_args = argparse.Namespace(**vars(args))
            py_args.timeout = max(args.timeout, 1800)
            py_args.idle_seconds = 0
            samples_py = []
            for run in range(1, args.python_runs + 1):
                log(f"Python run {run}/{args.python_runs}, {n} python_file locations "
                    f"({DAGSTER_PYTHON})")
                samples_py.append(one_run(Codeloc(kind="python", binary=variants[0][1],
                                                  label=variants[0][0]), n, py_args, pids))
            result["rows"].append({"key": "codeloc-python", "title": "codeloc",
                                   "locations": n,
                                   "child": "python_file, one dagster asset (dagster venv)",
                                   "stats": aggregate(samples_py), "samples": samples_py})
            result["python_note"] = (
                f"Python locations: each a python_file defining `Definitions` with one asset, "
                f"loaded by codeloc's code server in the dagster venv; all {n} start at once on "
                f"{result['machine']['nproc']} CPUs. With warm interpreters (the default, "
                f"docs/warm.md) their starts wait for one fork server to import dagster and are "
                f"then forked from it; with `--no-warm` each would import dagster itself (95 s "
                f"for 100 at 10435dd). {args.python_runs} run(s)." + (f" {note}." if note else ""))
    result["load_at_end"] = [round(v, 1) for v in os.getloadavg()]  # published if it passed
    return outcome.end(result, markdown, args)


if __name__ == "__main__":
    sys.exit(main())
