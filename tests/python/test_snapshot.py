"""The snapshot: its fields, JSON-safe metadata, sorted and byte-for-byte deterministic output,
and a 10,000-asset location."""

from __future__ import annotations

import json
import re
import sys
import time

import dagster

from harness import load

RICH = """
import enum
import datetime
import dagster as dg

class Color(enum.Enum):
    RED = "red"

@dg.asset(
    key_prefix=["warehouse"],
    group_name="raw",
    kinds={"python", "snowflake"},
    owners=["team:data", "ann@example.com"],
    tags={"tier": "gold"},
    code_version="7",
    description="Orders.",
    partitions_def=dg.StaticPartitionsDefinition(["eu", "us", "apac"]),
    metadata={
        "int": 3, "float": 1.5, "nan": float("nan"), "inf": float("-inf"), "bool": True, "none": None,
        "text": dg.MetadataValue.text("hello"), "url": dg.MetadataValue.url("https://example.com"),
        "path": dg.MetadataValue.path("/tmp/x"), "md": dg.MetadataValue.md("# title"),
        "json": dg.MetadataValue.json({"b": [1, 2], "a": None}),
        "asset": dg.MetadataValue.asset(dg.AssetKey(["up", "stream"])),
        "schema": dg.MetadataValue.table_schema(dg.TableSchema(columns=[dg.TableColumn("id", "int")])),
        "ts": dg.MetadataValue.timestamp(1700000000.0),
        "enum": Color.RED, "when": datetime.date(2024, 1, 2), "obj": object(), "set": {3, 1, 2},
    },
)
def orders(): ...

@dg.asset(deps=[orders, dg.AssetKey(["external", "feed"])], partitions_def=dg.DailyPartitionsDefinition(start_date="2024-01-01", timezone="Europe/Berlin"))
def daily(): ...

@dg.asset(
    partitions_def=dg.MultiPartitionsDefinition({
        "region": dg.StaticPartitionsDefinition(["eu", "us"]),
        "day": dg.DailyPartitionsDefinition(start_date="2024-01-01"),
    })
)
def multi(): ...

@dg.asset(partitions_def=dg.DynamicPartitionsDefinition(name="customers"))
def dynamic(): ...

@dg.asset_check(asset=orders, blocking=True, description="not empty")
def orders_not_empty(): return dg.AssetCheckResult(passed=True)

@dg.asset_check(asset=daily)
def daily_fresh(): return dg.AssetCheckResult(passed=True)

@dg.op
def hello(): ...

@dg.job(tags={"team": "ops"}, description="Says hello.")
def hello_job(): hello()

orders_job = dg.define_asset_job("orders_job", selection=[orders])

hourly = dg.ScheduleDefinition(name="hourly", job=orders_job, cron_schedule="0 * * * *", default_status=dg.DefaultScheduleStatus.RUNNING)
twice = dg.ScheduleDefinition(name="twice", job=hello_job, cron_schedule=["0 1 * * *", "0 13 * * *"], execution_timezone="America/New_York")

@dg.sensor(job=hello_job, minimum_interval_seconds=45, description="Watches.")
def watcher(): ...

@dg.asset_sensor(asset_key=dg.AssetKey(["warehouse", "orders"]), job=hello_job)
def on_orders(context, event): ...

@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, request_job=orders_job, default_status=dg.DefaultSensorStatus.RUNNING)
def after_success(context): ...

class Warehouse(dg.ConfigurableResource):
    dsn: str = "x"

@dg.resource
def legacy(_): return 1

defs = dg.Definitions(
    assets=[orders, daily, multi, dynamic],
    asset_checks=[orders_not_empty, daily_fresh],
    jobs=[hello_job, orders_job],
    schedules=[hourly, twice],
    sensors=[watcher, on_orders, after_success],
    resources={"warehouse": Warehouse(), "legacy": legacy},
)
"""


def _rich(start_server, project):
    root = project({"rich.py": RICH})
    return load(start_server, ["--python-file", str(root / "rich.py")], cwd=root)


def test_top_level_and_summary(start_server, project):
    result = _rich(start_server, project)
    snapshot = result["snapshot"]
    assert sorted(snapshot) == ["asset_checks", "assets", "dagster_version", "jobs", "location", "python", "resources", "schedules", "sensors"]
    assert snapshot["location"] == "test"
    assert snapshot["dagster_version"] == dagster.__version__
    assert snapshot["python"] == {"version": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable}
    assert result["summary"] == {"assets": 5, "asset_checks": 2, "jobs": 2, "schedules": 2, "sensors": 3, "resources": 2}


def test_assets(start_server, project):
    assets = {"/".join(a["key"]): a for a in _rich(start_server, project)["snapshot"]["assets"]}
    assert list(assets) == ["daily", "dynamic", "external/feed", "multi", "warehouse/orders"]
    orders = assets["warehouse/orders"]
    assert orders["key"] == ["warehouse", "orders"]
    assert orders["group"] == "raw"
    assert orders["deps"] == []
    assert orders["description"] == "Orders."
    assert orders["kinds"] == ["python", "snowflake"]
    assert orders["owners"] == ["ann@example.com", "team:data"]
    assert orders["tags"] == {"tier": "gold"}  # kinds are not repeated as dagster/kind/* tags
    assert orders["code_version"] == "7"
    assert orders["is_executable"] is True
    assert orders["partitions"] == {"class": "StaticPartitionsDefinition", "type": "static", "count": 3}
    assert orders["metadata"] == {
        "int": 3, "float": 1.5, "nan": "NaN", "inf": "-Infinity", "bool": True, "none": None,
        "text": "hello", "url": "https://example.com", "path": "/tmp/x", "md": "# title",
        "json": {"a": None, "b": [1, 2]}, "asset": ["up", "stream"],
        "schema": {"columns": [{"name": "id", "type": "int", "description": None, "tags": {},
                                "constraints": {"nullable": True, "unique": False, "other": []}}],
                   "constraints": {"other": []}},
        "ts": 1700000000.0, "enum": "red", "when": "2024-01-02", "obj": "<builtins.object>", "set": [1, 2, 3],
    }
    daily = assets["daily"]
    assert daily["deps"] == [["external", "feed"], ["warehouse", "orders"]]
    assert daily["group"] == "default"
    assert daily["partitions"] == {
        "class": "DailyPartitionsDefinition", "type": "time_window", "cron_schedule": "0 0 * * *",
        "start": "2024-01-01T00:00:00+01:00", "end": None, "timezone": "Europe/Berlin", "fmt": "%Y-%m-%d",
    }
    assert assets["external/feed"]["is_executable"] is False
    multi = assets["multi"]["partitions"]
    assert multi["type"] == "multi"
    assert [d["name"] for d in multi["dimensions"]] == ["day", "region"]
    assert multi["dimensions"][1]["partitions"]["count"] == 2
    assert assets["dynamic"]["partitions"] == {"class": "DynamicPartitionsDefinition", "type": "dynamic", "name": "customers"}


def test_checks_jobs_schedules_sensors_resources(start_server, project):
    snapshot = _rich(start_server, project)["snapshot"]
    assert snapshot["asset_checks"] == [
        {"asset_key": ["daily"], "name": "daily_fresh", "description": None, "blocking": False},
        {"asset_key": ["warehouse", "orders"], "name": "orders_not_empty", "description": "not empty", "blocking": True},
    ]
    jobs = {j["name"]: j for j in snapshot["jobs"]}
    assert sorted(jobs) == ["hello_job", "orders_job"]  # the implicit __ASSET_JOB is not listed
    assert jobs["hello_job"] == {"name": "hello_job", "description": "Says hello.", "tags": {"team": "ops"}, "assets": [], "asset_checks": [], "ops": ["hello"]}
    assert jobs["orders_job"]["assets"] == [["warehouse", "orders"]]
    assert jobs["orders_job"]["asset_checks"] == [{"asset_key": ["warehouse", "orders"], "name": "orders_not_empty"}]
    assert snapshot["schedules"] == [
        {"name": "hourly", "cron_schedule": "0 * * * *", "job": "orders_job", "execution_timezone": None, "default_status": "RUNNING", "description": None},
        {"name": "twice", "cron_schedule": ["0 1 * * *", "0 13 * * *"], "job": "hello_job", "execution_timezone": "America/New_York", "default_status": "STOPPED", "description": None},
    ]
    sensors = {s["name"]: s for s in snapshot["sensors"]}
    assert sensors["watcher"] == {
        "name": "watcher", "type": "STANDARD", "targets": ["hello_job"], "asset_selection": None,
        "minimum_interval_seconds": 45, "default_status": "STOPPED", "description": "Watches.",
    }
    assert sensors["on_orders"]["type"] == "ASSET"
    assert sensors["after_success"]["type"] == "RUN_STATUS"
    assert sensors["after_success"]["default_status"] == "RUNNING"
    assert snapshot["resources"] == [{"key": "legacy", "type": "rich.legacy"}, {"key": "warehouse", "type": "rich.Warehouse"}]


def _raw_snapshot(line: bytes) -> bytes:
    match = re.fullmatch(rb'\{"id":\d+,"jsonrpc":"2\.0","result":\{"snapshot":(.*),"summary":\{[^{}]*\}\}\}', line, re.S)
    assert match, line[:200]
    return match.group(1)


def test_canonical_encoding(start_server, project):
    root = project({"rich.py": RICH})
    server = start_server(["--location", "test", "--python-file", str(root / "rich.py")], cwd=root)
    server.initialize()
    raw = _raw_snapshot(server.call_raw("definitions.get"))
    decoded = json.loads(raw)
    assert raw == json.dumps(decoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    for kind in ("assets", "asset_checks", "jobs", "schedules", "sensors", "resources"):
        items = decoded[kind]
        sort_key = (lambda i: i["key"]) if kind in ("assets", "resources") else (lambda i: (i.get("asset_key", []), i["name"]))
        assert items == sorted(items, key=sort_key), kind
    # Served again from the cache: the same bytes.
    assert _raw_snapshot(server.call_raw("definitions.get")) == raw


def test_same_bytes_across_processes(start_server, project):
    root = project({"rich.py": RICH})
    raws = []
    for seed in ("1", "2"):  # different hash seeds: set and dict orders must not leak
        server = start_server(["--location", "test", "--python-file", str(root / "rich.py")], cwd=root, env={"PYTHONHASHSEED": seed})
        server.initialize()
        raws.append(_raw_snapshot(server.call_raw("definitions.get")))
        server.close()
    assert raws[0] == raws[1]


BIG = """
import dagster as dg

def _make(i):
    deps = [f"asset_{i - 1:05d}"] if i % 100 else []
    @dg.asset(name=f"asset_{i:05d}", group_name=f"group_{i % 20:02d}", deps=deps,
              kinds={"python"}, metadata={"index": i, "doc": dg.MetadataValue.md(f"asset number {i}")})
    def _asset(): ...
    return _asset

defs = dg.Definitions(
    assets=[_make(i) for i in range(10000)],
    jobs=[dg.define_asset_job("every_other_group", selection=dg.AssetSelection.groups(*[f"group_{g:02d}" for g in range(0, 20, 2)]))],
)
"""


def test_ten_thousand_assets(start_server, project, capsys):
    root = project({"big.py": BIG})
    server = start_server(["--location", "big", "--python-file", str(root / "big.py")], cwd=root, location="big")
    server.initialize("big")
    started = time.monotonic()
    line = server.call_raw("definitions.get", timeout=300)
    elapsed = time.monotonic() - started
    raw = _raw_snapshot(line)
    snapshot = json.loads(raw)
    assert len(snapshot["assets"]) == 10000
    assert snapshot["assets"][0]["key"] == ["asset_00000"]
    assert snapshot["assets"][1]["deps"] == [["asset_00000"]]
    assert len(snapshot["jobs"][0]["assets"]) == 5000
    with capsys.disabled():
        print(f"\n[10,000 assets] definitions.get: {elapsed:.1f}s (import + Dagster + snapshot), snapshot {len(raw):,} bytes, response {len(line):,} bytes")
