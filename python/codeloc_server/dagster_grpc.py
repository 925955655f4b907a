"""Dagster's own gRPC API for this location, served from the code server's process
(docs/dagster.md).

After the code server has loaded the user's code (or failed to), it starts Dagster's
``DagsterApiServer`` + ``DagsterGrpcServer``, the pair ``dagster api grpc`` runs, on this
generation's private Unix socket (``--dagster-grpc-socket``). Dagster re-imports the target through
``sys.modules``, so it finds the module the code server already imported: the same code, no second
import (a module that failed to import is not in ``sys.modules``, so Dagster imports it again and
records its own error, which the webserver then shows). The daemon publishes the socket at the
location's stable path once this generation is the one that serves.

What differs from ``dagster api grpc``:
- ``ReloadCode`` (the UI's Reload button) asks the daemon to reload the location, through its control
  socket, and answers once the new generation serves.
- ``CancelExecution`` / ``CanCancelExecution`` for a run this generation did not start are passed to
  the older generations still draining (their private sockets sit beside this one), as Dagster's own
  ``code-server start`` proxy does with its ``_run_clients``.
- ``drain()`` is Dagster's ``ShutdownServer``: no new runs; the server stops once its runs have
  finished, and ``wait_drained`` returns then.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any, Callable, List, Optional

from . import cli

__all__ = ["DagsterGrpc", "generation_peers", "origin_for", "preload"]

# How long a ReloadCode waits for the daemon's reload (Dagster's client waits its own
# code_server_reload_timeout, 60 s by default, on top).
RELOAD_TIMEOUT_SECONDS = 600.0
# How long a replaced generation's ReloadCode waits for the daemon's drain to reach it (it was sent
# before the daemon's answer to the reload, on another socket).
DRAIN_WAIT_SECONDS = 10.0


def generation_peers(socket_path: str) -> List[str]:
    """The other generations' private sockets of the same location: ``<base>.<n>.sock`` beside
    ``socket_path``, newest first."""
    folder, own = os.path.split(socket_path)
    base, _, _ = own[: -len(".sock")].rpartition(".") if own.endswith(".sock") else ("", "", "")
    if not base:
        return []
    found = []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        if name == own or not name.startswith(base + ".") or not name.endswith(".sock"):
            continue
        number = name[len(base) + 1 : -len(".sock")]
        if number.isdigit():
            found.append((int(number), os.path.join(folder, name)))
    return [path for _, path in sorted(found, reverse=True)]


def origin_for(target: cli.Target) -> Any:
    """The ``LoadableTargetOrigin`` of the target: what a fresh interpreter (a run) imports."""
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    kind = target.kind
    return LoadableTargetOrigin(
        executable_path=sys.executable,
        python_file=target.name if kind == cli.PYTHON_FILE else None,
        module_name=target.name if kind == cli.PYTHON_MODULE else None,
        package_name=target.name if kind == cli.PYTHON_PACKAGE else None,
        autoload_defs_module_name=target.name if kind == cli.AUTOLOAD_DEFS_MODULE else None,
        attribute=target.attribute,
        working_directory=target.working_directory,
    )


def _servicer_class() -> type:
    """DagsterApiServer with codeloc's ReloadCode and cancel forwarding (defined on first use:
    dagster is imported only by then)."""
    from dagster._grpc.__generated__ import dagster_api_pb2
    from dagster._grpc.client import DagsterGrpcClient
    from dagster._grpc.server import DagsterApiServer
    from dagster._grpc.types import (
        CancelExecutionRequest,
        CancelExecutionResult,
        CanCancelExecutionRequest,
        CanCancelExecutionResult,
    )
    from dagster._serdes import deserialize_value

    from . import control

    class CodelocApiServer(DagsterApiServer):
        codeloc_location = ""
        codeloc_socket = ""
        codeloc_stop: Optional[Callable[[], None]] = None

        def ReloadCode(self, request, context):  # noqa: N802 (gRPC's name)
            self._logger.info("the Dagster UI asked for a reload; reloading through codeloc")
            try:
                result = control.reload(
                    self.codeloc_location, wait=True, timeout=RELOAD_TIMEOUT_SECONDS
                )
            except Exception as error:
                self._logger.error(f"codeloc could not reload {self.codeloc_location}: {error}")
                return dagster_api_pb2.ReloadCodeReply()
            if result.get("pid") != os.getpid():
                self._let_go_of_clients()
            return dagster_api_pb2.ReloadCodeReply()

        def _let_go_of_clients(self) -> None:
            """This generation has just been replaced: once the daemon's drain has reached it and
            it has no runs, stop its gRPC server now rather than at Dagster's next cleanup tick.

            The caller's process keeps its connection to this server (gRPC pools connections per
            address across channels), so its next call right after this answer, the webserver's
            GetServerId, would reach this old generation through it and find the old server id.
            Stopping sends GOAWAY on every connection before this answer leaves (in-flight calls,
            this one, finish within the grace period), so that call connects to the stable path
            again: the new generation. With runs in flight the server keeps serving them and
            clients move over when their pooled connection closes."""
            if not self._shutdown_once_executions_finish_event.wait(DRAIN_WAIT_SECONDS):
                return  # still the generation that serves (the daemon kept it)
            with self._execution_lock:
                if self._executions:
                    return
            stop = self.codeloc_stop
            if stop is not None:
                stop()

        def _owns(self, run_id: str) -> bool:
            with self._execution_lock:
                return run_id in self._executions

        def _ask_peers(self, method: str, request, reply_field: str, result_type, accept):
            """The first older generation whose answer ``accept``s, as its raw reply, or None."""
            for path in generation_peers(self.codeloc_socket):
                try:
                    reply = DagsterGrpcClient(socket=path)._get_response(method, request, timeout=10)
                    result = deserialize_value(getattr(reply, reply_field), result_type)
                except Exception:
                    continue  # gone, or stopping: try the next one
                if accept(result):
                    return reply
            return None

        def CancelExecution(self, request, context):  # noqa: N802
            run_id = deserialize_value(
                request.serialized_cancel_execution_request, CancelExecutionRequest
            ).run_id
            if not self._owns(run_id):
                reply = self._ask_peers(
                    "CancelExecution",
                    request,
                    "serialized_cancel_execution_result",
                    CancelExecutionResult,
                    lambda result: result.success,
                )
                if reply is not None:
                    self._logger.info(f"passed the cancel of run {run_id} to an older generation")
                    return reply
            return super().CancelExecution(request, context)

        def CanCancelExecution(self, request, context):  # noqa: N802
            run_id = deserialize_value(
                request.serialized_can_cancel_execution_request, CanCancelExecutionRequest
            ).run_id
            if not self._owns(run_id):
                reply = self._ask_peers(
                    "CanCancelExecution",
                    request,
                    "serialized_can_cancel_execution_result",
                    CanCancelExecutionResult,
                    lambda result: result.can_cancel,
                )
                if reply is not None:
                    return reply
            return super().CanCancelExecution(request, context)

    return CodelocApiServer


def preload() -> None:
    """Imports what ``DagsterGrpc.start`` needs, for a warm interpreter (forkserver.py). Imports
    start no thread, so the fork server stays safe to fork."""
    import dagster._core.origin  # noqa: F401
    import dagster._core.utils  # noqa: F401
    import dagster._grpc.server  # noqa: F401

    try:
        import grpc_health.v1.health_pb2  # noqa: F401
    except ImportError:
        pass
    _servicer_class()


class DagsterGrpc:
    """Dagster's gRPC server for one generation of a location. ``start`` raises what went wrong;
    the code server then serves codeloc's API only and says why."""

    def __init__(self, location: str, target: cli.Target, socket_path: str) -> None:
        self.location = location
        self.target = target
        self.socket_path = socket_path
        self._servicer: Any = None
        self._stopped = threading.Event()
        self._started = False

    @property
    def started(self) -> bool:
        return self._started

    def start(self) -> None:
        from dagster._core.origin import get_python_environment_entry_point
        from dagster._core.utils import FuturesAwareThreadPoolExecutor
        from dagster._grpc.server import DagsterGrpcServer, server_termination_target
        from dagster._grpc.utils import default_grpc_server_shutdown_grace_period

        try:
            from grpc_health.v1 import health_pb2
        except ImportError:
            health_pb2 = None

        logger = logging.getLogger("dagster.code_server")
        if not logger.handlers and not logging.getLogger().handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
        os.makedirs(os.path.dirname(self.socket_path), exist_ok=True)
        try:
            os.unlink(self.socket_path)  # a crashed generation's leftover of the same number
        except FileNotFoundError:
            pass

        termination = threading.Event()
        executor = FuturesAwareThreadPoolExecutor(max_workers=None)
        servicer_class = _servicer_class()
        servicer = servicer_class(
            server_termination_event=termination,
            logger=logger,
            server_threadpool_executor=executor,
            loadable_target_origin=origin_for(self.target),
            heartbeat=False,
            lazy_load_user_code=True,
            entry_point=get_python_environment_entry_point(sys.executable),
            location_name=self.location,
        )
        servicer.codeloc_location = self.location
        servicer.codeloc_socket = self.socket_path
        server = DagsterGrpcServer(
            server_termination_event=termination,
            dagster_api_servicer=servicer,
            logger=logger,
            threadpool_executor=executor,
            socket=self.socket_path,
        )
        grace = default_grpc_server_shutdown_grace_period()

        def stop_now() -> None:
            termination.set()  # what Dagster's cleanup thread would do at its next tick
            server.server.stop(grace=grace)

        servicer.codeloc_stop = stop_now
        # DagsterGrpcServer.serve(), without blocking this thread in wait_for_termination.
        server.server.start()
        health = getattr(server, "_health_servicer", None)
        if health is not None and health_pb2 is not None:
            health.set("DagsterApi", health_pb2.HealthCheckResponse.SERVING)
        stopper = threading.Thread(
            target=server_termination_target,
            args=[termination, server.server, logger],
            name="grpc-server-termination",
            daemon=True,
        )
        stopper.start()

        def wait() -> None:
            try:
                server.server.wait_for_termination()
                stopper.join()
                servicer.cleanup()
            finally:
                self._stopped.set()

        threading.Thread(target=wait, name="codeloc-grpc-wait", daemon=True).start()
        self._servicer = servicer
        self._started = True

    def server_id(self) -> Optional[str]:
        return getattr(self._servicer, "_server_id", None) if self._servicer else None

    def drain(self) -> int:
        """Dagster's ShutdownServer: refuse new runs, stop once the running ones have finished.
        Returns how many runs were still in flight."""
        if not self._servicer:
            return 0
        from dagster._grpc.__generated__ import dagster_api_pb2

        self._servicer.ShutdownServer(dagster_api_pb2.Empty(), None)
        with self._servicer._execution_lock:
            return len(self._servicer._executions)

    def wait_drained(self, timeout: Optional[float] = None) -> bool:
        """True once the server has stopped (its runs finished); at once when it never started."""
        if not self._started:
            return True
        return self._stopped.wait(timeout)
