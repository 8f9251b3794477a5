"""Cutover readiness: preparation done, rehearsals within the window, reconciliation clean, plan approved."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from projects.models import Phase
from readiness.registry import YES_NO, Gauge, Overdue, OverdueList, Result, criterion, explanation, gauges, overdue

from . import selectors
from .models import DrillOutcome, EnvCategory, EnvCheckStatus, PlanStatus
from .reminders import run_label

# The criteria's sentences and words: frozen as key + parameters, said in the reader's language.
NO_ITEMS = explanation("tasks.no_items", _("No preparation work items yet"))
ITEMS_DONE = explanation("tasks.items_done", _("%(done)d of %(total)d items of the phases before cutover are done"))
IN_WINDOW = explanation("tasks.in_window", ngettext_lazy("%(n)d of %(all)d finished rehearsal ended inside its window",
                                                         "%(n)d of %(all)d finished rehearsals ended inside their window",
                                                         "all"))
NO_REHEARSAL = explanation("tasks.no_rehearsal", _("No finished rehearsal yet"))
NO_CHECKS = explanation("tasks.no_checks", _("%(run)s has no reconciliation checks"))
MISMATCHES = explanation("tasks.mismatches", ngettext_lazy("%(run)s: %(n)d mismatching check",
                                                           "%(run)s: %(n)d mismatching checks", "n"))
CLEAN = explanation("tasks.clean", _("clean"))
NO_CHECKS_WORD = explanation("tasks.no_checks_word", _("no checks"))
READY_WORD = explanation("tasks.ready_word", _("ready"))
APPROVED_WORD = explanation("tasks.approved_word", _("approved"))
NOT_APPROVED_WORD = explanation("tasks.not_approved_word", _("not approved"))
NO_PLAN = explanation("tasks.no_plan", _("No contingency plan written yet"))
PLAN_APPROVED = explanation("tasks.plan_approved", _("Approved by the manager and the business reviewer"))
_APPROVERS = {"manager": _("manager"), "business": _("business reviewer")}
PLAN_WAITING = explanation("tasks.plan_waiting", _("Waiting for approval by: %(who)s"), labels={
    "who": lambda keys: ", ".join(str(_APPROVERS.get(k, k)) for k in keys)})
NO_ROLLBACK = explanation("tasks.no_rollback", _("No rollback runbook has been rehearsed yet"))
_OUTCOME = {"outcome": lambda value: str(dict(DrillOutcome.choices).get(value, value)).lower()}
ROLLBACK_CLEAN = explanation("tasks.rollback_clean", ngettext_lazy(
    "%(n)d clean rehearsal of the rollback; latest: %(run)s of “%(runbook)s”, %(outcome)s",
    "%(n)d clean rehearsals of the rollback; latest: %(run)s of “%(runbook)s”, %(outcome)s", "n"), labels=_OUTCOME)
ROLLBACK_NEVER_CLEAN = explanation("tasks.rollback_never_clean", _(
    "The rollback was rehearsed but never clean; latest: %(run)s of “%(runbook)s”, %(outcome)s"), labels=_OUTCOME)
NOT_RESTORED = explanation("tasks.not_restored", ngettext_lazy(
    "%(run)s: %(n)d entity not reconciled or without a tested restore",
    "%(run)s: %(n)d entities not reconciled or without a tested restore", "n"))
YES_WORD = explanation("tasks.yes_word", _("yes"))
NO_WORD = explanation("tasks.no_word", _("no"))
NO_CHECKLIST_WORD = explanation("tasks.no_checklist_word", _("no checklist"))
NO_ENV_CHECKLIST = explanation("tasks.no_env_checklist",
                               _("No environment checklist yet: apply the standard one or add items"))
ENV_MISSING = explanation("tasks.env_missing", ngettext_lazy(
    "%(n)d mandatory item of %(all)d not ready with evidence",
    "%(n)d mandatory items of %(all)d not ready with evidence", "n"))

PHASES_BEFORE_CUTOVER = [Phase.PREPARATION, Phase.TESTING, Phase.REHEARSAL]


@criterion(key="prep_items_done", label=_("Preparation work items done"), default_target=100, area="cutover",
           order=60)
def prep_items_done(project, target):
    progress = selectors.workitem_progress(project=project)
    done = sum(progress.get(p, (0, 0))[0] for p in PHASES_BEFORE_CUTOVER)
    total = sum(progress.get(p, (0, 0))[1] for p in PHASES_BEFORE_CUTOVER)
    percent = round(done * 100 / total) if total else 0
    return Result(
        value=percent, passed=bool(total) and percent >= target, display=f"{percent}%", total=None,
        explanation=NO_ITEMS() if not total else ITEMS_DONE(done=done, total=total),
        url=reverse("tasks:workitems", args=[project.pk]),
    )


@criterion(key="rehearsals_in_window", label=_("Cutover rehearsed within the window"), default_target=1,
           area="cutover", order=61)
def rehearsals_in_window(project, target):
    finished, within = selectors.rehearsals_within_window(project=project)
    return Result(
        value=within, passed=within >= target, display=str(within),
        explanation=IN_WINDOW(n=within, all=finished),
        url=reverse("tasks:runbooks", args=[project.pk]),
    )


@criterion(key="reconciliation_clean", label=_("Latest rehearsal reconciled clean"), default_target=0,
           area="cutover", order=62)
def reconciliation_clean(project, target):
    run = selectors.latest_rehearsal(project=project)
    if run is None:
        return Result(value=0, passed=False, explanation=NO_REHEARSAL(),
                      url=reverse("tasks:runbooks", args=[project.pk]))
    checks = list(run.checks.all())
    mismatches = sum(1 for c in checks if c.status != "match")
    clean = bool(checks) and mismatches <= target
    return Result(
        value=mismatches, passed=clean, credit=1 - mismatches / len(checks) if checks else 0,
        display=str(mismatches) if checks else NO_CHECKS_WORD(),
        explanation=(NO_CHECKS(run=run_label(run)) if not checks else MISMATCHES(run=run_label(run), n=mismatches)),
        url=reverse("tasks:checks", args=[project.pk, run.pk]),
    )


@criterion(key="contingency_approved", label=_("Contingency plan approved"), default_target=1, area="cutover",
           order=63, unit=YES_NO)
def contingency_approved(project, target):
    plan = selectors.plan_for_project(project=project)
    approved = plan is not None and plan.status == PlanStatus.APPROVED
    if plan is None:
        said = NO_PLAN()
    elif approved:
        said = PLAN_APPROVED()
    else:
        said = PLAN_WAITING(who=[key for key, who in (("manager", plan.manager_approved_by_id),
                                                      ("business", plan.business_approved_by_id)) if not who])
    return Result(value=1 if approved else 0, passed=approved, display=YES_WORD() if approved else NO_WORD(),
                  explanation=said, url=reverse("tasks:contingency", args=[project.pk]))


@criterion(key="rollback_rehearsed", label=_("Rollback rehearsed"), default_target=1, area="cutover", order=64)
def rollback_rehearsed(project, target):
    """A finished rehearsal of a rollback runbook that went clean (every step done at the first try,
    inside its window) is the evidence that switching back to the old system works."""
    passed, latest = selectors.rollback_rehearsed(project=project)
    if latest is None:
        said = NO_ROLLBACK()
    elif passed:
        said = ROLLBACK_CLEAN(n=passed, run=run_label(latest.run), runbook=latest.run.runbook.name,
                              outcome=latest.outcome)
    else:
        said = ROLLBACK_NEVER_CLEAN(run=run_label(latest.run), runbook=latest.run.runbook.name, outcome=latest.outcome)
    return Result(value=passed, passed=passed >= target, display=str(passed), explanation=said,
                  url=reverse("tasks:contingency", args=[project.pk]))


@criterion(key="migration_restore_tested", label=_("Last rehearsal's migration reconciled and its restore tested"),
           default_target=0, area="cutover", order=65)
def migration_restore_tested(project, target):
    """The last finished rehearsal: every reconciliation check matches, and the backup taken before it
    was restored and checked for every entity (the way back if the migration goes wrong)."""
    run, checks, not_ready = selectors.migration_restore_state(project=project)
    url = reverse("tasks:migration_plan", args=[project.pk])
    if run is None:
        return Result(value=0, passed=False, explanation=NO_REHEARSAL(), url=url)
    if not checks:
        return Result(value=0, passed=False, display=NO_CHECKS_WORD(), url=url, explanation=NO_CHECKS(run=run_label(run)))
    return Result(
        value=not_ready, passed=not_ready <= target, credit=1 - not_ready / len(checks),
        display=str(not_ready), url=url,
        explanation=NOT_RESTORED(run=run_label(run), n=not_ready))


@criterion(key="environment_ready", label=_("Environment, hardware, network and emergency supplies ready"),
           default_target=0, area="cutover", order=66)
def environment_ready(project, target):
    """Every mandatory item of the environment checklists is ready and has evidence (a screenshot, PDF,
    configuration export or link); the value is how many are not (one query)."""
    progress = selectors.envcheck_progress(project=project).values()
    total = sum(p["mandatory_total"] for p in progress)
    done = sum(p["mandatory_done"] for p in progress)
    missing = total - done
    url = reverse("tasks:env_checks", args=[project.pk])
    if not total:
        return Result(value=0, passed=False, display=NO_CHECKLIST_WORD(), url=url, explanation=NO_ENV_CHECKLIST())
    return Result(
        value=missing, passed=missing <= target, display=str(missing), url=url, credit=done / total,
        explanation=ENV_MISSING(n=missing, all=total))


@gauges(key="env_checks", label=_("Environment checklists"), area="cutover", order=65)
def env_check_gauges(project):
    """One bar per checklist (ready items of all), for the project manager's dashboard."""
    url = reverse("tasks:env_checks", args=[project.pk])
    progress = selectors.envcheck_progress(project=project)
    return [Gauge(label=label, value=progress[value]["ready"], total=progress[value]["total"],
                  url=f"{url}#checklist-{value}")
            for value, label in EnvCategory.choices if value in progress]


@overdue(key="env_checks", label=_("Environment checks"), order=65)
def env_checks_overdue(project, today):
    from datetime import datetime, time

    from django.utils import timezone

    start = timezone.make_aware(datetime.combine(today, time.min))
    qs = project.env_checks.exclude(status=EnvCheckStatus.READY).filter(due_at__lt=start)
    url = reverse("tasks:env_checks", args=[project.pk])
    items = [Overdue(title=str(c), due=timezone.localdate(c.due_at), owner=c.owner, what=_("Environment check"),
                     url=f"{url}#env-{c.pk}")
             for c in qs.select_related("owner").order_by("due_at", "id")[:8]]
    return OverdueList(items=items, total=qs.count())

