"""A small client of the daemon's control socket (docs/protocol.md, "Control protocol v1").

Children of the daemon find the socket in ``CODELOC_SOCKET``. One connection per call:
newline-delimited JSON-RPC 2.0 over a Unix stream socket. Standard library only, and safe to use
from any thread (nothing is shared between calls).

    from codeloc_server import control
    control.reload("analytics")                       # answered at once (state RELOADING)
    control.reload("analytics", wait=True)            # answered once the location settled
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any, Dict, Mapping, Optional

ENV_SOCKET = "CODELOC_SOCKET"
# The daemon's own default for location.reload's wait (docs/protocol.md).
DEFAULT_WAIT_TIMEOUT = 120.0
DEFAULT_TIMEOUT = 10.0
# How much longer than the daemon's timeout we wait for its answer (the daemon answers -32013
# itself when its timeout passes; this only guards against a hung daemon).
_SLACK = 5.0
_MAX_ANSWER_BYTES = 64 << 20


class ControlError(Exception):
    """A call failed: no socket, no connection, no answer in time, or a JSON-RPC error answer.

    ``code`` is the JSON-RPC error code for error answers (-32010 unknown location, ...), else
    None; ``data`` is the error's data, if any."""

    def __init__(self, message: str, code: Optional[int] = None, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.data = data


def socket_path(environ: Mapping[str, str] = os.environ) -> str:
    """The control socket's path from ``CODELOC_SOCKET``; ControlError when it is unset."""
    path = environ.get(ENV_SOCKET, "")
    if not path:
        raise ControlError(f"{ENV_SOCKET} is not set: this process was not started by codeloc")
    return path


def call(
    method: str,
    params: Optional[Dict[str, Any]] = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    path: Optional[str] = None,
) -> Any:
    """Sends one request on a new connection and returns its ``result``; raises ControlError.
    ``timeout`` (seconds) bounds the connection and the wait for the answer."""
    path = path or socket_path()
    request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
            sock.sendall(json.dumps(request, separators=(",", ":")).encode() + b"\n")
            answer = _read_answer(sock)
        except socket.timeout:
            raise ControlError(f"{method}: no answer from the daemon at {path} in {timeout:g}s") from None
        except OSError as error:
            raise ControlError(f"{method}: cannot reach the daemon at {path}: {error.strerror or error}") from None
    finally:
        sock.close()
    if "error" in answer:
        error = answer["error"] if isinstance(answer["error"], dict) else {}
        raise ControlError(
            f"{method}: {error.get('message', 'error')}", error.get("code"), error.get("data")
        )
    return answer.get("result")


def _read_answer(sock: socket.socket) -> Dict[str, Any]:
    """The answer to id 1; lines for other ids (there are none without a subscription) are
    skipped."""
    buffer = b""
    while True:
        newline = buffer.find(b"\n")
        if newline < 0:
            if len(buffer) > _MAX_ANSWER_BYTES:
                raise ControlError("the daemon's answer is too large")
            chunk = sock.recv(1 << 16)
            if not chunk:
                raise ControlError("the daemon closed the connection without answering")
            buffer += chunk
            continue
        line, buffer = buffer[:newline].strip(), buffer[newline + 1 :]
        if not line:
            continue
        try:
            message = json.loads(line)
        except ValueError:
            raise ControlError("the daemon's answer is not JSON") from None
        if isinstance(message, dict) and message.get("id") == 1:
            return message


def reload(
    name: str,
    wait: bool = False,
    timeout: Optional[float] = None,
    *,
    path: Optional[str] = None,
) -> Dict[str, Any]:
    """Asks the daemon to reload location ``name`` (``location.reload``) and returns its result.

    Without ``wait`` the answer comes at once (``state`` is ``RELOADING``); with it, once the
    location has settled, at most ``timeout`` seconds (default 120, the daemon's), after which the
    daemon answers -32013 (ControlError with that code). A load error is a result, not an error:
    see its ``error`` field."""
    if timeout is None:
        timeout = DEFAULT_WAIT_TIMEOUT if wait else DEFAULT_TIMEOUT
    params: Dict[str, Any] = {"name": name}
    if wait:
        params["wait"] = True
        params["timeout"] = max(1, int(timeout * 1000))
    result = call("location.reload", params, timeout=timeout + _SLACK if wait else timeout, path=path)
    if not isinstance(result, dict):
        raise ControlError("location.reload: the daemon's answer has no result object")
    return result
