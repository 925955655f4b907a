"""Faults around the daemon (docs/supervision.md, "Faults"): each test shows that codeloc keeps
serving, says what is wrong in a log line, and loses nothing that was running.

Already covered elsewhere, not repeated here: a flooding child's stdout (test_supervise), a client
that does not read (test_control), a thousand idle connections (test_control), oversized control
requests (test_control), a child that never answers (startup timeout, test_supervise).
"""
import os
import pathlib
import re
import resource
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import sanitizers
from daemon_harness import DEADLINE, OWNED_PIDS, RpcClient, pid_alive, wait_for

PINGS = ["--ping-interval", "200ms", "--ping-misses", "2"]
FAST = [*PINGS, "--stop-timeout", "1s"]

# A minimal code server (protocol v1) in Python, with one scripted fault per mode.
FAULTY_SERVER = r'''
import json, os, signal, sys
mode = sys.argv[1]
fd = int(os.environ["CODELOC_CHANNEL_FD"])
print(f"started pid={os.getpid()} mode={mode}", flush=True)
if mode == "term":
    def on_term(*_):
        print("got SIGTERM", flush=True)
        os._exit(0)
    signal.signal(signal.SIGTERM, on_term)
if mode == "stop-self":
    os.kill(os.getpid(), signal.SIGSTOP)
MiB = b"x" * (1 << 20)
if mode == "huge-stdout":
    for _ in range(1024):
        sys.stdout.buffer.write(MiB)
    sys.stdout.buffer.write(b"\nwrote 1 GiB to stdout\n")
    sys.stdout.flush()
out = os.fdopen(fd, "wb", buffering=0)
def send(message):
    out.write(json.dumps(dict(message, jsonrpc="2.0")).encode() + b"\n")
for line in os.fdopen(os.dup(fd), "rb"):
    request = json.loads(line)
    method, id = request.get("method"), request.get("id")
    if mode == "garbage":
        out.write(b"\x00\xffthis is not JSON\n")
        continue
    if mode == "half-json":
        out.write(b'{"jsonrpc": "2.0", "id": ' + str(id).encode() + b', "res\n')
        continue
    if mode == "huge-frame":
        for _ in range(1024):
            out.write(MiB)
        out.write(b"\n")
        print("wrote 1 GiB to the channel", flush=True)
        continue
    if method == "initialize":
        send({"id": id, "result": {"protocol_version": 1, "pid": os.getpid(),
                                   "location": os.environ["CODELOC_LOCATION"],
                                   "server": {"name": "faulty", "version": "1"}}})
    elif method == "definitions.get":
        send({"id": id, "result": {"snapshot": {"location": os.environ["CODELOC_LOCATION"],
                                                "assets": [], "jobs": []},
                                   "summary": {"assets": 0}}})
    elif method == "ping":
        send({"id": id, "result": {}})
    elif method == "shutdown" and mode != "term":
        send({"id": id, "result": {}})
        sys.exit(0)
'''


def server_entry(name, argv, extra=""):
    quoted = ", ".join(f'"{a}"' for a in argv)
    return f"""
  - command:
      location_name: {name}
      argv: [{quoted}]
{extra}"""


def ts_entry(name, test_server, *args):
    return server_entry(name, [str(test_server), *args])


def faulty_entry(tmp_path, name, mode):
    script = tmp_path / "faulty_server.py"
    script.write_text(FAULTY_SERVER)
    return server_entry(name, [sys.executable, str(script), mode])


def workspace(*entries):
    return "load_from:" + "".join(entries) + "\n"


def start(d, stdout=None, preexec_fn=None):
    """Daemon.start, with the daemon's output and its limits chosen by the test."""
    d.log_file = open(d.log_path, "wb")
    d.proc = subprocess.Popen(
        [str(d.binary), "serve", "-w", str(d.workspace), "--socket", str(d.socket), *d.extra_args],
        cwd=d.workdir, stdin=subprocess.DEVNULL, stdout=stdout or d.log_file,
        stderr=subprocess.STDOUT, env=d.env, start_new_session=True, preexec_fn=preexec_fn)
    OWNED_PIDS.add(d.proc.pid)
    wait_for(lambda: d.answers() or d.proc.poll() is not None,
             "the daemon to answer on its control socket")
    assert d.proc.poll() is None, f"the daemon exited with {d.proc.returncode}:\n{d.log()}"
    return d


def status_field(pid, field):
    """A line of /proc/PID/status, in kB for the memory fields."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def cpu_seconds(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def pids_of(locations):
    return {name: loc["pid"] for name, loc in locations.items()}


def listed(client):
    return {loc["name"]: loc for loc in client.call("locations.list")["result"]["locations"]}


def wait_listed(client, name, state, where=lambda loc: True, what=None):
    def reached():
        loc = listed(client)[name]
        return loc if loc["state"] == state and where(loc) else None

    return wait_for(reached, what or f"{name} to reach {state}")


# 1. File descriptor exhaustion ------------------------------------------------------------------

@pytest.mark.skipif(bool(sanitizers()), reason=(
    "the sanitizer runtimes need descriptors of their own: UBSan's vptr check probes memory "
    "through a pipe and, with none left, reports a false 'invalid vptr'"))
def test_out_of_descriptors_the_daemon_pauses_accepting_and_recovers(daemon_factory, test_server):
    limit = 64

    def low_fd_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    d = daemon_factory(workspace(ts_entry("alpha", test_server),
                                 ts_entry("beta", test_server),
                                 ts_entry("gamma", test_server)),
                       extra_args=[*FAST, "--backoff-max", "500ms"])
    start(d, preexec_fn=low_fd_limit)
    d.wait_state("alpha", "LOADED")
    d.wait_state("beta", "LOADED")
    d.wait_state("gamma", "LOADED")
    assert d.rpc("location.stop", {"name": "gamma", "wait": True})["result"]["state"] == "STOPPED"
    before = pids_of(d.locations())
    existing = RpcClient(d.socket)
    assert existing.call("daemon.info")["result"]["pid"] == d.proc.pid

    # More clients than descriptors: the kernel queues the rest in the listen backlog.
    flood = []
    try:
        for _ in range(3 * limit):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(str(d.socket))
            flood.append(s)
        d.wait_log(r"control socket: cannot accept a connection: Too many open files "
                   r"\(\d+ clients connected, descriptor limit 64\); trying again every 100 ms")
        # No busy loop: the daemon sleeps between attempts (the old code used a whole core).
        spent = cpu_seconds(d.proc.pid)
        for _ in range(20):  # ~1 s of the daemon's life, served by the connection it has
            assert existing.call("daemon.info")["result"]["pid"] == d.proc.pid
            time.sleep(0.05)
        assert cpu_seconds(d.proc.pid) - spent < 0.5
        assert len([l for l in d.log().splitlines() if "cannot accept a connection" in l]) == 1

        # Starting a location needs descriptors too: it fails with a reason and backs off.
        assert "error" not in existing.call("location.start", {"name": "gamma"})
        d.wait_log(r"gamma: \w+ -> BACKOFF: .*Too many open files")
        gamma = listed(existing)["gamma"]
        assert gamma["state"] in ("BACKOFF", "STARTING") and gamma["restarts"] >= 0
        now = listed(existing)
        assert pids_of({n: now[n] for n in ("alpha", "beta")}) == {
            n: before[n] for n in ("alpha", "beta")}
        assert all(now[n]["state"] == "LOADED" for n in ("alpha", "beta"))
    finally:
        for s in flood:
            s.close()
    # Descriptors free up: the daemon accepts again and gamma's next attempt starts it.
    d.wait_log(r"control socket: accepting connections again")
    assert d.rpc("daemon.info")["result"]["pid"] == d.proc.pid
    d.wait_state("gamma", "LOADED")
    after = d.locations()
    assert {n: after[n]["pid"] for n in ("alpha", "beta")} == {
        n: before[n] for n in ("alpha", "beta")}
    assert after["alpha"]["restarts"] == 0 and after["beta"]["restarts"] == 0
    existing.close()
    assert d.stop() == 0


# 2. A full disk under the daemon's log ----------------------------------------------------------

def test_a_log_on_a_full_disk_changes_nothing_else(daemon_factory, test_server):
    """The daemon logs to stderr; /dev/full fails every write with ENOSPC."""
    d = daemon_factory(workspace(ts_entry("alpha", test_server),
                                 ts_entry("crashy", test_server, "--crash-after", "50")),
                       extra_args=[*FAST, "--log-level", "debug"])
    with open("/dev/full", "wb") as full:
        start(d, stdout=full)
    alpha = d.wait_state("alpha", "LOADED")
    d.wait_state("crashy", None, where=lambda loc: loc["restarts"] >= 3)
    d.known_pids.add(alpha["pid"])
    # Logging fails on every line; supervision, reloads and the control API do not notice.
    assert d.rpc("location.reload", {"name": "alpha", "wait": True})["result"]["state"] == "LOADED"
    alpha = d.wait_state("alpha", "LOADED")
    d.known_pids.add(alpha["pid"])
    lines = d.rpc("location.logs", {"name": "alpha"})["result"]["lines"]
    assert any(line["text"].startswith("started pid=") for line in lines)
    # The one place that can say so: daemon.info.
    error = d.rpc("daemon.info")["result"]["log_error"]
    assert error["message"] == "the log cannot be written: No space left on device"
    assert error["lines_lost"] > 10
    assert d.proc.poll() is None
    assert d.stop() == 0
    assert not pid_alive(alpha["pid"])


def test_a_log_on_a_filesystem_that_fills_up_resumes_when_space_frees(daemon_factory,
                                                                       test_server, tmp_path):
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        d = daemon_factory(workspace(ts_entry("alpha", test_server),
                                     ts_entry("crashy", test_server, "--crash-after", "20")),
                           extra_args=[*FAST, "--backoff-max", "100ms"], workdir=mnt)
        d.log_path = tmp_path / "unused.log"
        log = mnt / "daemon.log"
        with open(log, "wb") as out:
            start(d, stdout=out)
        # crashy fills the 64 KiB with state changes; the daemon goes on supervising.
        wait_for(lambda: d.rpc("daemon.info")["result"]["log_error"], "the tmpfs to fill up")
        restarts = d.locations()["crashy"]["restarts"]
        d.wait_state("crashy", None, where=lambda loc: loc["restarts"] >= restarts + 3)
        alpha = d.locations()["alpha"]
        assert alpha["state"] == "LOADED" and alpha["restarts"] == 0
        d.known_pids.add(alpha["pid"])
        assert d.rpc("daemon.info")["result"]["log_error"]["message"] == \
            "the log cannot be written: No space left on device"
        # Space again: the log goes on (the file is appended to at its offset, past the hole).
        assert d.rpc("location.stop", {"name": "crashy", "wait": True})["result"]["state"] == \
            "STOPPED"
        os.truncate(log, 0)
        assert d.rpc("location.restart", {"name": "alpha", "wait": True})["result"]["state"] == \
            "LOADED"
        wait_for(lambda: b"alpha: STARTING -> LOADED" in log.read_bytes().replace(b"\0", b""),
                 "the log to resume")
        assert re.search(rb"the log could not be written \(No space left on device\): \d+ "
                         rb"line\(s\) lost", log.read_bytes())
        assert d.rpc("daemon.info")["result"]["log_error"] is None
        assert d.stop() == 0
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


# 3. The workspace file deleted while running ---------------------------------------------------

@pytest.mark.parametrize("watch", [True, False], ids=["watch", "sighup"])
def test_a_deleted_workspace_file_keeps_everything_running(daemon_factory, test_server, watch):
    entries = [ts_entry("alpha", test_server), ts_entry("beta", test_server)]
    d = daemon_factory(workspace(*entries),
                       extra_args=[*FAST, *(["--watch"] if watch else [])]).start()
    d.wait_state("alpha", "LOADED")
    d.wait_state("beta", "LOADED")
    before = d.locations()
    d.workspace.unlink()
    if not watch:
        d.signal(signal.SIGHUP)
    d.wait_log(rf"{d.workspace}: the workspace file is gone; keeping the 2 current location\(s\) "
               r"as they are \(recreate it to apply it\)")
    if watch:  # SIGHUP with the file missing, under --watch too
        d.signal(signal.SIGHUP)
        d.wait_log(r"the workspace file is gone", count=2)
    error = d.rpc("workspace.reload")["error"]
    assert error["code"] == -32016 and str(d.workspace) in error["data"]["errors"][0]
    now = d.locations()
    assert pids_of(now) == pids_of(before)
    assert all(loc["state"] == "LOADED" and loc["restarts"] == 0 for loc in now.values())
    # Recreated (with one more location): applied as an edit.
    d.workspace.write_text(workspace(*entries, ts_entry("gamma", test_server)))
    if not watch:
        d.signal(signal.SIGHUP)
    d.wait_log(r"workspace reloaded: 1 added, 0 removed, 0 changed, 2 unchanged")
    d.wait_state("gamma", "LOADED")
    assert pids_of({n: l for n, l in d.locations().items() if n != "gamma"}) == pids_of(before)
    assert d.stop() == 0


# 4. A code server that breaks the protocol -----------------------------------------------------

@pytest.mark.parametrize("mode,message", [
    ("garbage", r"the code server sent a line that is not JSON-RPC: parse error"),
    ("half-json", r"the code server sent a line that is not JSON-RPC: parse error"),
])
def test_a_code_server_sending_garbage_is_a_load_error_naming_it(daemon_factory, test_server,
                                                                 tmp_path, mode, message):
    d = daemon_factory(workspace(ts_entry("alpha", test_server),
                                 faulty_entry(tmp_path, "faulty", mode)), extra_args=FAST).start()
    alpha = d.wait_state("alpha", "LOADED")
    faulty = d.wait_state("faulty", "LOAD_ERROR")
    assert message.split(":")[0] in faulty["error"]["message"]
    d.wait_log(rf"faulty: STARTING -> LOAD_ERROR: {message}")
    d.wait_log(rf"faulty: {message}.*\(further protocol errors from this code server are not "
               r"logged\)")
    assert d.locations()["alpha"]["pid"] == alpha["pid"]
    assert d.stop() == 0


def test_a_1_gib_line_neither_grows_the_daemon_nor_stops_the_others(daemon_factory, test_server,
                                                                     tmp_path):
    d = daemon_factory(workspace(ts_entry("alpha", test_server),
                                 faulty_entry(tmp_path, "frame", "huge-frame"),
                                 faulty_entry(tmp_path, "stdout", "huge-stdout")),
                       extra_args=[*FAST, "--max-message-bytes", "16MiB"]).start()
    alpha = d.wait_state("alpha", "LOADED")
    frame = d.wait_state("frame", "LOAD_ERROR", timeout=120)
    assert frame["error"]["message"] == ("the code server sent a message over the limit of "
                                         "16777216 bytes (max_message_bytes); it was discarded")
    d.wait_log(r"\[frame stdout\] wrote 1 GiB to the channel", timeout=120)
    d.wait_log(r"\[stdout stdout\] wrote 1 GiB to stdout", timeout=120)
    d.wait_state("stdout", "LOADED")
    assert "[truncated]" in d.log()
    # Under AddressSanitizer the RSS says nothing about the daemon (see test_supervise's flood).
    if "address" not in sanitizers():
        peak_mib = status_field(d.proc.pid, "VmHWM") / 1024
        assert peak_mib < 200, f"the daemon's peak RSS was {peak_mib:.0f} MiB"
    now = d.locations()
    assert now["alpha"]["pid"] == alpha["pid"] and now["alpha"]["state"] == "LOADED"
    assert d.rpc("daemon.info")["result"]["pid"] == d.proc.pid
    assert d.stop() == 0


# 5. Clients that send nothing, or half a request -----------------------------------------------

def test_silent_and_half_frame_clients_cost_nothing_and_block_nobody(daemon_factory, test_server):
    """docs/protocol.md: idle connections are not timed out; they cost only their buffers."""
    d = daemon_factory(workspace(ts_entry("alpha", test_server)),
                       extra_args=FAST).start()
    alpha = d.wait_state("alpha", "LOADED")
    base_fds = open_fds(d.proc.pid)
    base_rss = status_field(d.proc.pid, "VmRSS")
    clients = []
    try:
        for i in range(200):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(str(d.socket))
            if i % 2:  # half a request, then nothing
                s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"daemon.info","params":{"pad":"'
                          + b"x" * 4096)
            clients.append(s)
        # (base_fds may still count the connection wait_state just closed)
        wait_for(lambda: open_fds(d.proc.pid) >= base_fds + 199, "the daemon to accept them all")
        for _ in range(20):
            assert d.rpc("daemon.info")["result"]["pid"] == d.proc.pid
        assert d.rpc("location.get", {"name": "alpha"})["result"]["state"] == "LOADED"
        grown_mib = (status_field(d.proc.pid, "VmRSS") - base_rss) / 1024
        assert "address" in sanitizers() or grown_mib < 32, f"200 clients cost {grown_mib:.0f} MiB"
        # The rest of a half request, much later, is answered as usual.
        clients[1].sendall(b'"}}\n')
        clients[1].settimeout(DEADLINE)
        assert b'"pid":' in clients[1].recv(65536)
    finally:
        for s in clients:
            s.close()
    wait_for(lambda: open_fds(d.proc.pid) <= base_fds, "the daemon to close every connection")
    assert d.locations()["alpha"]["pid"] == alpha["pid"]
    assert d.stop() == 0


# 6. Stopped (SIGSTOP) children -----------------------------------------------------------------

def test_stopping_a_sigstopped_child_continues_it_to_handle_the_stop_signal(daemon_factory,
                                                                            test_server, tmp_path):
    """As systemd does, the stop signal is followed by SIGCONT: a child that handles SIGTERM acts on
    it at once instead of being SIGKILLed after stop_timeout."""
    d = daemon_factory(workspace(ts_entry("alpha", test_server),
                                 faulty_entry(tmp_path, "paused", "term")),
                       extra_args=[*PINGS, "--stop-timeout", "120s"]).start()
    alpha = d.wait_state("alpha", "LOADED")
    paused = d.wait_state("paused", "LOADED")
    d.known_pids.add(paused["pid"])
    os.kill(paused["pid"], signal.SIGSTOP)
    wait_for(lambda: pathlib.Path(f"/proc/{paused['pid']}/stat").read_text()
             .rsplit(")", 1)[1].split()[0] == "T", "the child to be stopped")
    stopped = d.rpc("location.stop", {"name": "paused", "wait": True})["result"]
    assert stopped["state"] == "STOPPED"
    assert stopped["last_exit"] == {"code": 0}, stopped  # its handler ran: not SIGKILLed
    d.wait_log(r"\[paused stdout\] got SIGTERM")
    assert not pid_alive(paused["pid"])
    assert d.locations()["alpha"]["pid"] == alpha["pid"]
    assert d.stop() == 0


def test_a_child_stopped_while_loading_hits_the_startup_timeout_and_is_restarted(
        daemon_factory, test_server, tmp_path):
    d = daemon_factory(workspace(ts_entry("alpha", test_server),
                                 faulty_entry(tmp_path, "frozen", "stop-self")),
                       extra_args=[*FAST, "--startup-timeout", "500ms"]).start()
    alpha = d.wait_state("alpha", "LOADED")
    d.wait_log(r"frozen: STARTING -> BACKOFF: the code server did not load within 500ms",
               count=2)
    frozen = d.wait_state("frozen", None, where=lambda loc: loc["restarts"] >= 2)
    d.record_pids()
    stopped_pids = [int(p) for p in re.findall(
        r"\[frozen stdout\] started pid=(\d+)", d.log())]
    # Every child but the one loading now was killed, stopped as it was.
    wait_for(lambda: sum(pid_alive(p) for p in stopped_pids) <= 1, "the frozen children to go")
    assert d.locations()["alpha"]["pid"] == alpha["pid"]
    assert d.rpc("location.stop", {"name": "frozen", "wait": True})["result"]["state"] == "STOPPED"
    assert not any(pid_alive(p) for p in stopped_pids)
    assert frozen["restarts"] >= 2
    assert d.stop() == 0


# 7. Wall-clock jumps ---------------------------------------------------------------------------

def libfaketime():
    for lib in sorted(pathlib.Path("/usr/lib").glob("*/faketime/libfaketime.so.1")):
        return lib
    return None


@pytest.mark.skipif(bool(sanitizers()), reason=(
    "libfaketime is preloaded, and AddressSanitizer's runtime must come first in the library list"))
def test_wall_clock_jumps_change_no_timer_backoff_or_duration(daemon_factory, test_server,
                                                               tmp_path):
    """Timeouts, backoff, pings and the age in `since` run on CLOCK_MONOTONIC: libfaketime moves
    the daemon's CLOCK_REALTIME a year forward, then a year back, and nothing else notices."""
    import datetime

    lib = libfaketime()
    if lib is None:
        pytest.skip("libfaketime is not installed (scripts/install-deps.sh installs faketime)")
    stamp = tmp_path / "faketime"
    stamp.write_text("+0\n")
    d = daemon_factory(
        workspace(ts_entry("alpha", test_server),
                  ts_entry("crashy", test_server, "--crash-after", "50")),
        extra_args=[*FAST, "--backoff-initial", "100ms", "--backoff-max", "200ms"],
        env={"LD_PRELOAD": str(lib), "FAKETIME_TIMESTAMP_FILE": str(stamp),
             "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}).start()
    alpha = d.wait_state("alpha", "LOADED")
    loaded_at = time.monotonic()
    for days in (365, -365):
        stamp.write_text(f"{days:+d}d\n")
        offset = datetime.timedelta(days=days)
        expected_year = (datetime.datetime.now(datetime.timezone.utc) + offset).year
        d.wait_state("alpha", None, where=lambda loc: loc["since"].startswith(str(expected_year)))
        restarts = d.locations()["crashy"]["restarts"]
        # Backoff timers still fire, after both jumps.
        d.wait_state("crashy", None, where=lambda loc: loc["restarts"] >= restarts + 3)
        now = d.locations()["alpha"]
        # Pings and their timeouts did not misfire: the same child, never restarted.
        assert now["state"] == "LOADED" and now["pid"] == alpha["pid"] and now["restarts"] == 0
        # `since` is the daemon's wall clock minus a monotonic age: the age is right.
        since = datetime.datetime.fromisoformat(now["since"].replace("Z", "+00:00"))
        age = (datetime.datetime.now(datetime.timezone.utc) + offset - since).total_seconds()
        assert -2 < age < time.monotonic() - loaded_at + 2, (now["since"], age)
    assert d.stop() == 0
