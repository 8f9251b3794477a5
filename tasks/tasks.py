"""Celery tasks of the cutover app (module `tasks.tasks`; names are explicit to avoid confusion)."""

from celery import shared_task


@shared_task(name="tasks.refresh_run_readiness", acks_late=True)
def refresh_run_readiness(run_id):
    """Re-release steps whose dependencies finished (safe to run twice): repairs a run after a crash."""
    from django.db import transaction
    from django.utils import timezone

    from .models import Run
    from .services import _release_dependents

    with transaction.atomic():
        run = Run.objects.select_for_update().select_related("project").filter(pk=run_id).first()
        if run is not None:
            _release_dependents(run=run, now=timezone.now())
