"""JSON-RPC 2.0 messages as the code server needs them: parsing requests, encoding responses.

Responses are encoded compactly with sorted keys. A result may be passed pre-encoded (``RawJson``)
so the snapshot's bytes are written exactly as they were produced, once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional, Union

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
LOAD_ERROR = -32001
PROTOCOL_MISMATCH = -32002
MESSAGE_TOO_LARGE = -32014

RequestId = Union[str, int, float, None]


def dumps(value: Any) -> str:
    """Canonical JSON text: sorted keys, no spaces, non-ASCII kept as UTF-8, NaN refused."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode(text: str) -> bytes:
    """UTF-8 bytes of ``text``; a lone surrogate (from undecodable data) is escaped instead."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class RawJson:
    """A JSON text that is already encoded and is written verbatim."""

    text: str


class RpcError(Exception):
    """An error answer: ``code``, ``message`` and optional ``data``."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


@dataclass(frozen=True)
class Request:
    """A parsed request. ``is_notification`` requests get no answer."""

    method: str
    params: Union[dict, list]
    id: RequestId
    is_notification: bool


def parse_request(line: bytes) -> Request:
    """Parses one line. Raises RpcError(PARSE_ERROR) for non-JSON and RpcError(INVALID_REQUEST)
    for JSON that is not a request; the latter carries the request's id in ``data`` when it had
    one (``{"id": ...}``) so the answer can name it."""
    try:
        message = json.loads(line)
    except (ValueError, UnicodeDecodeError) as error:
        raise RpcError(PARSE_ERROR, f"parse error: {error}") from None
    if not isinstance(message, dict):
        raise RpcError(INVALID_REQUEST, "invalid request: not a JSON object")
    has_id = "id" in message
    request_id = message.get("id")
    id_data = {"id": request_id} if has_id else None
    if isinstance(request_id, bool) or not (
        request_id is None or isinstance(request_id, (str, int, float))
    ):
        raise RpcError(INVALID_REQUEST, "invalid request: bad id")
    if message.get("jsonrpc") != "2.0":
        raise RpcError(INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"', id_data)
    method = message.get("method")
    if not isinstance(method, str):
        raise RpcError(INVALID_REQUEST, 'invalid request: "method" must be a string', id_data)
    params = message.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, (dict, list)):
        raise RpcError(INVALID_REQUEST, 'invalid request: "params" must be an object or array', id_data)
    return Request(method=method, params=params, id=request_id, is_notification=not has_id)


def response(request_id: RequestId, result: Union[RawJson, Any]) -> bytes:
    """A success response line (without the newline)."""
    result_text = result.text if isinstance(result, RawJson) else dumps(result)
    return encode(f'{{"id":{dumps(request_id)},"jsonrpc":"2.0","result":{result_text}}}')


def error_response(request_id: RequestId, error: RpcError) -> bytes:
    """An error response line (without the newline)."""
    return encode(dumps({"id": request_id, "jsonrpc": "2.0", "error": error.to_json()}))
