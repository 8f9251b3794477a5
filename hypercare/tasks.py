"""Celery tasks of hypercare: thin, idempotent (dedupe keys), calling services."""

from celery import shared_task


@shared_task
def send_hypercare_reports():
    """Every morning: one daily hypercare report notification per opted-in member (safe to run twice)."""
    from .services import send_daily_reports

    return send_daily_reports()
