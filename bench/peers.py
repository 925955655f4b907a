#!/usr/bin/env python3
"""codeloc against its peers (issue 8): supervisord, PM2, nodemon and Dagster's own code server,
in the same run on the same machine.

    bash bench/install-peers.sh        # once: supervisor (apt), pm2 and nodemon (npm, build/)
    python3 bench/peers.py [--cycles 30] [--saves 20] [--scenario all|crash|save|dagster]
                           [--child python|c|c-static] [--codeloc [LABEL=]PATH ...] [--fastest-only]
                           [--json] [--write bench/RESULTS.md] [--timeout 60]

`--codeloc` given more than once measures each daemon as its own rows of the same run (the one
before a change and the one after, e.g. `--codeloc before=/tmp/old/codeloc --codeloc
after=build/codeloc`); `--child c` runs a small C program (bench/peers_child.c, compiled with `cc`
into each run's folder) instead of the Python child, so that the figures are the supervisors' own
work rather than an interpreter's start-up; `--child c-static` links it with `-static`, so that
its own start is the kernel's exec without the dynamic loader.

Standard library only (Python 3.11). See bench/README.md ("bench/peers.py") for the method.

Every process this script starts is stopped by its pid or its process group: each supervisor
leads its own session; PM2's daemon is stopped with `pm2 kill` and then by the pid in its
PM2_HOME; every child pid a supervisor started (from the children's own timestamp lines) is
checked. At the end `ps` must show none of them.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import reload_latency as rl  # noqa: E402  (the same helpers, the Dagster scenario)
from reload_latency import BenchError, log, summary  # noqa: E402

ROOT = rl.ROOT
BUILD = rl.BUILD
CODELOC = rl.CODELOC
DAGSTER_PYTHON = rl.DAGSTER_PYTHON
TOOLS = pathlib.Path(os.environ.get("CODELOC_BENCH_TOOLS", BUILD / "bench-tools"))
PM2_BIN = TOOLS / "node_modules" / ".bin" / "pm2"
NODEMON = TOOLS / "node_modules" / ".bin" / "nodemon"
from reload_latency import write_section  # noqa: E402  (one writer of RESULTS.md)

SECTION = "## Against the peers (issue 8)"
MARKER = "codeloc-peers-"
BENCH_DIRS: list[str] = []  # the folders of reload_latency.py's runs (its marker is shared)
# The child runs under the same interpreter as this script, isolated and without site (-I -S):
# its start-up costs the same under every supervisor.
CHILD_PYTHON = sys.executable
# --child c: the same child in C (same stamps, same protocol answers), built by `cc`.
CHILD_C_SOURCE = pathlib.Path(__file__).resolve().parent / "peers_child.c"
FLOOR_C_SOURCE = pathlib.Path(__file__).resolve().parent / "restart_floor.c"

# The child ---------------------------------------------------------------------------------------
# One script for every supervisor. It appends `start PID T` as its first act and, in crash mode,
# `exit PID T` right before it exits with status 1, 200 ms after its start. T is CLOCK_MONOTONIC,
# which is system-wide, so this script's time.monotonic() is on the same clock. Under codeloc
# (CODELOC_CHANNEL_FD set) it also answers codeloc's code-server protocol (docs/protocol.md) with
# an empty snapshot, so that it counts as loaded.
CHILD = r'''
import os, sys, time

def stamp(kind):
    line = "%s %d %.6f\n" % (kind, os.getpid(), time.clock_gettime(time.CLOCK_MONOTONIC))
    fd = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, line.encode())
    os.close(fd)

stamp("start")
mode = sys.argv[1]

def serve_codeloc(fd):
    import json
    name = os.environ.get("CODELOC_LOCATION", "")
    f = os.fdopen(fd, "rb", buffering=0)
    buffer = b""
    while True:
        chunk = f.read(65536)
        if not chunk:
            os._exit(0)
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if not line.strip():
                continue
            request = json.loads(line)
            method = request.get("method")
            if method == "initialize":
                result = {"protocol_version": 1, "location": name,
                          "server": {"name": "bench-child", "version": "1"}, "pid": os.getpid()}
            elif method == "definitions.get":
                result = {"snapshot": {"location": name, "assets": []}, "summary": {"assets": 0}}
            elif method in ("ping", "shutdown"):
                result = {}
            else:
                result = None
            if "id" in request:
                answer = {"jsonrpc": "2.0", "id": request["id"]}
                if result is None:
                    answer["error"] = {"code": -32601, "message": "method not found"}
                else:
                    answer["result"] = result
                os.write(fd, json.dumps(answer).encode() + b"\n")
            if method == "shutdown":
                os._exit(0)

channel = os.environ.get("CODELOC_CHANNEL_FD")
if channel:
    import threading
    threading.Thread(target=serve_codeloc, args=(int(channel),), daemon=True).start()
if mode == "crash":
    time.sleep(0.2)
    stamp("exit")
    os._exit(1)
while True:
    time.sleep(3600)
'''


def read_stamps(path: pathlib.Path) -> list[tuple[str, int, float]]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 3:
            out.append((fields[0], int(fields[1]), float(fields[2])))
    return out


def kill_pid(pid: int, what: str) -> None:
    if rl.pid_alive(pid):
        log(f"  {what} pid {pid} still alive: SIGKILL")
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop_group(proc: subprocess.Popen, what: str, grace: float = 10) -> None:
    """SIGTERM to the process group `proc` leads, up to `grace` s, then SIGKILL to the group."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log(f"  {what} (pid {proc.pid}) ignored SIGTERM for {grace:.0f} s: SIGKILL")
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # anything left in its group
    except ProcessLookupError:
        pass
    if proc.poll() is None:
        proc.wait()


# Supervisors -------------------------------------------------------------------------------------
class Supervisor:
    """One supervisor running the child in `workdir`. start() returns once it has been launched;
    stop() stops everything it started; gave_up() says if it stopped restarting on its own."""

    label = ""
    settings = ""

    def __init__(self, workdir: pathlib.Path, args):
        self.workdir = workdir
        self.args = args
        self.stamps = workdir / "child.stamps"
        self.project = workdir / "project"
        self.project.mkdir(exist_ok=True)
        self.procs: list[subprocess.Popen] = []
        self.pids: set[int] = set()

    def child_argv(self, mode: str) -> list[str]:
        if is_c_child(self.args):
            return [str(self.workdir / "child"), mode, str(self.stamps)]
        return [CHILD_PYTHON, "-I", "-S", str(self.workdir / "child.py"), mode, str(self.stamps)]

    def popen(self, argv: list[str], log_name: str, **kw) -> subprocess.Popen:
        out = open(self.workdir / log_name, "ab")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, **kw)
        out.close()
        self.procs.append(proc)
        self.pids.add(proc.pid)
        log(f"  pid {proc.pid}: {shlex.join(argv)}")
        return proc

    def gave_up(self) -> str | None:
        return None

    def check_alive(self) -> None:
        for proc in self.procs:
            if proc.poll() is not None:
                raise BenchError(f"{self.label}: pid {proc.pid} exited with {proc.returncode}; "
                                 f"see {self.workdir}")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            stop_group(proc, self.label)

    def all_pids(self) -> set[int]:
        return self.pids | {pid for _, pid, _ in read_stamps(self.stamps)}


class Codeloc(Supervisor):
    def __init__(self, workdir, args, mode: str, restart: dict | None = None, debounce=None,
                 daemon: tuple[str, pathlib.Path] = ("codeloc", CODELOC)):
        super().__init__(workdir, args)
        self.mode = mode
        self.restart = restart
        self.debounce = debounce
        self.label, self.binary = daemon
        if mode == "crash":
            self.settings = (f"backoff initial {restart['initial']}, max {restart['max']}"
                             if restart else "defaults (backoff 100ms doubling to 30s)")
        else:
            self.settings = f"`serve --watch`, watch_debounce {debounce}"

    def start(self) -> None:
        argv = json.dumps(self.child_argv(self.mode))
        extra = ""
        if self.restart:
            extra = (f"      backoff: {{initial: {self.restart['initial']}, "
                     f"max: {self.restart['max']}}}\n")
        (self.workdir / "workspace.yaml").write_text(
            "load_from:\n"
            "  - command:\n"
            f"      argv: {argv}\n"
            "      location_name: bench\n"
            "      working_directory: project\n" + extra)
        cmd = [str(self.binary), "serve", "-w", str(self.workdir / "workspace.yaml"),
               "--socket", str(self.workdir / "codeloc.sock"),
               "--state-dir", str(self.workdir / "state")]
        if self.mode == "serve":
            cmd += ["--watch", "--watch-debounce", self.debounce]
        self.popen(cmd, "codeloc.log", cwd=self.workdir)
        if self.mode == "serve":
            wait_for(lambda: "watching 1 location(s)" in read(self.workdir / "codeloc.log"),
                     "codeloc to log `watching 1 location(s)`", self.args.timeout, self)


class Floor(Supervisor):
    """bench/restart_floor.c: posix_spawn, a blocking waitpid, the backoff's clock_nanosleep, again;
    the machine's own cost of a restart, with no supervisor's work in it (C children only)."""

    def __init__(self, workdir, args, mode: str, backoff_us: int = 1000):
        super().__init__(workdir, args)
        self.mode = mode
        self.backoff_us = backoff_us
        self.label = "floor (bench/restart_floor.c)"
        self.settings = f"backoff {backoff_us / 1000:g}ms (clock_nanosleep)"

    def start(self) -> None:
        binary = self.workdir / "restart_floor"
        compile_c(FLOOR_C_SOURCE, binary)
        self.popen([str(binary), str(self.backoff_us), *self.child_argv(self.mode)], "floor.out",
                   cwd=self.project)


class Supervisord(Supervisor):
    def __init__(self, workdir, args, mode: str, fastest: bool):
        super().__init__(workdir, args)
        self.mode = mode
        self.fastest = fastest
        self.label = "supervisord"
        self.settings = ("startsecs=0, autorestart=true, startretries=1000000" if fastest
                         else "defaults (startsecs=1, startretries=3, autorestart=unexpected)")

    def start(self) -> None:
        w = self.workdir
        program = [f"command={shlex.join(self.child_argv(self.mode))}",
                   f"directory={self.project}", f"stdout_logfile={w / 'child.out'}",
                   "redirect_stderr=true"]
        if self.fastest:
            program += ["startsecs=0", "autorestart=true", "startretries=1000000"]
        (w / "supervisord.conf").write_text("\n".join([
            "[unix_http_server]", f"file={w / 'supervisor.sock'}", "",
            "[supervisord]", f"logfile={w / 'supervisord.log'}", f"pidfile={w / 'supervisord.pid'}",
            f"childlogdir={w}", "nodaemon=true", "loglevel=info", "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
            "[supervisorctl]", f"serverurl=unix://{w / 'supervisor.sock'}", "",
            "[program:bench]", *program, ""]))
        self.popen([shutil.which("supervisord") or "supervisord", "-n", "-c",
                    str(w / "supervisord.conf")], "supervisord.out", cwd=w)

    def gave_up(self) -> str | None:
        text = read(self.workdir / "supervisord.log")
        return "FATAL" if "entered FATAL state" in text else None


class PM2(Supervisor):
    def __init__(self, workdir, args, mode: str, fastest: bool = True, watch: bool = False):
        super().__init__(workdir, args)
        self.mode = mode
        self.fastest = fastest
        self.watch = watch
        self.label = "PM2"
        self.home = workdir / "pm2home"
        if watch:
            self.settings = "`watch`, watch_delay 0 (its default)"
        elif fastest:
            self.settings = "restart_delay 0, min_uptime 100 (its minimum), max_restarts 1000000"
        else:
            self.settings = "defaults (restart_delay 0, min_uptime 1000, max_restarts 16)"

    def env(self) -> dict:
        return dict(os.environ, PM2_HOME=str(self.home))

    def pm2(self, *argv: str) -> None:
        out = open(self.workdir / "pm2-cli.out", "ab")
        try:
            subprocess.run([str(PM2_BIN), *argv], env=self.env(), stdin=subprocess.DEVNULL,
                           stdout=out, stderr=subprocess.STDOUT, timeout=self.args.timeout,
                           check=True, start_new_session=True)
        finally:
            out.close()

    def start(self) -> None:
        argv = self.child_argv(self.mode)
        app = {"name": "bench", "script": argv[0], "args": argv[1:], "interpreter": "none",
               "exec_mode": "fork", "cwd": str(self.project), "autorestart": True,
               "out_file": str(self.workdir / "child.out"), "error_file": str(self.workdir / "child.err")}
        if self.fastest:
            app |= {"restart_delay": 0, "min_uptime": 100, "max_restarts": 1000000}
        if self.watch:
            app |= {"watch": [str(self.project)], "watch_delay": 0}
        (self.workdir / "ecosystem.json").write_text(json.dumps({"apps": [app]}, indent=2))
        self.home.mkdir()
        log(f"  PM2_HOME={self.home} {PM2_BIN} start {self.workdir / 'ecosystem.json'}")
        self.pm2("start", str(self.workdir / "ecosystem.json"))
        self.note_daemon()

    def note_daemon(self) -> None:
        try:
            self.pids.add(int((self.home / "pm2.pid").read_text().strip()))
        except (FileNotFoundError, ValueError):
            pass

    def gave_up(self) -> str | None:
        text = read(self.home / "pm2.log")
        return "errored (too many unstable restarts)" if "too many unstable restarts" in text else None

    def check_alive(self) -> None:
        self.note_daemon()
        for pid in self.pids:
            if not rl.pid_alive(pid):
                raise BenchError(f"PM2's daemon (pid {pid}) is gone; see {self.home / 'pm2.log'}")

    def stop(self) -> None:
        self.note_daemon()
        if self.home.exists():
            try:
                self.pm2("kill")
            except (subprocess.SubprocessError, OSError) as e:
                log(f"  pm2 kill failed: {e}")
        deadline = time.monotonic() + 10
        for pid in self.pids:
            while rl.pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            kill_pid(pid, "PM2 daemon")


class Nodemon(Supervisor):
    label = "nodemon"
    settings = "--delay 0 (its default: no delay)"

    def start(self) -> None:
        self.popen([str(NODEMON), "--watch", str(self.project), "--ext", "txt", "--delay", "0",
                    "--exec", shlex.join(self.child_argv("serve"))], "nodemon.out",
                   cwd=self.workdir)


def read(path: pathlib.Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def wait_for(condition, what: str, timeout: float, sup: Supervisor | None = None):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if sup:
            sup.check_alive()
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.002)


def in_workdir(name: str, body, pids: set[int], args):
    """Runs body(workdir) in a fresh temporary folder; keeps the folder if it fails."""
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"{MARKER}{name}-"))
    (workdir / "child.py").write_text(CHILD)
    ok = False
    try:
        if is_c_child(args):
            build_c_child(workdir, static=args.child == "c-static")
        result = body(workdir)
        ok = True
        return result
    finally:
        if not ok or args.keep:
            log(f"  (kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def is_c_child(args) -> bool:
    return getattr(args, "child", "python") in ("c", "c-static")


def build_c_child(workdir: pathlib.Path, static: bool = False) -> None:
    """The C child in workdir/child; `static`: linked with -static (glibc's libc.a, libc6-dev), so
    that its exec is the kernel's alone, without the dynamic loader's 0.6 ms."""
    compile_c(CHILD_C_SOURCE, workdir / "child", ["-static"] if static else [])


def compile_c(source: pathlib.Path, output: pathlib.Path, flags: list[str] = ()) -> None:
    """`cc -O2 FLAGS -o OUTPUT SOURCE`, or BenchError with the compiler's message."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise BenchError("--child c needs a C compiler (`cc`) on PATH")
    argv = [cc, "-O2", *flags, "-o", str(output), str(source)]
    built = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if built.returncode != 0:
        raise BenchError(f"{shlex.join(argv)} failed:\n{built.stderr}")


def daemons(args) -> list[tuple[str, pathlib.Path]]:
    """The codeloc binaries to measure, as (row label, path): --codeloc [LABEL=]PATH, in order."""
    given = args.codeloc or [str(CODELOC)]
    out = []
    for text in given:
        label, sep, path = text.partition("=")
        if not sep:
            label, path = "", text
        name = "codeloc" if len(given) == 1 and not label else f"codeloc {label or path}"
        out.append((name, pathlib.Path(path).resolve()))
    return out


# Scenario 1: crash to restart --------------------------------------------------------------------
def crash_run(make, cycles: int, args, pids: set[int], max_delay_cycles: int | None = None) -> dict:
    """Latency from each exit (`exit` stamp) to the next start (`start` stamp), for up to
    `cycles` restarts, or until the supervisor gives up."""

    def body(workdir):
        sup = make(workdir)
        log(f"{sup.label}, {sup.settings}: {workdir}")
        try:
            sup.start()
            latencies, gave_up = [], None
            want = cycles if max_delay_cycles is None else min(cycles, max_delay_cycles)
            while len(latencies) < want:
                n = len(latencies)

                def progress():
                    starts = [s for s in read_stamps(sup.stamps) if s[0] == "start"]
                    exits = {pid: t for kind, pid, t in read_stamps(sup.stamps) if kind == "exit"}
                    if len(starts) >= n + 2 and starts[n][1] in exits:
                        return ("restart", starts[n + 1][2] - exits[starts[n][1]])
                    if len(starts) == n + 1 and starts[n][1] in exits:
                        reason = sup.gave_up()
                        if reason:
                            return ("gave up", reason)
                    return None

                kind, value = wait_for(progress, f"{sup.label}'s restart {n + 1}", args.timeout, sup)
                if kind == "gave up":
                    gave_up = value
                    break
                latencies.append(value * 1000)
                log(f"  restart {n + 1}: {latencies[-1]:8.1f} ms from exit to start")
            starts = sum(1 for s in read_stamps(sup.stamps) if s[0] == "start")
            return {"supervisor": sup.label, "settings": sup.settings, "restarts": len(latencies),
                    "starts": starts, "gave_up": gave_up,
                    "latency_ms": summary(latencies) if latencies else None,
                    "samples_ms": [round(v, 2) for v in latencies]}
        finally:
            sup.stop()
            pids.update(sup.all_pids())
            for pid in {p for _, p, _ in read_stamps(sup.stamps)}:
                kill_pid(pid, "child")

    return in_workdir("crash", body, pids, args)


def scenario_crash(args, pids) -> list[dict]:
    n = args.cycles
    fastest = {"initial": "1ms", "max": "1ms"}
    rows, fastest_baselines, default_baselines = [], [], []
    ours = daemons(args)
    for daemon in ours:
        short = daemon[0].removeprefix("codeloc ") + ", " if len(ours) > 1 else ""
        fastest_baselines.append(len(fastest_baselines) + len(default_baselines))
        rows.append(crash_run(lambda w, d=daemon: Codeloc(w, args, "crash", fastest, daemon=d),
                              n, args, pids) | {"baseline": True, "short": f"{short}fastest"})
        if args.fastest_only:
            continue
        # Default backoff doubles from 100 ms; the 7th restart would wait 6.4 s, so 6 are measured.
        default_baselines.append(len(fastest_baselines) + len(default_baselines))
        rows.append(crash_run(lambda w, d=daemon: Codeloc(w, args, "crash", daemon=d), n, args,
                              pids, max_delay_cycles=6) | {"baseline": True,
                                                          "short": f"{short}defaults"})
    peers = [(lambda w: Floor(w, args, "crash"), True)] if is_c_child(args) else []
    peers += [(lambda w: Supervisord(w, args, "crash", True), True),
             (lambda w: Supervisord(w, args, "crash", False), False),
             (lambda w: PM2(w, args, "crash", True), True),
             (lambda w: PM2(w, args, "crash", False), False)]
    for make, is_fastest in peers:  # fastest with fastest, defaults with defaults
        if args.fastest_only and not is_fastest:
            continue
        row = crash_run(make, n, args, pids)
        row["ratio_to"] = fastest_baselines if is_fastest else default_baselines
        rows.append(row)
    return rows


# Scenario 2: file save to restart ----------------------------------------------------------------
def save_run(make, saves: int, args, pids: set[int]) -> dict:
    def body(workdir):
        sup = make(workdir)
        log(f"{sup.label}, {sup.settings}: {workdir}")
        target = sup.project / "code.txt"
        target.write_text("save 0\n")
        try:
            sup.start()
            wait_for(lambda: [s for s in read_stamps(sup.stamps) if s[0] == "start"],
                     f"{sup.label}'s first child", args.timeout, sup)

            def starts():
                return [s for s in read_stamps(sup.stamps) if s[0] == "start"]

            def settle() -> int:
                """Waits until no child has started for --settle seconds; returns the count."""
                count = len(starts())
                quiet_until = time.monotonic() + args.settle
                while time.monotonic() < quiet_until:
                    time.sleep(0.01)
                    if len(starts()) != count:
                        count = len(starts())
                        quiet_until = time.monotonic() + args.settle
                return count

            # Warm-up: the watcher may not be ready at once; save until a save restarts the child.
            deadline = time.monotonic() + args.timeout
            warm = 0
            while True:
                count = settle()
                warm += 1
                rl.save(target, f"warm-up {warm}\n", args.save_mode)
                try:
                    wait_for(lambda: len(starts()) > count, "warm-up", 2, sup)
                    break
                except BenchError:
                    if time.monotonic() > deadline:
                        raise BenchError(f"{sup.label}: no save restarted the child within "
                                         f"{args.timeout:.0f} s")
            latencies, extra = [], 0
            for i in range(1, saves + 1):
                count = settle()
                t0 = time.monotonic()
                rl.save(target, f"save {i}\n", args.save_mode)
                new = wait_for(lambda: starts()[count:], f"{sup.label}: save {i}'s new child",
                               args.timeout, sup)
                latencies.append((new[0][2] - t0) * 1000)
                after = settle()
                if after - count > 1:
                    extra += 1
                log(f"  save {i}/{saves}: {latencies[-1]:8.1f} ms to the new child's start"
                    f"{'; ' + str(after - count) + ' starts' if after - count > 1 else ''}")
            return {"supervisor": sup.label, "settings": sup.settings, "saves": saves,
                    "warmup_saves": warm, "extra_restarts": extra,
                    "latency_ms": summary(latencies), "samples_ms": [round(v, 2) for v in latencies]}
        finally:
            sup.stop()
            pids.update(sup.all_pids())
            for pid in {p for _, p, _ in read_stamps(sup.stamps)}:
                kill_pid(pid, "child")

    return in_workdir("save", body, pids, args)


def scenario_save(args, pids) -> list[dict]:
    n = args.saves
    rows = []
    ours = daemons(args)
    for daemon in ours:
        prefix = f"{daemon[0]}, " if len(ours) > 1 else ""
        rows.append(save_run(lambda w, d=daemon: Codeloc(w, args, "serve", debounce="0", daemon=d),
                             n, args, pids) | {"baseline": True, "short": f"{prefix}debounce 0"})
        rows.append(save_run(lambda w, d=daemon: Codeloc(w, args, "serve", debounce="100ms",
                                                         daemon=d), n, args, pids)
                    | {"baseline": True, "short": f"{prefix}debounce 100ms (default)"})
    baselines = list(range(len(rows)))
    for make in (lambda w: PM2(w, args, "serve", watch=True), lambda w: Nodemon(w, args)):
        rows.append(save_run(make, n, args, pids) | {"ratio_to": baselines})
    return rows


# Scenario 3: Dagster, file save to new definitions ----------------------------------------------
# Runs in the Dagster venv, driven over stdin/stdout: for `reload I`, it calls ReloadCode on the
# code server (dagster's DagsterGrpcClient.reload_code, which returns once the new server process
# has loaded the code), then ListRepositories and ExternalRepository (what the webserver fetches
# for a location) until bench_asset_I is there and bench_asset_<I-1> is not. It prints the
# CLOCK_MONOTONIC times after the reload and once the asset is visible.
DAGSTER_CLIENT = r'''
import json, sys, time
from dagster._grpc.client import DagsterGrpcClient
from dagster._core.remote_origin import GrpcServerCodeLocationOrigin, RemoteRepositoryOrigin
from dagster._core.remote_representation.external_data import RepositorySnap
from dagster._grpc.types import ListRepositoriesResponse
from dagster._serdes import deserialize_value

socket_path, name = sys.argv[1], sys.argv[2]
client = DagsterGrpcClient(socket=socket_path)
origin = GrpcServerCodeLocationOrigin(host="localhost", socket=socket_path, location_name=name)

def keys():
    listed = deserialize_value(client.list_repositories(), ListRepositoriesResponse)
    found = set()
    for symbol in listed.repository_symbols:
        snap = deserialize_value(client.external_repository(
            RemoteRepositoryOrigin(origin, symbol.repository_name)), RepositorySnap)
        found |= {"/".join(node.asset_key.path) for node in snap.asset_nodes}
    return found

deadline = time.monotonic() + float(sys.argv[3])
while True:
    try:
        client.ping("x")
        break
    except Exception:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.05)
print(json.dumps({"ready": sorted(keys())}), flush=True)
for line in sys.stdin:
    i = int(line.split()[1])
    client.reload_code(timeout=120)
    reloaded = time.clock_gettime(time.CLOCK_MONOTONIC)
    fetches = 0
    while True:
        fetches += 1
        k = keys()
        if "bench_asset_%d" % i in k and "bench_asset_%d" % (i - 1) not in k:
            break
    visible = time.clock_gettime(time.CLOCK_MONOTONIC)
    print(json.dumps({"reloaded": reloaded, "visible": visible, "fetches": fetches}), flush=True)
'''


def dagster_code_server(args, pids) -> dict:
    def body(workdir):
        scenario = rl.Dagster()
        scenario.setup(workdir)
        sock = workdir / "dagster.sock"
        home = workdir / "dagster_home"
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        env = dict(os.environ, DAGSTER_HOME=str(home))
        sup = Supervisor(workdir, args)
        sup.label = "Dagster code server"
        dagster = str(DAGSTER_PYTHON.parent / "dagster")
        log(f"Dagster `code-server start` + ReloadCode: {workdir}")
        try:
            server = sup.popen([dagster, "code-server", "start", "-m", "analytics.definitions",
                                "-d", str(workdir / "analytics"), "--socket", str(sock),
                                "--location-name", scenario.name], "code-server.log",
                               cwd=workdir / "analytics", env=env)
            (workdir / "client.py").write_text(DAGSTER_CLIENT)
            client = subprocess.Popen([str(DAGSTER_PYTHON), str(workdir / "client.py"), str(sock),
                                       scenario.name, str(args.timeout)], env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                      start_new_session=True)
            sup.procs.append(client)
            sup.pids.add(client.pid)

            def answer() -> dict:
                line = client.stdout.readline()
                if not line:
                    raise BenchError(f"the Dagster client (pid {client.pid}) exited with "
                                     f"{client.wait()}; code server log: {workdir / 'code-server.log'}")
                return json.loads(line)

            ready = answer()
            if "bench_asset_0" not in ready["ready"]:
                raise BenchError(f"the code server does not serve bench_asset_0: {ready}")
            latencies, reload_only = [], []
            for i in range(1, args.saves + 1):
                text = scenario.text(i)
                t0 = time.monotonic()
                rl.save(scenario.file, text, args.save_mode)
                client.stdin.write(f"reload {i}\n")
                client.stdin.flush()
                got = answer()
                latencies.append((got["visible"] - t0) * 1000)
                reload_only.append((got["reloaded"] - t0) * 1000)
                log(f"  save {i}/{args.saves}: {latencies[-1]:8.1f} ms to the new asset "
                    f"(ReloadCode returned after {reload_only[-1]:.0f} ms; {got['fetches']} fetch(es))")
                if server.poll() is not None:
                    raise BenchError(f"the code server exited with {server.returncode}")
            client.stdin.close()
            return {"supervisor": "Dagster code server", "settings":
                    "`dagster code-server start`; ReloadCode right after the save",
                    "saves": args.saves, "latency_ms": summary(latencies),
                    "reload_call_ms": summary(reload_only),
                    "samples_ms": [round(v, 2) for v in latencies]}
        finally:
            sup.stop()
            pids.update(sup.pids)
            # The code server's own server process is in its group, so stop() got it; and any
            # pid the group had is checked by the final ps.

    return in_workdir("dagster", body, pids, args)


def scenario_dagster(args, pids) -> list[dict]:
    rows = []
    for debounce in ("0", "100ms"):
        ns = argparse.Namespace(saves=args.saves, watch_debounce=debounce, save_mode=args.save_mode,
                                settle=args.settle, timeout=args.timeout, keep=args.keep)
        r = rl.run_scenario(rl.Dagster(), ns, BENCH_DIRS, pids)
        rows.append({"supervisor": "codeloc", "settings": f"`serve --watch`, watch_debounce {debounce}",
                     "saves": args.saves, "latency_ms": r["latency_ms"],
                     "samples_ms": r["samples_ms"], "baseline": True,
                     "short": "debounce 0" if debounce == "0" else "debounce 100ms (default)"})
    rows.append(dagster_code_server(args, pids) | {"ratio_to": [0, 1]})
    return rows


# Report --------------------------------------------------------------------------------------------
def child_name(result: dict) -> str:
    if result.get("child") == "c":
        return "C, bench/peers_child.c"
    if result.get("child") == "c-static":
        return "C, bench/peers_child.c linked -static"
    return "Python, `-I -S`"


def ms(value) -> str:
    return "-" if value is None else rl.ms(value)


def table(rows: list[dict], count_key: str, count_title: str) -> list[str]:
    baselines = [r for r in rows if r.get("baseline")]
    out = [f"| supervisor | settings | {count_title} | median | p90 | min | max | ratio (median, peer / codeloc) |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lat = r["latency_ms"]
        if r.get("baseline"):
            ratio = f"baseline ({r['short']})"
        elif lat and "ratio_to" in r:
            to = r["ratio_to"] if isinstance(r["ratio_to"], list) else [r["ratio_to"]]
            ratio = "; ".join(
                f"{lat['median'] / baselines[b]['latency_ms']['median']:.2f} vs codeloc "
                f"{baselines[b]['short']}" for b in to if baselines[b]["latency_ms"])
        else:
            ratio = "-"
        count = r.get(count_key)
        if r.get("gave_up"):
            count = f"{count} ({r['gave_up']} after {r['starts']} starts)"
        out.append(f"| {r['supervisor']} | {r['settings']} | {count} | "
                   f"{ms(lat and lat['median'])} | {ms(lat and lat['p90'])} | "
                   f"{ms(lat and lat['min'])} | {ms(lat and lat['max'])} | {ratio} |")
    return out


def markdown(result: dict) -> str:
    lines = [SECTION, "",
             "codeloc and its peers in the same run on the same machine (`bench/peers.py`; method "
             "and every peer's settings in bench/README.md). Medians and p90s (nearest rank) in "
             "milliseconds; the ratio is the peer's median over codeloc's.", ""]
    s = result["scenarios"]
    if "crash" in s:
        lines += ["### Crash to restart", "",
                  f"A child ({child_name(result)}) that exits with status 1 200 ms after its "
                  "start. Latency: from the "
                  "child's last timestamp before its exit to the next child's first timestamp "
                  "(both CLOCK_MONOTONIC, written by the child).", ""]
        lines += table(s["crash"], "restarts", "restarts") + [""]
        for seq in (r for r in s["crash"] if r["supervisor"].startswith("codeloc")
                    and r["settings"].startswith("defaults")):
            lines += [f"{seq['supervisor']}'s default backoff, restart by restart: "
                      + ", ".join(ms(v) for v in seq["samples_ms"]) + " (the delay doubles from "
                      "100 ms up to 30 s; a run of 10 s resets it).", ""]
        for r in s["crash"]:
            if not r["supervisor"].startswith("codeloc") and r["settings"].startswith("defaults"):
                lines += [f"{r['supervisor']} with its defaults, restart by restart: "
                          + (", ".join(ms(v) for v in r["samples_ms"]) or "none")
                          + (f"; then {r['gave_up']} after {r['starts']} starts" if r["gave_up"] else "")
                          + ".", ""]
        if any(r["supervisor"] == "supervisord" for r in s["crash"]):
            lines += ["supervisord notices an exit only on its next main-loop pass: it polls with a "
                      "1 s timeout and reaps children after the poll (`runforever` in "
                      "supervisord.py), so its restarts take 1 or 2 s whatever its settings. With "
                      "`startsecs=1`, a 200 ms child whose exit is noticed more than 1 s after its "
                      "start therefore counts as started, which resets the retries: how many starts "
                      "come before `FATAL` varies from run to run.", ""]
    if "save" in s:
        lines += ["### File save to restart", "",
                  "A long-running child in `project/`; each save renames a new `project/code.txt` "
                  "over the old one. Latency: from right before the save to the new child's first "
                  "timestamp. codeloc starts the new child beside the old one and swaps; PM2 and "
                  "nodemon stop the old child first.", ""]
        lines += table(s["save"], "saves", "saves") + [""]
    if "dagster" in s:
        lines += ["### File save to new definitions (Dagster, examples/analytics)", "",
                  "Save *i* renames the benchmark asset to `bench_asset_<i>`. Latency: from right "
                  "before the save until a client sees the new asset key (and not the old one). "
                  "codeloc reloads on its own (inotify) and the client reads `location.definitions`;"
                  " Dagster's code server has no watcher, so its reload is requested (gRPC "
                  "ReloadCode) right after the save, as the UI's Reload button does, and the client "
                  "reads ListRepositories + ExternalRepository.", ""]
        lines += table(s["dagster"], "saves", "saves") + [""]
        d = next((r for r in s["dagster"] if "reload_call_ms" in r), None)
        if d:
            lines += [f"Dagster's ReloadCode call alone (save to its return): median "
                      f"{ms(d['reload_call_ms']['median'])}, p90 {ms(d['reload_call_ms']['p90'])}.", ""]
    m = result["machine"]
    load = ""
    if "load_before" in result:
        load = (f"; load average (1 min) {result['load_before'][0]:.1f} before the run, "
                f"{result['load_after'][0]:.1f} after")
    lines += [f"- versions: {result['versions']}",
              f"- machine: {m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}, "
              f"Python {m['python']} (benchmark{'' if result.get('child') == 'c' else ' and child'}), codeloc {m['codeloc_commit']}{load}",
              *([f"- daemons: " + ", ".join(f"{label} = `{path}`" for label, path in result["daemons"])]
                if len(result.get("daemons", [])) > 1 else []),
              f"- command: `{result['command']}`"]
    return "\n".join(lines) + "\n"


def versions() -> str:
    def npm_version(name):
        try:
            return json.loads((TOOLS / "node_modules" / name / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            return "?"

    def run(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout.strip()
        except OSError:
            return "?"

    dagster = run([str(DAGSTER_PYTHON), "-c", "import dagster; print(dagster.__version__)"])
    return (f"supervisord {run(['supervisord', '--version'])}, PM2 {npm_version('pm2')}, "
            f"nodemon {npm_version('nodemon')}, node {run(['node', '--version'])}, "
            f"dagster {dagster}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=30, help="crash/restart cycles (default 30)")
    parser.add_argument("--saves", type=int, default=20, help="saves per row (default 20)")
    parser.add_argument("--scenario", choices=["all", "crash", "save", "dagster"], default="all")
    parser.add_argument("--save-mode", choices=["rename", "inplace"], default="rename")
    parser.add_argument("--child", choices=["python", "c", "c-static"], default="python",
                        help="the supervised child: Python (default) or C (bench/peers_child.c, "
                             "built with cc; c-static: linked -static, no dynamic loader); the "
                             "Dagster scenario ignores it")
    parser.add_argument("--codeloc", action="append", metavar="[LABEL=]PATH",
                        help="a codeloc binary to measure (default build/codeloc); more than one: "
                             "each gets its own rows in the same run (crash and save scenarios)")
    parser.add_argument("--fastest-only", action="store_true",
                        help="crash scenario: only the fastest settings of each supervisor (no "
                             "defaults rows)")
    parser.add_argument("--settle", type=float, default=0.5,
                        help="quiet seconds (no new child) before each save (default 0.5)")
    parser.add_argument("--timeout", type=float, default=60, help="deadline of every wait (s)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--write", metavar="FILE", help="also write the Markdown section there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    parser.add_argument("--render", metavar="JSON",
                        help="measure nothing: print (and --write) the table of an earlier --json "
                             "output")
    args = parser.parse_args()
    if args.render:
        result = json.loads(pathlib.Path(args.render).read_text())
        section = markdown(result)
        print(section, end="")
        if args.write:
            write_section(pathlib.Path(args.write), section)
            log(f"wrote {args.write}")
        return 0
    if args.cycles < 1 or args.saves < 1:
        parser.error("--cycles and --saves must be at least 1")

    needed = [path for _, path in daemons(args)] + [PM2_BIN, NODEMON]
    if args.scenario in ("all", "dagster"):
        needed += [DAGSTER_PYTHON, rl.ANALYTICS / "analytics" / "definitions.py"]
    if rl.report_missing(needed, "run `bash bench/install-peers.sh`; build codeloc with "
                         "`ninja -C build codeloc`; the venv comes from scripts/python-envs.sh",
                         also=[] if shutil.which("supervisord") else ["supervisord"]):
        return 2

    command = rl.command_line()
    result = {"command": command, "machine": rl.machine(), "versions": versions(), "scenarios": {},
              "load_before": os.getloadavg(), "child": args.child,
              "daemons": [[label, str(path)] for label, path in daemons(args)]}
    pids: set[int] = set()
    with rl.Measuring(pids, lambda: [MARKER, *BENCH_DIRS]) as outcome:
        if args.scenario in ("all", "crash"):
            result["scenarios"]["crash"] = scenario_crash(args, pids)
        if args.scenario in ("all", "save"):
            result["scenarios"]["save"] = scenario_save(args, pids)
        if args.scenario in ("all", "dagster"):
            result["scenarios"]["dagster"] = scenario_dagster(args, pids)
        result["load_after"] = os.getloadavg()
    return outcome.end(result, markdown, args)


if __name__ == "__main__":
    sys.exit(main())
