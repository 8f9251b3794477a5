"""Pages of the retrospective (经验教训总结): items with votes, actions, the printable report."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import lessons
from .api_base import require
from .errors import DomainError
from .models import Lesson, LessonAction
from .readiness_forms import LessonActionForm, LessonForm
from .views_base import form_error, project_view, render_page


def _context(request, project, *, lesson_form=None, action_form=None):
    can_manage = request.user.has_perm("projects.lesson_actions_manage", project)
    context = lessons.retrospective(project=project, user=request.user)
    context.update({
        "lesson_form": lesson_form or LessonForm(),
        "action_form": action_form or (LessonActionForm(project=project) if can_manage else None),
        "can_manage": can_manage, "section": "lessons",
    })
    return context


@project_view()
def lessons_page(request, project):
    return render_page(request, "projects/lessons.html", _context(request, project), partial="board")


@project_view("projects.lesson_add")
@require_POST
def lesson_add(request, project):
    form = LessonForm(request.POST)
    if form.is_valid():
        try:
            lessons.lesson_create(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Added to the retrospective."))
            return redirect("projects:lessons", project.pk)
    return render(request, "projects/lessons.html", _context(request, project, lesson_form=form), status=400)


@project_view("projects.lesson_add")
@require_POST
def lesson_vote(request, project, lesson_id):
    lesson = get_object_or_404(Lesson, pk=lesson_id, project=project)
    lessons.lesson_vote(actor=request.user, lesson=lesson)
    if request.htmx:
        item = lessons.lessons_for(project=project, user=request.user).get(pk=lesson.pk)
        return render(request, "projects/lessons.html#item", {"item": item, "project": project})
    return redirect("projects:lessons", project.pk)


@project_view()
@require_POST
def lesson_delete(request, project, lesson_id):
    lesson = get_object_or_404(Lesson, pk=lesson_id, project=project)
    require(request.user, "projects.lesson_edit", lesson)
    lessons.lesson_delete(actor=request.user, lesson=lesson)
    messages.success(request, _("Item removed."))
    return redirect("projects:lessons", project.pk)


@project_view("projects.lesson_actions_manage")
@require_POST
def lesson_action_add(request, project):
    form = LessonActionForm(request.POST, project=project)
    if form.is_valid():
        try:
            lessons.lesson_action_create(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Action added."))
            return redirect("projects:lessons", project.pk)
    return render(request, "projects/lessons.html", _context(request, project, action_form=form), status=400)


@project_view()
@require_POST
def lesson_action_status(request, project, action_id):
    action = get_object_or_404(LessonAction, pk=action_id, project=project)
    require(request.user, "projects.lesson_action_complete", action)
    try:
        lessons.lesson_action_update(actor=request.user, action=action, status=request.POST.get("status", "done"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Action updated."))
    return redirect("projects:lessons", project.pk)


@project_view()
def lessons_report(request, project):
    context = lessons.retrospective(project=project, user=request.user)
    context.update({"printed_at": timezone.now(), "section": "lessons"})
    return render(request, "projects/lessons_report.html", context)
