"""Every write of hypercare: staff feedback (submit, triage into a defect, a requirement, a training
need or closed, answer), the daily report subscription and sending, and the retrospective
(lessons learned: items, votes, actions)."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from defects import services as defect_services
from defects.models import Category, FoundIn, Severity
from notifications.services import notify
from projects.audit import stamp
from projects.errors import DomainError, check_fields
from projects.models import Membership, Project
from projects.people import display_name
from projects.safety import local_path
from projects.uploads import vet_upload

from . import selectors
from .models import (
    COMPLAINT_TRANSITIONS,
    Complaint,
    ComplaintChannel,
    ComplaintStatus,
    Feedback,
    FeedbackCategory,
    FeedbackStatus,
    HypercareReportSubscription,
    Lesson,
    LessonAction,
    LessonActionStatus,
    LessonKind,
    LessonVote,
    TriageOutcome,
)
from .reminders import FEEDBACK_ANSWERED_MESSAGE, REPORT_COMPLAINTS, REPORT_INCIDENTS, REPORT_MESSAGE

MAX_TEXT = 5000
# Feedback category → defect category when a manager turns it into a defect.
DEFECT_CATEGORY = {FeedbackCategory.BUG: Category.FUNCTIONAL, FeedbackCategory.USABILITY: Category.USABILITY}
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif"}


def _deny(message):
    raise DomainError(message, code="permission")


def feedback_url(feedback):
    return reverse("hypercare:feedback_detail", args=[feedback.project_id, feedback.pk])


@transaction.atomic
def feedback_submit(*, actor, project, category, text, screenshot=None, page_url="") -> Feedback:
    """Any member tells the project something; it starts as `new` for a manager to triage."""
    if not actor.has_perm("hypercare.feedback", project):
        _deny(_("Only members of the project can give feedback."))
    if category not in FeedbackCategory.values:
        raise DomainError(_("Unknown category “%(v)s”. Choose one of: %(all)s.")
                          % {"v": category, "all": ", ".join(FeedbackCategory.values)}, field="category")
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write what you noticed or what you need."), field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(_("Keep the feedback under %(n)s characters; attach a screenshot for the details.")
                          % {"n": MAX_TEXT}, field="text")
    page_url = local_path(page_url)  # only a path on this site is kept (never a link elsewhere)
    feedback = Feedback(project=project, submitter=actor, category=category, text=text, page_url=page_url[:500])
    if screenshot is not None:
        content_type, name = vet_upload(
            screenshot, field="screenshot", too_big=_("The screenshot is %(size)s MB; it may be at most %(limit)s MB."),
            empty=_("The screenshot is empty."), default_name="screenshot")
        if content_type not in IMAGE_TYPES:
            raise DomainError(_("A screenshot must be a PNG, JPEG or GIF image."), field="screenshot")
        feedback.screenshot_name, feedback.screenshot_type = name, content_type
        feedback.screenshot.save(name, screenshot, save=False)
    try:
        stamp(feedback, actor).save()
    except Exception:
        if feedback.screenshot:
            feedback.screenshot.delete(save=False)
        raise
    return feedback


def _notify_answer(feedback):
    if not feedback.answer:
        return
    notify(
        recipient=feedback.submitter, kind="feedback_answered", project=feedback.project, subject=feedback,
        url=feedback_url(feedback),
        message=FEEDBACK_ANSWERED_MESSAGE(key=feedback.key, answer=feedback.answer[:300]),
        dedupe_key=f"feedback_answered:{feedback.pk}:{feedback.answered_at:%Y%m%d%H%M%S%f}",
    )


def _locked(feedback):
    return Feedback.objects.select_for_update(of=("self",)).select_related("project", "submitter").get(pk=feedback.pk)


@transaction.atomic
def feedback_triage(*, actor, feedback, outcome, answer="", note="", severity=Severity.MINOR, title="") -> Feedback:
    """A manager decides what the feedback becomes.

    defect: a hypercare defect is filed (pre-filled from the feedback) and linked;
    requirement: recorded with a note (the requirement itself is written on the requirements page);
    training: a training need, recorded with the answer to the submitter;
    closed: closed with an answer.
    """
    project = feedback.project
    if not actor.has_perm("hypercare.triage_feedback", project):
        _deny(_("Only the project manager triages feedback."))
    if outcome not in TriageOutcome.values:
        raise DomainError(_("Unknown outcome “%(v)s”. Choose one of: %(all)s.")
                          % {"v": outcome, "all": ", ".join(TriageOutcome.values)}, field="outcome")
    feedback = _locked(feedback)
    if feedback.status != FeedbackStatus.NEW:
        raise DomainError(_("This feedback was already triaged (%(outcome)s); answer it or close it instead.")
                          % {"outcome": feedback.get_outcome_display()}, field="outcome")
    answer, note = (answer or "").strip(), (note or "").strip()
    if outcome in (TriageOutcome.TRAINING, TriageOutcome.CLOSED) and not answer:
        raise DomainError(_("Write the answer the submitter will read."), field="answer")
    if outcome == TriageOutcome.REQUIREMENT and not note:
        raise DomainError(_("Say which requirement this becomes (or what should be written)."), field="note")
    now = timezone.now()
    if outcome == TriageOutcome.DEFECT:
        if severity not in Severity.values:
            raise DomainError(_("Unknown severity “%(s)s”. Choose one of: %(all)s.")
                              % {"s": severity, "all": ", ".join(Severity.values)}, field="severity")
        first_line = (title or "").strip() or feedback.text.strip().splitlines()[0][:200]
        feedback.defect = defect_services.defect_file(
            actor=actor, project=project, title=first_line, severity=severity,
            category=DEFECT_CATEGORY.get(feedback.category, Category.FUNCTIONAL),
            steps=_("Reported by %(who)s as feedback %(key)s:\n%(text)s")
            % {"who": display_name(feedback.submitter),
               "key": feedback.key, "text": feedback.text},
            expected_result=note or _("See the feedback."), actual_result=feedback.text,
            environment=_("Production (hypercare)"), found_in=FoundIn.HYPERCARE, incident_started_at=feedback.created_at,
        )
    feedback.outcome, feedback.triage_note = outcome, note
    feedback.triaged_by, feedback.triaged_at = actor, now
    if outcome == TriageOutcome.CLOSED:
        feedback.status = FeedbackStatus.CLOSED
    elif answer:
        feedback.status = FeedbackStatus.ANSWERED
    else:
        feedback.status = FeedbackStatus.TRIAGED
    if answer:
        feedback.answer, feedback.answered_by, feedback.answered_at = answer, actor, now
    stamp(feedback, actor).save()
    _notify_answer(feedback)
    return feedback


@transaction.atomic
def feedback_answer(*, actor, feedback, answer, close=False) -> Feedback:
    """Answer (or correct the answer of) triaged feedback; `close` also closes it."""
    if not actor.has_perm("hypercare.triage_feedback", feedback.project):
        _deny(_("Only the project manager answers feedback."))
    feedback = _locked(feedback)
    answer = (answer or "").strip()
    if not answer:
        raise DomainError(_("Write the answer the submitter will read."), field="answer")
    if feedback.status == FeedbackStatus.NEW:
        raise DomainError(_("Triage the feedback first: choose what it becomes."), field="answer")
    if feedback.status == FeedbackStatus.CLOSED:
        raise DomainError(_("This feedback is closed."), field="answer")
    feedback.answer, feedback.answered_by, feedback.answered_at = answer, actor, timezone.now()
    feedback.status = FeedbackStatus.CLOSED if close else FeedbackStatus.ANSWERED
    stamp(feedback, actor).save()
    _notify_answer(feedback)
    return feedback


# ---------------------------------------------------------------- daily hypercare report

@transaction.atomic
def report_subscribe(*, actor, project, subscribe=True) -> bool:
    """Opt in to (or out of) the daily hypercare report. Returns whether the actor is subscribed now."""
    if not actor.has_perm("hypercare.view", project):
        _deny(_("Only members of the project can receive its hypercare report."))
    existing = HypercareReportSubscription.objects.filter(project=project, user=actor).first()
    if subscribe and existing is None:
        stamp(HypercareReportSubscription(project=project, user=actor), actor).save()
    elif not subscribe and existing is not None:
        stamp(existing, actor).delete()
    return subscribe


def report_message(project, summary):
    """The notification of one day's report: a template and its figures, rendered for each reader."""
    def names(people):
        return ", ".join(display_name(p) for p in people)  # "" reads "nobody"

    incidents = REPORT_INCIDENTS(
        project=project.code, day=summary["day"].isoformat(), new=summary["new_count"],
        resolved=summary["resolved_count"], open=summary["open_count"], critical=summary["open_critical"],
        feedback=summary["feedback_count"], today=names(summary["on_duty_today"]),
        tomorrow=names(summary["on_duty_tomorrow"]))
    complaints = REPORT_COMPLAINTS(received=summary.get("complaint_count", 0),
                                   unresolved=summary.get("complaint_unresolved", 0))
    return REPORT_MESSAGE(incidents=incidents, complaints=complaints)


@transaction.atomic
def send_daily_reports(*, now=None) -> int:
    """One notification per opted-in member of every project in hypercare today (idempotent by key)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    sent = 0
    candidates = Project.objects.filter(go_live_at__lte=now, go_live_at__gte=now - timedelta(days=400))
    for project in candidates:
        if not selectors.in_period(project, day):
            continue
        subscribers = list(HypercareReportSubscription.objects.filter(
            project=project, user__in=Membership.objects.filter(project=project).values("user_id"))
            .select_related("user"))
        if not subscribers:
            continue
        summary = selectors.report_summary(project=project, day=day)
        url = reverse("hypercare:report", args=[project.pk]) + f"?date={day.isoformat()}"
        message = report_message(project, summary)
        for sub in subscribers:
            if notify(recipient=sub.user, kind="hypercare_report", project=project, url=url, message=message,
                      dedupe_key=f"hypercare_report:{project.pk}:{day.isoformat()}:{sub.user_id}"):
                sent += 1
    return sent


# ---------------------------------------------------------------- lessons learned (经验教训总结)

MAX_LESSON_TEXT = 2000


def _text(text, *, field="text", message=None):
    text = (text or "").strip()
    if not text:
        raise DomainError(message or _("Write what happened."), field=field)
    if len(text) > MAX_LESSON_TEXT:
        raise DomainError(_("Keep it under %(n)d characters.") % {"n": MAX_LESSON_TEXT}, field=field)
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


# ------------------------------------------------------------------------------------------ complaints

def _check_complaint_fields(*, project, channel=None, category=None, description=None, customers_affected=None,
                            received_at=None, owner=None, defect=None, now=None):
    from projects.access import roles_of

    if channel is not None and channel not in ComplaintChannel.values:
        raise DomainError(_("Choose the channel: %(c)s.") % {"c": ", ".join(ComplaintChannel.values)}, field="channel")
    if category is not None and not category.strip():
        raise DomainError(_("Say what the complaint is about (its category)."), field="category")
    if category is not None and len(category) > 100:
        raise DomainError(_("A category has at most 100 characters."), field="category")
    if description is not None:
        _text(description, field="description", message=_("Describe the complaint."))
    if customers_affected is not None and not 0 <= customers_affected <= 100_000_000:
        raise DomainError(_("Customers affected is a number from 0 up."), field="customers_affected")
    if received_at is not None and received_at > (now or timezone.now()) + timedelta(minutes=5):
        raise DomainError(_("A complaint cannot be received in the future."), field="received_at")
    if owner is not None and not roles_of(owner, project.pk):
        raise DomainError(_("The owner must be a member of this project."), field="owner")
    if defect is not None and defect.project_id != project.pk:
        raise DomainError(_("That defect belongs to another project."), field="defect")


@transaction.atomic
def complaint_record(*, actor, project, channel, category, description, received_at=None, customers_affected=None,
                     owner=None, defect=None, now=None) -> Complaint:
    now = now or timezone.now()
    if actor is not None and not actor.has_perm("hypercare.complaint_record", project):
        _deny(_("Only members of the project may record complaints."))
    category, description = (category or "").strip(), (description or "").strip()
    received_at = received_at or now
    _check_complaint_fields(project=project, channel=channel, category=category, description=description,
                            customers_affected=customers_affected, received_at=received_at, owner=owner,
                            defect=defect, now=now)
    complaint = Complaint(project=project, channel=channel, category=category, description=description,
                          received_at=received_at, customers_affected=customers_affected, owner=owner, defect=defect,
                          created_by=actor)
    stamp(complaint, actor).save()
    return complaint


@transaction.atomic
def complaint_update(*, actor, complaint, **changes) -> Complaint:
    """Correct a complaint or set its owner and the defect or incident behind it (those who handle complaints)."""
    check_fields(changes, allowed={"channel", "category", "description", "customers_affected", "received_at",
                                   "owner", "defect"})
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if actor is not None and not actor.has_perm("hypercare.complaint_handle", complaint.project):
        _deny(_("Only ops, business experts and managers may change a complaint."))
    for key in ("category", "description"):
        if key in changes:
            changes[key] = (changes[key] or "").strip()
    _check_complaint_fields(project=complaint.project, **{k: v for k, v in changes.items()
                                                          if k not in ("owner", "defect") or v is not None})
    for field, value in changes.items():
        setattr(complaint, field, value)
    if changes:
        stamp(complaint, actor).save(update_fields=list(changes))
    return complaint


@transaction.atomic
def complaint_transition(*, actor, complaint, to, comment="", now=None) -> Complaint:
    """open → investigating → resolved (a resolved complaint may go back to investigating).

    Resolving needs the resolution: what was done for the customer."""
    now = now or timezone.now()
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if actor is not None and not actor.has_perm("hypercare.complaint_handle", complaint.project):
        _deny(_("Only ops, business experts and managers may move a complaint on."))
    if to not in ComplaintStatus.values:
        raise DomainError(_("Unknown status “%(s)s”.") % {"s": to}, field="to")
    if to not in COMPLAINT_TRANSITIONS[complaint.status]:
        raise DomainError(_("A complaint that is %(now)s cannot become %(to)s.")
                          % {"now": complaint.get_status_display(), "to": ComplaintStatus(to).label}, field="to")
    comment = (comment or "").strip()
    if len(comment) > MAX_TEXT:
        raise DomainError(_("At most %(n)d characters.") % {"n": MAX_TEXT}, field="comment")
    fields = ["status"]
    if to == ComplaintStatus.RESOLVED:
        if not comment:
            raise DomainError(_("Say how the complaint was resolved."), field="comment")
        complaint.resolution, complaint.resolved_at = comment, now
        fields += ["resolution", "resolved_at"]
    elif complaint.status == ComplaintStatus.RESOLVED:
        complaint.resolved_at = None
        fields.append("resolved_at")
    if complaint.owner_id is None and actor is not None:
        complaint.owner = actor  # whoever takes it on owns it
        fields.append("owner")
    complaint.status = to
    complaint = stamp(complaint, actor)
    complaint._change_reason = comment[:100] or None
    complaint.save(update_fields=fields)
    return complaint
