"""pytest fixtures for tests/python; the harness itself is in harness.py (importable by name,
so it does not clash with another folder's conftest)."""

from harness import project, start_server  # noqa: F401  (fixtures)
