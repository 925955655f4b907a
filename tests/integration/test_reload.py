"""Reloads beside the running child (RELOADING): the old child serves until the new one has loaded,
a broken reload keeps the last good definitions (stale), and each reload is an event and a log line.
The test server's --code file plays the location's code: it is read once, at start."""
import re

from daemon_harness import RpcClient, pid_alive, wait_for
from test_supervise import FAST, command_entry, workspace


def coded(d_factory, test_server, code_file, text):
    code_file.write_text(text)
    return d_factory(workspace(command_entry("alpha", test_server, "--code", str(code_file))),
                     extra_args=FAST).start()


def definitions(d, name="alpha"):
    return d.rpc("location.definitions", {"name": name})["result"]


def test_reload_serves_the_old_definitions_until_the_new_child_has_loaded(
        daemon_factory, test_server, tmp_path):
    code = tmp_path / "code.txt"
    d = coded(daemon_factory, test_server, code, "assets 2\n")
    old = d.wait_state("alpha", "LOADED")
    old_defs = definitions(d)
    assert len(old_defs["definitions"]["assets"]) == 2 and old_defs["stale"] is False

    code.write_text("assets 3\ndelay 1500\n")
    reply = d.rpc("location.reload", {"name": "alpha"})["result"]
    assert reply["state"] == "RELOADING"
    # While the new child loads, the old one runs and its definitions are served, marked stale.
    during = definitions(d)
    assert during["version"] == old_defs["version"] and during["stale"] is True
    assert d.locations()["alpha"]["pid"] == old["pid"] and pid_alive(old["pid"])

    new = d.wait_state("alpha", "LOADED", where=lambda l: l["pid"] != old["pid"])
    after = definitions(d)
    assert len(after["definitions"]["assets"]) == 3 and after["stale"] is False
    assert new["reloads"] == 1 and new["restarts"] == 0
    wait_for(lambda: not pid_alive(old["pid"]), "the old child to be stopped")
    d.wait_log(r"alpha: LOADED -> RELOADING \(pid \d+\): requested")
    d.wait_log(r"reloaded alpha in \d+(\.\d\d s| ms): 3 assets \(\+1 -0\), 0 jobs$")
    assert d.stop() == 0


def test_a_broken_reload_keeps_the_last_good_snapshot_until_a_fix_loads(
        daemon_factory, test_server, tmp_path):
    code = tmp_path / "code.txt"
    d = coded(daemon_factory, test_server, code, "assets 2\n")
    d.wait_state("alpha", "LOADED")
    good = definitions(d)

    code.write_text("load_error NameError: name 'asset' is not defined\n")
    broken = d.rpc("location.reload", {"name": "alpha", "wait": True})["result"]
    assert broken["state"] == "LOAD_ERROR"
    assert "name 'asset' is not defined" in broken["error"]["message"]
    served = definitions(d)
    assert served["version"] == good["version"] and served["stale"] is True
    d.wait_log(r"reload of alpha failed to load after \d+(\.\d\d s| ms)")

    code.write_text("assets 1\n")
    fixed = d.rpc("location.reload", {"name": "alpha", "wait": True})["result"]
    assert fixed["state"] == "LOADED" and fixed["changed"] is True and fixed["error"] is None
    served = definitions(d)
    assert served["stale"] is False and len(served["definitions"]["assets"]) == 1
    d.wait_log(r"reloaded alpha in .*: 1 asset \(\+0 -1\)")
    assert d.stop() == 0


def test_a_reload_that_crashes_backs_off_and_keeps_the_snapshot(daemon_factory, test_server,
                                                                tmp_path):
    code = tmp_path / "code.txt"
    d = coded(daemon_factory, test_server, code, "assets 2\n")
    d.wait_state("alpha", "LOADED")
    good = definitions(d)
    code.write_text("crash 4\n")
    d.rpc("location.reload", {"name": "alpha"})
    crashed = d.wait_state("alpha", None, where=lambda l: l["restarts"] >= 1)
    assert crashed["last_exit"] == {"code": 4}
    assert "while reloading" in d.log()
    served = definitions(d)
    assert served["version"] == good["version"] and served["stale"] is True
    code.write_text("assets 2\n")
    d.wait_state("alpha", "LOADED")
    assert d.stop() == 0


def test_each_reload_is_an_event(daemon_factory, test_server, tmp_path):
    code = tmp_path / "code.txt"
    d = coded(daemon_factory, test_server, code, "assets 2\n")
    d.wait_state("alpha", "LOADED")
    events = RpcClient(d.socket)
    assert "reload" in events.call("events.subscribe", {"topics": ["reload"]})["result"]["topics"]
    code.write_text("assets 4\n")
    d.rpc("location.reload", {"name": "alpha"})
    event = events.read()
    assert event["method"] == "event.reloaded"
    params = event["params"]
    assert params["name"] == "alpha" and params["outcome"] == "LOADED"
    assert params["cause"] == "requested" and params["duration_ms"] >= 0
    assert params["counts"]["assets"] == 4
    assert params["assets_added"] == ["asset_2", "asset_3"] and params["assets_removed"] == []
    assert re.match(r"\d{4}-\d\d-\d\dT", params["at"])
    events.close()
    assert d.stop() == 0
