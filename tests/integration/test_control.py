"""The control socket's methods and JSON-RPC manners against a real daemon."""
import json
import pathlib

from daemon_harness import RpcClient
from test_supervise import FAST, command_entry, workspace


def test_location_get_and_definitions(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("alpha", test_server, "--assets", "3"),
                                 command_entry("broken", test_server, "--load-error")),
                       extra_args=FAST).start()
    loc = d.wait_state("alpha", "LOADED")
    d.wait_state("broken", "LOAD_ERROR")
    assert d.rpc("location.get", {"name": "alpha"})["result"]["pid"] == loc["pid"]

    result = d.rpc("location.definitions", {"name": "alpha"})["result"]
    assert result["version"] == loc["definitions_version"]
    assert result["not_modified"] is False and result["stale"] is False
    assert [a["key"] for a in result["definitions"]["assets"]] == [["asset_0"], ["asset_1"],
                                                                   ["asset_2"]]
    same = d.rpc("location.definitions", {"name": "alpha", "if_version": result["version"]})
    assert same["result"] == {"name": "alpha", "version": result["version"], "stale": False,
                              "not_modified": True}

    unknown = d.rpc("location.get", {"name": "nope"})["error"]
    assert unknown["code"] == -32010 and unknown["data"] == {"name": "nope"}
    missing = d.rpc("location.definitions", {})["error"]
    assert missing["code"] == -32602 and "'name'" in missing["message"]
    not_loaded = d.rpc("location.definitions", {"name": "broken"})["error"]
    assert not_loaded["code"] == -32011
    assert "LOAD_ERROR" in not_loaded["message"] and "scripted load error" in not_loaded["message"]
    assert d.stop() == 0


def test_definitions_bytes_are_relayed_exactly_as_the_code_server_sent_them(daemon_factory,
                                                                            test_server):
    d = daemon_factory(workspace(command_entry("alpha", test_server)), extra_args=FAST).start()
    d.wait_state("alpha", "LOADED")
    client = RpcClient(d.socket)
    client.sock.sendall(b'{"jsonrpc":"2.0","id":1,"method":"location.definitions",'
                        b'"params":{"name":"alpha"}}\n')
    while b"\n" not in client.buffer:
        client.buffer += client.sock.recv(65536)
    raw = client.buffer.split(b"\n", 1)[0]
    # The test server writes its snapshot with nlohmann's compact dump: the same bytes appear.
    expected = json.dumps({"assets": [{"key": ["asset_0"]}, {"key": ["asset_1"]}], "jobs": [],
                           "location": "alpha"}, separators=(",", ":")).encode()
    assert b'"definitions":' + expected + b"}}" in raw
    client.close()
    assert d.stop() == 0


def test_malformed_requests_get_errors_and_the_connection_stays_usable(daemon_factory,
                                                                       test_server):
    d = daemon_factory(workspace(command_entry("alpha", test_server)), extra_args=FAST).start()
    client = RpcClient(d.socket)
    client.sock.sendall(b"this is not json\n")
    assert client.read()["error"]["code"] == -32700
    client.sock.sendall(b'{"jsonrpc":"2.0","id":7}\n')
    assert client.read() == {"jsonrpc": "2.0", "id": 7,
                             "error": client_error_like(-32600)}
    assert client.call("no.such.method")["error"]["code"] == -32601
    assert client.call("daemon.info")["result"]["name"] == "codeloc"
    client.close()
    assert d.stop() == 0


class client_error_like(dict):
    """Compares equal to any JSON-RPC error object with the given code."""

    def __init__(self, code):
        super().__init__(code=code)

    def __eq__(self, other):
        return isinstance(other, dict) and other.get("code") == self["code"] and "message" in other


def test_reload_waits_and_says_whether_definitions_changed(daemon_factory, test_server, tmp_path):
    count = tmp_path / "assets.txt"
    count.write_text("2")
    d = daemon_factory(workspace(command_entry("alpha", test_server, "--assets-file", str(count))),
                       extra_args=FAST).start()
    before = d.wait_state("alpha", "LOADED")
    same = d.rpc("location.reload", {"name": "alpha", "wait": True})["result"]
    assert same["state"] == "LOADED" and same["changed"] is False
    assert same["previous_version"] == same["version"] == before["definitions_version"]
    assert same["location"]["pid"] != before["pid"], "a reload runs a new code server"
    count.write_text("5")
    changed = d.rpc("location.reload", {"name": "alpha", "wait": True})["result"]
    assert changed["changed"] is True and changed["version"] != before["definitions_version"]
    assert changed["duration_ms"] >= 0 and changed["error"] is None
    assert len(d.rpc("location.definitions", {"name": "alpha"})["result"]["definitions"]["assets"]) == 5
    assert d.stop() == 0


def test_start_stop_restart_with_wait(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("alpha", test_server)), extra_args=FAST).start()
    first = d.wait_state("alpha", "LOADED")
    stopped = d.rpc("location.stop", {"name": "alpha", "wait": True})["result"]
    assert stopped["state"] == "STOPPED" and stopped["pid"] is None
    started = d.rpc("location.start", {"name": "alpha", "wait": True})["result"]
    assert started["state"] == "LOADED" and started["pid"] != first["pid"]
    restarted = d.rpc("location.restart", {"name": "alpha", "wait": True})["result"]
    assert restarted["state"] == "LOADED" and restarted["pid"] != started["pid"]
    quick = d.rpc("location.stop", {"name": "alpha"})["result"]
    assert quick["state"] in ("STOPPING", "STOPPED")
    assert d.stop() == 0


def test_logs_come_from_the_ring_buffer(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("alpha", test_server, "--env", "CODELOC_LOCATION")),
                       extra_args=FAST).start()
    loc = d.wait_state("alpha", "LOADED")
    d.wait_log(r"\[alpha stdout\] env CODELOC_LOCATION=alpha")
    lines = d.rpc("location.logs", {"name": "alpha"})["result"]["lines"]
    assert [l["text"] for l in lines] == [f"started pid={loc['pid']} location=alpha cwd={d.workdir}",
                                          "env CODELOC_LOCATION=alpha"]
    assert lines[0]["stream"] == "stdout" and lines[0]["pid"] == loc["pid"]
    assert lines[1]["seq"] == lines[0]["seq"] + 1
    last = d.rpc("location.logs", {"name": "alpha", "lines": 1})["result"]["lines"]
    assert [l["text"] for l in last] == ["env CODELOC_LOCATION=alpha"]
    bad = d.rpc("location.logs", {"name": "alpha", "lines": "many"})["error"]
    assert bad["code"] == -32602 and "'lines'" in bad["message"]
    assert d.stop() == 0


def test_call_is_relayed_to_the_code_server(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("alpha", test_server)), extra_args=FAST).start()
    d.wait_state("alpha", "LOADED")
    echoed = d.rpc("location.call", {"name": "alpha", "method": "echo", "params": {"x": [1, 2]}})
    assert echoed["result"] == {"x": [1, 2]}
    missing = d.rpc("location.call", {"name": "alpha", "method": "nope"})["error"]
    assert missing["code"] == -32601 and missing["message"] == "method not found: nope"
    slow = d.rpc("location.call", {"name": "alpha", "method": "hang", "timeout": 200})["error"]
    assert slow["code"] == -32013
    d.rpc("location.stop", {"name": "alpha", "wait": True})
    gone = d.rpc("location.call", {"name": "alpha", "method": "echo"})["error"]
    assert gone["code"] == -32012
    assert d.stop() == 0


def test_workspace_reload_applies_the_diff_or_reports_every_error(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("alpha", test_server)), extra_args=FAST).start()
    d.wait_state("alpha", "LOADED")
    d.workspace.write_text(workspace(command_entry("alpha", test_server),
                                     command_entry("beta", test_server)))
    result = d.rpc("workspace.reload")["result"]
    assert result == {"added": ["beta"], "removed": [], "changed": [], "unchanged": ["alpha"]}
    d.wait_state("beta", "LOADED")
    d.workspace.write_text("load_from:\n  - command:\n      argv: []\n  - python_file: {}\n")
    error = d.rpc("workspace.reload")["error"]
    assert error["code"] == -32016
    assert len(error["data"]["errors"]) >= 2
    assert all(str(d.workspace) in e for e in error["data"]["errors"])
    assert set(d.locations()) == {"alpha", "beta"}
    assert d.stop() == 0


def test_subscribers_get_state_definitions_workspace_and_opted_in_log_events(daemon_factory,
                                                                          test_server):
    d = daemon_factory(workspace(command_entry("alpha", test_server)), extra_args=FAST).start()
    d.wait_state("alpha", "LOADED")
    events = RpcClient(d.socket)
    assert events.call("events.subscribe")["result"] == {
        "topics": ["definitions", "reload", "state", "workspace"]}
    logs = RpcClient(d.socket)
    assert logs.call("events.subscribe", {"topics": ["logs"]})["result"] == {"topics": ["logs"]}
    d.rpc("location.restart", {"name": "alpha", "wait": True})
    seen = []
    while not (seen and seen[-1]["method"] == "event.state" and seen[-1]["params"]["to"] == "LOADED"):
        seen.append(events.read())
    transitions = [(e["params"]["from"], e["params"]["to"]) for e in seen
                   if e["method"] == "event.state"]
    assert transitions == [("LOADED", "STOPPING"), ("STOPPING", "STARTING"),
                           ("STARTING", "LOADED")]
    log = logs.read()
    assert log["method"] == "event.log" and log["params"]["name"] == "alpha"
    assert log["params"]["text"].startswith("started pid=")
    bad = RpcClient(d.socket).call("events.subscribe", {"topics": ["gossip"]})["error"]
    assert bad["code"] == -32602 and "gossip" in bad["message"]
    events.close()
    logs.close()
    assert d.stop() == 0


def test_a_subscriber_that_does_not_read_is_disconnected_and_nobody_else_waits(daemon_factory,
                                                                             test_server):
    d = daemon_factory(workspace(command_entry("flood", test_server, "--flood"),
                                 command_entry("calm", test_server)), extra_args=FAST).start()
    slow = RpcClient(d.socket)
    slow.sock.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_RCVBUF, 4096)
    slow.call("events.subscribe", {"topics": ["logs"]})
    d.wait_log(r"disconnecting a client that does not read", timeout=120)
    assert d.locations()["calm"]["state"] == "LOADED"
    slow.close()
    assert d.stop() == 0


def test_oversized_requests_are_refused_and_the_connection_survives(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("alpha", test_server)),
                       extra_args=[*FAST, "--max-request-bytes", "1KiB"]).start()
    client = RpcClient(d.socket)
    client.sock.sendall(b'{"jsonrpc":"2.0","id":1,"method":"daemon.info","params":{"pad":"'
                        + b"x" * 4096 + b'"}}\n')
    refused = client.read()
    assert refused["error"]["code"] == -32014 and refused["id"] is None
    assert client.call("daemon.info")["result"]["name"] == "codeloc"
    client.close()
    assert d.stop() == 0


def test_a_thousand_idle_connections_do_not_stop_the_daemon_answering(daemon_factory, test_server):
    import resource
    import socket

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    d = daemon_factory(workspace(command_entry("alpha", test_server)), extra_args=FAST).start()
    idle = []
    try:
        for _ in range(1000):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(str(d.socket))
            idle.append(s)
        assert d.rpc("daemon.info")["result"]["name"] == "codeloc"
        assert d.wait_state("alpha", "LOADED")
    finally:
        for s in idle:
            s.close()
    assert d.stop() == 0


def test_a_batch_is_answered_in_order_without_its_notifications(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("alpha", test_server)), extra_args=FAST).start()
    client = RpcClient(d.socket)
    client.sock.sendall(json.dumps([
        {"jsonrpc": "2.0", "id": "a", "method": "daemon.info"},
        {"jsonrpc": "2.0", "method": "locations.list"},
        {"jsonrpc": "2.0", "id": "b", "method": "location.get", "params": {"name": "nope"}},
    ]).encode() + b"\n")
    answer = json.loads(client.sock.recv(1 << 20).split(b"\n")[0])
    assert [a["id"] for a in answer] == ["a", "b"]
    assert answer[0]["result"]["name"] == "codeloc" and answer[1]["error"]["code"] == -32010
    client.sock.sendall(b"[]\n")
    assert client.read()["error"]["code"] == -32600
    client.close()
    assert d.stop() == 0


def _connect_as(uid: int, gid: int, path, groups=()):
    """Runs a one-request client as another user; returns its output (the daemon's answer)."""
    import os
    import subprocess

    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_UNIX);s.settimeout(20);s.connect(sys.argv[1])\n"
            "try:\n"
            "    s.sendall(b'{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"daemon.info\"}\\n')\n"
            "except OSError:\n"
            "    pass  # refused: the daemon may have answered and closed before this send\n"
            "print(s.recv(65536).decode().strip())\n")

    def demote():
        os.setgroups(list(groups))
        os.setgid(gid)
        os.setuid(uid)

    done = subprocess.run(["/usr/bin/python3", "-I", "-c", code, str(path)], capture_output=True,
                          text=True, timeout=60, preexec_fn=demote)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_only_the_owner_root_and_the_socket_group_may_connect(daemon_factory, test_server,
                                                             tmp_path):
    import os
    import pytest
    import tempfile

    if os.getuid() != 0:
        pytest.skip("needs root to act as a second user (PeerPolicy is unit-tested)")
    nobody, nogroup = 65534, 65534
    # A directory everyone may enter, and a socket mode that lets the second user connect: only
    # the peer-credential check stands between them and the daemon.
    shared = pathlib.Path(tempfile.mkdtemp(prefix="codeloc-peer-"))
    os.chmod(shared, 0o755)
    try:
        d = daemon_factory(workspace(command_entry("alpha", test_server)),
                           extra_args=[*FAST, "--socket-mode", "0666"], workdir=shared).start()
        refused = _connect_as(nobody, nogroup, d.socket)
        assert refused["error"]["code"] == -32015
        assert "uid 65534" in refused["error"]["message"]
        d.wait_log(r"refused a connection from uid 65534")
        assert d.rpc("daemon.info")["result"]["name"] == "codeloc", "root still may"
        assert d.stop() == 0

        g = daemon_factory(workspace(command_entry("alpha", test_server)),
                           extra_args=[*FAST, "--socket-mode", "0660", "--socket-group", str(nogroup)],
                           workdir=shared).start()
        assert os.stat(g.socket).st_gid == nogroup
        assert oct(os.stat(g.socket).st_mode & 0o777) == "0o660"
        allowed = _connect_as(nobody, nogroup, g.socket, groups=[nogroup])
        assert allowed["result"]["name"] == "codeloc"
        assert g.stop() == 0
    finally:
        for p in shared.iterdir():
            p.unlink()
        shared.rmdir()
