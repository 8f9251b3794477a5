"""Every write of the requirements app: surveys, answers, interviews, requirements and reviews.

The review workflow lives here and only here:

    draft ──submit──▶ submitted ──approve──▶ approved ──edit──▶ draft (new version)
      ▲                   │  └──reject──▶ rejected (closed)
      └────withdraw───────┤  (the author or a manager, before anyone decides)
                          └──request changes──▶ changes_requested ──edit──▶ (new version) ──submit──▶ …

Reviews (`RequirementReview`) are created once and never updated: who, when, which version, comment.
"""

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notify, recipients_told
from projects.access import has_role, roles_of
from projects.audit import stamp
from projects.errors import DomainError, check_fields
from projects.models import Department, Membership, Project, Role
from projects.people import display_name

from .models import (
    Answer,
    ConflictStatus,
    Decision,
    Interview,
    Priority,
    Question,
    QuestionKind,
    Requirement,
    RequirementConflict,
    RequirementReview,
    RequirementSequence,
    RequirementStatus,
    RequirementVersion,
    Survey,
    SurveyMethod,
    SurveyResponse,
    SurveyStatus,
)
from .reminders import KIND as WAITING_KIND
from .reminders import WITHDRAWN, WITHDRAWN_KIND, WITHDRAWN_WITH_REASON

S = RequirementStatus


# --------------------------------------------------------------------------- helpers

def _text(value, *, field, message, max_length=None):
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    if max_length and len(value) > max_length:
        raise DomainError(_("Keep it under %(n)d characters.") % {"n": max_length}, field=field)
    return value


def _check_department(project, department):
    if department is not None and department.project_id != project.pk:
        raise DomainError(_("That department belongs to another project."), field="department")


def _check_priority(priority):
    if priority not in Priority.values:
        raise DomainError(
            _("Unknown priority “%(p)s”. Choose one of: %(all)s.") % {"p": priority, "all": ", ".join(Priority.values)},
            field="priority",
        )


def _require_writer(actor, project):
    if not has_role(actor, project, Role.BUSINESS):
        raise DomainError(_("Only business reviewers and project managers may write requirements."),
                          code="permission")


def _require_reviewer(actor, project):
    if not roles_of(actor, project):
        raise DomainError(_("You are not a member of this project, so you cannot review its requirements."),
                          code="permission")
    if not has_role(actor, project, Role.BUSINESS):
        raise DomainError(_("Only business reviewers and project managers may review requirements."),
                          code="permission")


# --------------------------------------------------------------------------- requirements

def _next_number(project) -> int:
    """Hand out the next number under a row lock, so two creates never get the same code."""
    # Lock the project row first: it always exists, so the counter's first creation is serialised too.
    Project.objects.select_for_update().filter(pk=project.pk).values_list("pk", flat=True).first()
    sequence, _created = RequirementSequence.objects.get_or_create(project=project)
    sequence = RequirementSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _snapshot(requirement, actor, *, number=None) -> RequirementVersion:
    return RequirementVersion.objects.create(
        requirement=requirement, number=number or requirement.version, title=requirement.title,
        description=requirement.description, acceptance_criteria=requirement.acceptance_criteria,
        priority=requirement.priority, department_name=requirement.department.name if requirement.department else "",
        created_by=actor,
    )


@transaction.atomic
def requirement_create(*, actor, project, title, description="", priority=Priority.SHOULD, department=None,
                       acceptance_criteria="", source_answer=None, source_interview=None) -> Requirement:
    _require_writer(actor, project)
    title = _text(title, field="title", message=_("Give the requirement a title."), max_length=200)
    _check_priority(priority)
    _check_department(project, department)
    if source_answer is not None and source_answer.response.survey.project_id != project.pk:
        raise DomainError(_("That survey answer belongs to another project."), field="source_answer")
    if source_interview is not None and source_interview.survey.project_id != project.pk:
        raise DomainError(_("That interview belongs to another project."), field="source_interview")
    number = _next_number(project)
    requirement = Requirement(
        project=project, number=number, code=f"REQ-{number:03d}", title=title, description=description or "",
        acceptance_criteria=acceptance_criteria or "", priority=priority, department=department, author=actor,
        source_answer=source_answer, source_interview=source_interview, status=S.DRAFT, version=1,
    )
    stamp(requirement, actor).save()
    _snapshot(requirement, actor)
    return requirement


EDITABLE = {"title", "description", "acceptance_criteria", "priority", "department"}


@transaction.atomic
def requirement_update(*, actor, requirement, **changes) -> Requirement:
    """Edit the text. A version someone already decided on is never changed: the edit becomes a new version,
    and an approved requirement goes back to draft (its approval does not carry over)."""
    check_fields(changes, allowed=EDITABLE)
    requirement = Requirement.objects.select_for_update(of=("self",)).select_related("department").get(pk=requirement.pk)
    _require_writer(actor, requirement.project)
    if requirement.status == S.SUBMITTED:
        raise DomainError(_("%(code)s is waiting for review; ask a reviewer to request changes before editing it.")
                          % {"code": requirement.code}, field="status")
    if requirement.status == S.REJECTED:
        raise DomainError(_("%(code)s was rejected and is closed; write a new requirement instead.")
                          % {"code": requirement.code}, field="status")
    if "title" in changes:
        changes["title"] = _text(changes["title"], field="title", message=_("Give the requirement a title."),
                                 max_length=200)
    if "priority" in changes:
        _check_priority(changes["priority"])
    if "department" in changes:
        _check_department(requirement.project, changes["department"])
    changed = {f: v for f, v in changes.items() if getattr(requirement, f) != (v if v is not None else None)}
    if not changed:
        return requirement
    for field, value in changed.items():
        setattr(requirement, field, value if value is not None or field == "department" else "")
    decided = requirement.reviews.filter(version=requirement.version).exists()
    update_fields = list(changed) + ["updated_at"]
    if decided or requirement.status == S.APPROVED:
        requirement.version += 1
        update_fields.append("version")
        if requirement.status == S.APPROVED:
            requirement.status = S.DRAFT
            requirement.submitted_at = None
            update_fields += ["status", "submitted_at"]
        stamp(requirement, actor).save(update_fields=update_fields)
        _snapshot(requirement, actor)
    else:
        stamp(requirement, actor).save(update_fields=update_fields)
        RequirementVersion.objects.filter(requirement=requirement, number=requirement.version).update(
            title=requirement.title, description=requirement.description,
            acceptance_criteria=requirement.acceptance_criteria, priority=requirement.priority,
            department_name=requirement.department.name if requirement.department else "", created_by=actor,
        )
    return requirement


def _locked(requirement):
    return Requirement.objects.select_for_update(of=("self",)).select_related("project").get(pk=requirement.pk)


@transaction.atomic
def requirement_submit(*, actor, requirement) -> Requirement:
    requirement = _locked(requirement)
    _require_writer(actor, requirement.project)
    if requirement.status == S.CHANGES_REQUESTED:
        if requirement.reviews.filter(version=requirement.version).exists():
            raise DomainError(_("Edit %(code)s to answer the reviewer's comment before submitting it again.")
                              % {"code": requirement.code}, field="status")
    elif requirement.status != S.DRAFT:
        raise DomainError(
            _("%(code)s is %(status)s; only a draft or a requirement with requested changes can be submitted.")
            % {"code": requirement.code, "status": requirement.get_status_display().lower()}, field="status")
    requirement.status = S.SUBMITTED
    requirement.submitted_at = timezone.now()
    stamp(requirement, actor).save(update_fields=["status", "submitted_at", "updated_at"])
    return requirement


def _decide(*, actor, requirement, decision, comment, to_status):
    requirement = _locked(requirement)
    _require_reviewer(actor, requirement.project)
    comment = (comment or "").strip()
    if decision != Decision.APPROVED and not comment:
        raise DomainError(_("Say why in a comment: the author needs it to fix or understand the decision."),
                          field="comment")
    if requirement.status != S.SUBMITTED:
        raise DomainError(
            _("%(code)s is %(status)s; only submitted requirements can be reviewed.")
            % {"code": requirement.code, "status": requirement.get_status_display().lower()}, field="status")
    if decision == Decision.APPROVED:
        version_author = requirement.versions.filter(number=requirement.version).values_list(
            "created_by_id", flat=True).first()
        if actor.pk in (requirement.author_id, version_author):
            raise DomainError(_("You wrote this requirement, so someone else must approve it (four-eyes rule)."),
                              code="four_eyes")
    RequirementReview.objects.create(requirement=requirement, version=requirement.version, reviewer=actor,
                                     decision=decision, comment=comment)
    requirement.status = to_status
    stamp(requirement, actor).save(update_fields=["status", "updated_at"])
    return requirement


def requirement_approve(*, actor, requirement, comment="") -> Requirement:
    with transaction.atomic():
        return _decide(actor=actor, requirement=requirement, decision=Decision.APPROVED, comment=comment,
                       to_status=S.APPROVED)


def requirement_reject(*, actor, requirement, comment) -> Requirement:
    with transaction.atomic():
        return _decide(actor=actor, requirement=requirement, decision=Decision.REJECTED, comment=comment,
                       to_status=S.REJECTED)


def requirement_request_changes(*, actor, requirement, comment) -> Requirement:
    with transaction.atomic():
        return _decide(actor=actor, requirement=requirement, decision=Decision.CHANGES_REQUESTED, comment=comment,
                       to_status=S.CHANGES_REQUESTED)


WITHDRAW_REASON_MAX = 100  # kept as the history record's change reason (simple-history's column)


@transaction.atomic
def requirement_withdraw(*, actor, requirement, comment="") -> Requirement:
    """Take a submitted requirement back to draft before a reviewer decides (submitted by mistake, or
    not finished). The author does it, or a manager. The optional reason is kept on the history record;
    reviewers the "waiting for review" reminder already asked about this submission are told."""
    requirement = _locked(requirement)
    project = requirement.project
    if not roles_of(actor, project):
        raise DomainError(_("You are not a member of this project."), code="permission")
    if not actor.has_perm("requirements.withdraw", requirement):  # rules.py: the author or a manager
        raise DomainError(_("Only the author of %(code)s or a project manager may withdraw it.")
                          % {"code": requirement.code}, code="permission")
    comment = (comment or "").strip()
    if len(comment) > WITHDRAW_REASON_MAX:
        raise DomainError(_("Keep the reason under %(n)d characters.") % {"n": WITHDRAW_REASON_MAX},
                          field="comment")
    if requirement.status in (S.APPROVED, S.REJECTED):
        raise DomainError(
            _("%(code)s is already %(status)s; a decided requirement cannot be withdrawn.")
            % {"code": requirement.code, "status": requirement.get_status_display().lower()}, field="status")
    if requirement.status != S.SUBMITTED:
        raise DomainError(_("%(code)s is not waiting for review, so there is nothing to withdraw.")
                          % {"code": requirement.code}, field="status")
    submitted_at = requirement.submitted_at
    requirement.status = S.DRAFT
    requirement.submitted_at = None
    stamp(requirement, actor)
    requirement._change_reason = comment or None
    requirement.save(update_fields=["status", "submitted_at", "updated_at"])
    _tell_reviewers_withdrawn(requirement, actor=actor, submitted_at=submitted_at, comment=comment)
    return requirement


def _tell_reviewers_withdrawn(requirement, *, actor, submitted_at, comment):
    """Submitting tells nobody at once; the reminder asks reviewers after the lead time. Whoever it asked
    about this submission hears it was withdrawn (and nobody else: the others never heard of it)."""
    if submitted_at is None:
        return
    told = recipients_told(kind=WAITING_KIND, subject=requirement, since=submitted_at)
    url = reverse("requirements:detail", args=[requirement.project_id, requirement.pk])
    params = {"code": requirement.code, "title": requirement.title, "who": display_name(actor)}
    message = WITHDRAWN_WITH_REASON(**params, reason=comment) if comment else WITHDRAWN(**params)
    for user in told:
        if user.pk == actor.pk:
            continue
        notify(recipient=user, kind=WITHDRAWN_KIND, message=message, project=requirement.project, subject=requirement,
               url=url, dedupe_key=f"{WITHDRAWN_KIND}:{requirement.pk}:v{requirement.version}:"
                                   f"{submitted_at:%Y%m%d%H%M%S}:{user.pk}")


ACTIONS = {
    "submit": lambda actor, requirement, comment="": requirement_submit(actor=actor, requirement=requirement),
    "withdraw": lambda actor, requirement, comment="": requirement_withdraw(actor=actor, requirement=requirement,
                                                                            comment=comment),
    "approve": lambda actor, requirement, comment="": requirement_approve(actor=actor, requirement=requirement,
                                                                          comment=comment),
    "reject": lambda actor, requirement, comment="": requirement_reject(actor=actor, requirement=requirement,
                                                                        comment=comment),
    "request-changes": lambda actor, requirement, comment="": requirement_request_changes(
        actor=actor, requirement=requirement, comment=comment),
}


@transaction.atomic
def requirement_bulk_submit(*, actor, project, requirement_ids) -> list[Requirement]:
    """Submit several drafts at once; all or nothing, naming the first one that cannot go."""
    requirements = list(Requirement.objects.filter(project=project, pk__in=requirement_ids).order_by("number"))
    if not requirements:
        raise DomainError(_("Tick at least one requirement to submit."), field="requirements")
    return [requirement_submit(actor=actor, requirement=r) for r in requirements]


# --------------------------------------------------------------------------- conflicts

@transaction.atomic
def conflict_create(*, actor, first, second, note) -> RequirementConflict:
    if first.project_id != second.project_id:
        raise DomainError(_("Both requirements must belong to the same project."), field="second")
    _require_writer(actor, first.project)
    if first.pk == second.pk:
        raise DomainError(_("A requirement cannot conflict with itself; choose another one."), field="second")
    note = _text(note, field="note", message=_("Describe what the two requirements disagree on."))
    a, b = sorted([first, second], key=lambda r: r.pk)
    if RequirementConflict.objects.filter(first=a, second=b).exists():
        raise DomainError(_("%(a)s and %(b)s are already marked as conflicting.") % {"a": a.code, "b": b.code},
                          field="second")
    conflict = RequirementConflict(project_id=a.project_id, first=a, second=b, note=note, created_by=actor)
    try:
        with transaction.atomic():
            stamp(conflict, actor).save()
    except IntegrityError as exc:
        raise DomainError(_("These requirements are already marked as conflicting."), field="second") from exc
    return conflict


@transaction.atomic
def conflict_resolve(*, actor, conflict, resolution) -> RequirementConflict:
    conflict = RequirementConflict.objects.select_for_update(of=("self",)).select_related("project").get(pk=conflict.pk)
    _require_writer(actor, conflict.project)
    if conflict.status == ConflictStatus.RESOLVED:
        raise DomainError(_("This conflict is already resolved."), field="status")
    conflict.resolution = _text(resolution, field="resolution", message=_("Say how the conflict was settled."))
    conflict.status = ConflictStatus.RESOLVED
    conflict.resolved_by = actor
    conflict.resolved_at = timezone.now()
    stamp(conflict, actor).save(update_fields=["resolution", "status", "resolved_by", "resolved_at"])
    return conflict


# --------------------------------------------------------------------------- surveys

def _require_survey_owner(actor, survey):
    if not has_role(actor, survey.project, Role.BUSINESS):
        raise DomainError(_("Only business reviewers and project managers may manage surveys."), code="permission")


@transaction.atomic
def survey_create(*, actor, project, title, method=SurveyMethod.QUESTIONNAIRE, description="", departments=(),
                  due_date=None, owner=None) -> Survey:
    _require_writer(actor, project)
    title = _text(title, field="title", message=_("Give the survey a title."), max_length=200)
    if method not in SurveyMethod.values:
        raise DomainError(_("Choose questionnaire or interview."), field="method")
    for department in departments:
        _check_department(project, department)
    owner = owner or actor
    if not roles_of(owner, project):
        raise DomainError(_("The owner must be a member of the project."), field="owner")
    survey = Survey(project=project, title=title, method=method, description=description or "", due_date=due_date,
                    owner=owner)
    stamp(survey, actor).save()
    if departments:
        survey.departments.set(departments)
    return survey


@transaction.atomic
def survey_update(*, actor, survey, **changes) -> Survey:
    allowed = {"title", "description", "due_date", "departments", "owner"}
    check_fields(changes, allowed=allowed)
    survey = _survey_locked(survey)
    _require_survey_owner(actor, survey)
    if survey.status == SurveyStatus.CLOSED:
        raise DomainError(_("This survey is closed; its answers are frozen."), field="status")
    departments = changes.pop("departments", None)
    if "title" in changes:
        changes["title"] = _text(changes["title"], field="title", message=_("Give the survey a title."))
    if "owner" in changes and not roles_of(changes["owner"], survey.project):
        raise DomainError(_("The owner must be a member of the project."), field="owner")
    for field, value in changes.items():
        setattr(survey, field, value)
    if changes:
        stamp(survey, actor).save(update_fields=list(changes))
    if departments is not None:
        for department in departments:
            _check_department(survey.project, department)
        survey.departments.set(departments)
    return survey


def _survey_locked(survey):
    return Survey.objects.select_for_update(of=("self",)).select_related("project").get(pk=survey.pk)


@transaction.atomic
def survey_open(*, actor, survey) -> Survey:
    survey = _survey_locked(survey)
    _require_survey_owner(actor, survey)
    if survey.status != SurveyStatus.DRAFT:
        raise DomainError(_("Only a draft survey can be opened; this one is %(s)s.")
                          % {"s": survey.get_status_display().lower()}, field="status")
    if survey.method == SurveyMethod.QUESTIONNAIRE and not survey.questions.exists():
        raise DomainError(_("Add at least one question before opening the questionnaire."), field="questions")
    survey.status = SurveyStatus.OPEN
    stamp(survey, actor).save(update_fields=["status"])
    return survey


@transaction.atomic
def survey_close(*, actor, survey) -> Survey:
    """Closing freezes the answers: nobody can answer or edit afterwards."""
    survey = _survey_locked(survey)
    _require_survey_owner(actor, survey)
    if survey.status != SurveyStatus.OPEN:
        raise DomainError(_("Only an open survey can be closed; this one is %(s)s.")
                          % {"s": survey.get_status_display().lower()}, field="status")
    survey.status = SurveyStatus.CLOSED
    survey.closed_at = timezone.now()
    stamp(survey, actor).save(update_fields=["status", "closed_at"])
    return survey


def _clean_choices(choices):
    if isinstance(choices, str):
        choices = choices.splitlines()
    cleaned = []
    for choice in choices or []:
        choice = str(choice).strip()
        if choice and choice not in cleaned:
            cleaned.append(choice)
    return cleaned


@transaction.atomic
def question_add(*, actor, survey, text, kind=QuestionKind.TEXT, choices=(), required=False, order=None) -> Question:
    survey = _survey_locked(survey)
    _require_survey_owner(actor, survey)
    if survey.method != SurveyMethod.QUESTIONNAIRE:
        raise DomainError(_("Interviews have no questions; record interviews instead."), field="kind")
    if survey.status != SurveyStatus.DRAFT:
        raise DomainError(_("Questions can only be changed while the survey is a draft."), field="status")
    text = _text(text, field="text", message=_("Write the question."), max_length=500)
    if kind not in QuestionKind.values:
        raise DomainError(_("Unknown kind of question “%(k)s”. Choose one of: %(all)s.")
                          % {"k": kind, "all": ", ".join(QuestionKind.values)}, field="kind")
    choices = _clean_choices(choices)
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        if len(choices) < 2:
            raise DomainError(_("A choice question needs at least two choices, one per line."), field="choices")
    else:
        choices = []
    if order is None:
        last = survey.questions.order_by("-order").values_list("order", flat=True).first()
        order = (last or 0) + 1
    question = Question(survey=survey, text=text, kind=kind, choices=choices, required=bool(required), order=order)
    stamp(question, actor).save()
    return question


@transaction.atomic
def question_delete(*, actor, question) -> None:
    survey = _survey_locked(question.survey)
    _require_survey_owner(actor, survey)
    if survey.status != SurveyStatus.DRAFT:
        raise DomainError(_("Questions can only be changed while the survey is a draft."), field="status")
    stamp(question, actor).delete()


def respondent_department(survey, user):
    """The user's department among the survey's targets (None when the survey targets everybody)."""
    targets = {d.pk: d for d in survey.departments.all()}
    mine = list(Membership.objects.filter(project=survey.project, user=user).values_list("department_id", flat=True))
    if not mine:
        raise DomainError(_("You are not a member of this project."), code="permission")
    if not targets:
        first = next((d for d in mine if d), None)
        return Department.objects.filter(pk=first).first() if first else None
    for department_id in mine:
        if department_id in targets:
            return targets[department_id]
    raise DomainError(_("This survey is for %(depts)s; your department is not one of them.")
                      % {"depts": ", ".join(sorted(d.name for d in targets.values()))}, code="permission")


def _clean_answers(survey, answers):
    """Check `answers` ({question id: value}) against the questions; return Answer field values per question."""
    questions = list(survey.questions.all())
    known = {q.pk for q in questions}
    try:
        answers = {int(k): v for k, v in (answers or {}).items()}
    except (TypeError, ValueError):
        raise DomainError(_("Answers must be keyed by question id."), field="answers") from None
    stray = set(answers) - known
    if stray:
        raise DomainError(_("Question %(id)s is not part of this survey.") % {"id": min(stray)}, field="answers")
    cleaned = {}
    for q in questions:
        value = answers.get(q.pk)
        if value in (None, "", []):
            if q.required:
                raise DomainError(_("Answer the required question “%(q)s”.") % {"q": q.text}, field="answers")
            continue
        if q.kind == QuestionKind.TEXT:
            cleaned[q] = {"text": str(value).strip(), "selected": [], "scale": None}
        elif q.kind == QuestionKind.SINGLE:
            if isinstance(value, list):
                value = value[0] if len(value) == 1 else value
            if value not in q.choices:
                raise DomainError(_("Choose one of the offered answers to “%(q)s”.") % {"q": q.text}, field="answers")
            cleaned[q] = {"text": "", "selected": [value], "scale": None}
        elif q.kind == QuestionKind.MULTIPLE:
            values = value if isinstance(value, list) else [value]
            if any(v not in q.choices for v in values):
                raise DomainError(_("Choose only offered answers to “%(q)s”.") % {"q": q.text}, field="answers")
            cleaned[q] = {"text": "", "selected": [c for c in q.choices if c in values], "scale": None}
        else:
            try:
                scale = int(value)
            except (TypeError, ValueError):
                scale = 0
            if not 1 <= scale <= 5:
                raise DomainError(_("Answer “%(q)s” with a number from 1 to 5.") % {"q": q.text}, field="answers")
            cleaned[q] = {"text": "", "selected": [], "scale": scale}
    return cleaned


def check_can_answer(*, survey, user):
    """Raise the DomainError that answering would raise (closed, not open, not a target department)."""
    _check_open(survey)
    respondent_department(survey, user)


def _check_open(survey):
    if survey.method != SurveyMethod.QUESTIONNAIRE:
        raise DomainError(_("An interview round is not answered online; its interviews are recorded."),
                          field="survey")
    if survey.status == SurveyStatus.CLOSED:
        raise DomainError(_("This survey is closed; its answers are frozen."), field="survey")
    if survey.status != SurveyStatus.OPEN:
        raise DomainError(_("This survey is not open for answers yet."), field="survey")


@transaction.atomic
def survey_answer(*, actor, survey, answers) -> SurveyResponse:
    """Answer a questionnaire once. `answers` maps question id → text, choice, list of choices or 1–5."""
    survey = _survey_locked(survey)
    _check_open(survey)
    department = respondent_department(survey, actor)
    if SurveyResponse.objects.filter(survey=survey, respondent=actor).exists():
        raise DomainError(_("You have already answered this survey; edit your answers instead."), field="survey")
    cleaned = _clean_answers(survey, answers)
    response = SurveyResponse(survey=survey, respondent=actor, department=department)
    try:
        with transaction.atomic():
            stamp(response, actor).save()
    except IntegrityError as exc:
        raise DomainError(_("You have already answered this survey; edit your answers instead."),
                          field="survey") from exc
    Answer.objects.bulk_create([Answer(response=response, question=q, **values) for q, values in cleaned.items()])
    return response


@transaction.atomic
def survey_response_update(*, actor, response, answers) -> SurveyResponse:
    survey = _survey_locked(response.survey)
    _check_open(survey)
    if response.respondent_id != actor.pk:
        raise DomainError(_("You can only edit your own answers."), code="permission")
    cleaned = _clean_answers(survey, answers)
    existing = {a.question_id: a for a in response.answers.all()}
    for q, values in cleaned.items():
        answer = existing.pop(q.pk, None)
        if answer is None:
            Answer.objects.create(response=response, question=q, **values)
        elif any(getattr(answer, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(answer, f, v)
            stamp(answer, actor).save(update_fields=list(values))
    for answer in existing.values():  # questions now left blank
        if not answer.requirements.exists():
            stamp(answer, actor).delete()
    stamp(response, actor).save(update_fields=["updated_at"])
    return response


@transaction.atomic
def interview_record(*, actor, survey, interviewees, held_on, notes, interviewer=None, department=None) -> Interview:
    _require_survey_owner(actor, survey)
    if survey.method != SurveyMethod.INTERVIEW:
        raise DomainError(_("Interviews are recorded on an interview round, not on a questionnaire."),
                          field="survey")
    if survey.status == SurveyStatus.CLOSED:
        raise DomainError(_("This survey is closed; its answers are frozen."), field="survey")
    interviewer = interviewer or actor
    if not roles_of(interviewer, survey.project):
        raise DomainError(_("The interviewer must be a member of the project."), field="interviewer")
    _check_department(survey.project, department)
    interviewees = _text(interviewees, field="interviewees", message=_("Name who was interviewed."),
                         max_length=300)
    notes = _text(notes, field="notes", message=_("Write down what was said."))
    if held_on is None:
        raise DomainError(_("Give the date of the interview."), field="held_on")
    interview = Interview(survey=survey, interviewer=interviewer, interviewees=interviewees, department=department,
                          held_on=held_on, notes=notes)
    stamp(interview, actor).save()
    return interview


@transaction.atomic
def requirement_from_answer(*, actor, answer) -> Requirement:
    """One step from a survey answer to a draft requirement that links back to it."""
    response = answer.response
    text = answer.display().strip()
    if not text:
        raise DomainError(_("This answer is empty; there is nothing to turn into a requirement."), field="answer")
    return requirement_create(
        actor=actor, project=response.survey.project, title=_first_line(text),
        description=_("From survey “%(s)s”, question “%(q)s”:\n\n%(a)s")
        % {"s": response.survey.title, "q": answer.question.text, "a": text},
        department=response.department, source_answer=answer,
    )


@transaction.atomic
def requirement_from_interview(*, actor, interview) -> Requirement:
    return requirement_create(
        actor=actor, project=interview.survey.project, title=_first_line(interview.notes),
        description=_("From the interview with %(who)s on %(date)s:\n\n%(notes)s")
        % {"who": interview.interviewees, "date": interview.held_on.isoformat(), "notes": interview.notes},
        department=interview.department, source_interview=interview,
    )


def _first_line(text, limit=120):
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
