"""Talks to a Dagster gRPC server with Dagster's own client, for the integration tests (which run
under an interpreter without dagster): ``<dagster python> dagster_grpc_probe.py COMMAND SOCKET``.

- ``id``: prints the server id.
- ``list``: prints ``{"server_id": ..., "repositories": [names]}`` or ``{"error": message}``.
- ``assets``: prints the asset keys of the location's one repository (``a/b``), sorted.
- ``reload``: sends ``ReloadCode`` (the Dagster UI's Reload button), prints ``{}`` once answered.
- ``reload-held``: as the webserver's process does it: one connection to the socket stays open
  (gRPC shares it between channels to the same address), ``ReloadCode`` then ``GetServerId`` at
  once; prints ``{"before": id, "after": id}``.
"""
import json
import sys

import grpc

from dagster._grpc.client import DagsterGrpcClient
from dagster._grpc.types import ListRepositoriesResponse
from dagster._serdes import deserialize_value
from dagster._utils.error import SerializableErrorInfo


def main(command: str, socket: str) -> None:
    client = DagsterGrpcClient(socket=socket)
    if command == "id":
        print(client.get_server_id())
    elif command == "list":
        listing = deserialize_value(client.list_repositories())
        if isinstance(listing, SerializableErrorInfo):
            print(json.dumps({"error": listing.to_string()}))
        else:
            assert isinstance(listing, ListRepositoriesResponse)
            names = [symbol.repository_name for symbol in listing.repository_symbols]
            print(json.dumps({"server_id": client.get_server_id(), "repositories": names}))
    elif command == "assets":
        from dagster._core.instance import DagsterInstance
        from dagster._core.remote_origin import GrpcServerCodeLocationOrigin

        origin = GrpcServerCodeLocationOrigin(socket=socket, host="localhost", location_name="probe")
        with DagsterInstance.ephemeral() as instance:
            with origin.create_location(instance) as location:
                keys = set()
                for repository in location.get_repositories().values():
                    for node in repository.get_asset_node_snaps():
                        keys.add("/".join(node.asset_key.path))
        print(json.dumps(sorted(keys)))
    elif command == "reload":
        client.reload_code(timeout=120)
        print("{}")
    elif command == "reload-held":
        before = client.get_server_id()
        with client._channel() as held:  # the webserver's watch thread, or any call in flight
            grpc.channel_ready_future(held).result(timeout=30)
            client.reload_code(timeout=120)
            after = client.get_server_id()
        print(json.dumps({"before": before, "after": after}))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
