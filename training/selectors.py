"""Read queries for training, already limited to what the user may see and shaped for the page."""

from collections import OrderedDict
from datetime import timedelta
from operator import attrgetter

from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.utils import timezone

from projects import freshness
from projects.access import member_project_ids, prime_roles
from projects.models import Membership, Role

from .models import (
    SEAT_STATUSES,
    ChangeImpact,
    Completion,
    Course,
    CourseMaterial,
    Enrolment,
    EnrolmentStatus,
    ImpactLevel,
    Module,
    ModuleProgress,
    Question,
    Session,
)

_pk = attrgetter("pk")
# What the training pages show comes from these apps (projects.freshness: a change elsewhere keeps their caches).
AREAS = ("projects", "training")


def completions(*, user, course):
    """When `user` attended a session of `course`, latest first (`course` may be an OuterRef)."""
    return (Enrolment.objects.filter(user=user, status=EnrolmentStatus.ATTENDED, session__course=course)
            .order_by("-session__starts_at").values_list("session__starts_at", flat=True))


def _with_counts(qs, user=None):
    qs = qs.select_related("course", "trainer", "project").annotate(
        seats_taken=Count("enrolments", filter=Q(enrolments__status__in=SEAT_STATUSES), distinct=True),
        waitlist_count=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.WAITLISTED), distinct=True),
    ).annotate(seats_left=F("capacity") - F("seats_taken"))
    if user is not None and user.is_authenticated:
        mine = Enrolment.objects.filter(session=OuterRef("pk"), user=user)
        # When I last completed (attended a session of) this course: part of the same query, so the
        # catalogue shows "Completed on …" instead of a sign-up button at no extra query per row.
        completed = completions(user=user, course=OuterRef("course"))[:1]
        qs = qs.annotate(my_status=Subquery(mine.values("status")[:1]),
                         my_position=Subquery(mine.values("waitlist_position")[:1]),
                         my_completed_at=Subquery(completed))
    return qs


def session_list_for_user(*, user):
    """Sessions of every project the user belongs to, with seat and waitlist counts and my status."""
    if not user.is_authenticated:
        return Session.objects.none()
    return _with_counts(Session.objects.filter(project_id__in=member_project_ids(user)), user).order_by("starts_at",
                                                                                                        "id")


def session_get_for_user(*, user, pk, project=None) -> Session:
    """The session if the user is a member of its project (and it belongs to `project`); else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    qs = session_list_for_user(user=user).filter(pk=pk)
    if project is not None:
        qs = qs.filter(project=project)
    session = qs.first()
    if session is None:
        raise Http404
    prime_roles(user, [session.project_id])
    return session


def catalogue(*, project, user, course=None, mode=None, date_from=None, date_to=None, include_past=False,
              now=None):
    """Sessions of the project for the catalogue: upcoming by default, filtered."""
    now = now or timezone.now()
    qs = _with_counts(Session.objects.filter(project=project), user)
    if not include_past:
        qs = qs.filter(ends_at__gt=now)
    if course:
        qs = qs.filter(course_id=course)
    if mode:
        qs = qs.filter(mode=mode)
    if date_from:
        qs = qs.filter(starts_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(starts_at__date__lte=date_to)
    return qs.order_by("starts_at", "id")


def course_list_for_user(*, user):
    if not user.is_authenticated:
        return Course.objects.none()
    return (Course.objects.filter(project_id__in=member_project_ids(user))
            .prefetch_related("required_departments")
            .annotate(session_count=Count("sessions", distinct=True)).order_by("project_id", "title", "id"))


def courses(*, project):
    return (Course.objects.filter(project=project).prefetch_related(
        "required_departments", Prefetch("materials", queryset=CourseMaterial.objects.order_by("title", "id")))
        .annotate(session_count=Count("sessions", distinct=True),
                  upcoming_count=Count("sessions", filter=Q(sessions__starts_at__gt=timezone.now()), distinct=True))
        .order_by("title", "id"))


def course_get(*, project, pk) -> Course:
    course = courses(project=project).filter(pk=pk).first()
    if course is None:
        raise Http404
    return course


def enrolment_list_for_user(*, user):
    """My own enrolments everywhere, plus every enrolment of projects where I train or manage."""
    if not user.is_authenticated:
        return Enrolment.objects.none()
    runner_projects = Membership.objects.filter(user=user, role__in=[Role.MANAGER, Role.TRAINER]).values("project_id")
    return (Enrolment.objects.filter(Q(user=user) | Q(session__project_id__in=runner_projects))
            .select_related("session", "user").order_by("session_id", "waitlist_position", "created_at", "id"))


def roster(*, session):
    """Seat holders (by name) and the waitlist (in order) of a session, with each person's department."""
    enrolments = list(session.enrolments.exclude(status=EnrolmentStatus.CANCELLED).select_related("user"))
    departments = {}
    for user_id, name in Membership.objects.filter(project_id=session.project_id,
                                                   user_id__in=[e.user_id for e in enrolments],
                                                   department__isnull=False).values_list("user_id",
                                                                                         "department__name"):
        departments.setdefault(user_id, name)
    for e in enrolments:
        e.department_name = departments.get(e.user_id, "")
    seats = sorted((e for e in enrolments if e.status in SEAT_STATUSES),
                   key=lambda e: (e.user.last_name, e.user.first_name, e.user.username))
    waitlist = sorted((e for e in enrolments if e.status == EnrolmentStatus.WAITLISTED),
                      key=lambda e: e.waitlist_position or 0)
    return {"seats": seats, "waitlist": waitlist}


def _required_rules(course_list):
    """(course, roles, department ids) of every course required of someone."""
    rules = [(c, set(c.required_roles or []), {d.pk for d in c.required_departments.all()}) for c in course_list]
    return [(c, roles, depts) for c, roles, depts in rules if roles or depts]


def _required_of(rules, roles, department_id):
    return [c for c, course_roles, depts in rules if (not course_roles or course_roles & roles)
            and (not depts or department_id in depts)]


def _people(memberships):
    """{user id: {user_id, roles, department_id}} of ordered memberships: a person's roles together, and
    their department the first one given in role order (whatever else orders the people)."""
    people = OrderedDict()
    for user_id, role, department_id in memberships.values_list("user_id", "role", "department_id"):
        person = people.setdefault(user_id, {"user_id": user_id, "roles": set(), "department_id": None})
        person["roles"].add(role)
        person["department_id"] = person["department_id"] or department_id
    return people


def coverage_counts(*, project):
    """(people a course is required of, how many of them completed all of theirs): the readiness
    criterion's numbers. From the coverage page's cached figures when they are there; otherwise
    counted without building the report (no names, no rows: people with the same roles and department
    share what is required of them), four queries."""
    summary = freshness.peek(project.pk, "training:coverage", areas=AREAS)
    if summary is not None:
        return summary["required_people"], summary["trained_people"]
    course_list = list(Course.objects.filter(project=project).prefetch_related("required_departments"))
    rules = _required_rules(course_list)
    if not rules:
        return 0, 0
    people = _people(Membership.objects.filter(project=project).order_by("user_id", "role"))
    done = course_completions(project=project, courses_by_id={c.pk: c for c in course_list})
    required_of, required_people, trained = {}, 0, 0
    for user_id, person in people.items():
        roles, department_id = person["roles"], person["department_id"]
        signature = (frozenset(roles), department_id)
        if signature not in required_of:
            required_of[signature] = [c.pk for c in _required_of(rules, roles, department_id)]
        required = required_of[signature]
        if required:
            required_people += 1
            trained += all((user_id, pk) in done for pk in required)
    return required_people, trained


def online_completions(*, project, user_ids=None):
    """{(user id, course id)} of everyone who finished every online module of a course (two queries)."""
    totals = dict(Module.objects.filter(course__project=project).values("course_id")
                  .annotate(n=Count("id")).values_list("course_id", "n"))
    if not totals:
        return set()
    done = (ModuleProgress.objects.filter(module__course__project=project, completed_at__isnull=False)
            .values("user_id", "module__course_id").annotate(n=Count("id")))
    if user_ids is not None:
        done = done.filter(user_id__in=user_ids)
    return {(row["user_id"], row["module__course_id"]) for row in done
            if row["n"] >= totals.get(row["module__course_id"], 0) > 0}


def course_completions(*, project, courses_by_id, user_ids=None):
    """{(user id, course id): "session" | "online"} of every course completion in the project.

    Each course says what counts (`Course.completion`): attending a session (offline), finishing
    all its online modules (online) or either. A session completion wins when both exist."""
    sessions = Enrolment.objects.filter(session__project=project, status=EnrolmentStatus.ATTENDED)
    if user_ids is not None:
        sessions = sessions.filter(user_id__in=user_ids)
    result = {}
    for key in online_completions(project=project, user_ids=user_ids):
        course = courses_by_id.get(key[1])
        if course is not None and course.completion in (Completion.ONLINE, Completion.EITHER):
            result[key] = "online"
    for key in set(sessions.values_list("user_id", "session__course_id")):
        course = courses_by_id.get(key[1])
        if course is not None and course.completion in (Completion.OFFLINE, Completion.EITHER):
            result[key] = "session"
    return result


def coverage_report(*, project, user_ids=None, by_department=True):
    """Required people vs completions, per course, per department and per person.

    A person is trained when they completed every course required of them. Lean: the rows carry
    ids (`user_id`, `department_id`) and no model objects, so it stays fast with thousands of
    staff; `with_people(rows)` adds `user` and `department` to the rows a page or file shows.
    Six queries, whatever the size of the project (online completions are counted in SQL)."""
    course_list = list(Course.objects.filter(project=project).prefetch_related("required_departments")
                       .order_by("title", "id"))
    rules = _required_rules(course_list)
    memberships = Membership.objects.filter(project=project)
    if user_ids is not None:
        memberships = memberships.filter(user_id__in=user_ids)
    people = _people(memberships.order_by("user__last_name", "user__first_name", "user__username", "role"))
    done = course_completions(project=project, courses_by_id={c.pk: c for c in course_list}, user_ids=user_ids)
    per_course = OrderedDict((c.pk, {"course": c, "required": 0, "completed": 0}) for c in course_list)
    rows = []
    for user_id, person in people.items():
        required = _required_of(rules, person["roles"], person["department_id"])
        if not required:
            continue
        completed = [c for c in required if (user_id, c.pk) in done]
        online = [c for c in completed if done[(user_id, c.pk)] == "online"]
        missing = [c for c in required if (user_id, c.pk) not in done]
        for c in required:
            per_course[c.pk]["required"] += 1
            per_course[c.pk]["completed"] += (user_id, c.pk) in done
        rows.append({**person, "required": required, "completed": completed, "online": online, "missing": missing,
                     "trained": not missing})
    # One person's record (my training, my work) needs no department totals: one query less.
    names = dict(project.departments.values_list("pk", "name")) if by_department else {}
    departments = OrderedDict()
    for row in rows:
        name = names.get(row["department_id"], "")
        d = departments.setdefault(name, {"name": name, "required": 0, "trained": 0})
        d["required"] += 1
        d["trained"] += row["trained"]
    for bucket in list(per_course.values()) + list(departments.values()):
        base = bucket["required"]
        bucket["pct"] = round((bucket.get("completed", bucket.get("trained", 0)) * 100 / base), 1) if base else 0.0
    trained = sum(1 for r in rows if r["trained"])
    return {
        "courses": list(per_course.values()),
        "departments": sorted(departments.values(), key=lambda d: (d["name"] == "", d["name"])),
        "people": rows,
        "untrained": [r for r in rows if not r["trained"]],
        "required_people": len(rows),
        "trained_people": trained,
        "pct": round(trained * 100 / len(rows), 1) if rows else 0.0,
    }


def coverage_summary(*, project):
    """The coverage page's figures, the same for every reader, from the cache while nothing audited
    changed in the project (projects.freshness). Compact on purpose (5,000 staff are 5,000 rows): the
    per-course and per-department figures, the counts, and per untrained person a tuple
    `(user_id, department_id, missing course ids, completed count, required count)`; `untrained_rows`
    turns a page of those into rows to show."""
    def compute():
        report = coverage_report(project=project)
        return {
            "courses": report["courses"], "departments": report["departments"], "pct": report["pct"],
            "required_people": report["required_people"], "trained_people": report["trained_people"],
            "untrained": [(r["user_id"], r["department_id"], tuple(map(_pk, r["missing"])), len(r["completed"]),
                           len(r["required"])) for r in report["untrained"]],
        }

    return freshness.cached(project.pk, "training:coverage", compute, areas=AREAS)


def untrained_rows(summary, entries):
    """Rows (`user`, `department`, `missing` courses, `completed`/`required` counts) for some of
    `summary["untrained"]`: two queries for any number."""
    courses = {c["course"].pk: c["course"] for c in summary["courses"]}
    rows = [{"user_id": user_id, "department_id": department_id, "missing": [courses[pk] for pk in missing if pk in courses],
             "completed_count": completed, "required_count": required}
            for user_id, department_id, missing, completed, required in entries]
    return with_people(rows)


def with_people(rows):
    """The coverage rows with their `user` and `department` objects (two queries for any number)."""
    from django.contrib.auth import get_user_model

    from projects.models import Department

    rows = list(rows)
    users = get_user_model().objects.in_bulk([r["user_id"] for r in rows])
    departments = Department.objects.in_bulk({r["department_id"] for r in rows if r["department_id"]})
    for row in rows:
        row["user"], row["department"] = users.get(row["user_id"]), departments.get(row["department_id"])
    return rows


def my_training(*, project, user, now=None):
    """My sessions (upcoming and waitlisted), my completions, and the required courses I still lack."""
    now = now or timezone.now()
    mine = list(Enrolment.objects.filter(user=user, session__project=project)
                .exclude(status=EnrolmentStatus.CANCELLED)
                .select_related("session__course", "session__trainer").order_by("session__starts_at"))
    upcoming = [e for e in mine if e.session.ends_at > now and e.status in (EnrolmentStatus.ENROLLED,
                                                                            EnrolmentStatus.WAITLISTED)]
    completed = [e for e in mine if e.status == EnrolmentStatus.ATTENDED]
    missed = [e for e in mine if e.status == EnrolmentStatus.ABSENT]
    report = coverage_report(project=project, user_ids=[user.pk], by_department=False)
    person = report["people"][0] if report["people"] else None
    booked_courses = {e.session.course_id for e in upcoming}
    todo = [{"course": c, "booked": c.pk in booked_courses} for c in (person["missing"] if person else [])]
    online_done = person["online"] if person else []
    return {"upcoming": upcoming, "completed": completed, "missed": missed, "todo": todo,
            "required": person["required"] if person else [], "online_done": online_done,
            "online": online_progress(project=project, user=user)}


def calendar_sessions(*, user, now=None):
    """Sessions for a person's calendar feed: where they hold a seat or wait, and those they run."""
    now = now or timezone.now()
    since = now - timedelta(days=90)
    seat = Q(enrolments__user=user, enrolments__status__in=[*SEAT_STATUSES, EnrolmentStatus.WAITLISTED])
    qs = Session.objects.filter(seat | Q(trainer=user), ends_at__gte=since).distinct()
    mine = Enrolment.objects.filter(session=OuterRef("pk"), user=user)
    return qs.select_related("course", "trainer", "project").annotate(
        my_status=Subquery(mine.values("status")[:1])).order_by("starts_at")


# ------------------------------------------------------------------------------------- online modules

def module_list_for_user(*, user):
    """Online modules of every project the user belongs to, with their question count."""
    if not user.is_authenticated:
        return Module.objects.none()
    return (Module.objects.filter(course__project_id__in=member_project_ids(user))
            .select_related("course__project").annotate(question_count=Count("questions", distinct=True))
            .order_by("course_id", "position", "id"))


def module_get_for_user(*, user, pk, project=None, course=None) -> Module:
    """The module if the user is a member of its project (and it belongs to `project`/`course`); else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    qs = module_list_for_user(user=user).filter(pk=pk)
    if project is not None:
        qs = qs.filter(course__project=project)
    if course is not None:
        qs = qs.filter(course=course)
    module = qs.first()
    if module is None:
        raise Http404
    prime_roles(user, [module.course.project_id])
    return module


def quiz_questions(*, module):
    return list(Question.objects.filter(module=module).order_by("position", "id"))


def my_progress(*, user, modules):
    """{module id: ModuleProgress} of `user` for `modules` (one query)."""
    return {p.module_id: p for p in ModuleProgress.objects.filter(user=user, module__in=list(modules))}


def online_progress(*, project, user):
    """Per course with online modules: my state of each module (not started, started, quiz passed, done).

    Three queries for any number of courses and modules."""
    modules = list(Module.objects.filter(course__project=project).select_related("course")
                   .annotate(question_count=Count("questions", distinct=True)).order_by("course__title", "position",
                                                                                         "id"))
    progress = my_progress(user=user, modules=modules)
    per_course = OrderedDict()
    for module in modules:
        entry = per_course.setdefault(module.course_id, {"course": module.course, "modules": [], "done": 0,
                                                         "minutes": 0})
        p = progress.get(module.pk)
        module.my_progress = p
        module.my_state = ("done" if p and p.completed_at else "started" if p else "not_started")
        entry["modules"].append(module)
        entry["done"] += module.my_state == "done"
        entry["minutes"] += module.minutes
    for entry in per_course.values():
        entry["total"] = len(entry["modules"])
        entry["pct"] = round(entry["done"] * 100 / entry["total"]) if entry["total"] else 0
    return list(per_course.values())


def my_record(*, project, user):
    """Every course of the project for one learner: completed (via a session or online), in progress, not started.

    In progress: a seat or waitlist place in an upcoming session, or an online module opened."""
    course_list = list(Course.objects.filter(project=project).order_by("title", "id"))
    done = course_completions(project=project, courses_by_id={c.pk: c for c in course_list}, user_ids=[user.pk])
    booked = set(Enrolment.objects.filter(user=user, session__project=project,
                                          status__in=[EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED])
                 .values_list("session__course_id", flat=True))
    started = set(ModuleProgress.objects.filter(user=user, module__course__project=project)
                  .values_list("module__course_id", flat=True))
    rows = []
    for course in course_list:
        via = done.get((user.pk, course.pk))
        status = "completed" if via else "in_progress" if course.pk in booked | started else "not_started"
        rows.append({"course": course, "status": status, "via": via})
    return rows


# --------------------------------------------------------------------------------------- change impact

def _course_covers(course, roles, depts, impact):
    """A required course covers an impact when it is required of the group the impact names:
    the course's roles include the impact's role (or are empty) and its departments include the
    impact's department (or are empty)."""
    if not roles and not depts:
        return False  # optional courses cover nobody
    if impact.role and roles and impact.role not in roles:
        return False
    if not impact.role and roles:
        return False  # a course for some roles does not cover a whole department
    if impact.department_id and depts and impact.department_id not in depts:
        return False
    if not impact.department_id and depts:
        return False  # a course for some departments does not cover a role everywhere
    return True


def change_impacts(*, project, level=None, with_people=True):
    """Every change impact of the project with, beside it, the training of the staff it affects:
    the required courses that cover it, how many people it affects and how many of them completed
    every course required of them. A constant number of queries, whatever the number of impacts.
    `with_people=False`: only the covering courses (what the readiness criterion asks), without
    going through every member's training."""
    items = list(ChangeImpact.objects.filter(project=project).select_related("department")
                 .order_by("-impact", "area", "id"))
    order = {ImpactLevel.HIGH: 0, ImpactLevel.MEDIUM: 1, ImpactLevel.LOW: 2}
    items.sort(key=lambda i: (order.get(i.impact, 3), i.area.lower(), i.pk))
    if level:
        items = [i for i in items if i.impact == level]
    course_rules = [(c, set(c.required_roles or []), {d.pk for d in c.required_departments.all()})
                    for c in Course.objects.filter(project=project).prefetch_related("required_departments")
                    .order_by("title", "id")]
    if not with_people:
        for item in items:
            item.covering_courses = [c for c, roles, depts in course_rules if _course_covers(c, roles, depts, item)]
            item.covered = bool(item.covering_courses)
        return items
    people = _people(Membership.objects.filter(project=project).order_by("user_id", "role"))
    report = coverage_report(project=project)
    trained = {r["user_id"] for r in report["people"] if r["trained"]}
    for item in items:
        affected = [uid for uid, p in people.items()
                    if (not item.role or item.role in p["roles"])
                    and (not item.department_id or p["department_id"] == item.department_id)]
        item.covering_courses = [c for c, roles, depts in course_rules if _course_covers(c, roles, depts, item)]
        item.affected_count = len(affected)
        item.trained_count = sum(1 for uid in affected if uid in trained)
        item.trained_pct = round(item.trained_count * 100 / item.affected_count, 1) if item.affected_count else 0.0
        item.role_label = Role(item.role).label if item.role in Role.values else ""
        item.covered = bool(item.covering_courses)
    return items


def change_impact_list_for_user(*, user):
    if not user.is_authenticated:
        return ChangeImpact.objects.none()
    return (ChangeImpact.objects.filter(project_id__in=member_project_ids(user))
            .select_related("department", "project").order_by("project_id", "area", "id"))


def work_items(*, project, user, now=None):
    """The caller's open training work in the "my work" shape of the Wave 2 contract (projects.hooks):

    - `session_to_attend`: the sessions they hold a seat in that have not ended (due when they start);
      for a trainer also the sessions they run that have not ended, and those that ended with seats
      whose attendance is not marked yet (due when they ended: marking it is the work left);
    - `course_to_take`: every required course not completed yet (in a session or online), due at
      go-live, unless they already hold a seat in one of its coming sessions (that session is listed).

    Eight queries, whatever the size (the coverage report's six and one per list)."""
    from django.db.models import Exists
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from projects.hooks import WORK_LIMIT, work
    from projects.queries import first_with_total

    now = now or timezone.now()
    items, totals = [], {}
    seats, seat_total = first_with_total(
        Enrolment.objects.filter(user=user, session__project=project, status=EnrolmentStatus.ENROLLED,
                                 session__ends_at__gt=now)
        .select_related("session__course").only("pk", "session__id", "session__starts_at", "session__course__id",
                                                "session__course__title")
        .order_by("session__starts_at", "pk"), WORK_LIMIT)
    booked = {e.session.course_id for e in seats}
    items.extend({"kind": "session_to_attend", "id": e.session_id, "title": e.session.course.title,
                  "due_at": e.session.starts_at, "url": reverse("training:session", args=[project.pk, e.session_id])}
                 for e in seats)
    unmarked = Enrolment.objects.filter(session=OuterRef("pk"), status=EnrolmentStatus.ENROLLED)
    taught, taught_total = first_with_total(
        Session.objects.filter(project=project, trainer=user).filter(Q(ends_at__gt=now) | Exists(unmarked))
        .select_related("course").only("pk", "starts_at", "ends_at", "course__id", "course__title")
        .order_by("starts_at", "pk"), WORK_LIMIT)
    seen = {e.session_id for e in seats}
    for session in taught:
        if session.pk in seen:
            taught_total -= 1
            continue
        ended = session.ends_at <= now
        title = (_("Mark attendance: %(course)s") if ended else _("You teach: %(course)s")) % {
            "course": session.course.title}
        items.append({"kind": "session_to_attend", "id": session.pk, "title": title,
                      "due_at": session.ends_at if ended else session.starts_at,
                      "url": reverse("training:session", args=[project.pk, session.pk])})
    totals["session_to_attend"] = seat_total + taught_total

    report = coverage_report(project=project, user_ids=[user.pk], by_department=False)
    person = report["people"][0] if report["people"] else None
    courses = [c for c in (person["missing"] if person else []) if c.pk not in booked]
    totals["course_to_take"] = len(courses)
    items.extend({"kind": "course_to_take", "id": course.pk, "title": course.title,
                  "url": reverse("training:course", args=[project.pk, course.pk]), "due_at": project.go_live_at}
                 for course in courses[:WORK_LIMIT])
    return work(items, totals)
