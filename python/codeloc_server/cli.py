"""Command line of the code server.

``codeloc_server --location NAME (--python-file PATH | --module NAME | --package NAME |
--autoload-defs-module NAME) [--attribute ATTR] [--working-directory DIR]``

The daemon builds this command line from a workspace entry (``python_file``, ``python_module``,
``python_package``, ``autoload_defs_module``); the options keep the workspace's meaning.
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
    parser.add_argument("--attribute", "-a", metavar="ATTR", help="the attribute to load")
    parser.add_argument(
        "--working-directory",
        "-d",
        metavar="DIR",
        help="first on sys.path (default: the current directory)",
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
    else:
        kind, name = AUTOLOAD_DEFS_MODULE, args.autoload_defs_module
    if kind == AUTOLOAD_DEFS_MODULE and args.attribute:
        raise UsageError("--attribute does not apply to --autoload-defs-module")

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
    )
