"""A definitions version is "sha256:" + the hex SHA-256 of the snapshot's exact bytes, whether the
daemon hashes it at once (up to 1 MiB) or one slice per loop callback (bigger snapshots)."""
import hashlib
import json
import socket

from daemon_harness import DEADLINE
from test_supervise import command_entry, workspace


def raw_definitions(path, name: str) -> bytes:
    """The bytes of `definitions` in a location.definitions answer, exactly as the daemon sent them
    (it splices the snapshot in last: {"name":...,"version":...,"definitions":<bytes>})."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(DEADLINE)
        sock.connect(str(path))
        request = {"jsonrpc": "2.0", "id": 1, "method": "location.definitions",
                   "params": {"name": name}}
        sock.sendall(json.dumps(request).encode() + b"\n")
        line = b""
        while not line.endswith(b"\n"):
            chunk = sock.recv(1 << 20)
            assert chunk, "the daemon closed the connection"
            line += chunk
    marker = b'"definitions":'
    start = line.index(marker) + len(marker)
    assert line.endswith(b"}}\n"), line[-200:]
    return line[start:-3]


def test_versions_are_the_sha256_of_small_and_big_snapshots(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("small", test_server),
                                 command_entry("big", test_server, "--snapshot-bytes",
                                               str(5 * 1024 * 1024 + 77)))).start()
    for name in ("small", "big"):
        loc = d.wait_state(name, "LOADED")
        snapshot = raw_definitions(d.socket, name)
        if name == "big":
            assert len(snapshot) == 5 * 1024 * 1024 + 77
        expected = "sha256:" + hashlib.sha256(snapshot).hexdigest()
        assert loc["definitions_version"] == expected
        assert d.rpc("location.definitions", {"name": name})["result"]["version"] == expected
    assert d.stop() == 0
