"""Every write of the defects app: test cycles, cases and results; filing defects, their workflow,
assignment, comments, attachments and SLA settings."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notify
from projects.access import has_role
from projects.audit import stamp
from projects.errors import DomainError
from projects.models import Project

from . import links
from .content import vet_upload
from .models import (
    DEFAULT_SLA,
    DONE_STATUSES,
    Category,
    CycleKind,
    CycleStatus,
    Defect,
    DefectAttachment,
    DefectComment,
    DefectTransition,
    FoundIn,
    Priority,
    RejectReason,
    ResultStatus,
    Severity,
    SlaPolicy,
    Status,
    TestCase,
    TestCycle,
    TestResult,
)

User = get_user_model()

# The workflow: from → {to: rule the actor needs}. One table, used by the service, pages and API.
TRANSITIONS = {
    Status.NEW: {Status.OPEN: "defects.triage", Status.REJECTED: "defects.reject"},
    Status.OPEN: {Status.IN_PROGRESS: "defects.work", Status.REJECTED: "defects.reject"},
    Status.IN_PROGRESS: {Status.FIXED: "defects.work", Status.REJECTED: "defects.reject"},
    # A fix that fails its re-test goes straight back (reopened) without being verified first.
    Status.FIXED: {Status.VERIFIED: "defects.verify", Status.REOPENED: "defects.verify"},
    Status.VERIFIED: {Status.CLOSED: "defects.verify", Status.REOPENED: "defects.verify"},
    Status.CLOSED: {Status.REOPENED: "defects.verify"},
    Status.REOPENED: {Status.IN_PROGRESS: "defects.work", Status.REJECTED: "defects.reject"},
    Status.REJECTED: {},
}
ASSIGNEE_ROLES = ("developer", "ops")
REPORT_FIELDS = ("title", "steps", "expected_result", "actual_result")


def _deny(message):
    raise DomainError(message, code="permission")


def allowed_next(defect):
    return list(TRANSITIONS.get(defect.status, {}))


def allowed_next_for(defect, user):
    """The transitions `user` may make now (for buttons): rule passes and, for developers, it is theirs."""
    result = []
    for to, rule in TRANSITIONS.get(defect.status, {}).items():
        if not user.has_perm(rule, defect.project):
            continue
        if rule == "defects.work" and not has_role(user, defect.project) and defect.assignee_id != user.pk:
            continue
        result.append(to)
    return result


# ---------------------------------------------------------------- SLA

def sla_hours(project, severity):
    """(hours to triage, hours to fix) for a severity in a project; None means best effort."""
    policy = SlaPolicy.objects.filter(project=project, severity=severity).first()
    if policy is not None:
        return policy.triage_hours, policy.fix_hours
    return DEFAULT_SLA[Severity(severity)]


def sla_table(project):
    """Every severity with its hours (the project's setting or the default)."""
    policies = {p.severity: p for p in SlaPolicy.objects.filter(project=project)}
    rows = []
    for severity in Severity:
        p = policies.get(severity.value)
        triage, fix = (p.triage_hours, p.fix_hours) if p else DEFAULT_SLA[severity]
        rows.append({"severity": severity, "triage_hours": triage, "fix_hours": fix, "custom": p is not None})
    return rows


def _due(start, hours):
    return start + timedelta(hours=hours) if (start and hours) else None


def _apply_sla(defect, *, fix_start=None):
    triage, fix = sla_hours(defect.project, defect.severity)
    base = defect.created_at or timezone.now()
    defect.triage_due_at = _due(base, triage)
    defect.fix_due_at = _due(fix_start or base, fix)


@transaction.atomic
def sla_set(*, actor, project, severity, triage_hours=None, fix_hours=None) -> SlaPolicy:
    if severity not in Severity.values:
        raise DomainError(_("Unknown severity “%(s)s”. Choose one of: %(all)s.")
                          % {"s": severity, "all": ", ".join(Severity.values)}, field="severity")
    for name, value in (("triage_hours", triage_hours), ("fix_hours", fix_hours)):
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise DomainError(_("Give a whole number of hours above zero, or leave it empty for best effort."),
                              field=name)
    if triage_hours and fix_hours and fix_hours < triage_hours:
        raise DomainError(_("The time to fix cannot be shorter than the time to triage."), field="fix_hours")
    policy, _created = SlaPolicy.objects.select_for_update().get_or_create(project=project, severity=severity)
    policy.triage_hours, policy.fix_hours = triage_hours, fix_hours
    stamp(policy, actor).save()
    # Deadlines of defects still in play follow the new setting.
    for defect in Defect.objects.filter(project=project, severity=severity).exclude(status__in=DONE_STATUSES) \
            .select_related("project"):
        _apply_sla(defect)
        stamp(defect, actor).save(update_fields=["triage_due_at", "fix_due_at", "updated_at"])
    return policy


# ---------------------------------------------------------------- checks

def _check_choice(value, choices, field, label):
    if value not in choices.values:
        raise DomainError(_("Unknown %(label)s “%(v)s”. Choose one of: %(all)s.")
                          % {"label": label, "v": value, "all": ", ".join(choices.values)}, field=field)


def _check_report(fields):
    for name in REPORT_FIELDS:
        if name in fields and not (fields[name] or "").strip():
            raise DomainError({
                "title": _("Give the defect a title."),
                "steps": _("Write the steps to reproduce the defect."),
                "expected_result": _("Write what you expected to happen."),
                "actual_result": _("Write what actually happened."),
            }[name], field=name)


def _check_assignee(project, assignee):
    if assignee is None:
        return
    if not has_role(assignee, project, *ASSIGNEE_ROLES) or not assignee.memberships.filter(
            project=project, role__in=ASSIGNEE_ROLES).exists():
        raise DomainError(_("Assign the defect to a developer or ops engineer of this project."), field="assignee")


def _check_links(project, *, cycle=None, test_result=None, requirement=None, duplicate_of=None, defect=None):
    if cycle is not None and cycle.project_id != project.pk:
        raise DomainError(_("That test cycle belongs to another project."), field="cycle")
    if test_result is not None and test_result.cycle.project_id != project.pk:
        raise DomainError(_("That test result belongs to another project."), field="test_result")
    if requirement is not None and links.requirement_in_project(project, requirement.pk) is None:
        raise DomainError(_("That requirement belongs to another project."), field="requirement")
    if duplicate_of is not None:
        if duplicate_of.project_id != project.pk:
            raise DomainError(_("The original defect must be in the same project."), field="duplicate_of")
        if defect is not None and duplicate_of.pk == defect.pk:
            raise DomainError(_("A defect cannot be a duplicate of itself."), field="duplicate_of")


def _check_impact(fields):
    started, resolved = fields.get("incident_started_at"), fields.get("resolved_at")
    if started and resolved and resolved < started:
        raise DomainError(_("An incident cannot be resolved before it started."), field="resolved_at")


def _url(defect):
    return reverse("defects:detail", args=[defect.project_id, defect.pk])


def _notify_assignee(defect, actor):
    if defect.assignee_id is None or defect.assignee_id == getattr(actor, "pk", None):
        return
    notify(
        recipient=defect.assignee, kind="defect_assigned", project=defect.project, subject=defect, url=_url(defect),
        message=_("%(key)s “%(title)s” (%(severity)s) was assigned to you.")
        % {"key": defect.key, "title": defect.title, "severity": defect.get_severity_display()},
        dedupe_key=f"defect_assigned:{defect.pk}:{defect.assignee_id}:{timezone.now():%Y%m%d%H%M%S%f}",
        due_at=defect.fix_due_at,
    )


# ---------------------------------------------------------------- defects

@transaction.atomic
def defect_file(
    *, actor, project, title, severity, category, steps, expected_result, actual_result, environment="",
    priority=Priority.MEDIUM, requirement=None, assignee=None, found_in=None, cycle=None, test_result=None,
    customers_affected=None, branches_affected=None, incident_started_at=None, resolved_at=None,
) -> Defect:
    """File a defect: the actor is the reporter and it starts as `new` with SLA deadlines set."""
    fields = {"title": title, "steps": steps, "expected_result": expected_result, "actual_result": actual_result}
    _check_report(fields)
    _check_choice(severity, Severity, "severity", _("severity"))
    _check_choice(category, Category, "category", _("category"))
    _check_choice(priority or Priority.MEDIUM, Priority, "priority", _("priority"))
    if found_in is None:
        found_in = FoundIn.HYPERCARE if project.phase in ("hypercare", "closed") else FoundIn.TESTING
    _check_choice(found_in, FoundIn, "found_in", _("phase"))
    if not actor.has_perm("defects.file", project):
        _deny(_("Only members of the project can file defects."))
    if found_in == FoundIn.TESTING and not actor.has_perm("defects.file_testing", project):
        _deny(_("Only testers file defects found in testing; other members may file hypercare defects."))
    if assignee is not None and not (actor.has_perm("defects.triage", project)
                                     or actor.has_perm("defects.file_testing", project)):
        _deny(_("Only managers and testers may choose who fixes a defect."))
    _check_assignee(project, assignee)
    if test_result is not None and cycle is None:
        cycle = test_result.cycle
    _check_links(project, cycle=cycle, test_result=test_result, requirement=requirement)
    impact = {"incident_started_at": incident_started_at, "resolved_at": resolved_at}
    _check_impact(impact)
    for name, value in (("customers_affected", customers_affected), ("branches_affected", branches_affected)):
        if value is not None and value < 0:
            raise DomainError(_("Impact figures cannot be negative."), field=name)

    list(Project.objects.select_for_update().filter(pk=project.pk).values_list("pk"))  # serialise numbering
    number = (Defect.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1
    defect = Defect(
        project=project, number=number, title=title.strip(), severity=severity, category=category,
        priority=priority or Priority.MEDIUM, environment=(environment or "").strip(), steps=steps,
        expected_result=expected_result, actual_result=actual_result, found_in=found_in, cycle=cycle,
        test_result=test_result, requirement=requirement, assignee=assignee, reporter=actor,
        customers_affected=customers_affected, branches_affected=branches_affected,
        incident_started_at=incident_started_at, resolved_at=resolved_at, status=Status.NEW,
    )
    defect.created_at = timezone.now()
    _apply_sla(defect)
    try:
        with transaction.atomic():
            stamp(defect, actor).save()
    except IntegrityError as exc:  # a concurrent filing took the number (SQLite has no row locks)
        raise DomainError(_("Someone filed a defect at the same moment; please submit again.")) from exc
    DefectTransition.objects.create(defect=defect, from_status="", to_status=Status.NEW, actor=actor)
    _notify_assignee(defect, actor)
    return defect


UPDATABLE = {"title", "severity", "priority", "category", "environment", "steps", "expected_result",
             "actual_result", "requirement", "cycle", "found_in", "customers_affected", "branches_affected",
             "incident_started_at", "resolved_at"}


@transaction.atomic
def defect_update(*, actor, defect, **changes) -> Defect:
    """Correct the report or re-rate it (manager, tester or the reporter)."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    project = defect.project
    if not (actor.has_perm("defects.triage", project) or actor.has_perm("defects.verify", project)
            or defect.reporter_id == actor.pk):
        _deny(_("Only the reporter, testers and managers may edit a defect report."))
    _check_report(changes)
    if "severity" in changes:
        _check_choice(changes["severity"], Severity, "severity", _("severity"))
    if "category" in changes:
        _check_choice(changes["category"], Category, "category", _("category"))
    if "priority" in changes:
        _check_choice(changes["priority"], Priority, "priority", _("priority"))
    if "found_in" in changes:
        _check_choice(changes["found_in"], FoundIn, "found_in", _("phase"))
    _check_links(project, cycle=changes.get("cycle"), requirement=changes.get("requirement"))
    _check_impact({"incident_started_at": changes.get("incident_started_at", defect.incident_started_at),
                   "resolved_at": changes.get("resolved_at", defect.resolved_at)})
    defect = Defect.objects.select_for_update(of=("self",)).select_related("project").get(pk=defect.pk)
    for field, value in changes.items():
        setattr(defect, field, value.strip() if field in REPORT_FIELDS + ("environment",) else value)
    fields = list(changes)
    if "severity" in changes:
        _apply_sla(defect)
        fields += ["triage_due_at", "fix_due_at"]
    stamp(defect, actor).save(update_fields=fields + ["updated_at"])
    return defect


@transaction.atomic
def defect_assign(*, actor, defect, assignee) -> Defect:
    if not actor.has_perm("defects.triage", defect.project):
        _deny(_("Only the project manager assigns defects."))
    _check_assignee(defect.project, assignee)
    defect = Defect.objects.select_for_update(of=("self",)).select_related("project").get(pk=defect.pk)
    if defect.status in DONE_STATUSES:
        raise DomainError(_("This defect is %(status)s; reopen it before assigning it.")
                          % {"status": defect.get_status_display()}, field="assignee")
    if defect.assignee_id == getattr(assignee, "pk", None):
        return defect
    defect.assignee = assignee
    stamp(defect, actor).save(update_fields=["assignee", "updated_at"])
    _notify_assignee(defect, actor)
    return defect


@transaction.atomic
def defect_transition(*, actor, defect, to, comment="", reject_reason="", duplicate_of=None) -> Defect:
    """Move a defect one step through the workflow; the step and its comment are kept."""
    defect = Defect.objects.select_for_update(of=("self",)).select_related("project", "assignee").get(pk=defect.pk)
    project = defect.project
    if to not in Status.values:
        raise DomainError(_("Unknown status “%(to)s”. Choose one of: %(all)s.")
                          % {"to": to, "all": ", ".join(Status.values)}, field="to")
    allowed = TRANSITIONS[Status(defect.status)]
    if to not in allowed:
        if allowed:
            message = _("A %(from)s defect cannot move to %(to)s. Allowed next states: %(allowed)s.") % {
                "from": defect.get_status_display(), "to": Status(to).label,
                "allowed": ", ".join(allowed)}
        else:
            message = _("A %(from)s defect cannot move to %(to)s: it is final (no next states).") % {
                "from": defect.get_status_display(), "to": Status(to).label}
        raise DomainError(message, field="to", extra={"allowed": list(allowed)})
    rule = allowed[to]
    if not actor.has_perm(rule, project):
        _deny({
            "defects.triage": _("Only the project manager triages new defects."),
            "defects.reject": _("Only testers and managers may reject a defect."),
            "defects.verify": _("Only testers and managers may verify, close or reopen a defect."),
            "defects.work": _("Only the assigned developer may move this defect to %(to)s.") % {
                "to": Status(to).label},
        }[rule])
    if rule == "defects.work" and not has_role(actor, project) and defect.assignee_id != actor.pk:
        _deny(_("This defect is assigned to %(who)s; only they (or a manager) may move it to %(to)s.")
              % {"who": defect.assignee.get_username() if defect.assignee else _("nobody"),
                 "to": Status(to).label})
    comment = (comment or "").strip()
    now = timezone.now()
    fields = ["status", "updated_at"]
    if to == Status.REJECTED:
        if reject_reason not in RejectReason.values:
            raise DomainError(_("Say why the defect is rejected: %(reasons)s.")
                              % {"reasons": ", ".join(str(label) for label in RejectReason.labels)}, field="reject_reason")
        if reject_reason == RejectReason.DUPLICATE:
            if duplicate_of is None:
                raise DomainError(_("Name the defect this one duplicates."), field="duplicate_of")
            _check_links(project, duplicate_of=duplicate_of, defect=defect)
        defect.reject_reason, defect.duplicate_of = reject_reason, duplicate_of
        defect.closed_at = now
        fields += ["reject_reason", "duplicate_of", "closed_at"]
    if to in (Status.IN_PROGRESS,) and defect.assignee_id is None:
        defect.assignee = actor  # a manager starting it themself
        fields.append("assignee")
    if to == Status.OPEN:
        defect.triaged_at = now
        fields.append("triaged_at")
    elif to == Status.FIXED:
        defect.fixed_at = now
        defect.resolved_at = defect.resolved_at or now
        fields += ["fixed_at", "resolved_at"]
    elif to == Status.CLOSED:
        defect.closed_at = now
        fields.append("closed_at")
    elif to == Status.REOPENED:
        if not comment:
            raise DomainError(_("Say why the defect is reopened: what still fails?"), field="comment")
        defect.reopen_count += 1
        defect.fixed_at = defect.closed_at = defect.resolved_at = None
        _triage, fix = sla_hours(project, defect.severity)
        defect.fix_due_at = _due(now, fix)  # the fix clock starts again
        fields += ["reopen_count", "fixed_at", "closed_at", "resolved_at", "fix_due_at"]
    from_status = defect.status
    defect.status = to
    stamp(defect, actor).save(update_fields=fields)
    DefectTransition.objects.create(defect=defect, from_status=from_status, to_status=to, actor=actor,
                                    comment=comment)
    if to == Status.REOPENED and defect.assignee_id and defect.assignee_id != actor.pk:
        notify(recipient=defect.assignee, kind="defect_reopened", project=project, subject=defect, url=_url(defect),
               message=_("%(key)s “%(title)s” was reopened: %(comment)s")
               % {"key": defect.key, "title": defect.title, "comment": comment},
               dedupe_key=f"defect_reopened:{defect.pk}:{defect.reopen_count}")
    return defect


@transaction.atomic
def defect_bulk_triage(*, actor, project, defects, assignee=None, priority=None, open_new=True) -> int:
    """Assign and/or open many defects at once (manager). All or nothing."""
    if not actor.has_perm("defects.triage", project):
        _deny(_("Only the project manager triages defects."))
    defects = list(defects)
    if not defects:
        raise DomainError(_("Tick at least one defect."), field="defects")
    if any(d.project_id != project.pk for d in defects):
        raise DomainError(_("Every defect must belong to this project."), field="defects")
    if priority:
        _check_choice(priority, Priority, "priority", _("priority"))
    _check_assignee(project, assignee)
    if assignee is None and not priority and not open_new:
        raise DomainError(_("Choose an assignee, a priority or “open”, or all of them."), field="assignee")
    for defect in defects:
        if priority and defect.priority != priority:
            defect = defect_update(actor=actor, defect=defect, priority=priority)
        if assignee is not None and defect.status not in DONE_STATUSES:
            defect = defect_assign(actor=actor, defect=defect, assignee=assignee)
        if open_new and defect.status == Status.NEW:
            defect_transition(actor=actor, defect=defect, to=Status.OPEN, comment=_("Bulk triage"))
    return len(defects)


@transaction.atomic
def defect_comment_add(*, actor, defect, text) -> DefectComment:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write a comment first."), field="text")
    if not actor.has_perm("defects.comment", defect.project):
        _deny(_("Only members of the project can comment."))
    comment = DefectComment(defect=defect, author=actor, text=text)
    stamp(comment, actor).save()
    return comment


@transaction.atomic
def attachment_add(*, actor, defect, upload) -> DefectAttachment:
    """Attach a screenshot or log. Size and type are checked on the content, never the name."""
    if upload is None:
        raise DomainError(_("Choose a file to attach."), field="file")
    if not actor.has_perm("defects.attach", defect.project):
        _deny(_("Only members of the project can attach files."))
    content_type, name = vet_upload(
        upload, field="file", too_big=_("The file is %(size)s MB; attachments may be at most %(limit)s MB."),
        empty=_("The file is empty."))
    attachment = DefectAttachment(defect=defect, original_name=name, content_type=content_type, size=upload.size,
                                  uploaded_by=actor)
    attachment.file.save(name, upload, save=False)
    try:
        stamp(attachment, actor).save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


# ---------------------------------------------------------------- tests

def _next_case_code(project):
    count = TestCase.objects.filter(project=project).count()
    code = f"TC-{count + 1:03d}"
    while TestCase.objects.filter(project=project, code=code).exists():
        count += 1
        code = f"TC-{count + 1:03d}"
    return code


def _check_requirements(project, requirements):
    for requirement in requirements or []:
        if links.requirement_in_project(project, requirement.pk) is None:
            raise DomainError(_("Requirement %(r)s belongs to another project.") % {"r": requirement}, field="requirements")


@transaction.atomic
def case_create(*, actor, project, title, steps, expected_result, kind=CycleKind.FUNCTIONAL, requirements=None,
                code="") -> TestCase:
    if not actor.has_perm("defects.manage_tests", project):
        _deny(_("Only testers and managers write test cases."))
    for name, value, message in (("title", title, _("Give the test case a title.")),
                                 ("steps", steps, _("Write the steps of the test.")),
                                 ("expected_result", expected_result, _("Write the expected result."))):
        if not (value or "").strip():
            raise DomainError(message, field=name)
    _check_choice(kind, CycleKind, "kind", _("kind"))
    _check_requirements(project, requirements)
    code = (code or "").strip() or _next_case_code(project)
    if TestCase.objects.filter(project=project, code=code).exists():
        raise DomainError(_("Another test case already has the code %(code)s.") % {"code": code}, field="code")
    case = TestCase(project=project, code=code, title=title.strip(), steps=steps, expected_result=expected_result,
                    kind=kind)
    stamp(case, actor).save()
    if requirements:
        case.requirements.set(requirements)
    # Cycles still to run pick the new case up.
    for cycle in TestCycle.objects.filter(project=project).exclude(status=CycleStatus.DONE):
        TestResult.objects.create(cycle=cycle, case=case)
    return case


@transaction.atomic
def cycle_create(*, actor, project, name, planned_start, planned_end, kind=CycleKind.FUNCTIONAL,
                 status=CycleStatus.PLANNED, cases=None) -> TestCycle:
    """A cycle runs every test case of the project unless `cases` narrows it."""
    if not actor.has_perm("defects.manage_tests", project):
        _deny(_("Only testers and managers plan test cycles."))
    if not (name or "").strip():
        raise DomainError(_("Give the test cycle a name."), field="name")
    _check_choice(kind, CycleKind, "kind", _("kind"))
    _check_choice(status, CycleStatus, "status", _("status"))
    if planned_start and planned_end and planned_end < planned_start:
        raise DomainError(_("The cycle must end on or after its start date."), field="planned_end")
    cycle = TestCycle(project=project, name=name.strip(), kind=kind, planned_start=planned_start,
                      planned_end=planned_end, status=status)
    stamp(cycle, actor).save()
    cases = list(cases) if cases is not None else list(TestCase.objects.filter(project=project))
    if any(c.project_id != project.pk for c in cases):
        raise DomainError(_("Every test case must belong to this project."), field="cases")
    TestResult.objects.bulk_create([TestResult(cycle=cycle, case=c) for c in cases])
    return cycle


@transaction.atomic
def cycle_update(*, actor, cycle, **changes) -> TestCycle:
    allowed = {"name", "kind", "planned_start", "planned_end", "status"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if not actor.has_perm("defects.manage_tests", cycle.project):
        _deny(_("Only testers and managers change test cycles."))
    if "status" in changes:
        _check_choice(changes["status"], CycleStatus, "status", _("status"))
    if "kind" in changes:
        _check_choice(changes["kind"], CycleKind, "kind", _("kind"))
    for field, value in changes.items():
        setattr(cycle, field, value)
    if cycle.planned_end < cycle.planned_start:
        raise DomainError(_("The cycle must end on or after its start date."), field="planned_end")
    stamp(cycle, actor).save(update_fields=list(changes) or None)
    return cycle


@transaction.atomic
def result_record(*, actor, result, status, note="") -> TestResult:
    """Record the outcome of a case in a cycle; the first result starts a planned cycle."""
    cycle = result.cycle
    if not actor.has_perm("defects.manage_tests", cycle.project):
        _deny(_("Only testers and managers record test results."))
    _check_choice(status, ResultStatus, "status", _("result"))
    if cycle.status == CycleStatus.DONE:
        raise DomainError(_("This cycle is done; reopen it (status running) to record more results."),
                          field="status")
    if status in (ResultStatus.FAILED, ResultStatus.BLOCKED) and not (note or "").strip() \
            and not result.defects.exists():
        raise DomainError(_("Say what failed or what blocks the test in the note."), field="note")
    result = TestResult.objects.select_for_update().get(pk=result.pk)
    result.status, result.note = status, (note or "").strip()
    result.executed_by = actor if status != ResultStatus.NOT_RUN else None
    result.executed_at = timezone.now() if status != ResultStatus.NOT_RUN else None
    stamp(result, actor).save(update_fields=["status", "note", "executed_by", "executed_at"])
    if cycle.status == CycleStatus.PLANNED and status != ResultStatus.NOT_RUN:
        cycle.status = CycleStatus.RUNNING
        stamp(cycle, actor).save(update_fields=["status"])
    return result


def prefill_from_result(result):
    """Initial report fields for a defect filed from a failed test result."""
    case = result.case
    first_req = case.requirements.first() if links.requirement_model() else None
    return {
        "title": _("%(code)s fails: %(title)s") % {"code": case.code, "title": case.title},
        "steps": case.steps,
        "expected_result": case.expected_result,
        "actual_result": result.note,
        "category": {CycleKind.PERFORMANCE: Category.PERFORMANCE,
                     CycleKind.SECURITY: Category.SECURITY}.get(case.kind, Category.FUNCTIONAL),
        "found_in": FoundIn.TESTING,
        "cycle": result.cycle,
        "requirement": first_req,
        "environment": result.cycle.name,
    }
