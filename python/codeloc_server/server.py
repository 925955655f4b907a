"""The code server's main loop: reads requests from the channel, answers them in order.

Methods (docs/protocol.md, "Code-server protocol v1"):
- ``initialize``: answered at once, before any user code is imported.
- ``definitions.get``: loads the user's code on first use, then serves the cached snapshot bytes;
  a load error is cached too and reported again (error -32001, data = the load error object).
- ``ping``: ``{}``.
- ``shutdown``: ``{}``, then exit 0.
- ``dagster.drain``: ``{"runs": N}``; Dagster's gRPC server (``--dagster-grpc-socket``) refuses new
  runs, and the process exits 0 by itself once its N in-flight runs have finished (end of file on
  the channel no longer ends it sooner; ``shutdown`` still does).
- anything else: -32601.
The process exits 0 when the channel reaches end of file (after the drain, when one was asked).
User code may print freely: stdout and stderr are not the channel.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Union

from . import (
    SERVER_NAME,
    SERVER_VERSION,
    SUPPORTED_PROTOCOL_VERSIONS,
    attach,
    cli,
    dagster_grpc,
    errors,
    jsonrpc,
    loader,
    snapshot,
)
from .channel import Channel, ChannelClosed, Oversized
from .jsonrpc import RawJson, Request, RpcError

__all__ = ["Server", "main"]


def log(message: str) -> None:
    """One line on stderr, which the daemon logs for the location."""
    try:
        sys.stderr.write(f"codeloc-python: {message}\n")
        sys.stderr.flush()
    except Exception:
        pass


class Server:
    """Handles requests for one location. ``handle`` is pure dispatch; ``serve`` owns the loop."""

    def __init__(
        self,
        options: cli.Options,
        channel: Channel,
        build_snapshot: Optional[Callable[[], Dict[str, Any]]] = None,
    ) -> None:
        self.options = options
        self.channel = channel
        # What definitions.get loads: the target's live definitions, or (attach.py) another
        # source's. It returns the snapshot object; whatever it raises is the load error.
        self._build_snapshot = build_snapshot or self._build_live_snapshot
        self._result: Optional[RawJson] = None
        self._load_error: Optional[RpcError] = None
        self._exit_requested = False
        self._draining = False
        self._drain_watch: Optional[threading.Thread] = None
        self.grpc: Optional[dagster_grpc.DagsterGrpc] = None
        self._methods: Dict[str, Callable[[Request], Union[RawJson, Any]]] = {
            "initialize": self._initialize,
            "definitions.get": self._definitions_get,
            "ping": lambda request: {},
            "shutdown": self._shutdown,
            "dagster.drain": self._drain,
        }

    # ---- methods ----

    def _initialize(self, request: Request) -> Any:
        params = request.params if isinstance(request.params, dict) else {}
        version = params.get("protocol_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise RpcError(jsonrpc.INVALID_PARAMS, "protocol_version: expected an integer")
        supported = list(SUPPORTED_PROTOCOL_VERSIONS)
        if version not in SUPPORTED_PROTOCOL_VERSIONS:
            raise RpcError(
                jsonrpc.PROTOCOL_MISMATCH,
                f"protocol mismatch: the daemon speaks {version}, this code server {supported}",
                {"supported": supported},
            )
        location = params.get("location")
        if location is not None and location != self.options.location:
            raise RpcError(
                jsonrpc.PROTOCOL_MISMATCH,
                f"location mismatch: the daemon names {location!r}, this code server serves"
                f" {self.options.location!r}",
                {"supported": supported, "location": self.options.location},
            )
        return {
            "protocol_version": version,
            "location": self.options.location,
            "server": {"name": SERVER_NAME, "version": SERVER_VERSION},
            "pid": os.getpid(),
        }

    def _definitions_get(self, request: Request) -> RawJson:
        if self._result is None and self._load_error is None:
            self._load()
        if self._load_error is not None:
            raise self._load_error
        assert self._result is not None
        return self._result

    def _shutdown(self, request: Request) -> Any:
        self._exit_requested = True
        self._draining = False  # a stop: no waiting for runs
        return {}

    def _drain(self, request: Request) -> Any:
        if self._draining:
            return {"runs": self.grpc.drain() if self.grpc is not None else 0}
        self._draining = True
        runs = self.grpc.drain() if self.grpc is not None else 0
        log(f"draining: {runs} Dagster run(s) in flight; exiting once they have finished")
        return {"runs": runs}  # serve() starts the watch once this answer is written

    def _watch_drain(self) -> None:
        """After the drain's answer is written: the daemon keeps the channel open meanwhile, so the
        exit, once drained, is this process's own."""
        if self._draining and self._drain_watch is None:
            self._drain_watch = threading.Thread(
                target=self._exit_when_drained, name="codeloc-drain", daemon=True
            )
            self._drain_watch.start()

    def _exit_when_drained(self) -> None:
        if self.grpc is not None:
            self.grpc.wait_drained()
        log("drained: no Dagster run left in flight")
        _exit(0)

    # ---- loading ----

    def _load(self) -> None:
        target = self.options.target
        started = time.monotonic()
        log(f"loading {target.describe()} for location {self.options.location!r}")
        try:
            snap = self._build_snapshot()
            snapshot_text = snapshot.encode(snap)
            counts = snapshot.summary(snap)
        except BaseException as error:  # user code may raise anything, SystemExit included
            if isinstance(error, KeyboardInterrupt):
                raise
            data = errors.load_error(error)
            self._load_error = RpcError(jsonrpc.LOAD_ERROR, errors.summary_line(data), data)
            log(f"load error: {errors.summary_line(data)}")
            if not isinstance(error, loader.DagsterMissing):
                self._start_dagster_grpc()  # Dagster's server then reports the error itself
            return
        self._result = RawJson(f'{{"snapshot":{snapshot_text},"summary":{jsonrpc.dumps(counts)}}}')
        elapsed = time.monotonic() - started
        log(
            f"loaded in {elapsed:.2f}s: "
            + ", ".join(f"{n} {kind}" for kind, n in counts.items())
            + f" ({len(snapshot_text)} bytes)"
        )
        self._start_dagster_grpc()

    def _build_live_snapshot(self) -> Dict[str, Any]:
        repository = loader.load_repository(self.options.target)
        return snapshot.build(repository, self.options.location)

    def _start_dagster_grpc(self) -> None:
        """Dagster's gRPC API on this generation's socket, when the daemon asked for one. A failure
        leaves codeloc's own API serving, and says why."""
        path = self.options.dagster_grpc_socket
        if not path:
            return
        started = time.monotonic()
        grpc = dagster_grpc.DagsterGrpc(self.options.location, self.options.target, path)
        try:
            grpc.start()
        except Exception as error:
            log(
                f"no Dagster gRPC server: {type(error).__name__}: {error}"
                " (codeloc's own API still serves this location)"
            )
            return
        self.grpc = grpc
        log(
            f"Dagster gRPC server {grpc.server_id()} on {path}"
            f" in {time.monotonic() - started:.2f}s"
        )

    # ---- dispatch ----

    def handle(self, line: Union[bytes, Oversized]) -> Optional[bytes]:
        """The answer to one line (without newline), or None when none is due."""
        if isinstance(line, Oversized):
            log(f"discarded a message of {line.size} bytes (over the limit)")
            return None
        try:
            request = jsonrpc.parse_request(line)
        except RpcError as error:
            request_id = error.data.get("id") if isinstance(error.data, dict) else None
            error.data = None
            return jsonrpc.error_response(request_id, error)
        method = self._methods.get(request.method)
        try:
            if method is None:
                raise RpcError(jsonrpc.METHOD_NOT_FOUND, f"method not found: {request.method}")
            result = method(request)
        except RpcError as error:
            return None if request.is_notification else jsonrpc.error_response(request.id, error)
        except Exception as error:  # a bug in the code server: answer, keep serving
            log(f"internal error in {request.method}: {errors.summary_line(errors.load_error(error))}")
            rpc_error = RpcError(jsonrpc.INTERNAL_ERROR, f"internal error: {error}")
            return None if request.is_notification else jsonrpc.error_response(request.id, rpc_error)
        return None if request.is_notification else jsonrpc.response(request.id, result)

    def serve(self) -> int:
        """Serves until shutdown or end of file (then, after a drain, until the in-flight runs have
        finished); returns the exit status (0)."""
        while not self._exit_requested:
            line = self.channel.read_message()
            if line is None:
                break
            answer = self.handle(line)
            if answer is not None:
                try:
                    self.channel.write_message(answer)
                except ChannelClosed:
                    break
            self._watch_drain()
        if self._draining:
            self._exit_when_drained()
        return 0


def _exit(status: int) -> None:
    """Flushes stdout/stderr and ends the process at once: threads or atexit hooks left by user
    code must not keep a code server alive after shutdown."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(status)


def main(argv: List[str]) -> int:
    """Runs the code server; never returns normally once the channel is open."""
    try:
        options = cli.parse(argv)
    except cli.UsageError as error:
        log(f"usage: {error}")
        return 2
    try:
        os.fstat(options.channel_fd)
    except OSError as error:
        log(f"no channel on fd {options.channel_fd}: {error.strerror}")
        return 2
    try:
        # User code's subprocesses must not hold the channel open (the daemon watches for EOF).
        os.set_inheritable(options.channel_fd, False)
    except OSError:
        pass
    build_snapshot = attach.Attachment(options).build_snapshot if options.grpc else None
    server = Server(options, Channel(options.channel_fd), build_snapshot)
    try:
        status = server.serve()
    except KeyboardInterrupt:
        status = 130
    _exit(status)
    return status
