"""Dagster's own UI on codeloc (docs/dagster.md): the real `codeloc serve`, and the real
dagster-webserver and dagster-daemon of build/venvs/dagster pointed at the workspace that
`codeloc dagster-workspace` writes. Everything is checked through Dagster's GraphQL API, as a
user's browser talks to it (tests/integration/dagster_graphql.py), over loopback.

Runs: the test's DAGSTER_HOME (in its tmp dir) sets the DefaultRunCoordinator, so a launchRun is
started at once by the webserver's run launcher (the location's StartRun) with no dagster-daemon to
dequeue it; dagster-daemon runs only where it is the subject (sensor ticks).

Every process a test starts is stopped by its pid or process group: the daemon by the harness,
dagster-webserver, dagster-daemon and `dagster api grpc` (each in a session of its own) by their
process group. At the end of every test each pid it saw (the code servers the daemon reported,
draining ones too, the fork server, the webserver's and dagster-daemon's groups, the run workers
the asset recorded) must be gone.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import textwrap
import time

import pytest

import dagster_graphql as gql
from conftest import BUILD_DIR
from daemon_harness import pid_alive, wait_for

DAGSTER_PYTHON = pathlib.Path(os.environ.get("CODELOC_DAGSTER_PYTHON")
                              or BUILD_DIR / "venvs" / "dagster" / "bin" / "python")
DAGSTER_BIN = DAGSTER_PYTHON.parent
SLOW = 180  # deadline for anything that imports dagster on a busy 2-core machine


@pytest.fixture(autouse=True)
def need_dagster():
    for path in (DAGSTER_PYTHON, DAGSTER_BIN / "dagster-webserver", DAGSTER_BIN / "dagster-daemon"):
        if not path.exists():
            pytest.skip(f"{path} is missing: run scripts/python-envs.sh")


# The code of a location ------------------------------------------------------------------------
def defs_source(io: pathlib.Path, assets: tuple[str, ...] = (), sensor: bool = False,
                broken: bool = False) -> str:
    """A location's defs.py: the asset `numbers`, one more asset per name in `assets`, the asset
    `waits_for_gate` and its job `wait_job` (in-process executor, so the asset runs in the run
    worker itself), and with `sensor` a sensor evaluated every second. The asset and the sensor
    record where they ran in `io` (outside the location's watched folder): runs/<run id>.json,
    sensor/<pid>.json; the asset waits until the test creates gates/<run id>."""
    extra = "".join(f"\n\n@dg.asset\ndef {name}():\n    return 1\n" for name in assets)
    text = textwrap.dedent(f"""\
        import json
        import os
        import sys
        import time

        import dagster as dg

        IO = {str(io)!r}


        def record(folder, name, **more):
            os.makedirs(os.path.join(IO, folder), exist_ok=True)
            data = dict(pid=os.getpid(), ppid=os.getppid(), pgid=os.getpgid(0),
                        instance=os.environ.get("CODELOC_INSTANCE"), executable=sys.executable,
                        cwd=os.getcwd(), marker=os.environ.get("CODELOC_TEST_MARKER"), **more)
            path = os.path.join(IO, folder, name + ".json")
            with open(path + ".tmp", "w") as f:
                json.dump(data, f)
            os.replace(path + ".tmp", path)


        @dg.asset
        def numbers():
            return [1, 2, 3]


        @dg.asset
        def waits_for_gate(context):
            record("runs", context.run_id)
            gate = os.path.join(IO, "gates", context.run_id)
            while not os.path.exists(gate):
                time.sleep(0.05)
            return 1


        wait_job = dg.define_asset_job("wait_job", selection=["waits_for_gate"],
                                       executor_def=dg.in_process_executor)


        @dg.sensor(minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
        def every_second(context):
            record("sensor", str(os.getpid()))
            return dg.SkipReason("nothing to do")
        """) + extra
    assets_list = ", ".join(["numbers", "waits_for_gate", *assets])
    sensors = "[every_second]" if sensor else "[]"
    text += (f"\n\ndefs = dg.Definitions(assets=[{assets_list}], jobs=[wait_job], "
             f"sensors={sensors})\n")
    if broken:
        text += "\n\ndef oops(:\n    pass\n"
    return text


class Project:
    """One location's folder (its working directory, the one the daemon watches) and the folder
    where its code records where it ran."""

    def __init__(self, root: pathlib.Path, name: str):
        self.name = name
        self.folder = root / name
        self.folder.mkdir(parents=True)
        self.io = root / f"{name}_io"
        (self.io / "gates").mkdir(parents=True)
        self.file = self.folder / "defs.py"
        self.size = -1

    def write(self, **kwargs) -> None:
        """Saves defs.py (a temporary file renamed over it, as editors do). Python trusts a .pyc
        whose source has the same size and mtime in whole seconds: a save that would keep the
        size gets a comment line."""
        text = defs_source(self.io, **kwargs)
        if len(text.encode()) == self.size:
            text += "# .\n"
        self.size = len(text.encode())
        temporary = self.folder / ".defs.py.save"
        temporary.write_text(text)
        os.replace(temporary, self.file)

    def entry(self, extra: str = "") -> str:
        return (f"  - python_file:\n"
                f"      relative_path: {self.file}\n"
                f"      location_name: {self.name}\n"
                f"      working_directory: {self.folder}\n"
                f"      executable_path: {DAGSTER_PYTHON}\n{extra}")

    def run_record(self, run_id: str) -> dict | None:
        path = self.io / "runs" / f"{run_id}.json"
        return json.loads(path.read_text()) if path.exists() else None

    def open_gate(self, run_id: str) -> None:
        (self.io / "gates" / run_id).write_text("go\n")

    def sensor_records(self) -> list[dict]:
        folder = self.io / "sensor"
        if not folder.exists():
            return []
        return [json.loads(p.read_text()) for p in folder.glob("*.json")]


# Processes -------------------------------------------------------------------------------------
class UI:
    """One test's codeloc daemon with Dagster's webserver (and dagster-daemon) on its workspace,
    and every pid the test saw."""

    def __init__(self, daemon_factory, tmp_path: pathlib.Path):
        self.daemon_factory = daemon_factory
        self.tmp = tmp_path
        # Short: the stable sockets <state_dir>/dagster/<name>.sock must fit in sun_path.
        self.state_dir = pathlib.Path(tempfile.mkdtemp(prefix="codeloc-ui-"))
        self.home = gql.dagster_home(tmp_path / "dagster_home")
        self.d = None
        self.processes: list[gql.Process] = []
        self.seen: set[int] = set()
        self.client: gql.Client | None = None
        self.web: gql.Process | None = None

    def start_codeloc(self, entries: str, watch: bool = False, extra=()) -> "UI":
        args = ["--startup-timeout", "180s", "--state-dir", str(self.state_dir), *extra]
        if watch:
            args += ["--watch", "--watch-debounce", "100ms"]
        self.d = self.daemon_factory("load_from:\n" + entries, extra_args=args,
                                     workdir=self.tmp).start()
        return self

    # codeloc --------------------------------------------------------------------------------
    def locations(self) -> dict[str, dict]:
        """locations.list by name; every pid in it (the serving and the draining generations)
        is recorded."""
        locations = self.d.locations()
        for loc in locations.values():
            if loc.get("pid"):
                self.note(loc["pid"])
            for pid in loc.get("draining") or []:
                self.note(pid)
        for server in self.d.rpc("daemon.info")["result"].get("fork_servers") or []:
            if server.get("pid"):
                self.note(server["pid"])
        for pid in descendants(self.d.proc.pid):  # run workers and whatever else they started
            self.note(pid)
        return locations

    def note(self, pid: int) -> None:
        self.seen.add(pid)
        self.d.known_pids.add(pid)  # the harness kills it at teardown if it is still alive

    def wait_loaded(self, name: str, where=lambda loc: True) -> dict:
        """LOADED (per `where`) with its Dagster gRPC server published."""
        def reached():
            loc = self.locations().get(name)
            grpc = (loc or {}).get("dagster_grpc") or {}
            return loc if (loc and loc["state"] == "LOADED" and grpc.get("published")
                           and where(loc)) else None

        try:
            return wait_for(reached, f"{name} LOADED and published", SLOW)
        except AssertionError as e:
            raise AssertionError(f"{e}; now {self.d.locations().get(name)}\n"
                                 f"--- daemon log ---\n{self.d.log()[-6000:]}") from None

    def definitions(self, name: str) -> dict:
        reply = self.d.rpc("location.definitions", {"name": name})
        assert "result" in reply, reply
        return reply["result"]

    def codeloc_assets(self, name: str) -> set[str]:
        return {"/".join(a["key"]) for a in self.definitions(name)["definitions"]["assets"]}

    def codeloc(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.d.binary), *args, "--socket", str(self.d.socket)],
                              capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)

    def write_workspace(self) -> pathlib.Path:
        """`codeloc dagster-workspace -o FILE`: the webserver's workspace."""
        path = self.tmp / "dagster-workspace.yaml"
        done = self.codeloc("dagster-workspace", "-o", str(path))
        assert done.returncode == 0, f"codeloc dagster-workspace: {done.stderr}"
        return path

    # Dagster ----------------------------------------------------------------------------------
    def start_webserver(self, dagster_daemon: bool = False) -> gql.Client:
        workspace = self.write_workspace()
        port = gql.free_port()
        self.web = gql.webserver(DAGSTER_BIN, workspace, port, self.home,
                                 self.tmp / "webserver.log")
        self.processes.append(self.web)
        self.client = gql.Client(port)
        gql.wait_ready(self.client, self.web, SLOW)
        if dagster_daemon:
            # Only once the webserver has made the instance's SQLite storage: two processes
            # creating the tables of a fresh DAGSTER_HOME at once race ("table ... already
            # exists").
            self.processes.append(gql.daemon(DAGSTER_BIN, workspace, self.home,
                                             self.tmp / "dagster-daemon.log"))
        return self.client

    def graphql(self, condition, what: str, timeout: float = SLOW):
        """Polls workspaceOrError until condition(locations) gives something truthy."""
        last = {}

        def check():
            try:
                last["locations"] = self.client.workspace()
            except (gql.GraphQLError, OSError) as e:
                last["locations"] = e
                return None
            return condition(last["locations"])

        try:
            return wait_for(check, what, timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}; GraphQL shows {last.get('locations')}\n"
                                 f"--- webserver log ---\n{self.web.log()[-4000:]}\n"
                                 f"--- daemon log ---\n{self.d.log()[-4000:]}") from None

    def graphql_location(self, name: str, where, what: str, timeout: float = SLOW) -> gql.Location:
        return self.graphql(lambda locs: locs[name] if name in locs and where(locs[name])
                            else None, what, timeout)

    def wait_run(self, run_id: str, statuses: set[str], timeout: float = SLOW) -> dict:
        last = {}

        def reached():
            last["run"] = self.client.run(run_id)
            return last["run"] if last["run"]["status"] in statuses else None

        try:
            return wait_for(reached, f"run {run_id} to be {sorted(statuses)}", timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}; now {last.get('run')}\n"
                                 f"--- webserver log ---\n{self.web.log()[-4000:]}\n"
                                 f"--- daemon log ---\n{self.d.log()[-6000:]}") from None

    # The end ----------------------------------------------------------------------------------
    def stop_dagster(self) -> None:
        for process in reversed(self.processes):
            self.seen |= process.group_pids() | {process.pid}
            process.stop()
        self.processes.clear()

    def finish(self, extra_pids: set[int] = frozenset()) -> None:
        """Stops the webserver and dagster-daemon, then codeloc (exit 0); every pid seen must be
        gone."""
        self.stop_dagster()
        if self.d is not None:
            self.locations()
            assert self.d.stop() == 0, self.d.log()[-4000:]
        pids = self.seen | set(extra_pids)
        try:
            wait_for(lambda: not [p for p in pids if pid_alive(p)],
                     "every process the test saw to be gone", SLOW)
        except AssertionError:
            left = [p for p in pids if pid_alive(p)]
            raise AssertionError(f"still alive: {[(p, cmdline(p)) for p in left]}") from None
        print(f"\n{len(pids)} processes seen, none left")

    def cleanup(self) -> None:
        for process in self.processes:
            process.stop()
        shutil.rmtree(self.state_dir, ignore_errors=True)


def descendants(root: int) -> set[int]:
    """The live descendants of `root` now (from /proc's parent links)."""
    children: dict[int, list[int]] = {}
    for pid, fields in gql.live_processes():
        children.setdefault(int(fields[1]), []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"


@pytest.fixture
def ui(daemon_factory, tmp_path):
    made = UI(daemon_factory, tmp_path)
    yield made
    made.cleanup()


def has_assets(*keys: str):
    return lambda loc: loc.loaded and set(keys) <= loc.assets


# Tests -----------------------------------------------------------------------------------------
def test_the_webserver_lists_both_locations_with_codelocs_asset_keys(ui, tmp_path):
    one, two = Project(tmp_path, "one"), Project(tmp_path, "two")
    one.write()
    two.write(assets=("only_in_two",))
    ui.start_codeloc(one.entry() + two.entry())
    for p in (one, two):
        loc = ui.wait_loaded(p.name)
        grpc = loc["dagster_grpc"]
        assert grpc["error"] is None and grpc["published"] is True
        assert grpc["socket"] == str(ui.state_dir / "dagster" / f"{p.name}.sock")
    workspace = ui.write_workspace().read_text()
    for p in (one, two):
        assert str(ui.state_dir / "dagster" / f"{p.name}.sock") in workspace

    client = ui.start_webserver()
    locations = ui.graphql(lambda locs: locs if all(
        n in locs and locs[n].loaded for n in ("one", "two")) else None,
        "both locations LOADED in GraphQL")
    assert set(locations) == {"one", "two"}
    for p in (one, two):
        theirs = ui.codeloc_assets(p.name)
        assert locations[p.name].assets == theirs
        assert locations[p.name].repositories == [gql.REPOSITORY]
        assert locations[p.name].jobs >= {"wait_job"}
    assert "only_in_two" in locations["two"].assets and "only_in_two" not in locations["one"].assets
    # The asset graph (top-level assetNodes) has one node per key: a key both locations define
    # shows under one of them.
    nodes = client.asset_nodes()
    assert set(nodes) <= {"one", "two"} and nodes["two"] >= {"only_in_two"}
    assert set().union(*nodes.values()) == ui.codeloc_assets("one") | ui.codeloc_assets("two")
    ui.finish()


def test_a_save_that_adds_an_asset_shows_in_the_webserver_by_itself(ui, tmp_path):
    p = Project(tmp_path, "watched")
    p.write()
    ui.start_codeloc(p.entry(), watch=True)
    before = ui.wait_loaded(p.name)
    ui.d.wait_log(r"watching 1 location\(s\)")
    ui.start_webserver()
    first = ui.graphql_location(p.name, has_assets("numbers"), "the location in GraphQL")
    assert "added_by_a_save" not in first.assets

    t0 = time.monotonic()
    p.write(assets=("added_by_a_save",))
    seen = ui.graphql_location(p.name, has_assets("added_by_a_save"),
                               "the new asset in GraphQL, with no request to reload")
    elapsed = time.monotonic() - t0
    print(f"\nsave to the new asset in dagster-webserver's GraphQL: {elapsed * 1000:.0f} ms")
    assert seen.server_id != first.server_id
    after = ui.wait_loaded(p.name, where=lambda loc: loc["pid"] != before["pid"])
    assert after["reloads"] >= before["reloads"] + 1
    assert seen.assets == ui.codeloc_assets(p.name)
    ui.finish()


def test_a_run_started_before_a_save_finishes_in_the_old_generation(ui, tmp_path):
    p = Project(tmp_path, "runs")
    p.write()
    ui.start_codeloc(p.entry("      env: {CODELOC_TEST_MARKER: from-the-entry}\n"), watch=True)
    old = ui.wait_loaded(p.name)
    ui.d.wait_log(r"watching 1 location\(s\)")
    client = ui.start_webserver()
    ui.graphql_location(p.name, has_assets("waits_for_gate"), "the location in GraphQL")

    finishing = client.launch_run(p.name, "wait_job")
    cancelled = client.launch_run(p.name, "wait_job")
    records = {}
    for run_id in (finishing, cancelled):
        records[run_id] = wait_for(lambda: p.run_record(run_id),
                                   f"run {run_id} to reach its asset", SLOW)
        assert client.run_status(run_id) == "STARTED"
    for record in records.values():
        # The run worker is the old generation's child, in its process group, with the location's
        # interpreter, environment and working directory.
        assert record["ppid"] == old["pid"], (record, old)
        assert record["pgid"] == os.getpgid(old["pid"])
        assert record["executable"] == str(DAGSTER_PYTHON), record
        assert record["marker"] == "from-the-entry", record
        assert record["cwd"] == str(p.folder), record
        ui.note(record["pid"])

    p.write(assets=("saved_during_the_runs",))
    new = ui.wait_loaded(p.name, where=lambda loc: loc["pid"] != old["pid"])
    ui.graphql_location(p.name, has_assets("saved_during_the_runs"), "the save in GraphQL")
    assert old["pid"] in new["draining"], new
    assert pid_alive(old["pid"]), "the old generation was stopped under its runs"

    # A cancel reaches the stable address (the new generation), which passes it on to the old.
    answer = client.terminate_run(cancelled)
    assert answer["__typename"] == "TerminateRunSuccess", answer
    ended = ui.wait_run(cancelled, gql.FINISHED)
    assert ended["status"] == "CANCELED", ended
    assert pid_alive(old["pid"]), "still draining: the other run is in flight"

    p.open_gate(finishing)
    done = ui.wait_run(finishing, gql.FINISHED)
    assert done["status"] == "SUCCESS", done
    wait_for(lambda: not pid_alive(old["pid"]), "the drained old generation to exit", SLOW)
    # Once the daemon has reaped it, it is no longer listed as draining.
    def none_draining():
        loc = ui.locations()[p.name]
        return loc if loc["draining"] == [] else None

    loc = wait_for(none_draining, "the daemon to reap the drained generation")
    assert loc["pid"] == new["pid"] and loc["state"] == "LOADED"

    # A run launched now runs in the new generation.
    third = client.launch_run(p.name, "wait_job")
    record = wait_for(lambda: p.run_record(third), "the third run to reach its asset", SLOW)
    assert record["ppid"] == new["pid"]
    ui.note(record["pid"])
    p.open_gate(third)
    assert ui.wait_run(third, gql.FINISHED)["status"] == "SUCCESS"
    ui.finish({r["pid"] for r in records.values()})


def test_dagster_daemon_ticks_a_sensor_of_a_codeloc_location(ui, tmp_path):
    p = Project(tmp_path, "sensing")
    p.write(sensor=True)
    ui.start_codeloc(p.entry())
    loc = ui.wait_loaded(p.name)
    client = ui.start_webserver(dagster_daemon=True)
    ui.graphql_location(p.name, lambda l: l.loaded and "every_second" in l.sensors,
                        "the sensor in GraphQL")

    def ticked():
        ticks = client.sensor_ticks(p.name, "every_second")
        return [t for t in ticks if t["status"] in ("SUCCESS", "SKIPPED")]

    try:
        ticks = wait_for(ticked, "a SUCCESS or SKIPPED tick of every_second", SLOW)
    except AssertionError as e:
        raise AssertionError(f"{e}; ticks {client.sensor_ticks(p.name, 'every_second')}\n"
                             f"--- dagster-daemon log ---\n{ui.processes[-1].log()[-4000:]}"
                             ) from None
    assert ticks[0]["skipReason"] == "nothing to do", ticks[0]
    sensor = client.sensor(p.name, "every_second")
    assert sensor["sensorState"]["status"] == "RUNNING"
    # Evaluated by codeloc's code server: the one the daemon reports.
    assert loc["pid"] in {r["pid"] for r in p.sensor_records()}, (loc, p.sensor_records())
    ui.finish()


def test_a_broken_save_shows_its_error_in_the_webserver_and_a_fix_brings_it_back(ui, tmp_path):
    p = Project(tmp_path, "fragile")
    p.write()
    ui.start_codeloc(p.entry(), watch=True)
    good = ui.wait_loaded(p.name)
    ui.d.wait_log(r"watching 1 location\(s\)")
    ui.start_webserver()
    ui.graphql_location(p.name, has_assets("numbers"), "the location in GraphQL")
    version = ui.definitions(p.name)["version"]

    p.write(broken=True)
    broken = ui.graphql_location(p.name, lambda loc: loc.error is not None,
                                 "the location's error in GraphQL")
    text = gql.error_text(broken.error)
    assert "SyntaxError" in text and "invalid syntax" in text, text
    assert str(p.file) in text, text
    # codeloc's own API keeps the last good definitions, stale, with the error beside them.
    status = ui.locations()[p.name]
    assert status["state"] == "LOAD_ERROR" and status["error"]["class_name"] == "SyntaxError"
    served = ui.definitions(p.name)
    assert served["version"] == version and served["stale"] is True

    p.write(assets=("after_the_fix",))
    fixed = ui.graphql_location(p.name, has_assets("numbers", "after_the_fix"),
                                "the fixed location in GraphQL")
    assert fixed.error is None
    ui.wait_loaded(p.name, where=lambda loc: loc["pid"] != good["pid"])
    assert fixed.assets == ui.codeloc_assets(p.name)
    ui.finish()


def test_a_grpc_server_entry_is_a_read_only_location(ui, tmp_path):
    p = Project(tmp_path, "ours")
    p.write()
    external = Project(tmp_path, "external")
    external.write(assets=("served_elsewhere",))
    grpc_dir = pathlib.Path(tempfile.mkdtemp(prefix="codeloc-grpc-"))
    grpc_socket = grpc_dir / "ext.sock"
    server = gql.Process([DAGSTER_BIN / "dagster", "api", "grpc", "--socket", grpc_socket,
                          "-f", external.file, "-d", external.folder],
                         tmp_path / "grpc.log", env={"DAGSTER_HOME": str(ui.home)},
                         cwd=external.folder)
    ui.processes.append(server)
    try:
        wait_for(lambda: "Started Dagster code server" in server.log() or not server.alive(),
                 "dagster api grpc to serve", SLOW)
        assert server.alive(), server.log()
        # A grpc_server: entry names no interpreter: codeloc's reader of the server runs on the
        # daemon's `python` setting, which needs dagster (this machine's python3 has none).
        ui.start_codeloc(p.entry() + f"  - grpc_server:\n      socket: {grpc_socket}\n"
                                     f"      location_name: ext\n",
                         extra=["--python", str(DAGSTER_PYTHON)])
        ui.wait_loaded(p.name)
        loc = ui.d.wait_state("ext", None, SLOW,
                              where=lambda l: l["state"] in ("LOADED", "LOAD_ERROR"))
        assert loc["state"] == "LOADED", (loc["error"], ui.d.log()[-3000:])
        assert loc["kind"] == "grpc_server", loc
        assert loc["dagster_grpc"]["socket"] == str(grpc_socket), loc

        status = ui.codeloc("status")
        assert status.returncode == 0, status.stderr
        rows = {line.split()[0]: line.split() for line in status.stdout.splitlines()[1:]}
        assert rows["ext"][1:3] == ["grpc_server", "LOADED"], status.stdout
        defs = ui.codeloc("defs", "ext")
        assert defs.returncode == 0, defs.stderr
        assert "served_elsewhere" in defs.stdout, defs.stdout
        assert "served_elsewhere" in ui.codeloc_assets("ext")

        written = ui.codeloc("dagster-workspace")
        assert written.returncode == 0, written.stderr
        assert f"socket: {grpc_socket}" in written.stdout, written.stdout
        assert "location_name: ext" in written.stdout, written.stdout
        assert str(ui.state_dir / "dagster" / "ours.sock") in written.stdout, written.stdout

        # The webserver on that workspace loads both: the entry reaches the server directly.
        ui.start_webserver()
        locations = ui.graphql(lambda locs: locs if all(
            n in locs and locs[n].loaded for n in ("ours", "ext")) else None,
            "both locations LOADED in GraphQL")
        assert locations["ext"].assets == ui.codeloc_assets("ext")
        assert "served_elsewhere" in locations["ext"].assets
        ui.finish({server.pid})
    finally:
        shutil.rmtree(grpc_dir, ignore_errors=True)


def test_the_uis_reload_reloads_the_location_in_codeloc(ui, tmp_path):
    p = Project(tmp_path, "reloadable")
    p.write()
    ui.start_codeloc(p.entry())  # not watching: only the UI's reload can bring the change in
    before = ui.wait_loaded(p.name)
    client = ui.start_webserver()
    first = ui.graphql_location(p.name, has_assets("numbers"), "the location in GraphQL")

    p.write(assets=("after_the_reload",))
    answer = client.reload_location(p.name)
    assert answer["locationOrLoadError"]["__typename"] == "RepositoryLocation", answer
    assert answer["locationOrLoadError"]["serverId"] != first.server_id, answer
    after = ui.wait_loaded(p.name, where=lambda loc: loc["pid"] != before["pid"])
    assert after["reloads"] == before["reloads"] + 1, (before, after)
    assert "after_the_reload" in ui.codeloc_assets(p.name)
    seen = ui.graphql_location(p.name, has_assets("after_the_reload"), "the reload in GraphQL")
    assert seen.assets == ui.codeloc_assets(p.name)
    ui.finish()
