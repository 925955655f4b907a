"""Assets: raw data in the "ingest" group, derived tables in the "marts" group."""

from importlib.metadata import version

import dagster as dg
import inflection  # only this location's environment has it

from .resources import WarehouseResource


@dg.asset(group_name="ingest", kinds={"python"}, description="Orders as loaded from the shop.")
def raw_orders(warehouse: WarehouseResource) -> list:
    return [{"id": 1, "customer": "ada", "amount": 12.5}, {"id": 2, "customer": "bob", "amount": 7.0}]


@dg.asset(group_name="ingest", kinds={"python"}, owners=["team:data"])
def raw_customers() -> list:
    return [{"name": "ada"}, {"name": "bob"}]


@dg.asset(
    group_name="marts",
    kinds={"python"},
    tags={"tier": "gold"},
    code_version="1",
    metadata={"inflection_version": version("inflection"), "owner_url": dg.MetadataValue.url("https://example.com/analytics")},
)
def orders_report(raw_orders: list, raw_customers: list) -> str:
    """A plain-text report of the orders, with headings by inflection."""
    names = {c["name"] for c in raw_customers}
    lines = [inflection.titleize("orders_report")]
    lines += [f"{o['id']}: {o['customer']} {o['amount']:.2f}" for o in raw_orders if o["customer"] in names]
    return "\n".join(lines)


@dg.asset(
    group_name="marts",
    deps=[raw_orders],
    partitions_def=dg.DailyPartitionsDefinition(start_date="2024-01-01"),
)
def daily_revenue() -> None:
    """Revenue per day."""


@dg.asset_check(asset=orders_report, blocking=True, description="The report is not empty.")
def orders_report_not_empty(orders_report: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=bool(orders_report))
