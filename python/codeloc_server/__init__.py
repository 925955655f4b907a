"""codeloc's Python code server.

Runs inside a Dagster code location's own interpreter (standard library only, Python 3.9+), imports
the user's code as Dagster would, and serves a JSON snapshot of its ``Definitions`` to the codeloc
daemon over the inherited channel (docs/protocol.md, "Code-server protocol v1").

Run it as ``<python> /path/to/codeloc_server --location NAME --python-file PATH ...``; see
``cli.py`` for the options.
"""

SERVER_NAME = "codeloc-python"
SERVER_VERSION = "0.1.0"
# The code-server protocol versions this server speaks (ipc/protocol.h kCodeServerProtocolVersion).
SUPPORTED_PROTOCOL_VERSIONS = (1,)
