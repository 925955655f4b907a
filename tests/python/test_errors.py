"""Load errors as structured objects: class, message, stack, location, chained cause; and a
location whose interpreter has no dagster. The server stays up after a load error."""

from __future__ import annotations

import sys

from harness import load, load_error


def test_syntax_error_points_at_users_file(start_server, project):
    root = project({"defs.py": "import dagster as dg\n\nx = (1,\n"})
    path = str(root / "defs.py")
    error = load_error(start_server, ["--python-file", path], cwd=root)
    data = error["data"]
    assert data["class_name"] == "SyntaxError"
    assert data["message"] == "'(' was never closed"
    assert data["location"] == {"file": path, "line": 3, "column": 5}
    assert error["message"] == "SyntaxError: '(' was never closed"
    # The server's own frames and the import machinery's are left out.
    assert all("codeloc_server" not in f["file"] and not f["file"].startswith("<frozen") for f in data["stack"])


def test_syntax_error_in_imported_module(start_server, project):
    root = project({"defs.py": "import dagster as dg\nimport helper\n", "helper.py": "def broken(:\n    pass\n"})
    data = load_error(start_server, ["--python-file", str(root / "defs.py")], cwd=root)["data"]
    assert data["location"]["file"] == str(root / "helper.py")
    assert data["location"]["line"] == 1
    assert data["stack"][-1] == {"file": str(root / "defs.py"), "line": 2, "function": "<module>", "code": "import helper"}


def test_exception_at_import(start_server, project):
    root = project({"defs.py": "import dagster as dg\n\n\nraise ValueError('boom at import')\n"})
    path = str(root / "defs.py")
    data = load_error(start_server, ["--python-file", path], cwd=root)["data"]
    assert data["class_name"] == "ValueError"
    assert data["message"] == "boom at import"
    assert data["stack"] == [{"file": path, "line": 4, "function": "<module>", "code": "raise ValueError('boom at import')"}]
    assert data["location"] == {"file": path, "line": 4, "column": 0}
    assert data["cause"] is None


def test_chained_cause_explicit_and_implicit(start_server, project):
    root = project(
        {
            "defs.py": """
                import dagster as dg

                def read():
                    try:
                        {}["missing"]
                    except KeyError:
                        int("x")  # implicit context: the KeyError

                try:
                    read()
                except ValueError as error:
                    raise RuntimeError("could not configure") from error
            """
        }
    )
    path = str(root / "defs.py")
    data = load_error(start_server, ["--python-file", path], cwd=root)["data"]
    assert (data["class_name"], data["message"]) == ("RuntimeError", "could not configure")
    cause = data["cause"]
    assert (cause["class_name"], cause["message"]) == ("ValueError", "invalid literal for int() with base 10: 'x'")
    assert [f["function"] for f in cause["stack"]] == ["<module>", "read"]
    assert cause["location"] == {"file": path, "line": 7, "column": 0}
    context = cause["cause"]
    assert (context["class_name"], context["message"]) == ("KeyError", "'missing'")
    assert context["cause"] is None


def test_suppressed_context_is_not_a_cause(start_server, project):
    root = project({"defs.py": "try:\n    1/0\nexcept ZeroDivisionError:\n    raise LookupError('clean') from None\n"})
    data = load_error(start_server, ["--python-file", str(root / "defs.py")], cwd=root)["data"]
    assert data["class_name"] == "LookupError" and data["cause"] is None


def test_import_error(start_server, project):
    root = project({"defs.py": "import dagster as dg\nimport pandas_that_is_not_installed\n"})
    path = str(root / "defs.py")
    error = load_error(start_server, ["--python-file", path], cwd=root)
    assert error["message"] == "ModuleNotFoundError: No module named 'pandas_that_is_not_installed'"
    assert error["data"]["location"] == {"file": path, "line": 2, "column": 0}
    assert error["data"]["stack"][-1]["code"] == "import pandas_that_is_not_installed"


def test_dagster_error_is_qualified_and_keeps_dagster_frames(start_server, project):
    root = project({"defs.py": "import dagster as dg\n@dg.asset(owners=['not an owner'])\ndef a(): ...\n"})
    path = str(root / "defs.py")
    data = load_error(start_server, ["--python-file", path], cwd=root)["data"]
    assert data["class_name"] == "dagster._core.errors.DagsterInvalidDefinitionError"
    assert data["location"]["file"] == path and data["location"]["line"] == 2
    assert data["stack"][0]["file"] == path
    assert any("/dagster/" in f["file"] for f in data["stack"])


def test_dagster_missing(start_server, project):
    # -S: no site-packages, so this interpreter has the standard library but no dagster.
    root = project({"defs.py": "import dagster as dg\ndefs = dg.Definitions()\n"})
    server = start_server(["--location", "test", "--python-file", str(root / "defs.py")], python_flags=["-S"], cwd=root)
    server.initialize()  # the handshake needs no dagster
    error = server.load_error()
    data = error["data"]
    assert data["class_name"] == "codeloc_server.loader.DagsterMissing"
    assert data["message"].startswith(f"dagster cannot be imported by {sys.executable}: No module named 'dagster'")
    assert (data["cause"]["class_name"], data["cause"]["message"]) == ("ModuleNotFoundError", "No module named 'dagster'")
    assert server.call("ping")["result"] == {}


def test_error_is_kept_and_server_stays_up(start_server, project):
    root = project({"defs.py": "print('importing', flush=True)\nraise SystemExit(3)\n"})
    server = start_server(["--location", "test", "--python-file", str(root / "defs.py")], cwd=root)
    server.initialize()
    first = server.load_error()
    assert first["data"]["class_name"] == "SystemExit"
    assert server.call("ping")["result"] == {}
    assert server.load_error() == first
    assert server.stdout().count("importing") == 1  # loaded once, not re-imported
    assert server.call("shutdown")["result"] == {}
    assert server.wait_exit(30) == 0


def test_user_output_does_not_disturb_the_channel(start_server, project):
    root = project(
        {
            "defs.py": """
                import sys
                import dagster as dg
                for i in range(20000):
                    print("noise", i)
                    print("more noise", i, file=sys.stderr)
                @dg.asset
                def a(): ...
                defs = dg.Definitions(assets=[a])
            """
        }
    )
    server = start_server(["--location", "test", "--python-file", str(root / "defs.py")], cwd=root)
    server.initialize()
    assert [a["key"] for a in server.definitions()["snapshot"]["assets"]] == [["a"]]
    assert "noise 19999" in server.stdout()


def test_invalid_definitions_is_a_load_error(start_server, project):
    # Problems Dagster finds when resolving Definitions (a missing resource) are load errors too.
    root = project(
        {
            "defs.py": """
                import dagster as dg
                @dg.asset(required_resource_keys={"db"})
                def a(): ...
                defs = dg.Definitions(assets=[a])
            """
        }
    )
    data = load_error(start_server, ["--python-file", str(root / "defs.py")], cwd=root)["data"]
    assert data["class_name"].startswith("dagster.")
    assert "db" in data["message"]
