"""Celery tasks of readiness: thin, idempotent (safe to run twice)."""

from celery import shared_task


@shared_task(acks_late=True)
def snapshot_readiness():
    """Keep today's readiness scorecard of every open project (for the dashboard's trends)."""
    from .services import readiness_snapshot_all

    return readiness_snapshot_all()
