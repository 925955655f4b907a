"""The supported dagster range (python/codeloc_server/dagster_versions.py, docs/dagster.md): a
dagster outside it is used anyway, with one warning on the code server's stderr."""

from __future__ import annotations

import sys

import pytest
from harness import REPO

sys.path.insert(0, str(REPO / "python"))
from codeloc_server import dagster_versions  # noqa: E402


@pytest.mark.parametrize("version", ["1.11.0", "1.11.16", "1.12.22", "1.13.27", "1.13.0rc2", "1!0+dev"])
def test_supported_or_unknown_versions_give_no_warning(version):
    assert dagster_versions.unsupported_warning(version) is None


@pytest.mark.parametrize("version,side", [("1.10.21", "older"), ("0.15.0", "older"), ("1.14.0", "newer"), ("2.0.1", "newer")])
def test_versions_outside_the_range_warn(version, side):
    warning = dagster_versions.unsupported_warning(version)
    assert warning is not None
    assert f"dagster {version} is {side} than" in warning
    assert dagster_versions.range_text() in warning


def test_the_installed_dagster_is_supported():
    """The interpreter running the tests (build/venvs/dagster, or the oldest's) is in the range."""
    import dagster

    assert dagster_versions.unsupported_warning(dagster.__version__) is None, dagster.__version__


def test_an_unsupported_dagster_is_logged_once_and_used(start_server, project):
    # A stand-in dagster package first on sys.path (the working directory) with an old version:
    # the code server warns, then goes on (here to a load error: the stand-in has no Definitions).
    root = project({
        "dagster/__init__.py": "__version__ = '1.2.3'\n",
        "defs.py": "import dagster\nx = 1\n",
    })
    server = start_server(["--location", "test", "--python-file", str(root / "defs.py")], cwd=root)
    server.initialize()
    server.load_error()
    warnings = [line for line in server.stderr().splitlines() if "dagster 1.2.3 is older" in line]
    assert len(warnings) == 1, server.stderr()
    assert warnings[0].startswith("codeloc-python: warning: dagster 1.2.3 is older than the versions")


def test_a_supported_dagster_is_not_warned_about(start_server, project):
    root = project({"defs.py": "import dagster as dg\n\n@dg.asset\ndef a(): ...\n\ndefs = dg.Definitions(assets=[a])\n"})
    server = start_server(["--location", "test", "--python-file", str(root / "defs.py")], cwd=root)
    server.initialize()
    server.definitions()
    assert "warning: dagster" not in server.stderr()
