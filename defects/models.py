"""Test cycles, test cases and their results; defects, their workflow, comments and attachments."""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")
    TRIVIAL = "trivial", _("Trivial")


class Category(models.TextChoices):
    FUNCTIONAL = "functional", _("Functional")
    PERFORMANCE = "performance", _("Performance")
    SECURITY = "security", _("Security")
    DATA = "data", _("Data")
    USABILITY = "usability", _("Usability")


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", pgettext_lazy("defect status", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    FIXED = "fixed", _("Fixed")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    REJECTED = "rejected", _("Rejected")


# Still needing work (a fix that nobody re-tested counts as open: it may not work).
OPEN_STATUSES = [Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.REOPENED, Status.FIXED]
# Waiting for a developer: the fix SLA runs on these.
FIX_PENDING_STATUSES = [Status.OPEN, Status.IN_PROGRESS, Status.REOPENED]
DONE_STATUSES = [Status.VERIFIED, Status.CLOSED, Status.REJECTED]


class FoundIn(models.TextChoices):
    TESTING = "testing", _("Testing")
    HYPERCARE = "hypercare", _("Hypercare")


class RejectReason(models.TextChoices):
    NOT_A_DEFECT = "not_a_defect", _("Not a defect")
    DUPLICATE = "duplicate", _("Duplicate")
    CANNOT_REPRODUCE = "cannot_reproduce", _("Cannot reproduce")


class CycleKind(models.TextChoices):
    FUNCTIONAL = "functional", _("Functional")
    PERFORMANCE = "performance", _("Performance")
    SECURITY = "security", _("Security")
    UAT = "uat", _("UAT")
    REGRESSION = "regression", _("Regression")


class CycleStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")


class ResultStatus(models.TextChoices):
    NOT_RUN = "not_run", _("Not run")
    PASSED = "passed", _("Passed")
    FAILED = "failed", pgettext_lazy("test result", "Failed")
    BLOCKED = "blocked", _("Blocked")
    # From automated runs (JUnit XML): the test itself broke, or it did not run. Neither is a pass.
    ERROR = "error", pgettext_lazy("test result", "Error")
    SKIPPED = "skipped", pgettext_lazy("test result", "Skipped")


class CycleScope(models.TextChoices):
    ALL = "all", _("Every active case")
    SELECTION = "selection", _("Selected cases")


class TestCycle(models.Model):
    __test__ = False  # not a pytest class
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="test_cycles")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=CycleKind.choices, default=CycleKind.FUNCTIONAL)
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    status = models.CharField(_("status"), max_length=20, choices=CycleStatus.choices, default=CycleStatus.PLANNED)
    # "all": cases added later join the cycle while it runs; "selection": only the cases chosen.
    scope = models.CharField(_("scope"), max_length=20, choices=CycleScope.choices, default=CycleScope.ALL)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-planned_start", "-id"]
        verbose_name = _("test cycle")
        verbose_name_plural = _("test cycles")
        constraints = [
            models.CheckConstraint(condition=Q(planned_end__gte=models.F("planned_start")),
                                   name="testcycle_end_after_start"),
        ]

    def __str__(self):
        return self.name


class TestCase(models.Model):
    __test__ = False  # not a pytest class
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="test_cases")
    code = models.CharField(_("code"), max_length=30)
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=CycleKind.choices, default=CycleKind.FUNCTIONAL)
    steps = models.TextField(_("steps"))
    expected_result = models.TextField(_("expected result"))
    requirements = models.ManyToManyField("requirements.Requirement", blank=True, related_name="test_cases",
                                          verbose_name=_("requirements"))
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # A retired case stays in the cycles that ran it (and in its history) but joins no new cycle.
    active = models.BooleanField(_("active"), default=True)
    # `classname.name` of the automated test that reports this case in JUnit XML.
    automation_key = models.CharField(_("automated test"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[requirements])  # link changes are audited too

    class Meta:
        ordering = ["code"]
        verbose_name = _("test case")
        verbose_name_plural = _("test cases")
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="testcase_unique_code"),
            models.UniqueConstraint(fields=["project", "automation_key"], condition=~Q(automation_key=""),
                                    name="testcase_unique_automation_key"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"


class TestResult(models.Model):
    """The outcome of one case in one cycle (one row per case and cycle; re-running overwrites it)."""

    __test__ = False  # not a pytest class

    cycle = models.ForeignKey(TestCycle, on_delete=models.CASCADE, related_name="results")
    case = models.ForeignKey(TestCase, on_delete=models.CASCADE, related_name="results")
    status = models.CharField(_("result"), max_length=20, choices=ResultStatus.choices, default=ResultStatus.NOT_RUN)
    executed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("executed by"))
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["case__code"]
        verbose_name = _("test result")
        verbose_name_plural = _("test results")
        constraints = [models.UniqueConstraint(fields=["cycle", "case"], name="testresult_unique_case")]

    def __str__(self):
        return f"{self.case} · {self.get_status_display()}"

    @property
    def project(self):
        return self.cycle.project

    @property
    def project_id(self):
        return self.cycle.project_id


class SlaPolicy(models.Model):
    """Hours to triage and to fix per severity in one project. Missing rows use DEFAULT_SLA."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="defect_slas")
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    triage_hours = models.PositiveIntegerField(_("hours to triage"), null=True, blank=True,
                                               help_text=_("Empty means best effort."))
    fix_hours = models.PositiveIntegerField(_("hours to fix"), null=True, blank=True,
                                            help_text=_("Empty means best effort."))
    history = HistoricalRecords()

    class Meta:
        ordering = ["project_id", "severity"]
        verbose_name = _("defect SLA")
        verbose_name_plural = _("defect SLAs")
        constraints = [models.UniqueConstraint(fields=["project", "severity"], name="slapolicy_unique_severity")]

    def __str__(self):
        return f"{self.project_id} · {self.severity}"


# (hours to triage, hours to fix); None = best effort.
DEFAULT_SLA = {
    Severity.CRITICAL: (4, 24),
    Severity.MAJOR: (24, 72),
    Severity.MINOR: (72, 240),
    Severity.TRIVIAL: (None, None),
}


class Defect(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="defects")
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    priority = models.CharField(_("priority"), max_length=20, choices=Priority.choices, default=Priority.MEDIUM)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    environment = models.CharField(_("environment"), max_length=300, blank=True)
    steps = models.TextField(_("steps to reproduce"))
    expected_result = models.TextField(_("expected result"))
    actual_result = models.TextField(_("actual result"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    found_in = models.CharField(_("found in"), max_length=20, choices=FoundIn.choices, default=FoundIn.TESTING)
    cycle = models.ForeignKey(TestCycle, on_delete=models.SET_NULL, null=True, blank=True, related_name="defects",
                              verbose_name=_("test cycle"))
    test_result = models.ForeignKey(TestResult, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="defects", verbose_name=_("test result"))
    requirement = models.ForeignKey("requirements.Requirement", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="defects", verbose_name=_("requirement"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="assigned_defects", verbose_name=_("assignee"))
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reported_defects",
                                 verbose_name=_("reporter"))
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="duplicates", verbose_name=_("duplicate of"))
    reject_reason = models.CharField(_("reason for rejection"), max_length=20, choices=RejectReason.choices,
                                     blank=True)
    # Incidents (defects found in hypercare): impact and times.
    customers_affected = models.PositiveIntegerField(_("customers affected"), null=True, blank=True)
    branches_affected = models.PositiveIntegerField(_("branches affected"), null=True, blank=True)
    incident_started_at = models.DateTimeField(_("incident started at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # SLA deadlines, computed by the services from the project's SLA when filed or re-rated.
    triage_due_at = models.DateTimeField(_("triage due"), null=True, blank=True)
    fix_due_at = models.DateTimeField(_("fix due"), null=True, blank=True)
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True, db_index=True)
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    fixed_at = models.DateTimeField(_("fixed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("defect")
        verbose_name_plural = _("defects")
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="defect_unique_number"),
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(reject_reason=""),
                                   name="defect_rejected_has_reason"),
        ]
        indexes = [models.Index(fields=["project", "status", "severity"], name="defect_project_status"),
                   # the board's first cards of each column, newest first
                   models.Index(fields=["project", "status", "-created_at"], name="defect_project_status_new")]

    def __str__(self):
        return f"{self.key} {self.title}"

    @property
    def key(self):
        return f"D-{self.number}"

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    def overdue_at(self, now):
        """The SLA deadline that has passed at `now`, or None."""
        if self.status == Status.NEW and self.triage_due_at and self.triage_due_at < now:
            return self.triage_due_at
        if self.status in FIX_PENDING_STATUSES and self.fix_due_at and self.fix_due_at < now:
            return self.fix_due_at
        return None


def overdue_q(now):
    """Defects past their SLA at `now` (the same rule as Defect.overdue_at, for querysets)."""
    return Q(status=Status.NEW, triage_due_at__lt=now) | Q(status__in=FIX_PENDING_STATUSES, fix_due_at__lt=now)


class DefectTransition(models.Model):
    """One step of a defect through the workflow, with the comment that explains it."""

    defect = models.ForeignKey(Defect, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("defect transition")
        verbose_name_plural = _("defect transitions")

    def __str__(self):
        return f"{self.defect_id}: {self.from_status} → {self.to_status}"

    def get_project(self):
        return self.defect.project


class DefectComment(models.Model):
    defect = models.ForeignKey(Defect, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("defect comment")
        verbose_name_plural = _("defect comments")

    def __str__(self):
        return f"{self.defect_id}: {self.text[:40]}"

    def get_project(self):
        return self.defect.project


def attachment_path(instance, filename):
    # A random name: the uploader's file name is kept only as metadata, never used on disk.
    return f"defects/{uuid.uuid4().hex}{Path(filename).suffix.lower()[:10]}"


class DefectAttachment(models.Model):
    defect = models.ForeignKey(Defect, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name

    def get_project(self):
        return self.defect.project


# ---------------------------------------------------------------- performance

class PerfTool(models.TextChoices):
    JMETER = "jmeter", "JMeter"
    K6 = "k6", "k6"
    LOCUST = "locust", "Locust"


# The row every importer adds for the run as a whole (JMeter: all samples; k6: the untagged
# metrics; Locust: its "Aggregated" row), so a target can also be set on the whole system.
ALL_TRANSACTIONS = "ALL"


class PerfTarget(models.Model):
    """What one transaction must achieve under load: 95th percentile response time, throughput,
    error rate. Error rates are percentages (1.5 = 1.5 %)."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="perf_targets")
    transaction = models.CharField(_("transaction"), max_length=200)
    requirement = models.ForeignKey("requirements.Requirement", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="perf_targets", verbose_name=_("requirement"))
    p95_ms = models.PositiveIntegerField(_("95th percentile (ms)"))
    min_tps = models.FloatField(_("minimum throughput (per s)"), null=True, blank=True)
    max_error_rate = models.FloatField(_("maximum error rate (%)"), default=1.0)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["transaction"]
        verbose_name = _("performance target")
        verbose_name_plural = _("performance targets")
        constraints = [
            models.UniqueConstraint(fields=["project", "transaction"], name="perftarget_unique_transaction"),
            models.CheckConstraint(condition=Q(max_error_rate__gte=0, max_error_rate__lte=100),
                                   name="perftarget_error_rate_percent"),
        ]

    def __str__(self):
        return self.transaction


class PerfRun(models.Model):
    """One load-test run (JMeter, k6 or Locust), its results imported from the tool's file."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="perf_runs")
    name = models.CharField(_("name"), max_length=200)
    tool = models.CharField(_("tool"), max_length=20, choices=PerfTool.choices)
    cycle = models.ForeignKey(TestCycle, on_delete=models.SET_NULL, null=True, blank=True, related_name="perf_runs",
                              verbose_name=_("test cycle"))
    file_name = models.CharField(_("imported file"), max_length=255, blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("imported by"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("performance run")
        verbose_name_plural = _("performance runs")

    def __str__(self):
        return self.name


class PerfResult(models.Model):
    """What one transaction measured in one run. Judged against the project's current targets
    when read (selectors.judge), so a changed target re-judges every run the same way."""

    run = models.ForeignKey(PerfRun, on_delete=models.CASCADE, related_name="results")
    transaction = models.CharField(_("transaction"), max_length=200)
    samples = models.PositiveIntegerField(_("samples"))
    p95_ms = models.FloatField(_("95th percentile (ms)"))
    tps = models.FloatField(_("throughput (per s)"), null=True, blank=True)
    error_rate = models.FloatField(_("error rate (%)"))

    class Meta:
        ordering = ["transaction"]
        verbose_name = _("performance result")
        verbose_name_plural = _("performance results")
        constraints = [models.UniqueConstraint(fields=["run", "transaction"], name="perfresult_unique_transaction")]

    def __str__(self):
        return f"{self.run_id} · {self.transaction}"


# ---------------------------------------------------------------- security

class FindingSeverity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    INFO = "info", _("Informational")


class FindingStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("finding status", "Open")
    FIXED = "fixed", _("Fixed")
    VERIFIED = "verified", _("Verified")
    FALSE_POSITIVE = "false_positive", _("False positive")
    RISK_ACCEPTED = "risk_accepted", _("Risk accepted")


class FindingSource(models.TextChoices):
    MANUAL = "manual", _("Manual")
    ZAP = "zap", "OWASP ZAP"
    BANDIT = "bandit", "Bandit"


# Days to fix by severity (DefectDojo's defaults); info has none.
FINDING_SLA_DAYS = {FindingSeverity.CRITICAL: 7, FindingSeverity.HIGH: 30, FindingSeverity.MEDIUM: 90,
                    FindingSeverity.LOW: 120}
HIGH_SEVERITIES = (FindingSeverity.CRITICAL, FindingSeverity.HIGH)


class SecurityFinding(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="security_findings")
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    severity = models.CharField(_("severity"), max_length=20, choices=FindingSeverity.choices)
    cwe = models.PositiveIntegerField(_("CWE"), null=True, blank=True)
    cvss_vector = models.CharField(_("CVSS vector"), max_length=200, blank=True)
    cvss_score = models.DecimalField(_("CVSS score"), max_digits=3, decimal_places=1, null=True, blank=True)
    component = models.CharField(_("component"), max_length=300, blank=True)
    location = models.CharField(_("where"), max_length=500, blank=True,
                                help_text=_("URL, or file and line, where the tool found it."))
    description = models.TextField(_("description"))
    solution = models.TextField(_("solution"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    status_note = models.TextField(_("why"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=FindingSource.choices, default=FindingSource.MANUAL)
    # Identifies the same finding across imports of the same tool (never shown; blank for manual ones).
    fingerprint = models.CharField(max_length=64, blank=True)
    import_count = models.PositiveIntegerField(_("times imported"), default=0)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    due_date = models.DateField(_("fix due"), null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    related_name="+", verbose_name=_("reported by"))
    defect = models.ForeignKey(Defect, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="security_findings", verbose_name=_("defect"))
    # Risk acceptance: asked for with a reason and an expiry, approved by a second person.
    risk_reason = models.TextField(_("reason for accepting the risk"), blank=True)
    risk_expires_on = models.DateField(_("risk accepted until"), null=True, blank=True)
    risk_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                          blank=True, related_name="+", verbose_name=_("acceptance asked by"))
    risk_requested_at = models.DateTimeField(_("acceptance asked at"), null=True, blank=True)
    risk_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                         blank=True, related_name="+", verbose_name=_("acceptance approved by"))
    risk_approved_at = models.DateTimeField(_("acceptance approved at"), null=True, blank=True)
    fixed_at = models.DateTimeField(_("fixed at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("security finding")
        verbose_name_plural = _("security findings")
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="finding_unique_number"),
            models.UniqueConstraint(fields=["project", "fingerprint"], condition=~Q(fingerprint=""),
                                    name="finding_unique_fingerprint"),
            models.CheckConstraint(
                condition=~Q(status="risk_accepted") | (~Q(risk_reason="") & Q(risk_expires_on__isnull=False)
                                                        & Q(risk_approved_by__isnull=False)),
                name="finding_accepted_has_reason_expiry_approver"),
            models.CheckConstraint(
                condition=Q(risk_approved_by__isnull=True) | ~Q(risk_approved_by=models.F("risk_requested_by")),
                name="finding_acceptance_second_person"),
        ]
        indexes = [models.Index(fields=["project", "status", "severity"], name="finding_project_status")]

    def __str__(self):
        return f"{self.key} {self.title}"

    @property
    def key(self):
        return f"SEC-{self.number}"

    @property
    def acceptance_pending(self):
        return self.status == FindingStatus.OPEN and self.risk_requested_by_id is not None

    def acceptance_expired(self, today):
        return self.status == FindingStatus.RISK_ACCEPTED and self.risk_expires_on is not None \
            and self.risk_expires_on < today


def finding_open_q(today):
    """Findings that still count against go-live at `today`: open, fixed but not re-tested, or a risk
    acceptance that has expired."""
    return Q(status__in=(FindingStatus.OPEN, FindingStatus.FIXED)) | Q(status=FindingStatus.RISK_ACCEPTED,
                                                                      risk_expires_on__lt=today)
