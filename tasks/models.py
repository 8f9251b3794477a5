"""Cutover: preparation work items, runbooks and their steps, rehearsal/production runs,
data-migration reconciliation checks and the contingency plan."""

import uuid
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from projects.models import Phase, Project

User = settings.AUTH_USER_MODEL


class WorkItemStatus(models.TextChoices):
    TODO = "todo", _("To do")
    DOING = "doing", _("In progress")
    DONE = "done", _("Done")
    BLOCKED = "blocked", _("Blocked")


class WorkItem(models.Model):
    """One line of the preparation checklist (network, hardware, backup power, accounts, manuals)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="work_items")
    title = models.CharField(_("title"), max_length=200)
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices, default=Phase.PREPARATION)
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("owner"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=WorkItemStatus.choices,
                              default=WorkItemStatus.TODO)
    blocked_reason = models.CharField(_("blocked because"), max_length=300, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        constraints = [
            models.CheckConstraint(condition=~Q(status="blocked") | ~Q(blocked_reason=""),
                                   name="workitem_blocked_needs_reason"),
        ]

    def __str__(self):
        return self.title


class RunbookKind(models.TextChoices):
    CUTOVER = "cutover", _("Cutover")
    ROLLBACK = "rollback", _("Rollback")


class Runbook(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="runbooks")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=RunbookKind.choices, default=RunbookKind.CUTOVER)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("runbook")
        verbose_name_plural = _("runbooks")
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="runbook_unique_name")]

    def __str__(self):
        return self.name


class Category(models.TextChoices):
    DEPLOYMENT = "deployment", _("Deployment")
    DATA_MIGRATION = "data_migration", _("Data migration")
    CONFIGURATION = "configuration", _("Configuration")
    VERIFICATION = "verification", _("Verification")
    COMMUNICATION = "communication", _("Communication")
    ROLLBACK = "rollback", _("Rollback")


class Step(models.Model):
    """A step of a runbook. `depends_on` forms a DAG; services refuse any change that makes a cycle."""

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.DEPLOYMENT)
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("owner"))
    planned_minutes = models.PositiveIntegerField(_("planned minutes"), default=10)
    depends_on = models.ManyToManyField("self", symmetrical=False, related_name="dependents", blank=True,
                                        verbose_name=_("depends on"))
    checkpoint = models.BooleanField(_("go/no-go checkpoint"), default=False,
                                     help_text=_("The manager decides go or no-go before the run continues."))
    point_of_no_return = models.BooleanField(_("point of no return"), default=False,
                                             help_text=_("After this step a rollback is no longer possible."))
    rollback_instructions = models.TextField(_("rollback instructions"), blank=True)
    history = HistoricalRecords(m2m_fields=[depends_on])  # link changes are audited too

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self):
        return self.title

    def get_project(self):
        return self.runbook.project


class RunKind(models.TextChoices):
    REHEARSAL = "rehearsal", _("Rehearsal")
    PRODUCTION = "production", _("Production")


class RunStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")


class Run(models.Model):
    """One execution of a runbook. Its steps are a snapshot taken when the run was created."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="runs")
    runbook = models.ForeignKey(Runbook, on_delete=models.PROTECT, related_name="runs")
    kind = models.CharField(_("kind"), max_length=20, choices=RunKind.choices, default=RunKind.REHEARSAL)
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(_("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.PLANNED)
    planned_start = models.DateTimeField(_("planned start"))
    window_end = models.DateTimeField(_("window end"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    flagged_at = models.DateTimeField(_("flagged at"), null=True, blank=True)
    flag_note = models.TextField(_("problem"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-planned_start", "-id"]
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        constraints = [models.UniqueConstraint(fields=["runbook", "kind", "number"], name="run_unique_number")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number} · {self.runbook}"

    @property
    def label(self):
        return f"{self.get_kind_display()} #{self.number}"

    @property
    def within_window(self):
        return self.finished_at is not None and self.finished_at <= self.window_end


class RunStepStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    READY = "ready", _("Ready")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", pgettext_lazy("cutover step status", "Failed")
    SKIPPED = "skipped", _("Skipped")


FINISHED_STEP = (RunStepStatus.DONE, RunStepStatus.SKIPPED)


class Decision(models.TextChoices):
    GO = "go", _("Go")
    NO_GO = "no_go", _("No-go")


class RunStep(models.Model):
    """A snapshot of one runbook step inside a run; addressed by `source_step_id` (the runbook step's id).

    `depends_on` holds the source step ids of its dependencies as they were when the run was created,
    so later runbook edits never change a run that is under way."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps")
    source_step_id = models.PositiveBigIntegerField(_("runbook step"))
    order = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("owner"))
    planned_minutes = models.PositiveIntegerField(_("planned minutes"))
    depends_on = models.JSONField(_("depends on"), default=list, blank=True)
    checkpoint = models.BooleanField(_("go/no-go checkpoint"), default=False)
    point_of_no_return = models.BooleanField(_("point of no return"), default=False)
    rollback_instructions = models.TextField(_("rollback instructions"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=RunStepStatus.choices,
                              default=RunStepStatus.PENDING)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    started_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("started by"))
    finished_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("finished by"))
    decision = models.CharField(_("go/no-go"), max_length=10, choices=Decision.choices, blank=True)
    notes = models.TextField(pgettext_lazy("cutover step", "notes"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("run step")
        verbose_name_plural = _("run steps")
        constraints = [models.UniqueConstraint(fields=["run", "source_step_id"], name="runstep_unique_source")]

    def __str__(self):
        return self.title

    def get_project(self):
        return self.run.project

    @property
    def actual_minutes(self):
        if self.actual_start and self.actual_end:
            return round((self.actual_end - self.actual_start).total_seconds() / 60)
        return None

    @property
    def variance(self):
        minutes = self.actual_minutes
        return None if minutes is None else minutes - self.planned_minutes


class CheckStatus(models.TextChoices):
    MATCH = "match", _("Match")
    MISMATCH = "mismatch", _("Mismatch")


class MigrationCheck(models.Model):
    """Source vs target reconciliation of one entity (customers, accounts, balances…) in one run."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="migration_checks")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="checks")
    entity = models.CharField(_("entity"), max_length=120)
    source_count = models.PositiveBigIntegerField(_("source count"))
    target_count = models.PositiveBigIntegerField(_("target count"))
    source_total = models.DecimalField(_("source control total"), max_digits=22, decimal_places=2,
                                       default=Decimal("0"))
    target_total = models.DecimalField(_("target control total"), max_digits=22, decimal_places=2,
                                       default=Decimal("0"))
    tolerance = models.DecimalField(_("tolerance"), max_digits=22, decimal_places=2, default=Decimal("0"),
                                    help_text=_("Largest accepted difference of the control totals."))
    status = models.CharField(_("status"), max_length=20, choices=CheckStatus.choices, default=CheckStatus.MATCH)
    checked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("checked by"))
    backup_confirmed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                                            related_name="+", verbose_name=_("backup confirmed by"))
    backup_confirmed_at = models.DateTimeField(_("backup confirmed at"), null=True, blank=True)
    # What the migration did to the data in this run (the plan's de-duplication and rejection rules).
    duplicates_removed = models.PositiveBigIntegerField(_("duplicates removed"), default=0)
    rejected_rows = models.PositiveBigIntegerField(_("rejected rows"), default=0)
    restore_tested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                          verbose_name=_("restore tested by"))
    restore_tested_at = models.DateTimeField(_("restore tested at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["run_id", "entity"]
        verbose_name = _("migration check")
        verbose_name_plural = _("migration checks")
        constraints = [models.UniqueConstraint(fields=["run", "entity"], name="check_unique_entity")]

    def __str__(self):
        return f"{self.entity} · {self.run}"

    @property
    def count_difference(self):
        return self.target_count - self.source_count

    @property
    def total_difference(self):
        return self.target_total - self.source_total


class MigrationEntity(models.Model):
    """One entity of the data-migration plan (数据迁移规划): where it comes from, where it goes, and the
    cleansing, transformation and de-duplication rules. The reconciliation checks of each run are
    linked to it by the entity's name (`MigrationCheck.entity`)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="migration_entities")
    name = models.CharField(_("entity"), max_length=120)
    source = models.CharField(_("source"), max_length=300)
    target = models.CharField(_("target"), max_length=300)
    cleansing = models.TextField(_("cleansing rules"), blank=True)
    transformation = models.TextField(_("transformation rules"), blank=True)
    deduplication = models.TextField(_("de-duplication rules"), blank=True)
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("owner"))
    order = models.PositiveIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("migration entity")
        verbose_name_plural = _("migration entities")
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="migration_entity_unique_name")]

    def __str__(self):
        return self.name


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")


class ContingencyPlan(models.Model):
    """When and how to switch back to the old system. Frozen once manager and business approved."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="contingency_plan")
    rollback_criteria = models.TextField(_("rollback criteria"))
    decision_owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                       verbose_name=_("decision owner"))
    rollback_runbook = models.ForeignKey(Runbook, on_delete=models.SET_NULL, null=True, blank=True,
                                         related_name="+", verbose_name=_("rollback runbook"))
    # The latest rollback decision the plan agrees on (the column keeps its first name). The point of no
    # return itself is the runbook's marked step; tasks.selectors.run_decision_point combines both.
    point_of_no_return_at = models.DateTimeField(_("latest rollback decision (agreed)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    manager_approved_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                                            related_name="+", verbose_name=_("approved by (manager)"))
    manager_approved_at = models.DateTimeField(_("manager approved at"), null=True, blank=True)
    business_approved_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                                             related_name="+", verbose_name=_("approved by (business)"))
    business_approved_at = models.DateTimeField(_("business approved at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contingency plan")
        verbose_name_plural = _("contingency plans")

    def __str__(self):
        return str(_("Contingency plan"))


# ---------------------------------------------------------------- the cutover night: issues and timeline

class IssueSeverity(models.TextChoices):
    SEV1 = "sev1", _("Sev 1 — critical")
    SEV2 = "sev2", _("Sev 2 — major")
    SEV3 = "sev3", _("Sev 3 — minor")
    SEV4 = "sev4", _("Sev 4 — cosmetic")


class IssueStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MITIGATING = "mitigating", _("Mitigating")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# open → mitigating → resolved → closed; open may go straight to resolved; resolved may reopen.
ISSUE_TRANSITIONS = {
    IssueStatus.OPEN: {IssueStatus.MITIGATING, IssueStatus.RESOLVED},
    IssueStatus.MITIGATING: {IssueStatus.RESOLVED},
    IssueStatus.RESOLVED: {IssueStatus.CLOSED, IssueStatus.OPEN},
    IssueStatus.CLOSED: set(),
}
OPEN_ISSUE = (IssueStatus.OPEN, IssueStatus.MITIGATING)


class CutoverIssue(models.Model):
    """A problem met during a run (上线过程中的问题): the night's problem log, with who owns it and how
    long it took to resolve. `number` counts per run (#1, #2 …)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cutover_issues")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="issues", verbose_name=_("run"))
    step = models.ForeignKey(RunStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="issues",
                             verbose_name=_("step"))
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    severity = models.CharField(_("severity"), max_length=10, choices=IssueSeverity.choices,
                                default=IssueSeverity.SEV3)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("owner"))
    status = models.CharField(_("status"), max_length=15, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    opened_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                  verbose_name=_("reported by"))
    opened_at = models.DateTimeField(_("opened at"))
    mitigating_at = models.DateTimeField(_("mitigation started at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("cutover issue")
        verbose_name_plural = _("cutover issues")
        indexes = [models.Index(fields=["run", "status"], name="cutover_issue_run_status")]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="cutover_issue_unique_number"),
            models.CheckConstraint(condition=~Q(status__in=["resolved", "closed"]) | Q(resolved_at__isnull=False),
                                   name="cutover_issue_resolved_has_time",
                                   violation_error_message=_("A resolved issue needs the time it was resolved.")),
        ]

    def __str__(self):
        return f"#{self.number} {self.title}"

    @property
    def is_open(self):
        return self.status in OPEN_ISSUE

    @property
    def resolution_minutes(self):
        if self.resolved_at is None:
            return None
        return round((self.resolved_at - self.opened_at).total_seconds() / 60)


class EventKind(models.TextChoices):
    STEP_STARTED = "step_started", _("Step started")
    STEP_DONE = "step_done", _("Step done")
    STEP_FAILED = "step_failed", _("Step failed")
    STEP_SKIPPED = "step_skipped", _("Step skipped")
    ISSUE_OPENED = "issue_opened", _("Issue opened")
    ISSUE_MITIGATING = "issue_mitigating", _("Issue being mitigated")
    ISSUE_RESOLVED = "issue_resolved", _("Issue resolved")
    ISSUE_CLOSED = "issue_closed", _("Issue closed")
    ISSUE_REOPENED = "issue_reopened", _("Issue reopened")
    UPDATE = "update", _("Status update")


class TimelineEvent(models.Model):
    """One line of a run's war-room timeline: a step started or finished, an issue, a status update.

    Written by the services as things happen (append-only, so no history of its own); the timeline
    is these rows in time order."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("at"))
    kind = models.CharField(_("what"), max_length=20, choices=EventKind.choices)
    run_step = models.ForeignKey(RunStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("step"))
    issue = models.ForeignKey(CutoverIssue, on_delete=models.SET_NULL, null=True, blank=True, related_name="events",
                              verbose_name=_("issue"))
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    text = models.TextField(_("text"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        indexes = [models.Index(fields=["run", "at", "id"], name="timeline_run_at")]

    def __str__(self):
        return f"{self.run_id} {self.at:%H:%M} {self.kind}"


# ---------------------------------------------------------------- contingency scenarios and drills

class ContingencyScenario(models.Model):
    """One possible problem and the answer to it (应急预案): what triggers it, what the team does,
    who owns it, and the runbook that rolls back if that is the answer."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="contingency_scenarios")
    trigger = models.CharField(_("trigger"), max_length=300,
                               help_text=_("What tells the team this scenario is happening."))
    response = models.TextField(_("response"))
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("owner"))
    rollback_runbook = models.ForeignKey(Runbook, on_delete=models.SET_NULL, null=True, blank=True,
                                         related_name="scenarios", verbose_name=_("rollback runbook"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project_id", "id"]
        verbose_name = _("contingency scenario")
        verbose_name_plural = _("contingency scenarios")

    def __str__(self):
        return self.trigger


class DrillOutcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    PARTIAL = "partial", _("Partly worked")
    FAILED = "failed", pgettext_lazy("drill outcome", "Failed")


class Drill(models.Model):
    """An emergency drill (应急演练) of a scenario. A finished rehearsal of a rollback runbook is
    recorded as a drill by itself (`run`), for each scenario that rolls back with it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="drills")
    scenario = models.ForeignKey(ContingencyScenario, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="drills", verbose_name=_("scenario"))
    held_at = models.DateTimeField(_("held at"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=DrillOutcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    run = models.ForeignKey(Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="drills",
                            verbose_name=_("rehearsal run"))
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("recorded by"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-held_at", "-id"]
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        constraints = [
            models.UniqueConstraint(fields=["run", "scenario"], name="drill_one_per_run_and_scenario",
                                    condition=Q(run__isnull=False, scenario__isnull=False)),
            models.UniqueConstraint(fields=["run"], name="drill_one_per_run_without_scenario",
                                    condition=Q(run__isnull=False, scenario__isnull=True)),
        ]

    def __str__(self):
        return f"{self.scenario or _('Rollback rehearsal')} · {self.held_at:%Y-%m-%d}"


# ---------------------------------------------------------------- environment checklists

class EnvCategory(models.TextChoices):
    """The checklists of the go-live environment (上线环境准备), one per category."""

    ENVIRONMENT = "environment", _("Environment")  # servers, databases, middleware of production
    HARDWARE = "hardware", _("Hardware")  # servers, storage, counter terminals, printers
    NETWORK = "network", _("Network")  # lines, switches, firewalls, bandwidth
    SOFTWARE = "software", _("Software")  # versions, licences, certificates
    OFFICE = "office", _("Office and branches")  # desks, manuals, branch counters
    EMERGENCY = "emergency", _("Emergency supplies")  # backup power (备用电源), UPS, generators
    SECURITY = "security", _("Security")  # access, accounts, hardening


class EnvCheckStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("environment check", "Open")
    READY = "ready", pgettext_lazy("environment check", "Ready")
    FAILED = "failed", pgettext_lazy("environment check", "Failed")
    BLOCKED = "blocked", pgettext_lazy("environment check", "Blocked")


# Statuses that need a reason, and those that record who checked the item and when.
ENVCHECK_NEEDS_REASON = {EnvCheckStatus.FAILED, EnvCheckStatus.BLOCKED}
ENVCHECK_CHECKED = {EnvCheckStatus.READY, EnvCheckStatus.FAILED}


class EnvCheck(models.Model):
    """One item of an environment checklist: “UPS of the data centre tested on battery for 30 min”,
    with its owner, due date, status and the evidence that it is ready."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="env_checks")
    category = models.CharField(_("checklist"), max_length=20, choices=EnvCategory.choices)
    title = models.CharField(_("title"), max_length=200)
    location = models.CharField(_("site or branch"), max_length=120, blank=True)
    note = models.TextField(_("note"), blank=True)
    mandatory = models.BooleanField(_("mandatory"), default=True)
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("owner"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=EnvCheckStatus.choices,
                              default=EnvCheckStatus.OPEN)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    checked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("checked by"))
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["category", "due_at", "id"]
        verbose_name = _("environment check")
        verbose_name_plural = _("environment checks")
        constraints = [
            models.CheckConstraint(condition=~Q(status__in=["failed", "blocked"]) | ~Q(reason=""),
                                   name="envcheck_failed_blocked_need_reason"),
            models.UniqueConstraint(fields=["project", "category", "title", "location"],
                                    name="envcheck_unique_title"),
        ]

    def __str__(self):
        return f"{self.title} ({self.location})" if self.location else self.title


def evidence_path(instance, filename):
    # A random name: the uploader's file name is kept only as metadata, never used on disk.
    return f"env-evidence/{uuid.uuid4().hex}{Path(filename).suffix.lower()[:10]}"


class EnvEvidence(models.Model):
    """Evidence that an environment check is ready: a screenshot, a PDF, a configuration export or a
    link (to a monitoring dashboard, a ticket). Append-only: evidence is never edited."""

    item = models.ForeignKey(EnvCheck, on_delete=models.CASCADE, related_name="evidence",
                             verbose_name=_("environment check"))
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.CheckConstraint(condition=~Q(file="") | ~Q(url=""), name="envevidence_file_or_link"),
        ]

    def __str__(self):
        return self.original_name or self.url

    def get_project(self):
        return self.item.project
