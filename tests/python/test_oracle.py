"""Dagster's own view as the oracle: for each example project, the snapshot the code server
serves (run by the project's own interpreter, as the example workspace does) lists the same asset
keys, dependencies, groups, asset checks, jobs, schedules, sensors and resources as
``dg list defs --json`` (dagster-dg-cli) run in the same environment on the same code."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

from harness import EXAMPLES, VENVS, load

EXAMPLE_PROJECTS = {
    # name: (code server arguments, relative to the project folder; extra package; its metadata)
    "analytics": (["--module", "analytics.definitions"], "inflection", ("orders_report", "inflection_version")),
    "reporting": (["--python-file", "reporting/definitions.py"], "humanize", ("weekly_digest", "humanize_version")),
}


def _python(name: str) -> Path:
    python = VENVS / f"example-{name}" / "bin" / "python"
    if not python.exists():
        pytest.skip(f"{python} is missing: run scripts/python-envs.sh")
    return python


@pytest.fixture
def dagster_home(tmp_path: Path) -> Path:
    """An isolated DAGSTER_HOME with telemetry off, for dg."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


def _dg_list_defs(name: str, dagster_home: Path) -> Dict[str, Any]:
    project_dir = EXAMPLES / name
    dg = _python(name).parent / "dg"
    env = dict(os.environ, DAGSTER_HOME=str(dagster_home), NO_COLOR="1")
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        [str(dg), "list", "defs", "--json"],
        cwd=project_dir, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _codeloc(name: str, start_server: Any) -> Dict[str, Any]:
    args, _, _ = EXAMPLE_PROJECTS[name]
    project_dir = EXAMPLES / name
    args = [str(project_dir / a) if a.endswith(".py") else a for a in args]
    return load(start_server, [*args, "--working-directory", str(project_dir)], cwd=project_dir, python=str(_python(name)))["snapshot"]


def _user_key(parts: List[str]) -> str:
    return "/".join(parts)


@pytest.mark.parametrize("name", sorted(EXAMPLE_PROJECTS))
def test_snapshot_matches_dg_list_defs(name, start_server, dagster_home):
    snapshot = _codeloc(name, start_server)
    dg = _dg_list_defs(name, dagster_home)

    ours_assets = {_user_key(a["key"]): a for a in snapshot["assets"]}
    theirs_assets = {a["asset_key"]: a for a in dg["assets"]}
    assert sorted(ours_assets) == sorted(theirs_assets)
    for key, theirs in theirs_assets.items():
        ours = ours_assets[key]
        assert [_user_key(d) for d in ours["deps"]] == sorted(theirs["dependency_keys"]), key
        assert ours["group"] == theirs["group_name"], key
        assert ours["kinds"] == sorted(theirs["kinds"]), key
        assert ours["description"] == theirs.get("description"), key
        assert ours["is_executable"] == theirs["is_executable"], key
        assert ours["tags"] == {t["key"]: t["value"] for t in theirs.get("tags", [])}, key

    assert sorted((_user_key(c["asset_key"]), c["name"]) for c in snapshot["asset_checks"]) == sorted(
        (c["asset_key"], c["name"]) for c in dg["asset_checks"]
    )
    assert [j["name"] for j in snapshot["jobs"]] == sorted(j["name"] for j in dg["jobs"])
    assert [(s["name"], s["cron_schedule"]) for s in snapshot["schedules"]] == sorted(
        (s["name"], s["cron_schedule"]) for s in dg["schedules"]
    )
    assert [s["name"] for s in snapshot["sensors"]] == sorted(s["name"] for s in dg["sensors"])
    assert [(r["key"], r["type"]) for r in snapshot["resources"]] == sorted((r["name"], r["type"]) for r in dg["resources"])


def test_each_example_sees_its_own_environment(start_server):
    """The two locations run different interpreters with different packages, and say so."""
    seen = {}
    for name, (_, package, (asset, metadata_key)) in sorted(EXAMPLE_PROJECTS.items()):
        snapshot = _codeloc(name, start_server)
        assert snapshot["python"]["executable"] == str(_python(name))
        assets = {_user_key(a["key"]): a for a in snapshot["assets"]}
        requirement = next(
            line for line in (EXAMPLES / name / "requirements.txt").read_text().splitlines() if line.startswith(f"{package}==")
        )
        assert assets[asset]["metadata"][metadata_key] == requirement.split("==", 1)[1]
        seen[name] = package
    # Each package is missing from the other location's environment.
    for name, package in seen.items():
        for other in seen:
            if other != name:
                probe = subprocess.run([str(_python(other)), "-c", f"import {package}"], capture_output=True, timeout=60)
                assert probe.returncode != 0, f"{package} should not be importable in {other}'s environment"


def test_example_workspace_names_the_example_environments():
    """examples/workspace.yaml points each location at its environment (relative to the file)."""
    text = (EXAMPLES / "workspace.yaml").read_text()
    for name in EXAMPLE_PROJECTS:
        assert f"executable_path: ../build/venvs/example-{name}/bin/python" in text
        assert f"location_name: {name}" in text
