"""Every write of the cutover area: work items, runbooks and steps, runs and their steps,
reconciliation checks and the contingency plan."""

from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from notifications.services import broadcast, notify
from projects.access import roles_of
from projects.audit import stamp
from projects.errors import DomainError, check_fields
from projects.models import Membership, Phase, Role
from projects.people import display_name
from projects.selectors import on_call
from projects.uploads import TEXT_EXTENSIONS, vet_upload

from .forecast import find_cycle
from .models import (
    ENVCHECK_CHECKED,
    ENVCHECK_NEEDS_REASON,
    FINISHED_STEP,
    ISSUE_TRANSITIONS,
    Category,
    CheckStatus,
    ContingencyPlan,
    ContingencyScenario,
    CutoverIssue,
    Decision,
    Drill,
    DrillOutcome,
    EnvCategory,
    EnvCheck,
    EnvCheckStatus,
    EnvEvidence,
    EventKind,
    IssueSeverity,
    IssueStatus,
    MigrationCheck,
    MigrationEntity,
    PlanStatus,
    Run,
    Runbook,
    RunbookKind,
    RunKind,
    RunStatus,
    RunStep,
    RunStepStatus,
    Step,
    TimelineEvent,
    WorkItem,
    WorkItemStatus,
)
from .reminders import (
    ISSUE_NEW,
    ISSUE_REOPENED,
    ISSUE_RESOLVED,
    ISSUE_SEV1,
    ISSUE_YOURS,
    RUN_UPDATE,
    STEP_FAILED,
    STEP_READY,
    run_label,
)
from .selectors import run_window_opens_at

User = get_user_model()


def _require(actor, rule, obj, message=None):
    if actor is not None and not actor.has_perm(rule, obj):
        raise PermissionDenied(message or _("You do not have permission to do this in this project."))


def _check_member(project, user, field="owner"):
    if user is not None and not Membership.objects.filter(project=project, user=user).exists():
        raise DomainError(_("%(user)s is not a member of this project.") % {"user": display_name(user)}, field=field)


def _text(value, field, message):
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    return value


# ---------------------------------------------------------------- work items

WORKITEM_FIELDS = {"title", "phase", "owner", "due_at"}


@transaction.atomic
def workitem_create(*, actor, project, title, phase=Phase.PREPARATION, owner=None, due_at=None) -> WorkItem:
    title = _text(title, "title", _("Give the work item a title."))
    if phase not in Phase.values:
        raise DomainError(_("Unknown phase “%(p)s”.") % {"p": phase}, field="phase")
    _check_member(project, owner)
    item = WorkItem(project=project, title=title, phase=phase, owner=owner, due_at=due_at)
    stamp(item, actor).save()
    return item


@transaction.atomic
def workitem_update(*, actor, item, **changes) -> WorkItem:
    check_fields(changes, allowed=WORKITEM_FIELDS)
    item = WorkItem.objects.select_for_update().get(pk=item.pk)
    if "title" in changes:
        changes["title"] = _text(changes["title"], "title", _("Give the work item a title."))
    if "phase" in changes and changes["phase"] not in Phase.values:
        raise DomainError(_("Unknown phase “%(p)s”.") % {"p": changes["phase"]}, field="phase")
    if "owner" in changes:
        _check_member(item.project, changes["owner"])
    if not changes:  # nothing to write, and no empty entry in the history
        return item
    for key, value in changes.items():
        setattr(item, key, value)
    stamp(item, actor).save(update_fields=list(changes))
    return item


@transaction.atomic
def workitem_set_status(*, actor, item, status, reason="") -> WorkItem:
    if status not in WorkItemStatus.values:
        raise DomainError(_("Unknown status “%(s)s”.") % {"s": status}, field="status")
    item = WorkItem.objects.select_for_update().get(pk=item.pk)
    reason = (reason or "").strip()
    if status == WorkItemStatus.BLOCKED and not reason:
        raise DomainError(_("Say what blocks this item, so someone can unblock it."), field="blocked_reason")
    item.status = status
    item.blocked_reason = reason if status == WorkItemStatus.BLOCKED else ""
    item.done_at = timezone.now() if status == WorkItemStatus.DONE else None
    stamp(item, actor).save(update_fields=["status", "blocked_reason", "done_at"])
    return item


@transaction.atomic
def workitem_delete(*, actor, item):
    stamp(item, actor).delete()


# ---------------------------------------------------------------- runbooks and steps

@transaction.atomic
def runbook_create(*, actor, project, name, description="", kind=RunbookKind.CUTOVER) -> Runbook:
    name = _text(name, "name", _("Give the runbook a name."))
    if kind not in RunbookKind.values:
        raise DomainError(_("Unknown runbook kind “%(k)s”.") % {"k": kind}, field="kind")
    if Runbook.objects.filter(project=project, name=name).exists():
        raise DomainError(_("This project already has a runbook called “%(name)s”.") % {"name": name}, field="name")
    runbook = Runbook(project=project, name=name, description=description or "", kind=kind)
    stamp(runbook, actor).save()
    return runbook


@transaction.atomic
def runbook_update(*, actor, runbook, **changes) -> Runbook:
    check_fields(changes, allowed={"name", "description", "kind"})
    if "name" in changes:
        changes["name"] = _text(changes["name"], "name", _("Give the runbook a name."))
        if Runbook.objects.filter(project=runbook.project_id, name=changes["name"]).exclude(pk=runbook.pk).exists():
            raise DomainError(_("This project already has a runbook called “%(name)s”.") % {"name": changes["name"]},
                              field="name")
    for key, value in changes.items():
        setattr(runbook, key, value)
    stamp(runbook, actor).save(update_fields=list(changes) or None)
    return runbook


def _dependency_graph(runbook):
    graph = {pk: [] for pk in runbook.steps.values_list("pk", flat=True)}
    for from_id, to_id in Step.depends_on.through.objects.filter(from_step__runbook=runbook).values_list(
            "from_step_id", "to_step_id"):
        graph[from_id].append(to_id)
    return graph


def _check_dependencies(*, runbook, step_id, dependencies):
    """Dependencies must be other steps of the same runbook and must not close a cycle."""
    for dep in dependencies:
        if dep.runbook_id != runbook.pk:
            raise DomainError(_("“%(title)s” belongs to another runbook.") % {"title": dep.title}, field="depends_on")
        if step_id is not None and dep.pk == step_id:
            raise DomainError(_("A step cannot depend on itself."), field="depends_on")
    if step_id is None:
        return  # a new step has no dependents yet, so it cannot close a cycle
    graph = _dependency_graph(runbook)
    graph[step_id] = [d.pk for d in dependencies]
    cycle = find_cycle(graph)
    if cycle:
        titles = dict(runbook.steps.filter(pk__in=cycle).values_list("pk", "title"))
        raise DomainError(
            _("This would create a cycle: %(cycle)s. A step cannot wait, directly or indirectly, for itself.")
            % {"cycle": " → ".join(f"“{titles[pk]}”" for pk in cycle)},
            field="depends_on", extra={"cycle": cycle},
        )


def _check_step_fields(*, title, category, planned_minutes):
    title = _text(title, "title", _("Give the step a title."))
    if category not in Category.values:
        raise DomainError(_("Unknown category “%(c)s”. Choose one of: %(all)s.")
                          % {"c": category, "all": ", ".join(Category.values)}, field="category")
    try:
        planned_minutes = int(planned_minutes)
    except (TypeError, ValueError):
        raise DomainError(_("Planned minutes must be a whole number."), field="planned_minutes") from None
    if planned_minutes < 0 or planned_minutes > 7 * 24 * 60:
        raise DomainError(_("Planned minutes must be between 0 and one week."), field="planned_minutes")
    return title, planned_minutes


STEP_FIELDS = {"title", "description", "category", "owner", "planned_minutes", "checkpoint", "point_of_no_return",
               "rollback_instructions", "order"}


@transaction.atomic
def step_create(*, actor, runbook, title, category=Category.DEPLOYMENT, planned_minutes=10, owner=None,
                depends_on=(), description="", checkpoint=False, point_of_no_return=False,
                rollback_instructions="", order=None) -> Step:
    Runbook.objects.select_for_update().get(pk=runbook.pk)  # one dependency edit at a time per runbook
    title, planned_minutes = _check_step_fields(title=title, category=category, planned_minutes=planned_minutes)
    _check_member(runbook.project, owner)
    depends_on = list(depends_on or [])
    _check_dependencies(runbook=runbook, step_id=None, dependencies=depends_on)
    if order is None:
        order = (runbook.steps.aggregate(m=Max("order"))["m"] or 0) + 10
    step = Step(runbook=runbook, title=title, category=category, planned_minutes=planned_minutes, owner=owner,
                description=description or "", checkpoint=checkpoint, point_of_no_return=point_of_no_return,
                rollback_instructions=rollback_instructions or "", order=order)
    stamp(step, actor).save()
    if depends_on:
        step.depends_on.set(depends_on)
    return step


@transaction.atomic
def step_update(*, actor, step, depends_on=None, **changes) -> Step:
    check_fields(changes, allowed=STEP_FIELDS)
    runbook = Runbook.objects.select_for_update().get(pk=step.runbook_id)
    step = Step.objects.get(pk=step.pk)
    title, minutes = _check_step_fields(title=changes.get("title", step.title),
                                        category=changes.get("category", step.category),
                                        planned_minutes=changes.get("planned_minutes", step.planned_minutes))
    if "title" in changes:
        changes["title"] = title
    if "planned_minutes" in changes:
        changes["planned_minutes"] = minutes
    if "owner" in changes:
        _check_member(runbook.project, changes["owner"])
    if depends_on is not None:
        depends_on = list(depends_on)
        _check_dependencies(runbook=runbook, step_id=step.pk, dependencies=depends_on)
    for key, value in changes.items():
        setattr(step, key, value)
    stamp(step, actor).save(update_fields=list(changes) or None)
    if depends_on is not None:
        step.depends_on.set(depends_on)
    return step


@transaction.atomic
def step_delete(*, actor, step):
    step.depends_on.clear()
    step.dependents.clear()
    stamp(step, actor).delete()


@transaction.atomic
def step_move(*, actor, step, direction) -> Step:
    """Swap a step with its neighbour above ("up") or below ("down") and renumber the runbook."""
    Runbook.objects.select_for_update().get(pk=step.runbook_id)
    steps = list(Step.objects.filter(runbook_id=step.runbook_id).order_by("order", "id"))
    index = next(i for i, s in enumerate(steps) if s.pk == step.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(steps):
        steps[index], steps[other] = steps[other], steps[index]
    for position, s in enumerate(steps, start=1):
        if s.order != position * 10:
            s.order = position * 10
            stamp(s, actor).save(update_fields=["order"])
    return next(s for s in steps if s.pk == step.pk)


def rehearsal_durations(*, runbook, before_run=None) -> dict:
    """{runbook step id: [actual minutes in each finished rehearsal step]} — one query."""
    qs = RunStep.objects.filter(run__runbook=runbook, run__kind=RunKind.REHEARSAL, status=RunStepStatus.DONE,
                                actual_start__isnull=False, actual_end__isnull=False)
    if before_run is not None:
        qs = qs.filter(run__created_at__lt=before_run.created_at).exclude(run=before_run)
    out = defaultdict(list)
    for source, start, end in qs.values_list("source_step_id", "actual_start", "actual_end"):
        out[source].append((end - start).total_seconds() / 60)
    return out


@transaction.atomic
def steps_adopt_rehearsal_median(*, actor, runbook, step_ids=None) -> int:
    """Set the planned minutes of steps to the median of their rehearsal durations. Returns how many changed."""
    from statistics import median

    durations = rehearsal_durations(runbook=runbook)
    steps = runbook.steps.all() if step_ids is None else runbook.steps.filter(pk__in=step_ids)
    changed = 0
    for step in steps.select_for_update():
        values = durations.get(step.pk)
        if not values:
            continue
        minutes = max(1, round(median(values)))
        if minutes != step.planned_minutes:
            step.planned_minutes = minutes
            stamp(step, actor).save(update_fields=["planned_minutes"])
            changed += 1
    return changed


@transaction.atomic
def steps_import(*, actor, runbook, rows) -> list:
    """Add steps from spreadsheet rows ({row, title, category, owner, minutes, depends_on}); all or nothing.

    `depends_on` names steps by title, separated by ";" — earlier rows of the file or steps already in
    the runbook. Any bad row raises a DomainError listing every row's problem; nothing is saved."""
    Runbook.objects.select_for_update().get(pk=runbook.pk)
    errors = []
    existing = {s.title.strip().lower(): s for s in runbook.steps.all()}
    members = {u.username.lower(): u for u in User.objects.filter(memberships__project=runbook.project).distinct()}
    category_by_label = {str(label).lower(): value for value, label in Category.choices}
    category_by_label.update({value: value for value in Category.values})
    seen = {}
    parsed = []
    for row in rows:
        number = row.get("row")
        problems = []
        title = str(row.get("title") or "").strip()
        if not title:
            problems.append(_("the title is empty"))
        elif title.lower() in existing or title.lower() in seen:
            problems.append(_("a step called “%(t)s” exists already") % {"t": title})
        raw_category = str(row.get("category") or "").strip().lower().replace(" ", "_")
        category = category_by_label.get(raw_category) or category_by_label.get(raw_category.replace("_", " "))
        if category is None:
            problems.append(_("unknown category “%(c)s” (use one of: %(all)s)")
                            % {"c": row.get("category") or "", "all": ", ".join(Category.values)})
        owner = None
        raw_owner = str(row.get("owner") or "").strip()
        if raw_owner:
            owner = members.get(raw_owner.lower())
            if owner is None:
                problems.append(_("owner “%(o)s” is not a member of this project") % {"o": raw_owner})
        minutes = row.get("minutes")
        try:
            minutes = int(float(minutes))
            if minutes < 0 or minutes > 7 * 24 * 60:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(_("minutes must be a whole number between 0 and 10080, not “%(m)s”")
                            % {"m": "" if row.get("minutes") is None else row.get("minutes")})
        deps = []
        for name in [d.strip() for d in str(row.get("depends_on") or "").replace("\n", ";").split(";") if d.strip()]:
            key = name.lower()
            if key in seen:
                deps.append(("new", seen[key]))
            elif key in existing:
                deps.append(("old", existing[key]))
            else:
                problems.append(_("depends on “%(d)s”, which is neither an earlier row nor a step of this runbook")
                                % {"d": name})
        if title:
            seen[title.lower()] = len(parsed)
        if problems:
            errors.append({"row": number, "message": "; ".join(problems)})
        parsed.append({"title": title, "category": category, "owner": owner, "minutes": minutes, "deps": deps})
    if not rows:
        raise DomainError(_("The sheet has no step rows."), field="file")
    if errors:
        raise DomainError(
            _("Nothing was imported: %(n)d row(s) need fixing.") % {"n": len(errors)}, field="file",
            extra={"errors": errors},
        )
    created = []
    order = (runbook.steps.aggregate(m=Max("order"))["m"] or 0)
    for data in parsed:
        order += 10
        step = Step(runbook=runbook, title=data["title"], category=data["category"], owner=data["owner"],
                    planned_minutes=data["minutes"], order=order)
        stamp(step, actor).save()
        created.append(step)
    for step, data in zip(created, parsed, strict=True):
        deps = [created[ref] if kind == "new" else ref for kind, ref in data["deps"]]
        if deps:
            step.depends_on.set(deps)
    return created


# ---------------------------------------------------------------- runs

@transaction.atomic
def run_create(*, actor, runbook, kind=RunKind.REHEARSAL, planned_start=None) -> Run:
    """Snapshot the runbook into a new run. Production runs use the project's cutover window."""
    if kind not in RunKind.values:
        raise DomainError(_("Kind must be “rehearsal” or “production”."), field="kind")
    runbook = Runbook.objects.select_for_update().select_related("project").get(pk=runbook.pk)
    project = runbook.project
    steps = list(runbook.steps.prefetch_related("depends_on").order_by("order", "id"))
    if not steps:
        raise DomainError(_("Add steps to “%(name)s” before creating a run.") % {"name": runbook.name},
                          field="runbook")
    window = project.window_end - project.window_start
    if kind == RunKind.PRODUCTION:
        if Run.objects.filter(runbook__project=project, kind=RunKind.PRODUCTION).exclude(
                status=RunStatus.FINISHED).exists():
            raise DomainError(_("This project already has a production run that has not finished."), field="kind")
        planned_start = planned_start or project.window_start
        window_end = project.window_end if planned_start == project.window_start else planned_start + window
    else:
        planned_start = planned_start or timezone.now().replace(second=0, microsecond=0)
        window_end = planned_start + window
    number = (Run.objects.filter(runbook=runbook, kind=kind).aggregate(m=Max("number"))["m"] or 0) + 1
    run = Run(project=project, runbook=runbook, kind=kind, number=number, planned_start=planned_start,
              window_end=window_end)
    stamp(run, actor).save()
    RunStep.objects.bulk_create([
        RunStep(run=run, source_step_id=s.pk, order=s.order, title=s.title, description=s.description,
                category=s.category, owner_id=s.owner_id, planned_minutes=s.planned_minutes,
                depends_on=sorted(d.pk for d in s.depends_on.all()), checkpoint=s.checkpoint,
                point_of_no_return=s.point_of_no_return, rollback_instructions=s.rollback_instructions,
                status=RunStepStatus.PENDING if s.depends_on.all() else RunStepStatus.READY)
        for s in steps
    ])
    return run


def _lock(run_step):
    """Lock the run, then the step: every action on a run is serialised on the run's row."""
    run = Run.objects.select_for_update().select_related("project").get(pk=run_step.run_id)
    step = RunStep.objects.select_for_update().get(pk=run_step.pk)
    step.run = run
    return run, step


def _board_url(run):
    return reverse("tasks:run", args=[run.project_id, run.pk])


def _release_dependents(*, run, now, notify_owners=True):
    """Mark pending steps whose dependencies all finished as ready and tell their owners at once."""
    steps = list(RunStep.objects.select_for_update(of=("self",)).filter(run=run).select_related("owner"))
    finished = {s.source_step_id for s in steps if s.status in FINISHED_STEP}
    released = []
    for s in steps:
        if s.status == RunStepStatus.PENDING and all(d in finished for d in s.depends_on):
            s.status = RunStepStatus.READY
            s.save(update_fields=["status"])
            released.append(s)
            if s.owner_id and notify_owners:
                notify(recipient=s.owner, kind="runstep_ready", project=run.project, subject=s,
                       url=_board_url(run), dedupe_key=f"runstep_ready:{s.pk}",
                       message=STEP_READY(run=run_label(run), step=s.title))
    if steps and all(s.status in FINISHED_STEP for s in steps):
        run.status = RunStatus.FINISHED
        run.finished_at = max((s.actual_end for s in steps if s.actual_end), default=now)
        run.save(update_fields=["status", "finished_at"])
        _record_rollback_drill(run=run, steps=steps)
    return released


def _timeline(*, run, kind, at, actor=None, run_step=None, issue=None, text=""):
    return TimelineEvent.objects.create(run=run, kind=kind, at=at, run_step=run_step, issue=issue, text=text or "",
                                        actor=actor if getattr(actor, "is_authenticated", False) else None)


def _titles(run, ids):
    titles = dict(RunStep.objects.filter(run=run, source_step_id__in=ids).values_list("source_step_id", "title"))
    return ", ".join(f"“{titles.get(i, i)}”" for i in ids)


def _check_window_open(*, run, now):
    """The real cutover starts when its window opens, never earlier: one click 36 days ahead would
    otherwise start the production run, and its board would forecast against the wrong night.
    Rehearsals start whenever the team is ready."""
    opens_at = run_window_opens_at(run=run)
    if opens_at is not None and now < opens_at:
        raise DomainError(
            _("The production cutover window opens on %(when)s; steps of %(run)s can start from then. "
              "To practise before that, create a rehearsal run.")
            % {"when": date_format(timezone.localtime(opens_at), "Y-m-d H:i"), "run": run.label},
            field="status", code="conflict", extra={"window_opens_at": opens_at.isoformat()},
        )


@transaction.atomic
def runstep_start(*, actor, run_step, now=None) -> RunStep:
    """Start a ready (or retry a failed) step; the first start of a run starts the run."""
    run, step = _lock(run_step)
    _require(actor, "tasks.execute_step", step, _("Only the step's owner, ops engineers and managers may start it."))
    now = now or timezone.now()
    _check_window_open(run=run, now=now)
    if step.status not in (RunStepStatus.READY, RunStepStatus.FAILED):
        if step.status == RunStepStatus.PENDING:
            waiting = list(RunStep.objects.filter(run=run, source_step_id__in=step.depends_on).exclude(
                status__in=FINISHED_STEP).values_list("source_step_id", flat=True))
            raise DomainError(_("This step waits for %(steps)s to finish.") % {"steps": _titles(run, waiting)},
                              field="status", code="conflict")
        raise DomainError(_("Only a ready step can be started; this one is %(status)s.")
                          % {"status": step.get_status_display().lower()}, field="status", code="conflict")
    step.status = RunStepStatus.RUNNING
    step.actual_start = now
    step.actual_end = None
    step.started_by = actor
    step.attempts += 1
    stamp(step, actor).save(update_fields=["status", "actual_start", "actual_end", "started_by", "attempts"])
    _timeline(run=run, kind=EventKind.STEP_STARTED, at=now, actor=actor, run_step=step,
              text=_("attempt %(n)d") % {"n": step.attempts} if step.attempts > 1 else "")
    if run.status == RunStatus.PLANNED:
        run.status = RunStatus.RUNNING
        run.started_at = now
        stamp(run, actor).save(update_fields=["status", "started_at"])
    return step


@transaction.atomic
def runstep_complete(*, actor, run_step, note="", decision="", now=None, notify_owners=True) -> RunStep:
    run, step = _lock(run_step)
    _require(actor, "tasks.execute_step", step, _("Only the step's owner, ops engineers and managers may complete it."))
    now = now or timezone.now()
    if step.status != RunStepStatus.RUNNING:
        raise DomainError(_("Only a running step can be completed; this one is %(status)s. Start it first.")
                          % {"status": step.get_status_display().lower()}, field="status", code="conflict")
    note = (note or "").strip()
    if step.checkpoint:
        _require(actor, "tasks.decide", step, _("Only the project manager may decide go or no-go at a checkpoint."))
        if decision not in Decision.values:
            raise DomainError(_("A checkpoint needs the manager's decision: go or no-go."), field="decision")
        if not note:
            raise DomainError(_("Explain the go/no-go decision in a comment."), field="note")
        step.decision = decision
        if decision == Decision.NO_GO:
            return _fail(run=run, step=step, actor=actor, note=note, now=now)
    step.status = RunStepStatus.DONE
    step.actual_end = now
    step.finished_by = actor
    if note:
        step.notes = note
    stamp(step, actor).save(update_fields=["status", "actual_end", "finished_by", "notes", "decision"])
    _timeline(run=run, kind=EventKind.STEP_DONE, at=now, actor=actor, run_step=step, text=note)
    _release_dependents(run=run, now=now, notify_owners=notify_owners)
    return step


def _fail(*, run, step, actor, note, now):
    step.status = RunStepStatus.FAILED
    step.actual_end = now
    step.finished_by = actor
    step.notes = note
    stamp(step, actor).save(update_fields=["status", "actual_end", "finished_by", "notes", "decision"])
    run.flagged_at = now
    run.flag_note = _("“%(step)s” failed: %(note)s") % {"step": step.title, "note": note}
    stamp(run, actor).save(update_fields=["flagged_at", "flag_note"])
    _timeline(run=run, kind=EventKind.STEP_FAILED, at=now, actor=actor, run_step=step, text=note)
    broadcast(project=run.project, kind="runstep_failed", url=_board_url(run),
              dedupe_key=f"runstep_failed:{step.pk}:{step.attempts}",
              message=STEP_FAILED(run=run_label(run), step=step.title, note=note))
    managers = User.objects.filter(memberships__project=run.project, memberships__role=Role.MANAGER).distinct()
    for manager in managers:
        notify(recipient=manager, kind="runstep_failed", project=run.project, subject=step, url=_board_url(run),
               dedupe_key=f"runstep_failed:{step.pk}:{step.attempts}",
               message=STEP_FAILED(run=run_label(run), step=step.title, note=note))
    return step


@transaction.atomic
def runstep_fail(*, actor, run_step, note, now=None) -> RunStep:
    run, step = _lock(run_step)
    _require(actor, "tasks.execute_step", step, _("Only the step's owner, ops engineers and managers may fail it."))
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Say what went wrong: a failed step needs a note."), field="note")
    if step.status != RunStepStatus.RUNNING:
        raise DomainError(_("Only a running step can fail; this one is %(status)s.")
                          % {"status": step.get_status_display().lower()}, field="status", code="conflict")
    return _fail(run=run, step=step, actor=actor, note=note, now=now or timezone.now())


@transaction.atomic
def runstep_skip(*, actor, run_step, reason, now=None) -> RunStep:
    run, step = _lock(run_step)
    _require(actor, "tasks.skip_step", step, _("Only the project manager may skip a step."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for skipping this step."), field="note")
    if step.status in (RunStepStatus.DONE, RunStepStatus.SKIPPED, RunStepStatus.RUNNING):
        raise DomainError(_("A step that is %(status)s cannot be skipped.")
                          % {"status": step.get_status_display().lower()}, field="status", code="conflict")
    now = now or timezone.now()
    step.status = RunStepStatus.SKIPPED
    step.actual_end = now
    step.finished_by = actor
    step.notes = reason
    stamp(step, actor).save(update_fields=["status", "actual_end", "finished_by", "notes"])
    _timeline(run=run, kind=EventKind.STEP_SKIPPED, at=now, actor=actor, run_step=step, text=reason)
    _release_dependents(run=run, now=now)
    return step


# ---------------------------------------------------------------- reconciliation

def _decimal(value, field):
    try:
        value = Decimal(str(value))
    except Exception:  # noqa: BLE001 - any unparsable amount
        raise DomainError(_("Enter an amount such as 1234.56."), field=field) from None
    if not value.is_finite():
        raise DomainError(_("Enter an amount such as 1234.56."), field=field)
    return value.quantize(Decimal("0.01"))


def check_status(*, source_count, target_count, source_total, target_total, tolerance):
    ok = source_count == target_count and abs(target_total - source_total) <= tolerance
    return CheckStatus.MATCH if ok else CheckStatus.MISMATCH


STATUS_FIELDS = {"source_count", "target_count", "source_total", "target_total", "tolerance"}
CHECK_FIELDS = {"entity", "source_count", "target_count", "source_total", "target_total", "tolerance",
                "duplicates_removed", "rejected_rows"}


def _check_values(data):
    for field in ("source_count", "target_count", "duplicates_removed", "rejected_rows"):
        try:
            data[field] = int(data[field])
        except (TypeError, ValueError):
            raise DomainError(_("Counts are whole numbers of records."), field=field) from None
        if data[field] < 0:
            raise DomainError(_("Counts cannot be negative."), field=field)
    for field in ("source_total", "target_total", "tolerance"):
        data[field] = _decimal(data[field], field)
    if data["tolerance"] < 0:
        raise DomainError(_("The tolerance cannot be negative."), field="tolerance")
    data["entity"] = _text(data["entity"], "entity", _("Name the entity checked (customers, accounts…)."))
    return data


@transaction.atomic
def check_create(*, actor, run, entity, source_count, target_count, source_total=0, target_total=0,
                 tolerance=0, duplicates_removed=0, rejected_rows=0) -> MigrationCheck:
    data = _check_values({"entity": entity, "source_count": source_count, "target_count": target_count,
                          "source_total": source_total, "target_total": target_total, "tolerance": tolerance,
                          "duplicates_removed": duplicates_removed, "rejected_rows": rejected_rows})
    if MigrationCheck.objects.filter(run=run, entity=data["entity"]).exists():
        raise DomainError(_("This run already has a check of “%(e)s”.") % {"e": data["entity"]}, field="entity")
    check = MigrationCheck(project_id=run.project_id, run=run, checked_by=actor, **data)
    check.status = check_status(**{k: v for k, v in data.items() if k in STATUS_FIELDS})
    stamp(check, actor).save()
    return check


@transaction.atomic
def check_update(*, actor, check, **changes) -> MigrationCheck:
    check_fields(changes, allowed=CHECK_FIELDS)
    check = MigrationCheck.objects.select_for_update().get(pk=check.pk)
    data = _check_values({f: changes.get(f, getattr(check, f)) for f in CHECK_FIELDS})
    if MigrationCheck.objects.filter(run_id=check.run_id, entity=data["entity"]).exclude(pk=check.pk).exists():
        raise DomainError(_("This run already has a check of “%(e)s”.") % {"e": data["entity"]}, field="entity")
    for key, value in data.items():
        setattr(check, key, value)
    check.status = check_status(**{k: v for k, v in data.items() if k in STATUS_FIELDS})
    check.checked_by = actor
    stamp(check, actor).save()
    return check


@transaction.atomic
def check_confirm_backup(*, actor, check, now=None) -> MigrationCheck:
    check = MigrationCheck.objects.select_for_update().get(pk=check.pk)
    if check.backup_confirmed_at:
        raise DomainError(_("The backup was already confirmed by %(who)s.")
                          % {"who": display_name(check.backup_confirmed_by) if check.backup_confirmed_by else "—"})
    check.backup_confirmed_by = actor
    check.backup_confirmed_at = now or timezone.now()
    stamp(check, actor).save(update_fields=["backup_confirmed_by", "backup_confirmed_at"])
    return check


@transaction.atomic
def check_confirm_restore(*, actor, check, now=None) -> MigrationCheck:
    """The backup taken before this run was restored on a test system and checked (备份恢复测试)."""
    check = MigrationCheck.objects.select_for_update().get(pk=check.pk)
    if not check.backup_confirmed_at:
        raise DomainError(_("Confirm the backup first: a restore is tested from a backup that was taken."))
    if check.restore_tested_at:
        raise DomainError(_("The restore was already tested by %(who)s.")
                          % {"who": display_name(check.restore_tested_by) if check.restore_tested_by else "—"})
    check.restore_tested_by = actor
    check.restore_tested_at = now or timezone.now()
    stamp(check, actor).save(update_fields=["restore_tested_by", "restore_tested_at"])
    return check


@transaction.atomic
def check_delete(*, actor, check):
    stamp(check, actor).delete()


# ---------------------------------------------------------------- contingency plan

@transaction.atomic
def plan_save(*, actor, project, rollback_criteria, decision_owner=None, rollback_runbook=None,
              point_of_no_return_at=None) -> ContingencyPlan:
    """Create or edit the project's contingency plan. An approved plan is frozen."""
    plan = ContingencyPlan.objects.select_for_update().filter(project=project).first()
    if plan is not None and plan.status == PlanStatus.APPROVED:
        raise DomainError(_("The contingency plan was approved and is frozen; it can no longer be edited."))
    criteria = _text(rollback_criteria, "rollback_criteria", _("Write when the team switches back to the old system."))
    _check_member(project, decision_owner, field="decision_owner")
    if rollback_runbook is not None and rollback_runbook.project_id != project.pk:
        raise DomainError(_("That runbook belongs to another project."), field="rollback_runbook")
    plan = plan or ContingencyPlan(project=project)
    plan.rollback_criteria = criteria
    plan.decision_owner = decision_owner
    plan.rollback_runbook = rollback_runbook
    plan.point_of_no_return_at = point_of_no_return_at
    # Any edit needs fresh approvals: people approve what they read.
    plan.manager_approved_by = plan.business_approved_by = None
    plan.manager_approved_at = plan.business_approved_at = None
    stamp(plan, actor).save()
    return plan


@transaction.atomic
def plan_approve(*, actor, plan, as_role, now=None) -> ContingencyPlan:
    """Four eyes: the manager and a business reviewer (two different people) approve; then it is frozen."""
    plan = ContingencyPlan.objects.select_for_update().get(pk=plan.pk)
    held = roles_of(actor, plan.project_id)
    now = now or timezone.now()
    if plan.status == PlanStatus.APPROVED:
        raise DomainError(_("The contingency plan is already approved."))
    if as_role == Role.MANAGER:
        if Role.MANAGER not in held:
            raise PermissionDenied(_("Only a project manager may give the manager's approval."))
        if plan.business_approved_by_id == actor.pk:
            raise DomainError(_("You approved as business reviewer already; a second person must approve."))
        plan.manager_approved_by, plan.manager_approved_at = actor, now
    elif as_role == Role.BUSINESS:
        if Role.BUSINESS not in held:
            raise PermissionDenied(_("Only a business reviewer may give the business approval."))
        if plan.manager_approved_by_id == actor.pk:
            raise DomainError(_("You approved as manager already; a second person must approve."))
        plan.business_approved_by, plan.business_approved_at = actor, now
    else:
        raise DomainError(_("Approve as “manager” or “business”."), field="as_role")
    if plan.manager_approved_by_id and plan.business_approved_by_id:
        plan.status = PlanStatus.APPROVED
    stamp(plan, actor).save()
    return plan


# ---------------------------------------------------------------- cutover issues (the night's problem log)

ISSUE_FIELDS = {"title", "severity", "description", "owner", "step"}


def _issue_url(issue):
    return reverse("tasks:issue", args=[issue.project_id, issue.pk])


def _check_issue_fields(*, run, title, severity, owner, step):
    title = _text(title, "title", _("Say what the problem is: an issue needs a title."))
    if len(title) > 200:
        raise DomainError(_("The title can be at most 200 characters."), field="title")
    if severity not in IssueSeverity.values:
        raise DomainError(_("Severity must be one of: %(all)s (sev1 is the most severe).")
                          % {"all": ", ".join(IssueSeverity.values)}, field="severity")
    _check_member(run.project, owner)
    if step is not None and step.run_id != run.pk:
        raise DomainError(_("That step belongs to another run."), field="step")
    return title


def _tell_sev1(*, issue, run, at=None, again=""):
    """An open sev1 is everybody's business: the managers and whoever is on call now hear at once."""
    people = {u.pk: u for u in User.objects.filter(memberships__project=run.project,
                                                   memberships__role=Role.MANAGER).distinct()}
    duty = on_call(project=run.project_id, at=at)
    if duty.primary is not None:
        people.setdefault(duty.primary.pk, duty.primary)
    message = ISSUE_SEV1(run=run_label(run), title=issue.title, n=issue.number,
                         where=issue.step.title if issue.step else "")
    for person in people.values():
        notify(recipient=person, kind="cutover_issue", project=run.project, subject=issue, url=_issue_url(issue),
               dedupe_key=f"cutover_issue_sev1:{issue.pk}:{person.pk}{again}", message=message)


def _tell_owner(*, issue, run, actor):
    if issue.owner_id and issue.owner_id != getattr(actor, "pk", None):
        notify(recipient=issue.owner, kind="cutover_issue_assigned", project=run.project, subject=issue,
               url=_issue_url(issue), dedupe_key=f"cutover_issue_owner:{issue.pk}:{issue.owner_id}",
               message=ISSUE_YOURS(run=run_label(run), n=issue.number, title=issue.title, sev=issue.severity))


@transaction.atomic
def issue_file(*, actor, run, title, severity=IssueSeverity.SEV3, description="", owner=None, step=None,
               now=None) -> CutoverIssue:
    """Log a problem of a run (from the board, a step, the API). A sev1 flags the board and calls the
    managers and the person on call; every issue reaches the project's chat channels."""
    run = Run.objects.select_for_update(of=("self",)).select_related("project").get(pk=run.pk)  # numbers per run
    _require(actor, "tasks.file_issue", run.project,
             _("Ops engineers, developers, testers and managers may report cutover issues."))
    title = _check_issue_fields(run=run, title=title, severity=severity, owner=owner, step=step)
    now = now or timezone.now()
    number = (CutoverIssue.objects.filter(run=run).aggregate(m=Max("number"))["m"] or 0) + 1
    issue = CutoverIssue(project=run.project, run=run, step=step, number=number, title=title, severity=severity,
                         description=(description or "").strip(), owner=owner, opened_by=actor, opened_at=now)
    stamp(issue, actor).save()
    _timeline(run=run, kind=EventKind.ISSUE_OPENED, at=now, actor=actor, run_step=step, issue=issue,
              text=issue.description)
    if severity == IssueSeverity.SEV1:
        _tell_sev1(issue=issue, run=run, at=now)
    _tell_owner(issue=issue, run=run, actor=actor)
    broadcast(project=run.project, kind="cutover_issue", url=_issue_url(issue), dedupe_key=f"cutover_issue:{issue.pk}",
              message=ISSUE_NEW(run=run_label(run), n=number, title=title, who=display_name(actor), sev=issue.severity,
                                step=step.title if step else ""))
    return issue


@transaction.atomic
def issue_update(*, actor, issue, **changes) -> CutoverIssue:
    """Edit an issue's title, severity, description, owner or step. Raising it to sev1 calls people
    as a new sev1 would; a new owner hears that it is theirs."""
    check_fields(changes, allowed=ISSUE_FIELDS)
    issue = CutoverIssue.objects.select_for_update(of=("self",)).select_related("run", "run__project", "step").get(pk=issue.pk)
    _require(actor, "tasks.work_issue", issue, _("Ops engineers, managers and the issue's owner may change it."))
    if not issue.is_open and issue.status != IssueStatus.RESOLVED:
        raise DomainError(_("A closed issue is kept as it was; reopen it from “resolved” to change it."),
                          field="status", code="conflict")
    was_sev1, old_owner = issue.severity == IssueSeverity.SEV1, issue.owner_id
    merged = {f: changes.get(f, getattr(issue, f)) for f in ISSUE_FIELDS}
    title = _check_issue_fields(run=issue.run, title=merged["title"], severity=merged["severity"],
                                owner=merged["owner"], step=merged["step"])
    if "title" in changes:
        changes["title"] = title
    if "description" in changes:
        changes["description"] = (changes["description"] or "").strip()
    changes = {k: v for k, v in changes.items() if getattr(issue, k) != v}
    if not changes:
        return issue
    for key, value in changes.items():
        setattr(issue, key, value)
    stamp(issue, actor).save(update_fields=list(changes))
    if issue.severity == IssueSeverity.SEV1 and not was_sev1 and issue.is_open:
        _tell_sev1(issue=issue, run=issue.run)
    if issue.owner_id != old_owner:
        _tell_owner(issue=issue, run=issue.run, actor=actor)
    return issue


_TRANSITION_EVENT = {
    IssueStatus.MITIGATING: EventKind.ISSUE_MITIGATING,
    IssueStatus.RESOLVED: EventKind.ISSUE_RESOLVED,
    IssueStatus.CLOSED: EventKind.ISSUE_CLOSED,
    IssueStatus.OPEN: EventKind.ISSUE_REOPENED,
}


@transaction.atomic
def issue_transition(*, actor, issue, to, comment="", now=None) -> CutoverIssue:
    """open → mitigating → resolved → closed (open may go straight to resolved; resolved may reopen).

    Resolving needs what fixed it (the resolution; the time to resolve is measured from the report),
    reopening needs why."""
    issue = CutoverIssue.objects.select_for_update(of=("self",)).select_related("run", "run__project", "step").get(pk=issue.pk)
    _require(actor, "tasks.work_issue", issue, _("Ops engineers, managers and the issue's owner may move it on."))
    if to not in IssueStatus.values:
        raise DomainError(_("Unknown status “%(s)s”. Use one of: %(all)s.")
                          % {"s": to, "all": ", ".join(IssueStatus.values)}, field="to")
    if to not in ISSUE_TRANSITIONS[issue.status]:
        allowed = ", ".join(sorted(ISSUE_TRANSITIONS[issue.status])) or _("none: it is closed")
        raise DomainError(_("An issue that is %(from)s cannot go to %(to)s. Allowed next: %(allowed)s.")
                          % {"from": issue.get_status_display().lower(), "to": IssueStatus(to).label.lower(),
                             "allowed": allowed}, field="to", code="conflict")
    comment = (comment or "").strip()
    if to == IssueStatus.RESOLVED and not comment:
        raise DomainError(_("Say what fixed it: resolving an issue needs a comment."), field="comment")
    if to == IssueStatus.OPEN and not comment:
        raise DomainError(_("Say why the issue is back: reopening needs a comment."), field="comment")
    now = now or timezone.now()
    reopened = to == IssueStatus.OPEN
    fields = ["status"]
    issue.status = to
    if to == IssueStatus.MITIGATING:
        issue.mitigating_at = now
        fields.append("mitigating_at")
    elif to == IssueStatus.RESOLVED:
        issue.resolved_at, issue.resolution = now, comment
        fields += ["resolved_at", "resolution"]
    elif to == IssueStatus.CLOSED:
        issue.closed_at = now
        fields.append("closed_at")
    else:  # reopened: the clock runs again from the original report
        issue.resolved_at = None
        fields.append("resolved_at")
    stamp(issue, actor).save(update_fields=fields)
    run = issue.run
    _timeline(run=run, kind=_TRANSITION_EVENT[to], at=now, actor=actor, run_step=issue.step, issue=issue,
              text=comment)
    if reopened and issue.severity == IssueSeverity.SEV1:
        _tell_sev1(issue=issue, run=run, at=now, again=f":reopened:{now:%Y%m%d%H%M%S}")
    if to in (IssueStatus.RESOLVED, IssueStatus.OPEN):
        template = ISSUE_RESOLVED if to == IssueStatus.RESOLVED else ISSUE_REOPENED
        broadcast(project=run.project, kind="cutover_issue", url=_issue_url(issue),
                  dedupe_key=f"cutover_issue:{issue.pk}:{to}:{now:%Y%m%d%H%M%S%f}",
                  message=template(run=run_label(run), n=issue.number, title=issue.title, who=display_name(actor),
                                   min=issue.resolution_minutes or 0, c=comment))
    return issue


# ---------------------------------------------------------------- status updates to the war room

MAX_UPDATE = 2000


@transaction.atomic
def run_post_update(*, actor, run, text, now=None) -> TimelineEvent:
    """A status update (进展通报): on the run's timeline and in the project's chat channels."""
    run = Run.objects.select_related("project").get(pk=run.pk)
    _require(actor, "tasks.post_update", run.project, _("Ops engineers and managers post status updates."))
    text = _text(text, "text", _("Write the update: what is happening, what comes next."))
    if len(text) > MAX_UPDATE:
        raise DomainError(_("An update can be at most %(n)d characters.") % {"n": MAX_UPDATE}, field="text")
    event = _timeline(run=run, kind=EventKind.UPDATE, at=now or timezone.now(), actor=actor, text=text)
    broadcast(project=run.project, kind="cutover_update", url=_board_url(run), dedupe_key=f"cutover_update:{event.pk}",
              message=RUN_UPDATE(run=run_label(run), who=display_name(actor), text=text))
    return event


# ---------------------------------------------------------------- contingency scenarios and drills

SCENARIO_FIELDS = {"trigger", "response", "owner", "rollback_runbook"}


def _check_scenario(*, project, trigger, response, owner, rollback_runbook):
    trigger = _text(trigger, "trigger", _("Say what triggers the scenario, e.g. “core database unreachable”."))
    if len(trigger) > 300:
        raise DomainError(_("The trigger can be at most 300 characters."), field="trigger")
    response = _text(response, "response", _("Say what the team does when it happens."))
    _check_member(project, owner)
    if rollback_runbook is not None and rollback_runbook.project_id != project.pk:
        raise DomainError(_("That runbook belongs to another project."), field="rollback_runbook")
    return trigger, response


@transaction.atomic
def scenario_create(*, actor, project, trigger, response, owner=None, rollback_runbook=None) -> ContingencyScenario:
    trigger, response = _check_scenario(project=project, trigger=trigger, response=response, owner=owner,
                                        rollback_runbook=rollback_runbook)
    scenario = ContingencyScenario(project=project, trigger=trigger, response=response, owner=owner,
                                   rollback_runbook=rollback_runbook)
    stamp(scenario, actor).save()
    return scenario


@transaction.atomic
def scenario_update(*, actor, scenario, **changes) -> ContingencyScenario:
    check_fields(changes, allowed=SCENARIO_FIELDS)
    scenario = ContingencyScenario.objects.select_for_update().get(pk=scenario.pk)
    merged = {f: changes.get(f, getattr(scenario, f)) for f in SCENARIO_FIELDS}
    merged["trigger"], merged["response"] = _check_scenario(project=scenario.project, **merged)
    for key in changes:
        setattr(scenario, key, merged[key])
    stamp(scenario, actor).save(update_fields=list(changes) or None)
    return scenario


@transaction.atomic
def scenario_delete(*, actor, scenario):
    stamp(scenario, actor).delete()


DRILL_FIELDS = {"scenario", "held_at", "outcome", "notes", "run"}


def _check_drill(*, project, scenario, held_at, outcome, run):
    if scenario is None and run is None:
        raise DomainError(_("Choose the scenario that was drilled."), field="scenario")
    if scenario is not None and scenario.project_id != project.pk:
        raise DomainError(_("That scenario belongs to another project."), field="scenario")
    if held_at is None:
        raise DomainError(_("Say when the drill was held."), field="held_at")
    if outcome not in DrillOutcome.values:
        raise DomainError(_("Outcome must be one of: %(all)s.") % {"all": ", ".join(DrillOutcome.values)},
                          field="outcome")
    if run is not None and (run.project_id != project.pk or run.kind != RunKind.REHEARSAL):
        raise DomainError(_("A drill's run must be a rehearsal of this project."), field="run")


@transaction.atomic
def drill_record(*, actor, project, scenario, held_at, outcome, notes="", run=None) -> Drill:
    _check_drill(project=project, scenario=scenario, held_at=held_at, outcome=outcome, run=run)
    if run is not None and Drill.objects.filter(run=run, scenario=scenario).exists():
        raise DomainError(_("This rehearsal is recorded as a drill of that scenario already."), field="run")
    drill = Drill(project=project, scenario=scenario, held_at=held_at, outcome=outcome, notes=(notes or "").strip(),
                  run=run, recorded_by=actor)
    stamp(drill, actor).save()
    return drill


@transaction.atomic
def drill_update(*, actor, drill, **changes) -> Drill:
    check_fields(changes, allowed=DRILL_FIELDS)
    drill = Drill.objects.select_for_update().get(pk=drill.pk)
    merged = {f: changes.get(f, getattr(drill, f)) for f in ("scenario", "held_at", "outcome", "run")}
    _check_drill(project=drill.project, **merged)
    if merged["run"] is not None and Drill.objects.filter(run=merged["run"], scenario=merged["scenario"]) \
            .exclude(pk=drill.pk).exists():
        raise DomainError(_("This rehearsal already has a drill of that scenario; edit that one instead."),
                          field="scenario")
    for key, value in changes.items():
        setattr(drill, key, (value or "").strip() if key == "notes" else value)
    stamp(drill, actor).save(update_fields=list(changes) or None)
    return drill


@transaction.atomic
def drill_delete(*, actor, drill):
    stamp(drill, actor).delete()


def rollback_outcome(*, run, steps):
    """How a finished rehearsal of a rollback went: passed when every step was done at the first
    attempt inside the window; partly when it needed retries or skips or ran over."""
    clean = all(s.status == RunStepStatus.DONE and s.attempts <= 1 for s in steps)
    return DrillOutcome.PASSED if clean and run.within_window else DrillOutcome.PARTIAL


def _record_rollback_drill(*, run, steps):
    """A rehearsed rollback is a drill: one per scenario that rolls back with this runbook (or one
    without a scenario when none does). Recorded once per run, whoever finished it."""
    if run.kind != RunKind.REHEARSAL or run.runbook.kind != RunbookKind.ROLLBACK:
        return
    outcome = rollback_outcome(run=run, steps=steps)
    retried = sum(1 for s in steps if s.attempts > 1)
    skipped = sum(1 for s in steps if s.status == RunStepStatus.SKIPPED)
    notes = _("%(run)s of “%(runbook)s” finished %(when)s: %(retried)d step(s) retried, %(skipped)d skipped, "
              "%(window)s.") % {
        "run": run.label, "runbook": run.runbook.name, "when": date_format(timezone.localtime(run.finished_at),
                                                                          "Y-m-d H:i"),
        "retried": retried, "skipped": skipped,
        "window": _("inside its window") if run.within_window else _("over its window")}
    scenarios = list(ContingencyScenario.objects.filter(project=run.project, rollback_runbook=run.runbook))
    for scenario in scenarios or [None]:
        if not Drill.objects.filter(run=run, scenario=scenario).exists():
            Drill.objects.create(project=run.project, scenario=scenario, held_at=run.started_at or run.planned_start,
                                 outcome=outcome, notes=notes, run=run)


# ---------------------------------------------------------------- data-migration plan

ENTITY_FIELDS = {"name", "source", "target", "cleansing", "transformation", "deduplication", "owner", "order"}


def _check_entity(*, project, name, source, target, owner, **_rules):
    name = _text(name, "name", _("Name the entity (customers, accounts, balances…)."))
    if len(name) > 120:
        raise DomainError(_("The entity name can be at most 120 characters."), field="name")
    for field, label in (("source", _("Say where the data comes from (the old system's table or file).")),
                         ("target", _("Say where the data goes (the new system's table)."))):
        value = _text({"source": source, "target": target}[field], field, label)
        if len(value) > 300:
            raise DomainError(_("At most 300 characters."), field=field)
    _check_member(project, owner)
    return name


@transaction.atomic
def entity_create(*, actor, project, name, source, target, cleansing="", transformation="", deduplication="",
                  owner=None, order=0) -> MigrationEntity:
    """Add an entity to the data-migration plan (ops and managers)."""
    _require(actor, "tasks.edit", project)
    name = _check_entity(project=project, name=name, source=source, target=target, owner=owner)
    if MigrationEntity.objects.filter(project=project, name=name).exists():
        raise DomainError(_("The plan has an entity “%(e)s” already.") % {"e": name}, field="name")
    entity = MigrationEntity(project=project, name=name, source=source.strip(), target=target.strip(),
                             cleansing=(cleansing or "").strip(), transformation=(transformation or "").strip(),
                             deduplication=(deduplication or "").strip(), owner=owner, order=order or 0)
    stamp(entity, actor).save()
    return entity


@transaction.atomic
def entity_update(*, actor, entity, **changes) -> MigrationEntity:
    check_fields(changes, allowed=ENTITY_FIELDS)
    entity = MigrationEntity.objects.select_for_update().select_related("project").get(pk=entity.pk)
    _require(actor, "tasks.edit", entity.project)
    merged = {f: changes.get(f, getattr(entity, f)) for f in ENTITY_FIELDS}
    merged["name"] = _check_entity(project=entity.project, **merged)
    if MigrationEntity.objects.filter(project=entity.project, name=merged["name"]).exclude(pk=entity.pk).exists():
        raise DomainError(_("The plan has an entity “%(e)s” already.") % {"e": merged["name"]}, field="name")
    for key in changes:
        value = merged[key]
        setattr(entity, key, value.strip() if isinstance(value, str) else value)
    stamp(entity, actor).save(update_fields=list(changes) or None)
    return entity


@transaction.atomic
def entity_delete(*, actor, entity):
    _require(actor, "tasks.edit", entity.project)
    stamp(entity, actor).delete()


# ----- project from a template (projects.hooks.clone_part) ---------------------------------------

def runbooks_copy(source, target, actor) -> int:
    """Clone part: every runbook with its steps and their dependencies. Steps carry no dates (their
    order, planned minutes and dependencies place them in whatever window a run gets), so the plan
    keeps its relative times in the new project's window. Owners are people: not copied."""
    created = 0
    for runbook in Runbook.objects.filter(project=source).prefetch_related("steps__depends_on").order_by("id"):
        copy = stamp(Runbook(project=target, name=runbook.name, description=runbook.description, kind=runbook.kind),
                     actor)
        copy.save()
        created += 1
        new_of = {}
        steps = sorted(runbook.steps.all(), key=lambda s: (s.order, s.id))
        for step in steps:
            new = Step(runbook=copy, order=step.order, title=step.title, description=step.description,
                       category=step.category, planned_minutes=step.planned_minutes, checkpoint=step.checkpoint,
                       point_of_no_return=step.point_of_no_return, rollback_instructions=step.rollback_instructions)
            stamp(new, actor).save()
            new_of[step.pk] = new
            created += 1
        for step in steps:
            before = [new_of[d.pk] for d in step.depends_on.all() if d.pk in new_of]
            if before:
                new = new_of[step.pk]
                stamp(new, actor)
                new.depends_on.set(before)
    return created


def runbooks_count(source) -> int:
    return Runbook.objects.filter(project=source).count() + Step.objects.filter(runbook__project=source).count()


def scenarios_copy(source, target, actor) -> int:
    """Clone part: the contingency scenarios (trigger and response), each pointing at the copy of its
    rollback runbook (runbook names are unique in a project). Owners are people: not copied; the
    contingency plan itself (its approvals happened) is not copied either."""
    runbooks = {r.name: r for r in Runbook.objects.filter(project=target)}
    n = 0
    for scenario in ContingencyScenario.objects.filter(project=source).select_related("rollback_runbook"):
        rollback = runbooks.get(scenario.rollback_runbook.name) if scenario.rollback_runbook_id else None
        stamp(ContingencyScenario(project=target, trigger=scenario.trigger, response=scenario.response,
                                  rollback_runbook=rollback), actor).save()
        n += 1
    return n


def scenarios_count(source) -> int:
    return ContingencyScenario.objects.filter(project=source).count()
# ---------------------------------------------------------------- environment checklists

ENVCHECK_FIELDS = {"category", "title", "location", "note", "mandatory", "owner", "due_at"}
# Evidence is a screenshot, a PDF, an archive or a text file: logs and configuration exports too.
EVIDENCE_TEXT_EXTENSIONS = TEXT_EXTENSIONS | {".conf", ".cfg", ".cnf", ".ini", ".yaml", ".yml", ".toml",
                                              ".properties", ".md"}
EVIDENCE_ALLOWED = "PNG, JPEG, GIF, PDF, ZIP, text, log, configuration export (.conf, .cfg, .ini, .yaml, .json, .xml)"


def _envcheck_clean(project, *, category, title, location, note, owner, exclude=None):
    if category not in EnvCategory.values:
        raise DomainError(_("Unknown checklist “%(c)s”.") % {"c": category}, field="category")
    title = _text(title, "title", _("Say what must be checked, e.g. “UPS tested on battery for 30 minutes”."))
    if len(title) > 200:
        raise DomainError(_("Keep the title under 200 characters; put details in the note."), field="title")
    location = (location or "").strip()
    if len(location) > 120:
        raise DomainError(_("Keep the site or branch under 120 characters."), field="location")
    _check_member(project, owner)
    same = EnvCheck.objects.filter(project=project, category=category, title=title, location=location)
    if exclude is not None:
        same = same.exclude(pk=exclude.pk)
    if same.exists():
        raise DomainError(_("The checklist has “%(t)s” already.") % {"t": title}, field="title")
    return title, location, (note or "").strip()


@transaction.atomic
def envcheck_create(*, actor, project, category, title, location="", note="", mandatory=True, owner=None,
                    due_at=None) -> EnvCheck:
    """Add an item to one of the project's environment checklists (ops and managers)."""
    _require(actor, "tasks.edit", project)
    title, location, note = _envcheck_clean(project, category=category, title=title, location=location, note=note,
                                            owner=owner)
    item = EnvCheck(project=project, category=category, title=title, location=location, note=note,
                    mandatory=bool(mandatory), owner=owner, due_at=due_at)
    stamp(item, actor).save()
    return item


@transaction.atomic
def envcheck_update(*, actor, item, **changes) -> EnvCheck:
    check_fields(changes, allowed=ENVCHECK_FIELDS)
    item = EnvCheck.objects.select_for_update().select_related("project").get(pk=item.pk)
    _require(actor, "tasks.edit", item.project)
    merged = {f: changes.get(f, getattr(item, f)) for f in ("category", "title", "location", "note", "owner")}
    merged["title"], merged["location"], merged["note"] = _envcheck_clean(item.project, exclude=item, **merged)
    changes = {k: (merged[k] if k in merged else v) for k, v in changes.items()}
    changes = {k: v for k, v in changes.items() if getattr(item, k) != v}
    if not changes:  # nothing to write, and no empty entry in the history
        return item
    for key, value in changes.items():
        setattr(item, key, value)
    stamp(item, actor).save(update_fields=list(changes))
    return item


@transaction.atomic
def envcheck_delete(*, actor, item):
    """An item with evidence is kept for the record (make it optional instead)."""
    _require(actor, "tasks.edit", item.project)
    if item.evidence.exists():
        raise DomainError(_("“%(t)s” has evidence attached; it is kept for the record. Make it optional "
                            "instead.") % {"t": item.title})
    stamp(item, actor).delete()


@transaction.atomic
def envcheck_transition(*, actor, item, to, reason="", now=None) -> EnvCheck:
    """open → ready (a mandatory item only with evidence), failed or blocked (with a reason); any of
    them back to open. Ready and failed record who checked it and when."""
    if to not in EnvCheckStatus.values:
        raise DomainError(_("Unknown status “%(s)s”; use one of: %(all)s.")
                          % {"s": to, "all": ", ".join(EnvCheckStatus.values)}, field="to")
    item = EnvCheck.objects.select_for_update().select_related("project").get(pk=item.pk)
    _require(actor, "tasks.check_env", item, _("Only ops, managers and the item's owner can check it."))
    if to == item.status:
        raise DomainError(_("“%(t)s” is %(s)s already.") % {"t": item.title, "s": item.get_status_display()},
                          field="to")
    reason = (reason or "").strip()
    if to in ENVCHECK_NEEDS_REASON and not reason:
        raise DomainError(_("Say why “%(t)s” failed or what blocks it, so someone can act on it.")
                          % {"t": item.title}, field="reason")
    if len(reason) > 300:
        raise DomainError(_("Keep the reason under 300 characters."), field="reason")
    if to == EnvCheckStatus.READY and item.mandatory and not item.evidence.exists():
        raise DomainError(_("Attach evidence to “%(t)s” (a screenshot, PDF or configuration export, or a link) "
                            "before marking it ready.") % {"t": item.title}, field="evidence")
    item.status = to
    item.reason = reason if to in ENVCHECK_NEEDS_REASON else ""
    checked = to in ENVCHECK_CHECKED
    item.checked_by = actor if checked else None
    item.checked_at = (now or timezone.now()) if checked else None
    stamp(item, actor).save(update_fields=["status", "reason", "checked_by", "checked_at"])
    return item


@transaction.atomic
def envcheck_add_evidence(*, actor, item, upload=None, url="", note="") -> EnvEvidence:
    """Attach a file (checked on its content, never its name) or a link to an item. Append-only."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    item = EnvCheck.objects.select_related("project").get(pk=item.pk)
    _require(actor, "tasks.check_env", item, _("Only ops, managers and the item's owner can add evidence."))
    url, note = (url or "").strip(), (note or "").strip()
    if upload is None and not url:
        raise DomainError(_("Choose a file (a screenshot, PDF or configuration export) or give a link."),
                          field="file")
    if url:
        if len(url) > 500:
            raise DomainError(_("Keep the link under 500 characters."), field="url")
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise DomainError(_("Give a full http:// or https:// link."), field="url") from None
    if len(note) > 300:
        raise DomainError(_("Keep the note under 300 characters."), field="note")
    evidence = EnvEvidence(item=item, url=url, note=note, uploaded_by=actor)
    if upload is not None:
        evidence.content_type, evidence.original_name = vet_upload(
            upload, field="file", too_big=_("The file is %(size)s MB; evidence may be at most %(limit)s MB."),
            empty=_("The file is empty."), default_name="evidence", text_extensions=EVIDENCE_TEXT_EXTENSIONS,
            allowed_label=EVIDENCE_ALLOWED)
        evidence.size = upload.size
        evidence.file.save(evidence.original_name, upload, save=False)
    try:
        stamp(evidence, actor).save()
    except Exception:
        if evidence.file:
            evidence.file.delete(save=False)
        raise
    return evidence


@transaction.atomic
def envcheck_apply_template(*, actor, project, categories=None, location="", owner=None,
                            due_at=None) -> list[EnvCheck]:
    """Copy the standard checklists (`tasks.checklists`; all, or `categories`) into the project, in the
    actor's language, for the project as a whole or for one site or branch (`location`: per-branch
    readiness); items it has already are skipped, so applying twice adds nothing."""
    from .checklists import STANDARD_CHECKS

    _require(actor, "tasks.edit", project)
    unknown = set(categories or []) - set(EnvCategory.values)
    if unknown:
        raise DomainError(_("Unknown checklist “%(c)s”.") % {"c": ", ".join(sorted(unknown))}, field="categories")
    _check_member(project, owner)
    location = (location or "").strip()
    if len(location) > 120:
        raise DomainError(_("Keep the site or branch under 120 characters."), field="location")
    existing = set(EnvCheck.objects.filter(project=project, location=location).values_list("category", "title"))
    created = []
    for category, title in STANDARD_CHECKS:
        if (categories and category not in categories) or (category, str(title)) in existing:
            continue
        item = EnvCheck(project=project, category=category, title=str(title), location=location, owner=owner,
                        due_at=due_at)
        stamp(item, actor).save()
        created.append(item)
    return created
