"""A short soak (issue 8): bench/soak.py's run for under a minute, with fewer clients.

Locations crash-loop and reload (file saves under `serve --watch`, `location.reload`) while clients
hammer the control socket with good, malformed and abandoned requests and slow subscribers are cut
off by the output-queue limit. Every answer must be well-formed JSON-RPC 2.0; afterwards the
daemon's open fds equal their count after the warm-up, its RSS is back near it, no zombie or
leftover code server remains, and every process is gone. Only deadlines, no timing goals: the
10-minute run with its figures is `python3 bench/soak.py` (bench/RESULTS.md).
"""
import pathlib
import sys

from conftest import BUILD_DIR, sanitizers
from daemon_harness import reap_orphans

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))
import soak  # noqa: E402


def test_short_soak_keeps_every_invariant(codeloc_bin):
    cfg = soak.Config(build_dir=BUILD_DIR, minutes=0.6, warmup=8, locations=12, crashers=3,
                      clients=16, subscribers=3, sample_interval=5, timeout=90)
    if sanitizers():
        cfg.rss_tolerance_mib = 1 << 20  # ASan's quarantine and shadow memory are no leak
    try:
        report = soak.run(cfg)
    finally:
        reap_orphans()
    print(soak.markdown(report, "tests/integration/test_soak.py"))
    assert report["violations"] == [], soak.markdown(report, "tests/integration/test_soak.py")
    counts = report["counts"]
    assert counts["requests"] > 0 and counts["malformed requests"] > 0
    assert report["restarts"] > 0 and report["reloads"] > 0
    assert counts["subscribers disconnected (queue limit)"] > 0
