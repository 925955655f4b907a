"""`codeloc status` against a real daemon, and without one."""
import json
import subprocess

from test_supervise import FAST, command_entry, workspace


def run(codeloc_bin, *args, env=None):
    return subprocess.run([str(codeloc_bin), *args], capture_output=True, text=True, timeout=60,
                          env=env)


def test_status_prints_a_table_and_json(daemon_factory, test_server, codeloc_bin):
    d = daemon_factory(workspace(command_entry("alpha", test_server),
                                 command_entry("broken", test_server, "--load-error")),
                       extra_args=FAST).start()
    alpha = d.wait_state("alpha", "LOADED")
    d.wait_state("broken", "LOAD_ERROR")

    table = run(codeloc_bin, "status", "--socket", str(d.socket))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "STATE", "PID", "START", "RESTARTS", "SINCE",
                                "VERSION"]
    # START (warm or cold) is for Python locations; a command: location shows "-".
    assert lines[1].split()[:6] == ["alpha", "command", "LOADED", str(alpha["pid"]), "-", "0"]
    assert lines[2].split()[:3] == ["broken", "command", "LOAD_ERROR"]
    assert lines[3] == "  ValueError: scripted load error (defs.py:7)"
    assert "\033[" not in table.stdout, "no colour when stdout is not a terminal"

    as_json = run(codeloc_bin, "status", "--json", "--socket", str(d.socket))
    assert as_json.returncode == 0
    names = [loc["name"] for loc in json.loads(as_json.stdout)["locations"]]
    assert names == ["alpha", "broken"]
    assert d.stop() == 0


def test_status_without_a_daemon_says_so_in_one_line(codeloc_bin, tmp_path):
    result = run(codeloc_bin, "status", "--socket", str(tmp_path / "nobody.sock"))
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        f"codeloc: no daemon is running on {tmp_path / 'nobody.sock'} "
        "(start one with `codeloc serve -w workspace.yaml`, or `codeloc dev`)"]


def test_a_second_daemon_on_the_same_socket_refuses_to_start(daemon_factory, test_server,
                                                            codeloc_bin, tmp_path):
    d = daemon_factory(workspace(command_entry("alpha", test_server)), extra_args=FAST).start()
    second = run(codeloc_bin, "serve", "-w", str(d.workspace), "--socket", str(d.socket))
    assert second.returncode == 1
    assert f"another codeloc daemon is already serving on {d.socket}" in second.stderr
    assert d.locations()["alpha"]["state"] in ("STARTING", "LOADED")
    assert d.stop() == 0


def test_a_stale_socket_is_replaced_but_a_regular_file_is_never_removed(daemon_factory,
                                                                        test_server, codeloc_bin,
                                                                        tmp_path):
    import socket as sockets
    stale = tmp_path / "codeloc.sock"
    s = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
    s.bind(str(stale))
    s.close()  # a socket file nobody listens on
    d = daemon_factory(workspace(command_entry("alpha", test_server)), extra_args=FAST).start()
    d.wait_state("alpha", "LOADED")
    d.wait_log("replacing stale control socket")
    assert d.stop() == 0
    assert not stale.exists(), "the daemon removes its socket when it exits"

    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    result = run(codeloc_bin, "serve", "-w", str(d.workspace), "--socket", str(precious))
    assert result.returncode == 1
    assert "exists and is not a socket; refusing to replace it" in result.stderr
    assert precious.read_text() == "keep me"
