"""Readiness: daily snapshots of the scorecard and the go/no-go decision with its e-signed sign-offs.

The tables keep the names they had when these models lived in `projects` until migration 0002
renames them; see readiness/migrations.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projects.models import Project, Role


class ReadinessSnapshot(models.Model):
    """The scorecard as it stood on one day: the source of the dashboard's trend charts.

    Derived data, recomputed by the daily job (one row per project and day), so no history."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="readiness_snapshots")
    date = models.DateField(_("date"))
    score = models.PositiveSmallIntegerField(_("score"))
    ready = models.BooleanField(_("ready"))
    # [{key, label, value, target, passed, weight, mandatory, area, explanation, url, display}]
    criteria = models.JSONField(_("criteria"), default=list)
    taken_at = models.DateTimeField(_("taken at"), auto_now=True)

    class Meta:
        ordering = ["project_id", "date"]
        verbose_name = _("readiness snapshot")
        verbose_name_plural = _("readiness snapshots")
        constraints = [models.UniqueConstraint(fields=["project", "date"], name="readiness_snapshot_one_per_day")]

    def __str__(self):
        return f"{self.project_id} {self.date} {self.score}"


class Verdict(models.TextChoices):
    GO = "go", _("Go")
    NO_GO = "no_go", _("No-go")
    GO_WITH_CONDITIONS = "go_with_conditions", _("Go with conditions")


class DecisionStatus(models.TextChoices):
    OPEN = "open", _("Open: collecting sign-offs")
    FINAL = "final", _("Final")


class GoNoGoDecision(models.Model):
    """One go/no-go meeting. The readiness evidence is frozen when the meeting opens; once the
    manager records the final decision nothing about it can change (a new meeting is a new row)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gonogo_decisions")
    title = models.CharField(_("title"), max_length=200)
    meeting_at = models.DateTimeField(_("meeting at"))
    status = models.CharField(_("status"), max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.OPEN)
    required_roles = models.JSONField(_("required sign-offs"), default=list)
    # {score, ready, criteria: [...as in ReadinessSnapshot...], blockers: [keys]} at opening time
    evidence = models.JSONField(_("readiness evidence"), default=dict)
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    ready = models.BooleanField(_("ready"), default=False)
    final_verdict = models.CharField(_("final decision"), max_length=20, choices=Verdict.choices, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("opened by"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-meeting_at", "-id"]
        verbose_name = _("go/no-go decision")
        verbose_name_plural = _("go/no-go decisions")
        constraints = [
            models.UniqueConstraint(fields=["project"], condition=Q(status="open"), name="gonogo_one_open_meeting"),
            models.CheckConstraint(
                condition=Q(status="open") | (~Q(final_verdict="") & Q(decided_at__isnull=False)),
                name="gonogo_final_has_verdict",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_final(self):
        return self.status == DecisionStatus.FINAL


class GoNoGoSignOff(models.Model):
    """One required role's e-signed vote. Given after re-entering the password; never edited."""

    decision = models.ForeignKey(GoNoGoDecision, on_delete=models.CASCADE, related_name="signoffs")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("signed by"))
    verdict = models.CharField(_("decision"), max_length=20, choices=Verdict.choices)
    comment = models.TextField(_("comment"), blank=True)
    signed_at = models.DateTimeField(_("signed at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name = _("go/no-go sign-off")
        verbose_name_plural = _("go/no-go sign-offs")
        constraints = [models.UniqueConstraint(fields=["decision", "role"], name="gonogo_signoff_one_per_role")]

    def __str__(self):
        return f"{self.get_role_display()} · {self.get_verdict_display()}"

    def get_project(self):
        return self.decision.project


class SignatureFailure(models.Model):
    """A wrong password given for an e-signature: counted, so that guessing locks the signer out."""

    decision = models.ForeignKey(GoNoGoDecision, on_delete=models.CASCADE, related_name="signature_failures")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    attempted_at = models.DateTimeField(_("attempted at"), auto_now_add=True)

    class Meta:
        ordering = ["-attempted_at"]
        verbose_name = _("e-signature failure")
        verbose_name_plural = _("e-signature failures")

    def __str__(self):
        return f"{self.user_id} {self.attempted_at:%Y-%m-%d %H:%M}"


# ----- risk register (风险登记册) ------------------------------------------------------------------


class RiskCategory(models.TextChoices):
    TECHNICAL = "technical", _("Technical")
    DATA = "data", _("Data")
    NETWORK = "network", _("Network")
    BUSINESS = "business", _("Business process")
    SECURITY = "security", _("Security")
    PEOPLE = "people", _("People")
    VENDOR = "vendor", _("Vendor")


class RiskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MITIGATING = "mitigating", _("Mitigating")
    CLOSED = "closed", _("Closed")
    OCCURRED = "occurred", _("Occurred")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


# score = likelihood × impact (1–25): the bounds of each level, inclusive.
LEVEL_BOUNDS = [(RiskLevel.LOW, 1, 4), (RiskLevel.MEDIUM, 5, 9), (RiskLevel.HIGH, 10, 16),
                (RiskLevel.CRITICAL, 20, 25)]


def level_of(score: int) -> str:
    for level, low, high in LEVEL_BOUNDS:
        if low <= score <= high:
            return level
    return RiskLevel.LOW


class Risk(models.Model):
    """One entry of the launch's risk register: what can go wrong, how likely, how bad, who owns it.

    `score` is stored (likelihood × impact, kept true by a constraint) so that lists sort and filter
    by it in SQL; the level is derived from the score."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=RiskCategory.choices)
    likelihood = models.PositiveSmallIntegerField(_("likelihood"))
    impact = models.PositiveSmallIntegerField(_("impact"))
    score = models.PositiveSmallIntegerField(_("score"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    mitigation = models.TextField(_("mitigation"), blank=True)
    trigger = models.CharField(_("trigger"), max_length=500, blank=True)
    due = models.DateField(_("mitigation due"), null=True, blank=True)
    review_on = models.DateField(_("next review"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    status_note = models.TextField(_("status note"), blank=True)
    incident_url = models.CharField(_("incident or issue link"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("raised by"))
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-score", "status", "id"]
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        constraints = [
            models.CheckConstraint(condition=Q(likelihood__gte=1, likelihood__lte=5), name="risk_likelihood_1_5"),
            models.CheckConstraint(condition=Q(impact__gte=1, impact__lte=5), name="risk_impact_1_5"),
            models.CheckConstraint(condition=Q(score=models.F("likelihood") * models.F("impact")),
                                   name="risk_score_is_product"),
        ]
        indexes = [models.Index(fields=["project", "status", "score"])]

    def __str__(self):
        return self.title

    @property
    def level(self) -> str:
        return level_of(self.score)

    def get_level_display(self):
        return RiskLevel(self.level).label

    @property
    def is_active(self):
        return self.status in (RiskStatus.OPEN, RiskStatus.MITIGATING)


# ----- meetings, decisions and actions (项目例会) ---------------------------------------------------


class MeetingKind(models.TextChoices):
    STANDUP = "standup", _("Daily stand-up")
    REVIEW = "review", _("Project review")
    CUTOVER = "cutover", _("Cutover briefing")
    RETRO = "retro", _("Retrospective")
    OTHER = "other", _("Other")


class Meeting(models.Model):
    """A meeting of the launch team: who attended, the notes, the decisions taken and the actions
    given out. One stand-up per project and day (`held_on`), so "start today's stand-up" is safe
    to press twice."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("kind"), max_length=20, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    held_at = models.DateTimeField(_("held at"))
    held_on = models.DateField(_("date"))  # the local date of held_at (one stand-up a day)
    notes = models.TextField(_("notes"), blank=True)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True,
                                       verbose_name=_("attendees"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("chaired by"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[attendees])

    class Meta:
        ordering = ["-held_at", "-id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [models.UniqueConstraint(fields=["project", "held_on"], condition=Q(kind="standup"),
                                               name="meeting_one_standup_a_day")]

    def __str__(self):
        return self.title


class MeetingDecision(models.Model):
    """A decision taken in a meeting, as minuted (never edited: a new decision supersedes it)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("decision"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("meeting decision")
        verbose_name_plural = _("meeting decisions")

    def __str__(self):
        return self.text[:60]

    def get_project(self):
        return self.meeting.project


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class MeetingAction(models.Model):
    """An action given out in a meeting: what, who, by when. Shown in the owner's work and reminded."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")  # = meeting.project
    text = models.CharField(_("action"), max_length=500)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    due = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("given by"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["status", "due", "id"]
        verbose_name = _("meeting action")
        verbose_name_plural = _("meeting actions")
        constraints = [models.CheckConstraint(condition=Q(status="open") | Q(done_at__isnull=False),
                                              name="meeting_action_done_has_time")]
        indexes = [models.Index(fields=["project", "status", "due"]), models.Index(fields=["owner", "status"])]

    def __str__(self):
        return self.text[:60]


# ----- weekly status report (项目周报) --------------------------------------------------------------


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")


class StatusReport(models.Model):
    """The weekly status report of a project: computed from the evidence while it is a draft (the PM
    adds a summary), frozen in `data` when it is sent to the managers and sponsors."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_reports")
    week_start = models.DateField(_("week of"))  # the Monday
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    data = models.JSONField(_("report"), default=dict, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("sent by"))
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    history = HistoricalRecords(excluded_fields=["data"])

    class Meta:
        ordering = ["-week_start"]
        verbose_name = _("status report")
        verbose_name_plural = _("status reports")
        constraints = [
            models.UniqueConstraint(fields=["project", "week_start"], name="status_report_one_a_week"),
            models.CheckConstraint(condition=Q(status="draft") | Q(sent_at__isnull=False),
                                   name="status_report_sent_has_time"),
        ]

    def __str__(self):
        return f"{self.project_id} {self.week_start}"


class ReportSponsor(models.Model):
    """A member who receives the weekly status report besides the managers (the bank's sponsors)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="report_sponsors")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("sponsor"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("status report sponsor")
        verbose_name_plural = _("status report sponsors")
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="report_sponsor_once")]

    def __str__(self):
        return f"{self.project_id} {self.user_id}"
