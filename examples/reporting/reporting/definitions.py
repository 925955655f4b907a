"""The reporting location: definitions built by a @dg.definitions loader function.

The workspace loads this file as a ``python_file`` with the project folder as working directory,
so the absolute ``reporting.`` imports below resolve.
"""

from importlib.metadata import version

import dagster as dg
import humanize  # only this location's environment has it

from reporting.resources import MailerResource


@dg.asset(group_name="sources", kinds={"csv"})
def page_views() -> int:
    return 1234567


@dg.asset(group_name="reports", metadata={"humanize_version": version("humanize")})
def weekly_digest(page_views: int) -> str:
    """A human-friendly weekly summary, rendered with humanize."""
    return f"{humanize.intword(page_views)} page views"


@dg.asset(group_name="reports", deps=[weekly_digest], owners=["team:reporting"])
def archived_digests() -> None: ...


@dg.op
def send_digest(mailer: MailerResource) -> None:
    dg.get_dagster_logger().info("sending digest from %s", mailer.sender)


@dg.job(tags={"channel": "email"})
def email_digest():
    """Sends the digest (an op job, not an asset job)."""
    send_digest()


weekly_email = dg.ScheduleDefinition(
    name="weekly_email",
    job=email_digest,
    cron_schedule="0 8 * * 1",
    execution_timezone="Europe/Berlin",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.FAILURE, request_job=email_digest)
def digest_on_failure(context):
    """Sends a digest when any run fails."""


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[page_views, weekly_digest, archived_digests],
        jobs=[email_digest],
        schedules=[weekly_email],
        sensors=[digest_on_failure],
        resources={"mailer": MailerResource()},
    )
