"""The code server's test harness: ``CodeServer`` and the fixtures (re-exported by conftest.py).

Run with the interpreter of ``build/venvs/dagster`` (dagster, pytest, dagster-dg-cli):
``build/venvs/dagster/bin/python -m pytest tests/python``. Each test starts code servers with
``CodeServer``: a child process that gets one end of a ``socket.socketpair()`` (its number in
``CODELOC_CHANNEL_FD``); the test speaks the protocol on the other end and waits for answers with
deadlines, never sleeps. Every child is killed by the test that started it (by its own ``Popen``)
when the test ends.

Children are started without a ``preexec_fn``: the test process itself runs Dagster's gRPC client
(test_dagster_grpc.py, test_attach.py), and gRPC's fork handlers can deadlock a ``fork()`` made
while its threads run (grpc/grpc#22624); without one, CPython starts the child with ``vfork()``,
which runs no fork handlers and no Python code in the child.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "python" / "codeloc_server"
EXAMPLES = REPO / "examples"
BUILD = Path(os.environ.get("CODELOC_BUILD_DIR", REPO / "build"))
VENVS = BUILD / "venvs"
DEFAULT_TIMEOUT = 60.0


class ServerExited(Exception):
    """The code server closed the channel before answering."""


class CodeServer:
    """One code server child and our end of its channel."""

    def __init__(
        self,
        args: List[str],
        *,
        python: str = sys.executable,
        python_flags: Optional[List[str]] = None,
        cwd: Optional[Path] = None,
        env: Optional[Dict[str, str]] = None,
        log_dir: Path,
        location: str = "test",
    ) -> None:
        ours, theirs = socket.socketpair()
        self.sock = ours
        self._buffer = b""
        self._next_id = 0
        # The daemon puts the channel on fd 3; here it keeps its number, which the code server
        # reads from CODELOC_CHANNEL_FD (cli.py), and only it and stdio pass (pass_fds).
        self.channel_fd = theirs.fileno()
        child_env = dict(os.environ)
        child_env.pop("PYTHONPATH", None)
        child_env.update({"CODELOC_CHANNEL_FD": str(self.channel_fd), "CODELOC_LOCATION": location, "CODELOC_PROTOCOL": "1"})
        child_env.update(env or {})
        log_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = log_dir / f"server-{id(self)}.out"
        self.stderr_path = log_dir / f"server-{id(self)}.err"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                [python, *(python_flags or []), str(SERVER), *args],
                cwd=str(cwd) if cwd else None,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                pass_fds=[self.channel_fd],
            )
        theirs.close()

    # ---- raw channel ----

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, message: Dict[str, Any]) -> None:
        self.send_raw(json.dumps(message).encode() + b"\n")

    def read_line(self, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """The next line from the server, without ``\\n``; raises ServerExited on EOF and
        TimeoutError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer in {timeout}s; stderr:\n{self.stderr()}")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            if not chunk:
                raise ServerExited(f"channel closed; stderr:\n{self.stderr()}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    # ---- JSON-RPC ----

    def call_raw(self, method: str, params: Any = None, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """Sends a request and returns the raw response line."""
        self._next_id += 1
        request: Dict[str, Any] = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        if params is not None:
            request["params"] = params
        self.send(request)
        line = self.read_line(timeout)
        response = json.loads(line)
        assert response["id"] == self._next_id, response
        return line

    def call(self, method: str, params: Any = None, timeout: float = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        """Sends a request and returns the decoded response (``result`` or ``error``)."""
        return json.loads(self.call_raw(method, params, timeout))

    def initialize(self, location: str = "test") -> Dict[str, Any]:
        response = self.call("initialize", {"protocol_version": 1, "location": location, "daemon": {"name": "pytest", "version": "0"}})
        assert "result" in response, response
        return response["result"]

    def definitions(self, timeout: float = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        """``definitions.get``'s result; fails the test on a load error."""
        response = self.call("definitions.get", {}, timeout)
        assert "result" in response, json.dumps(response, indent=1) + "\n" + self.stderr()
        return response["result"]

    def load_error(self, timeout: float = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        """``definitions.get``'s error; fails the test if the code loaded."""
        response = self.call("definitions.get", {}, timeout)
        assert "error" in response, response
        assert response["error"]["code"] == -32001, response
        return response["error"]

    # ---- process ----

    def wait_exit(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        return self.proc.wait(timeout)

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stdout(self) -> str:
        try:
            return self.stdout_path.read_text(errors="replace")
        except OSError:
            return ""

    def close(self) -> None:
        """Kills the child if it still runs, reaps it, closes our end."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.sock.close()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Any]:
    """``start_server(args, **kw) -> CodeServer``; every server started is killed at teardown."""
    started: List[CodeServer] = []

    def start(args: List[str], **kwargs: Any) -> CodeServer:
        kwargs.setdefault("log_dir", tmp_path / "logs")
        server = CodeServer(args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def project(tmp_path: Path) -> Any:
    """``project({relative_path: source})`` writes dedented files under a fresh folder and
    returns it."""
    root = tmp_path / "project"

    def write(files: Dict[str, str]) -> Path:
        for relative, source in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source).lstrip("\n"))
        return root

    return write


def load(start_server: Any, args: List[str], cwd: Optional[Path] = None, **kwargs: Any) -> Dict[str, Any]:
    """Starts a server, initializes it and returns ``definitions.get``'s result."""
    server = start_server(["--location", "test", *args], cwd=cwd, **kwargs)
    server.initialize()
    return server.definitions()


def load_error(start_server: Any, args: List[str], cwd: Optional[Path] = None, **kwargs: Any) -> Dict[str, Any]:
    """Starts a server, initializes it and returns ``definitions.get``'s error."""
    server = start_server(["--location", "test", *args], cwd=cwd, **kwargs)
    server.initialize()
    return server.load_error()


def asset_keys(result: Dict[str, Any]) -> List[str]:
    """The snapshot's asset keys as ``a/b`` strings."""
    return ["/".join(a["key"]) for a in result["snapshot"]["assets"]]
