"""Lessons learned (经验教训总结): retrospective items with votes, and actions with owner and due date."""

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import stamp
from .errors import DomainError, check_fields
from .models import Lesson, LessonAction, LessonActionStatus, LessonKind, LessonVote, Membership

MAX_TEXT = 2000


def _text(text, *, field="text", message=None):
    text = (text or "").strip()
    if not text:
        raise DomainError(message or _("Write what happened."), field=field)
    if len(text) > MAX_TEXT:
        raise DomainError(_("Keep it under %(n)d characters.") % {"n": MAX_TEXT}, field=field)
    return text


def _kind(kind):
    if kind not in LessonKind.values:
        raise DomainError(_("Choose went well, went wrong or idea."), field="kind")
    return kind


@transaction.atomic
def lesson_create(*, actor, project, kind, text) -> Lesson:
    lesson = Lesson(project=project, kind=_kind(kind), text=_text(text), author=actor)
    stamp(lesson, actor).save()
    return lesson


@transaction.atomic
def lesson_update(*, actor, lesson, **changes) -> Lesson:
    check_fields(changes, allowed={"kind", "text"})
    if "kind" in changes:
        lesson.kind = _kind(changes["kind"])
    if "text" in changes:
        lesson.text = _text(changes["text"])
    stamp(lesson, actor).save(update_fields=list(changes) or None)
    return lesson


@transaction.atomic
def lesson_delete(*, actor, lesson) -> None:
    stamp(lesson, actor).delete()


@transaction.atomic
def lesson_vote(*, actor, lesson, vote=None) -> bool:
    """Give (vote=True), take back (False) or toggle (None) the actor's vote. Returns whether they vote."""
    existing = LessonVote.objects.filter(lesson=lesson, user=actor)
    has = existing.exists()
    want = (not has) if vote is None else bool(vote)
    if want and not has:
        try:
            with transaction.atomic():
                LessonVote.objects.create(lesson=lesson, user=actor)
        except IntegrityError:  # a double click: the vote is there already
            pass
    elif not want and has:
        existing.delete()
    return want


def _check_owner(project, owner):
    if owner is None:
        raise DomainError(_("Choose who owns the action."), field="owner")
    if not Membership.objects.filter(project=project, user=owner).exists():
        raise DomainError(_("The owner must be a member of the project."), field="owner")


def _check_lesson(project, lesson):
    if lesson is not None and lesson.project_id != project.pk:
        raise DomainError(_("That retrospective item belongs to another project."), field="lesson")


@transaction.atomic
def lesson_action_create(*, actor, project, title, owner, due_date, lesson=None) -> LessonAction:
    title = _text(title, field="title", message=_("Say what will be done."))[:300]
    _check_owner(project, owner)
    _check_lesson(project, lesson)
    if due_date is None:
        raise DomainError(_("Give the action a due date."), field="due_date")
    if due_date < timezone.localdate():
        raise DomainError(_("The due date is in the past."), field="due_date")
    action = LessonAction(project=project, title=title, owner=owner, due_date=due_date, lesson=lesson)
    stamp(action, actor).save()
    return action


@transaction.atomic
def lesson_action_update(*, actor, action, **changes) -> LessonAction:
    allowed = {"title", "owner", "due_date", "lesson", "status"}
    check_fields(changes, allowed=allowed)
    action = LessonAction.objects.select_for_update().get(pk=action.pk)
    if "title" in changes:
        changes["title"] = _text(changes["title"], field="title", message=_("Say what will be done."))[:300]
    if "owner" in changes:
        _check_owner(action.project, changes["owner"])
    if "lesson" in changes:
        _check_lesson(action.project, changes["lesson"])
    if "due_date" in changes and changes["due_date"] is None:
        raise DomainError(_("Give the action a due date."), field="due_date")
    if "status" in changes:
        if changes["status"] not in LessonActionStatus.values:
            raise DomainError(_("Choose open or done."), field="status")
        if changes["status"] != action.status:
            changes["done_at"] = timezone.now() if changes["status"] == LessonActionStatus.DONE else None
    for field, value in changes.items():
        setattr(action, field, value)
    stamp(action, actor).save(update_fields=list(changes) or None)
    return action


def lesson_action_complete(*, actor, action) -> LessonAction:
    return lesson_action_update(actor=actor, action=action, status=LessonActionStatus.DONE)


# ----- reads ---------------------------------------------------------------------------------


def lessons_for(*, project, user):
    """The project's retrospective items with their vote count and whether `user` voted: one query."""
    return (Lesson.objects.filter(project=project).select_related("author")
            .annotate(vote_count=Count("votes", distinct=True),
                      voted=Exists(LessonVote.objects.filter(lesson=OuterRef("pk"), user_id=user.pk)))
            .order_by("-vote_count", "-created_at", "-id"))


def lesson_list_for_user(*, user):
    """Every lesson in the user's projects (API), annotated like lessons_for."""
    if not user.is_authenticated:  # also the schema generator's anonymous request
        return Lesson.objects.none()
    return (Lesson.objects.filter(project__in=Membership.objects.filter(user=user).values("project_id"))
            .select_related("author")
            .annotate(vote_count=Count("votes", distinct=True),
                      voted=Exists(LessonVote.objects.filter(lesson=OuterRef("pk"), user_id=user.pk)))
            .order_by("project_id", "-vote_count", "-created_at", "-id"))


def actions_for(*, project):
    return (LessonAction.objects.filter(project=project).select_related("owner", "lesson")
            .order_by("-status", "due_date", "id"))  # open before done


def action_list_for_user(*, user):
    if not user.is_authenticated:
        return LessonAction.objects.none()
    return (LessonAction.objects.filter(project__in=Membership.objects.filter(user=user).values("project_id"))
            .select_related("owner", "lesson").order_by("project_id", "-status", "due_date", "id"))


def retrospective(*, project, user):
    """What the retrospective page and its report show, in a fixed number of queries."""
    today = timezone.localdate()
    items = list(lessons_for(project=project, user=user))
    for i in items:
        i.project = project  # per-row permission checks ask for it: no query per row
    columns = [{"kind": k, "label": label, "items": [i for i in items if i.kind == k]} for k, label in LessonKind.choices]
    actions = list(actions_for(project=project))
    for a in actions:
        a.project = project  # the permission checks per row ask for it: no query per row
        a.overdue = a.status == LessonActionStatus.OPEN and a.due_date < today
    counts = LessonAction.objects.filter(project=project).aggregate(
        open=Count("pk", filter=Q(status=LessonActionStatus.OPEN)),
        done=Count("pk", filter=Q(status=LessonActionStatus.DONE)))
    return {"columns": columns, "items": items, "actions": actions, "action_counts": counts, "today": today,
            "top": sorted(items, key=lambda i: -i.vote_count)[:5]}
