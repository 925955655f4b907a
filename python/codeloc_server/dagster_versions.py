"""The dagster releases this code server supports (docs/dagster.md, "Supported Dagster versions").

The code server uses Dagster's public API and, for the snapshot and the gRPC API, some private
modules that change between minor releases. The range below is what the tests run against: the
newest minor (tests/requirements-dagster.txt) and the oldest (tests/requirements-dagster-oldest.txt).
A dagster outside it may still work; the code server then logs one warning and carries on.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

# Inclusive, as (major, minor): every patch release of these minors.
OLDEST_SUPPORTED = (1, 11)
NEWEST_SUPPORTED = (1, 13)


def minor_of(version: str) -> Optional[Tuple[int, int]]:
    """``(1, 12)`` for ``"1.12.22"`` or ``"1.12.0rc1"``; None for a version without a plain
    ``major.minor`` start (a source checkout's ``1!0+dev``)."""
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def range_text() -> str:
    return "{}.{} to {}.{}".format(*OLDEST_SUPPORTED, *NEWEST_SUPPORTED)


def unsupported_warning(version: str) -> Optional[str]:
    """The warning to log for an installed dagster ``version``, or None when it is supported or
    cannot be told (a development build)."""
    minor = minor_of(version)
    if minor is None or OLDEST_SUPPORTED <= minor <= NEWEST_SUPPORTED:
        return None
    side = "older" if minor < OLDEST_SUPPORTED else "newer"
    return (
        f"warning: dagster {version} is {side} than the versions this code server supports"
        f" ({range_text()}); loading may fail or miss definitions"
    )
