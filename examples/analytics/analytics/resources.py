"""The analytics location's resource: where the warehouse is."""

import dagster as dg


class WarehouseResource(dg.ConfigurableResource):
    """A (pretend) warehouse connection."""

    dsn: str = "sqlite:///analytics.db"

    def table(self, name: str) -> str:
        return f"{self.dsn}#{name}"
