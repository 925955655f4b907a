"""Shared fixtures for the integration tests: they drive the real binaries of a build tree.

CODELOC_BUILD_DIR names the build tree (CTest sets it); it defaults to ./build.
"""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD_DIR = pathlib.Path(os.environ.get("CODELOC_BUILD_DIR", ROOT / "build")).resolve()


@pytest.fixture(scope="session")
def build_dir() -> pathlib.Path:
    return BUILD_DIR


@pytest.fixture(scope="session")
def codeloc_bin(build_dir) -> pathlib.Path:
    path = build_dir / "codeloc"
    if not path.exists():
        pytest.fail(f"{path} does not exist: build first (scripts/test.sh)")
    return path
