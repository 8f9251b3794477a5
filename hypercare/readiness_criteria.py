"""What hypercare shows on the project manager's dashboard: retrospective actions that are late."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from readiness.registry import Overdue, OverdueList, overdue

from .models import LessonAction, LessonActionStatus


@overdue(key="lesson_actions", label=_("Retrospective actions"), order=90)
def lesson_actions_overdue(project, today):
    qs = LessonAction.objects.filter(project=project, status=LessonActionStatus.OPEN, due_date__lt=today)
    url = reverse("hypercare:lessons", args=[project.pk])
    items = [Overdue(title=a.title, due=a.due_date, owner=a.owner, what=_("Action"), url=url)
             for a in qs.select_related("owner").order_by("due_date", "id")[:8]]
    return OverdueList(items=items, total=qs.count())  # always two queries, whatever the size
