"""grpc_server: entries against a real `dagster api grpc` that the test starts and owns: codeloc
attaches to it (python/codeloc_server/attach.py) and serves its definitions as a read-only
location, and reloads it by itself when the server restarts (its GetServerId watch)."""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap

import pytest

from conftest import BUILD_DIR
from daemon_harness import DEADLINE, pid_alive, wait_for

DAGSTER_PYTHON = pathlib.Path(
    os.environ.get("CODELOC_DAGSTER_PYTHON", BUILD_DIR / "venvs" / "dagster" / "bin" / "python"))
DAGSTER = DAGSTER_PYTHON.parent / "dagster"
SLOW = max(DEADLINE, 120.0)  # a gRPC server imports dagster and the code before it serves

DEFS = """
import dagster as dg

@dg.asset(group_name="raw")
def orders():
    return 1

@dg.asset(deps=[orders])
def revenue():
    return 2
{extra}
nightly = dg.ScheduleDefinition(name="nightly", target=[orders, revenue], cron_schedule="0 6 * * *")

@dg.sensor(target=[orders], minimum_interval_seconds=60)
def new_orders():
    return None

defs = dg.Definitions(
    assets=[v for v in list(globals().values()) if isinstance(v, dg.AssetsDefinition)],
    jobs=[dg.define_asset_job("everything", selection="*")],
    schedules=[nightly],
    sensors=[new_orders],
)
"""


@pytest.fixture(autouse=True)
def need_dagster():
    if not DAGSTER.exists():
        pytest.skip(f"{DAGSTER} is missing: run scripts/python-envs.sh")


class DagsterServer:
    """`dagster api grpc` on a socket or a port, started and stopped by the test (by its pid)."""

    def __init__(self, folder: pathlib.Path, address: list, extra: str = ""):
        (folder / "defs.py").write_text(textwrap.dedent(DEFS.format(extra=extra)).lstrip())
        self.log_path = folder / f"grpc-{len(list(folder.glob('grpc-*.log')))}.log"
        home = folder / "dagster_home"
        home.mkdir(exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [str(DAGSTER), "api", "grpc", *address, "-f", str(folder / "defs.py")],
                cwd=folder, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=dict(os.environ, DAGSTER_HOME=str(home), NO_COLOR="1"))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_serving(self):
        wait_for(lambda: "Started Dagster code server" in self.log() or self.proc.poll() is not None,
                 "dagster api grpc to serve", SLOW)
        assert self.proc.poll() is None, self.log()
        return self

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)  # `dagster api grpc` lingers after SIGTERM
        self.proc.wait(timeout=DEADLINE)


@pytest.fixture
def servers(tmp_path):
    """servers(address, extra="") -> DagsterServer; every one started is killed at teardown."""
    started = []
    folder = tmp_path / "remote"
    folder.mkdir()

    def start(address, extra=""):
        server = DagsterServer(folder, address, extra)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


@pytest.fixture
def socket_dir():
    """A short folder for the server's socket (sun_path holds 107 bytes)."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="codeloc-grpc-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def asset_keys(d, name: str) -> list:
    reply = d.rpc("location.definitions", {"name": name})
    assert "result" in reply, reply
    return ["/".join(a["key"]) for a in reply["result"]["definitions"]["assets"]]


def run(codeloc_bin, *args):
    return subprocess.run([str(codeloc_bin), *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def attach_pids(d, name: str) -> set:
    """The pids of the location's attach processes, from its log lines."""
    reply = d.rpc("location.logs", {"name": name, "lines": 1000})
    return {line["pid"] for line in reply["result"]["lines"] if line.get("pid")}


def test_a_grpc_server_is_served_and_reloads_when_it_restarts(daemon_factory, servers, socket_dir,
                                                               codeloc_bin):
    grpc_socket = socket_dir / "dagster.sock"
    server = servers(["--socket", str(grpc_socket)]).wait_serving()
    d = daemon_factory(f"""load_from:
  - grpc_server:
      socket: {grpc_socket}
      location_name: remote
      executable_path: {DAGSTER_PYTHON}
""").start()

    check = run(codeloc_bin, "check", "-w", str(d.workspace))
    assert check.returncode == 0, check.stderr
    assert check.stdout.splitlines()[1].split()[:4] == [
        "remote", "grpc_server", str(grpc_socket), "-"], check.stdout

    loc = d.wait_state("remote", "LOADED", SLOW)
    assert loc["kind"] == "grpc_server"
    assert loc["dagster_grpc"] == {"socket": str(grpc_socket)}
    assert loc["start_mode"] is None
    assert asset_keys(d, "remote") == ["orders", "revenue"]
    definitions = d.rpc("location.definitions", {"name": "remote"})["result"]["definitions"]
    assert [j["name"] for j in definitions["jobs"]] == ["everything"]
    assert [s["name"] for s in definitions["schedules"]] == ["nightly"]
    assert [s["name"] for s in definitions["sensors"]] == ["new_orders"]

    status = run(codeloc_bin, "status", "--socket", str(d.socket))
    assert status.returncode == 0, status.stderr
    row = status.stdout.splitlines()[1].split()
    assert row[:4] == ["remote", "grpc_server", "LOADED", str(loc["pid"])], status.stdout
    defs = run(codeloc_bin, "defs", "remote", "--socket", str(d.socket))
    assert defs.returncode == 0, defs.stderr
    assert "orders" in defs.stdout and "revenue" in defs.stdout, defs.stdout
    as_json = json.loads(run(codeloc_bin, "status", "--json", "--socket", str(d.socket)).stdout)
    assert as_json["locations"][0]["kind"] == "grpc_server"

    # The server restarts with one more asset; nobody asks codeloc for anything but its state.
    server.kill()
    servers(["--socket", str(grpc_socket)],
            extra="\n@dg.asset\ndef refunds():\n    return 3\n").wait_serving()
    d.wait_state("remote", "LOADED", SLOW,
                 where=lambda l: l["pid"] != loc["pid"] and l["definitions_version"]
                 != loc["definitions_version"])
    assert asset_keys(d, "remote") == ["orders", "refunds", "revenue"]
    reloaded = d.locations()["remote"]
    assert reloaded["reloads"] == 1 and reloaded["restarts"] == 0
    d.wait_log(r"reloaded remote in .*: 3 assets \(\+1 -0\)")
    assert "asked the daemon to reload 'remote'" in d.log()

    pids = attach_pids(d, "remote")
    assert loc["pid"] in pids and reloaded["pid"] in pids
    assert d.stop() == 0
    wait_for(lambda: not any(pid_alive(p) for p in pids), "the attach processes to exit")


def test_an_absent_server_is_a_load_error_until_it_comes_up(daemon_factory, servers, tmp_path):
    port = free_port()
    (tmp_path / "defs.py").write_text("import dagster as dg\n\n@dg.asset\ndef local():\n    return 1\n"
                                      "\ndefs = dg.Definitions(assets=[local])\n")
    d = daemon_factory(f"""load_from:
  - python_file:
      relative_path: defs.py
      location_name: local
  - grpc_server:
      host: 127.0.0.1
      port: {port}
      location_name: remote
""", extra_args=["--python", str(DAGSTER_PYTHON)]).start()
    loc = d.wait_state("remote", "LOAD_ERROR", SLOW)
    assert loc["dagster_grpc"] == {"host": "127.0.0.1", "port": port}
    assert loc["error"]["class_name"] == "codeloc_server.attach.GrpcServerUnreachable"
    assert loc["error"]["message"].startswith(
        f"cannot reach the Dagster gRPC server at 127.0.0.1:{port}: "), loc["error"]
    d.wait_state("local", "LOADED", SLOW)  # the rest of the workspace is served

    servers(["--host", "127.0.0.1", "--port", str(port)]).wait_serving()
    d.wait_state("remote", "LOADED", SLOW)
    assert asset_keys(d, "remote") == ["orders", "revenue"]
    assert d.stop() == 0


def test_tls_is_refused_with_the_entrys_position(codeloc_bin, tmp_path):
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text("load_from:\n  - grpc_server:\n      port: 4266\n      ssl: true\n")
    check = run(codeloc_bin, "check", "-w", str(workspace))
    assert check.returncode == 1
    assert check.stderr.startswith(
        f"{workspace}:4:12: 'ssl' in grpc_server: TLS is not supported yet"), check.stderr
