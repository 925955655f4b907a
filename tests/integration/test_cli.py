"""The client commands of `codeloc` (info, defs, reload, start/stop/restart, logs, call, events)
against a real daemon with the scripted test code server, and the Python example client."""
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading

from daemon_harness import DEADLINE, OWNED_PIDS, wait_for
from test_supervise import FAST, command_entry, workspace

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(codeloc_bin, *args):
    return subprocess.run([str(codeloc_bin), *args], capture_output=True, text=True, timeout=60)


class Streaming:
    """A CLI run in its own session whose stdout and stderr lines are collected as they come."""

    def __init__(self, codeloc_bin, *args):
        self.proc = subprocess.Popen([str(codeloc_bin), *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True)
        OWNED_PIDS.add(self.proc.pid)
        self.out, self.err = [], []
        self.readers = [threading.Thread(target=self._read, args=(s, l), daemon=True)
                        for s, l in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream, lines):
        for line in stream:
            lines.append(line.rstrip("\n"))

    def wait_line(self, pattern, stream="out"):
        lines = self.out if stream == "out" else self.err
        regex = re.compile(pattern)
        try:
            return wait_for(lambda: next((l for l in list(lines) if regex.search(l)), None),
                            f"a {stream} line matching {pattern!r}")
        except AssertionError as e:
            raise AssertionError(f"{e}\nstdout: {self.out}\nstderr: {self.err}") from None

    def interrupt(self) -> int:
        """SIGINT by pid, then the exit status."""
        self.proc.send_signal(signal.SIGINT)
        return self.finish()

    def finish(self) -> int:
        status = self.proc.wait(timeout=DEADLINE)
        for reader in self.readers:
            reader.join(timeout=DEADLINE)
        return status

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE)


def two_locations(daemon_factory, test_server):
    d = daemon_factory(workspace(command_entry("alpha", test_server, "--assets", "3"),
                                 command_entry("broken", test_server, "--load-error")),
                       extra_args=FAST).start()
    d.wait_state("alpha", "LOADED")
    d.wait_state("broken", "LOAD_ERROR")
    return d


def test_info_readable_and_json(daemon_factory, test_server, codeloc_bin):
    d = two_locations(daemon_factory, test_server)
    info = run(codeloc_bin, "info", "--socket", str(d.socket))
    assert info.returncode == 0, info.stderr
    lines = info.stdout.splitlines()
    assert re.fullmatch(r"codeloc \S+ \(protocol 1\)", lines[0])
    assert f"pid        {d.proc.pid}" in lines
    assert f"workspace  {d.workspace}" in lines
    assert "locations  2" in lines
    as_json = json.loads(run(codeloc_bin, "info", "--json", "--socket", str(d.socket)).stdout)
    assert as_json["pid"] == d.proc.pid
    assert d.stop() == 0


def test_defs_summary_raw_json_and_errors(daemon_factory, test_server, codeloc_bin):
    d = two_locations(daemon_factory, test_server)
    summary = run(codeloc_bin, "defs", "alpha", "--socket", str(d.socket))
    assert summary.returncode == 0, summary.stderr
    lines = summary.stdout.splitlines()
    assert lines[0].startswith("alpha (version ")
    assert lines[1] == "3 assets, 0 asset checks, 0 jobs, 0 schedules, 0 sensors, 0 resources"
    assert "    asset_2  -     -" in lines

    raw = run(codeloc_bin, "defs", "alpha", "--json", "--socket", str(d.socket))
    assert raw.returncode == 0
    # The bytes as the test server wrote them (nlohmann's compact dump), not re-encoded.
    assert raw.stdout == json.dumps(
        {"assets": [{"key": [f"asset_{i}"]} for i in range(3)], "jobs": [], "location": "alpha"},
        separators=(",", ":")) + "\n"

    unknown = run(codeloc_bin, "defs", "nope", "--socket", str(d.socket))
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert unknown.stderr.splitlines() == [
        "codeloc: no location named 'nope' (`codeloc status` lists them)"]
    not_loaded = run(codeloc_bin, "defs", "broken", "--socket", str(d.socket))
    assert not_loaded.returncode == 1
    assert len(not_loaded.stderr.splitlines()) == 1 and "LOAD_ERROR" in not_loaded.stderr
    assert d.stop() == 0


def test_every_client_command_says_in_one_line_that_no_daemon_runs(codeloc_bin, tmp_path):
    sock = str(tmp_path / "nobody.sock")
    for args in (["info"], ["defs", "a"], ["reload"], ["reload", "a"], ["start", "a"],
                 ["stop", "a"], ["restart", "a"], ["logs", "a"], ["logs", "a", "-f"],
                 ["call", "a", "ping"], ["events"]):
        result = run(codeloc_bin, *args, "--socket", sock)
        assert result.returncode == 3, args
        assert result.stderr.splitlines() == [
            f"codeloc: no daemon is running on {sock} "
            "(start one with `codeloc serve -w workspace.yaml`, or `codeloc dev`)"], args


def test_reload_a_location_and_a_load_error(daemon_factory, test_server, codeloc_bin):
    d = two_locations(daemon_factory, test_server)
    ok = run(codeloc_bin, "reload", "alpha", "--socket", str(d.socket))
    assert ok.returncode == 0, ok.stderr
    assert re.fullmatch(r"reloaded alpha in [\d.]+ m?s: definitions unchanged\n", ok.stdout)
    as_json = run(codeloc_bin, "reload", "alpha", "--json", "--socket", str(d.socket))
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["state"] == "LOADED"

    failed = run(codeloc_bin, "reload", "broken", "--socket", str(d.socket))
    assert failed.returncode == 1
    lines = failed.stderr.splitlines()
    assert re.fullmatch(r"reload of broken failed in [\d.]+ m?s: its code did not load", lines[0])
    assert lines[1:] == ["ValueError: scripted load error", "  defs.py:7 in <module>",
                         "      raise ValueError()"]
    unknown = run(codeloc_bin, "reload", "nope", "--socket", str(d.socket))
    assert unknown.returncode == 1 and "no location named 'nope'" in unknown.stderr
    assert d.stop() == 0


def test_reload_the_workspace(daemon_factory, test_server, codeloc_bin):
    d = daemon_factory(workspace(command_entry("keep", test_server),
                                 command_entry("change", test_server),
                                 command_entry("drop", test_server)), extra_args=FAST).start()
    d.wait_state("keep", "LOADED")
    d.workspace.write_text(workspace(
        command_entry("keep", test_server),
        command_entry("change", test_server, extra="      env: {NEW: '1'}"),
        command_entry("add", test_server)))
    result = run(codeloc_bin, "reload", "--socket", str(d.socket))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["added      add", "removed    drop",
                                          "changed    change (env)", "unchanged  keep"]
    d.wait_state("add", "LOADED")

    d.workspace.write_text("load_from:\n  - command:\n      argv: []\n")
    invalid = run(codeloc_bin, "reload", "--socket", str(d.socket))
    assert invalid.returncode == 1
    lines = invalid.stderr.splitlines()
    assert lines[0] == "codeloc: the workspace has errors; nothing was changed"
    assert len(lines) >= 2 and all(re.match(r"  \S+:\d+:\d+: ", l) for l in lines[1:]), lines
    assert set(d.locations()) == {"keep", "change", "add"}
    assert d.stop() == 0


def test_stop_start_restart(daemon_factory, test_server, codeloc_bin):
    d = two_locations(daemon_factory, test_server)
    before = d.locations()["alpha"]
    stopped = run(codeloc_bin, "stop", "alpha", "--socket", str(d.socket))
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.startswith("alpha: STOPPED")
    assert d.locations()["alpha"]["state"] == "STOPPED"

    started = run(codeloc_bin, "start", "alpha", "--socket", str(d.socket))
    assert started.returncode == 0, started.stderr
    pid = d.locations()["alpha"]["pid"]
    assert started.stdout == f"alpha: LOADED (pid {pid})\n" and pid != before["pid"]

    restarted = run(codeloc_bin, "restart", "alpha", "--json", "--socket", str(d.socket))
    assert restarted.returncode == 0, restarted.stderr
    entry = json.loads(restarted.stdout)
    assert entry["state"] == "LOADED" and entry["pid"] not in (pid, None)

    broken = run(codeloc_bin, "restart", "broken", "--socket", str(d.socket))
    assert broken.returncode == 1
    assert "broken: LOAD_ERROR" in broken.stdout and "scripted load error" in broken.stdout
    no_wait = run(codeloc_bin, "stop", "alpha", "--no-wait", "--socket", str(d.socket))
    assert no_wait.returncode == 0 and no_wait.stdout.startswith("alpha: ")
    d.wait_state("alpha", "STOPPED")
    assert run(codeloc_bin, "start", "nope", "--socket", str(d.socket)).returncode == 1
    assert d.stop() == 0


def test_logs_and_follow_without_duplicates(daemon_factory, test_server, codeloc_bin):
    d = two_locations(daemon_factory, test_server)
    pid = d.locations()["alpha"]["pid"]
    dump = run(codeloc_bin, "logs", "alpha", "-n", "5", "--socket", str(d.socket))
    assert dump.returncode == 0, dump.stderr
    assert re.search(rf"\[{pid}\] stdout: started pid={pid} location=alpha", dump.stdout)
    as_json = run(codeloc_bin, "logs", "alpha", "--json", "--socket", str(d.socket))
    assert any(json.loads(l)["text"].startswith("started pid=") for l in as_json.stdout.splitlines())

    follow = Streaming(codeloc_bin, "logs", "alpha", "-f", "--socket", str(d.socket))
    try:
        follow.wait_line(rf"started pid={pid} ")
        assert d.rpc("location.restart", {"name": "alpha"})["result"]["name"] == "alpha"
        new = d.wait_state("alpha", "LOADED", where=lambda l: l["pid"] not in (pid, None))
        follow.wait_line(rf"\[{new['pid']}\] stdout: started pid={new['pid']} ")
        assert follow.interrupt() == 0, follow.err
    finally:
        follow.kill()
    started = [l for l in follow.out if "started pid=" in l]
    assert len(started) == len(set(started)) == 2, follow.out
    assert not any("broken" in l for l in follow.out), "only alpha's lines"
    assert d.stop() == 0


def test_logs_follow_ends_with_one_line_when_the_daemon_goes_away(daemon_factory, test_server,
                                                                   codeloc_bin):
    d = two_locations(daemon_factory, test_server)
    follow = Streaming(codeloc_bin, "logs", "alpha", "-f", "--socket", str(d.socket))
    try:
        follow.wait_line(r"started pid=")
        assert d.stop() == 0
        assert follow.finish() == 1
    finally:
        follow.kill()
    assert follow.err == ["codeloc: the daemon went away; no more log lines"]


def test_call_relays_results_and_errors(daemon_factory, test_server, codeloc_bin):
    d = two_locations(daemon_factory, test_server)
    echo = run(codeloc_bin, "call", "alpha", "echo", '{"x": [1, 2]}', "--socket", str(d.socket))
    assert echo.returncode == 0, echo.stderr
    assert json.loads(echo.stdout) == {"x": [1, 2]}
    raw = run(codeloc_bin, "call", "alpha", "ping", "--json", "--socket", str(d.socket))
    assert raw.returncode == 0 and raw.stdout == "{}\n"

    missing = run(codeloc_bin, "call", "alpha", "nope", "--socket", str(d.socket))
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.splitlines()[0] == "codeloc: method not found: nope (code -32601)"
    bad = run(codeloc_bin, "call", "alpha", "echo", "{not json", "--socket", str(d.socket))
    assert bad.returncode == 2 and "JSON must be a JSON object or array" in bad.stderr
    unknown = run(codeloc_bin, "call", "nope", "ping", "--socket", str(d.socket))
    assert unknown.returncode == 1 and "no location named 'nope'" in unknown.stderr
    assert d.stop() == 0


def test_events_readable_and_json(daemon_factory, test_server, codeloc_bin):
    d = two_locations(daemon_factory, test_server)
    pid = d.locations()["alpha"]["pid"]
    readable = Streaming(codeloc_bin, "events", "--socket", str(d.socket))
    as_json = Streaming(codeloc_bin, "events", "--topics", "state", "--json", "--socket",
                        str(d.socket))
    try:
        readable.wait_line(r"^codeloc: listening for definitions, reload, state, workspace events", "err")
        as_json.wait_line(r"^codeloc: listening for state events", "err")
        d.rpc("location.restart", {"name": "alpha"})
        readable.wait_line(rf"^\S+ state alpha LOADED -> STOPPING \(pid {pid}\)$")
        readable.wait_line(r"^\S+ state alpha STARTING -> LOADED \(pid \d+\)$")
        as_json.wait_line(r'"to":"LOADED"')
        assert readable.interrupt() == 0, readable.err
        assert as_json.interrupt() == 0, as_json.err
    finally:
        readable.kill()
        as_json.kill()
    events = [json.loads(l) for l in as_json.out]
    assert all(e["method"] == "event.state" for e in events)
    assert {"name": "alpha", "from": "LOADED", "to": "STOPPING"}.items() <= \
        events[0]["params"].items()
    assert d.stop() == 0


def test_the_python_example_client(daemon_factory, test_server):
    d = two_locations(daemon_factory, test_server)
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "control_client.py"),
                             str(d.socket)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "alpha: LOADED", "broken: LOAD_ERROR",
        "alpha asset asset_0", "alpha asset asset_1", "alpha asset asset_2"]
    assert d.stop() == 0
