"""The fork server's protocol (python/codeloc_server/forkserver.py, docs/warm.md): its ready
message, forks that become the test's children (the test is a child subreaper, as the daemon is),
and malformed requests answered with an error while it keeps serving."""

from __future__ import annotations

import ctypes
import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import DEFAULT_TIMEOUT, SERVER

PR_SET_CHILD_SUBREAPER = 36


@pytest.fixture(scope="module", autouse=True)
def subreaper():
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def receive(sock: socket.socket, timeout: float = DEFAULT_TIMEOUT) -> dict:
    ready, _, _ = select.select([sock], [], [], timeout)
    assert ready, "no packet from the fork server"
    data = sock.recv(1 << 20)
    assert data, "the fork server closed its socket"
    return json.loads(data)


@pytest.fixture
def fork_server(tmp_path):
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    env = dict(os.environ, CODELOC_CHANNEL_FD=str(theirs.fileno()), PYTHONUNBUFFERED="1")
    log = open(tmp_path / "fork-server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "--fork-server", "--preload", "json"],
        pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    theirs.close()
    try:
        yield process, ours
    finally:
        ours.close()
        try:
            process.wait(timeout=DEFAULT_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()


def request(sock: socket.socket, body, fds: list[int]) -> dict:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    socket.send_fds(sock, [data], fds)
    return receive(sock)


def test_ready_then_eof_ends_it(fork_server):
    process, sock = fork_server
    ready = receive(sock)
    assert ready["ready"] is True
    assert ready["pid"] == process.pid
    assert ready["preloaded"] == ["json"] and ready["failed"] == {}
    assert ready["threads"] == 1
    assert all(os.path.isdir(p) for p in ready["site_packages"])
    sock.shutdown(socket.SHUT_RDWR)
    assert process.wait(timeout=DEFAULT_TIMEOUT) == 0


def test_malformed_requests_get_an_error_and_it_keeps_serving(fork_server, tmp_path):
    process, sock = fork_server
    receive(sock)
    r, w = os.pipe()
    try:
        assert "error" in request(sock, b"{not json", [r, w, w])
        reply = request(sock, {"id": 2, "argv": [], "env": [], "daemon": os.getpid()}, [r])
        assert reply == {"id": 2, "error": "expected 3 descriptors, got 1"}
        reply = request(sock, {"id": 3, "env": []}, [r, w, w])
        assert reply["id"] == 3 and "KeyError" in reply["error"]
    finally:
        os.close(r)
        os.close(w)
    assert process.poll() is None, "a malformed request must not end the fork server"


def test_a_fork_is_reparented_here_and_serves_the_location(fork_server, tmp_path):
    process, sock = fork_server
    receive(sock)
    project = tmp_path / "project"
    project.mkdir()
    (project / "defs.py").write_text(
        "import os\nimport dagster as dg\n\n\n"
        "@dg.asset(name=os.environ['ASSET'])\ndef a():\n    pass\n\n\n"
        "defs = dg.Definitions(assets=[a])\n")
    channel, child_end = socket.socketpair()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    env = {"ASSET": "from_env", "CODELOC_LOCATION": "loc", "CODELOC_CHANNEL_FD": "3",
           "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    reply = request(sock, {"id": 7, "argv": [str(SERVER), "--python-file", "defs.py"],
                           "env": [f"{k}={v}" for k, v in env.items()], "cwd": str(project),
                           "daemon": os.getpid()},
                    [child_end.fileno(), out_w, err_w])
    child_end.close()
    os.close(out_w)
    os.close(err_w)
    pid = reply["pid"]
    assert reply["id"] == 7 and pid > 0
    # Re-parented to this process (the middle process exited), in its own process group.
    deadline = time.monotonic() + DEFAULT_TIMEOUT
    while os.getpgid(pid) != pid and time.monotonic() < deadline:
        time.sleep(0.01)
    assert os.getpgid(pid) == pid
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    assert int(stat[1]) == os.getpid()

    stream = channel.makefile("rwb")
    stream.write(b'{"jsonrpc":"2.0","id":1,"method":"definitions.get"}\n')
    stream.flush()
    answer = json.loads(stream.readline())
    assert [a["key"] for a in answer["result"]["snapshot"]["assets"]] == [["from_env"]]
    assert answer["result"]["snapshot"]["location"] == "loc"
    stream.write(b'{"jsonrpc":"2.0","id":2,"method":"shutdown"}\n')
    stream.flush()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert b"loading python_file" in os.read(err_r, 65536)
    os.close(out_r)
    os.close(err_r)
    channel.close()
