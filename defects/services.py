"""Every write of the defects app: test cycles, cases and results; filing defects, their workflow,
assignment, comments, attachments and SLA settings."""

from datetime import timedelta
from decimal import Decimal

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
from projects.import_limits import check_rows
from projects.models import Project
from projects.people import display_name
from projects.uploads import vet_upload

from . import imports, links
from .models import (
    DEFAULT_SLA,
    DONE_STATUSES,
    FINDING_SLA_DAYS,
    Category,
    CycleKind,
    CycleScope,
    CycleStatus,
    Defect,
    DefectAttachment,
    DefectComment,
    DefectSettings,
    DefectTransition,
    FindingSeverity,
    FindingStatus,
    FoundIn,
    PerfResult,
    PerfRun,
    PerfTarget,
    PerfTool,
    Priority,
    RejectReason,
    ResultStatus,
    SecurityFinding,
    Severity,
    SlaPolicy,
    Status,
    TestCase,
    TestCycle,
    TestResult,
    TriageBy,
)
from .reminders import ACCEPTANCE_MESSAGE, ASSIGNED_MESSAGE, REOPENED_MESSAGE
from .rules import triage_by

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


# Moves that undo work or end it without a fix: never the pre-selected choice, and confirmed first.
BACKWARD = (Status.REJECTED, Status.REOPENED)


def next_step(defect):
    """Who acts next on `defect` and what they do, for the line on its page: (text, done)."""
    assignee = display_name(defect.assignee) if defect.assignee_id else None
    status = Status(defect.status)
    testers_triage = triage_by(defect.project) == TriageBy.MANAGERS_TESTERS
    if status == Status.NEW:
        if testers_triage:
            return _("Next: a tester or a project manager triages it (opens it for work and assigns it, "
                     "or rejects it)."), False
        return _("Next: a project manager triages it (opens it for work and assigns it, or rejects it)."), False
    if status in (Status.OPEN, Status.REOPENED):
        if assignee:
            return _("Next: %(who)s starts work on it.") % {"who": assignee}, False
        if testers_triage:
            return _("Next: a tester or a project manager assigns it to a developer, who then starts work."), False
        return _("Next: a project manager assigns it to a developer, who then starts work."), False
    if status == Status.IN_PROGRESS:
        return _("Next: %(who)s marks it fixed.") % {"who": assignee or _("the assignee")}, False
    if status == Status.FIXED:
        return _("Next: a tester re-tests the fix and marks it verified, or reopens it."), False
    if status == Status.VERIFIED:
        return _("Next: a tester closes it."), False
    return _("Nothing more to do: the defect is %(status)s.") % {"status": status.label.lower()}, True


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


def triage_denied_message(project):
    if triage_by(project) == TriageBy.MANAGERS_TESTERS:
        return _("Only testers and project managers triage and assign defects in this project.")
    return _("Only the project manager triages and assigns defects in this project.")


@transaction.atomic
def defect_settings_set(*, actor, project, triage_by) -> DefectSettings:
    """Choose who may triage the project's new defects (managers only, or managers and testers)."""
    if not actor.has_perm("defects.configure_sla", project):
        _deny(_("Only the project manager changes the defect settings."))
    _check_choice(triage_by, TriageBy, "triage_by", _("who may triage"))
    settings_row = DefectSettings.objects.select_for_update().filter(project=project).first() \
        or DefectSettings(project=project)
    if settings_row.pk is None or settings_row.triage_by != triage_by:
        settings_row.triage_by = triage_by
        stamp(settings_row, actor).save()
    project._defect_triage_by = triage_by
    return settings_row


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
        message=ASSIGNED_MESSAGE(key=defect.key, title=defect.title, severity=defect.severity),
        dedupe_key=f"defect_assigned:{defect.pk}:{defect.assignee_id}:{timezone.now():%Y%m%d%H%M%S%f}",
        due_at=defect.fix_due_at,
    )


# ---------------------------------------------------------------- defects

@transaction.atomic
def defect_file(
    *, actor, project, title, severity, category, steps, expected_result, actual_result, environment="",
    priority=Priority.MEDIUM, requirement=None, assignee=None, found_in=None, cycle=None, test_result=None,
    customers_affected=None, branches_affected=None, incident_started_at=None, resolved_at=None, attachments=(),
) -> Defect:
    """File a defect: the actor is the reporter and it starts as `new` with SLA deadlines set.

    `attachments` (uploaded files) are vetted before anything is saved: one bad file and nothing is filed."""
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
    vetted = _vet_attachments(attachments)

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
    _store_attachments(defect, vetted, actor)
    _notify_assignee(defect, actor)
    return defect


MAX_FILING_ATTACHMENTS = 10


def _vet(upload, field):
    """(content type, safe name) of one upload, or a DomainError that names the file."""
    try:
        return vet_upload(
            upload, field=field, too_big=_("The file is %(size)s MB; attachments may be at most %(limit)s MB."),
            empty=_("The file is empty."))
    except DomainError as exc:
        name = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1]
        if name and name not in str(exc.message):
            raise DomainError(_("“%(name)s”: %(problem)s") % {"name": name, "problem": exc.message},
                              field=field) from exc
        raise


def _vet_attachments(uploads):
    uploads = [u for u in (uploads or ()) if u is not None]
    if len(uploads) > MAX_FILING_ATTACHMENTS:
        raise DomainError(_("Attach at most %(n)d files when filing; add more on the defect page afterwards.")
                          % {"n": MAX_FILING_ATTACHMENTS}, field="attachments")
    return [(upload, *_vet(upload, "attachments")) for upload in uploads]


def _store_attachments(defect, vetted, actor):
    """Store vetted uploads; if one fails, the files already written are removed (the rows roll back)."""
    stored = []
    try:
        for upload, content_type, name in vetted:
            attachment = DefectAttachment(defect=defect, original_name=name, content_type=content_type,
                                          size=upload.size, uploaded_by=actor)
            attachment.file.save(name, upload, save=False)
            stored.append(attachment)
            stamp(attachment, actor).save()
    except Exception:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise


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
        _deny(triage_denied_message(defect.project))
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
            "defects.triage": triage_denied_message(project),
            "defects.reject": _("Only testers and managers may reject a defect."),
            "defects.verify": _("Only testers and managers may verify, close or reopen a defect."),
            "defects.work": _("Only the assigned developer may move this defect to %(to)s.") % {
                "to": Status(to).label},
        }[rule])
    if rule == "defects.work" and not has_role(actor, project) and defect.assignee_id != actor.pk:
        _deny(_("This defect is assigned to %(who)s; only they (or a manager) may move it to %(to)s.")
              % {"who": display_name(defect.assignee) if defect.assignee else _("nobody"),
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
               message=REOPENED_MESSAGE(key=defect.key, title=defect.title, comment=comment),
               dedupe_key=f"defect_reopened:{defect.pk}:{defect.reopen_count}")
    return defect


@transaction.atomic
def defect_bulk_triage(*, actor, project, defects, assignee=None, priority=None, open_new=True) -> int:
    """Assign and/or open many defects at once (manager). All or nothing."""
    if not actor.has_perm("defects.triage", project):
        _deny(triage_denied_message(project))
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
    content_type, name = _vet(upload, "file")
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

CASE_PREFIX = "TC-"


def _case_numbers(project):
    """The highest nnn of the project's TC-nnn codes (codes typed by hand may be anything)."""
    highest = 0
    for code in TestCase.objects.filter(project=project, code__startswith=CASE_PREFIX).values_list("code", flat=True):
        tail = code[len(CASE_PREFIX):]
        if tail.isdigit():
            highest = max(highest, int(tail))
    return highest


def _next_case_code(project):
    return f"{CASE_PREFIX}{_case_numbers(project) + 1:03d}"


def _check_requirements(project, requirements):
    for requirement in requirements or []:
        if links.requirement_in_project(project, requirement.pk) is None:
            raise DomainError(_("Requirement %(r)s belongs to another project.") % {"r": requirement}, field="requirements")


MAX_TAGS, TAG_LENGTH = 20, 40


def clean_tags(tags):
    """Tags as typed ("regression, 柜面 smoke" or a list): trimmed, without repeats, in the order given."""
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = tags.replace("，", ",").replace(",", " ").split()
    if not isinstance(tags, (list, tuple)):
        raise DomainError(_("Give the tags as a list of words."), field="tags")
    result = []
    for tag in tags:
        tag = str(tag).strip()
        if not tag:
            continue
        if len(tag) > TAG_LENGTH:
            raise DomainError(_("A tag may have at most %(n)s characters: “%(tag)s”.") % {"n": TAG_LENGTH, "tag": tag},
                              field="tags")
        if tag not in result:
            result.append(tag)
    if len(result) > MAX_TAGS:
        raise DomainError(_("A test case may have at most %(n)s tags.") % {"n": MAX_TAGS}, field="tags")
    return result


def _check_case_text(fields):
    for name, message in (("title", _("Give the test case a title.")), ("steps", _("Write the steps of the test.")),
                          ("expected_result", _("Write the expected result."))):
        if name in fields and not (fields[name] or "").strip():
            raise DomainError(message, field=name)


def _join_open_cycles(case):
    """An active case joins the project's cycles that run every case and are not done yet."""
    have = set(TestResult.objects.filter(case=case).values_list("cycle_id", flat=True))
    TestResult.objects.bulk_create([
        TestResult(cycle=cycle, case=case)
        for cycle in TestCycle.objects.filter(project=case.project_id, scope=CycleScope.ALL)
        .exclude(status=CycleStatus.DONE) if cycle.pk not in have])


@transaction.atomic
def case_create(*, actor, project, title, steps, expected_result, kind=CycleKind.FUNCTIONAL, requirements=None,
                code="", tags=None, active=True, automation_key="") -> TestCase:
    if not actor.has_perm("defects.manage_tests", project):
        _deny(_("Only testers and managers write test cases."))
    _check_case_text({"title": title, "steps": steps, "expected_result": expected_result})
    _check_choice(kind, CycleKind, "kind", _("kind"))
    _check_requirements(project, requirements)
    tags = clean_tags(tags)
    code = (code or "").strip() or _next_case_code(project)
    if TestCase.objects.filter(project=project, code=code).exists():
        raise DomainError(_("Another test case already has the code %(code)s.") % {"code": code}, field="code")
    automation_key = (automation_key or "").strip()
    if automation_key and TestCase.objects.filter(project=project, automation_key=automation_key).exists():
        raise DomainError(_("Another test case is already the automated test %(key)s.") % {"key": automation_key},
                          field="automation_key")
    case = TestCase(project=project, code=code, title=title.strip(), steps=steps, expected_result=expected_result,
                    kind=kind, tags=tags, active=bool(active), automation_key=automation_key)
    stamp(case, actor).save()
    if requirements:
        case.requirements.set(requirements)
    if case.active:
        _join_open_cycles(case)  # cycles that run every case pick the new one up
    return case


CASE_FIELDS = {"title", "steps", "expected_result", "kind", "requirements", "tags", "active", "automation_key"}


@transaction.atomic
def case_update(*, actor, case, **changes) -> TestCase:
    """Edit a test case, re-link its requirements, or retire it (active=False) / bring it back.

    A retired case keeps its results in the cycles that ran it; it leaves the cycles still to run
    where nobody has run it yet, and joins no new cycle."""
    unknown = set(changes) - CASE_FIELDS
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    project = case.project
    if not actor.has_perm("defects.manage_tests", project):
        _deny(_("Only testers and managers edit test cases."))
    _check_case_text(changes)
    if "kind" in changes:
        _check_choice(changes["kind"], CycleKind, "kind", _("kind"))
    requirements = changes.pop("requirements", None)
    if requirements is not None:
        requirements = list(requirements)
        _check_requirements(project, requirements)
    if "tags" in changes:
        changes["tags"] = clean_tags(changes["tags"])
    if "automation_key" in changes:
        changes["automation_key"] = (changes["automation_key"] or "").strip()
        if changes["automation_key"] and TestCase.objects.filter(
                project=project, automation_key=changes["automation_key"]).exclude(pk=case.pk).exists():
            raise DomainError(_("Another test case is already the automated test %(key)s.")
                              % {"key": changes["automation_key"]}, field="automation_key")
    case = TestCase.objects.select_for_update().select_related("project").get(pk=case.pk)
    was_active = case.active
    for name in ("title",):
        if name in changes:
            changes[name] = changes[name].strip()
    if "active" in changes:
        changes["active"] = bool(changes["active"])
    fields = [f for f, v in changes.items() if getattr(case, f) != v]
    for f in fields:
        setattr(case, f, changes[f])
    if fields:
        stamp(case, actor).save(update_fields=fields)
    if requirements is not None:
        case.requirements.set(requirements)
    if was_active and not case.active:
        TestResult.objects.filter(case=case, status=ResultStatus.NOT_RUN).exclude(
            cycle__status=CycleStatus.DONE).delete()
    elif case.active and not was_active:
        _join_open_cycles(case)
    return case


def _scoped_cases(project, *, cases, requirements, departments, tags):
    """The cycle's cases: those chosen by hand, plus the active cases of the chosen requirements, of
    the requirements of the chosen departments and with one of the chosen tags."""
    given = [c.pk for c in cases or []]
    chosen = {c.pk: c for c in TestCase.objects.filter(pk__in=given)}  # as saved, not as the caller holds them
    if len(chosen) != len(set(given)) or any(c.project_id != project.pk for c in chosen.values()):
        raise DomainError(_("Every test case must belong to this project."), field="cases")
    retired = sorted(c.code for c in chosen.values() if not c.active)
    if retired:
        raise DomainError(_("Retired test cases cannot join a new cycle: %(codes)s.") % {"codes": ", ".join(retired)},
                          field="cases")
    active = TestCase.objects.filter(project=project, active=True)
    if requirements:
        _check_requirements(project, requirements)
        chosen.update((c.pk, c) for c in active.filter(requirements__in=list(requirements)).distinct())
    if departments:
        if any(d.project_id != project.pk for d in departments):
            raise DomainError(_("Every department must belong to this project."), field="departments")
        chosen.update((c.pk, c) for c in active.filter(requirements__department__in=list(departments)).distinct())
    wanted = set(clean_tags(tags))
    if wanted:
        chosen.update((c.pk, c) for c in active if wanted.intersection(c.tags or []))
    return sorted(chosen.values(), key=lambda c: c.code)


@transaction.atomic
def cycle_create(*, actor, project, name, planned_start, planned_end, kind=CycleKind.FUNCTIONAL,
                 status=CycleStatus.PLANNED, cases=None, requirements=None, departments=None,
                 tags=None) -> TestCycle:
    """A cycle runs every active test case of the project, unless a selection (cases by hand, by
    requirement, department or tag) scopes it: then it runs exactly those."""
    if not actor.has_perm("defects.manage_tests", project):
        _deny(_("Only testers and managers plan test cycles."))
    if not (name or "").strip():
        raise DomainError(_("Give the test cycle a name."), field="name")
    _check_choice(kind, CycleKind, "kind", _("kind"))
    _check_choice(status, CycleStatus, "status", _("status"))
    if planned_start and planned_end and planned_end < planned_start:
        raise DomainError(_("The cycle must end on or after its start date."), field="planned_end")
    scoped = any(x is not None and len(x) for x in (cases, requirements, departments, tags))
    if scoped:
        selected = _scoped_cases(project, cases=cases, requirements=requirements, departments=departments,
                                 tags=tags if not isinstance(tags, str) else clean_tags(tags))
        if not selected:
            raise DomainError(_("The selection has no active test cases; choose other requirements, departments, "
                                "tags or cases."), field="cases")
    else:
        selected = list(TestCase.objects.filter(project=project, active=True))
    cycle = TestCycle(project=project, name=name.strip(), kind=kind, planned_start=planned_start,
                      planned_end=planned_end, status=status,
                      scope=CycleScope.SELECTION if scoped else CycleScope.ALL)
    stamp(cycle, actor).save()
    TestResult.objects.bulk_create([TestResult(cycle=cycle, case=c) for c in selected])
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
    if status in (ResultStatus.FAILED, ResultStatus.BLOCKED, ResultStatus.ERROR) and not (note or "").strip() \
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


# ---------------------------------------------------------------- imports (CI, load tests, scans)

def _read_upload(upload, *, field="file"):
    """The bytes of an uploaded report, refused when missing, empty or over the upload limit."""
    from django.conf import settings

    if upload is None:
        raise DomainError(_("Choose the file to import."), field=field)
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise DomainError(_("The file is %(size)s MB; imports may be at most %(limit)s MB.")
                          % {"size": round(upload.size / 1048576, 1), "limit": round(limit / 1048576, 1)}, field=field)
    if upload.size == 0:
        raise DomainError(_("The file is empty."), field=field)
    upload.seek(0)
    return upload.read()


def _parsed(parser, data, field="file"):
    try:
        return parser(data)
    except imports.ImportRefused as exc:
        raise DomainError(exc.message, field=field, extra={"row": exc.row} if exc.row else None) from exc


@transaction.atomic
def junit_import(*, actor, cycle, upload) -> dict:
    """Record a CI run's JUnit XML in a cycle: each testcase is matched to the project's test case by
    `classname.name` (created when new), its outcome recorded (failure → failed, error → error,
    skipped → skipped; never passed), the failure text kept as the note. A `requirement` property
    links the case. Importing the same file again updates the results and creates nothing."""
    from simple_history.utils import bulk_create_with_history, bulk_update_with_history

    project = cycle.project
    if not actor.has_perm("defects.manage_tests", project):
        _deny(_("Only testers and managers import test results."))
    _lock_numbering(project)  # new cases take TC-nnn codes and automation keys: one import at a time per project
    cycle = TestCycle.objects.select_for_update().select_related("project").get(pk=cycle.pk)
    if cycle.status == CycleStatus.DONE:
        raise DomainError(_("This cycle is done; reopen it (status running) to import more results."), field="file")
    rows = _parsed(imports.parse_junit, _read_upload(upload))
    check_rows(len(rows))
    keys = [r.key for r in rows]
    by_key = {c.automation_key: c for c in TestCase.objects.filter(project=project, automation_key__in=keys)}
    kind = cycle.kind if cycle.kind in (CycleKind.FUNCTIONAL, CycleKind.REGRESSION) else CycleKind.FUNCTIONAL
    number = _case_numbers(project)
    new_cases = []
    for row in rows:
        if row.key in by_key:
            continue
        number += 1
        new_cases.append(TestCase(
            project=project, code=f"{CASE_PREFIX}{number:03d}", title=row.name[:300], kind=kind,
            steps=_("Automated test %(key)s, run by CI.") % {"key": row.key},
            expected_result=_("The automated test passes."), automation_key=row.key))
    if new_cases:
        for case in bulk_create_with_history(new_cases, TestCase, default_user=actor, batch_size=500):
            by_key[case.automation_key] = case
        if not all(c.pk for c in by_key.values()):  # a backend that does not return ids from bulk inserts
            by_key = {c.automation_key: c for c in TestCase.objects.filter(project=project, automation_key__in=keys)}
    # Requirement links named by the report (added, never removed: people may have linked more).
    codes = {code for r in rows for code in r.requirement_codes}
    unknown = []
    if codes:
        reqs = links.requirements_of(project)
        found = {r.code: r for r in reqs.filter(code__in=codes)} if reqs is not None else {}
        unknown = sorted(codes - set(found))
        through = TestCase.requirements.through
        have = set(through.objects.filter(testcase__in=list(by_key.values())).values_list("testcase_id",
                                                                                          "requirement_id"))
        through.objects.bulk_create([
            through(testcase_id=by_key[r.key].pk, requirement_id=found[code].pk)
            for r in rows for code in sorted(set(r.requirement_codes)) if code in found
            and (by_key[r.key].pk, found[code].pk) not in have], ignore_conflicts=True)
    # Results: the imported cases join this cycle if they were not in it yet.
    existing = {r.case_id: r for r in TestResult.objects.filter(cycle=cycle, case__in=list(by_key.values()))}
    missing = [TestResult(cycle=cycle, case=by_key[r.key]) for r in rows if by_key[r.key].pk not in existing]
    if missing:
        for result in bulk_create_with_history(missing, TestResult, default_user=actor, batch_size=500):
            existing[result.case_id] = result
        if not all(r.pk for r in existing.values()):
            existing = {r.case_id: r for r in TestResult.objects.filter(cycle=cycle,
                                                                        case__in=list(by_key.values()))}
    now = timezone.now()
    changed = []
    counts = {s: 0 for s in (ResultStatus.PASSED, ResultStatus.FAILED, ResultStatus.ERROR, ResultStatus.SKIPPED)}
    for row in rows:
        result = existing[by_key[row.key].pk]
        counts[row.status] += 1
        result.status, result.note = row.status, row.note
        result.executed_by, result.executed_at = actor, now
        changed.append(result)
    bulk_update_with_history(changed, TestResult, ["status", "note", "executed_by", "executed_at"],
                             default_user=actor, batch_size=500)
    if cycle.status == CycleStatus.PLANNED:
        cycle.status = CycleStatus.RUNNING
        stamp(cycle, actor).save(update_fields=["status"])
    return {"cases_created": len(new_cases), "passed": counts[ResultStatus.PASSED],
            "failed": counts[ResultStatus.FAILED], "error": counts[ResultStatus.ERROR],
            "skipped": counts[ResultStatus.SKIPPED], "unknown_requirements": unknown}


# ---------------------------------------------------------------- performance

def _check_target_values(p95_ms, min_tps, max_error_rate):
    if p95_ms is not None and (not isinstance(p95_ms, int) or isinstance(p95_ms, bool) or p95_ms <= 0):
        raise DomainError(_("Give the 95th percentile as whole milliseconds above zero."), field="p95_ms")
    if min_tps is not None and not (0 < float(min_tps) <= 1_000_000):
        raise DomainError(_("The minimum throughput must be above zero (requests per second)."), field="min_tps")
    if max_error_rate is not None and not (0 <= float(max_error_rate) <= 100):
        raise DomainError(_("The maximum error rate is a percentage from 0 to 100."), field="max_error_rate")


@transaction.atomic
def perf_target_create(*, actor, project, transaction_name, p95_ms, max_error_rate=1.0, min_tps=None,
                       requirement=None) -> PerfTarget:
    if not actor.has_perm("defects.manage_tests", project):
        _deny(_("Only testers and managers set performance targets."))
    name = (transaction_name or "").strip()
    if not name:
        raise DomainError(_("Name the transaction (the label, request name or tag the load tool reports)."),
                          field="transaction")
    _check_target_values(p95_ms, min_tps, max_error_rate)
    _check_links(project, requirement=requirement)
    if PerfTarget.objects.filter(project=project, transaction=name).exists():
        raise DomainError(_("“%(name)s” already has a target; change that one.") % {"name": name}, field="transaction")
    target = PerfTarget(project=project, transaction=name, p95_ms=p95_ms, min_tps=min_tps,
                        max_error_rate=max_error_rate if max_error_rate is not None else 1.0, requirement=requirement)
    stamp(target, actor).save()
    return target


@transaction.atomic
def perf_target_update(*, actor, target, **changes) -> PerfTarget:
    allowed = {"transaction", "p95_ms", "min_tps", "max_error_rate", "requirement"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    project = target.project
    if not actor.has_perm("defects.manage_tests", project):
        _deny(_("Only testers and managers change performance targets."))
    _check_target_values(changes.get("p95_ms"), changes.get("min_tps"), changes.get("max_error_rate"))
    if "requirement" in changes:
        _check_links(project, requirement=changes["requirement"])
    if "transaction" in changes:
        changes["transaction"] = (changes["transaction"] or "").strip()
        if not changes["transaction"]:
            raise DomainError(_("Name the transaction (the label, request name or tag the load tool reports)."),
                              field="transaction")
        if PerfTarget.objects.filter(project=project, transaction=changes["transaction"]).exclude(
                pk=target.pk).exists():
            raise DomainError(_("“%(name)s” already has a target; change that one.")
                              % {"name": changes["transaction"]}, field="transaction")
    if "max_error_rate" in changes and changes["max_error_rate"] is None:
        raise DomainError(_("The maximum error rate is a percentage from 0 to 100."), field="max_error_rate")
    target = PerfTarget.objects.select_for_update().get(pk=target.pk)
    for name, value in changes.items():
        setattr(target, name, value)
    stamp(target, actor).save(update_fields=list(changes) or None)
    return target


@transaction.atomic
def perf_target_delete(*, actor, target) -> None:
    if not actor.has_perm("defects.manage_tests", target.project):
        _deny(_("Only testers and managers remove performance targets."))
    stamp(target, actor).delete()


@transaction.atomic
def perf_run_create(*, actor, project, name, tool, cycle=None) -> PerfRun:
    if not actor.has_perm("defects.manage_tests", project):
        _deny(_("Only testers and managers record performance runs."))
    if not (name or "").strip():
        raise DomainError(_("Give the run a name (e.g. “Peak hour, 500 users, build 2.5.1”)."), field="name")
    _check_choice(tool, PerfTool, "tool", _("tool"))
    _check_links(project, cycle=cycle)
    run = PerfRun(project=project, name=name.strip(), tool=tool, cycle=cycle, created_by=actor)
    stamp(run, actor).save()
    return run


@transaction.atomic
def perf_run_import(*, actor, run, upload) -> PerfRun:
    """Load the run's results from the tool's file (replacing what an earlier import of it loaded)."""
    project = run.project
    if not actor.has_perm("defects.manage_tests", project):
        _deny(_("Only testers and managers import performance results."))
    run = PerfRun.objects.select_for_update().select_related("project").get(pk=run.pk)
    rows = _parsed(imports.PERF_PARSERS[run.tool], _read_upload(upload))
    PerfResult.objects.filter(run=run).delete()
    PerfResult.objects.bulk_create([
        PerfResult(run=run, transaction=r.transaction, samples=r.samples, p95_ms=r.p95_ms, tps=r.tps,
                   error_rate=r.error_rate) for r in rows])
    run.file_name = (getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1][:255]
    run.imported_at, run.imported_by = timezone.now(), actor
    stamp(run, actor).save(update_fields=["file_name", "imported_at", "imported_by"])
    return run


# ---------------------------------------------------------------- security findings

# The workflow of a finding: from → {to: rule}. Risk acceptance has its own two-person path.
FINDING_TRANSITIONS = {
    FindingStatus.OPEN: {FindingStatus.FIXED: "defects.fix_finding", FindingStatus.FALSE_POSITIVE: "defects.verify"},
    FindingStatus.FIXED: {FindingStatus.VERIFIED: "defects.verify", FindingStatus.OPEN: "defects.verify"},
    FindingStatus.VERIFIED: {FindingStatus.OPEN: "defects.verify"},
    FindingStatus.FALSE_POSITIVE: {FindingStatus.OPEN: "defects.verify"},
    FindingStatus.RISK_ACCEPTED: {FindingStatus.OPEN: "defects.fix_finding"},
}
# Going back to open, and calling it a false positive, must say why.
FINDING_NEEDS_COMMENT = {FindingStatus.OPEN, FindingStatus.FALSE_POSITIVE}
MAX_ACCEPTANCE_DAYS = 365


def cvss_score(vector):
    """The CVSS base score of a v3.x or v4.0 vector (Red Hat's `cvss` library), or None for no vector."""
    from cvss import CVSS3, CVSS4
    from cvss.exceptions import CVSSError

    vector = (vector or "").strip()
    if not vector:
        return None
    try:
        if vector.startswith("CVSS:4.0/"):
            return Decimal(str(CVSS4(vector).base_score))
        if vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
            return Decimal(str(CVSS3(vector).scores()[0]))
    except CVSSError as exc:
        raise DomainError(_("The CVSS vector is not valid: %(error)s") % {"error": exc}, field="cvss_vector") from exc
    raise DomainError(_("Give a CVSS 3.1 or 4.0 vector, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H."),
                      field="cvss_vector")


def _finding_due(severity, start):
    days = FINDING_SLA_DAYS.get(FindingSeverity(severity))
    return start + timedelta(days=days) if days else None


def _check_finding(fields):
    if "title" in fields and not (fields["title"] or "").strip():
        raise DomainError(_("Give the finding a title."), field="title")
    if "description" in fields and not (fields["description"] or "").strip():
        raise DomainError(_("Describe the finding: what is exposed and how it was found."), field="description")
    if "severity" in fields:
        _check_choice(fields["severity"], FindingSeverity, "severity", _("severity"))
    cwe = fields.get("cwe")
    if cwe is not None and (not isinstance(cwe, int) or isinstance(cwe, bool) or not 0 < cwe < 100_000):
        raise DomainError(_("The CWE is a number such as 89 (SQL injection) or 79 (cross-site scripting)."),
                          field="cwe")


def _lock_numbering(project):
    list(Project.objects.select_for_update().filter(pk=project.pk).values_list("pk"))


@transaction.atomic
def finding_create(*, actor, project, title, severity, description, cwe=None, cvss_vector="", component="",
                   location="", solution="") -> SecurityFinding:
    if not actor.has_perm("defects.record_finding", project):
        _deny(_("Only testers and managers record security findings."))
    _check_finding({"title": title, "severity": severity, "description": description, "cwe": cwe})
    score = cvss_score(cvss_vector)
    _lock_numbering(project)
    number = (SecurityFinding.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1
    finding = SecurityFinding(
        project=project, number=number, title=title.strip(), severity=severity, description=description.strip(),
        cwe=cwe, cvss_vector=(cvss_vector or "").strip(), cvss_score=score, component=(component or "").strip(),
        location=(location or "").strip(), solution=(solution or "").strip(), reported_by=actor,
        due_date=_finding_due(severity, timezone.localdate()))
    stamp(finding, actor).save()
    return finding


FINDING_FIELDS = {"title", "severity", "cwe", "cvss_vector", "component", "location", "description", "solution"}


@transaction.atomic
def finding_update(*, actor, finding, **changes) -> SecurityFinding:
    unknown = set(changes) - FINDING_FIELDS
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if not actor.has_perm("defects.record_finding", finding.project):
        _deny(_("Only testers and managers edit security findings."))
    _check_finding(changes)
    finding = SecurityFinding.objects.select_for_update().select_related("project").get(pk=finding.pk)
    fields = list(changes)
    if "cvss_vector" in changes:
        changes["cvss_vector"] = (changes["cvss_vector"] or "").strip()
        finding.cvss_score = cvss_score(changes["cvss_vector"])
        fields.append("cvss_score")
    for name, value in changes.items():
        setattr(finding, name, value.strip() if isinstance(value, str) else value)
    if "severity" in changes:
        finding.due_date = _finding_due(finding.severity, timezone.localtime(finding.created_at).date())
        fields.append("due_date")
    stamp(finding, actor).save(update_fields=fields + ["updated_at"])
    return finding


def finding_allowed_next(finding, user):
    return [to for to, rule in FINDING_TRANSITIONS.get(FindingStatus(finding.status), {}).items()
            if user.has_perm(rule, finding.project)]


@transaction.atomic
def finding_transition(*, actor, finding, to, comment="") -> SecurityFinding:
    """open → fixed → verified; a failed re-test, a false positive or an ended acceptance goes back to open.
    Accepting the risk is `finding_request_acceptance` + `finding_approve_acceptance`."""
    finding = SecurityFinding.objects.select_for_update(of=("self",)).select_related("project").get(pk=finding.pk)
    if to == FindingStatus.RISK_ACCEPTED:
        raise DomainError(_("Accepting a risk needs a reason, an expiry date and a second person's approval: ask "
                            "for acceptance instead."), field="to")
    _check_choice(to, FindingStatus, "to", _("status"))
    allowed = FINDING_TRANSITIONS[FindingStatus(finding.status)]
    if to not in allowed:
        raise DomainError(_("A %(from)s finding cannot move to %(to)s. Allowed next states: %(allowed)s.")
                          % {"from": finding.get_status_display(), "to": FindingStatus(to).label,
                             "allowed": ", ".join(allowed) or "—"}, field="to", extra={"allowed": list(allowed)})
    if not actor.has_perm(allowed[to], finding.project):
        _deny({"defects.fix_finding": _("Only developers, ops, testers and managers mark findings fixed or reopen "
                                        "an accepted risk."),
               "defects.verify": _("Only testers and managers verify findings, reopen them or call them false "
                                   "positives.")}[allowed[to]])
    comment = (comment or "").strip()
    if to in FINDING_NEEDS_COMMENT and not comment:
        raise DomainError(_("Say why (what still fails, or why it is not a real issue)."), field="comment")
    now = timezone.now()
    fields = ["status", "status_note", "updated_at"]
    if to == FindingStatus.FIXED:
        finding.fixed_at = now
        fields.append("fixed_at")
    elif to == FindingStatus.VERIFIED:
        finding.verified_at = now
        fields.append("verified_at")
    elif to == FindingStatus.OPEN:
        finding.fixed_at = finding.verified_at = None
        finding.risk_reason, finding.risk_expires_on = "", None
        finding.risk_requested_by = finding.risk_approved_by = None
        finding.risk_requested_at = finding.risk_approved_at = None
        fields += ["fixed_at", "verified_at", "risk_reason", "risk_expires_on", "risk_requested_by",
                   "risk_approved_by", "risk_requested_at", "risk_approved_at"]
    finding.status, finding.status_note = to, comment
    stamp(finding, actor).save(update_fields=fields)
    return finding


@transaction.atomic
def finding_request_acceptance(*, actor, finding, reason, expires_on) -> SecurityFinding:
    """Ask for the risk of an open finding to be accepted until `expires_on`; a second person approves."""
    finding = SecurityFinding.objects.select_for_update(of=("self",)).select_related("project").get(pk=finding.pk)
    if not actor.has_perm("defects.fix_finding", finding.project):
        _deny(_("Only developers, ops, testers and managers may ask for a risk to be accepted."))
    if finding.status != FindingStatus.OPEN:
        raise DomainError(_("Only an open finding's risk can be accepted; this one is %(status)s.")
                          % {"status": finding.get_status_display()}, field="reason")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the risk can be accepted (compensating controls, who is exposed)."),
                          field="reason")
    today = timezone.localdate()
    if expires_on is None or expires_on <= today:
        raise DomainError(_("Give the date the acceptance ends; it must be in the future."), field="expires_on")
    if expires_on > today + timedelta(days=MAX_ACCEPTANCE_DAYS):
        raise DomainError(_("A risk may be accepted for at most %(n)s days; review it again then.")
                          % {"n": MAX_ACCEPTANCE_DAYS}, field="expires_on")
    finding.risk_reason, finding.risk_expires_on = reason, expires_on
    finding.risk_requested_by, finding.risk_requested_at = actor, timezone.now()
    finding.risk_approved_by = finding.risk_approved_at = None
    stamp(finding, actor).save(update_fields=["risk_reason", "risk_expires_on", "risk_requested_by",
                                              "risk_requested_at", "risk_approved_by", "risk_approved_at",
                                              "updated_at"])
    for manager in _managers(finding.project):
        if manager.pk != actor.pk:
            notify(recipient=manager, kind="finding_acceptance_requested", project=finding.project, subject=finding,
                   url=reverse("defects:finding", args=[finding.project_id, finding.pk]),
                   message=ACCEPTANCE_MESSAGE(who=display_name(actor), key=finding.key, title=finding.title,
                                              until=expires_on.isoformat()),
                   dedupe_key=f"finding_acceptance:{finding.pk}:{finding.risk_requested_at:%Y%m%d%H%M%S%f}:{manager.pk}")
    return finding


def _managers(project):
    return User.objects.filter(memberships__project=project, memberships__role="manager", is_active=True).distinct()


@transaction.atomic
def finding_approve_acceptance(*, actor, finding) -> SecurityFinding:
    """A manager other than the one who asked approves: the finding becomes `risk_accepted` until the date."""
    finding = SecurityFinding.objects.select_for_update(of=("self",)).select_related("project").get(pk=finding.pk)
    if not actor.has_perm("defects.accept_risk", finding.project):
        _deny(_("Only the project manager approves accepting a risk."))
    if finding.status != FindingStatus.OPEN or finding.risk_requested_by_id is None:
        raise DomainError(_("Nobody has asked for this finding's risk to be accepted."), field="approve")
    if finding.risk_requested_by_id == actor.pk:
        raise DomainError(_("You asked for this acceptance; a second person must approve it."), field="approve")
    if finding.risk_expires_on <= timezone.localdate():
        raise DomainError(_("The acceptance asked for has already expired; ask again with a new date."),
                          field="approve")
    finding.status = FindingStatus.RISK_ACCEPTED
    finding.risk_approved_by, finding.risk_approved_at = actor, timezone.now()
    finding.status_note = finding.risk_reason
    stamp(finding, actor).save(update_fields=["status", "status_note", "risk_approved_by", "risk_approved_at",
                                              "updated_at"])
    return finding


@transaction.atomic
def finding_decline_acceptance(*, actor, finding, comment="") -> SecurityFinding:
    """Turn a pending acceptance down (a manager) or withdraw it (who asked). The finding stays open."""
    finding = SecurityFinding.objects.select_for_update(of=("self",)).select_related("project").get(pk=finding.pk)
    if not finding.acceptance_pending:
        raise DomainError(_("Nobody has asked for this finding's risk to be accepted."), field="comment")
    if not (actor.has_perm("defects.accept_risk", finding.project) or finding.risk_requested_by_id == actor.pk):
        _deny(_("Only the project manager, or who asked, may turn an acceptance down."))
    finding.risk_reason, finding.risk_expires_on = "", None
    finding.risk_requested_by, finding.risk_requested_at = None, None
    finding.status_note = (comment or "").strip()
    stamp(finding, actor).save(update_fields=["risk_reason", "risk_expires_on", "risk_requested_by",
                                              "risk_requested_at", "status_note", "updated_at"])
    return finding


FINDING_TO_DEFECT_SEVERITY = {FindingSeverity.CRITICAL: Severity.CRITICAL, FindingSeverity.HIGH: Severity.MAJOR,
                              FindingSeverity.MEDIUM: Severity.MINOR, FindingSeverity.LOW: Severity.TRIVIAL,
                              FindingSeverity.INFO: Severity.TRIVIAL}


@transaction.atomic
def finding_to_defect(*, actor, finding, assignee=None) -> Defect:
    """File a security defect for the developers from a finding (once); the finding links to it."""
    finding = SecurityFinding.objects.select_for_update(of=("self",)).select_related("project").get(pk=finding.pk)
    if finding.defect_id:
        raise DomainError(_("This finding is already %(key)s.") % {"key": finding.defect.key}, field="defect")
    if finding.status not in (FindingStatus.OPEN,):
        raise DomainError(_("Only an open finding needs a defect; this one is %(status)s.")
                          % {"status": finding.get_status_display()}, field="defect")
    where = finding.location or finding.component or "—"
    defect = defect_file(
        actor=actor, project=finding.project, title=f"{finding.key} {finding.title}"[:300],
        severity=FINDING_TO_DEFECT_SEVERITY[FindingSeverity(finding.severity)], category=Category.SECURITY,
        environment=finding.component[:300], assignee=assignee,
        steps=_("Found by %(source)s at %(where)s.") % {"source": finding.get_source_display(), "where": where}
        + (f"\nCWE-{finding.cwe}" if finding.cwe else "") + (f"\n{finding.cvss_vector}" if finding.cvss_vector else ""),
        expected_result=finding.solution or _("The weakness is not present."), actual_result=finding.description,
        found_in=FoundIn.HYPERCARE if finding.project.phase in ("hypercare", "closed") else FoundIn.TESTING)
    finding.defect = defect
    stamp(finding, actor).save(update_fields=["defect", "updated_at"])
    return defect


@transaction.atomic
def findings_import(*, actor, project, tool, upload) -> dict:
    """Load a ZAP or bandit report. A finding seen before (same tool, same fingerprint) is updated, not
    duplicated; one that was fixed or verified and is reported again goes back to open."""
    if not actor.has_perm("defects.record_finding", project):
        _deny(_("Only testers and managers import security scans."))
    if tool not in imports.FINDING_PARSERS:
        raise DomainError(_("Choose the tool that wrote the file: %(tools)s.")
                          % {"tools": ", ".join(imports.FINDING_PARSERS)}, field="tool")
    rows = _parsed(imports.FINDING_PARSERS[tool], _read_upload(upload))
    check_rows(len(rows))
    _lock_numbering(project)
    known = {f.fingerprint: f for f in SecurityFinding.objects.filter(
        project=project, fingerprint__in=[r.fingerprint for r in rows])}
    number = SecurityFinding.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0
    now, today = timezone.now(), timezone.localdate()
    created = updated = reopened = 0
    for row in rows:
        finding = known.get(row.fingerprint)
        if finding is None:
            number += 1
            finding = SecurityFinding(
                project=project, number=number, fingerprint=row.fingerprint, source=tool, title=row.title,
                severity=row.severity, description=row.description, cwe=row.cwe, component=row.component,
                location=row.location, solution=row.solution, reported_by=actor, import_count=1, last_seen_at=now,
                due_date=_finding_due(row.severity, today),
                status=FindingStatus.FALSE_POSITIVE if row.false_positive else FindingStatus.OPEN,
                status_note=_("The scanner rated it a false positive.") if row.false_positive else "")
            stamp(finding, actor).save()
            known[row.fingerprint] = finding
            created += 1
            continue
        fields = ["import_count", "last_seen_at", "location", "updated_at"]
        finding.import_count += 1
        finding.last_seen_at, finding.location = now, row.location
        if finding.status in (FindingStatus.FIXED, FindingStatus.VERIFIED):
            finding.status = FindingStatus.OPEN
            finding.status_note = _("Reported again by the %(tool)s scan of %(date)s.") % {
                "tool": finding.get_source_display(), "date": today.isoformat()}
            finding.fixed_at = finding.verified_at = None
            fields += ["status", "status_note", "fixed_at", "verified_at"]
            reopened += 1
        else:
            updated += 1
        stamp(finding, actor).save(update_fields=fields)
    return {"created": created, "updated": updated, "reopened": reopened, "total": len(rows)}


# ----- project from a template (projects.hooks.clone_part) ---------------------------------------

def slas_copy(source, target, actor) -> int:
    """Clone part: the SLA hours per severity (the severities without a row keep the defaults)."""
    n = 0
    for policy in SlaPolicy.objects.filter(project=source):
        stamp(SlaPolicy(project=target, severity=policy.severity, triage_hours=policy.triage_hours,
                        fix_hours=policy.fix_hours), actor).save()
        n += 1
    return n


def slas_count(source) -> int:
    return SlaPolicy.objects.filter(project=source).count()
