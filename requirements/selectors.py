"""Read queries of the requirements app, limited to the user's projects and shaped for their pages."""

import difflib
from collections import Counter, OrderedDict

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from projects.access import member_project_ids, prime_roles
from projects.models import Membership
from projects.queries import count_of

from .models import (
    Answer,
    ConflictStatus,
    Interview,
    Priority,
    Question,
    QuestionKind,
    Requirement,
    RequirementConflict,
    RequirementReview,
    RequirementStatus,
    RequirementVersion,
    Survey,
    SurveyResponse,
)

S = RequirementStatus

SORTS = {
    "code": ("number",), "-code": ("-number",),
    "title": ("title", "number"), "-title": ("-title", "number"),
    "priority": ("priority_rank", "number"), "-priority": ("-priority_rank", "number"),
    "status": ("status", "number"), "-status": ("-status", "number"),
    "department": ("department__name", "number"), "-department": ("-department__name", "number"),
    "updated": ("updated_at", "number"), "-updated": ("-updated_at", "number"),
}


def _priority_rank():
    from django.db.models import Case, IntegerField, Value, When

    return Case(*[When(priority=p, then=Value(i)) for i, p in enumerate(Priority.values)],
                output_field=IntegerField())


def requirement_list_for_user(*, user):
    """Every requirement of the user's projects, ready for a list (API or page)."""
    if not user.is_authenticated:
        return Requirement.objects.none()
    return (
        Requirement.objects.filter(project__in=member_project_ids(user))
        .select_related("department", "author", "project")
        .annotate(
            # correlated counts: evaluated for the rows of the page only, not grouped over every requirement
            open_conflicts=count_of(RequirementConflict.objects.filter(first=OuterRef("pk"), status=ConflictStatus.OPEN))
            + count_of(RequirementConflict.objects.filter(second=OuterRef("pk"), status=ConflictStatus.OPEN)),
            priority_rank=_priority_rank(),
        )
        .order_by("project_id", "number")
    )


def requirement_list(*, user, project, status=None, department=None, priority=None, q=None, sort=None):
    qs = requirement_list_for_user(user=user).filter(project=project)
    if status:
        qs = qs.filter(status=status)
    if department == "none":
        qs = qs.filter(department__isnull=True)
    elif department:
        qs = qs.filter(department_id=department)
    if priority:
        qs = qs.filter(priority=priority)
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(title__icontains=q) | Q(description__icontains=q)
                       | Q(acceptance_criteria__icontains=q))
    return qs.order_by(*SORTS.get(sort or "code", SORTS["code"]))


def requirement_search(*, project, q, limit=15):
    """Requirements of `project` whose code starts with, or title contains, `q`; codes first."""
    q = (q or "").strip().split(" · ")[0].strip()
    if not q:
        return []
    found = project.requirements.filter(Q(code__istartswith=q) | Q(title__icontains=q)).only("id", "code", "title")
    return list(found.order_by("code")[:limit])


def requirement_get_for_user(*, user, pk, project=None) -> Requirement:
    """The requirement when the user is a member of its project; 404 otherwise."""
    qs = requirement_list_for_user(user=user)
    if project is not None:
        qs = qs.filter(project=project)
    try:
        requirement = qs.get(pk=int(pk))
    except (Requirement.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    prime_roles(user, [requirement.project_id])
    return requirement


def requirement_detail(*, requirement):
    """Versions, decisions and conflicts of one requirement (for its page and API detail)."""
    versions = list(RequirementVersion.objects.filter(requirement=requirement).select_related("created_by")
                    .order_by("number"))
    reviews = list(RequirementReview.objects.filter(requirement=requirement).select_related("reviewer")
                   .order_by("decided_at", "id"))
    conflicts = list(
        RequirementConflict.objects.filter(Q(first=requirement) | Q(second=requirement))
        .select_related("first", "second", "created_by", "resolved_by")
    )
    for c in conflicts:
        c.other = c.second if c.first_id == requirement.pk else c.first
    return {"versions": versions, "reviews": reviews, "conflicts": conflicts}


def linked_objects(*, requirement):
    """Objects of other apps pointing at this requirement (defects, test cases), found without importing them.

    Each item links to `<app>:detail` (project id, object id) when the app has such a page."""
    from django.urls import NoReverseMatch, reverse

    groups = []
    for rel in Requirement._meta.related_objects:
        model = rel.related_model
        if model._meta.app_label == "requirements" or model.__name__.startswith("Historical"):
            continue
        if not (rel.one_to_many or rel.many_to_many):
            continue
        items = []
        for obj in model._default_manager.filter(**{rel.field.name: requirement})[:50]:
            try:
                url = reverse(f"{model._meta.app_label}:detail", args=[requirement.project_id, obj.pk])
            except NoReverseMatch:
                url = ""
            items.append({"obj": obj, "url": url})
        if items:
            groups.append({"label": model._meta.verbose_name_plural, "items": items})
    return groups


def _tokens(text):
    import re

    return re.findall(r"\s+|[\w]+|[^\w\s]", text or "")


def diff_html(old, new):
    """Word-level diff of two texts as safe HTML with <del>/<ins> (server-side, difflib)."""
    a, b = _tokens(old), _tokens(new)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return mark_safe("".join(out))  # noqa: S308 - reviewed: every piece escaped above  # nosec: B308, B703


DIFF_FIELDS = [("title", "title"), ("description", "description"), ("acceptance_criteria", "acceptance criteria"),
               ("priority", "priority"), ("department_name", "department")]


def version_diff(*, old, new):
    """Per-field diff of two versions: [{field, label, changed, html}]."""
    labels = {f.name: f.verbose_name for f in RequirementVersion._meta.fields}
    rows = []
    for field, _label in DIFF_FIELDS:
        before, after = getattr(old, field) or "", getattr(new, field) or ""
        if field == "priority":
            before, after = Priority(before).label if before else "", Priority(after).label if after else ""
        rows.append({"field": field, "label": labels[field], "changed": before != after,
                     "html": diff_html(str(before), str(after))})
    return rows


def review_queue(*, user, project):
    """Submitted requirements the user may decide on (not their own), oldest first (a queryset:
    the page shows 50 at a time; `with_age` adds each one's waiting days)."""
    return (
        requirement_list_for_user(user=user).filter(project=project, status=S.SUBMITTED)
        .exclude(author=user)
        .exclude(Exists(RequirementVersion.objects.filter(requirement=OuterRef("pk"), number=OuterRef("version"),
                                                          created_by=user)))
        .order_by("submitted_at", "number")
    )


def work_items(*, user, project):
    """The caller's requirements to review for "my work" (projects.hooks): the review queue (never their
    own), oldest first, each due when the "waiting for review" reminder would go out. Two queries."""
    from datetime import timedelta

    from django.urls import reverse

    from notifications.registry import lead_time
    from projects.hooks import WORK_LIMIT, work
    from projects.queries import first_with_total

    from .reminders import KIND

    if not user.has_perm("requirements.review", project):
        return []
    rows, total = first_with_total(review_queue(user=user, project=project).select_related(None).only(
        "pk", "code", "title", "submitted_at", "project_id"), WORK_LIMIT)
    lead = (lead_time(project.pk, KIND) or timedelta(days=2)) if rows else None
    return work([{"kind": "requirement_to_review", "id": r.pk, "title": f"{r.code} {r.title}",
                  "due_at": r.submitted_at + lead if r.submitted_at else None,
                  "url": reverse("requirements:detail", args=[project.pk, r.pk])} for r in rows],
                {"requirement_to_review": total})


def with_age(requirements, now=None):
    """The requirements with `age_days`: whole days since they were submitted."""
    now = now or timezone.now()
    requirements = list(requirements)
    for r in requirements:
        r.age_days = (now - r.submitted_at).days if r.submitted_at else 0
    return requirements


def progress_by_department(*, project, priority=None):
    """Approval progress per department (and for requirements without one), one query.

    `priority` (must|should|could|wont) narrows it to requirements of that priority."""
    counts = OrderedDict()
    qs = Requirement.objects.filter(project=project)
    if priority:
        qs = qs.filter(priority=priority)
    rows = (qs.values("department_id", "department__name", "status")
            .annotate(n=Count("id")).order_by("department__name"))
    for row in rows:
        key = row["department_id"]
        entry = counts.setdefault(key, {"department_id": key, "name": row["department__name"] or _("No department"),
                                        "total": 0, **{s: 0 for s in S.values}})
        entry[row["status"]] += row["n"]
        entry["total"] += row["n"]
    result = list(counts.values())
    for entry in result:
        entry["open"] = entry["draft"] + entry["submitted"] + entry["changes_requested"]
    totals = Counter()
    for entry in result:
        for s in list(S.values) + ["total", "open"]:
            totals[s] += entry[s]
    return {"departments": result, "totals": dict(totals)}


def must_approval(*, project):
    """(approved must-haves, must-haves that count): rejected ones are out of scope and do not count."""
    agg = Requirement.objects.filter(project=project, priority=Priority.MUST).exclude(status=S.REJECTED).aggregate(
        total=Count("id"), approved=Count("id", filter=Q(status=S.APPROVED)))
    return agg["approved"], agg["total"]


def conflicts(*, project, status=None):
    qs = RequirementConflict.objects.filter(project=project).select_related(
        "first", "second", "first__department", "second__department", "created_by", "resolved_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created_at", "-id")  # unresolved ("open") first


def conflict_list_for_user(*, user):
    if not user.is_authenticated:
        return RequirementConflict.objects.none()
    return RequirementConflict.objects.filter(project__in=member_project_ids(user)).select_related(
        "first", "second").order_by("-created_at", "-id")


# --------------------------------------------------------------------------- surveys

def survey_list_for_user(*, user):
    if not user.is_authenticated:
        return Survey.objects.none()
    return (
        Survey.objects.filter(project__in=member_project_ids(user))
        .select_related("owner", "project")
        .prefetch_related("departments")
        .annotate(response_count=Count("responses", distinct=True),
                  question_count=Count("questions", distinct=True),
                  interview_count=Count("interviews", distinct=True))
        .order_by("-created_at", "-id")
    )


def survey_list(*, user, project):
    answered = SurveyResponse.objects.filter(survey=OuterRef("pk"), respondent=user)
    return survey_list_for_user(user=user).filter(project=project).annotate(answered=Exists(answered))


def survey_get_for_user(*, user, pk, project=None) -> Survey:
    qs = survey_list_for_user(user=user)
    if project is not None:
        qs = qs.filter(project=project)
    try:
        survey = qs.get(pk=int(pk))
    except (Survey.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    prime_roles(user, [survey.project_id])
    return survey


def survey_questions(*, survey):
    return list(Question.objects.filter(survey=survey).order_by("order", "id"))


def my_response(*, survey, user):
    return (SurveyResponse.objects.filter(survey=survey, respondent=user).prefetch_related("answers").first()
            if user.is_authenticated else None)


def response_rate(*, survey):
    """Per target department: people in it, responses from it, rate (0–100)."""
    targets = list(survey.departments.all())
    members = Membership.objects.filter(project=survey.project)
    if targets:
        members = members.filter(department__in=targets)
    people = Counter()
    seen = set()
    for user_id, department_id in members.values_list("user_id", "department_id"):
        if (user_id, department_id) not in seen:
            seen.add((user_id, department_id))
            people[department_id] += 1
    answered = Counter(dict(
        SurveyResponse.objects.filter(survey=survey).values_list("department_id").annotate(n=Count("id"))))
    departments = targets or list(survey.project.departments.all())
    rows = []
    for d in departments:
        rows.append({"department": d, "people": people[d.pk], "responses": answered[d.pk],
                     "rate": round(answered[d.pk] * 100 / people[d.pk]) if people[d.pk] else 0})
    total_people = sum(r["people"] for r in rows)
    total_responses = sum(answered.values())
    return {"rows": rows, "people": total_people, "responses": total_responses,
            "rate": round(total_responses * 100 / total_people) if total_people else 0}


def survey_summary(*, survey):
    """Per question: counts per choice, the scale distribution and average, or the text answers listed."""
    questions = survey_questions(survey=survey)
    answers = list(
        Answer.objects.filter(response__survey=survey)
        .select_related("response__respondent", "response__department")
        .annotate(requirement_count=Count("requirements"))
        .order_by("question_id", "id")
    )
    by_question = {}
    for a in answers:
        by_question.setdefault(a.question_id, []).append(a)
    summary = []
    for q in questions:
        qa = by_question.get(q.pk, [])
        entry = {"question": q, "count": len(qa), "answers": qa}
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            counts = Counter(c for a in qa for c in a.selected)
            entry["choices"] = [{"choice": c, "count": counts[c]} for c in q.choices]
            entry["max"] = max([counts[c] for c in q.choices] + [1])
        elif q.kind == QuestionKind.SCALE:
            counts = Counter(a.scale for a in qa if a.scale)
            entry["choices"] = [{"choice": str(i), "count": counts[i]} for i in range(1, 6)]
            entry["max"] = max(list(counts.values()) + [1])
            entry["average"] = round(sum(a.scale for a in qa if a.scale) / len(qa), 1) if qa else None
        summary.append(entry)
    return summary


def interviews(*, survey):
    return list(Interview.objects.filter(survey=survey).select_related("interviewer", "department")
                .annotate(requirement_count=Count("requirements")).order_by("held_on", "id"))


def responses(*, survey):
    return SurveyResponse.objects.filter(survey=survey).select_related("respondent", "department").prefetch_related(
        Prefetch("answers", queryset=Answer.objects.order_by("question__order", "id"))).order_by("submitted_at", "id")
