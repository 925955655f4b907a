"""`serve --ui` (and `dev --ui`): the daemon runs Dagster's webserver and daemon itself, from the
environment of build/venvs/dagster, on the workspace it writes (<state_dir>/dagster/workspace.yaml),
and stops them (their whole process groups) before the locations. Also `codeloc dagster-workspace`.

Every process is stopped by pid: the daemon by the harness; the helpers are the daemon's, and each
test checks that none of their process groups' members is left once the daemon has stopped.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import urllib.request

import pytest

from conftest import BUILD_DIR
from daemon_harness import pid_alive, wait_for

DAGSTER_PYTHON = pathlib.Path(os.environ.get("CODELOC_DAGSTER_PYTHON")
                              or BUILD_DIR / "venvs" / "dagster" / "bin" / "python")
SLOW = 180  # importing dagster three times over on a busy 2-core machine


@pytest.fixture(autouse=True)
def need_dagster():
    for name in ("python", "dagster-webserver", "dagster-daemon"):
        if not (DAGSTER_PYTHON.parent / name).exists():
            pytest.skip(f"{DAGSTER_PYTHON.parent / name} is missing: run scripts/python-envs.sh")


@pytest.fixture
def state_dir():
    # Short: the stable sockets <state_dir>/dagster/<name>.sock must fit in sun_path.
    path = pathlib.Path(tempfile.mkdtemp(prefix="codeloc-uih-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def project(root: pathlib.Path, name: str, asset: str) -> str:
    """A python_file location of the dagster venv with one asset; its workspace entry."""
    folder = root / name
    folder.mkdir()
    (folder / "defs.py").write_text(textwrap.dedent(f"""\
        import dagster as dg


        @dg.asset
        def {asset}():
            return 1


        defs = dg.Definitions(assets=[{asset}])
        """))
    return (f"  - python_file:\n"
            f"      relative_path: {folder / 'defs.py'}\n"
            f"      location_name: {name}\n"
            f"      working_directory: {folder}\n"
            f"      executable_path: {DAGSTER_PYTHON}\n")


def command_entry(name: str, server: pathlib.Path) -> str:
    return f"  - command:\n      location_name: {name}\n      argv: [\"{server}\"]\n"


def dagster_home(path: pathlib.Path) -> pathlib.Path:
    path.mkdir()
    (path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return path


def http(port: int, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"} if body is not None else {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def graphql_locations(port: int) -> dict[str, str]:
    """The webserver's code locations: name -> RepositoryLocation | PythonError | ..."""
    query = """{ workspaceOrError { ... on Workspace { locationEntries {
                   name locationOrLoadError { __typename } } } } }"""
    data = http(port, "/graphql", {"query": query})["data"]
    return {e["name"]: (e["locationOrLoadError"] or {}).get("__typename")
            for e in data["workspaceOrError"]["locationEntries"]}


def load_yaml(text: str):
    """YAML as Dagster reads it: PyYAML of the dagster venv (the test venv has no yaml)."""
    done = subprocess.run(
        [str(DAGSTER_PYTHON), "-c",
         "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))"],
        input=text, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def group_members(groups: set[int]) -> list[int]:
    """Live processes whose process group is one of `groups`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) in groups and fields[0] not in ("Z", "X"):
            found.append(int(entry))
    return found


def codeloc(d, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(d.binary), *args, "--socket", str(d.socket)], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def helpers(d) -> dict:
    return d.rpc("daemon.info")["result"]["dagster_ui"]


def test_serve_ui_runs_dagsters_webserver_and_daemon_and_stops_them_first(
        daemon_factory, test_server, tmp_path, state_dir):
    port = free_port()
    home = dagster_home(tmp_path / "dagster_home")
    entries = project(tmp_path, "numbers", "numbers") + command_entry("etl", test_server)
    d = daemon_factory("load_from:\n" + entries, extra_args=[
        "--ui", "--ui-port", str(port), "--state-dir", str(state_dir), "--dagster-home", str(home),
        "--startup-timeout", "180s", "--stop-timeout", "20s"]).start()
    d.wait_log(rf"Dagster UI: http://127\.0\.0\.1:{port}$", timeout=SLOW)
    # Started only once every location had settled.
    log = d.log()
    assert log.index("numbers: STARTING -> LOADED") < log.index("dagster-webserver started"), log
    assert log.index("etl: STARTING -> LOADED") < log.index("dagster-webserver started"), log

    # The webserver answers over loopback, and serves the location through its stable socket.
    assert http(port, "/server_info")["dagster_webserver_version"]
    assert http(port, "/graphql", {"query": "{ version }"})["data"]["version"]
    wait_for(lambda: graphql_locations(port) == {"numbers": "RepositoryLocation"},
             "the webserver to load the location", SLOW)

    info = helpers(d)
    processes = {p["name"]: p for p in info["processes"]}
    assert set(processes) == {"dagster-webserver", "dagster-daemon"}, info
    for process in processes.values():
        assert process["state"] == "running" and process["pid"], info
        assert pid_alive(process["pid"]), info
        d.known_pids.add(process["pid"])  # killed at teardown if the test fails
    assert info["url"] == f"http://127.0.0.1:{port}" and info["ready"] is True, info
    assert info["dagster_home"] == str(home), info
    assert info["workspace"] == str(state_dir / "dagster" / "workspace.yaml"), info
    assert info["python"] == str(DAGSTER_PYTHON), info
    groups = {p["pid"] for p in processes.values()}
    assert {os.getpgid(pid) for pid in groups} == groups, "each leads its own process group"
    shown = codeloc(d, "info")
    assert f"http://127.0.0.1:{port}" in shown.stdout, shown.stdout
    for name, process in processes.items():
        assert re.search(rf"^  {name} +running, pid {process['pid']}$", shown.stdout,
                         re.MULTILINE), shown.stdout

    # The workspace the helpers read is the one `codeloc dagster-workspace` prints: the Python
    # location's stable socket; the command: location has no Dagster gRPC and is left out.
    written = (state_dir / "dagster" / "workspace.yaml").read_text()
    printed = codeloc(d, "dagster-workspace")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == written
    socket_path = str(state_dir / "dagster" / "numbers.sock")
    assert load_yaml(written) == {"load_from": [
        {"grpc_server": {"socket": socket_path, "location_name": "numbers"}}]}
    out = tmp_path / "out" / "workspace.yaml"
    out.parent.mkdir()
    assert codeloc(d, "dagster-workspace", "-o", str(out)).returncode == 0
    assert out.read_text() == written
    assert [p.name for p in out.parent.iterdir()] == ["workspace.yaml"], "no temporary file left"
    as_json = codeloc(d, "dagster-workspace", "--json")
    assert json.loads(as_json.stdout) == load_yaml(written)

    # A reload of the location's code leaves the file alone (same stable socket) ...
    before = written
    assert codeloc(d, "reload", "numbers").returncode == 0
    assert (state_dir / "dagster" / "workspace.yaml").read_text() == before
    # ... an added location rewrites it, and the webserver is asked to reload its workspace.
    d.workspace.write_text("load_from:\n" + entries + project(tmp_path, "more", "more_numbers"))
    d.signal(signal.SIGHUP)
    d.wait_log(r"Dagster UI: the locations changed; .*workspace\.yaml rewritten", timeout=SLOW)
    assert [e["grpc_server"]["location_name"] for e in load_yaml(
        (state_dir / "dagster" / "workspace.yaml").read_text())["load_from"]] == ["numbers", "more"]
    wait_for(lambda: graphql_locations(port).get("more") == "RepositoryLocation",
             "the webserver to show the added location", SLOW)

    # dagster-daemon started once the webserver answered; its first lines reach the daemon's log.
    d.wait_log(r"dagster-daemon: ", timeout=SLOW)
    log = d.log()
    assert log.index("Dagster UI: http") < log.index("dagster-daemon started"), log
    # SIGTERM: the helpers stop first, then the locations; nothing of their groups is left.
    assert d.stop(timeout=SLOW) == 0, d.log()[-4000:]
    log = d.log()
    assert log.index("dagster-webserver stopped") < log.index("numbers: LOADED -> STOPPING"), log
    assert log.index("dagster-daemon stopped") < log.index("numbers: LOADED -> STOPPING"), log
    assert not [pid for pid in groups if pid_alive(pid)]
    assert group_members(groups) == []
    # Their lines are in the daemon's log under their names, without Dagster's colour codes.
    assert "dagster-webserver: " in log and "dagster-daemon: " in log
    assert "\x1b[" not in log


def test_ui_python_without_dagster_webserver_is_a_clear_error_and_the_location_loads(
        daemon_factory, tmp_path, state_dir):
    # A Python environment without dagster-webserver: a folder with only an interpreter.
    bare = tmp_path / "bare" / "bin"
    bare.mkdir(parents=True)
    (bare / "python").symlink_to(shutil.which("python3"))
    d = daemon_factory("load_from:\n" + project(tmp_path, "numbers", "numbers"), extra_args=[
        "--ui", "--ui-port", str(free_port()), "--ui-python", str(bare / "python"),
        "--state-dir", str(state_dir), "--startup-timeout", "180s"]).start()
    d.wait_state("numbers", "LOADED", timeout=SLOW)
    line = d.wait_log(r"Dagster UI: .*does not exist", timeout=SLOW)[0]
    assert str(bare / "dagster-webserver") in line, line
    assert "pip install dagster-webserver" in line, line
    assert "the locations keep running" in line, line
    info = helpers(d)
    assert "pip install dagster-webserver" in info["error"], info
    assert [p["state"] for p in info["processes"]] == ["failed", "failed"], info
    assert all(p["pid"] is None for p in info["processes"]), info
    assert d.locations()["numbers"]["state"] == "LOADED"
    assert d.stop(timeout=SLOW) == 0


def test_default_dagster_home_is_made_under_the_state_dir(daemon_factory, tmp_path, state_dir):
    port = free_port()
    d = daemon_factory("load_from:\n" + project(tmp_path, "numbers", "numbers"), extra_args=[
        "--ui", "--ui-port", str(port), "--state-dir", str(state_dir),
        "--startup-timeout", "180s"], env={"DAGSTER_HOME": ""}).start()
    d.wait_log(rf"Dagster UI: http://127\.0\.0\.1:{port}$", timeout=SLOW)
    info = helpers(d)
    for process in info["processes"]:
        d.known_pids.add(process["pid"])
    assert info["dagster_home"] == str(state_dir / "dagster" / "home"), info
    assert (state_dir / "dagster" / "home").is_dir()
    groups = {p["pid"] for p in info["processes"]}
    assert d.stop(timeout=SLOW) == 0
    assert group_members(groups) == []


def test_dagster_workspace_needs_a_daemon(codeloc_bin, tmp_path):
    done = subprocess.run([str(codeloc_bin), "dagster-workspace", "--socket",
                           str(tmp_path / "none.sock")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 3, done
    assert "none.sock" in done.stderr
