"""``--attach-grpc``: serving the definitions of a Dagster gRPC server someone else runs
(grpc_server entries). Each test starts a real ``dagster api grpc`` (build/venvs/dagster) that it
owns and kills by its pid, and the attach process with a socketpair channel (harness.py)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from fake_daemon import FakeDaemon
from harness import REPO, VENVS

sys.path.insert(0, str(REPO / "python"))
from codeloc_server import attach, cli  # noqa: E402

DAGSTER = VENVS / "dagster" / "bin" / "dagster"
PYTHON = VENVS / "dagster" / "bin" / "python"

DEFS = """
import dagster as dg

class Warehouse(dg.ConfigurableResource):
    url: str = "sqlite://"

@dg.asset(group_name="raw", kinds={"python"}, owners=["team:data"], tags={"tier": "gold"},
          metadata={"rows": 3}, code_version="2")
def orders():
    return 1

@dg.asset(key=["marts", "revenue"], deps=[orders, "upstream_stub"], description="Revenue.",
          partitions_def=dg.DailyPartitionsDefinition(start_date="2024-01-01"))
def revenue(warehouse: Warehouse):
    return 2

@dg.asset_check(asset=revenue, blocking=True, description="Not empty.")
def revenue_not_empty():
    return dg.AssetCheckResult(passed=True)

@dg.op
def hello():
    pass

@dg.job(tags={"team": "ops"}, description="An op job.")
def housekeeping():
    hello()

marts = dg.define_asset_job("marts_job", selection=[orders, revenue])
nightly = dg.ScheduleDefinition(name="nightly", job=marts, cron_schedule="0 6 * * *",
                                execution_timezone="UTC")

@dg.sensor(job=housekeeping, minimum_interval_seconds=45)
def new_files():
    return None

defs = dg.Definitions(
    assets=[orders, revenue, dg.AssetSpec("external_thing", group_name="ext")],
    asset_checks=[revenue_not_empty],
    jobs=[housekeeping, marts],
    schedules=[nightly],
    sensors=[new_files, dg.AutomationConditionSensorDefinition("automation", target=dg.AssetSelection.all())],
    resources={"warehouse": Warehouse()},
)
"""

DEADLINE = 60.0


def wait_until(condition: Any, what: str, timeout: float = DEADLINE) -> Any:
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def server_id(socket_path: str) -> Optional[str]:
    from dagster._grpc.client import DagsterGrpcClient

    try:
        return str(DagsterGrpcClient(socket=socket_path).get_server_id(timeout=2))
    except Exception:
        return None


class DagsterServer:
    """``dagster api grpc --socket PATH -f defs.py``, owned by the test."""

    def __init__(self, folder: Path, socket_path: str, source: str, lazy: bool = False) -> None:
        (folder / "defs.py").write_text(textwrap.dedent(source).lstrip("\n"))
        self.socket = socket_path
        self.log_path = folder / f"dagster-{time.monotonic_ns()}.log"
        previous = server_id(socket_path)  # a killed server's socket file stays behind
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [str(DAGSTER), "api", "grpc", "--socket", socket_path, "-f", str(folder / "defs.py"),
                 *(["--lazy-load-user-code"] if lazy else [])],
                cwd=folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(os.environ, DAGSTER_HOME=str(folder), NO_COLOR="1"),
            )
        self.id = wait_until(
            lambda: self._ready(previous), f"the Dagster gRPC server on {socket_path}"
        )

    def _ready(self, previous: Optional[str]) -> Optional[str]:
        if self.proc.poll() is not None:
            raise AssertionError(f"dagster api grpc exited:\n{self.log_path.read_text()}")
        found = server_id(self.socket) if os.path.exists(self.socket) else None
        return found if found and found != previous else None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()  # `dagster api grpc` does not stop on SIGTERM at once
        self.proc.wait(DEADLINE)


@pytest.fixture
def sockets() -> Iterator[Path]:
    """A short folder for Unix sockets (sun_path holds 107 bytes; tmp_path can be longer)."""
    folder = Path(tempfile.mkdtemp(prefix="cl-attach-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def dagster_server(tmp_path: Path, sockets: Path) -> Iterator[Any]:
    """``dagster_server(source, lazy=False) -> DagsterServer`` on ``<sockets>/s.sock``; every one
    started is killed at teardown."""
    if not DAGSTER.exists():
        pytest.skip(f"{DAGSTER} is missing: run scripts/python-envs.sh")
    started: List[DagsterServer] = []
    folder = tmp_path / "remote"
    folder.mkdir()

    def start(source: str = DEFS, lazy: bool = False) -> DagsterServer:
        server = DagsterServer(folder, str(sockets / "s.sock"), source, lazy)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


def attach_args(socket_path: str, location: str = "remote") -> List[str]:
    return ["--location", location, "--attach-grpc", "--grpc-socket", socket_path]


def start_attached(start_server: Any, socket_path: str, **kwargs: Any) -> Any:
    kwargs.setdefault("python", str(PYTHON))
    kwargs.setdefault("location", "remote")
    server = start_server(attach_args(socket_path, kwargs["location"]), **kwargs)
    server.initialize(kwargs["location"])
    return server


def names(items: List[Dict[str, Any]]) -> List[str]:
    return [item["name"] for item in items]


# ---- definitions ----


def test_serves_the_servers_assets_jobs_schedules_sensors(dagster_server, start_server):
    remote = dagster_server()
    result = start_attached(start_server, remote.socket).definitions()
    snap = result["snapshot"]
    assert snap["location"] == "remote"
    assert [a["key"] for a in snap["assets"]] == [
        ["external_thing"], ["marts", "revenue"], ["orders"], ["upstream_stub"]
    ]
    assert names(snap["jobs"]) == ["housekeeping", "marts_job"]
    assert names(snap["schedules"]) == ["nightly"]
    assert names(snap["sensors"]) == ["automation", "new_files"]
    assert [r["key"] for r in snap["resources"]] == ["warehouse"]
    assert [(c["asset_key"], c["name"]) for c in snap["asset_checks"]] == [
        (["marts", "revenue"], "revenue_not_empty")
    ]
    assert result["summary"] == {
        "assets": 4, "asset_checks": 1, "jobs": 2, "schedules": 1, "sensors": 2, "resources": 1
    }
    orders = snap["assets"][2]
    assert orders["group"] == "raw" and orders["kinds"] == ["python"] and orders["owners"] == ["team:data"]
    revenue = snap["assets"][1]
    assert revenue["deps"] == [["orders"], ["upstream_stub"]]
    assert snap["jobs"][1]["assets"] == [["marts", "revenue"], ["orders"]]
    assert snap["schedules"][0]["job"] == "marts_job"
    assert snap["sensors"][1]["targets"] == ["housekeeping"]
    assert snap["dagster_version"] == subprocess.run(
        [str(PYTHON), "-c", "import dagster; print(dagster.__version__)"], capture_output=True, text=True,
        timeout=DEADLINE,
    ).stdout.strip()


def test_matches_what_the_python_code_server_serves_for_the_same_file(dagster_server, start_server, tmp_path):
    """The same definitions, live (--python-file) and through the gRPC server, give the same
    snapshot but for what the remote snapshot does not carry (docs/snapshot.md)."""
    remote = dagster_server()
    attached = start_attached(start_server, remote.socket).definitions()["snapshot"]
    defs = tmp_path / "remote" / "defs.py"
    live_server = start_server(["--location", "remote", "--python-file", str(defs)], python=str(PYTHON), cwd=defs.parent)
    live_server.initialize("remote")
    live = live_server.definitions()["snapshot"]
    for snap in (attached, live):
        snap.pop("python")
        for asset in snap["assets"]:
            if asset["partitions"]:
                asset["partitions"].pop("class")
    assert attached == live


def test_the_same_server_gives_the_same_bytes(dagster_server, start_server):
    remote = dagster_server()
    lines = []
    for _ in range(2):
        server = start_attached(start_server, remote.socket)
        lines.append(server.call_raw("definitions.get", {}, DEADLINE))
    snapshots = [line[line.index(b'"snapshot":') : line.index(b',"summary"')] for line in lines]
    assert snapshots[0] == snapshots[1]
    json.loads(snapshots[0][len(b'"snapshot":') :])


# ---- load errors ----


def test_a_server_that_is_not_there_is_a_load_error(start_server, sockets):
    missing = str(sockets / "nobody.sock")
    server = start_attached(start_server, missing)
    error = server.load_error()
    data = error["data"]
    assert data["class_name"] == "codeloc_server.attach.GrpcServerUnreachable"
    assert data["message"].startswith(f"cannot reach the Dagster gRPC server at {missing}: ")
    assert "No such file or directory" in data["message"]
    assert error["message"] == f"codeloc_server.attach.GrpcServerUnreachable: {data['message']}"
    # The process stays up and reports the same error again.
    assert "result" in server.call("ping", {})
    assert server.load_error()["data"] == data


def test_a_port_nobody_listens_on_is_a_load_error(start_server):
    with socket.socket() as probe:  # a free port: bound, then released
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = start_server(
        ["--location", "remote", "--attach-grpc", "--grpc-host", "127.0.0.1", "--grpc-port", str(port)],
        python=str(PYTHON), location="remote",
    )
    server.initialize("remote")
    data = server.load_error()["data"]
    assert data["message"].startswith(f"cannot reach the Dagster gRPC server at 127.0.0.1:{port}: ")


def test_a_server_whose_code_failed_to_load_is_a_load_error_with_its_traceback(dagster_server, start_server):
    remote = dagster_server("import dagster as dg\nimport not_a_module_anywhere\n", lazy=True)
    data = start_attached(start_server, remote.socket).load_error()["data"]
    assert data["class_name"] == "codeloc_server.attach.GrpcServerError"
    assert data["message"].startswith(f"the Dagster gRPC server at {remote.socket} reports an error: ")
    assert "not_a_module_anywhere" in data["message"]
    causes = []
    cause = data["cause"]
    while cause:
        causes.append(cause)
        cause = cause["cause"]
    innermost = causes[-1]
    assert innermost["class_name"] == "ModuleNotFoundError"
    assert innermost["message"] == "No module named 'not_a_module_anywhere'"
    assert innermost["stack"][-1]["file"].endswith("defs.py")
    assert innermost["stack"][-1]["code"] == "import not_a_module_anywhere"
    assert data["location"]["file"].endswith("defs.py") and data["location"]["line"] == 2


def test_without_dagster_the_load_error_says_so(start_server, sockets):
    # -S: no site-packages, so this interpreter has the standard library but no dagster.
    server = start_attached(start_server, str(sockets / "s.sock"), python_flags=["-S"])
    data = server.load_error()["data"]
    assert data["class_name"] == "codeloc_server.loader.DagsterMissing"
    assert "dagster cannot be imported" in data["message"]


# ---- watching the server ----


def test_asks_the_daemon_to_reload_when_the_server_restarts(dagster_server, start_server, sockets):
    daemon = FakeDaemon(sockets / "control.sock")
    try:
        remote = dagster_server()
        server = start_attached(start_server, remote.socket, env={"CODELOC_SOCKET": daemon.path})
        server.definitions()
        remote.kill()
        restarted = dagster_server(DEFS + "\n@dg.asset\ndef added():\n    return 0\n")
        assert restarted.id != remote.id
        requests = daemon.wait_requests(1, DEADLINE)
        assert requests[0]["method"] == "location.reload"
        assert requests[0]["params"] == {"name": "remote"}
        assert "asked the daemon to reload 'remote'" in wait_until(
            lambda: "asked the daemon" in server.stderr() and server.stderr(), "the log line"
        )
    finally:
        daemon.close()


def test_asks_the_daemon_to_reload_when_an_absent_server_comes_up(dagster_server, start_server, sockets):
    daemon = FakeDaemon(sockets / "control.sock")
    try:
        server = start_attached(start_server, str(sockets / "s.sock"), env={"CODELOC_SOCKET": daemon.path})
        server.load_error()
        assert daemon.requests == []
        dagster_server()
        assert daemon.wait_requests(1, DEADLINE)[0]["params"] == {"name": "remote"}
    finally:
        daemon.close()


class TestServerWatch:
    """The decisions alone, one poll at a time."""

    def test_same_id_asks_nothing(self):
        watch = attach.ServerWatch("a", reached=True)
        assert [watch.on_poll("a") for _ in range(5)] == [None] * 5

    def test_a_new_id_asks_for_a_reload(self):
        watch = attach.ServerWatch("a", reached=True)
        assert "id changed (a -> b)" in watch.on_poll("b")

    def test_a_short_outage_with_the_same_id_asks_nothing(self):
        watch = attach.ServerWatch("a", reached=True, max_failures=3)
        assert [watch.on_poll(None), watch.on_poll(None), watch.on_poll("a")] == [None, None, None]
        assert watch.on_poll(None) is None  # the count starts again

    def test_a_long_outage_asks_once(self):
        watch = attach.ServerWatch("a", reached=True, max_failures=3)
        outcomes = [watch.on_poll(None) for _ in range(6)]
        assert outcomes[:2] == [None, None] and "has not answered for 3 polls" in outcomes[2]
        assert outcomes[3:] == [None, None, None]

    def test_a_server_unreachable_at_load_asks_when_it_answers(self):
        watch = attach.ServerWatch(None, reached=False)
        assert [watch.on_poll(None) for _ in range(20)] == [None] * 20
        assert watch.on_poll("a") == "the Dagster gRPC server is reachable"

    def test_a_transient_load_failure_asks_after_the_recovery_polls(self):
        watch = attach.ServerWatch(None, reached=True, recovery_polls=3)
        assert [watch.on_poll("a"), watch.on_poll("a")] == [None, None]
        assert watch.on_poll("a") == "the Dagster gRPC server answers again"


# ---- command line ----


@pytest.mark.parametrize(
    "args, message",
    [
        (["--attach-grpc"], "exactly one of --grpc-socket and --grpc-port"),
        (["--attach-grpc", "--grpc-socket", "s", "--grpc-port", "1"], "exactly one of"),
        (["--attach-grpc", "--grpc-socket", "s", "--grpc-host", "h"], "--grpc-host goes with --grpc-port"),
        (["--attach-grpc", "--grpc-port", "70000"], "from 1 to 65535"),
        (["--module", "m", "--grpc-port", "1"], "go with --attach-grpc"),
        (["--attach-grpc", "--grpc-port", "1", "--attribute", "a"], "--attribute does not apply"),
    ],
)
def test_bad_attach_command_lines(args, message):
    with pytest.raises(cli.UsageError, match=message):
        cli.parse(["--location", "x", *args], {})


def test_attach_command_line():
    options = cli.parse(["--location", "x", "--attach-grpc", "--grpc-port", "4266"], {})
    assert options.grpc == cli.GrpcAddress(host="localhost", port=4266)
    assert options.target.kind == cli.GRPC_SERVER and options.target.name == "localhost:4266"
    options = cli.parse(["--location", "x", "--attach-grpc", "--grpc-socket", "/run/d.sock"], {})
    assert options.grpc == cli.GrpcAddress(socket="/run/d.sock")


def test_metadata_comes_from_the_environment():
    assert attach.metadata_from_env({}) == []
    assert attach.metadata_from_env({"CODELOC_GRPC_METADATA": '{"b":"2","a":"1"}'}) == [("a", "1"), ("b", "2")]
    with pytest.raises(ValueError):
        attach.metadata_from_env({"CODELOC_GRPC_METADATA": '{"a":1}'})
