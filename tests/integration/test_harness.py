"""The harness itself: a sanitizer report in a daemon's log fails the test that started it."""
import pytest

from daemon_harness import Daemon, cleanup_all

REPORTS = [
    "==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010",
    "daemon/supervision/location.cpp:12:5: runtime error: signed integer overflow",
    "==4242==ERROR: LeakSanitizer: detected memory leaks",
]


@pytest.mark.parametrize("report", REPORTS)
def test_cleanup_fails_on_a_sanitizer_report_in_the_daemon_log(tmp_path, report):
    d = Daemon(tmp_path / "codeloc-never-started", tmp_path, "load_from: []\n")
    d.log_path.write_text(f"info  alpha: STARTING -> LOADED\n{report}\n    #0 0x1 in main\n")
    with pytest.raises(AssertionError, match="sanitizer report") as e:
        d.cleanup()
    assert report in str(e.value)


def test_cleanup_all_cleans_every_daemon_before_failing(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    daemons = [Daemon(tmp_path / "codeloc", w, "load_from: []\n") for w in (first, second)]
    daemons[0].log_path.write_text(REPORTS[1] + "\n")
    daemons[1].log_file = open(daemons[1].log_path, "wb")
    with pytest.raises(AssertionError, match="runtime error"):
        cleanup_all(daemons)
    assert daemons[1].log_file.closed


def test_cleanup_passes_a_clean_log(tmp_path):
    d = Daemon(tmp_path / "codeloc", tmp_path, "load_from: []\n")
    d.log_path.write_text("info  alpha: STARTING -> LOADED\n")
    d.cleanup()
