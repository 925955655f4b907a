"""A small client of dagster-webserver's GraphQL API, as a user's browser talks to it: POST
/graphql with JSON {query, variables} over loopback HTTP. Standard library only (urllib), so the
tests and the benchmarks (bench/dagster_ui.py) share it.

The queries follow the schema of the installed dagster-webserver (dagster_graphql/schema/, 1.13):
`workspaceOrError` for locations, their load status and errors; `assetNodes` for asset keys per
location; `launchRun`, `runOrError`, `terminateRun`, `reloadRepositoryLocation`; `sensorOrError`
and `scheduleOrError` for ticks. Also here: starting dagster-webserver, dagster-daemon or `dagster
dev` as a process group of their own, and stopping that group.
"""
from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

REPOSITORY = "__repository__"  # the name of the repository a Definitions object makes


class GraphQLError(Exception):
    """The webserver answered with GraphQL errors, or a result of an error type."""


# Queries -------------------------------------------------------------------------------------
PYTHON_ERROR = "message className stack errorChain { isExplicitLink error { message className } }"

WORKSPACE = f"""
query CodelocWorkspace {{
  workspaceOrError {{
    __typename
    ... on Workspace {{
      locationEntries {{
        name
        loadStatus
        updatedTimestamp
        locationOrLoadError {{
          __typename
          ... on RepositoryLocation {{
            name
            serverId
            repositories {{
              name
              assetNodes {{ assetKey {{ path }} }}
              jobs {{ name }}
              schedules {{ name }}
              sensors {{ name }}
            }}
          }}
          ... on PythonError {{ {PYTHON_ERROR} }}
        }}
      }}
    }}
    ... on PythonError {{ {PYTHON_ERROR} }}
  }}
}}
"""

LOCATION_STATUSES = f"""
query CodelocLocationStatuses {{
  locationStatusesOrError {{
    __typename
    ... on WorkspaceLocationStatusEntries {{ entries {{ name loadStatus updateTimestamp }} }}
    ... on PythonError {{ {PYTHON_ERROR} }}
  }}
}}
"""

ASSET_NODES = """
query CodelocAssetNodes {
  assetNodes {
    assetKey { path }
    repository { name location { name } }
  }
}
"""

LAUNCH_RUN = f"""
mutation CodelocLaunchRun($executionParams: ExecutionParams!) {{
  launchRun(executionParams: $executionParams) {{
    __typename
    ... on LaunchRunSuccess {{ run {{ runId status }} }}
    ... on RunConfigValidationInvalid {{ errors {{ message }} }}
    ... on PythonError {{ {PYTHON_ERROR} }}
    ... on Error {{ message }}
  }}
}}
"""

RUN = f"""
query CodelocRun($runId: ID!) {{
  runOrError(runId: $runId) {{
    __typename
    ... on Run {{
      runId status jobName startTime endTime
      repositoryOrigin {{ repositoryLocationName repositoryName }}
      tags {{ key value }}
    }}
    ... on PythonError {{ {PYTHON_ERROR} }}
    ... on Error {{ message }}
  }}
}}
"""

TERMINATE_RUN = f"""
mutation CodelocTerminateRun($runId: String!, $terminatePolicy: TerminateRunPolicy) {{
  terminateRun(runId: $runId, terminatePolicy: $terminatePolicy) {{
    __typename
    ... on TerminateRunSuccess {{ run {{ runId status }} }}
    ... on TerminateRunFailure {{ run {{ runId status }} message }}
    ... on PythonError {{ {PYTHON_ERROR} }}
    ... on Error {{ message }}
  }}
}}
"""

RELOAD_LOCATION = f"""
mutation CodelocReloadLocation($name: String!) {{
  reloadRepositoryLocation(repositoryLocationName: $name) {{
    __typename
    ... on WorkspaceLocationEntry {{
      name
      loadStatus
      locationOrLoadError {{
        __typename
        ... on RepositoryLocation {{ name serverId }}
        ... on PythonError {{ {PYTHON_ERROR} }}
      }}
    }}
    ... on PythonError {{ {PYTHON_ERROR} }}
    ... on Error {{ message }}
  }}
}}
"""

TICK = f"id status timestamp skipReason runIds error {{ {PYTHON_ERROR} }}"

SENSOR = f"""
query CodelocSensor($selector: SensorSelector!, $limit: Int) {{
  sensorOrError(sensorSelector: $selector) {{
    __typename
    ... on Sensor {{
      name minIntervalSeconds defaultStatus
      sensorState {{ status ticks(limit: $limit) {{ {TICK} }} }}
    }}
    ... on PythonError {{ {PYTHON_ERROR} }}
    ... on Error {{ message }}
  }}
}}
"""

SCHEDULE = f"""
query CodelocSchedule($selector: ScheduleSelector!, $limit: Int) {{
  scheduleOrError(scheduleSelector: $selector) {{
    __typename
    ... on Schedule {{
      name cronSchedule defaultStatus
      scheduleState {{ status ticks(limit: $limit) {{ {TICK} }} }}
    }}
    ... on PythonError {{ {PYTHON_ERROR} }}
    ... on Error {{ message }}
  }}
}}
"""

# Run statuses after which nothing happens to the run any more.
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


@dataclass
class Location:
    """One entry of workspaceOrError."""

    name: str
    load_status: str                     # LOADING or LOADED
    error: dict | None = None            # the PythonError (message, className, stack), if any
    server_id: str | None = None
    assets: set[str] = field(default_factory=set)   # "a/b" per asset key
    jobs: set[str] = field(default_factory=set)
    schedules: set[str] = field(default_factory=set)
    sensors: set[str] = field(default_factory=set)
    repositories: list[str] = field(default_factory=list)
    updated: float = 0.0

    @property
    def loaded(self) -> bool:
        """LOADED with its code (not a load error)."""
        return self.load_status == "LOADED" and self.error is None and bool(self.repositories)


def asset_key(path: list[str]) -> str:
    return "/".join(path)


def error_text(error: dict | None) -> str:
    """A PythonError's message and those of its chain (what caused it), one per line: the
    user's own exception (a SyntaxError, say) is usually in the chain, under Dagster's
    DagsterUserCodeLoadError."""
    if not error:
        return ""
    lines = [f"{error.get('className')}: {error.get('message', '')}"]
    for link in error.get("errorChain") or []:
        cause = link["error"]
        lines.append(f"{cause.get('className')}: {cause.get('message', '')}")
    return "\n".join(lines)


class Client:
    """GraphQL over loopback HTTP to one dagster-webserver."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 60):
        self.url = f"http://{host}:{port}"
        self.timeout = timeout

    # Transport ---------------------------------------------------------------------------------
    def execute(self, query: str, variables: dict | None = None) -> dict:
        """POST /graphql as a browser does; the `data` of the answer, or GraphQLError."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            self.url + "/graphql", data=body, method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            raise GraphQLError(f"HTTP {e.code} from {self.url}/graphql: {text[:2000]}") from None
        if answer.get("errors"):
            raise GraphQLError(json.dumps(answer["errors"])[:4000])
        return answer["data"]

    def server_info(self) -> dict | None:
        """GET /server_info, or None while the webserver does not answer."""
        try:
            with urllib.request.urlopen(self.url + "/server_info", timeout=5) as response:
                return json.loads(response.read())
        except (OSError, ValueError):
            return None

    # Workspace ---------------------------------------------------------------------------------
    def workspace(self) -> dict[str, Location]:
        """Every location of the webserver's workspace, by name."""
        answer = self.execute(WORKSPACE)["workspaceOrError"]
        if answer["__typename"] != "Workspace":
            raise GraphQLError(f"workspaceOrError: {answer}")
        locations = {}
        for entry in answer["locationEntries"]:
            loc = Location(entry["name"], entry["loadStatus"], updated=entry["updatedTimestamp"])
            code = entry["locationOrLoadError"]
            if code is not None and code["__typename"] == "PythonError":
                loc.error = {k: code.get(k) for k in ("message", "className", "stack",
                                                      "errorChain")}
            elif code is not None:
                loc.server_id = code.get("serverId")
                for repo in code["repositories"]:
                    loc.repositories.append(repo["name"])
                    loc.assets |= {asset_key(n["assetKey"]["path"]) for n in repo["assetNodes"]}
                    loc.jobs |= {j["name"] for j in repo["jobs"]}
                    loc.schedules |= {s["name"] for s in repo["schedules"]}
                    loc.sensors |= {s["name"] for s in repo["sensors"]}
            locations[loc.name] = loc
        return locations

    def location_statuses(self) -> dict[str, str]:
        """locationStatusesOrError: name -> LOADING or LOADED (what the UI polls)."""
        answer = self.execute(LOCATION_STATUSES)["locationStatusesOrError"]
        if answer["__typename"] != "WorkspaceLocationStatusEntries":
            raise GraphQLError(f"locationStatusesOrError: {answer}")
        return {e["name"]: e["loadStatus"] for e in answer["entries"]}

    def asset_nodes(self) -> dict[str, set[str]]:
        """assetNodes: location name -> its asset keys ("a/b")."""
        keys: dict[str, set[str]] = {}
        for node in self.execute(ASSET_NODES)["assetNodes"]:
            name = node["repository"]["location"]["name"]
            keys.setdefault(name, set()).add(asset_key(node["assetKey"]["path"]))
        return keys

    def reload_location(self, name: str) -> dict:
        """reloadRepositoryLocation, as the UI's Reload button; the WorkspaceLocationEntry it
        answers (loadStatus, locationOrLoadError), or GraphQLError."""
        answer = self.execute(RELOAD_LOCATION, {"name": name})["reloadRepositoryLocation"]
        if answer["__typename"] != "WorkspaceLocationEntry":
            raise GraphQLError(f"reloadRepositoryLocation({name}): {answer}")
        return answer

    # Runs --------------------------------------------------------------------------------------
    def launch_run(self, location: str, job: str, repository: str = REPOSITORY,
                   run_config: dict | None = None, tags: dict | None = None) -> str:
        """launchRun of a job (an asset job too); the run id, or GraphQLError."""
        params: dict = {"selector": {"repositoryLocationName": location,
                                     "repositoryName": repository, "jobName": job},
                        "runConfigData": run_config or {}}
        if tags:
            params["executionMetadata"] = {"tags": [{"key": k, "value": v}
                                                    for k, v in tags.items()]}
        answer = self.execute(LAUNCH_RUN, {"executionParams": params})["launchRun"]
        if answer["__typename"] != "LaunchRunSuccess":
            raise GraphQLError(f"launchRun({location}/{job}): {answer}")
        return answer["run"]["runId"]

    def run(self, run_id: str) -> dict:
        """runOrError: the run (runId, status, jobName, startTime, endTime, repositoryOrigin)."""
        answer = self.execute(RUN, {"runId": run_id})["runOrError"]
        if answer["__typename"] != "Run":
            raise GraphQLError(f"runOrError({run_id}): {answer}")
        return answer

    def run_status(self, run_id: str) -> str:
        return self.run(run_id)["status"]

    def terminate_run(self, run_id: str, policy: str | None = None) -> dict:
        """terminateRun (policy SAFE_TERMINATE, Dagster's default, or
        MARK_AS_CANCELED_IMMEDIATELY); the answer with its __typename (TerminateRunSuccess or
        TerminateRunFailure with a message), or GraphQLError."""
        variables = {"runId": run_id, "terminatePolicy": policy}
        answer = self.execute(TERMINATE_RUN, variables)["terminateRun"]
        if answer["__typename"] not in ("TerminateRunSuccess", "TerminateRunFailure"):
            raise GraphQLError(f"terminateRun({run_id}): {answer}")
        return answer

    # Sensors and schedules ---------------------------------------------------------------------
    def sensor(self, location: str, name: str, repository: str = REPOSITORY,
               limit: int = 20) -> dict:
        """sensorOrError: the sensor with sensorState {status, ticks (newest first)}."""
        selector = {"repositoryLocationName": location, "repositoryName": repository,
                    "sensorName": name}
        answer = self.execute(SENSOR, {"selector": selector, "limit": limit})["sensorOrError"]
        if answer["__typename"] != "Sensor":
            raise GraphQLError(f"sensorOrError({location}/{name}): {answer}")
        return answer

    def sensor_ticks(self, location: str, name: str, repository: str = REPOSITORY,
                     limit: int = 20) -> list[dict]:
        return self.sensor(location, name, repository, limit)["sensorState"]["ticks"]

    def schedule(self, location: str, name: str, repository: str = REPOSITORY,
                 limit: int = 20) -> dict:
        """scheduleOrError: the schedule with scheduleState {status, ticks (newest first)}."""
        selector = {"repositoryLocationName": location, "repositoryName": repository,
                    "scheduleName": name}
        answer = self.execute(SCHEDULE, {"selector": selector, "limit": limit})["scheduleOrError"]
        if answer["__typename"] != "Schedule":
            raise GraphQLError(f"scheduleOrError({location}/{name}): {answer}")
        return answer

    def schedule_ticks(self, location: str, name: str, repository: str = REPOSITORY,
                       limit: int = 20) -> list[dict]:
        return self.schedule(location, name, repository, limit)["scheduleState"]["ticks"]


# Processes -----------------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dagster_home(folder: pathlib.Path, run_coordinator: str | None = "default") -> pathlib.Path:
    """A DAGSTER_HOME in `folder` with telemetry off. run_coordinator "default" writes the
    DefaultRunCoordinator (launchRun starts the run at once, no dagster-daemon needed to dequeue
    it); None keeps Dagster's default (QueuedRunCoordinator)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "telemetry:\n  enabled: false\n"
    if run_coordinator == "default":
        text += ("run_coordinator:\n  module: dagster._core.run_coordinator\n"
                 "  class: DefaultRunCoordinator\n")
    (folder / "dagster.yaml").write_text(text)
    return folder



def live_processes():
    """(pid, the fields of /proc/PID/stat after the command name) of every process that is not a
    zombie: fields[0] is the state, [1] the parent, [3] the process group."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = pathlib.Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] not in ("Z", "X"):
            yield int(entry), fields

class Process:
    """A Dagster process (dagster-webserver, dagster-daemon, `dagster dev`, `dagster api grpc`)
    started in a session of its own, so that its whole process group (its subprocesses: code
    servers, run workers) is stopped by stop(). Output goes to `log_path`."""

    def __init__(self, argv: list[str], log_path: pathlib.Path, env: dict | None = None,
                 cwd: pathlib.Path | None = None):
        self.argv = [str(a) for a in argv]
        self.log_path = log_path
        self.log_file = open(log_path, "wb")
        full_env = dict(os.environ, **(env or {}))
        full_env.pop("VIRTUAL_ENV", None)
        self.proc = subprocess.Popen(self.argv, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                                     stdout=self.log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.pid = self.proc.pid
        self.pgid = self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def group_pids(self) -> set[int]:
        """Live processes in this process's group (its session leader's group)."""
        return {pid for pid, fields in live_processes() if int(fields[3]) == self.pgid}

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM to the process group, wait up to `timeout`, then SIGKILL to the group; also
        SIGKILLs whatever of the group is left once the leader exited. Returns the exit status."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.pgid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        end = time.monotonic() + timeout
        while self.group_pids() and time.monotonic() < end:
            time.sleep(0.05)
        if self.proc.poll() is None or self.group_pids():
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        status = self.proc.wait(timeout=timeout)
        self.log_file.close()
        return status


def webserver(bin_dir: pathlib.Path, workspace: pathlib.Path, port: int, home: pathlib.Path,
              log_path: pathlib.Path, extra: list[str] | None = None) -> Process:
    """dagster-webserver -h 127.0.0.1 -p PORT -w WORKSPACE with DAGSTER_HOME=home."""
    return Process([bin_dir / "dagster-webserver", "-h", "127.0.0.1", "-p", str(port),
                    "-w", workspace, *(extra or [])],
                   log_path, env={"DAGSTER_HOME": str(home), "NO_COLOR": "1"},
                   cwd=workspace.parent)


def daemon(bin_dir: pathlib.Path, workspace: pathlib.Path, home: pathlib.Path,
           log_path: pathlib.Path) -> Process:
    """dagster-daemon run -w WORKSPACE with DAGSTER_HOME=home (sensors, schedules, the run
    queue)."""
    return Process([bin_dir / "dagster-daemon", "run", "-w", workspace], log_path,
                   env={"DAGSTER_HOME": str(home), "NO_COLOR": "1"}, cwd=workspace.parent)


def wait_ready(client: Client, process: Process, timeout: float) -> dict:
    """Waits until the webserver answers /server_info; fails if its process exits first."""
    end = time.monotonic() + timeout
    while True:
        info = client.server_info()
        if info is not None:
            return info
        if not process.alive():
            raise AssertionError(f"{process.argv[0]} exited with {process.proc.returncode}:\n"
                                 f"{process.log()[-6000:]}")
        if time.monotonic() > end:
            raise AssertionError(f"{process.argv[0]} did not answer within {timeout:.0f}s:\n"
                                 f"{process.log()[-6000:]}")
        time.sleep(0.1)
