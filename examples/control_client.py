#!/usr/bin/env python3
"""A control-socket client in plain Python (standard library only), to show that the API is
newline-delimited JSON-RPC 2.0 over a Unix socket that any language can speak (docs/protocol.md).

    python3 examples/control_client.py /run/user/1000/codeloc/codeloc.sock
"""
import json
import socket
import sys

sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(sys.argv[1])
reader = sock.makefile("rb")
next_id = 0


def call(method, params=None):
    global next_id
    next_id += 1
    sock.sendall(json.dumps({"jsonrpc": "2.0", "id": next_id, "method": method,
                             "params": params or {}}).encode() + b"\n")
    while True:
        answer = json.loads(reader.readline())
        if answer.get("id") == next_id:  # skip notifications (there are none without a subscription)
            if "error" in answer:
                sys.exit(f"{method}: {answer['error']['message']}")
            return answer["result"]


locations = call("locations.list")["locations"]
for location in locations:
    print(f"{location['name']}: {location['state']}")
loaded = [location["name"] for location in locations if location["state"] == "LOADED"]
if loaded:
    definitions = call("location.definitions", {"name": loaded[0]})["definitions"]
    for asset in definitions.get("assets", []):
        print(f"{loaded[0]} asset {'/'.join(asset['key'])}")
