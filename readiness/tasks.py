"""Celery tasks of readiness: thin, idempotent (safe to run twice)."""

from celery import shared_task


@shared_task(acks_late=True)
def snapshot_readiness():
    """Keep today's readiness scorecard of every open project (for the dashboard's trends)."""
    from .services import readiness_snapshot_all

    return readiness_snapshot_all()


@shared_task(acks_late=True)
def send_status_reports():
    """Send this week's status report of every open project to its managers and sponsors (once a week)."""
    from .services import status_reports_send_all

    return status_reports_send_all()
