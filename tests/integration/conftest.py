"""Shared fixtures for the integration tests: they drive the real binaries of a build tree.

CODELOC_BUILD_DIR names the build tree (CTest sets it); it defaults to ./build.
"""
import os
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD_DIR = pathlib.Path(os.environ.get("CODELOC_BUILD_DIR", ROOT / "build")).resolve()


def _become_subreaper():
    """Orphans of the processes a test starts (after a daemon is SIGKILLed, say) come back to
    this process instead of PID 1, which may not reap them; the harness reaps them."""
    import ctypes

    PR_SET_CHILD_SUBREAPER = 36
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


_become_subreaper()


def sanitizers(build_dir: pathlib.Path = BUILD_DIR) -> set[str]:
    """The -fsanitize= list the build tree was configured with (CODELOC_SANITIZE), or empty."""
    cache = build_dir / "CMakeCache.txt"
    if cache.exists():
        for line in cache.read_text().splitlines():
            if line.startswith("CODELOC_SANITIZE:"):
                return {s for s in line.split("=", 1)[1].split(",") if s}
    return set()


@pytest.fixture(scope="session")
def build_dir() -> pathlib.Path:
    return BUILD_DIR


@pytest.fixture(scope="session")
def codeloc_bin(build_dir) -> pathlib.Path:
    path = build_dir / "codeloc"
    if not path.exists():
        pytest.fail(f"{path} does not exist: build first (scripts/test.sh)")
    return path


@pytest.fixture
def test_server(build_dir) -> pathlib.Path:
    """The scripted code server of tests/support/test_code_server.cpp."""
    return build_dir / "codeloc_test_server"


@pytest.fixture
def daemon_factory(codeloc_bin, tmp_path):
    """Makes Daemon objects (tests/integration/daemon_harness.py); all are cleaned up."""
    from daemon_harness import Daemon, cleanup_all

    made = []

    def make(workspace: str, *, extra_args=(), env=None, workdir=None) -> Daemon:
        d = Daemon(codeloc_bin, workdir or tmp_path, workspace, extra_args, env)
        made.append(d)
        return d

    yield make
    cleanup_all(made)
