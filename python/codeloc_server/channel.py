"""The channel: newline-delimited JSON over the inherited file descriptor (docs/protocol.md,
"Framing").

One message per line; a ``\\r`` before the ``\\n`` is dropped; empty lines are skipped. A line
longer than the limit is discarded up to its newline and reported as ``OVERSIZED``. Works on any
stream descriptor (the daemon's socketpair end, or a pipe in tests).
"""

from __future__ import annotations

import os
from typing import Optional, Union

# Requests from the daemon are small; this only bounds memory against a broken peer.
DEFAULT_MAX_MESSAGE_BYTES = 16 << 20
_READ_CHUNK = 1 << 16


class Oversized:
    """Marker for a line that exceeded the limit and was discarded."""

    def __init__(self, size: int) -> None:
        self.size = size


class ChannelClosed(Exception):
    """The peer closed the channel (EOF on read, EPIPE/ECONNRESET on write)."""


class Channel:
    """Reads and writes lines on ``fd``. Not thread-safe: the server uses it from one thread."""

    def __init__(self, fd: int, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self._fd = fd
        self._max = max_message_bytes
        self._buffer = bytearray()
        self._scan_from = 0
        self._eof = False

    @property
    def fd(self) -> int:
        return self._fd

    def read_message(self) -> Optional[Union[bytes, Oversized]]:
        """The next non-empty line without its terminator, ``Oversized`` for a discarded line,
        or None at end of file (a final unterminated line is still returned)."""
        discarded = 0
        while True:
            newline = self._buffer.find(b"\n", self._scan_from)
            if newline >= 0:
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                self._scan_from = 0
                if discarded:
                    return Oversized(discarded + len(line))
                if line.endswith(b"\r"):
                    line = line[:-1]
                if not line.strip():
                    continue
                if len(line) > self._max:
                    return Oversized(len(line))
                return line
            if len(self._buffer) > self._max:
                discarded += len(self._buffer)
                self._buffer.clear()
            self._scan_from = len(self._buffer)
            if self._eof:
                break
            try:
                chunk = os.read(self._fd, _READ_CHUNK)
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                self._eof = True
            self._buffer += chunk
        if discarded:
            self._buffer.clear()
            return Oversized(discarded)
        rest = bytes(self._buffer).rstrip(b"\r")
        self._buffer.clear()
        self._scan_from = 0
        return rest if rest.strip() else None

    def write_message(self, message: bytes) -> None:
        """Writes ``message`` (one JSON text, no newline in it) and a ``\\n``; raises
        ChannelClosed if the peer is gone."""
        data = memoryview(message + b"\n")
        try:
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
        except (BrokenPipeError, ConnectionResetError) as error:
            raise ChannelClosed(str(error)) from error
