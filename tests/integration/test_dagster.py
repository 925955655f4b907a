"""`codeloc serve` on real Dagster code locations, each in its own virtual environment
(build/venvs/example-*, made by scripts/python-envs.sh), with Dagster's own CLI as the oracle."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import BUILD_DIR, ROOT

EXAMPLES = ROOT / "examples"
VENVS = BUILD_DIR / "venvs"


def venv_python(name: str) -> pathlib.Path:
    python = VENVS / name / "bin" / "python"
    if not python.exists():
        pytest.skip(f"{python} is missing: run scripts/python-envs.sh")
    return python


def example_workspace(extra: str = "") -> str:
    """examples/workspace.yaml with absolute paths, so it can live in the test's directory."""
    return f"""load_from:
  - python_module:
      module_name: analytics.definitions
      location_name: analytics
      working_directory: {EXAMPLES / 'analytics'}
      executable_path: {venv_python('example-analytics')}
  - python_file:
      relative_path: {EXAMPLES / 'reporting/reporting/definitions.py'}
      location_name: reporting
      working_directory: {EXAMPLES / 'reporting'}
      executable_path: {venv_python('example-reporting')}
{extra}"""


def definitions(d, name: str) -> dict:
    reply = d.rpc("location.definitions", {"name": name})
    assert "result" in reply, reply
    return reply["result"]


def dg_list_defs(name: str, tmp_path: pathlib.Path) -> dict:
    home = tmp_path / f"dagster_home_{name}"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = dict(os.environ, DAGSTER_HOME=str(home), NO_COLOR="1")
    env.pop("VIRTUAL_ENV", None)
    dg = venv_python(f"example-{name}").parent / "dg"
    done = subprocess.run([str(dg), "list", "defs", "--json"], cwd=EXAMPLES / name, env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("oracle")
    return {name: dg_list_defs(name, tmp) for name in ("analytics", "reporting")}


def test_example_locations_load_and_match_dagsters_own_listing(daemon_factory, oracle):
    d = daemon_factory(example_workspace(), extra_args=["--startup-timeout", "180s"]).start()
    for name in ("analytics", "reporting"):
        loc = d.wait_state(name, "LOADED", timeout=180)
        result = definitions(d, name)
        assert result["version"] == loc["definitions_version"]
        assert result["stale"] is False
        snapshot = result["definitions"]
        theirs = oracle[name]
        assert sorted("/".join(a["key"]) for a in snapshot["assets"]) == sorted(
            a["asset_key"] for a in theirs["assets"])
        assert [j["name"] for j in snapshot["jobs"]] == sorted(j["name"] for j in theirs["jobs"])
        assert [s["name"] for s in snapshot["schedules"]] == sorted(
            s["name"] for s in theirs["schedules"])
        assert [s["name"] for s in snapshot["sensors"]] == sorted(
            s["name"] for s in theirs["sensors"])
        assert snapshot["location"] == name
    assert d.stop() == 0


def test_two_locations_see_their_own_package_versions(daemon_factory):
    d = daemon_factory(example_workspace(), extra_args=["--startup-timeout", "180s"]).start()
    d.wait_state("analytics", "LOADED", timeout=180)
    d.wait_state("reporting", "LOADED", timeout=180)
    analytics = definitions(d, "analytics")["definitions"]
    reporting = definitions(d, "reporting")["definitions"]
    a_assets = {"/".join(a["key"]): a for a in analytics["assets"]}
    r_assets = {"/".join(a["key"]): a for a in reporting["assets"]}
    assert a_assets["orders_report"]["metadata"]["inflection_version"] == "0.5.1"
    assert r_assets["weekly_digest"]["metadata"]["humanize_version"] == "4.17.0"
    assert analytics["python"]["executable"] == str(venv_python("example-analytics"))
    assert reporting["python"]["executable"] == str(venv_python("example-reporting"))
    assert d.stop() == 0


def test_a_broken_location_is_a_load_error_while_its_neighbour_loads(daemon_factory, tmp_path):
    broken = tmp_path / "broken_defs.py"
    broken.write_text("import dagster as dg\n\n\ndef oops(:\n    pass\n")
    missing = tmp_path / "no-such-venv" / "bin" / "python"
    extra = f"""  - python_file:
      relative_path: {broken}
      location_name: broken
      executable_path: {venv_python('dagster')}
  - python_file:
      relative_path: {broken}
      location_name: no_interpreter
      executable_path: {missing}
"""
    d = daemon_factory(example_workspace(extra), extra_args=["--startup-timeout", "180s"]).start()
    loc = d.wait_state("broken", "LOAD_ERROR", timeout=180)
    assert loc["error"]["class_name"] == "SyntaxError"
    assert loc["error"]["location"]["file"] == str(broken)
    assert loc["error"]["location"]["line"] == 4
    reply = d.rpc("location.definitions", {"name": "broken"})
    assert reply["error"]["code"] == -32011
    d.wait_state("analytics", "LOADED", timeout=180)
    no_interpreter = d.wait_state("no_interpreter", "LOAD_ERROR")
    assert str(missing) in no_interpreter["error"]["message"]
    assert no_interpreter["restarts"] == 0
    assert d.stop() == 0


def test_hot_reload_of_a_real_dagster_location(daemon_factory, tmp_path):
    """Saving definitions.py reloads the location with the new asset; a syntax error keeps the
    last good definitions (stale) with the error and its place; fixing it loads again."""
    import shutil

    from daemon_harness import RpcClient

    project = tmp_path / "analytics"
    shutil.copytree(EXAMPLES / "analytics", project,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    workspace = f"""load_from:
  - python_module:
      module_name: analytics.definitions
      location_name: analytics
      working_directory: {project}
      executable_path: {venv_python('example-analytics')}
"""
    d = daemon_factory(workspace, extra_args=["--watch", "--startup-timeout", "180s"],
                       workdir=tmp_path).start()
    d.wait_state("analytics", "LOADED", timeout=180)
    before = definitions(d, "analytics")
    events = RpcClient(d.socket)
    events.sock.settimeout(180)
    events.call("events.subscribe", {"topics": ["reload"]})

    def next_reload():
        while True:
            message = events.read()
            if message.get("method") == "event.reloaded":
                return message["params"]

    source = project / "analytics" / "definitions.py"
    good = source.read_text() + """

@dg.asset
def hot_reloaded_asset():
    return 1


defs = dg.Definitions.merge(defs, dg.Definitions(assets=[hot_reloaded_asset]))
"""
    source.write_text(good)
    reloaded = next_reload()
    assert reloaded["outcome"] == "LOADED", reloaded
    assert reloaded["cause"] == "analytics/definitions.py changed"
    assert reloaded["assets_added"] == ["hot_reloaded_asset"] and reloaded["assets_removed"] == []
    after = definitions(d, "analytics")
    assert after["version"] != before["version"] and after["stale"] is False
    assert ["hot_reloaded_asset"] in [a["key"] for a in after["definitions"]["assets"]]
    d.wait_log(r"reloaded analytics in \d+(\.\d\d s| ms) \((warm|cold)\): "
               r"5 assets \(\+1 -0\), 1 job, 1 schedule, 1 sensor$")

    source.write_text(good + "\nthis line is not python\n")
    broken = next_reload()
    assert broken["outcome"] == "LOAD_ERROR", broken
    status = d.locations()["analytics"]
    assert status["state"] == "LOAD_ERROR"
    assert status["error"]["class_name"] == "SyntaxError"
    assert status["error"]["location"]["file"].endswith("analytics/definitions.py")
    served = definitions(d, "analytics")
    assert served["version"] == after["version"] and served["stale"] is True

    source.write_text(good)
    fixed = next_reload()
    assert fixed["outcome"] == "LOADED", fixed
    assert definitions(d, "analytics")["stale"] is False
    events.close()
    assert d.stop() == 0
