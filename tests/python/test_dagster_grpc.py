"""The code server's Dagster gRPC server (dagster_grpc.py): Dagster's own client is the oracle."""

from __future__ import annotations

import os
import sys
import time

from dagster._core.instance import DagsterInstance
from dagster._core.remote_origin import GrpcServerCodeLocationOrigin
from dagster._grpc.client import DagsterGrpcClient
from dagster._serdes import deserialize_value
from dagster._utils.error import SerializableErrorInfo

from harness import REPO

sys.path.insert(0, str(REPO / "python"))
from codeloc_server import dagster_grpc  # noqa: E402

DEFS = """
import dagster as dg

@dg.asset
def raw():
    return 1

@dg.asset(deps=[raw], group_name="marts")
def report():
    return 2

defs = dg.Definitions(assets=[raw, report])
"""


def remote_asset_keys(socket: str) -> list:
    origin = GrpcServerCodeLocationOrigin(socket=socket, host="localhost", location_name="test")
    with DagsterInstance.ephemeral() as instance:
        with origin.create_location(instance) as location:
            return sorted(
                node.asset_key.path
                for repository in location.get_repositories().values()
                for node in repository.get_asset_node_snaps()
            )


def wait_exit(server, timeout: float = 60.0) -> int:
    end = time.monotonic() + timeout
    while server.proc.poll() is None:
        assert time.monotonic() < end, f"still running; stderr:\n{server.stderr()}"
        time.sleep(0.02)
    return server.proc.returncode


def test_generation_peers_are_the_other_numbered_sockets_of_the_same_location(tmp_path):
    for name in ["loc.1.sock", "loc.2.sock", "loc.10.sock", "loc.x.sock", "other.3.sock",
                 "loc.sock", "loc.4.sock.new"]:
        (tmp_path / name).write_text("")
    own = str(tmp_path / "loc.2.sock")
    assert dagster_grpc.generation_peers(own) == [str(tmp_path / "loc.10.sock"),
                                                  str(tmp_path / "loc.1.sock")]
    assert dagster_grpc.generation_peers(str(tmp_path / "dotted.name.1.sock")) == []


def test_the_same_definitions_reach_dagsters_client_and_a_drain_ends_the_process(
        start_server, project, tmp_path):
    root = project({"defs.py": DEFS})
    socket = str(tmp_path / "gen" / "test.1.sock")
    server = start_server(["--location", "test", "--python-file", str(root / "defs.py"),
                           "--dagster-grpc-socket", socket], cwd=root)
    server.initialize()
    snapshot = server.definitions()["snapshot"]
    served = sorted(asset["key"] for asset in snapshot["assets"])
    assert served == [["raw"], ["report"]]
    assert remote_asset_keys(socket) == served
    server_id = DagsterGrpcClient(socket=socket).get_server_id(timeout=60)
    assert f"Dagster gRPC server {server_id} on {socket}" in server.stderr()

    # With the channel still open, the drain alone ends the process (no run in flight).
    assert server.call("dagster.drain")["result"] == {"runs": 0}
    assert wait_exit(server) == 0
    assert "drained: no Dagster run left in flight" in server.stderr()
    assert not os.path.exists(socket), "gRPC removes its socket at shutdown"


def test_a_broken_file_is_a_load_error_for_both_apis(start_server, project, tmp_path):
    root = project({"defs.py": "import dagster\nraise RuntimeError('broken on purpose')\n"})
    socket = str(tmp_path / "test.1.sock")
    server = start_server(["--location", "test", "--python-file", str(root / "defs.py"),
                           "--dagster-grpc-socket", socket], cwd=root)
    server.initialize()
    error = server.load_error()
    assert error["data"]["class_name"] == "RuntimeError"
    listing = deserialize_value(DagsterGrpcClient(socket=socket).list_repositories())
    assert isinstance(listing, SerializableErrorInfo)
    assert "broken on purpose" in listing.to_string()
    # codeloc's own API still answers, and shutdown still ends it at once.
    assert server.call("ping")["result"] == {}
    assert server.call("shutdown")["result"] == {}
    assert wait_exit(server) == 0


def test_a_server_that_cannot_start_leaves_codelocs_api_serving(start_server, project, tmp_path):
    root = project({"defs.py": DEFS})
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    server = start_server(["--location", "test", "--python-file", str(root / "defs.py"),
                           "--dagster-grpc-socket", str(blocker / "test.1.sock")], cwd=root)
    server.initialize()
    assert len(server.definitions()["snapshot"]["assets"]) == 2
    assert "no Dagster gRPC server:" in server.stderr()
    assert "codeloc's own API still serves this location" in server.stderr()
    # Without a Dagster server a drain has nothing to wait for.
    assert server.call("dagster.drain")["result"] == {"runs": 0}
    assert wait_exit(server) == 0
