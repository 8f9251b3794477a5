from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Phase(models.TextChoices):
    PREPARATION = "preparation", _("Preparation")
    TESTING = "testing", _("Testing")
    REHEARSAL = "rehearsal", _("Rehearsal")
    CUTOVER = "cutover", _("Cutover")
    HYPERCARE = "hypercare", _("Hypercare")
    CLOSED = "closed", _("Closed")


class Role(models.TextChoices):
    MANAGER = "manager", _("Project manager")
    DEVELOPER = "developer", _("Developer")
    TESTER = "tester", _("Tester")
    BUSINESS = "business", _("Business reviewer")
    OPS = "ops", _("Ops engineer")
    TRAINER = "trainer", _("Trainer")
    STAFF = "staff", _("Staff")


class Project(models.Model):
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    description = models.TextField(_("description"), blank=True)
    go_live_at = models.DateTimeField(_("go-live at"))
    window_start = models.DateTimeField(_("cutover window start"))
    window_end = models.DateTimeField(_("cutover window end"))
    hypercare_days = models.PositiveIntegerField(
        _("hypercare days"), default=28, help_text=_("How long after go-live the team watches 7x24.")
    )
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices, default=Phase.PREPARATION)
    # Per-project readiness targets and flags, keyed by criterion key: {"key": {"target": x}}.
    readiness_targets = models.JSONField(_("readiness targets"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["go_live_at", "name"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gt=F("window_start")), name="project_window_end_after_start",
                violation_error_message=_("The cutover window must end after it starts."),
            )
        ]

    def __str__(self):
        return f"{self.code} · {self.name}"

    @property
    def hypercare_end(self):
        from datetime import timedelta

        return self.go_live_at + timedelta(days=self.hypercare_days)


class Department(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(_("name"), max_length=120)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="department_unique_name")]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """One role of one person in one project. A person holding two roles has two rows."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships"
    )
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__last_name", "user__first_name", "user__username", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["project", "user", "role"], name="membership_unique_role")
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}"


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(_("name"), max_length=200)
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices, default=Phase.PREPARATION)
    planned_date = models.DateField(_("planned date"))
    actual_date = models.DateField(_("actual date"), null=True, blank=True)
    forecast_date = models.DateField(
        _("forecast date"), null=True, blank=True, help_text=_("When it is now expected, if it slips.")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("owner"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["planned_date", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self):
        return self.name

    @property
    def done(self):
        return self.actual_date is not None

    def slip_days(self, today):
        """Days late: actual vs planned when done; forecast (or today) vs planned when not."""
        if self.actual_date:
            return (self.actual_date - self.planned_date).days
        expected = max(filter(None, [self.forecast_date, today]))
        return max(0, (expected - self.planned_date).days)


class Raci(models.TextChoices):
    RESPONSIBLE = "R", _("Responsible")
    ACCOUNTABLE = "A", _("Accountable")
    CONSULTED = "C", _("Consulted")
    INFORMED = "I", _("Informed")


class Responsibility(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="responsibilities")
    area = models.CharField(_("work area"), max_length=120)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    raci = models.CharField(_("RACI"), max_length=1, choices=Raci.choices)
    history = HistoricalRecords()

    class Meta:
        ordering = ["area", "user_id"]
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibilities")
        constraints = [
            models.UniqueConstraint(fields=["project", "area", "user"], name="responsibility_unique_cell")
        ]

    def __str__(self):
        return f"{self.area} · {self.user} · {self.raci}"


class OnCallShift(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="shifts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("on-call shift")
        verbose_name_plural = _("on-call shifts")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="shift_end_after_start",
                                   violation_error_message=_("A shift must end after it starts."))
        ]

    def __str__(self):
        return f"{self.user} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


# ---------------------------------------------------------------------------------------------
# Readiness snapshots, the go/no-go decision and lessons learned (issue 8 and issue 9).
# ---------------------------------------------------------------------------------------------


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


class LessonKind(models.TextChoices):
    WENT_WELL = "went_well", _("Went well")
    WENT_WRONG = "went_wrong", _("Went wrong")
    IDEA = "idea", _("Idea")


class Lesson(models.Model):
    """One retrospective item (经验教训): what went well, what went wrong, an idea."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="lessons")
    kind = models.CharField(_("kind"), max_length=20, choices=LessonKind.choices)
    text = models.TextField(_("text"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                               verbose_name=_("author"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "-created_at", "-id"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self):
        return self.text[:60]


class LessonVote(models.Model):
    """One person's +1 on a retrospective item (a toggle, so no history)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["lesson", "user"], name="lesson_vote_once")]

    def __str__(self):
        return f"{self.lesson_id} +1 {self.user_id}"


class LessonActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class LessonAction(models.Model):
    """An improvement action from the retrospective, with an owner and a due date."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="lesson_actions")
    lesson = models.ForeignKey(Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions",
                               verbose_name=_("lesson"))
    title = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=10, choices=LessonActionStatus.choices,
                              default=LessonActionStatus.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["status", "due_date", "id"]
        verbose_name = _("lesson action")
        verbose_name_plural = _("lesson actions")

    def __str__(self):
        return self.title
