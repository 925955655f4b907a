"""Hot reload from file changes (`serve --watch`): every way of saving reloads once, ignored paths
do not reload, a burst is one reload, and workspace edits touch only what changed.

"Exactly once" is checked with a marker: after the reload a save caused, the test writes
marker.txt; the next reload must be the marker's alone. A second reload from the same save (a
straggling event) would come first and name the saved file instead."""
import os
import shutil
import subprocess

import pytest

from daemon_harness import RpcClient, wait_for
from test_supervise import FAST, command_entry, workspace

WATCH = FAST + ["--watch"]


class Reloads:
    """The event.reloaded notifications of one subscription, in order."""

    def __init__(self, d):
        self.client = RpcClient(d.socket)
        assert "reload" in self.client.call("events.subscribe",
                                            {"topics": ["reload"]})["result"]["topics"]

    def next(self) -> dict:
        while True:
            message = self.client.read()
            if message.get("method") == "event.reloaded":
                return message["params"]

    def close(self):
        self.client.close()


def project_entry(name, test_server, project, extra=""):
    return command_entry(name, test_server, "--code", "code.txt",
                         extra=f"      working_directory: {project}\n{extra}")


@pytest.fixture
def watched(daemon_factory, test_server, tmp_path):
    """A daemon watching one location, alpha, whose project folder is tmp_path/project."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "code.txt").write_text("assets 1\n")
    d = daemon_factory(workspace(project_entry("alpha", test_server, project)),
                       extra_args=WATCH).start()
    d.wait_state("alpha", "LOADED")
    d.wait_log(r"watching 1 location\(s\)")
    reloads = Reloads(d)
    yield d, project, reloads
    reloads.close()


def expect_one_reload(d, project, reloads, saved):
    first = reloads.next()
    assert first["outcome"] == "LOADED", first
    assert saved in first["cause"], first
    (project / "marker.txt").write_text("x")
    second = reloads.next()
    assert second["cause"] == "marker.txt changed", f"the save reloaded twice: {second}"
    return first


def test_in_place_write_reloads_once(watched):
    d, project, reloads = watched
    with open(project / "code.txt", "w") as f:  # truncate, then write in two steps
        f.write("assets ")
        f.flush()
        f.write("2\n")
    first = expect_one_reload(d, project, reloads, "code.txt")
    assert first["counts"]["assets"] == 2 and first["assets_added"] == ["asset_1"]
    defs = d.rpc("location.definitions", {"name": "alpha"})["result"]
    assert len(defs["definitions"]["assets"]) == 2 and defs["stale"] is False
    assert d.stop() == 0


def test_write_to_a_temporary_file_then_rename_reloads_once(watched):
    d, project, reloads = watched
    temporary = project / ".code.txt.tmp~"  # what vim and VS Code write beside the file
    temporary.write_text("assets 3\n")
    os.rename(temporary, project / "code.txt")
    assert expect_one_reload(d, project, reloads, "code.txt")["counts"]["assets"] == 3
    assert d.stop() == 0


def test_delete_and_recreate_reloads_once(watched):
    d, project, reloads = watched
    (project / "code.txt").unlink()
    (project / "code.txt").write_text("assets 4\n")
    assert expect_one_reload(d, project, reloads, "code.txt")["counts"]["assets"] == 4
    assert d.stop() == 0


def test_sed_in_place_reloads_once(watched):
    d, project, reloads = watched
    subprocess.run(["sed", "-i", "s/1/5/", str(project / "code.txt")], check=True)
    first = expect_one_reload(d, project, reloads, "code.txt")
    assert first["cause"] == "code.txt changed"  # sed's temporary file is not named
    assert first["counts"]["assets"] == 5
    assert d.stop() == 0


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_checkout_of_200_files_reloads_once(daemon_factory, test_server, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(git + ["init", "-q", "-b", "main"], check=True)
    (project / "code.txt").write_text("assets 1\n")
    for i in range(200):
        (project / f"module_{i}.py").write_text(f"VALUE = {i}\n")
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "one"], check=True)
    subprocess.run(git + ["checkout", "-q", "-b", "other"], check=True)
    for i in range(200):
        (project / f"module_{i}.py").write_text(f"VALUE = {i + 1}\n")
    (project / "code.txt").write_text("assets 6\n")
    subprocess.run(git + ["commit", "-q", "-am", "two"], check=True)
    d = daemon_factory(workspace(project_entry("alpha", test_server, project)),
                       extra_args=WATCH).start()
    d.wait_state("alpha", "LOADED")
    d.wait_log(r"watching 1 location\(s\)")
    reloads = Reloads(d)

    subprocess.run(git + ["checkout", "-q", "main"], check=True)  # 201 files change at once
    first = expect_one_reload(d, project, reloads, "files changed")
    assert first["cause"].startswith("201 files changed"), first
    assert first["counts"]["assets"] == 1
    reloads.close()
    assert d.stop() == 0


def test_ignored_paths_do_not_reload(daemon_factory, test_server, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "code.txt").write_text("assets 1\n")
    d = daemon_factory(workspace(project_entry("alpha", test_server, project,
                                               extra='      ignore: ["data/", "*.csv"]')),
                       extra_args=WATCH).start()
    d.wait_state("alpha", "LOADED")
    d.wait_log(r"watching 1 location\(s\)")
    reloads = Reloads(d)
    for relative in ["__pycache__/defs.cpython-311.pyc", ".git/index", ".defs.py.swp", "defs.py~",
                     "node_modules/x/index.js", "data/orders.parquet", "orders.csv",
                     "env311/pyvenv.cfg", "env311/lib/site.py", "run.log"]:
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    (project / "marker.txt").write_text("x")
    event = reloads.next()
    assert event["cause"] == "marker.txt changed", f"an ignored path reloaded: {event}"
    assert d.locations()["alpha"]["reloads"] == 1
    reloads.close()
    assert d.stop() == 0


def test_a_burst_of_saves_is_one_reload(watched):
    d, project, reloads = watched
    for i in range(50):
        (project / f"burst_{i}.py").write_text("x")
    first = expect_one_reload(d, project, reloads, "files changed")
    assert first["cause"].startswith("50 files changed"), first
    assert d.stop() == 0


def test_a_change_during_a_reload_queues_exactly_one_more(watched):
    d, project, reloads = watched
    (project / "code.txt").write_text("assets 2\ndelay 1000\n")
    d.wait_state("alpha", "RELOADING")
    for i in range(5):
        (project / f"during_{i}.txt").write_text("x")
    first = reloads.next()
    assert first["cause"] == "code.txt changed" and first["outcome"] == "LOADED"
    second = reloads.next()
    assert "during_" in second["cause"] and second["outcome"] == "LOADED"
    (project / "marker.txt").write_text("x")
    assert reloads.next()["cause"] == "marker.txt changed"
    assert d.stop() == 0


def test_a_broken_save_keeps_the_last_good_definitions_and_a_fix_loads(watched):
    d, project, reloads = watched
    good = d.rpc("location.definitions", {"name": "alpha"})["result"]
    (project / "code.txt").write_text("load_error SyntaxError: invalid syntax (defs.py, line 3)\n")
    broken = reloads.next()
    assert broken["outcome"] == "LOAD_ERROR" and "invalid syntax" in broken["error"]
    alpha = d.locations()["alpha"]
    assert alpha["state"] == "LOAD_ERROR" and "invalid syntax" in alpha["error"]["message"]
    served = d.rpc("location.definitions", {"name": "alpha"})["result"]
    assert served["version"] == good["version"] and served["stale"] is True
    (project / "code.txt").write_text("assets 7\n")
    fixed = reloads.next()
    assert fixed["outcome"] == "LOADED" and fixed["counts"]["assets"] == 7
    assert d.locations()["alpha"]["state"] == "LOADED"
    assert d.rpc("location.definitions", {"name": "alpha"})["result"]["stale"] is False
    assert d.stop() == 0


def test_only_the_location_whose_files_changed_reloads(daemon_factory, test_server, tmp_path):
    projects = {}
    for name in ("alpha", "beta"):
        projects[name] = tmp_path / name
        projects[name].mkdir()
        (projects[name] / "code.txt").write_text("assets 1\n")
    d = daemon_factory(workspace(*(project_entry(n, test_server, p) for n, p in projects.items())),
                       extra_args=WATCH).start()
    beta_pid = d.wait_state("beta", "LOADED")["pid"]
    alpha_pid = d.wait_state("alpha", "LOADED")["pid"]
    d.wait_log(r"watching 2 location\(s\)")
    reloads = Reloads(d)
    (projects["alpha"] / "code.txt").write_text("assets 2\n")
    assert reloads.next()["name"] == "alpha"
    (projects["beta"] / "marker.txt").write_text("x")
    event = reloads.next()
    assert event["name"] == "beta" and event["cause"] == "marker.txt changed"
    assert d.locations()["alpha"]["pid"] != alpha_pid
    assert d.locations()["beta"]["pid"] != beta_pid
    assert d.locations()["alpha"]["reloads"] == 1 and d.locations()["beta"]["reloads"] == 1
    reloads.close()
    assert d.stop() == 0


def test_workspace_edits_touch_only_what_changed(daemon_factory, test_server, tmp_path):
    projects = {}
    for name in ("alpha", "beta", "gamma"):
        projects[name] = tmp_path / name
        projects[name].mkdir()
        (projects[name] / "code.txt").write_text("assets 1\n")

    def entries(beta_extra="", with_gamma=False):
        names = ["alpha", "beta"] + (["gamma"] if with_gamma else [])
        return workspace(*(project_entry(n, test_server, projects[n],
                                         beta_extra if n == "beta" else "") for n in names))

    d = daemon_factory(entries(), extra_args=WATCH).start()
    alpha_pid = d.wait_state("alpha", "LOADED")["pid"]
    beta_pid = d.wait_state("beta", "LOADED")["pid"]
    d.wait_log(r"watching 2 location\(s\)")
    events = RpcClient(d.socket)
    events.call("events.subscribe", {"topics": ["workspace"]})

    def next_workspace_event():
        while True:
            message = events.read()
            if message.get("method") == "event.workspace":
                return message["params"]

    d.workspace.write_text(entries(beta_extra="      env: {MODE: two}", with_gamma=True))
    change = next_workspace_event()
    assert change["added"] == ["gamma"] and change["removed"] == []
    assert [c["name"] for c in change["changed"]] == ["beta"]
    assert change["unchanged"] == ["alpha"]
    d.wait_state("gamma", "LOADED")
    d.wait_state("beta", "LOADED", where=lambda l: l["pid"] != beta_pid)
    assert d.locations()["alpha"]["pid"] == alpha_pid

    # A broken edit changes nothing and says where the problem is.
    d.workspace.write_text("load_from:\n  - command:\n      argvv: [x]\n")
    d.wait_log(rf"{d.workspace}:3:7: unknown key 'argvv'")
    assert set(d.locations()) == {"alpha", "beta", "gamma"}
    assert d.locations()["alpha"]["pid"] == alpha_pid

    # The new location's files are watched too.
    reloads = Reloads(d)
    (projects["gamma"] / "code.txt").write_text("assets 3\n")
    event = reloads.next()
    assert event["name"] == "gamma" and event["counts"]["assets"] == 3
    events.close()
    reloads.close()
    assert d.stop() == 0
