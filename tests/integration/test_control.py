"""The control socket's methods and JSON-RPC manners against a real daemon."""
import json

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
