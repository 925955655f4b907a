"""The code-server protocol on the channel: handshake, ping, shutdown, EOF, bad input."""

from __future__ import annotations

import json
import os
import time

from harness import CodeServer

SIMPLE = """
import dagster as dg

@dg.asset
def a(): ...

defs = dg.Definitions(assets=[a])
"""


def _server(start_server, project, **kwargs) -> CodeServer:
    root = project({"defs.py": SIMPLE})
    return start_server(["--location", "test", "--python-file", str(root / "defs.py")], cwd=root, **kwargs)


def test_initialize_answers_before_loading_user_code(start_server, project):
    root = project({"defs.py": "import time\ntime.sleep(3600)\n"})
    server = start_server(["--location", "test", "--python-file", str(root / "defs.py")], cwd=root)
    result = server.initialize()
    assert result["protocol_version"] == 1
    assert result["location"] == "test"
    assert result["server"] == {"name": "codeloc-python", "version": "0.1.0"}
    assert result["pid"] == server.proc.pid
    assert server.call("ping", {}, timeout=10)["result"] == {}


def test_initialize_version_mismatch(start_server, project):
    server = _server(start_server, project)
    response = server.call("initialize", {"protocol_version": 2, "location": "test"})
    assert response["error"]["code"] == -32002
    assert response["error"]["data"] == {"supported": [1]}


def test_initialize_location_mismatch(start_server, project):
    server = _server(start_server, project)
    response = server.call("initialize", {"protocol_version": 1, "location": "other"})
    assert response["error"]["code"] == -32002
    assert response["error"]["data"]["supported"] == [1]


def test_initialize_without_version_is_invalid_params(start_server, project):
    server = _server(start_server, project)
    assert server.call("initialize", {})["error"]["code"] == -32602


def test_ping_and_unknown_method(start_server, project):
    server = _server(start_server, project)
    server.initialize()
    assert server.call("ping", {}) == {"jsonrpc": "2.0", "id": 2, "result": {}}
    response = server.call("no.such.method", {})
    assert response["error"]["code"] == -32601
    assert server.call("ping")["result"] == {}


def test_compact_framing_and_crlf(start_server, project):
    server = _server(start_server, project)
    server.send_raw(b'\n\r\n{"jsonrpc":"2.0","id":"a","method":"ping"}\r\n')
    line = server.read_line()
    assert line == b'{"id":"a","jsonrpc":"2.0","result":{}}'


def test_parse_error_and_invalid_request(start_server, project):
    server = _server(start_server, project)
    server.send_raw(b"this is not json\n")
    response = json.loads(server.read_line())
    assert response["error"]["code"] == -32700 and response["id"] is None
    server.send_raw(b'{"jsonrpc":"1.0","id":7,"method":"ping"}\n')
    response = json.loads(server.read_line())
    assert response["error"]["code"] == -32600 and response["id"] == 7
    server.send_raw(b"[1,2]\n")
    assert json.loads(server.read_line())["error"]["code"] == -32600
    assert server.call("ping")["result"] == {}


def test_notifications_get_no_answer(start_server, project):
    server = _server(start_server, project)
    server.send_raw(b'{"jsonrpc":"2.0","method":"ping"}\n{"jsonrpc":"2.0","method":"nope"}\n')
    # The next line must be the answer to this request, not to the notifications.
    server.send_raw(b'{"jsonrpc":"2.0","id":99,"method":"ping"}\n')
    assert json.loads(server.read_line()) == {"jsonrpc": "2.0", "id": 99, "result": {}}


def test_shutdown_answers_then_exits_zero(start_server, project):
    server = _server(start_server, project)
    server.initialize()
    server.definitions()
    assert server.call("shutdown", {})["result"] == {}
    assert server.wait_exit(30) == 0


def test_shutdown_exits_despite_user_threads(start_server, project):
    root = project(
        {
            "defs.py": SIMPLE
            + "\nimport threading, time\nthreading.Thread(target=lambda: time.sleep(3600)).start()\n"
        }
    )
    server = start_server(["--location", "test", "--python-file", str(root / "defs.py")], cwd=root)
    server.initialize()
    server.definitions()
    server.call("shutdown")
    assert server.wait_exit(30) == 0


def test_eof_exits_zero(start_server, project):
    server = _server(start_server, project)
    server.initialize()
    server.sock.shutdown(2)
    assert server.wait_exit(30) == 0


def test_eof_before_anything(start_server, project):
    server = _server(start_server, project)
    server.sock.close()
    assert server.wait_exit(30) == 0


def test_channel_not_inherited_by_user_subprocesses(start_server, project):
    # A subprocess started by user code must not keep the channel open: EOF still ends the server.
    root = project(
        {
            "defs.py": SIMPLE
            + "\nimport subprocess, sys\n"
            + "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)'], close_fds=False)\n"
            + "open('child.pid', 'w').write(str(child.pid))\n"
        }
    )
    server = start_server(["--location", "test", "--python-file", str(root / "defs.py")], cwd=root)
    server.initialize()
    server.definitions()
    child_pid = int((root / "child.pid").read_text())
    try:
        # The channel's peer is gone only if no process holds fd 3: the sleeper would keep it open.
        fd_link = f"/proc/{child_pid}/fd/{server.channel_fd}"
        assert not os.path.exists(fd_link) or "socket" not in os.readlink(fd_link)
        server.sock.shutdown(2)
        assert server.wait_exit(30) == 0
    finally:
        os.kill(child_pid, 9)  # the sleeper is ours too: started by this test's user code


def test_missing_location_name_is_usage_error(start_server, project):
    root = project({"defs.py": SIMPLE})
    server = start_server(["--python-file", str(root / "defs.py")], env={"CODELOC_LOCATION": ""})
    assert server.wait_exit(30) == 2
    assert "no location name" in server.stderr()


def test_no_channel_fd_is_usage_error(start_server, project):
    root = project({"defs.py": SIMPLE})
    server = start_server(["--location", "x", "--python-file", str(root / "defs.py"), "--channel-fd", "97"])
    assert server.wait_exit(30) == 2
    assert "no channel on fd 97" in server.stderr()


def test_load_is_fast_to_start(start_server, project):
    server = _server(start_server, project)
    started = time.monotonic()
    server.initialize()
    assert time.monotonic() - started < 10
