"""`codeloc check`: the real binary on workspace files in a temporary directory."""
import json
import os
import subprocess
import textwrap

import pytest


def write(path, text):
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def check(codeloc_bin, cwd, *args, env=None):
    return subprocess.run(
        [str(codeloc_bin), "check", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


VALID = """
    load_from:
      - python_file: defs.py
      - python_module:
          module_name: pkg.defs
          attribute: defs
          executable_path: /opt/venv/bin/python
          env:
            DB_PASSWORD: hunter2
            FROM_ENV: {env: CODELOC_TEST_SECRET}
      - command:
          argv: [node, server.js]
          location_name: js
      - grpc_server: {port: 4266}
"""


@pytest.fixture
def secret_env(monkeypatch):
    monkeypatch.setenv("CODELOC_TEST_SECRET", "s3cr3t-value")
    return dict(os.environ)


def test_valid_workspace_prints_an_aligned_table(codeloc_bin, tmp_path, secret_env):
    write(tmp_path / "workspace.yaml", VALID)
    result = check(codeloc_bin, tmp_path, env=secret_env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "NAME", "KIND", "TARGET", "WORKING", "DIRECTORY", "INTERPRETER", "ENV"
    ]
    assert len(lines) == 5
    # Columns are aligned: every row's KIND starts where the header's does.
    kind_at = lines[0].index("KIND")
    assert [line[kind_at:].split()[0] for line in lines[1:]] == [
        "python_file", "python_module", "command", "grpc_server"
    ]
    assert lines[1].split()[:4] == ["defs.py", "python_file", f"{tmp_path}/defs.py", str(tmp_path)]
    assert "pkg.defs:defs" in lines[2]
    assert "/opt/venv/bin/python" in lines[2]
    assert lines[2].split()[-1] == "DB_PASSWORD,FROM_ENV"
    assert lines[3].split()[:4] == ["js", "command", "node", "server.js"]
    assert lines[4].split()[:3] == ["grpc:localhost:4266", "grpc_server", "localhost:4266"]


def test_env_values_are_never_printed(codeloc_bin, tmp_path, secret_env):
    write(tmp_path / "workspace.yaml", VALID)
    for args in ([], ["--json"]):
        result = check(codeloc_bin, tmp_path, *args, env=secret_env)
        assert result.returncode == 0, result.stderr
        for secret in ("hunter2", "s3cr3t-value"):
            assert secret not in result.stdout
            assert secret not in result.stderr


def test_json_shape(codeloc_bin, tmp_path, secret_env):
    path = write(tmp_path / "workspace.yaml", VALID)
    result = check(codeloc_bin, tmp_path, "--json", env=secret_env)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["valid"] is True
    assert doc["files"] == [str(path)]
    names = [location["name"] for location in doc["locations"]]
    assert names == ["defs.py", "pkg.defs:defs", "js", "grpc:localhost:4266"]
    module = doc["locations"][1]
    assert module["kind"] == "python_module"
    assert module["target"] == "pkg.defs"
    assert module["attribute"] == "defs"
    assert module["working_directory"] == str(tmp_path)
    assert module["executable_path"] == "/opt/venv/bin/python"
    assert module["env_keys"] == ["DB_PASSWORD", "FROM_ENV"]
    assert module["origin"] == {"file": "workspace.yaml", "line": 3, "column": 5}
    assert set(module["restart"]) == {
        "policy", "backoff_initial", "backoff_max", "backoff_reset_after",
        "startup_timeout", "stop_timeout", "stop_signal",
    }
    assert doc["locations"][2]["argv"] == ["node", "server.js"]
    assert doc["locations"][3]["port"] == 4266
    assert doc["locations"][3]["working_directory"] is None


def test_invalid_workspace_exits_1_with_every_error_on_stderr(codeloc_bin, tmp_path):
    write(tmp_path / "workspace.yaml", """
        load_from:
          - python_file:
              relative_pth: defs.py
          - grpc_server: {port: 1, socket: /tmp/s}
          - python_module: a
          - python_module: a
    """)
    result = check(codeloc_bin, tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "workspace.yaml:2:5: missing required key 'relative_path' in python_file",
        "workspace.yaml:3:7: unknown key 'relative_pth' in python_file "
        "(did you mean 'relative_path'?)",
        "workspace.yaml:4:28: grpc_server needs exactly one of 'port' and 'socket', got both",
        "workspace.yaml:6:5: duplicate location name 'a' (first defined at line 5)",
    ]


def test_invalid_workspace_with_json_also_prints_the_errors_as_json(codeloc_bin, tmp_path):
    write(tmp_path / "workspace.yaml", "load_from:\n  - python_modul: m\n")
    result = check(codeloc_bin, tmp_path, "--json")
    assert result.returncode == 1
    assert result.stderr.startswith("workspace.yaml:2:5: unknown location type 'python_modul'")
    assert json.loads(result.stdout) == {
        "valid": False,
        "errors": [{
            "file": "workspace.yaml", "line": 2, "column": 5,
            "message": "unknown location type 'python_modul' (did you mean 'python_module'?)",
        }],
    }


def test_yaml_syntax_error_carries_its_position(codeloc_bin, tmp_path):
    write(tmp_path / "w.yaml", "load_from: [python_file: a.py\n")
    result = check(codeloc_bin, tmp_path, "-w", "w.yaml")
    assert result.returncode == 1
    assert result.stderr == "w.yaml:2:1: YAML syntax error: end of sequence flow not found\n"


def test_unset_env_variable_names_it(codeloc_bin, tmp_path):
    write(tmp_path / "workspace.yaml", "load_from:\n  - python_module: {module_name: {env: NOPE_X}}\n")
    env = {"PATH": "/usr/bin:/bin"}
    result = check(codeloc_bin, tmp_path, env=env)
    assert result.returncode == 1
    assert "environment variable 'NOPE_X' is not set" in result.stderr


def test_several_files_merge_in_order(codeloc_bin, tmp_path):
    write(tmp_path / "base.yaml", """
        load_from:
          - python_module: one
          - python_module: {module_name: old, location_name: two}
    """)
    (tmp_path / "dev").mkdir()
    write(tmp_path / "dev" / "override.yaml", """
        load_from:
          - python_module: {module_name: new, location_name: two}
          - python_file: extra.py
    """)
    result = check(codeloc_bin, tmp_path, "-w", "base.yaml", "-w", "dev/override.yaml", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [(l["name"], l["target"]) for l in doc["locations"]] == [
        ("one", "one"),
        ("two", "new"),
        ("extra.py", str(tmp_path / "dev" / "extra.py")),
    ]
    assert doc["locations"][1]["origin"]["file"] == "dev/override.yaml"


def test_missing_file_exits_1_naming_it(codeloc_bin, tmp_path):
    result = check(codeloc_bin, tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "workspace.yaml: cannot read the workspace file: No such file or directory\n"
    )


@pytest.mark.parametrize("args", [["--bogus"], ["-w"], ["-w", "a.yaml", "b.yaml"]])
def test_usage_errors_exit_2(codeloc_bin, tmp_path, args):
    write(tmp_path / "a.yaml", "load_from: []\n")
    result = check(codeloc_bin, tmp_path, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr != ""


def test_empty_load_from_is_valid(codeloc_bin, tmp_path):
    write(tmp_path / "workspace.yaml", "load_from: []\n")
    result = check(codeloc_bin, tmp_path)
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "(no locations)"
