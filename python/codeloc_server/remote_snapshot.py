"""The definitions snapshot of a Dagster gRPC server's repository (``grpc_server`` entries).

Builds the object of docs/snapshot.md from a ``RemoteRepository`` (Dagster's view of a
``RepositorySnap`` fetched over gRPC), in the same shape and with the same rules as snapshot.py
builds it from live definitions, so a client cannot tell the two apart. What the remote snapshot
does not carry:

- ``python.version``: the server does not report it (null); ``python.executable`` is the
  interpreter the server reports.
- ``partitions.class``: the base class of the rebuilt definition (``TimeWindowPartitionsDefinition``
  for a ``DailyPartitionsDefinition``); the other partition fields are the same.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set

from . import snapshot as live
from .snapshot import _check_key, _check_sort, _is_reserved_job, _key, _status, _str_or_none


def _jobs(repository: Any) -> List[Dict[str, Any]]:
    """Jobs without Dagster's reserved asset jobs. A job's assets are those it materializes: the
    asset nodes naming the job whose op (or graph) is one of the job's top-level nodes; nodes that
    name the job without one are the job's upstream inputs, which live definitions do not select."""
    snap = repository.repository_snap
    jobs = []
    for job in repository.get_all_jobs():
        if _is_reserved_job(job.name):
            continue
        nodes: Set[str] = {str(n) for n in job.node_names}
        assets = [
            _key(node.asset_key)
            for node in snap.asset_nodes
            if job.name in node.job_names and (node.graph_name or node.op_name) in nodes
        ]
        checks = [
            _check_key(check) for check in snap.asset_check_nodes or [] if job.name in check.job_names
        ]
        jobs.append(
            {
                "name": job.name,
                "description": _str_or_none(job.description),
                "tags": {str(k): str(v) for k, v in dict(job.tags or {}).items()},
                "assets": sorted(assets),
                "asset_checks": sorted(checks, key=_check_sort),
                "ops": sorted(nodes),
            }
        )
    return sorted(jobs, key=lambda j: j["name"])


def _schedules(repository: Any) -> List[Dict[str, Any]]:
    entries = (live.schedule_entry(s) for s in repository.get_schedules())
    return sorted(entries, key=lambda s: s["name"])


def _sensor_asset_selection(sensor: Any, asset_graph: Any) -> Optional[List[List[str]]]:
    selection = sensor.asset_selection
    if selection is None:
        return None
    return sorted(_key(k) for k in selection.resolve(asset_graph))


def _sensors(repository: Any, asset_graph: Any) -> List[Dict[str, Any]]:
    """As live sensors; Dagster's snapshot adds the reserved asset job as the target of automation
    sensors, which live definitions do not list, so reserved names are left out."""
    sensors = []
    for sensor in repository.get_sensors():
        targets = {str(t.job_name) for t in sensor.get_targets() if t.job_name}
        sensors.append(
            {
                "name": sensor.name,
                "type": _status(sensor.sensor_type),
                "targets": sorted(t for t in targets if not _is_reserved_job(t)),
                "asset_selection": _sensor_asset_selection(sensor, asset_graph),
                "minimum_interval_seconds": sensor.min_interval_seconds,
                "default_status": _status(sensor.default_status),
                "description": _str_or_none(sensor.description),
            }
        )
    return sorted(sensors, key=lambda s: s["name"])


def _resources(repository: Any) -> List[Dict[str, Any]]:
    resources = [
        {"key": str(resource.name), "type": str(resource.resource_type)}
        for resource in repository.get_resources()
        if resource.is_top_level
    ]
    return sorted(resources, key=lambda r: r["key"])


def build(
    repository: Any, location: str, dagster_version: Optional[str], executable: Optional[str]
) -> Dict[str, Any]:
    """The snapshot object for ``repository`` (a ``RemoteRepository``); ``dagster_version`` and
    ``executable`` are what the server reported (``ListRepositories``)."""
    asset_graph = repository.asset_graph
    return {
        "location": location,
        "dagster_version": dagster_version,
        "python": {"version": None, "executable": executable},
        # The remote asset graph answers the same questions as a live one (snapshot.py reads
        # kinds from the dagster/kind/* tags when a node has no kinds).
        "assets": live._assets(asset_graph),
        "asset_checks": live._asset_checks(asset_graph),
        "jobs": _jobs(repository),
        "schedules": _schedules(repository),
        "sensors": _sensors(repository, asset_graph),
        "resources": _resources(repository),
    }
