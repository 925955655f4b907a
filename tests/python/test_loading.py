"""Loading each target kind with Dagster's meaning: sys.path, attribute, and the scan rules with
Dagster's own error texts."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

import pytest

from harness import REPO, asset_keys, load, load_error

ASSETS = """
import dagster as dg

@dg.asset(group_name="g")
def first(): ...

@dg.asset(deps=[first])
def second(): ...
"""

DAGSTER_INVARIANT = "dagster._core.errors.DagsterInvariantViolationError"


def test_python_file_single_definitions_any_name(start_server, project):
    root = project({"defs.py": ASSETS + "\nmy_definitions = dg.Definitions(assets=[first, second])\n"})
    result = load(start_server, ["--python-file", str(root / "defs.py")], cwd=root)
    assert asset_keys(result) == ["first", "second"]
    assert result["summary"] == {"assets": 2, "asset_checks": 0, "jobs": 0, "schedules": 0, "sensors": 0, "resources": 0}


def test_two_definitions_is_dagsters_error(start_server, project):
    root = project(
        {"defs.py": ASSETS + "\nb_defs = dg.Definitions(assets=[first])\na_defs = dg.Definitions(assets=[second])\n"}
    )
    error = load_error(start_server, ["--python-file", str(root / "defs.py")], cwd=root)
    assert error["data"]["class_name"] == DAGSTER_INVARIANT
    assert error["data"]["message"] == (
        "Cannot have more than one Definitions object defined at module scope."
        " Found Definitions objects: defs.a_defs, defs.b_defs"
    )
    assert error["message"] == f"{DAGSTER_INVARIANT}: {error['data']['message']}"


def test_two_definitions_in_a_module_names_the_module(start_server, project):
    root = project(
        {
            "pkg/__init__.py": "",
            "pkg/definitions.py": ASSETS + "\nx = dg.Definitions(assets=[first])\ny = dg.Definitions(assets=[second])\n",
        }
    )
    error = load_error(start_server, ["--module", "pkg.definitions", "--working-directory", str(root)])
    assert error["data"]["message"].endswith("Found Definitions objects: pkg.definitions.x, pkg.definitions.y")


def test_attribute_picks_one_of_two(start_server, project):
    root = project({"defs.py": ASSETS + "\nbig = dg.Definitions(assets=[first, second])\nsmall = dg.Definitions(assets=[first])\n"})
    result = load(start_server, ["--python-file", str(root / "defs.py"), "--attribute", "small"], cwd=root)
    assert asset_keys(result) == ["first"]


def test_attribute_missing_is_dagsters_error(start_server, project):
    root = project({"defs.py": ASSETS + "\ndefs = dg.Definitions(assets=[first])\n"})
    path = root / "defs.py"
    error = load_error(start_server, ["--python-file", str(path), "--attribute", "nope"], cwd=root)
    assert error["data"]["class_name"] == DAGSTER_INVARIANT
    assert error["data"]["message"] == f"nope not found at module scope in file {path}."


def test_attribute_missing_in_module(start_server, project):
    root = project({"mod.py": ASSETS + "\ndefs = dg.Definitions(assets=[first])\n"})
    error = load_error(start_server, ["--module", "mod", "--attribute", "nope", "-d", str(root)])
    assert error["data"]["message"].startswith("nope not found in module mod. dir: [")


def test_attribute_function_is_called(start_server, project):
    root = project({"defs.py": ASSETS + "\ndef make():\n    return dg.Definitions(assets=[first, second])\n"})
    result = load(start_server, ["--python-file", str(root / "defs.py"), "-a", "make"], cwd=root)
    assert asset_keys(result) == ["first", "second"]


def test_attribute_not_loadable(start_server, project):
    root = project({"defs.py": "import dagster\nvalue = 42\n"})
    error = load_error(start_server, ["--python-file", str(root / "defs.py"), "-a", "value"], cwd=root)
    assert error["data"]["message"] == (
        "Loadable attributes must be either a JobDefinition, GraphDefinition, Definitions, "
        "or RepositoryDefinition. Got 42."
    )


def test_no_definitions_is_dagsters_error(start_server, project):
    root = project({"empty.py": "import dagster\nx = 1\n"})
    error = load_error(start_server, ["--python-file", str(root / "empty.py")], cwd=root)
    assert error["data"]["class_name"] == DAGSTER_INVARIANT
    assert error["data"]["message"] == (
        'No Definitions, RepositoryDefinition, Job, Pipeline, Graph, or AssetsDefinition found in "empty".'
    )


def test_definitions_decorator(start_server, project):
    root = project(
        {
            "defs.py": ASSETS
            + "\n@dg.definitions\ndef load_them():\n    return dg.Definitions(assets=[first, second])\n"
        }
    )
    result = load(start_server, ["--python-file", str(root / "defs.py")], cwd=root)
    assert asset_keys(result) == ["first", "second"]


def test_definitions_decorator_wins_over_definitions_object(start_server, project):
    # Dagster's rule: a @definitions loader is looked for before Definitions objects.
    root = project(
        {
            "defs.py": ASSETS
            + "\neager = dg.Definitions(assets=[first])\n"
            + "\n@dg.definitions\ndef lazy():\n    return dg.Definitions(assets=[first, second])\n"
        }
    )
    assert asset_keys(load(start_server, ["--python-file", str(root / "defs.py")], cwd=root)) == ["first", "second"]


def test_two_definitions_decorators_is_dagsters_error(start_server, project):
    root = project(
        {
            "defs.py": ASSETS
            + "\n@dg.definitions\ndef one():\n    return dg.Definitions(assets=[first])\n"
            + "\n@dg.definitions\ndef two():\n    return dg.Definitions(assets=[second])\n"
        }
    )
    error = load_error(start_server, ["--python-file", str(root / "defs.py")], cwd=root)
    assert error["data"]["message"] == (
        "Cannot have more than one function decorated with @lazy_definitions defined in module scope"
    )


def test_bare_assets_are_loaded(start_server, project):
    root = project({"defs.py": ASSETS})
    assert asset_keys(load(start_server, ["--python-file", str(root / "defs.py")], cwd=root)) == ["first", "second"]


def test_single_job(start_server, project):
    root = project({"defs.py": "import dagster as dg\n@dg.op\ndef o(): ...\n@dg.job\ndef only_job(): o()\n"})
    result = load(start_server, ["--python-file", str(root / "defs.py")], cwd=root)
    assert [j["name"] for j in result["snapshot"]["jobs"]] == ["only_job"]


def test_python_module_with_working_directory(start_server, project, tmp_path):
    root = project(
        {
            "mypkg/__init__.py": "",
            "mypkg/assets.py": ASSETS,
            "mypkg/definitions.py": "import dagster as dg\nfrom mypkg.assets import first, second\ndefs = dg.Definitions(assets=[first, second])\n",
        }
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = load(start_server, ["--module", "mypkg.definitions", "--working-directory", str(root)], cwd=elsewhere)
    assert asset_keys(result) == ["first", "second"]


def test_python_module_defaults_to_cwd(start_server, project):
    root = project({"mymod.py": ASSETS + "\ndefs = dg.Definitions(assets=[first])\n"})
    assert asset_keys(load(start_server, ["--module", "mymod"], cwd=root)) == ["first"]


def test_python_module_not_found(start_server, project):
    root = project({"x.py": ""})
    error = load_error(start_server, ["--module", "nowhere.to.be.found"], cwd=root)
    assert error["data"]["class_name"] == "ModuleNotFoundError"
    assert error["data"]["message"] == "No module named 'nowhere'"


def test_python_package(start_server, project):
    root = project({"pkg/__init__.py": ASSETS + "\ndefs = dg.Definitions(assets=[first, second])\n"})
    result = load(start_server, ["--package", "pkg", "-d", str(root)])
    assert asset_keys(result) == ["first", "second"]


def test_python_package_with_attribute(start_server, project):
    root = project({"pkg/__init__.py": ASSETS + "\na = dg.Definitions(assets=[first])\nb = dg.Definitions(assets=[second])\n"})
    result = load(start_server, ["--package", "pkg", "-a", "b", "-d", str(root)])
    # Only "second" is defined; its dependency shows as a non-executable stub, as in Dagster.
    assert [(a["key"], a["is_executable"]) for a in result["snapshot"]["assets"]] == [(["first"], False), (["second"], True)]


def test_autoload_defs_module(start_server, project):
    root = project(
        {
            "pyproject.toml": '[project]\nname = "auto"\nversion = "0"\n',
            "auto/__init__.py": "",
            "auto/defs/__init__.py": "",
            "auto/defs/raw.py": "import dagster as dg\n@dg.asset\ndef raw_a(): ...\n",
            "auto/defs/sub/__init__.py": "",
            "auto/defs/sub/more.py": "import dagster as dg\n@dg.asset(deps=['raw_a'])\ndef more_b(): ...\n"
            "@dg.schedule(cron_schedule='@daily', target='*')\ndef nightly(): ...\n",
        }
    )
    result = load(start_server, ["--autoload-defs-module", "auto.defs", "-d", str(root)])
    assert asset_keys(result) == ["more_b", "raw_a"]
    assert [s["name"] for s in result["snapshot"]["schedules"]] == ["nightly"]


def test_sys_path_working_directory_first_server_dir_gone(start_server, project, tmp_path):
    # The user's own modules named like the server's (server, loader, cli...) must be theirs.
    root = project(
        {
            "loader.py": "VALUE = 'user loader'\n",
            "server.py": "VALUE = 'user server'\n",
            "defs.py": "import sys\nimport dagster as dg\nimport loader, server\n"
            "@dg.asset(metadata={'path0': sys.path[0], 'loader': loader.VALUE, 'server': server.VALUE,"
            " 'server_dir_on_path': any('codeloc_server' in p or p.endswith('/python') for p in sys.path),"
            " 'main': sys.modules['__main__'].__file__})\n"
            "def a(): ...\n",
        }
    )
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    result = load(start_server, ["--python-file", str(root / "defs.py"), "-d", str(root)], cwd=cwd)
    metadata = result["snapshot"]["assets"][0]["metadata"]
    assert metadata["path0"] == str(root)
    assert metadata["loader"] == "user loader"
    assert metadata["server"] == "user server"
    assert metadata["server_dir_on_path"] is False


def test_python_file_relative_imports_from_working_directory(start_server, project):
    root = project(
        {
            "helpers/__init__.py": "GROUP = 'from_helpers'\n",
            "src/defs.py": "import dagster as dg\nfrom helpers import GROUP\n@dg.asset(group_name=GROUP)\ndef a(): ...\n",
        }
    )
    result = load(start_server, ["--python-file", str(root / "src" / "defs.py"), "-d", str(root)], cwd=root)
    assert result["snapshot"]["assets"][0]["group"] == "from_helpers"


def test_python_file_missing(start_server, project):
    root = project({"x.py": ""})
    error = load_error(start_server, ["--python-file", str(root / "nope.py")], cwd=root)
    assert error["data"]["class_name"] == "FileNotFoundError"


# ---- the scan rule: codeloc's copy agrees with Dagster's own ----

sys.path.insert(0, str(REPO / "python"))
scan = importlib.import_module("codeloc_server.scan")


def _module(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


@pytest.mark.parametrize(
    "source",
    [
        ASSETS + "\ndefs = dg.Definitions(assets=[first])\n",
        ASSETS + "\na = dg.Definitions(assets=[first])\nb = dg.Definitions(assets=[second])\n",
        ASSETS + "\n@dg.definitions\ndef d():\n    return dg.Definitions(assets=[first])\n",
        ASSETS + "\n@dg.definitions\ndef d():\n    return dg.Definitions()\n@dg.definitions\ndef e():\n    return dg.Definitions()\n",
        "import dagster as dg\n@dg.op\ndef o(): ...\n@dg.job\ndef j1(): o()\n@dg.job\ndef j2(): o()\n",
        "import dagster as dg\n@dg.op\ndef o(): ...\n@dg.graph\ndef g1(): o()\n@dg.graph\ndef g2(): o()\n",
        ASSETS,
        "x = 1\n",
    ],
)
def test_builtin_scan_matches_dagsters(source):
    from dagster._core.workspace.autodiscovery import loadable_targets_from_loaded_module

    module = _module("scanned", source)

    def outcome(fn):
        try:
            return [(t.attribute, type(t.target_definition).__name__) for t in fn(module)]
        except Exception as error:  # noqa: BLE001 - comparing errors is the point
            return (type(error).__name__, str(error))

    assert outcome(scan.builtin_loadable_targets) == outcome(loadable_targets_from_loaded_module)


def test_user_modules_leave_no_bytecode(start_server, project):
    """A reload must never import a stale .pyc (same size, same mtime second): none is written."""
    root = project({"pkg/__init__.py": "", "pkg/defs.py": ASSETS + "\ndefs = dg.Definitions(assets=[first])\n"})
    result = load(start_server, ["--module", "pkg.defs", "--working-directory", str(root)])
    assert asset_keys(result) == ["first"]
    assert not list(root.rglob("*.pyc"))
