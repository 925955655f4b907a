"""Supervision with real processes: `codeloc serve` and the scripted test code server."""
import os
import re
import signal

import pytest

from conftest import sanitizers
from daemon_harness import pid_alive, wait_for

# Fast supervision timings for tests; the defaults are documented in docs/configuration.md.
FAST = ["--ping-interval", "200ms", "--ping-misses", "2", "--stop-timeout", "1s"]


def command_entry(name, server, *args, extra=""):
    argv = ", ".join(f'"{a}"' for a in [str(server), *args])
    return f"""
  - command:
      location_name: {name}
      argv: [{argv}]
{extra}"""


def workspace(*entries):
    return "load_from:" + "".join(entries) + "\n"


def test_locations_load_with_their_environment_and_working_directory(daemon_factory, test_server,
                                                                    tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    d = daemon_factory(workspace(
        command_entry("alpha", test_server, "--env", "CODELOC_LOCATION", "--env", "GREETING",
                      "--env", "HOME", extra=f"""      working_directory: {project}
      env:
        GREETING: hello"""),
        command_entry("isolated", test_server, "--env", "HOME", "--env", "GREETING",
                      extra="      inherit_env: false")),
        extra_args=FAST, env={"GREETING": "from-daemon"}).start()
    alpha = d.wait_state("alpha", "LOADED")
    isolated = d.wait_state("isolated", "LOADED")
    assert alpha["pid"] > 0 and alpha["restarts"] == 0
    assert alpha["definitions_version"].startswith("sha256:")
    assert alpha["kind"] == "command" and alpha["error"] is None
    log = d.log()
    assert f"[alpha stdout] started pid={alpha['pid']} location=alpha cwd={project}" in log
    assert "[alpha stdout] env CODELOC_LOCATION=alpha" in log
    assert "[alpha stdout] env GREETING=hello" in log  # the entry's env over the daemon's
    assert f"[alpha stdout] env HOME={os.environ['HOME']}" in log  # inherited
    assert "[isolated stdout] env HOME=<unset>" in log  # inherit_env: false
    assert "[isolated stdout] env GREETING=<unset>" in log
    assert os.getpgid(alpha["pid"]) == alpha["pid"], "each child leads its own process group"
    assert d.stop() == 0
    assert not pid_alive(alpha["pid"]) and not pid_alive(isolated["pid"])


def test_a_crashing_child_is_restarted_with_growing_backoff(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("crashy", test_server, "--crash-after", "50")),
                       extra_args=FAST).start()
    loc = d.wait_state("crashy", None, where=lambda l: l["restarts"] >= 3)
    assert loc["last_exit"] == {"code": 3}
    backoffs = d.wait_log(r"crashy: \w+ -> BACKOFF: the code server exited with code 3", count=3)
    delays = [re.search(r"restarting in (\S+)$", line)[1] for line in backoffs[:3]]
    assert delays == ["100ms", "200ms", "400ms"]
    assert d.stop() == 0
    for pid in d.record_pids():
        assert not pid_alive(pid)


def test_restart_policies(daemon_factory, test_server):
    d = daemon_factory(workspace(
        command_entry("once", test_server, "--exit-after", "100"),  # on-failure by default
        command_entry("forever", test_server, "--exit-after", "100", extra="      restart: always"),
        command_entry("never", test_server, "--crash-after", "100", extra="      restart: never")),
        extra_args=FAST).start()
    d.wait_state("forever", None, where=lambda l: l["restarts"] >= 2)
    once = d.wait_state("once", "STOPPED")
    assert once["last_exit"] == {"code": 0} and once["error"] is None and once["restarts"] == 0
    never = d.wait_state("never", "STOPPED")
    assert never["restarts"] == 0 and never["last_exit"] == {"code": 3}
    assert never["error"]["message"] == "the code server exited with code 3"
    assert d.stop() == 0


def test_a_child_that_never_answers_hits_the_startup_timeout(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("hung", test_server, "--hang",
                                               extra="      startup_timeout: 300ms")),
                       extra_args=FAST).start()
    loc = d.wait_state("hung", None, where=lambda l: l["restarts"] >= 1)
    d.wait_log(r"hung: STARTING -> BACKOFF: the code server did not load within 300ms")
    assert loc["last_exit"] == {"signal": "SIGKILL"}
    assert d.stop() == 0


def test_a_code_server_that_stops_answering_pings_is_restarted(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("deaf", test_server, "--no-pings")),
                       extra_args=FAST).start()
    d.wait_state("deaf", "LOADED", where=lambda l: l["restarts"] >= 1)
    d.wait_log(r"deaf: LOADED -> BACKOFF: the code server stopped answering pings \(2 missed\)")
    assert d.stop() == 0


def test_a_load_error_is_reported_and_never_restarted(daemon_factory, test_server):
    d = daemon_factory(workspace(
        command_entry("broken", test_server, "--load-error"),
        command_entry("crashy", test_server, "--crash-after", "30")),
        extra_args=FAST).start()
    broken = d.wait_state("broken", "LOAD_ERROR")
    assert broken["error"]["class_name"] == "ValueError"
    assert broken["error"]["location"] == {"file": "defs.py", "line": 7, "column": 0}
    # While the neighbour crash-loops several times, the broken one is left alone.
    d.wait_state("crashy", None, where=lambda l: l["restarts"] >= 3)
    again = d.locations()["broken"]
    assert again["state"] == "LOAD_ERROR" and again["restarts"] == 0
    assert again["pid"] == broken["pid"]
    assert d.stop() == 0


def test_stop_escalates_to_sigkill_for_a_child_ignoring_sigterm(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("stubborn", test_server, "--ignore-term")),
                       extra_args=FAST).start()
    loc = d.wait_state("stubborn", "LOADED")
    assert d.stop() == 0
    assert "stubborn: LOADED -> STOPPING" in d.log()
    assert not pid_alive(loc["pid"])


def test_a_grandchild_that_escapes_the_group_is_stopped_too(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("family", test_server, "--grandchild")),
                       extra_args=FAST).start()
    loc = d.wait_state("family", "LOADED")
    grandchild = int(d.wait_log(r"\[family stdout\] grandchild pid=(\d+)")[0].rsplit("=", 1)[1])
    assert os.getsid(grandchild) == grandchild, "the grandchild left the child's session and group"
    assert d.stop() == 0
    assert not pid_alive(loc["pid"])
    wait_for(lambda: not pid_alive(grandchild), "the grandchild to be gone")


def test_killing_the_daemon_takes_every_child_and_grandchild_with_it(daemon_factory, test_server):
    d = daemon_factory(workspace(
        command_entry("family", test_server, "--grandchild"),
        command_entry("plain", test_server)), extra_args=FAST).start()
    d.wait_state("family", "LOADED")
    d.wait_state("plain", "LOADED")
    d.wait_log(r"\[family stdout\] grandchild pid=\d+")
    pids = d.record_pids()
    assert len(pids) == 3
    d.signal(signal.SIGKILL)
    d.proc.wait(timeout=30)
    for pid in pids:
        wait_for(lambda: not pid_alive(pid), f"process {pid} to be gone after the daemon's SIGKILL")


def test_a_flooding_child_neither_grows_the_daemon_nor_starves_it(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("flood", test_server, "--flood"),
                                 command_entry("calm", test_server)),
                       extra_args=[*FAST, "--log-ring-bytes", "1MiB"]).start()
    d.wait_state("flood", "LOADED")
    d.wait_log(r"\[flood\] \d+ lines not logged here \(rate limit\)")
    # Still answering (pings included) while the flood goes on.
    for _ in range(20):
        assert d.locations()["calm"]["state"] == "LOADED"
    # Under AddressSanitizer the RSS says nothing about the daemon: freed blocks wait in ASan's
    # quarantine (256 MiB by default) and shadow memory comes on top (about 145 MiB here with a
    # 16 MiB quarantine). The plain build keeps the bound.
    if "address" not in sanitizers():
        rss_kib = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{d.proc.pid}/status").read())[1])
        assert rss_kib < 64 * 1024, f"daemon RSS {rss_kib} KiB while a child floods"
    assert d.locations()["flood"]["state"] == "LOADED"
    assert d.stop() == 0


def test_sighup_applies_the_workspace_diff(daemon_factory, test_server):
    d = daemon_factory(workspace(
        command_entry("keep", test_server),
        command_entry("change", test_server),
        command_entry("drop", test_server)), extra_args=FAST).start()
    keep = d.wait_state("keep", "LOADED")
    change = d.wait_state("change", "LOADED")
    drop = d.wait_state("drop", "LOADED")
    d.workspace.write_text(workspace(
        command_entry("keep", test_server),
        command_entry("change", test_server, extra="      env: {NEW: '1'}"),
        command_entry("add", test_server)))
    d.signal(signal.SIGHUP)
    d.wait_state("add", "LOADED")
    d.wait_state("change", "LOADED", where=lambda l: l["pid"] != change["pid"])
    wait_for(lambda: "drop" not in d.locations(), "drop to be removed")
    wait_for(lambda: not pid_alive(drop["pid"]), "drop's process to be gone")
    assert d.locations()["keep"]["pid"] == keep["pid"], "an unchanged location keeps its process"
    # A workspace that no longer parses changes nothing and says why.
    d.workspace.write_text("load_from:\n  - command:\n      argv: []\n")
    d.signal(signal.SIGHUP)
    d.wait_log(r"the workspace has errors; nothing was changed")
    assert set(d.locations()) == {"keep", "change", "add"}
    assert d.stop() == 0


def test_a_grpc_server_entry_that_cannot_be_read_is_a_load_error_and_the_rest_runs(
        daemon_factory, test_server):
    """The entry's reader process needs dagster (docs/dagster.md, "grpc_server: entries"); an
    interpreter without it is a load error that says so, and the other locations run."""
    d = daemon_factory(workspace(
        "\n  - grpc_server:\n      host: localhost\n      port: 4266\n      location_name: remote"
        "\n      executable_path: /usr/bin/python3",
        command_entry("local", test_server)), extra_args=FAST).start()
    remote = d.wait_state("remote", "LOAD_ERROR")
    assert "dagster cannot be imported by /usr/bin/python3" in remote["error"]["message"], remote
    d.wait_state("local", "LOADED")
    assert d.stop() == 0


def test_code_server_entries_attach_and_reconnect(daemon_factory, tmp_path):
    """A code_server: entry is attached to, never started; a dropped connection is retried with
    backoff. The code server here is a few lines of Python serving a Unix socket."""
    import json
    import socket
    import threading

    path = tmp_path / "external.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(4)
    connections = []

    def answer(conn):
        try:
            serve_connection(conn)
        except OSError:
            pass  # the daemon hung up (a stop, or the test's own shutdown)

    def serve_connection(conn):
        buf = b""
        while True:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                req = json.loads(line)
                result = {"protocol_version": 1, "location": "external"}
                if req["method"] == "definitions.get":
                    result = {"snapshot": {"location": "external", "assets": []}}
                elif req["method"] != "initialize":
                    result = {}
                conn.sendall(json.dumps({"jsonrpc": "2.0", "id": req["id"],
                                         "result": result}).encode() + b"\n")

    def accept_loop():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            connections.append(conn)
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    d = daemon_factory(workspace(
        f"\n  - code_server:\n      socket: {path}\n      location_name: external"),
        extra_args=FAST).start()
    loaded = d.wait_state("external", "LOADED")
    assert loaded["pid"] is None and loaded["kind"] == "code_server"
    connections[0].shutdown(socket.SHUT_RDWR)  # the connection drops: reconnect with backoff
    d.wait_state("external", "LOADED", where=lambda l: l["restarts"] >= 1)
    assert len(connections) >= 2
    assert d.stop() == 0
    listener.shutdown(socket.SHUT_RDWR)
    listener.close()


def test_a_second_sigint_kills_at_once(daemon_factory, test_server):
    # stop_timeout is long: only the second SIGINT can make this stop quick.
    d = daemon_factory(workspace(command_entry("stubborn", test_server, "--ignore-term",
                                               extra="      stop_timeout: 10m")),
                       extra_args=FAST).start()
    loc = d.wait_state("stubborn", "LOADED")
    d.signal(signal.SIGINT)
    d.wait_log(r"stubborn: LOADED -> STOPPING")
    d.signal(signal.SIGINT)
    d.wait_log(r"second SIGINT: killing every process now")
    assert d.proc.wait(timeout=30) == 0
    assert not pid_alive(loc["pid"])
