"""Runs the real `codeloc serve` on a private socket in a temporary directory, as a user would.

Every wait is for an event (a log line, a state, an answer) with a generous deadline; nothing
sleeps to let things settle. Every process a test starts is stopped by the pid it owns: the daemon
leads its own session, and the pids of the children it reports are recorded and killed at teardown
if still alive.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Callable, Iterable

DEADLINE = float(os.environ.get("CODELOC_TEST_DEADLINE", "30"))

# What AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer print (CODELOC_SANITIZE).
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")


def wait_for(condition: Callable[[], object], what: str, timeout: float = DEADLINE):
    """Polls `condition` until it returns something truthy; fails naming `what` at the deadline."""
    end = time.monotonic() + timeout
    delay = 0.005
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


# Pids this process started with Popen: their exit status belongs to their Popen object.
OWNED_PIDS: set[int] = set()


def reap_orphans():
    """Reaps zombie children of this process that nobody waits for: orphans re-parented here
    (conftest makes this process a subreaper), never a Popen of ours."""
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in OWNED_PIDS:
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if fields[0] == "Z" and fields[1] == me:
            try:
                os.waitpid(int(entry), os.WNOHANG)
            except ChildProcessError:
                pass


def pid_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    reap_orphans()
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def cleanup_all(daemons: Iterable["Daemon"]):
    """Cleans up every daemon, then raises the first failure (a sanitizer report) if any."""
    failures = []
    for d in daemons:
        try:
            d.cleanup()
        except AssertionError as e:
            failures.append(e)
    if failures:
        raise failures[0]


class RpcClient:
    """A minimal JSON-RPC client over the control socket (newline-delimited JSON)."""

    def __init__(self, path: pathlib.Path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(DEADLINE)
        self.sock.connect(str(path))
        self.buffer = b""
        self.next_id = 1

    def call(self, method: str, params: dict | None = None) -> dict:
        request = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            request["params"] = params
        self.next_id += 1
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        while True:
            message = self.read()
            if message.get("id") == request["id"]:
                return message

    def read(self) -> dict:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the daemon closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self):
        self.sock.close()


class Daemon:
    def __init__(self, binary: pathlib.Path, workdir: pathlib.Path, workspace: str,
                 extra_args: Iterable[str] = (), env: dict | None = None):
        self.binary = binary
        self.workdir = workdir
        self.socket = workdir / "codeloc.sock"
        self.workspace = workdir / "workspace.yaml"
        self.workspace.write_text(workspace)
        self.log_path = workdir / "daemon.log"
        self.extra_args = list(extra_args)
        self.env = dict(os.environ, **(env or {}))
        self.proc: subprocess.Popen | None = None
        self.known_pids: set[int] = set()
        # The daemon's state_dir (Dagster's sockets live there): short, so that socket paths under
        # it fit in sun_path whatever the test's name; removed at cleanup.
        self.state_dir = pathlib.Path(tempfile.mkdtemp(prefix="codeloc-state-"))

    # Lifecycle ---------------------------------------------------------------------------------
    def start(self) -> "Daemon":
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(self.binary), "serve", "-w", str(self.workspace), "--socket", str(self.socket),
             *self._state_dir_args(), *self.extra_args],
            cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=self.log_file,
            stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        OWNED_PIDS.add(self.proc.pid)
        wait_for(lambda: self.answers() or self.proc.poll() is not None,
                 "the daemon to answer on its control socket")
        if self.proc.poll() is not None:
            raise AssertionError(f"the daemon exited with {self.proc.returncode}:\n{self.log()}")
        return self

    def _state_dir_args(self) -> list[str]:
        """--state-dir, unless the test passes its own (flag or environment)."""
        if any(a.startswith("--state-dir") for a in self.extra_args) or "CODELOC_STATE_DIR" in self.env:
            return []
        return ["--state-dir", str(self.state_dir)]

    def answers(self) -> bool:
        """True once this daemon (not a stale socket, not another daemon) answers daemon.info."""
        try:
            return self.rpc("daemon.info")["result"]["pid"] == self.proc.pid
        except (OSError, KeyError, ConnectionError, ValueError):
            return False

    def signal(self, sig: int):
        self.proc.send_signal(sig)

    def stop(self, timeout: float = DEADLINE) -> int:
        """SIGTERM, then wait for the exit; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def cleanup(self):
        """Teardown: whatever happened, no process of this test survives."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE)
        self.record_pids()
        for pid in self.known_pids:
            if pid_alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if hasattr(self, "log_file"):
            self.log_file.close()
        shutil.rmtree(self.state_dir, ignore_errors=True)
        reap_orphans()
        self.check_no_sanitizer_report()

    def check_no_sanitizer_report(self):
        """Fails the test if the daemon (or a child writing to its log) reported a sanitizer
        finding: in a build with CODELOC_SANITIZE the report lands in daemon.log, and a test
        that only looks at states would otherwise pass."""
        if not self.log_path.exists():
            return
        log = self.log()
        for marker in SANITIZER_MARKERS:
            at = log.find(marker)
            if at >= 0:
                start = log.rfind("\n", 0, at) + 1
                raise AssertionError(f"sanitizer report in {self.log_path}:\n{log[start:at + 6000]}")

    # Observation ------------------------------------------------------------------------------
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_log(self, pattern: str, count: int = 1, timeout: float = DEADLINE) -> list[str]:
        regex = re.compile(pattern)

        def found():
            lines = [line for line in self.log().splitlines() if regex.search(line)]
            return lines if len(lines) >= count else None

        try:
            return wait_for(found, f"{count} log line(s) matching {pattern!r}", timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- daemon log ---\n{self.log()[-6000:]}") from None

    def record_pids(self) -> set[int]:
        """Pids the test server children announced ("started pid=N", "grandchild pid=N")."""
        if self.log_path.exists():
            for match in re.finditer(r"(?:started|grandchild) pid=(\d+)", self.log()):
                self.known_pids.add(int(match.group(1)))
        return self.known_pids

    def rpc(self, method: str, params: dict | None = None) -> dict:
        client = RpcClient(self.socket)
        try:
            return client.call(method, params)
        finally:
            client.close()

    def locations(self) -> dict[str, dict]:
        reply = self.rpc("locations.list")
        return {loc["name"]: loc for loc in reply["result"]["locations"]}

    def wait_state(self, name: str, state: str | None, timeout: float = DEADLINE,
                   where: Callable[[dict], bool] = lambda loc: True) -> dict:
        def reached():
            loc = self.locations().get(name)
            return loc if loc and state in (None, loc["state"]) and where(loc) else None

        try:
            return wait_for(reached, f"{name} to reach {state}", timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}; now: {self.locations().get(name)}\n"
                                 f"--- daemon log ---\n{self.log()[-6000:]}") from None
