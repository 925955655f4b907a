"""Serving a Dagster gRPC server that someone else runs (``grpc_server`` entries, ``--attach-grpc``).

The process speaks codeloc's code-server protocol on its channel like any Python location
(server.py); only the load step differs: ``definitions.get`` fetches the repository from the
Dagster gRPC server with Dagster's own client (``DagsterGrpcClient``: ``GetServerId``,
``ListRepositories``, ``ExternalRepository``, as Dagster's ``GrpcServerCodeLocation`` does) and
converts it (remote_snapshot.py). An unreachable server, or one that reports that its code failed
to load, is a load error, never a crash.

After the load, a thread polls ``GetServerId`` every second, as Dagster's own ``server_watcher.py``
does. When the definitions are out of date (the id changed: the server restarted or reloaded; it
came back after being unreachable; it has been unreachable for ``MAX_RECONNECT_ATTEMPTS`` polls)
it asks the daemon to reload the location (control.reload). The daemon then starts a new process
beside this one, which fetches the new definitions; this one is stopped, so it asks once.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from . import cli, control, errors, loader, remote_snapshot

WATCH_INTERVAL = 1.0  # seconds between two GetServerId polls (Dagster's WATCH_INTERVAL)
REQUEST_TIMEOUT = 2  # seconds for one poll (Dagster's REQUEST_TIMEOUT)
MAX_RECONNECT_ATTEMPTS = 10  # failed polls before the definitions are out of date (Dagster's)
# A load that reached the server but failed as if it had not (a transient error): the polls that
# must answer before a reload is asked for, so that a server that keeps failing so is not reloaded
# every second (Dagster retries such a location every ERROR_RECOVERY_INTERVAL, 10 s).
RECOVERY_POLLS = 10
# gRPC metadata sent with every call: a JSON object of strings, set by the daemon from the entry's
# additional_metadata (the values may be secrets: not on the command line).
ENV_METADATA = "CODELOC_GRPC_METADATA"

_FRAME = re.compile(r'\s*File "(?P<file>.*)", line (?P<line>\d+), in (?P<function>.*)')


def log(message: str) -> None:
    try:
        sys.stderr.write(f"codeloc-attach: {message}\n")
        sys.stderr.flush()
    except Exception:
        pass


class GrpcServerUnreachable(Exception):
    """The Dagster gRPC server did not answer (no socket, connection refused, timeout...)."""


class GrpcServerError(Exception):
    """The server answered, but its definitions cannot be served (its code failed to load, ...).
    ``load_error_data`` is the load error object (errors.load_error returns it as it is): this
    error, with the server's own error, when it reported one, as the cause."""

    def __init__(self, message: str, server_error: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.load_error_data = {
            "class_name": errors.class_name(self),
            "message": message,
            "stack": [],
            "location": _innermost_location(server_error),
            "cause": server_error,
        }


def _innermost_location(data: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The user's file and line from the deepest error in the chain that names one (Dagster wraps
    the user's exception: DagsterImportError caused by ModuleNotFoundError in the user's file)."""
    found = None
    while data:
        found = data.get("location") or found
        data = data.get("cause")
    return found


def metadata_from_env(environ: Mapping[str, str] = os.environ) -> List[Tuple[str, str]]:
    """The gRPC metadata in ``CODELOC_GRPC_METADATA``, sorted; [] when unset. ValueError when it is
    not a JSON object of strings."""
    raw = environ.get(ENV_METADATA, "")
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        raise ValueError(f"{ENV_METADATA} is not JSON") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{ENV_METADATA}: expected a JSON object of strings")
    return sorted((str(k), v) for k, v in value.items())


# ---- the server's errors as load errors ----


def _frames(stack: Sequence[str]) -> List[Dict[str, Any]]:
    """``SerializableErrorInfo.stack`` (``traceback.format_list`` entries) as load error frames."""
    frames = []
    for entry in stack or []:
        lines = str(entry).rstrip("\n").split("\n")
        match = _FRAME.match(lines[0])
        if not match or match.group("file").startswith("<frozen "):
            continue
        code = lines[1].strip() if len(lines) > 1 and lines[1].strip() else None
        frames.append(
            {
                "file": match.group("file"),
                "line": int(match.group("line")),
                "function": match.group("function"),
                "code": code,
            }
        )
    return frames


def _message(info: Any) -> str:
    """The message without ``format_exception_only``'s ``module.Class: `` prefix and newline."""
    text = str(info.message or "").strip()
    first, sep, rest = text.partition(": ")
    if sep and (first == info.cls_name or first.endswith("." + str(info.cls_name))):
        text = rest.strip()
    return text or str(info.cls_name)


def info_to_load_error(info: Any, _depth: int = 0) -> Dict[str, Any]:
    """A Dagster ``SerializableErrorInfo`` (what a gRPC server reports) as a load error object."""
    frames = _frames(info.stack)
    location = None
    for frame in reversed(frames):
        if errors.is_user_file(frame["file"]):
            location = {"file": frame["file"], "line": frame["line"], "column": 0}
            break
    cause = info.cause if info.cause is not None else info.context
    return {
        "class_name": str(info.cls_name or "Error"),
        "message": _message(info),
        "stack": frames,
        "location": location,
        "cause": info_to_load_error(cause, _depth + 1) if cause is not None and _depth < 8 else None,
    }


def _server_error(address: cli.GrpcAddress, info: Any) -> GrpcServerError:
    data = info_to_load_error(info)
    return GrpcServerError(
        f"the Dagster gRPC server at {address.describe()} reports an error: {errors.summary_line(data)}",
        data,
    )


def _unreachable(address: cli.GrpcAddress, error: BaseException) -> GrpcServerUnreachable:
    cause = error.__cause__
    details = getattr(cause, "details", None)
    detail = details() if callable(details) else None
    return GrpcServerUnreachable(
        f"cannot reach the Dagster gRPC server at {address.describe()}: {detail or error}"
    )


# ---- fetching ----


def client(address: cli.GrpcAddress, metadata: Sequence[Tuple[str, str]] = ()) -> Any:
    from dagster._grpc.client import DagsterGrpcClient

    if address.socket:
        return DagsterGrpcClient(socket=address.socket, metadata=list(metadata) or None)
    return DagsterGrpcClient(host=address.host, port=address.port, metadata=list(metadata) or None)


class Fetched:
    """What one load learnt about the server: whether its ``GetServerId`` answered, and the id the
    definitions (or the server's error) came from (None when the server did not answer)."""

    def __init__(self) -> None:
        self.reached = False
        self.server_id: Optional[str] = None


def fetch(
    address: cli.GrpcAddress, location: str, metadata: Sequence[Tuple[str, str]], into: Fetched
) -> Dict[str, Any]:
    """The snapshot of the server's one repository; fills ``into`` as it learns. Raises
    DagsterMissing, GrpcServerUnreachable or GrpcServerError."""
    loader.import_dagster(warn=log)
    from dagster._core.errors import DagsterUserCodeProcessError, DagsterUserCodeUnreachableError
    from dagster._core.remote_origin import GrpcServerCodeLocationOrigin, RemoteRepositoryOrigin
    from dagster._core.remote_representation.external import RemoteRepository
    from dagster._core.remote_representation.external_data import RepositoryErrorSnap, RepositorySnap
    from dagster._core.remote_representation.handle import RepositoryHandle
    from dagster._grpc.types import ListRepositoriesResponse
    from dagster._serdes import deserialize_value
    from dagster._utils.error import SerializableErrorInfo

    api = client(address, metadata)
    try:
        # The id first: a change during the fetch then shows at the first poll.
        server_id = api.get_server_id(timeout=REQUEST_TIMEOUT)
        if isinstance(server_id, SerializableErrorInfo):
            raise _server_error(address, server_id)
        into.reached, into.server_id = True, str(server_id)
        listed = deserialize_value(api.list_repositories(), (ListRepositoriesResponse, SerializableErrorInfo))
        if isinstance(listed, SerializableErrorInfo):
            raise _server_error(address, listed)
        names = sorted(symbol.repository_name for symbol in listed.repository_symbols)
        if len(names) != 1:
            raise GrpcServerError(
                f"codeloc serves one repository per location, and the Dagster gRPC server at"
                f" {address.describe()} serves {len(names)}: {', '.join(names) or 'none'}"
            )
        origin = GrpcServerCodeLocationOrigin(
            host=address.host, port=address.port, socket=address.socket, location_name=location
        )
        repository_origin = RemoteRepositoryOrigin(origin, names[0])
        snap = deserialize_value(
            api.external_repository(remote_repository_origin=repository_origin, defer_snapshots=False),
            (RepositorySnap, RepositoryErrorSnap),
        )
    except (DagsterUserCodeUnreachableError, DagsterUserCodeProcessError) as error:
        if isinstance(error, DagsterUserCodeProcessError) and error.user_code_process_error_infos:
            raise _server_error(address, error.user_code_process_error_infos[0]) from None
        raise _unreachable(address, error) from None
    if isinstance(snap, RepositoryErrorSnap):
        raise _server_error(address, snap.error)
    try:
        handle = RepositoryHandle(
            repository_name=names[0], code_location_origin=origin, repository_python_origin=None, display_metadata={}
        )
    except Exception:  # dagster 1.11 requires the origin: built as its GrpcServerCodeLocation does
        handle = RepositoryHandle(
            repository_name=names[0],
            code_location_origin=origin,
            repository_python_origin=_python_origin(listed, names[0]),
            display_metadata={},
        )
    repository = RemoteRepository(snap, handle, auto_materialize_use_sensors=True)
    versions = dict(listed.dagster_library_versions or {})
    return remote_snapshot.build(repository, location, versions.get("dagster"), listed.executable_path)


def _python_origin(listed: Any, name: str) -> Any:
    """The repository's RepositoryPythonOrigin from the server's list_repositories answer."""
    from dagster._core.origin import RepositoryPythonOrigin

    return RepositoryPythonOrigin(
        executable_path=listed.executable_path or sys.executable,
        code_pointer=(listed.repository_code_pointer_dict or {})[name],
        container_image=listed.container_image,
        entry_point=listed.entry_point,
        container_context=listed.container_context,
    )


# ---- watching ----


class ServerWatch:
    """Decides, one poll at a time, when the served definitions are out of date.

    ``known_id`` is the server id the definitions (or the server's load error) came from; None when
    the load could not reach the server. ``reached`` is whether the load's ``GetServerId`` answered.
    """

    def __init__(
        self,
        known_id: Optional[str],
        reached: bool,
        max_failures: int = MAX_RECONNECT_ATTEMPTS,
        recovery_polls: int = RECOVERY_POLLS,
    ) -> None:
        self.known_id = known_id
        self.reached = reached
        self.max_failures = max_failures
        self.recovery_polls = recovery_polls
        self.failures = 0
        self.answers = 0

    def on_poll(self, server_id: Optional[str]) -> Optional[str]:
        """The poll's outcome (the id, or None when the server did not answer); returns why the
        location must reload, or None."""
        if server_id is None:
            self.failures += 1
            self.answers = 0
            if self.known_id is not None and self.failures == self.max_failures:
                return f"the Dagster gRPC server has not answered for {self.failures} polls"
            return None
        self.failures = 0
        self.answers += 1
        if self.known_id is None:
            if not self.reached:
                return "the Dagster gRPC server is reachable"
            if self.answers >= self.recovery_polls:
                return "the Dagster gRPC server answers again"
            return None
        if server_id != self.known_id:
            return f"the Dagster gRPC server's id changed ({self.known_id} -> {server_id})"
        return None


class Attachment:
    """The load step and the watch thread of one attach process."""

    def __init__(
        self,
        options: cli.Options,
        environ: Mapping[str, str] = os.environ,
        reload: Callable[[str], Any] = control.reload,
        interval: float = WATCH_INTERVAL,
    ) -> None:
        assert options.grpc is not None
        self.options = options
        self.address = options.grpc
        self._environ = environ
        self.metadata: List[Tuple[str, str]] = []
        self._reload = reload
        self._interval = interval
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def build_snapshot(self) -> Dict[str, Any]:
        """Server's load step (definitions.get). Starts the watch whatever the outcome."""
        fetched = Fetched()
        try:
            self.metadata = metadata_from_env(self._environ)
            return fetch(self.address, self.options.location, self.metadata, fetched)
        except GrpcServerUnreachable:
            fetched.server_id = None  # what was served under the id is unknown
            raise
        finally:
            self._start_watch(fetched)

    def _start_watch(self, fetched: Fetched) -> None:
        if self._thread is not None:
            return
        try:
            from dagster._grpc.client import DagsterGrpcClient  # noqa: F401
        except ImportError:
            return  # no dagster: nothing can change that a poll would see
        watch = ServerWatch(fetched.server_id, fetched.reached)
        self._thread = threading.Thread(target=self._watch, args=(watch,), name="grpc-server-watch", daemon=True)
        self._thread.start()

    def _poll(self, api: Any) -> Optional[str]:
        try:
            return str(api.get_server_id(timeout=REQUEST_TIMEOUT))
        except Exception:
            return None

    def _watch(self, watch: ServerWatch) -> None:
        api = client(self.address, self.metadata)
        where = self.address.describe()
        cause: Optional[str] = None
        last_problem = ""
        while not self._stop.wait(self._interval):
            server_id = self._poll(api)
            if server_id is None and watch.failures == 0 and watch.known_id is not None:
                log(f"the Dagster gRPC server at {where} does not answer; polling every {self._interval:g}s")
            elif server_id is not None and watch.failures > 0 and server_id == watch.known_id:
                log(f"the Dagster gRPC server at {where} answers again (same server id)")
            cause = cause or watch.on_poll(server_id)
            if cause is None:
                continue
            try:
                self._reload(self.options.location)
            except control.ControlError as error:
                if error.message != last_problem:
                    log(f"{cause}, but the daemon could not be asked to reload: {error.message}; retrying")
                    last_problem = error.message
                continue
            log(f"{cause}: asked the daemon to reload {self.options.location!r}")
            return
