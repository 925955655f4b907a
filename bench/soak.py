#!/usr/bin/env python3
"""Soak: many locations crash-looping and reloading, many clients, slow subscribers, for minutes;
the daemon must serve every request with a well-formed answer and give back what it took.

    python3 bench/soak.py [--minutes 10] [--clients 50] [--subscribers 5] [--locations 20]
                          [--sample-interval 10] [--write bench/RESULTS.md] [--keep]

Standard library only (Python 3.11). See bench/README.md ("soak.py") for what runs and what is
checked. tests/integration/test_soak.py runs the same code for under a minute.

Exits 0 when no invariant was violated, 1 when one was (each is printed), 2 on a usage problem.
Every process this script starts is stopped by its pid: the daemon (its own session) gets SIGTERM,
then SIGKILL after the timeout; any code server it leaves behind is killed by its pid.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import random
import select
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
import reload_latency as rl  # noqa: E402  (shared helpers)
from reload_latency import write_section  # noqa: E402  (one writer of RESULTS.md)

SECTION = "## Soak (issue 8)"
TOPICS = ["state", "definitions", "reload", "workspace", "logs"]
QUEUE_LIMIT_LOG = "disconnecting a client that does not read"
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclasses.dataclass
class Config:
    build_dir: pathlib.Path = ROOT / "build"
    minutes: float = 10.0
    warmup: float = 30.0            # seconds of full load before the baseline is taken
    locations: int = 20
    crashers: int = 5               # crash-looping locations (a quarter)
    clients: int = 50
    subscribers: int = 5
    reload_period: tuple[float, float] = (2.0, 5.0)   # seconds between reloads of one location
    sample_interval: float = 10.0   # seconds between timeline rows
    rss_tolerance_mib: float = 16.0
    timeout: float = 60.0           # every wait's deadline
    big_assets: int = 4000          # the snapshot slow subscribers ask for, again and again
    huge_request_every: float = 20.0  # seconds between over-limit (16 MiB + 1) requests
    keep: bool = False


class SoakError(Exception):
    """A failure that stops the run (the daemon died, a setup wait timed out)."""


# Shared state --------------------------------------------------------------------------------
class Tally:
    """Counters and violations, shared by every thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.violations: list[str] = []
        self.violation_count = 0

    def add(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def get(self, key: str) -> int:
        with self.lock:
            return self.counts.get(key, 0)

    def violation(self, text: str) -> None:
        with self.lock:
            self.violation_count += 1
            if len(self.violations) < 50:
                self.violations.append(text)
        log(f"  VIOLATION: {text}")


# /proc ---------------------------------------------------------------------------------------
def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, pgrp) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0], int(fields[1]), int(fields[2])
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None


def all_procs() -> dict[int, tuple[str, int, int]]:
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = proc_stat(int(entry))
            if st:
                table[int(entry)] = st
    return table


def descendants(root: int, table: dict[int, tuple[str, int, int]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (_, ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    st = proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise SoakError(f"no VmRSS for pid {pid}")


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


# JSON-RPC over the control socket ------------------------------------------------------------
class Conn:
    """A raw control connection: it sends bytes and reads lines, and checks what it reads."""

    def __init__(self, path: pathlib.Path, timeout: float):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.buffer = b""
        self.timeout = timeout
        self.next_id = random.randrange(1, 1 << 30)

    def close(self) -> None:
        self.sock.close()

    def new_id(self):
        self.next_id += 1
        # ids are numbers or strings; both must come back exactly
        return self.next_id if self.next_id % 3 else f"s-{self.next_id}"

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self) -> bytes:
        """The next line; raises SoakError at the deadline or at end of file."""
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SoakError(f"no answer within {self.timeout:.0f} s")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                raise SoakError(f"no answer within {self.timeout:.0f} s") from None
            if not chunk:
                raise SoakError("the daemon closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def request(self, method: str, params=None, *, with_params: bool = True) -> dict:
        req = {"jsonrpc": "2.0", "id": self.new_id(), "method": method}
        if with_params:
            req["params"] = params if params is not None else {}
        return req

    def call(self, method: str, params=None) -> dict:
        """Sends one request; returns its parsed (and checked) response message."""
        req = self.request(method, params)
        self.send(json.dumps(req).encode() + b"\n")
        return expect_response(self.line(), req["id"])


def well_formed(message, expect_id) -> str | None:
    """Why `message` is not a JSON-RPC 2.0 response to `expect_id`, or None."""
    if not isinstance(message, dict):
        return "not an object"
    if message.get("jsonrpc") != "2.0":
        return "jsonrpc is not \"2.0\""
    if "id" not in message:
        return "no id"
    if message["id"] != expect_id or type(message["id"]) is not type(expect_id):
        return f"id {message['id']!r}, expected {expect_id!r}"
    if ("result" in message) == ("error" in message):
        return "not exactly one of result and error"
    if "error" in message:
        error = message["error"]
        if not isinstance(error, dict) or not isinstance(error.get("code"), int) \
                or not isinstance(error.get("message"), str) or not error["message"]:
            return "error is not {code: int, message: str}"
    extra = set(message) - {"jsonrpc", "id", "result", "error"}
    if extra:
        return f"unexpected keys {sorted(extra)}"
    return None


class Malformed(Exception):
    pass


def expect_response(line: bytes, expect_id) -> dict:
    try:
        message = json.loads(line)
    except ValueError:
        raise Malformed(f"not JSON: {line[:200]!r}") from None
    why = well_formed(message, expect_id)
    if why:
        raise Malformed(f"{why}: {line[:300]!r}")
    return message


def check_notification(line: bytes) -> str | None:
    """Why a line a subscriber read is neither a well-formed notification nor a response."""
    try:
        message = json.loads(line)
    except ValueError:
        return f"not JSON: {line[:200]!r}"
    if isinstance(message, dict) and "method" in message and "id" not in message:
        if message.get("jsonrpc") != "2.0" or not message["method"].startswith("event.") \
                or not isinstance(message.get("params"), dict):
            return f"bad notification: {line[:300]!r}"
        return None
    if isinstance(message, dict) and "id" in message:
        return well_formed(message, message["id"])
    return f"neither notification nor response: {line[:300]!r}"


# The daemon and its workspace ----------------------------------------------------------------
@dataclasses.dataclass
class Location:
    name: str
    kind: str          # "crash", "watch" (reloaded by file saves), "rpc" (by location.reload)
    folder: pathlib.Path
    assets: int
    extra: str = ""    # more lines of code.txt ("delay MS")


def write_atomically(path: pathlib.Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.soak-save")
    temporary.write_text(text)
    os.replace(temporary, path)


class Daemon:
    def __init__(self, cfg: Config, workdir: pathlib.Path):
        self.cfg = cfg
        self.workdir = workdir
        self.socket = workdir / "codeloc.sock"
        self.log_path = workdir / "daemon.log"
        self.proc: subprocess.Popen | None = None
        self.locations: list[Location] = []
        self.seen_children: set[int] = set()
        self.helpers: set[int] = set()
        self.big = ""

    def setup(self) -> None:
        server = self.cfg.build_dir / "codeloc_test_server"
        entries = []
        n, crashers = self.cfg.locations, self.cfg.crashers
        for i in range(n):
            if i < crashers:
                kind, code = "crash", "crash 1\n"
                assets = 0
            else:
                j = i - crashers
                kind = "watch" if j % 2 == 0 else "rpc"
                assets = [5, 50, 500, self.cfg.big_assets][(j // 2) % 4]
                code = f"assets {assets}\n"
            loc = Location(f"{kind}{i:02d}", kind, self.workdir / f"loc{i:02d}", assets,
                           "delay 200\n" if i % 3 == 0 else "")
            loc.folder.mkdir()
            (loc.folder / "code.txt").write_text(code + loc.extra)
            self.locations.append(loc)
            entries.append(
                "  - command:\n"
                f"      argv: [{json.dumps(str(server))}, --code, code.txt]\n"
                f"      location_name: {loc.name}\n"
                f"      working_directory: {loc.folder.name}\n"
                "      restart: always\n"
                "      backoff: {initial: 100ms, max: 1s, reset_after: 10s}\n")
        self.big = max((l for l in self.locations if l.kind == "rpc"), key=lambda l: l.assets).name
        (self.workdir / "workspace.yaml").write_text("load_from:\n" + "".join(entries))

    def start(self) -> None:
        command = [str(self.cfg.build_dir / "codeloc"), "serve", "--watch",
                   "--watch-debounce", "100ms", "-w", str(self.workdir / "workspace.yaml"),
                   "--socket", str(self.socket), "--state-dir", str(self.workdir / "state")]
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(command, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=self.log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log(f"  daemon pid {self.proc.pid}: {shlex.join(command)}")
        deadline = time.monotonic() + self.cfg.timeout
        while True:
            self.check_alive()
            try:
                conn = Conn(self.socket, 5)
                try:
                    if conn.call("daemon.info")["result"]["pid"] == self.proc.pid:
                        break
                finally:
                    conn.close()
            except (OSError, SoakError, Malformed, KeyError):
                pass
            if time.monotonic() > deadline:
                raise SoakError("the daemon did not answer on its control socket")
            time.sleep(0.05)
        # Its own helpers (the orphan sentinel: a fork of the daemon, not a code server).
        binary = os.path.realpath(self.cfg.build_dir / "codeloc")
        for pid in descendants(self.proc.pid, all_procs()):
            try:
                if os.path.realpath(f"/proc/{pid}/exe") == binary:
                    self.helpers.add(pid)
            except OSError:
                pass

    @property
    def pid(self) -> int:
        return self.proc.pid

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise SoakError(f"the daemon exited with {self.proc.returncode}; log: {self.log_path}")

    def connect(self) -> Conn:
        return Conn(self.socket, self.cfg.timeout)

    def list(self) -> list[dict]:
        conn = self.connect()
        try:
            message = conn.call("locations.list")
        finally:
            conn.close()
        if "result" not in message:
            raise SoakError(f"locations.list failed: {message}")
        return message["result"]["locations"]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, tally: Tally | None) -> None:
        """SIGTERM, then SIGKILL after the timeout; then every child it ever had must be gone."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(self.cfg.timeout)
            except subprocess.TimeoutExpired:
                if tally:
                    tally.violation(f"the daemon did not exit within {self.cfg.timeout:.0f} s "
                                    "of SIGTERM")
                self.proc.kill()
                self.proc.wait()
            else:
                if self.proc.returncode != 0 and tally:
                    tally.violation(f"the daemon exited with {self.proc.returncode} on SIGTERM")
        self.log_file.close()
        deadline = time.monotonic() + 10
        left = {p for p in self.seen_children if alive(p)}
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = {p for p in left if alive(p)}
        for pid in left:
            if tally:
                tally.violation(f"code server pid {pid} outlived the daemon")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if tally:
            text = self.log_text()
            for marker in SANITIZER_MARKERS:
                if marker in text:
                    tally.violation(f"the daemon log has {marker!r}: {self.log_path}")


# Load ----------------------------------------------------------------------------------------
class Load:
    """Clients, slow subscribers, reloaders and savers, until stop()."""

    def __init__(self, cfg: Config, daemon: Daemon, tally: Tally):
        self.cfg, self.daemon, self.tally = cfg, daemon, tally
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.huge_lock = threading.Lock()
        self.last_huge = time.monotonic()
        self.versions: dict[str, str] = {}
        self.local = threading.local()  # each client's current action, for error messages

    def start(self) -> None:
        targets = [(self.client, i) for i in range(self.cfg.clients)]
        targets += [(self.subscriber, i) for i in range(self.cfg.subscribers)]
        targets += [(self.reloader, loc) for loc in self.daemon.locations if loc.kind == "rpc"]
        targets += [(self.saver, loc) for loc in self.daemon.locations if loc.kind == "watch"]
        for target, arg in targets:
            t = threading.Thread(target=self.guard, args=(target, arg), daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self) -> None:
        self.stopping.set()
        deadline = time.monotonic() + self.cfg.timeout * 2
        for t in self.threads:
            t.join(max(0.1, deadline - time.monotonic()))
        stuck = sum(t.is_alive() for t in self.threads)
        if stuck:
            raise SoakError(f"{stuck} load thread(s) did not stop")

    def guard(self, target, arg) -> None:
        try:
            target(arg)
        except Exception as e:  # noqa: BLE001 - a thread's failure is reported, not lost
            self.tally.violation(f"{target.__name__} thread failed: {type(e).__name__}: {e}")

    def sleep(self, seconds: float) -> bool:
        """False once stopping."""
        return not self.stopping.wait(seconds)

    # Reloads -----------------------------------------------------------------------------------
    def reloader(self, loc: Location) -> None:
        conn = self.daemon.connect()
        try:
            while self.sleep(random.uniform(*self.cfg.reload_period)):
                wait = random.random() < 0.3
                params = {"name": loc.name, "wait": wait}
                if wait:
                    params["timeout"] = int(self.cfg.timeout * 1000 / 2)
                message = self.checked(conn, "location.reload", params, ())
                if message is None:
                    return
                self.tally.add("reloads requested")
        finally:
            conn.close()

    def saver(self, loc: Location) -> None:
        sizes = [loc.assets, loc.assets + 1]
        i = 0
        while self.sleep(random.uniform(*self.cfg.reload_period)):
            i += 1
            write_atomically(loc.folder / "code.txt", f"assets {sizes[i % 2]}\n" + loc.extra)
            self.tally.add("file saves")

    def checked(self, conn: Conn, method: str, params, allowed: tuple[int, ...]) -> dict | None:
        """One call; a malformed answer, a missing one or an error code outside `allowed` is a
        violation (and None is returned)."""
        self.tally.add("requests")
        try:
            message = conn.call(method, params)
        except Malformed as e:
            self.tally.add("malformed responses")
            self.tally.violation(f"{method}: {e}")
            return None
        except (SoakError, OSError) as e:
            self.tally.violation(f"{method}: {e}")
            return None
        if "error" in message:
            self.tally.add("error responses")
            if message["error"]["code"] not in allowed:
                self.tally.violation(f"{method} {json.dumps(params)}: unexpected error "
                                     f"{message['error']}")
                return None
        return message

    # Clients -----------------------------------------------------------------------------------
    def client(self, index: int) -> None:
        rng = random.Random(index)
        names = [loc.name for loc in self.daemon.locations]
        while not self.stopping.is_set():
            try:
                conn = self.daemon.connect()
            except OSError as e:
                self.tally.violation(f"connect: {e}")
                self.sleep(1)
                continue
            self.tally.add("connections")
            self.local.action = "connect"
            try:
                for _ in range(rng.randint(1, 40)):
                    if self.stopping.is_set() or not self.client_step(conn, rng, names):
                        break
            except OSError as e:
                self.tally.violation(f"client socket error during {self.local.action}: {e}")
            finally:
                conn.close()

    def client_step(self, conn: Conn, rng: random.Random, names: list[str]) -> bool:
        """One action; False when the connection must not be used again."""
        name = rng.choice(names)
        action = rng.choices(
            ["list", "get", "definitions", "logs", "info", "unknown_location", "malformed",
             "batch", "notification", "pipeline", "abandon", "huge"],
            [12, 12, 10, 8, 3, 2, 8, 3, 2, 3, 2, 1])[0]
        self.local.action = action
        tally = self.tally
        if action == "list":
            m = self.checked(conn, "locations.list", None, ())
            if m and len(m["result"].get("locations", [])) != len(names):
                tally.violation(f"locations.list has {len(m['result']['locations'])} locations")
            return m is not None
        if action == "get":
            m = self.checked(conn, "location.get", {"name": name}, ())
            if m and m["result"].get("name") != name:
                tally.violation(f"location.get {name}: answered for {m['result'].get('name')}")
            return m is not None
        if action == "definitions":
            params = {"name": name}
            if name in self.versions and rng.random() < 0.5:
                params["if_version"] = self.versions[name]
            m = self.checked(conn, "location.definitions", params, (-32011,))
            if m and "result" in m and "version" in m["result"]:
                self.versions[name] = m["result"]["version"]
            return m is not None
        if action == "logs":
            m = self.checked(conn, "location.logs", {"name": name, "lines": rng.randint(1, 300)},
                             ())
            if m and not isinstance(m["result"].get("lines"), list):
                tally.violation(f"location.logs {name}: no lines list")
            return m is not None
        if action == "info":
            return self.checked(conn, "daemon.info", None, ()) is not None
        if action == "unknown_location":
            return self.checked(conn, rng.choice(["location.get", "location.logs",
                                                  "location.definitions"]),
                                {"name": name + "-nope"}, (-32010,)) is not None
        if action == "malformed":
            return self.malformed(conn, rng, name)
        if action == "batch":
            return self.batch(conn, rng, name)
        if action == "notification":
            # a request without id gets no answer: the next answer must be the next request's
            conn.send(json.dumps({"jsonrpc": "2.0", "method": "locations.list"}).encode() + b"\n")
            tally.add("notifications sent")
            return self.checked(conn, "daemon.info", None, ()) is not None
        if action == "pipeline":
            reqs = [conn.request(rng.choice(["location.get", "location.logs"]), {"name": n})
                    for n in rng.sample(names, 5)]
            conn.send(b"".join(json.dumps(r).encode() + b"\n" for r in reqs))
            for r in reqs:
                tally.add("requests")
                if not self.read_expect(conn, r["id"], r["method"], ()):
                    return False
            return True
        if action == "abandon":
            # connection churn: leave with a request unanswered, or half a request sent
            req = json.dumps(conn.request("location.definitions", {"name": name})).encode()
            conn.send(req + b"\n" if rng.random() < 0.5 else req[: len(req) // 2])
            tally.add("abandoned connections")
            return False
        if action == "huge":
            with self.huge_lock:
                if time.monotonic() - self.last_huge < self.cfg.huge_request_every:
                    return True
                self.last_huge = time.monotonic()
            req_id = conn.new_id()
            pad = "x" * (16 << 20)
            # 16 MiB is read 64 KiB per turn of the daemon's loop, between everyone else's work:
            # on a loaded machine that may take more than one answer's deadline
            conn.timeout = self.cfg.timeout * 3
            conn.sock.settimeout(conn.timeout)
            conn.send(json.dumps({"jsonrpc": "2.0", "id": req_id, "method": "locations.list",
                                  "params": {"pad": pad}}).encode() + b"\n")
            tally.add("requests")
            tally.add("over-limit requests")
            return self.read_expect(conn, req_id, "over-limit request", (-32014,), null_id=True)
        raise AssertionError(action)

    def read_expect(self, conn: Conn, req_id, what: str, allowed: tuple[int, ...],
                    null_id: bool = False, need_error: bool = False) -> bool:
        try:
            line = conn.line()
            message = json.loads(line)
        except SoakError as e:
            self.tally.violation(f"{what}: {e}")
            return False
        except ValueError:
            self.tally.add("malformed responses")
            self.tally.violation(f"{what}: not JSON: {line[:200]!r}")
            return False
        expect = None if (null_id and isinstance(message, dict) and message.get("id") is None) \
            else req_id
        why = well_formed(message, expect)
        if why:
            self.tally.add("malformed responses")
            self.tally.violation(f"{what}: {why}: {line[:300]!r}")
            return False
        if "error" in message:
            self.tally.add("error responses")
            if message["error"]["code"] not in allowed:
                self.tally.violation(f"{what}: unexpected error {message['error']}")
                return False
        elif need_error:
            self.tally.violation(f"{what}: answered with a result: {line[:200]!r}")
            return False
        return True

    def malformed(self, conn: Conn, rng: random.Random, name: str) -> bool:
        self.tally.add("malformed requests")
        self.tally.add("requests")
        kind = rng.randrange(6)
        req_id = conn.new_id()
        if kind == 0:
            conn.send(b'{"jsonrpc": "2.0", "id": 1, "method": \n')
            return self.read_expect(conn, None, "parse error", (-32700,), need_error=True)
        if kind == 1:
            conn.send(json.dumps({"jsonrpc": "2.0", "id": req_id, "params": {}}).encode() + b"\n")
            return self.read_expect(conn, req_id, "request without method", (-32600,),
                                    null_id=True, need_error=True)
        if kind == 2:
            conn.send(json.dumps({"jsonrpc": "2.0", "id": req_id,
                                  "method": "no.such.method"}).encode() + b"\n")
            return self.read_expect(conn, req_id, "unknown method", (-32601,), need_error=True)
        if kind == 3:
            conn.send(json.dumps({"jsonrpc": "2.0", "id": req_id, "method": "location.get",
                                  "params": {}}).encode() + b"\n")
            return self.read_expect(conn, req_id, "missing name", (-32602,), need_error=True)
        if kind == 4:
            conn.send(json.dumps({"jsonrpc": "2.0", "id": req_id, "method": "location.logs",
                                  "params": {"name": name, "lines": "many"}}).encode() + b"\n")
            return self.read_expect(conn, req_id, "bad lines", (-32602,), need_error=True)
        conn.send(b"[]\n")
        return self.read_expect(conn, None, "empty batch", (-32600,), need_error=True)

    def batch(self, conn: Conn, rng: random.Random, name: str) -> bool:
        reqs = [conn.request("location.get", {"name": name}), conn.request("daemon.info"),
                conn.request("no.such.method")]
        note = {"jsonrpc": "2.0", "method": "locations.list"}
        conn.send(json.dumps(reqs[:2] + [note] + reqs[2:]).encode() + b"\n")
        self.tally.add("requests", 3)
        try:
            line = conn.line()
            answers = json.loads(line)
        except SoakError as e:
            self.tally.violation(f"batch: {e}")
            return False
        except ValueError:
            self.tally.add("malformed responses")
            self.tally.violation(f"batch: not JSON: {line[:200]!r}")
            return False
        if not isinstance(answers, list) or len(answers) != 3:
            self.tally.add("malformed responses")
            self.tally.violation(f"batch: not a list of 3 answers: {line[:300]!r}")
            return False
        for req, answer in zip(reqs, answers):
            why = well_formed(answer, req["id"])
            if why:
                self.tally.add("malformed responses")
                self.tally.violation(f"batch answer to {req['method']}: {why}")
                return False
        if "error" in answers[0] or "error" in answers[1] or \
                answers[2].get("error", {}).get("code") != -32601:
            self.tally.violation(f"batch: wrong answers: {line[:300]!r}")
            return False
        self.tally.add("error responses")
        return True

    # Slow subscribers --------------------------------------------------------------------------
    def subscriber(self, index: int) -> None:
        """Subscribes to every topic, then asks for the biggest snapshot over and over while
        reading slowly (even indexes: 16 KiB a second) or not at all (odd), until the daemon
        disconnects it for its output queue; then again."""
        reads = index % 2 == 0
        while not self.stopping.is_set():
            try:
                conn = self.daemon.connect()
            except OSError as e:
                self.tally.violation(f"subscriber connect: {e}")
                self.sleep(1)
                continue
            try:
                self.tally.add("subscriber requests")
                try:
                    m = conn.call("events.subscribe", {"topics": TOPICS})
                except Malformed as e:
                    self.tally.add("malformed responses")
                    self.tally.violation(f"events.subscribe: {e}")
                    continue
                if sorted(m.get("result", {}).get("topics", [])) != sorted(TOPICS):
                    self.tally.violation(f"events.subscribe: {m}")
                    continue
                self.tally.add("subscriptions")
                self.flood(conn, reads)
                self.sleep(2)
            except (OSError, SoakError) as e:
                self.tally.violation(f"subscriber: {e}")
            finally:
                conn.close()

    def flood(self, conn: Conn, reads: bool) -> None:
        request = conn.request("location.definitions", {"name": self.daemon.big})
        burst = (json.dumps(request).encode() + b"\n") * 25
        pending = b""
        conn.sock.setblocking(False)
        next_read = time.monotonic() + 1
        while self.sleep(0.1):
            if not pending:
                pending = burst
                self.tally.add("subscriber requests", 25)
            try:
                pending = pending[conn.sock.send(pending):]
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                self.tally.add("subscribers disconnected (queue limit)")
                return
            if reads and time.monotonic() >= next_read:
                next_read += 1
                try:
                    chunk = conn.sock.recv(16 << 10)
                except BlockingIOError:
                    chunk = b"?"
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    self.tally.add("subscribers disconnected (queue limit)")
                    return
                if chunk != b"?":
                    conn.buffer += chunk
                    *lines, conn.buffer = conn.buffer.split(b"\n")
                    for line in lines:
                        why = check_notification(line)
                        self.tally.add("subscriber messages read")
                        if why:
                            self.tally.add("malformed responses")
                            self.tally.violation(f"subscriber read: {why}")


# Measurements --------------------------------------------------------------------------------
class Monitor:
    """Samples the daemon every second: remembers its children, flags lasting zombies, and keeps
    a timeline row every sample_interval."""

    def __init__(self, cfg: Config, daemon: Daemon, tally: Tally):
        self.cfg, self.daemon, self.tally = cfg, daemon, tally
        self.stopping = threading.Event()
        self.timeline: list[dict] = []
        self.zombies: dict[int, float] = {}
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.peak_rss = 0.0
        self.peak_fds = 0

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()

    def zombie_scan(self) -> list[tuple[int, int]]:
        """(pid, ppid) of zombies that are the daemon's descendants' children or in the process
        group of one of its code servers."""
        table = all_procs()
        family = descendants(self.daemon.pid, table) | {self.daemon.pid}
        self.daemon.seen_children |= family - {self.daemon.pid}
        groups = self.daemon.seen_children
        return [(pid, ppid) for pid, (state, ppid, pgrp) in table.items()
                if state == "Z" and (ppid in family or pgrp in groups)]

    def run(self) -> None:
        next_row = time.monotonic()
        while not self.stopping.wait(1.0):
            if self.daemon.proc.poll() is not None:
                self.tally.violation(f"the daemon exited with {self.daemon.proc.returncode}")
                return
            now = time.monotonic()
            try:
                rss, fds = rss_mib(self.daemon.pid), fd_count(self.daemon.pid)
            except (FileNotFoundError, SoakError):
                continue
            self.peak_rss, self.peak_fds = max(self.peak_rss, rss), max(self.peak_fds, fds)
            for pid, ppid in self.zombie_scan():
                first = self.zombies.setdefault(pid, now)
                if now - first >= 5 and first >= 0:
                    self.tally.violation(f"zombie pid {pid} (parent {ppid}) for over 5 s")
                    self.zombies[pid] = -1.0  # reported
            if now >= next_row:
                next_row += self.cfg.sample_interval
                row = {"t": round(now - self.started), "rss_mib": round(rss, 1), "fds": fds,
                       "requests": self.tally.get("requests"),
                       "errors": self.tally.get("error responses"),
                       "violations": self.tally.violation_count}
                self.timeline.append(row)
                log(f"  t={row['t']:4d}s rss={row['rss_mib']:7.1f} MiB fds={fds:4d} "
                    f"requests={row['requests']} errors={row['errors']} "
                    f"violations={row['violations']}")


def quiet_sample(daemon: Daemon, deadline: float) -> dict:
    """RSS and fds at a moment when nothing is in flight: reloaded locations LOADED, crash-loopers
    in BACKOFF without a child, the daemon's children exactly the pids locations.list reports,
    and the same list before and after the reading. Only this sample's connection is open."""
    last = "no sample yet"
    while time.monotonic() < deadline:
        daemon.check_alive()
        conn = daemon.connect()
        try:
            before = conn.call("locations.list")["result"]["locations"]
            rss, fds = rss_mib(daemon.pid), fd_count(daemon.pid)
            table = all_procs()
            after = conn.call("locations.list")["result"]["locations"]
        finally:
            conn.close()
        key = [(l["name"], l["state"], l["pid"]) for l in before]
        kinds = {l.name: l.kind for l in daemon.locations}
        settled = all(state == ("BACKOFF" if kinds[name] == "crash" else "LOADED")
                      for name, state, _ in key)
        pids = {pid for _, _, pid in key if pid}
        family = descendants(daemon.pid, table) - daemon.helpers
        zombies = [p for p in family if table[p][0] == "Z"]
        if key == [(l["name"], l["state"], l["pid"]) for l in after] and settled \
                and family == pids and not zombies:
            return {"rss_mib": rss, "fds": fds, "children": len(pids),
                    "locations": before}
        last = (f"states {sorted(set(s for _, s, _ in key))}, children {sorted(family)} vs "
                f"reported {sorted(pids)}, zombies {zombies}")
        time.sleep(0.05)
    raise SoakError(f"the daemon never settled (last: {last})")


def settle_measure(daemon: Daemon, cfg: Config, want_fds: int | None) -> dict:
    """A quiet sample; with want_fds, retries until the fd count matches (closing connections
    and exiting children take a moment on a loaded machine) or the deadline passes."""
    deadline = time.monotonic() + cfg.timeout * 2
    sample = quiet_sample(daemon, deadline)
    if want_fds is None:
        # the baseline: the same count in three samples in a row, half a second apart
        same = 1
        while same < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
            last, sample = sample, quiet_sample(daemon, deadline)
            same = same + 1 if sample["fds"] == last["fds"] else 1
        return sample
    while sample["fds"] != want_fds and time.monotonic() < deadline:
        time.sleep(0.5)
        sample = quiet_sample(daemon, deadline)
    return sample


# The run -------------------------------------------------------------------------------------
def run(cfg: Config) -> dict:
    """Runs the soak; returns the report (its "violations" list is empty when all held)."""
    for binary in ("codeloc", "codeloc_test_server"):
        if not (cfg.build_dir / binary).exists():
            raise SoakError(f"{cfg.build_dir / binary} does not exist: build it first "
                            "(ninja -C build codeloc codeloc_test_server)")
    tally = Tally()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="codeloc-soak-"))
    daemon = Daemon(cfg, workdir)
    report: dict = {"config": {k: (str(v) if isinstance(v, pathlib.Path) else v)
                               for k, v in dataclasses.asdict(cfg).items()}}
    monitor = None
    load = None
    try:
        daemon.setup()
        daemon.start()
        monitor = Monitor(cfg, daemon, tally)
        monitor.start()
        log(f"  waiting for {cfg.locations} locations to load ({cfg.crashers} crash-looping)")
        settle_measure(daemon, cfg, None)

        log(f"  warm-up: {cfg.warmup:.0f} s of full load")
        load = Load(cfg, daemon, tally)
        load.start()
        load.sleep(cfg.warmup)
        load.stop()
        baseline = settle_measure(daemon, cfg, None)
        restarts0 = sum(l["restarts"] for l in baseline["locations"])
        reloads0 = sum(l["reloads"] for l in baseline["locations"])
        warm = dict(tally.counts)
        log(f"  baseline: rss {baseline['rss_mib']:.1f} MiB, {baseline['fds']} fds, "
            f"{baseline['children']} code servers")

        log(f"  soak: {cfg.minutes:g} min, {cfg.clients} clients, {cfg.subscribers} slow "
            "subscribers")
        started = time.monotonic()
        load = Load(cfg, daemon, tally)
        load.start()
        while time.monotonic() - started < cfg.minutes * 60:
            daemon.check_alive()
            load.sleep(1)
        load.stop()
        duration = time.monotonic() - started
        end = settle_measure(daemon, cfg, baseline["fds"])
        log(f"  end: rss {end['rss_mib']:.1f} MiB, {end['fds']} fds")
        if end["fds"] != baseline["fds"]:
            tally.violation(f"open fds {end['fds']} at the end, {baseline['fds']} at the baseline")
        if end["rss_mib"] > baseline["rss_mib"] + cfg.rss_tolerance_mib:
            tally.violation(f"RSS {end['rss_mib']:.1f} MiB at the end, "
                            f"{baseline['rss_mib']:.1f} MiB at the baseline (tolerance "
                            f"+{cfg.rss_tolerance_mib:g} MiB)")
        monitor.stop()
        counts = {k: v - warm.get(k, 0) for k, v in tally.counts.items()}
        disconnects = daemon.log_text().count(QUEUE_LIMIT_LOG)
        if cfg.subscribers and not counts.get("subscribers disconnected (queue limit)"):
            tally.violation("no slow subscriber was disconnected for its output queue")
        report.update({
            "duration_s": round(duration),
            "baseline": {k: baseline[k] for k in ("rss_mib", "fds", "children")},
            "end": {k: end[k] for k in ("rss_mib", "fds", "children")},
            "peak": {"rss_mib": monitor.peak_rss, "fds": monitor.peak_fds},
            "counts": counts,
            "restarts": sum(l["restarts"] for l in end["locations"]) - restarts0,
            "reloads": sum(l["reloads"] for l in end["locations"]) - reloads0,
            "queue_limit_log_lines": disconnects,
            "code_servers_seen": len(daemon.seen_children),
            "timeline": monitor.timeline,
        })
    except SoakError as e:
        tally.violation(str(e))
    finally:
        if load:
            load.stopping.set()
        if monitor and monitor.thread.is_alive():
            monitor.stop()
        daemon.stop(tally)
        if cfg.keep or tally.violation_count:
            log(f"  kept {workdir}")
        else:
            import shutil
            shutil.rmtree(workdir, ignore_errors=True)
    report["violations"] = tally.violations
    report["violation_count"] = tally.violation_count
    return report


# Report --------------------------------------------------------------------------------------
def machine() -> str:
    m = rl.machine()
    return (f"{m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}, Python {m['python']}, "
            f"codeloc {m['codeloc_commit']}")


def markdown(report: dict, command: str) -> str:
    cfg = report["config"]
    lines = [SECTION, "",
             f"{cfg['locations']} `command:` locations (codeloc_test_server): {cfg['crashers']} "
             "crash-looping, the others reloaded every "
             f"{cfg['reload_period'][0]:g}-{cfg['reload_period'][1]:g} s, half by file saves under "
             "`serve --watch`, half by `location.reload`; "
             f"{cfg['clients']} clients with connection churn and malformed requests; "
             f"{cfg['subscribers']} slow subscribers (every topic) that the output-queue limit "
             "disconnects. Method in bench/README.md.", ""]
    if "baseline" in report:
        b, e, p, c = report["baseline"], report["end"], report["peak"], report["counts"]
        lines += ["| | baseline (after warm-up) | end | peak during the run |",
                  "|---|---|---|---|",
                  f"| RSS | {b['rss_mib']:.1f} MiB | {e['rss_mib']:.1f} MiB | "
                  f"{p['rss_mib']:.1f} MiB |",
                  f"| open fds | {b['fds']} | {e['fds']} | {p['fds']} |",
                  f"| code servers | {b['children']} | {e['children']} | |", "",
                  f"- {report['duration_s']} s; requests {c.get('requests', 0)} "
                  f"({c.get('error responses', 0)} error answers, all expected; "
                  f"{c.get('malformed requests', 0)} malformed requests sent, "
                  f"{c.get('over-limit requests', 0)} over 16 MiB), plus "
                  f"{c.get('subscriber requests', 0)} from slow subscribers; malformed "
                  f"responses {c.get('malformed responses', 0)}",
                  f"- connections {c.get('connections', 0)} "
                  f"({c.get('abandoned connections', 0)} abandoned mid-request); "
                  f"subscriptions {c.get('subscriptions', 0)}, "
                  f"{c.get('subscribers disconnected (queue limit)', 0)} disconnected by the "
                  f"queue limit ({report['queue_limit_log_lines']} daemon log lines in all)",
                  f"- restarts {report['restarts']}, reloads {report['reloads']} "
                  f"({c.get('file saves', 0)} file saves, {c.get('reloads requested', 0)} "
                  f"location.reload calls); {report['code_servers_seen']} code-server pids seen",
                  f"- RSS tolerance +{cfg['rss_tolerance_mib']:g} MiB; fds must be equal"]
    lines += [f"- violations: {report['violation_count']}"
              + "".join(f"\n  - {v}" for v in report["violations"]),
              f"- machine: {machine()}", f"- command: `{command}`"]
    if report.get("timeline"):
        lines += ["", "| t (s) | RSS (MiB) | fds | requests | errors |", "|---|---|---|---|---|"]
        lines += [f"| {r['t']} | {r['rss_mib']} | {r['fds']} | {r['requests']} | {r['errors']} |"
                  for r in report["timeline"]]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds (default 30)")
    parser.add_argument("--locations", type=int, default=20)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--subscribers", type=int, default=5)
    parser.add_argument("--sample-interval", type=float, default=10.0, help="seconds")
    parser.add_argument("--rss-tolerance", type=float, default=16.0, help="MiB (default 16)")
    parser.add_argument("--timeout", type=float, default=60.0, help="every wait's deadline (s)")
    parser.add_argument("--build-dir", type=pathlib.Path, default=ROOT / "build")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--write", metavar="FILE", help="also write the Markdown section there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if args.locations < 4:
        parser.error("--locations must be at least 4")
    cfg = Config(build_dir=args.build_dir.resolve(), minutes=args.minutes, warmup=args.warmup,
                 locations=args.locations, crashers=args.locations // 4, clients=args.clients,
                 subscribers=args.subscribers, sample_interval=args.sample_interval,
                 rss_tolerance_mib=args.rss_tolerance, timeout=args.timeout, keep=args.keep)
    command = rl.command_line()
    try:
        report = run(cfg)
    except SoakError as e:
        log(f"soak: {e}")
        return 2
    text = markdown(report, command)
    print(json.dumps(report, indent=2) if args.json else text)
    if args.write:
        write_section(pathlib.Path(args.write), text)
    return 1 if report["violation_count"] else 0


if __name__ == "__main__":
    sys.exit(main())
