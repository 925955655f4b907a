"""Command line of the code server.

``codeloc_server --location NAME (--python-file PATH | --module NAME | --package NAME |
--autoload-defs-module NAME) [--attribute ATTR] [--working-directory DIR]``
``codeloc_server --location NAME --attach-grpc (--grpc-socket PATH | [--grpc-host HOST] --grpc-port N)``

The daemon builds this command line from a workspace entry (``python_file``, ``python_module``,
``python_package``, ``autoload_defs_module``); the options keep the workspace's meaning.
``--attach-grpc`` serves a ``grpc_server`` entry: the definitions of a Dagster gRPC server that
someone else runs (attach.py).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import List, Mapping, Optional

from . import SERVER_NAME, SERVER_VERSION

# Target kinds, named as the workspace.yaml keys.
PYTHON_FILE = "python_file"
PYTHON_MODULE = "python_module"
PYTHON_PACKAGE = "python_package"
AUTOLOAD_DEFS_MODULE = "autoload_defs_module"
GRPC_SERVER = "grpc_server"


@dataclass(frozen=True)
class GrpcAddress:
    """A Dagster gRPC server's address: a Unix socket (absolute), or host and port."""

    socket: Optional[str] = None
    host: str = "localhost"
    port: Optional[int] = None

    def describe(self) -> str:
        return self.socket if self.socket else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Target:
    """What to load.

    ``name`` is an absolute file path for ``python_file``, else a dotted module name.
    ``working_directory`` is absolute; it goes first on ``sys.path`` and relative paths in the
    user's code resolve against the process's cwd, which the daemon sets to the same folder.
    """

    kind: str
    name: str
    attribute: Optional[str]
    working_directory: str

    def describe(self) -> str:
        """A short human description, e.g. ``python_module analytics.definitions``."""
        suffix = f" (attribute {self.attribute})" if self.attribute else ""
        return f"{self.kind} {self.name}{suffix}"


@dataclass(frozen=True)
class Options:
    """Parsed command line."""

    location: str
    target: Target
    channel_fd: int
    # This generation's private socket for Dagster's gRPC API (dagster_grpc.py); None: none.
    dagster_grpc_socket: Optional[str] = None
    # --attach-grpc: the Dagster gRPC server whose definitions this process serves (attach.py).
    grpc: Optional[GrpcAddress] = None


class UsageError(Exception):
    """The command line or the environment is unusable; the server exits with status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codeloc_server",
        description="codeloc's Python code server: serves a Dagster code location's definitions.",
    )
    parser.add_argument("--version", action="version", version=f"{SERVER_NAME} {SERVER_VERSION}")
    parser.add_argument(
        "--location", help="the location's name (default: $CODELOC_LOCATION)", default=None
    )
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument("--python-file", "-f", metavar="PATH", help="a Python file (python_file)")
    kind.add_argument("--module", "-m", metavar="NAME", help="a module name (python_module)")
    kind.add_argument("--package", metavar="NAME", help="a package name (python_package)")
    kind.add_argument(
        "--autoload-defs-module", metavar="NAME", help="a defs module (autoload_defs_module)"
    )
    kind.add_argument(
        "--attach-grpc",
        action="store_true",
        help="serve the definitions of a running Dagster gRPC server (grpc_server)",
    )
    parser.add_argument("--grpc-socket", metavar="PATH", help="--attach-grpc: the server's socket")
    parser.add_argument("--grpc-host", metavar="HOST", help="--attach-grpc: the server's host")
    parser.add_argument("--grpc-port", metavar="PORT", type=int, help="--attach-grpc: its port")
    parser.add_argument("--attribute", "-a", metavar="ATTR", help="the attribute to load")
    parser.add_argument(
        "--working-directory",
        "-d",
        metavar="DIR",
        help="first on sys.path (default: the current directory)",
    )
    parser.add_argument(
        "--dagster-grpc-socket",
        metavar="PATH",
        help="also serve Dagster's gRPC API on this Unix socket (docs/dagster.md)",
    )
    parser.add_argument(
        "--channel-fd",
        type=int,
        default=None,
        help="the channel's file descriptor (default: $CODELOC_CHANNEL_FD, else 3)",
    )
    return parser


def parse(argv: List[str], environ: Mapping[str, str] = os.environ) -> Options:
    """Parses ``argv`` (without the program name). argparse exits with status 2 on bad usage;
    a missing location name raises UsageError."""
    args = _parser().parse_args(argv)
    location = args.location or environ.get("CODELOC_LOCATION")
    if not location:
        raise UsageError("no location name: pass --location or set CODELOC_LOCATION")

    working_directory = os.path.abspath(os.path.expanduser(args.working_directory or os.getcwd()))
    if args.python_file:
        kind, name = PYTHON_FILE, os.path.abspath(os.path.expanduser(args.python_file))
    elif args.module:
        kind, name = PYTHON_MODULE, args.module
    elif args.package:
        kind, name = PYTHON_PACKAGE, args.package
    elif args.autoload_defs_module:
        kind, name = AUTOLOAD_DEFS_MODULE, args.autoload_defs_module
    else:
        kind, name = GRPC_SERVER, ""
    grpc = _grpc_address(args) if kind == GRPC_SERVER else None
    if grpc is not None:
        name = grpc.describe()
    elif args.grpc_socket or args.grpc_host or args.grpc_port is not None:
        raise UsageError("--grpc-socket, --grpc-host and --grpc-port go with --attach-grpc")
    if kind in (AUTOLOAD_DEFS_MODULE, GRPC_SERVER) and args.attribute:
        raise UsageError(f"--attribute does not apply to --{kind.replace('_', '-')}")

    if args.channel_fd is not None:
        channel_fd = args.channel_fd
    else:
        raw = environ.get("CODELOC_CHANNEL_FD", "3")
        try:
            channel_fd = int(raw)
        except ValueError:
            raise UsageError(f"CODELOC_CHANNEL_FD is not a number: {raw!r}") from None

    return Options(
        location=location,
        target=Target(kind, name, args.attribute or None, working_directory),
        channel_fd=channel_fd,
        dagster_grpc_socket=(
            os.path.abspath(args.dagster_grpc_socket) if args.dagster_grpc_socket else None
        ),
        grpc=grpc,
    )


def _grpc_address(args: argparse.Namespace) -> GrpcAddress:
    """--attach-grpc's address: exactly one of --grpc-socket and --grpc-port; --grpc-host (default
    localhost) only with --grpc-port."""
    if bool(args.grpc_socket) == (args.grpc_port is not None):
        raise UsageError("--attach-grpc needs exactly one of --grpc-socket and --grpc-port")
    if args.grpc_socket:
        if args.grpc_host:
            raise UsageError("--grpc-host goes with --grpc-port, not with --grpc-socket")
        return GrpcAddress(socket=os.path.abspath(os.path.expanduser(args.grpc_socket)))
    if not 1 <= args.grpc_port <= 65535:
        raise UsageError(f"--grpc-port: expected a port number from 1 to 65535, got {args.grpc_port}")
    return GrpcAddress(host=args.grpc_host or "localhost", port=args.grpc_port)
