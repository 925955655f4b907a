"""The reporting location's resource."""

import dagster as dg


class MailerResource(dg.ConfigurableResource):
    """Where digests are sent."""

    sender: str = "reports@example.com"
