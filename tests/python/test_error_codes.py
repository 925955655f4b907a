"""The code server's JSON-RPC error codes are ipc/protocol.h's (STYLE.md point 4: the wire protocol
lives in one place): every code python/codeloc_server/jsonrpc.py defines has the C++ constant's
name and value, a value both sides define has one name, and the codes a code server answers with
exist on the Python side."""

from __future__ import annotations

import re
import sys
from typing import Dict

from harness import REPO

sys.path.insert(0, str(REPO / "python"))
from codeloc_server import jsonrpc  # noqa: E402

PROTOCOL_H = REPO / "ipc" / "protocol.h"


def cpp_error_codes() -> Dict[str, int]:
    """``namespace error_code`` of ipc/protocol.h as UPPER_SNAKE name -> value
    (``kMethodNotFound`` -> ``METHOD_NOT_FOUND``)."""
    text = PROTOCOL_H.read_text()
    block = re.search(r"namespace error_code \{(.*?)\}  // namespace error_code", text, re.S)
    assert block, f"no namespace error_code in {PROTOCOL_H}"
    codes = {}
    for name, value in re.findall(r"inline constexpr int k(\w+) = (-?\d+);", block.group(1)):
        codes[re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()] = int(value)
    assert len(codes) >= 10, codes  # the parse found the table
    return codes


def python_error_codes() -> Dict[str, int]:
    """jsonrpc.py's module-level integer constants in JSON-RPC's error range."""
    return {
        name: value
        for name, value in vars(jsonrpc).items()
        if name.isupper() and isinstance(value, int) and -32768 <= value <= -32000
    }


def test_python_codes_are_the_cpp_ones():
    cpp = cpp_error_codes()
    python = python_error_codes()
    assert python, "jsonrpc.py defines no error codes"
    for name, value in python.items():
        assert name in cpp, f"jsonrpc.{name} = {value} is not in {PROTOCOL_H.name}"
        assert cpp[name] == value, f"jsonrpc.{name} = {value}, {PROTOCOL_H.name} says {cpp[name]}"


def test_a_value_both_sides_define_has_one_name():
    cpp_names = {value: name for name, value in cpp_error_codes().items()}
    for name, value in python_error_codes().items():
        assert cpp_names.get(value) == name, f"{value}: jsonrpc.{name}, C++ {cpp_names.get(value)}"


def test_the_codes_a_code_server_answers_with_are_defined():
    # The standard codes and the code-server protocol's own (docs/protocol.md).
    code_server_codes = {
        "PARSE_ERROR", "INVALID_REQUEST", "METHOD_NOT_FOUND", "INVALID_PARAMS", "INTERNAL_ERROR",
        "LOAD_ERROR", "PROTOCOL_MISMATCH", "MESSAGE_TOO_LARGE",
    }
    cpp = cpp_error_codes()
    python = python_error_codes()
    for name in sorted(code_server_codes):
        assert name in cpp, name
        assert python.get(name) == cpp[name], f"jsonrpc.{name} missing or different"


def test_the_protocol_version_is_the_cpp_one():
    from codeloc_server import SUPPORTED_PROTOCOL_VERSIONS

    match = re.search(r"kCodeServerProtocolVersion = (\d+);", PROTOCOL_H.read_text())
    assert match
    assert int(match.group(1)) in SUPPORTED_PROTOCOL_VERSIONS
