"""codeloc_server.control: the control-socket client children use (location.reload), against a
fake daemon on a Unix socket in the test's folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from fake_daemon import FakeDaemon
from harness import REPO

sys.path.insert(0, str(REPO / "python"))
from codeloc_server import control  # noqa: E402


@pytest.fixture
def daemon(tmp_path: Path):
    started: List[FakeDaemon] = []

    def start(answer: Callable[[Dict[str, Any]], Any]) -> FakeDaemon:
        fake = FakeDaemon(tmp_path / "control.sock", answer)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.close()


def test_reload_sends_location_reload_and_returns_the_result(daemon) -> None:
    fake = daemon(lambda r: {"jsonrpc": "2.0", "id": r["id"], "result": {"name": "a", "state": "RELOADING"}})
    result = control.reload("a", path=fake.path)
    assert result == {"name": "a", "state": "RELOADING"}
    assert fake.requests == [{"jsonrpc": "2.0", "id": 1, "method": "location.reload", "params": {"name": "a"}}]


def test_reload_with_wait_passes_the_timeout_in_milliseconds(daemon) -> None:
    fake = daemon(lambda r: {"jsonrpc": "2.0", "id": r["id"], "result": {"name": "a", "state": "LOADED"}})
    control.reload("a", wait=True, timeout=2.5, path=fake.path)
    assert fake.requests[0]["params"] == {"name": "a", "wait": True, "timeout": 2500}


def test_reload_finds_the_socket_in_codeloc_socket(daemon, monkeypatch) -> None:
    fake = daemon(lambda r: {"jsonrpc": "2.0", "id": r["id"], "result": {"name": "a"}})
    monkeypatch.setenv("CODELOC_SOCKET", fake.path)
    assert control.reload("a") == {"name": "a"}


def test_an_error_answer_raises_with_its_code(daemon) -> None:
    error = {"code": -32010, "message": "unknown location 'x'", "data": {"name": "x"}}
    fake = daemon(lambda r: {"jsonrpc": "2.0", "id": r["id"], "error": error})
    with pytest.raises(control.ControlError) as raised:
        control.reload("x", path=fake.path)
    assert raised.value.code == -32010
    assert raised.value.data == {"name": "x"}
    assert "unknown location 'x'" in str(raised.value)


def test_no_daemon_raises_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(control.ControlError, match="cannot reach the daemon at"):
        control.reload("a", path=str(tmp_path / "missing.sock"))


def test_a_closed_connection_raises(daemon) -> None:
    fake = daemon(lambda r: None)
    with pytest.raises(control.ControlError, match="closed the connection"):
        control.reload("a", path=fake.path)


def test_unset_codeloc_socket_raises(monkeypatch) -> None:
    monkeypatch.delenv("CODELOC_SOCKET", raising=False)
    with pytest.raises(control.ControlError, match="CODELOC_SOCKET is not set"):
        control.reload("a")
