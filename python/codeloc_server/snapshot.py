"""The definitions snapshot: a ``RepositoryDefinition`` as the JSON object of docs/snapshot.md.

Every list is sorted and every object's keys are sorted when encoded (``encode``), so the same
definitions always give the same bytes, and so the same ``definitions_version`` in the daemon.
The fields come from the repository's asset graph (``RepositoryDefinition.asset_graph``, the view
``dg list defs`` uses), its jobs, schedules, sensors and top-level resources.
"""

from __future__ import annotations

import platform
import sys
from typing import Any, Dict, List, Optional, Tuple

from . import jsonrpc
from .jsonsafe import metadata_to_json, to_json

# Tags Dagster derives from ``kinds``; they are reported as ``kinds``, not twice (as dg does).
_KIND_TAG_PREFIX = "dagster/kind/"


def _key(asset_key: Any) -> List[str]:
    return [str(part) for part in asset_key.path]


def _str_or_none(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def _status(value: Any) -> Optional[str]:
    value = getattr(value, "value", value)
    return None if value is None else str(value)


def _tags(tags: Any) -> Dict[str, str]:
    return {str(k): str(v) for k, v in dict(tags or {}).items() if not str(k).startswith(_KIND_TAG_PREFIX)}


def _kinds(node: Any) -> List[str]:
    """The asset's kinds: ``node.kinds`` for a live asset node; a remote one (a Dagster gRPC
    server's snapshot) has only the ``dagster/kind/*`` tags that Dagster derives them into."""
    kinds = getattr(node, "kinds", None)
    if kinds is None:
        kinds = [k[len(_KIND_TAG_PREFIX) :] for k in dict(node.tags or {}) if str(k).startswith(_KIND_TAG_PREFIX)]
    return sorted(str(k) for k in kinds)


def partitions_summary(partitions_def: Any) -> Optional[Dict[str, Any]]:
    """What an asset is partitioned by, without anything that changes with the clock (no counts
    of time windows): static (count), time_window (cron, start, end, timezone, fmt), dynamic
    (name), multi (dimensions), else the class name alone."""
    if partitions_def is None:
        return None
    import dagster

    summary: Dict[str, Any] = {"class": type(partitions_def).__name__}
    if isinstance(partitions_def, dagster.StaticPartitionsDefinition):
        summary.update(type="static", count=len(partitions_def.get_partition_keys()))
    elif isinstance(partitions_def, dagster.TimeWindowPartitionsDefinition):
        end = getattr(partitions_def, "end", None)
        summary.update(
            type="time_window",
            cron_schedule=str(partitions_def.cron_schedule),
            start=partitions_def.start.isoformat(),
            end=end.isoformat() if end is not None else None,
            timezone=str(partitions_def.timezone),
            fmt=str(partitions_def.fmt),
        )
    elif isinstance(partitions_def, dagster.DynamicPartitionsDefinition):
        summary.update(type="dynamic", name=_str_or_none(partitions_def.name))
    elif isinstance(partitions_def, dagster.MultiPartitionsDefinition):
        summary.update(
            type="multi",
            dimensions=[
                {"name": d.name, "partitions": partitions_summary(d.partitions_def)}
                for d in sorted(partitions_def.partitions_defs, key=lambda d: d.name)
            ],
        )
    else:
        summary["type"] = "other"
    return summary


def _assets(asset_graph: Any) -> List[Dict[str, Any]]:
    assets = []
    for asset_key in asset_graph.get_all_asset_keys():
        node = asset_graph.get(asset_key)
        assets.append(
            {
                "key": _key(asset_key),
                "group": _str_or_none(node.group_name),
                "deps": sorted(_key(k) for k in node.parent_keys),
                "description": _str_or_none(node.description),
                "kinds": _kinds(node),
                "owners": sorted(str(o) for o in node.owners),
                "tags": _tags(node.tags),
                "metadata": metadata_to_json(node.metadata),
                "partitions": partitions_summary(node.partitions_def),
                "code_version": _str_or_none(node.code_version),
                "is_executable": bool(node.is_executable),
            }
        )
    return sorted(assets, key=lambda a: a["key"])


def _check_key(check_key: Any) -> Dict[str, Any]:
    return {"asset_key": _key(check_key.asset_key), "name": str(check_key.name)}


def _check_sort(check: Dict[str, Any]) -> Tuple[List[str], str]:
    return (check["asset_key"], check["name"])


def _asset_checks(asset_graph: Any) -> List[Dict[str, Any]]:
    checks = []
    for check_key in asset_graph.asset_check_keys:
        node = asset_graph.get(check_key)
        check = _check_key(check_key)
        check.update(description=_str_or_none(node.description), blocking=bool(node.blocking))
        checks.append(check)
    return sorted(checks, key=_check_sort)


def _is_reserved_job(name: str) -> bool:
    try:
        from dagster._core.definitions.assets.job.asset_job import is_reserved_asset_job_name  # type: ignore
    except ImportError:
        return name.startswith("__ASSET_JOB")
    return bool(is_reserved_asset_job_name(name))


def _jobs(repository: Any) -> List[Dict[str, Any]]:
    jobs = []
    # By name, so the implicit all-assets job (reserved, not reported) is never built: building
    # it costs seconds for large asset graphs.
    for name in sorted(repository.job_names):
        if _is_reserved_job(name):
            continue
        job = repository.get_job(name)
        layer = job.asset_layer
        jobs.append(
            {
                "name": job.name,
                "description": _str_or_none(job.description),
                "tags": {str(k): str(v) for k, v in dict(job.tags or {}).items()},
                "assets": sorted(_key(k) for k in layer.selected_asset_keys),
                "asset_checks": sorted((_check_key(k) for k in layer.asset_graph.asset_check_keys), key=_check_sort),
                "ops": sorted(str(name) for name in job.graph.node_dict),
            }
        )
    return sorted(jobs, key=lambda j: j["name"])


def schedule_entry(schedule: Any) -> Dict[str, Any]:
    """One schedule's entry, from a ``ScheduleDefinition`` or a remote schedule (the same fields)."""
    cron = schedule.cron_schedule
    return {
        "name": schedule.name,
        "cron_schedule": cron if isinstance(cron, str) else [str(c) for c in cron],
        "job": _str_or_none(schedule.job_name),
        "execution_timezone": _str_or_none(schedule.execution_timezone),
        "default_status": _status(schedule.default_status),
        "description": _str_or_none(schedule.description),
    }


def _schedules(repository: Any) -> List[Dict[str, Any]]:
    return sorted((schedule_entry(s) for s in repository.schedule_defs), key=lambda s: s["name"])


def _sensor_asset_selection(sensor: Any, asset_graph: Any) -> Optional[List[List[str]]]:
    selection = getattr(sensor, "asset_selection", None)
    if selection is None:
        return None
    return sorted(_key(k) for k in selection.resolve(asset_graph))


def _sensors(repository: Any, asset_graph: Any) -> List[Dict[str, Any]]:
    sensors = []
    for sensor in repository.sensor_defs:
        sensors.append(
            {
                "name": sensor.name,
                "type": _status(sensor.sensor_type),
                "targets": sorted({str(t.job_name) for t in sensor.targets if t.job_name}),
                "asset_selection": _sensor_asset_selection(sensor, asset_graph),
                "minimum_interval_seconds": sensor.minimum_interval_seconds,
                "default_status": _status(sensor.default_status),
                "description": _str_or_none(sensor.description),
            }
        )
    return sorted(sensors, key=lambda s: s["name"])


def resource_type_name(resource: Any) -> str:
    """Dagster's name for a resource's type (what ``dg list defs`` shows): the class for
    class-based resources, ``module.function`` for function-based ones."""
    try:
        from dagster._config.pythonic_config.resource import get_resource_type_name  # type: ignore

        return str(get_resource_type_name(resource))
    except Exception:
        cls = type(resource)
        return f"{cls.__module__}.{cls.__qualname__}"


def _resources(repository: Any) -> List[Dict[str, Any]]:
    resources = [
        {"key": str(key), "type": resource_type_name(resource)}
        for key, resource in repository.get_top_level_resources().items()
    ]
    return sorted(resources, key=lambda r: r["key"])


def build(repository: Any, location: str) -> Dict[str, Any]:
    """The snapshot object for ``repository`` (a ``RepositoryDefinition``)."""
    import dagster

    asset_graph = repository.asset_graph
    return {
        "location": location,
        "dagster_version": str(dagster.__version__),
        "python": {"version": platform.python_version(), "executable": sys.executable},
        "assets": _assets(asset_graph),
        "asset_checks": _asset_checks(asset_graph),
        "jobs": _jobs(repository),
        "schedules": _schedules(repository),
        "sensors": _sensors(repository, asset_graph),
        "resources": _resources(repository),
    }


def summary(snapshot: Dict[str, Any]) -> Dict[str, int]:
    """Counts per kind, for the daemon's logs and status (``definitions.get``'s ``summary``)."""
    kinds = ("assets", "asset_checks", "jobs", "schedules", "sensors", "resources")
    return {kind: len(snapshot[kind]) for kind in kinds}


def encode(snapshot: Dict[str, Any]) -> str:
    """The canonical JSON text of the snapshot (sorted keys, compact)."""
    return jsonrpc.dumps(snapshot)
