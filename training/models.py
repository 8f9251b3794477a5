from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


class Mode(models.TextChoices):
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("Offline (classroom)")


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    WAITLISTED = "waitlisted", _("Waitlisted")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")
    ABSENT = "absent", _("Absent")


# Statuses that hold one of the session's seats.
SEAT_STATUSES = [EnrolmentStatus.ENROLLED, EnrolmentStatus.ATTENDED, EnrolmentStatus.ABSENT]
# Statuses that mean "this person is (still) signed up".
ACTIVE_STATUSES = [EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED, EnrolmentStatus.ATTENDED,
                   EnrolmentStatus.ABSENT]


class Completion(models.TextChoices):
    """How a course is completed: attending a session, finishing every online module, or either."""

    OFFLINE = "offline", _("By attending a session")
    ONLINE = "online", _("By finishing the online modules")
    EITHER = "either", _("Either way")


class Course(models.Model):
    """What people must learn. Required of members whose role AND department match (an empty list
    on one side matches everyone); a course with neither list is optional."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="courses")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=60)
    completion = models.CharField(_("completed by"), max_length=10, choices=Completion.choices,
                                  default=Completion.OFFLINE)
    required_roles = models.JSONField(_("required for roles"), default=list, blank=True)
    required_departments = models.ManyToManyField(
        "projects.Department", blank=True, related_name="required_courses", verbose_name=_("required for departments")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[required_departments])

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [models.UniqueConstraint(fields=["project", "title"], name="course_unique_title")]

    def __str__(self):
        return self.title

    @property
    def is_required(self):
        return bool(self.required_roles) or bool(self.required_departments.all())


class CourseMaterial(models.Model):
    """A manual (uploaded file) or a link to a locally hosted video or page."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="training/materials/%Y/%m/", blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("course material")
        verbose_name_plural = _("course materials")

    def __str__(self):
        return self.title

    def get_project(self):
        return self.course.project


class ModuleKind(models.TextChoices):
    VIDEO = "video", _("Video")
    MANUAL = "manual", pgettext_lazy("training module kind", "Manual")
    LINK = "link", _("Link")


class Module(models.Model):
    """One piece of a course's online part: a video, a manual or a link, with an optional quiz.

    The quiz has a pass mark (0-100 %) when passing it is required to complete the module."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=ModuleKind.choices)
    url = models.CharField(_("link"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to="training/modules/%Y/%m/", blank=True, max_length=200)
    minutes = models.PositiveIntegerField(_("minutes"), default=10)
    pass_mark = models.PositiveSmallIntegerField(_("quiz pass mark (%)"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["course_id", "position", "id"]
        verbose_name = _("online module")
        verbose_name_plural = _("online modules")
        constraints = [
            models.CheckConstraint(condition=Q(pass_mark__isnull=True) | Q(pass_mark__lte=100),
                                   name="module_pass_mark_percent"),
        ]

    def __str__(self):
        return self.title

    def get_project(self):
        return self.course.project


class Question(models.Model):
    """A quiz question: its choices and the index of the correct one (never shown to learners)."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=500)
    choices = models.JSONField(_("choices"), default=list)
    correct = models.PositiveSmallIntegerField(_("correct choice"))
    position = models.PositiveIntegerField(_("position"), default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["module_id", "position", "id"]
        verbose_name = _("quiz question")
        verbose_name_plural = _("quiz questions")

    def __str__(self):
        return self.text[:60]

    def get_project(self):
        return self.module.course.project


class ModuleProgress(models.Model):
    """One learner's progress in one module: opened, quiz results, completed."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="progress")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="module_progress")
    started_at = models.DateTimeField(_("started at"))
    quiz_attempts = models.PositiveIntegerField(_("quiz attempts"), default=0)
    quiz_score = models.PositiveSmallIntegerField(_("best quiz score (%)"), null=True, blank=True)
    quiz_passed_at = models.DateTimeField(_("quiz passed at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["module_id", "user_id"]
        verbose_name = _("module progress")
        verbose_name_plural = _("module progress")
        constraints = [models.UniqueConstraint(fields=["module", "user"], name="module_progress_unique")]
        indexes = [models.Index(fields=["user", "completed_at"], name="module_progress_user_done")]

    def __str__(self):
        return f"{self.user} · {self.module}"

    def get_project(self):
        return self.module.course.project


class Session(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="training_sessions",
                                editable=False)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions")
    trainer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sessions_run",
                                verbose_name=_("trainer"))
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.OFFLINE)
    location = models.CharField(_("location or meeting link"), max_length=300, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"))
    signup_deadline = models.DateTimeField(_("sign-up deadline"),
                                           help_text=_("After this, people cannot sign up or cancel themselves."))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_end_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="session_capacity_positive"),
            models.CheckConstraint(condition=Q(signup_deadline__lte=F("starts_at")),
                                   name="session_deadline_before_start"),
        ]
        indexes = [models.Index(fields=["project", "starts_at"], name="session_project_start")]

    def __str__(self):
        return f"{self.course} · {self.starts_at:%Y-%m-%d %H:%M}"


class Enrolment(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="enrolments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    status = models.CharField(_("status"), max_length=12, choices=EnrolmentStatus.choices)
    # 1, 2, 3 … in arrival order while waitlisted; empty otherwise.
    waitlist_position = models.PositiveIntegerField(_("waitlist position"), null=True, blank=True)
    created_at = models.DateTimeField(_("signed up at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    enrolled_at = models.DateTimeField(_("seat given at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    attendance_marked_at = models.DateTimeField(_("attendance marked at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["session_id", "status", "waitlist_position", "created_at", "id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="enrolment_unique_person"),
            models.CheckConstraint(
                condition=Q(status="waitlisted", waitlist_position__isnull=False)
                | (~Q(status="waitlisted") & Q(waitlist_position__isnull=True)),
                name="enrolment_waitlist_position_iff_waitlisted",
            ),
        ]
        indexes = [models.Index(fields=["user", "status"], name="enrolment_user_status")]

    def __str__(self):
        return f"{self.user} · {self.session} · {self.get_status_display()}"

    def get_project(self):
        return self.session.project


class ImpactLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ChangeImpact(models.Model):
    """What the new system changes for a group of staff (a department, a role, or a role in a department):
    the area, how it changes, how hard it hits, and the actions (training, manuals, extra counter staff)."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="change_impacts")
    department = models.ForeignKey("projects.Department", on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="change_impacts", verbose_name=_("department"))
    role = models.CharField(_("role"), max_length=20, blank=True)
    area = models.CharField(_("area"), max_length=200, help_text=_("What changes, e.g. “cash deposit at the counter”."))
    change = models.TextField(_("how it changes"))
    impact = models.CharField(_("impact"), max_length=10, choices=ImpactLevel.choices)
    actions = models.TextField(_("actions"), blank=True,
                               help_text=_("Training, manuals, extra staff at the counter…"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project_id", "area", "id"]
        verbose_name = _("change impact")
        verbose_name_plural = _("change impacts")
        constraints = [
            models.CheckConstraint(condition=Q(department__isnull=False) | ~Q(role=""),
                                   name="change_impact_names_a_group"),
        ]

    def __str__(self):
        return self.area


class CalendarToken(models.Model):
    """The secret in a person's calendar-feed URL. Regenerating it breaks the old URL."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_calendar")
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now=True)

    class Meta:
        verbose_name = _("calendar token")
        verbose_name_plural = _("calendar tokens")

    def __str__(self):
        return f"{self.user} calendar"
