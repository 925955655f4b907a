"""A save while a real Dagster location is loading (`serve --watch`): the change is remembered and
the location loads the new code once the running load ends, whether that load was a first start
(STARTING, also while it waits for its fork server's warm-up), a reload (RELOADING) or one that
failed.

The location's module blocks at import until the test creates a release file (it polls for it),
so "the save comes during the import" is under the test's control, not a matter of timing: the
module first writes a "reached" file naming its version, so the test knows which version is being
imported, and the gate files live outside the watched project, so they reload nothing."""
import pathlib

import pytest

from conftest import BUILD_DIR
from daemon_harness import RpcClient, wait_for

PYTHON = BUILD_DIR / "venvs" / "dagster" / "bin" / "python"
LOAD_DEADLINE = 180


def watch_load_module(gate: pathlib.Path, version: int, asset: str, broken: bool = False) -> str:
    """The module of version `version`: blocks until gate/release, then defines `asset`."""
    # After the gate, so that the failure comes at the end of a long import.
    tail = 'raise RuntimeError("broken on purpose")\n' if broken else ""
    return f"""import pathlib
import time

import dagster as dg

GATE = pathlib.Path({str(gate)!r})
(GATE / "reached").write_text("{version}")
while not (GATE / "release").exists():
    time.sleep(0.01)


@dg.asset
def {asset}():
    return {version}


defs = dg.Definitions(assets=[{asset}])
{tail}"""


class WatchLoadProject:
    """tmp_path/project/defs.py, loaded by one python_file location `slow` under --watch."""

    def __init__(self, daemon_factory, tmp_path: pathlib.Path):
        if not PYTHON.exists():
            pytest.skip(f"{PYTHON} is missing: run scripts/python-envs.sh")
        self.gate = tmp_path / "gate"
        self.gate.mkdir()
        self.project = tmp_path / "project"
        self.project.mkdir()
        self.source = self.project / "defs.py"
        workspace = f"""load_from:
  - python_file:
      relative_path: {self.source}
      location_name: slow
      working_directory: {self.project}
      executable_path: {PYTHON}
"""
        self.daemon_factory = daemon_factory
        self.workspace = workspace
        self.d = None
        self.events = None

    def start(self, extra_args=(), env=None):
        self.d = self.daemon_factory(
            self.workspace, env=env,
            extra_args=["--watch", "--startup-timeout", f"{LOAD_DEADLINE}s", *extra_args])
        self.d.start()
        self.events = RpcClient(self.d.socket)
        self.events.sock.settimeout(LOAD_DEADLINE)
        self.events.call("events.subscribe", {"topics": ["reload"]})
        return self.d

    def save(self, version: int, asset: str, broken: bool = False):
        self.source.write_text(watch_load_module(self.gate, version, asset, broken))

    def hold(self):
        (self.gate / "release").unlink(missing_ok=True)

    def release(self):
        (self.gate / "release").write_text("")

    def wait_importing(self, version: int):
        """Until the location's process is importing `version` (blocked at the gate)."""
        reached = self.gate / "reached"
        wait_for(lambda: reached.exists() and reached.read_text() == str(version),
                 f"the import of version {version} to reach the gate", LOAD_DEADLINE)

    def wait_change_seen(self, state: str):
        """Until the daemon has taken the save in (a reload is queued behind the running load)."""
        self.d.wait_state("slow", state, where=lambda loc: loc.get("reload_queued") is True,
                          timeout=LOAD_DEADLINE)

    def next_reload(self) -> dict:
        while True:
            message = self.events.read()
            if message.get("method") == "event.reloaded":
                return message["params"]

    def asset_keys(self) -> list:
        reply = self.d.rpc("location.definitions", {"name": "slow"})
        assert "result" in reply, reply
        return [a["key"] for a in reply["result"]["definitions"]["assets"]]

    def close(self):
        if self.events:
            self.events.close()


@pytest.fixture
def watch_load(daemon_factory, tmp_path):
    project = WatchLoadProject(daemon_factory, tmp_path)
    yield project
    project.release()  # never leave a code server blocked at the gate
    project.close()


def test_a_save_during_the_first_load_is_loaded_once_it_has_loaded(watch_load):
    p = watch_load
    p.save(1, "old_asset")
    d = p.start()
    p.wait_importing(1)
    assert d.locations()["slow"]["state"] == "STARTING"
    p.save(2, "new_asset_after_the_first_load")
    p.wait_change_seen("STARTING")
    p.release()
    reloaded = p.next_reload()
    assert reloaded["outcome"] == "LOADED", reloaded
    assert reloaded["assets_added"] == ["new_asset_after_the_first_load"], reloaded
    assert p.asset_keys() == [["new_asset_after_the_first_load"]]
    assert d.locations()["slow"]["reload_queued"] is False
    assert d.stop() == 0


def test_a_save_during_a_reload_is_loaded_once_the_reload_has_loaded(watch_load):
    p = watch_load
    p.save(1, "old_asset")
    p.release()
    d = p.start()
    d.wait_state("slow", "LOADED", timeout=LOAD_DEADLINE)
    p.hold()
    p.save(2, "middle_asset")
    p.wait_importing(2)
    assert d.locations()["slow"]["state"] == "RELOADING"
    p.save(3, "newest_asset_after_the_reload")
    p.wait_change_seen("RELOADING")
    p.release()
    first = p.next_reload()
    assert first["outcome"] == "LOADED" and first["assets_added"] == ["middle_asset"], first
    second = p.next_reload()
    assert second["outcome"] == "LOADED", second
    assert second["assets_added"] == ["newest_asset_after_the_reload"], second
    assert p.asset_keys() == [["newest_asset_after_the_reload"]]
    assert d.stop() == 0


def test_a_fix_saved_during_a_first_load_that_fails_is_loaded(watch_load):
    p = watch_load
    p.save(1, "broken_asset", broken=True)
    d = p.start()
    p.wait_importing(1)
    p.save(2, "fixed_asset_after_the_failed_load")
    p.wait_change_seen("STARTING")
    p.release()
    fixed = p.next_reload()
    assert fixed["outcome"] == "LOADED", fixed
    assert p.asset_keys() == [["fixed_asset_after_the_failed_load"]]
    status = d.locations()["slow"]
    assert status["state"] == "LOADED" and status["reload_queued"] is False
    assert d.stop() == 0


def test_a_save_while_the_fork_server_warms_up_is_served(watch_load, tmp_path):
    """The first start of a Python location waits, STARTING with no process, for its fork
    server's import of dagster (docs/warm.md); here that import is held at the gate too, by a
    preloaded module of the test's own."""
    p = watch_load
    preload = tmp_path / "preload"
    preload.mkdir()
    (preload / "watch_load_gate.py").write_text(f"""import pathlib
import time

GATE = pathlib.Path({str(p.gate)!r})
(GATE / "reached").write_text("fork server")
while not (GATE / "release").exists():
    time.sleep(0.01)
""")
    p.save(1, "old_asset")
    d = p.start(extra_args=["--warm-preload", "dagster,watch_load_gate"],
                env={"PYTHONPATH": str(preload)})
    p.wait_importing("fork server")
    slow = d.locations()["slow"]
    assert slow["state"] == "STARTING" and slow["pid"] is None, slow
    p.save(2, "new_asset_saved_during_the_warm_up")
    p.wait_change_seen("STARTING")
    p.release()
    d.wait_state("slow", "LOADED", timeout=LOAD_DEADLINE,
                 where=lambda loc: loc["reload_queued"] is False)
    assert p.asset_keys() == [["new_asset_saved_during_the_warm_up"]]
    assert d.stop() == 0
