"""The analytics location: one Definitions object at module scope."""

import dagster as dg

from .assets import daily_revenue, orders_report, orders_report_not_empty, raw_customers, raw_orders
from .resources import WarehouseResource

refresh_marts = dg.define_asset_job(
    "refresh_marts",
    selection=dg.AssetSelection.groups("marts"),
    description="Rebuild the marts.",
)

refresh_marts_nightly = dg.ScheduleDefinition(
    name="refresh_marts_nightly",
    job=refresh_marts,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
)


@dg.sensor(job=refresh_marts, minimum_interval_seconds=300)
def new_orders_sensor():
    """Refreshes the marts when new orders arrive (never, in this example)."""
    return dg.SkipReason("no new orders")


defs = dg.Definitions(
    assets=[raw_orders, raw_customers, orders_report, daily_revenue],
    asset_checks=[orders_report_not_empty],
    jobs=[refresh_marts],
    schedules=[refresh_marts_nightly],
    sensors=[new_orders_sensor],
    resources={"warehouse": WarehouseResource()},
)
