"""Every write of the training app: courses, sessions, sign-ups with waitlist, attendance.

Capacity is enforced under a row lock on the session (`select_for_update`): every change to who
holds a seat in a session locks that session first, so concurrent sign-ups queue up and the
seat count read under the lock is the truth. SQLite ignores the lock but serialises writers.
"""

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notify
from projects.access import has_role, roles_of
from projects.audit import stamp
from projects.errors import DomainError, check_fields
from projects.models import Role
from projects.people import display_name
from projects.safety import external_link_ok

from .models import (
    ACTIVE_STATUSES,
    SEAT_STATUSES,
    CalendarToken,
    ChangeImpact,
    Completion,
    Course,
    CourseMaterial,
    Enrolment,
    EnrolmentStatus,
    ImpactLevel,
    Mode,
    Module,
    ModuleKind,
    ModuleProgress,
    Question,
    Session,
)
from .reminders import PROMOTED_MESSAGE, REQUIRED_MESSAGE
from .selectors import completions

User = get_user_model()


def _when(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


def _name(user):
    return display_name(user)


# ---------------------------------------------------------------------------------------------- courses

def _check_course_fields(*, project, title, duration_minutes, required_roles, required_departments,
                         completion=Completion.OFFLINE):
    if completion not in Completion.values:
        raise DomainError(_("A course is completed offline, online or either way."), field="completion")
    if not (title or "").strip():
        raise DomainError(_("Give the course a title."), field="title")
    if duration_minutes is not None and duration_minutes < 1:
        raise DomainError(_("A course lasts at least one minute."), field="duration_minutes")
    unknown = [r for r in (required_roles or []) if r not in Role.values]
    if unknown:
        raise DomainError(_("Unknown role “%(role)s”. Choose from: %(roles)s.")
                          % {"role": unknown[0], "roles": ", ".join(Role.values)}, field="required_roles")
    for department in required_departments or []:
        if department.project_id != project.pk:
            raise DomainError(_("That department belongs to another project."), field="required_departments")


@transaction.atomic
def course_create(*, actor, project, title, description="", duration_minutes=60, required_roles=(),
                  required_departments=(), completion=Completion.OFFLINE) -> Course:
    title = (title or "").strip()
    required_roles, required_departments = list(required_roles or []), list(required_departments or [])
    _check_course_fields(project=project, title=title, duration_minutes=duration_minutes,
                         required_roles=required_roles, required_departments=required_departments,
                         completion=completion)
    if Course.objects.filter(project=project, title=title).exists():
        raise DomainError(_("This project already has a course called “%(title)s”.") % {"title": title},
                          field="title")
    course = Course(project=project, title=title, description=description, duration_minutes=duration_minutes,
                    required_roles=sorted(set(required_roles)), completion=completion)
    stamp(course, actor).save()
    if required_departments:
        course.required_departments.set(required_departments)
    return course


@transaction.atomic
def course_update(*, actor, course, **changes) -> Course:
    allowed = {"title", "description", "duration_minutes", "required_roles", "required_departments", "completion"}
    check_fields(changes, allowed=allowed)
    course = Course.objects.select_for_update().get(pk=course.pk)
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
    departments = changes.pop("required_departments", None)
    if "required_roles" in changes:
        changes["required_roles"] = sorted(set(changes["required_roles"] or []))
    _check_course_fields(project=course.project, title=changes.get("title", course.title),
                         duration_minutes=changes.get("duration_minutes", course.duration_minutes),
                         required_roles=changes.get("required_roles", course.required_roles),
                         required_departments=list(departments or []),
                         completion=changes.get("completion", course.completion))
    if "title" in changes and Course.objects.filter(project_id=course.project_id, title=changes["title"]) \
            .exclude(pk=course.pk).exists():
        raise DomainError(_("This project already has a course called “%(title)s”.") % {"title": changes["title"]},
                          field="title")
    for field, value in changes.items():
        setattr(course, field, value)
    if changes:
        stamp(course, actor).save(update_fields=list(changes))
    if departments is not None:
        course.required_departments.set(departments)
    return course


# Manuals and slides: judged by their first bytes, never by their name alone.
MATERIAL_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",), ".pptx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",), ".zip": (b"PK\x03\x04",),
    ".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
    ".mp4": (b"\x00\x00\x00",),
}


def _material_type_problem(upload):
    from pathlib import Path

    suffix = Path(upload.name or "").suffix.lower()
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    magics = MATERIAL_SIGNATURES.get(suffix)
    if magics is None:
        return _("Upload a PDF, Word, PowerPoint, Excel, ZIP, PNG, JPEG or MP4 file.")
    if not head.startswith(magics) or (suffix == ".mp4" and b"ftyp" not in head):
        return _("The file is named “%(name)s” but its content is not a %(type)s file.") % {
            "name": upload.name, "type": suffix.lstrip(".").upper()}
    return None


@transaction.atomic
def material_add(*, actor, course, title, file=None, link="") -> CourseMaterial:
    from django.conf import settings

    title = (title or "").strip()
    link = (link or "").strip()
    if not title:
        raise DomainError(_("Give the material a title."), field="title")
    if bool(file) == bool(link):
        raise DomainError(_("Upload a file or give a link (one of the two)."), field="file")
    if file and file.size > settings.UPLOAD_MAX_BYTES:
        raise DomainError(_("The file is larger than %(mb)d MB.") % {"mb": settings.UPLOAD_MAX_BYTES // 2 ** 20},
                          field="file")
    if link and not external_link_ok(link):
        raise DomainError(_("A link starts with http://, https:// or / (a page of this intranet)."), field="link")
    if file:
        problem = _material_type_problem(file)
        if problem:
            raise DomainError(problem, field="file")
    material = CourseMaterial(course=course, title=title, link=link)
    if file:
        material.file.save(file.name, file, save=False)
    stamp(material, actor).save()
    return material


@transaction.atomic
def material_delete(*, actor, material) -> None:
    """Remove a material (its history keeps who removed it) and, once that is committed, its stored file.

    The file goes only after the commit: a rolled-back deletion must not leave a row pointing at nothing.
    A failure to remove it is logged, not raised (robust): the material is gone either way."""
    name, storage = material.file.name, material.file.storage
    stamp(material, actor).delete()
    if name and not CourseMaterial.objects.filter(file=name).exists():  # never a file another row still serves
        transaction.on_commit(lambda: storage.delete(name), robust=True)


# --------------------------------------------------------------------------------------------- sessions

def _check_trainer(project, trainer):
    if trainer is None:
        raise DomainError(_("Choose the trainer who runs the session."), field="trainer")
    if not has_role(trainer, project, Role.TRAINER):
        raise DomainError(_("%(name)s is not a trainer in this project.") % {"name": _name(trainer)},
                          field="trainer")


def _check_times(*, starts_at, ends_at, signup_deadline):
    if ends_at <= starts_at:
        raise DomainError(_("A session must end after it starts."), field="ends_at")
    if signup_deadline > starts_at:
        raise DomainError(_("The sign-up deadline cannot be after the session starts."), field="signup_deadline")


def _check_capacity(capacity):
    if capacity is None or capacity < 1:
        raise DomainError(_("A session needs at least one seat."), field="capacity")


def _check_mode(mode):
    if mode not in Mode.values:
        raise DomainError(_("Choose online or offline."), field="mode")


@transaction.atomic
def session_create(*, actor, course, starts_at, ends_at, capacity, mode=Mode.OFFLINE, location="", trainer=None,
                   signup_deadline=None) -> Session:
    project = course.project
    if trainer is None and actor is not None and has_role(actor, project, Role.TRAINER):
        trainer = actor  # whoever creates a session runs it unless they name another trainer
    _check_trainer(project, trainer)
    _check_mode(mode)
    _check_capacity(capacity)
    signup_deadline = signup_deadline or starts_at
    _check_times(starts_at=starts_at, ends_at=ends_at, signup_deadline=signup_deadline)
    session = Session(project=project, course=course, trainer=trainer, mode=mode, location=(location or "").strip(),
                      starts_at=starts_at, ends_at=ends_at, capacity=capacity, signup_deadline=signup_deadline)
    stamp(session, actor).save()
    return session


@transaction.atomic
def session_update(*, actor, session, now=None, **changes) -> Session:
    allowed = {"course", "trainer", "mode", "location", "starts_at", "ends_at", "capacity", "signup_deadline"}
    check_fields(changes, allowed=allowed)
    session = Session.objects.select_for_update().get(pk=session.pk)
    if "course" in changes and changes["course"].project_id != session.project_id:
        raise DomainError(_("That course belongs to another project."), field="course")
    if "trainer" in changes:
        _check_trainer(session.project, changes["trainer"])
    if "mode" in changes:
        _check_mode(changes["mode"])
    if "capacity" in changes:
        _check_capacity(changes["capacity"])
        taken = session.enrolments.filter(status__in=SEAT_STATUSES).count()
        if changes["capacity"] < taken:
            raise DomainError(_("%(n)d people already hold a seat: the capacity cannot go below that. "
                                "Cancel seats first.") % {"n": taken}, field="capacity")
    if "starts_at" in changes and "signup_deadline" not in changes and session.signup_deadline == session.starts_at:
        changes["signup_deadline"] = changes["starts_at"]  # "until it starts" moves with the start
    for field, value in changes.items():
        setattr(session, field, value)
    _check_times(starts_at=session.starts_at, ends_at=session.ends_at, signup_deadline=session.signup_deadline)
    if changes:
        stamp(session, actor).save(update_fields=list(changes))
    if "capacity" in changes:
        _promote(session=session, actor=actor, now=now or timezone.now())
    return session


# ------------------------------------------------------------------------------------------- enrolments

def _overlapping_seat(*, user, session):
    """Another session in which `user` holds a seat at the same time, or None."""
    return (Enrolment.objects.filter(user=user, status=EnrolmentStatus.ENROLLED,
                                     session__starts_at__lt=session.ends_at, session__ends_at__gt=session.starts_at)
            .exclude(session_id=session.pk).select_related("session__course").first())


def _waitlist_renumber(session):
    waiting = list(session.enrolments.filter(status=EnrolmentStatus.WAITLISTED).order_by("waitlist_position", "id"))
    for position, enrolment in enumerate(waiting, start=1):
        if enrolment.waitlist_position != position:
            enrolment.waitlist_position = position
            enrolment.save(update_fields=["waitlist_position", "updated_at"])


def _promote(*, session, actor, now):
    """Give free seats to the waitlist in arrival order; tell each promoted person at once.

    Call with the session row locked. Someone who meanwhile holds a seat in an overlapping
    session is skipped (they stay first in line for when that changes)."""
    free = session.capacity - session.enrolments.filter(status__in=SEAT_STATUSES).count()
    promoted = []
    if free > 0:
        for enrolment in session.enrolments.filter(status=EnrolmentStatus.WAITLISTED) \
                .select_related("user").order_by("waitlist_position", "id"):
            if len(promoted) >= free:
                break
            if _overlapping_seat(user=enrolment.user, session=session):
                continue
            enrolment.status = EnrolmentStatus.ENROLLED
            enrolment.waitlist_position = None
            enrolment.enrolled_at = now
            stamp(enrolment, actor).save(update_fields=["status", "waitlist_position", "enrolled_at", "updated_at"])
            promoted.append(enrolment)
            notify(
                recipient=enrolment.user, kind="training_promoted", project=session.project, subject=enrolment,
                message=PROMOTED_MESSAGE(course=session.course.title, start=_when(session.starts_at)),
                url=reverse("training:session", args=[session.project_id, session.pk]),
                due_at=session.starts_at,
                dedupe_key=f"training_promoted:{enrolment.pk}:{now:%Y%m%d%H%M%S%f}",
            )
    if promoted:
        _waitlist_renumber(session)
    return promoted


def _lock_session(session):
    return Session.objects.select_for_update().select_related("course", "project").get(pk=session.pk)


def _check_acting_for(*, actor, user, session):
    if actor is not None and user.pk != actor.pk and not actor.has_perm("training.run_session", session):
        raise DomainError(_("Only the session's trainer or a project manager may sign up or cancel someone else."),
                          code="permission")


def _check_not_completed(*, actor, user, session):
    """Nobody takes a seat in a course they already completed: seats go to people who still need it."""
    done = completions(user=user, course=session.course_id).first()
    if done is None:
        return
    day = timezone.localtime(done).strftime("%Y-%m-%d")
    if actor is None or user.pk == actor.pk:
        message = _("You completed this course on %(date)s; no need to take it again.") % {"date": day}
    else:
        message = (_("%(name)s completed this course on %(date)s; no need to take it again.")
                   % {"name": _name(user), "date": day})
    raise DomainError(message, code="completed")


@transaction.atomic
def enrolment_enrol(*, actor, session, user=None, now=None) -> Enrolment:
    """Sign `user` (default: the actor) up: a seat if one is free, else the end of the waitlist.

    Signing up again while signed up changes nothing and returns the existing enrolment."""
    now = now or timezone.now()
    user = user or actor
    session = _lock_session(session)
    _check_acting_for(actor=actor, user=user, session=session)
    if not roles_of(user, session.project_id):
        raise DomainError(_("%(name)s is not a member of this project.") % {"name": _name(user)}, field="user")
    # Lock the person too, so two sign-ups of the same person for overlapping sessions cannot both win.
    User.objects.select_for_update().filter(pk=user.pk).exists()
    existing = Enrolment.objects.filter(session=session, user=user).first()
    if existing is not None and existing.status in ACTIVE_STATUSES:
        return existing
    _check_not_completed(actor=actor, user=user, session=session)
    if now >= session.starts_at:
        raise DomainError(_("This session has already started: sign-up is closed."), code="closed")
    runner = actor is not None and actor.has_perm("training.run_session", session)
    if now > session.signup_deadline and not runner:
        raise DomainError(_("Sign-up for this session closed at %(deadline)s. Ask the trainer if you still need a "
                            "seat.") % {"deadline": _when(session.signup_deadline)}, code="closed")
    taken = session.enrolments.filter(status__in=SEAT_STATUSES).count()
    enrolment = existing or Enrolment(session=session, user=user)
    enrolment.cancelled_at = None
    if taken < session.capacity:
        clash = _overlapping_seat(user=user, session=session)
        if clash is not None:
            raise DomainError(
                _("%(name)s already holds a seat in “%(course)s” at %(start)s, which overlaps this session. "
                  "Cancel that seat first.")
                % {"name": _name(user), "course": clash.session.course.title, "start": _when(clash.session.starts_at)},
                code="overlap")
        enrolment.status = EnrolmentStatus.ENROLLED
        enrolment.waitlist_position = None
        enrolment.enrolled_at = now
    else:
        last = session.enrolments.filter(status=EnrolmentStatus.WAITLISTED).aggregate(m=Max("waitlist_position"))["m"]
        enrolment.status = EnrolmentStatus.WAITLISTED
        enrolment.waitlist_position = (last or 0) + 1
    stamp(enrolment, actor).save()
    return enrolment


@transaction.atomic
def enrolment_cancel(*, actor, session, user=None, now=None) -> Enrolment:
    """Give up a seat or a waitlist place; a freed seat goes to the first person waiting."""
    now = now or timezone.now()
    user = user or actor
    session = _lock_session(session)
    _check_acting_for(actor=actor, user=user, session=session)
    enrolment = Enrolment.objects.filter(session=session, user=user).first()
    if enrolment is None or enrolment.status == EnrolmentStatus.CANCELLED:
        raise DomainError(_("%(name)s is not signed up for this session.") % {"name": _name(user)}, code="not_found")
    if enrolment.status in (EnrolmentStatus.ATTENDED, EnrolmentStatus.ABSENT) or now >= session.starts_at:
        raise DomainError(_("This session has already started: the seat can no longer be cancelled."),
                          code="closed")
    runner = actor is not None and actor.has_perm("training.run_session", session)
    if now > session.signup_deadline and not runner:
        raise DomainError(_("The deadline to cancel was %(deadline)s. Ask the trainer to cancel your seat.")
                          % {"deadline": _when(session.signup_deadline)}, code="closed")
    had_seat = enrolment.status == EnrolmentStatus.ENROLLED
    enrolment.status = EnrolmentStatus.CANCELLED
    enrolment.waitlist_position = None
    enrolment.cancelled_at = now
    stamp(enrolment, actor).save(update_fields=["status", "waitlist_position", "cancelled_at", "updated_at"])
    if had_seat:
        _promote(session=session, actor=actor, now=now)
    else:
        _waitlist_renumber(session)
    return enrolment


@transaction.atomic
def attendance_record(*, actor, session, marks, now=None) -> list[Enrolment]:
    """Mark the roster: `marks` maps user id → "attended" | "absent". All or nothing.

    Attending completes the course for that person."""
    now = now or timezone.now()
    session = _lock_session(session)
    if actor is not None and not actor.has_perm("training.run_session", session):
        raise DomainError(_("Only the session's trainer or a project manager may mark attendance."),
                          code="permission")
    if now < session.starts_at:
        raise DomainError(_("Attendance can be marked once the session has started (%(start)s).")
                          % {"start": _when(session.starts_at)}, code="not_started")
    if not marks:
        raise DomainError(_("Mark at least one person as attended or absent."), field="attendance")
    allowed = {EnrolmentStatus.ATTENDED, EnrolmentStatus.ABSENT}
    roster = {e.user_id: e for e in session.enrolments.filter(status__in=SEAT_STATUSES).select_related("user")}
    for user_id, status in marks.items():
        if status not in allowed:
            raise DomainError(_("Attendance is “attended” or “absent”, not “%(s)s”.") % {"s": status},
                              field="attendance")
        if int(user_id) not in roster:
            raise DomainError(_("User %(id)s holds no seat in this session (waitlisted or not signed up).")
                              % {"id": user_id}, field="attendance")
    changed = []
    for user_id, status in marks.items():
        enrolment = roster[int(user_id)]
        if enrolment.status != status:
            enrolment.status = status
            enrolment.attendance_marked_at = now
            stamp(enrolment, actor).save(update_fields=["status", "attendance_marked_at", "updated_at"])
        changed.append(enrolment)
    return changed


# ----------------------------------------------------------------------------------------- calendar feed

def calendar_token_for(*, user) -> CalendarToken:
    """The person's feed token, made on first use."""
    token = CalendarToken.objects.filter(user=user).first()
    if token is None:
        token = calendar_token_regenerate(user=user)
    return token


@transaction.atomic
def calendar_token_regenerate(*, user) -> CalendarToken:
    """A new secret: the old feed URL stops working at once."""
    token, _created = CalendarToken.objects.update_or_create(user=user, defaults={"token": secrets.token_urlsafe(32)})
    return token


# ------------------------------------------------------------------------------------------- reminders

@transaction.atomic
def untrained_remind(*, actor, project, users, now=None) -> int:
    """Tell each of `users` which required courses they still must take (at most once a day each).

    Returns how many were reminded now (someone reminded earlier today is not told again)."""
    from .selectors import coverage_report, with_people

    now = now or timezone.now()
    if actor is not None and not actor.has_perm("training.view_coverage", project):
        raise DomainError(_("Only trainers and project managers may send training reminders."), code="permission")
    wanted = {u.pk for u in users}
    report = coverage_report(project=project)
    sent = 0
    url = reverse("training:mine", args=[project.pk])
    for person in with_people(p for p in report["untrained"] if p["user_id"] in wanted):
        titles = ", ".join(c.title for c in person["missing"])
        created = notify(
            recipient=person["user"], kind="training_required", project=project,
            message=REQUIRED_MESSAGE(courses=titles),
            url=url, dedupe_key=f"training_required:{project.pk}:{person['user'].pk}:{timezone.localdate(now)}",
        )
        sent += created is not None
    return sent


# ------------------------------------------------------------------------------------- online modules

def _check_module_fields(*, kind, url, file, minutes, pass_mark):
    from django.conf import settings

    if kind not in ModuleKind.values:
        raise DomainError(_("Choose video, manual or link."), field="kind")
    if minutes is None or minutes < 1:
        raise DomainError(_("A module takes at least one minute."), field="minutes")
    if pass_mark is not None and not 0 <= pass_mark <= 100:
        raise DomainError(_("The pass mark is a percentage from 0 to 100."), field="pass_mark")
    if url and not external_link_ok(url):
        raise DomainError(_("A link starts with http://, https:// or / (a page of this intranet)."), field="url")
    if file:
        if kind == ModuleKind.LINK:
            raise DomainError(_("A link module has no file: give its link."), field="file")
        if file.size > settings.UPLOAD_MAX_BYTES:
            raise DomainError(_("The file is larger than %(mb)d MB.")
                              % {"mb": settings.UPLOAD_MAX_BYTES // 2 ** 20}, field="file")
        problem = _material_type_problem(file)
        if problem:
            raise DomainError(problem, field="file")
        if kind == ModuleKind.VIDEO and not file.name.lower().endswith(".mp4"):
            raise DomainError(_("A video module takes an MP4 file (or a link to a hosted video)."), field="file")


@transaction.atomic
def module_create(*, actor, course, title, kind, url="", file=None, minutes=10, pass_mark=None) -> Module:
    """Add an online module at the end of the course. A video or manual is a file or a link; a link, a link."""
    title, url = (title or "").strip(), (url or "").strip()
    if not title:
        raise DomainError(_("Give the module a title."), field="title")
    _check_module_fields(kind=kind, url=url, file=file, minutes=minutes, pass_mark=pass_mark)
    if bool(file) == bool(url):
        raise DomainError(_("Upload a file or give a link (one of the two)."), field="url")
    Course.objects.select_for_update().filter(pk=course.pk).exists()  # positions stay unique under concurrency
    last = course.modules.aggregate(m=Max("position"))["m"] or 0
    module = Module(course=course, title=title, kind=kind, url=url, minutes=minutes, pass_mark=pass_mark,
                    position=last + 1)
    if file:
        module.file.save(file.name, file, save=False)
    stamp(module, actor).save()
    return module


@transaction.atomic
def module_update(*, actor, module, **changes) -> Module:
    check_fields(changes, allowed={"title", "kind", "url", "minutes", "pass_mark", "position"})
    module = Module.objects.select_for_update().get(pk=module.pk)
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
        if not changes["title"]:
            raise DomainError(_("Give the module a title."), field="title")
    if "url" in changes:
        changes["url"] = (changes["url"] or "").strip()
    merged = {f: changes.get(f, getattr(module, f)) for f in ("kind", "url", "minutes", "pass_mark")}
    _check_module_fields(file=None, **merged)
    if not merged["url"] and not module.file:
        raise DomainError(_("Upload a file or give a link (one of the two)."), field="url")
    if merged["kind"] == ModuleKind.LINK and module.file:
        raise DomainError(_("A link module has no file: give its link."), field="kind")
    if "position" in changes and (changes["position"] or 0) < 1:
        raise DomainError(_("Positions start at 1."), field="position")
    for field, value in changes.items():
        setattr(module, field, value)
    if changes:
        stamp(module, actor).save(update_fields=list(changes))
    return module


@transaction.atomic
def module_delete(*, actor, module) -> None:
    name, storage = module.file.name, module.file.storage
    stamp(module, actor).delete()
    if name and not Module.objects.filter(file=name).exists():
        transaction.on_commit(lambda: storage.delete(name), robust=True)


def _clean_choices(choices):
    if not isinstance(choices, list | tuple):
        raise DomainError(_("Give the choices as a list."), field="choices")
    cleaned = [str(c).strip() for c in choices]
    if len(cleaned) < 2 or any(not c for c in cleaned):
        raise DomainError(_("A question needs at least two choices, none of them empty."), field="choices")
    if len(cleaned) > 10 or any(len(c) > 300 for c in cleaned):
        raise DomainError(_("At most 10 choices of at most 300 characters each."), field="choices")
    if len(set(cleaned)) != len(cleaned):
        raise DomainError(_("Two choices are the same."), field="choices")
    return cleaned


@transaction.atomic
def question_add(*, actor, module, text, choices, correct) -> Question:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write the question."), field="text")
    if len(text) > 500:
        raise DomainError(_("A question has at most 500 characters."), field="text")
    choices = _clean_choices(choices)
    if not isinstance(correct, int) or isinstance(correct, bool) or not 0 <= correct < len(choices):
        raise DomainError(_("The correct answer is the number of a choice, from 0 to %(n)d.")
                          % {"n": len(choices) - 1}, field="correct")
    Module.objects.select_for_update().filter(pk=module.pk).exists()
    last = module.questions.aggregate(m=Max("position"))["m"] or 0
    question = Question(module=module, text=text, choices=choices, correct=correct, position=last + 1)
    stamp(question, actor).save()
    return question


@transaction.atomic
def question_delete(*, actor, question) -> None:
    stamp(question, actor).delete()


def _check_learner(*, user, module):
    if not roles_of(user, module.course.project_id):
        raise DomainError(_("%(name)s is not a member of this project.") % {"name": _name(user)}, code="permission")


def _progress_for_update(*, user, module, now):
    progress, _created = ModuleProgress.objects.select_for_update().get_or_create(
        module=module, user=user, defaults={"started_at": now})
    return progress


@transaction.atomic
def module_open(*, user, module, now=None) -> ModuleProgress:
    """The learner opened the module (watched, read): their progress starts. Opening it again changes nothing."""
    _check_learner(user=user, module=module)
    now = now or timezone.now()
    existing = ModuleProgress.objects.filter(module=module, user=user).first()
    if existing is not None:
        return existing
    return stamp(_progress_for_update(user=user, module=module, now=now), user)


@transaction.atomic
def quiz_submit(*, user, module, answers, now=None) -> dict:
    """Score the learner's answers (one choice index per question, in order). Returns {score, passed}.

    Nothing is saved when the answers do not fit the quiz. Which answers were wrong is not told
    (the correct choices never leave the server); the best score and the first pass are kept."""
    _check_learner(user=user, module=module)
    now = now or timezone.now()
    questions = list(module.questions.order_by("position", "id"))
    if not questions:
        raise DomainError(_("This module has no quiz."), code="no_quiz")
    if not isinstance(answers, list | tuple) or len(answers) != len(questions):
        raise DomainError(_("Answer every question: %(n)d answers expected, one per question.")
                          % {"n": len(questions)}, field="answers")
    for number, (question, answer) in enumerate(zip(questions, answers, strict=True), start=1):
        if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < len(question.choices):
            raise DomainError(_("Answer %(k)d is not one of the question's choices (0 to %(n)d).")
                              % {"k": number, "n": len(question.choices) - 1}, field="answers")
    right = sum(1 for q, a in zip(questions, answers, strict=True) if q.correct == a)
    score = round(right * 100 / len(questions))
    passed = module.pass_mark is None or score >= module.pass_mark
    progress = _progress_for_update(user=user, module=module, now=now)
    progress.quiz_attempts += 1
    progress.quiz_score = max(score, progress.quiz_score or 0)
    if passed and progress.quiz_passed_at is None:
        progress.quiz_passed_at = now
    stamp(progress, user).save()
    return {"score": score, "passed": passed}


@transaction.atomic
def module_complete(*, user, module, now=None) -> ModuleProgress:
    """The learner marks the module done; refused while a quiz with a pass mark is not passed."""
    _check_learner(user=user, module=module)
    now = now or timezone.now()
    progress = _progress_for_update(user=user, module=module, now=now)
    if progress.completed_at is not None:
        return progress
    if module.pass_mark is not None and module.questions.exists() and progress.quiz_passed_at is None:
        raise DomainError(_("Pass the quiz first: %(mark)d%% is needed (your best so far: %(best)s).")
                          % {"mark": module.pass_mark,
                             "best": "—" if progress.quiz_score is None else f"{progress.quiz_score}%"},
                          code="quiz_not_passed")
    progress.completed_at = now
    stamp(progress, user).save()
    return progress


# --------------------------------------------------------------------------------------- change impact

def _check_impact_fields(*, project, department, role, area, change, impact):
    if department is None and not role:
        raise DomainError(_("Name the department, the role, or both, that the change affects."), field="role")
    if role and role not in Role.values:
        raise DomainError(_("Unknown role “%(role)s”. Choose from: %(roles)s.")
                          % {"role": role, "roles": ", ".join(Role.values)}, field="role")
    if department is not None and department.project_id != project.pk:
        raise DomainError(_("That department belongs to another project."), field="department")
    if not area:
        raise DomainError(_("Say which area changes."), field="area")
    if len(area) > 200:
        raise DomainError(_("An area has at most 200 characters."), field="area")
    if not change:
        raise DomainError(_("Say how it changes for these staff."), field="change")
    if impact not in ImpactLevel.values:
        raise DomainError(_("The impact is low, medium or high."), field="impact")


@transaction.atomic
def change_impact_create(*, actor, project, area, change, impact, actions="", department=None,
                         role="") -> ChangeImpact:
    if actor is not None and not actor.has_perm("training.manage_impacts", project):
        raise DomainError(_("Only managers, business experts and trainers may record change impacts."),
                          code="permission")
    area, change, actions, role = (area or "").strip(), (change or "").strip(), (actions or "").strip(), role or ""
    _check_impact_fields(project=project, department=department, role=role, area=area, change=change, impact=impact)
    item = ChangeImpact(project=project, department=department, role=role, area=area, change=change, impact=impact,
                        actions=actions)
    stamp(item, actor).save()
    return item


@transaction.atomic
def change_impact_update(*, actor, item, **changes) -> ChangeImpact:
    check_fields(changes, allowed={"department", "role", "area", "change", "impact", "actions"})
    item = ChangeImpact.objects.select_for_update().select_related("project").get(pk=item.pk)
    if actor is not None and not actor.has_perm("training.manage_impacts", item.project):
        raise DomainError(_("Only managers, business experts and trainers may change change impacts."),
                          code="permission")
    for key in ("area", "change", "actions"):
        if key in changes:
            changes[key] = (changes[key] or "").strip()
    if "role" in changes:
        changes["role"] = changes["role"] or ""
    merged = {f: changes.get(f, getattr(item, f)) for f in ("department", "role", "area", "change", "impact")}
    _check_impact_fields(project=item.project, **merged)
    for field, value in changes.items():
        setattr(item, field, value)
    if changes:
        stamp(item, actor).save(update_fields=list(changes))
    return item


@transaction.atomic
def change_impact_delete(*, actor, item) -> None:
    if actor is not None and not actor.has_perm("training.manage_impacts", item.project):
        raise DomainError(_("Only managers, business experts and trainers may remove change impacts."),
                          code="permission")
    stamp(item, actor).delete()


# ----- project from a template (projects.hooks.clone_part) ---------------------------------------

def courses_copy(source, target, actor) -> int:
    """Clone part: the courses (who must take them: roles, and departments by name, the departments
    being copied first), their materials, online modules and quiz questions. Sessions have trainers
    and dates, progress and enrolments are people's: none is copied. Uploaded files are shared by
    reference (the same stored file), not duplicated."""
    departments = {d.name: d for d in target.departments.all()}
    created = 0
    courses = (Course.objects.filter(project=source).prefetch_related("required_departments", "materials",
                                                                      "modules__questions").order_by("id"))
    for course in courses:
        copy = Course(project=target, title=course.title, description=course.description,
                      duration_minutes=course.duration_minutes, completion=course.completion,
                      required_roles=list(course.required_roles or []))
        stamp(copy, actor).save()
        created += 1
        wanted = [departments[d.name] for d in course.required_departments.all() if d.name in departments]
        if wanted:
            stamp(copy, actor)
            copy.required_departments.set(wanted)
        for material in course.materials.all():
            stamp(CourseMaterial(course=copy, title=material.title, file=material.file.name, link=material.link),
                  actor).save()
            created += 1
        for module in course.modules.all():
            new = Module(course=copy, title=module.title, kind=module.kind, url=module.url, file=module.file.name,
                         minutes=module.minutes, pass_mark=module.pass_mark, position=module.position)
            stamp(new, actor).save()
            created += 1
            for question in module.questions.all():
                stamp(Question(module=new, text=question.text, choices=list(question.choices or []),
                               correct=question.correct, position=question.position), actor).save()
                created += 1
    return created


def courses_count(source) -> int:
    return Course.objects.filter(project=source).count()
