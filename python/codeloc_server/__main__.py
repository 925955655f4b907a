"""Entry point: ``<python> /path/to/codeloc_server ...`` (or ``python -m codeloc_server``).

Running a directory puts that directory first on ``sys.path``, where its module names (``server``,
``loader``...) could shadow the user's. So this file imports the package as ``codeloc_server`` from
its parent directory, then takes both directories off ``sys.path`` before any user code runs; the
loader then puts the location's working directory first, as Dagster does.

``--fork-server`` as the first argument runs the fork server instead (forkserver.py, docs/warm.md).
"""

import os
import sys

# No bytecode for the user's modules: a reload imports them in a fresh process, and Python trusts a
# cached .pyc whose source has the same size and the same mtime in whole seconds. A same-size edit
# saved within the second of an earlier load would then import the old code. (Libraries keep the
# .pyc files their installer wrote; only writing is off.)
sys.dont_write_bytecode = True

if __package__ in (None, ""):
    _here = os.path.dirname(os.path.abspath(__file__))
    _parent = os.path.dirname(_here)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
    sys.path.insert(0, _parent)
    try:
        from codeloc_server.server import main

        if sys.argv[1:2] == ["--fork-server"]:
            from codeloc_server.forkserver import main
    finally:
        # Every module of the package is imported by now (server imports them all).
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _parent]
else:
    from .server import main

    if sys.argv[1:2] == ["--fork-server"]:
        from .forkserver import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
