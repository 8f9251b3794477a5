from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
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


class ShiftTier(models.TextChoices):
    """Who is called first (主班) and who stands behind them (备班) on a shift."""

    PRIMARY = "primary", _("Primary")
    BACKUP = "backup", _("Backup")


class OnCallShift(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="shifts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    tier = models.CharField(_("on call as"), max_length=10, choices=ShiftTier.choices, default=ShiftTier.PRIMARY,
                            help_text=_("Alerts go to the primary first, then to the backup."))
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


class FeedToken(models.Model):
    """The secret in a person's calendar-feed URLs (on-call shifts, milestones, the cutover, go/no-go).

    Calendar apps cannot log in, so the token is the credential: it only ever shows what its owner
    may see today, and regenerating it breaks every old URL."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_token")
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed token")
        verbose_name_plural = _("calendar feed tokens")

    def __str__(self):
        return f"{self.user} calendar feeds"


class AuditAction(models.TextChoices):
    CREATED = "+", _("created")
    CHANGED = "~", _("changed")
    DELETED = "-", _("deleted")


class AuditEntry(models.Model):
    """One change to a tracked object of a project, for the project-wide audit log: who, when, which
    object, and what changed ({field: [old, new]}, many-to-many links included as lists of ids).

    Written for every historical record django-simple-history creates (projects.audit.record) and
    never changed or deleted afterwards (append-only: no service updates it and the admin is
    read-only). Each object's own history stays in its historical table."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="audit_entries")
    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("who"))
    model = models.CharField(_("what"), max_length=100)  # app_label.modelname
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    action = models.CharField(_("action"), max_length=1, choices=AuditAction.choices)
    changes = models.JSONField(_("changes"), default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["project", "-at"]), models.Index(fields=["project", "model", "-at"]),
                   models.Index(fields=["project", "actor", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.model} {self.object_id} {self.action}"
class ApiToken(models.Model):
    """A credential for the REST API (`Authorization: Token <key>`).

    Only a SHA-256 digest of the key is kept (the key is shown once, when issued). A token expires
    `API_TOKEN_TTL_HOURS` after it was issued, is revoked by `POST /api/v1/auth/token/revoke/` or
    by rotation, and stops working when its owner's password changes (`password_hash` is the
    session hash of the password it was issued under)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8, help_text=_("The first characters of the key, to tell "
                                                                     "tokens apart."))
    password_hash = models.CharField(max_length=128, editable=False)
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"


class DirectorySource(models.TextChoices):
    LDAP = "ldap", _("LDAP / Active Directory")
    OIDC = "oidc", _("Single sign-on (OIDC)")


class DirectoryProfile(models.Model):
    """What the bank's directory says about a person beyond Django's user fields.

    The department is the directory's text; memberships take the project's department of that
    name when the person signs in (projects.directory.apply_department).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="directory_profile")
    department = models.CharField(_("department"), max_length=120, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=DirectorySource.choices)
    synced_at = models.DateTimeField(_("synced at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("directory profile")
        verbose_name_plural = _("directory profiles")

    def __str__(self):
        return f"{self.user} · {self.department}"
