"""Every Python location also serves Dagster's own gRPC API, at a stable socket per location that a
reload does not change (docs/dagster.md). Dagster's own client (tests/integration/
dagster_grpc_probe.py, run by the dagster venv's interpreter) is the oracle."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import BUILD_DIR
from daemon_harness import pid_alive, wait_for

PROBE = pathlib.Path(__file__).with_name("dagster_grpc_probe.py")
DAGSTER_PYTHON = pathlib.Path(
    os.environ.get("CODELOC_DAGSTER_PYTHON", BUILD_DIR / "venvs" / "dagster" / "bin" / "python"))

DEFS = """import dagster as dg

@dg.asset
def first():
    return 1
{extra}
defs = dg.Definitions(assets=[v for v in list(globals().values()) if isinstance(v, dg.AssetsDefinition)])
"""


@pytest.fixture(autouse=True)
def need_dagster():
    if not DAGSTER_PYTHON.exists():
        pytest.skip(f"{DAGSTER_PYTHON} is missing: run scripts/python-envs.sh")


def probe(command: str, socket: str):
    done = subprocess.run([str(DAGSTER_PYTHON), str(PROBE), command, socket], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    out = done.stdout.strip()
    return out if command == "id" else json.loads(out)


def workspace(tmp_path: pathlib.Path, extra: str = "", name: str = "loc") -> str:
    (tmp_path / "defs.py").write_text(DEFS.format(extra=extra))
    return f"""load_from:
  - python_file:
      relative_path: {tmp_path / 'defs.py'}
      location_name: {name}
      executable_path: {DAGSTER_PYTHON}
"""


def grpc_field(d, name: str) -> dict:
    return d.locations()[name]["dagster_grpc"]


def test_a_loaded_location_is_published_and_a_reload_swaps_the_server_behind_one_path(
        daemon_factory, tmp_path):
    d = daemon_factory(workspace(tmp_path)).start()
    first = d.wait_state("loc", "LOADED")
    address = grpc_field(d, "loc")
    assert address["published"] is True and address["error"] is None, address
    stable = address["socket"]
    assert stable == str(d.state_dir / "dagster" / "loc.sock")
    assert pathlib.Path(stable).is_socket()
    old_id = probe("id", stable)
    assert probe("assets", stable) == ["first"]
    # The server id is the one the code server logged for its own private socket.
    d.wait_log(rf"Dagster gRPC server {old_id} on .*/dagster/gen/loc\.\d+\.sock")
    old_private = sorted((d.state_dir / "dagster" / "gen").iterdir())
    assert len(old_private) == 1

    (tmp_path / "defs.py").write_text(DEFS.format(extra="\n@dg.asset\ndef second():\n    return 2\n"))
    reply = d.rpc("location.reload", {"name": "loc", "wait": True})["result"]
    assert reply["state"] == "LOADED" and reply["changed"] is True, reply
    assert grpc_field(d, "loc")["socket"] == stable
    new_id = probe("id", stable)
    assert new_id != old_id
    assert probe("assets", stable) == ["first", "second"]
    # The old generation had no run in flight: it drained at once and exited by itself.
    wait_for(lambda: not pid_alive(first["pid"]), "the old code server to exit")
    d.wait_log(rf"the replaced code server {first['pid']} finished its Dagster runs and exited "
               r"with code 0")
    wait_for(lambda: not old_private[0].exists(), "the old generation's private socket to go")
    assert d.locations()["loc"]["draining"] == []

    assert d.stop() == 0
    assert not pathlib.Path(stable).exists(), "a stopped daemon leaves no stable socket"


def test_a_load_error_is_served_by_dagsters_server_while_codeloc_keeps_the_last_good_snapshot(
        daemon_factory, tmp_path):
    d = daemon_factory(workspace(tmp_path)).start()
    d.wait_state("loc", "LOADED")
    stable = grpc_field(d, "loc")["socket"]
    good = d.rpc("location.definitions", {"name": "loc"})["result"]["version"]

    (tmp_path / "defs.py").write_text(DEFS.format(extra="import no_such_module_for_codeloc\n"))
    reply = d.rpc("location.reload", {"name": "loc", "wait": True})["result"]
    assert reply["state"] == "LOAD_ERROR", reply
    listing = probe("list", stable)
    assert "No module named 'no_such_module_for_codeloc'" in listing["error"], listing
    served = d.rpc("location.definitions", {"name": "loc"})["result"]
    assert served["version"] == good and served["stale"] is True

    (tmp_path / "defs.py").write_text(DEFS.format(extra=""))
    assert d.rpc("location.reload", {"name": "loc", "wait": True})["result"]["state"] == "LOADED"
    assert probe("list", stable)["repositories"] == ["__repository__"]


def test_reload_code_from_dagster_reloads_the_location_in_codeloc(daemon_factory, tmp_path):
    """The Dagster UI's Reload button sends ReloadCode to the stable path."""
    d = daemon_factory(workspace(tmp_path)).start()
    d.wait_state("loc", "LOADED")
    stable = grpc_field(d, "loc")["socket"]
    before = probe("id", stable)
    (tmp_path / "defs.py").write_text(DEFS.format(extra="\n@dg.asset\ndef second():\n    return 2\n"))
    assert probe("reload", stable) == {}
    # ReloadCode answers once the new generation serves.
    assert d.locations()["loc"]["reloads"] == 1
    assert probe("id", stable) != before
    assert probe("assets", stable) == ["first", "second"]
    d.wait_log(r"loc: LOADED -> RELOADING .*: requested")


def test_reload_code_answers_after_the_old_generation_let_go_of_its_connections(
        daemon_factory, tmp_path):
    """A client process that keeps a connection to the stable path open (gRPC pools it across
    channels: the webserver's own GetServerId watch, a query in flight) asks GetServerId right
    after ReloadCode, as the webserver does, and gets the new generation's id."""
    d = daemon_factory(workspace(tmp_path)).start()
    d.wait_state("loc", "LOADED")
    stable = grpc_field(d, "loc")["socket"]
    (tmp_path / "defs.py").write_text(DEFS.format(extra="\n@dg.asset\ndef second():\n    return 2\n"))
    ids = probe("reload-held", stable)
    assert ids["after"] != ids["before"], ids
    assert ids["after"] == probe("id", stable)


def test_children_get_the_control_socket_and_dagster_grpc_can_be_turned_off(
        daemon_factory, tmp_path):
    extra = "\nimport os\nassert os.environ['CODELOC_SOCKET'].endswith('codeloc.sock')\n"
    d = daemon_factory(workspace(tmp_path, extra), extra_args=["--no-dagster-grpc"]).start()
    d.wait_state("loc", "LOADED")
    assert grpc_field(d, "loc") is None
    assert not (d.state_dir / "dagster").exists()
    assert "Dagster gRPC server" not in d.log()


def test_an_awkward_name_is_hashed_and_a_too_long_state_dir_is_explained(daemon_factory, tmp_path):
    name = "team a/loc"
    d = daemon_factory(workspace(tmp_path, name=f"'{name}'")).start()
    d.wait_state(name, "LOADED")
    stable = grpc_field(d, name)["socket"]
    assert pathlib.Path(stable).name.startswith("h-") and pathlib.Path(stable).is_socket()
    assert probe("assets", stable) == ["first"]
    d.stop()

    long_dir = tmp_path / ("s" * 100)
    (tmp_path / "second").mkdir()
    d2 = daemon_factory(workspace(tmp_path), extra_args=["--state-dir", str(long_dir)],
                        workdir=tmp_path / "second").start()
    loaded = d2.wait_state("loc", "LOADED")
    assert loaded["dagster_grpc"]["published"] is False
    assert "too long for a Unix socket" in loaded["dagster_grpc"]["error"]
