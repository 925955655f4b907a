"""systemd integration: what `codeloc serve` tells a service manager (sd_notify: READY, STATUS,
RELOADING, STOPPING, WATCHDOG) and the journal format's entries. Each test binds its own datagram
socket in its temporary folder and points the daemon at it (NOTIFY_SOCKET, CODELOC_JOURNAL_SOCKET),
as systemd and journald would be."""
from __future__ import annotations

import os
import re
import signal
import socket
import struct
import time

from daemon_harness import DEADLINE
from test_supervise import FAST, command_entry, workspace


class DatagramSocket:
    """An AF_UNIX datagram socket bound at `path`; keeps every datagram it receives, in order."""

    def __init__(self, path, parse):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.path = str(path)
        self.parse = parse
        self.received: list[dict] = []
        self.times: list[float] = []

    def close(self):
        self.sock.close()

    def wait(self, what, match, start=0, timeout=DEADLINE) -> int:
        """The index of the first datagram at or after `start` for which match(fields) holds,
        receiving more until the deadline."""
        end = time.monotonic() + timeout
        index = start
        while True:
            while index < len(self.received):
                if match(self.received[index]):
                    return index
                index += 1
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; "
                                     f"received: {self.received}")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            self.received.append(self.parse(data))
            self.times.append(time.monotonic())


def parse_notification(data: bytes) -> dict:
    """sd_notify(3): newline-separated KEY=value assignments."""
    return dict(line.split("=", 1) for line in data.decode().splitlines() if line)


def parse_journal_entry(data: bytes) -> dict:
    """journald's native protocol: KEY=value lines, or KEY, newline, 64-bit little-endian length,
    value, newline for values that hold a newline."""
    fields = {}
    pos = 0
    while pos < len(data):
        newline = data.index(b"\n", pos)
        line = data[pos:newline]
        if b"=" in line:
            key, value = line.split(b"=", 1)
            pos = newline + 1
        else:
            key = line
            (size,) = struct.unpack_from("<Q", data, newline + 1)
            value = data[newline + 9:newline + 9 + size]
            assert data[newline + 9 + size:newline + 10 + size] == b"\n"
            pos = newline + 10 + size
        fields[key.decode()] = value.decode()
    return fields


def status_at(notify: DatagramSocket, index: int) -> str | None:
    """The STATUS= in force once datagram `index` was received."""
    for message in reversed(notify.received[:index + 1]):
        if "STATUS" in message:
            return message["STATUS"]
    return None


def notified(notify):
    return {"NOTIFY_SOCKET": notify.path}


def test_ready_once_every_location_was_tried_then_stopping(daemon_factory, test_server, tmp_path):
    notify = DatagramSocket(tmp_path / "notify.sock", parse_notification)
    d = daemon_factory(workspace(
        command_entry("good", test_server, "--env", "NOTIFY_SOCKET"),
        command_entry("broken", test_server, "--load-error")),
        extra_args=FAST, env=notified(notify)).start()
    ready = notify.wait("READY=1", lambda m: m.get("READY") == "1")
    # A broken location does not hold readiness back; STATUS says what became of each.
    assert status_at(notify, ready) == "2 locations: 1 loaded, 1 load error"
    states = {name: loc["state"] for name, loc in d.locations().items()}
    assert states == {"good": "LOADED", "broken": "LOAD_ERROR"}
    # Children do not inherit the daemon's notify socket.
    d.wait_log(r"\[good stdout\] env NOTIFY_SOCKET=<unset>$")

    d.signal(signal.SIGTERM)
    stopping = notify.wait("STOPPING=1", lambda m: m.get("STOPPING") == "1", start=ready + 1)
    assert d.proc.wait(timeout=DEADLINE) == 0
    assert [m for m in notify.received if m.get("READY")] == [notify.received[ready]]
    assert not any("READY" in m for m in notify.received[stopping:])
    assert not any("WATCHDOG" in m for m in notify.received), "no watchdog was asked for"
    notify.close()


def test_an_empty_workspace_is_ready_at_once(daemon_factory, tmp_path):
    notify = DatagramSocket(tmp_path / "notify.sock", parse_notification)
    d = daemon_factory("load_from: []\n", extra_args=FAST, env=notified(notify)).start()
    ready = notify.wait("READY=1", lambda m: m.get("READY") == "1")
    assert status_at(notify, ready) == "0 locations"
    assert d.stop() == 0
    notify.close()


def test_sighup_reload_is_framed_by_reloading_and_ready(daemon_factory, test_server, tmp_path):
    notify = DatagramSocket(tmp_path / "notify.sock", parse_notification)
    d = daemon_factory(workspace(command_entry("alpha", test_server)), extra_args=FAST,
                       env=notified(notify)).start()
    ready = notify.wait("READY=1", lambda m: m.get("READY") == "1")

    before = time.monotonic_ns() // 1000
    d.signal(signal.SIGHUP)
    reloading = notify.wait("RELOADING=1", lambda m: m.get("RELOADING") == "1", start=ready + 1)
    after = time.monotonic_ns() // 1000
    # MONOTONIC_USEC is CLOCK_MONOTONIC, taken when the reload began.
    assert before <= int(notify.received[reloading]["MONOTONIC_USEC"]) <= after
    notify.wait("READY=1 after the reload", lambda m: m.get("READY") == "1", start=reloading + 1)
    d.wait_log(r"workspace reloaded: 0 added, 0 removed, 0 changed, 1 unchanged")

    # A workspace that does not parse changes nothing, and the reload still ends with READY=1.
    d.workspace.write_text("load_from: [\n")
    count = len(notify.received)
    d.signal(signal.SIGHUP)
    reloading = notify.wait("RELOADING=1", lambda m: m.get("RELOADING") == "1", start=count)
    notify.wait("READY=1 after the refused reload", lambda m: m.get("READY") == "1",
                start=reloading + 1)
    d.wait_log(r"the workspace has errors; nothing was changed")
    assert d.locations()["alpha"]["state"] == "LOADED"
    assert d.stop() == 0
    notify.close()


def test_sighup_during_the_shutdown_is_ignored(daemon_factory, test_server, tmp_path):
    notify = DatagramSocket(tmp_path / "notify.sock", parse_notification)
    # A child that ignores SIGTERM keeps the shutdown going until the stop timeout (1s).
    d = daemon_factory(workspace(command_entry("stubborn", test_server, "--ignore-term")),
                       extra_args=FAST, env=notified(notify)).start()
    ready = notify.wait("READY=1", lambda m: m.get("READY") == "1")
    d.workspace.write_text(workspace(command_entry("stubborn", test_server, "--ignore-term"),
                                     command_entry("late", test_server)))
    d.signal(signal.SIGTERM)
    notify.wait("STOPPING=1", lambda m: m.get("STOPPING") == "1", start=ready + 1)
    d.signal(signal.SIGHUP)
    d.wait_log(r"SIGHUP received while stopping: ignored")
    assert d.proc.wait(timeout=DEADLINE) == 0
    assert "late:" not in d.log(), "the changed workspace was not applied"
    assert not any("RELOADING" in m or "READY" in m for m in notify.received[ready + 1:])
    notify.close()


def test_watchdog_pings_at_half_the_asked_interval(daemon_factory, test_server, tmp_path):
    notify = DatagramSocket(tmp_path / "notify.sock", parse_notification)
    env = dict(notified(notify), WATCHDOG_USEC="200000")
    d = daemon_factory(workspace(command_entry("alpha", test_server, "--env", "WATCHDOG_USEC")),
                       extra_args=FAST, env=env).start()
    pings = []
    for _ in range(6):
        pings.append(notify.wait("WATCHDOG=1", lambda m: m.get("WATCHDOG") == "1",
                                 start=pings[-1] + 1 if pings else 0))
    # Every 100ms: five intervals take about half a second; never a burst, never seconds.
    elapsed = notify.times[pings[-1]] - notify.times[pings[0]]
    assert 0.25 <= elapsed <= 0.5 * 20, elapsed
    d.wait_log(r"\[alpha stdout\] env WATCHDOG_USEC=<unset>$")
    assert d.stop() == 0
    notify.close()


def test_a_notify_socket_nobody_listens_on_changes_nothing(daemon_factory, test_server,
                                                          tmp_path):
    d = daemon_factory(workspace(command_entry("alpha", test_server)), extra_args=FAST,
                       env={"NOTIFY_SOCKET": str(tmp_path / "nobody.sock"),
                            "WATCHDOG_USEC": "200000"}).start()
    d.wait_state("alpha", "LOADED")
    assert d.stop() == 0


def journal_daemon(daemon_factory, test_server, journal, extra_args=(), env=None):
    env = dict({"CODELOC_JOURNAL_SOCKET": journal.path}, **(env or {}))
    return daemon_factory(workspace(command_entry("alpha", test_server),
                                    command_entry("broken", test_server, "--load-error")),
                          extra_args=[*FAST, *extra_args], env=env)


def record_child_pids(d, journal):
    """The harness finds children's pids in the log file; here they went to the journal."""
    for entry in journal.received:
        match = re.search(r"started pid=(\d+)", entry.get("MESSAGE", ""))
        if match:
            d.known_pids.add(int(match[1]))


def test_journal_format_sends_native_entries_with_location_fields(daemon_factory, test_server,
                                                                  tmp_path):
    journal = DatagramSocket(tmp_path / "journal.sock", parse_journal_entry)
    d = journal_daemon(daemon_factory, test_server, journal,
                       extra_args=["--log-format", "journal"]).start()
    try:
        serving = journal.wait("the serving line",
                               lambda e: e.get("MESSAGE", "").startswith("codeloc "))
        assert journal.received[serving]["PRIORITY"] == "6"
        assert journal.received[serving]["SYSLOG_IDENTIFIER"] == "codeloc"
        assert "CODELOC_LOCATION" not in journal.received[serving]

        loaded = journal.received[journal.wait(
            "alpha's LOADED line", lambda e: re.match(r"alpha: STARTING -> LOADED \(pid \d+\)$",
                                                      e.get("MESSAGE", "")))]
        assert loaded["CODELOC_LOCATION"] == "alpha" and loaded["PRIORITY"] == "6"
        assert loaded["SYSLOG_IDENTIFIER"] == "codeloc" and "CODELOC_STREAM" not in loaded

        output = journal.received[journal.wait(
            "alpha's first output line",
            lambda e: e.get("MESSAGE", "").startswith("[alpha stdout] started pid="))]
        assert output["CODELOC_LOCATION"] == "alpha" and output["CODELOC_STREAM"] == "stdout"
        assert output["PRIORITY"] == "6"

        error = journal.received[journal.wait(
            "broken's LOAD_ERROR line",
            lambda e: e.get("MESSAGE", "").startswith("broken: STARTING -> LOAD_ERROR"))]
        assert error["CODELOC_LOCATION"] == "broken" and error["PRIORITY"] == "3"
        assert d.log() == "", "every record went to the journal"
    finally:
        record_child_pids(d, journal)
    assert d.stop() == 0
    journal.wait("the exit line", lambda e: "exiting" in e.get("MESSAGE", ""))
    journal.close()


def test_stderr_connected_to_the_journal_picks_the_journal_format(daemon_factory, test_server,
                                                                  tmp_path):
    journal = DatagramSocket(tmp_path / "journal.sock", parse_journal_entry)
    # The harness sends the daemon's stderr to daemon.log: make that file "the journal stream".
    log_path = tmp_path / "daemon.log"
    log_path.write_bytes(b"")
    st = os.stat(log_path)
    d = journal_daemon(daemon_factory, test_server, journal,
                       env={"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}).start()
    try:
        journal.wait("alpha's LOADED line",
                     lambda e: e.get("MESSAGE", "").startswith("alpha: STARTING -> LOADED")
                     and e.get("CODELOC_LOCATION") == "alpha")
    finally:
        record_child_pids(d, journal)
    assert d.stop() == 0
    journal.close()


def test_a_chosen_log_format_wins_over_the_journal_stream(daemon_factory, test_server, tmp_path):
    log_path = tmp_path / "daemon.log"
    log_path.write_bytes(b"")
    st = os.stat(log_path)
    d = daemon_factory(workspace(command_entry("alpha", test_server)),
                       extra_args=[*FAST, "--log-format", "human"],
                       env={"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}",
                            "CODELOC_JOURNAL_SOCKET": str(tmp_path / "nobody.sock")}).start()
    d.wait_log(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} info  alpha: STARTING -> LOADED")
    assert d.stop() == 0


def test_journal_format_without_journald_writes_priority_prefixed_lines(daemon_factory,
                                                                        test_server, tmp_path):
    d = daemon_factory(workspace(command_entry("alpha", test_server),
                                 command_entry("broken", test_server, "--load-error")),
                       extra_args=[*FAST, "--log-format", "journal"],
                       env={"CODELOC_JOURNAL_SOCKET": str(tmp_path / "nobody.sock")}).start()
    d.wait_log(r"^<6>alpha: STARTING -> LOADED \(pid \d+\)$")
    d.wait_log(r"^<6>\[alpha stdout\] started pid=")
    d.wait_log(r"^<3>broken: STARTING -> LOAD_ERROR")
    assert d.stop() == 0


def test_json_lines_about_a_location_name_it(daemon_factory, test_server):
    import json

    d = daemon_factory(workspace(command_entry("alpha", test_server)),
                       extra_args=[*FAST, "--log-format", "json"]).start()
    d.wait_log(r'"message":"\[alpha stdout\] started pid=')
    records = [json.loads(line) for line in d.log().splitlines() if line.startswith("{")]
    output = next(r for r in records if r["message"].startswith("[alpha stdout] started"))
    assert output["location"] == "alpha" and output["stream"] == "stdout"
    serving = next(r for r in records if r["message"].startswith("codeloc "))
    assert "location" not in serving and "stream" not in serving
    assert d.stop() == 0
