"""Surveys of the business departments and the requirements that come out of them."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from projects.models import Department, Project


class SurveyMethod(models.TextChoices):
    QUESTIONNAIRE = "questionnaire", _("Questionnaire")
    INTERVIEW = "interview", _("Interview")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("survey status", "Draft")
    OPEN = "open", pgettext_lazy("survey status", "Open")
    CLOSED = "closed", pgettext_lazy("survey status", "Closed")


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Free text")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    SCALE = "scale", _("Scale 1–5")


class Survey(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="surveys")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    method = models.CharField(_("method"), max_length=20, choices=SurveyMethod.choices,
                              default=SurveyMethod.QUESTIONNAIRE)
    status = models.CharField(_("status"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    departments = models.ManyToManyField(Department, blank=True, related_name="surveys",
                                         verbose_name=_("target departments"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    history = HistoricalRecords(m2m_fields=[departments])  # link changes are audited too

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self):
        return self.title


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(_("order"), default=0)
    text = models.CharField(_("question"), max_length=500)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.text

    def get_project(self):
        return self.survey.project


class SurveyResponse(models.Model):
    """One person's answers to one questionnaire (editable until the survey closes)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                   verbose_name=_("respondent"))
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [models.UniqueConstraint(fields=["survey", "respondent"], name="survey_response_once")]

    def __str__(self):
        return f"{self.survey} · {self.respondent}"

    def get_project(self):
        return self.survey.project


class Answer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(_("text"), blank=True)
    selected = models.JSONField(_("selected choices"), default=list, blank=True)
    scale = models.PositiveSmallIntegerField(_("scale"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["question__order", "id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_once_per_question"),
            models.CheckConstraint(condition=Q(scale__isnull=True) | Q(scale__gte=1, scale__lte=5),
                                   name="answer_scale_1_5"),
        ]

    def __str__(self):
        return self.display()

    def display(self):
        if self.scale:
            return str(self.scale)
        if self.selected:
            return ", ".join(self.selected)
        return self.text

    def get_project(self):
        return self.response.survey.project


class Interview(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="interviews")
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("interviewer"))
    interviewees = models.CharField(_("interviewees"), max_length=300)
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    held_on = models.DateField(_("date"))
    notes = models.TextField(_("notes"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["held_on", "id"]
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")

    def __str__(self):
        return f"{self.held_on} · {self.interviewees}"

    def get_project(self):
        return self.survey.project


class Priority(models.TextChoices):
    MUST = "must", _("Must")
    SHOULD = "should", _("Should")
    COULD = "could", _("Could")
    WONT = "wont", _("Won't")


class RequirementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class RequirementSequence(models.Model):
    """The last requirement number handed out in a project: locked per create, never goes back."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="requirement_sequence")
    last_number = models.PositiveIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("requirement numbering")
        verbose_name_plural = _("requirement numbering")

    def __str__(self):
        return f"{self.project.code}: {self.last_number}"


class Requirement(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="requirements")
    number = models.PositiveIntegerField(_("number"))
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    acceptance_criteria = models.TextField(_("acceptance criteria"), blank=True)
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="requirements", verbose_name=_("department"))
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.SHOULD)
    status = models.CharField(_("status"), max_length=20, choices=RequirementStatus.choices,
                              default=RequirementStatus.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"))
    source_answer = models.ForeignKey(Answer, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="requirements", verbose_name=_("source answer"))
    source_interview = models.ForeignKey(Interview, on_delete=models.SET_NULL, null=True, blank=True,
                                         related_name="requirements", verbose_name=_("source interview"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["number"]
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="requirement_unique_number"),
            models.UniqueConstraint(fields=["project", "code"], name="requirement_unique_code"),
        ]
        indexes = [models.Index(fields=["project", "status"], name="requirement_project_status")]

    def __str__(self):
        return f"{self.code} {self.title}"


class RequirementVersion(models.Model):
    """What a requirement said in one version: the text reviewers decided on."""

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    acceptance_criteria = models.TextField(_("acceptance criteria"), blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    department_name = models.CharField(_("department"), max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("written by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["requirement_id", "number"]
        verbose_name = _("requirement version")
        verbose_name_plural = _("requirement versions")
        constraints = [models.UniqueConstraint(fields=["requirement", "number"], name="requirement_version_unique")]

    def __str__(self):
        return f"{self.requirement_id} v{self.number}"

    def get_project(self):
        return self.requirement.project


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class RequirementReview(models.Model):
    """One reviewer's decision on one version. Written once by the service, never edited."""

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="reviews")
    version = models.PositiveIntegerField(_("version"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("reviewer"))
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")

    def __str__(self):
        return f"{self.requirement_id} v{self.version}: {self.decision}"

    def get_project(self):
        return self.requirement.project


class ConflictStatus(models.TextChoices):
    OPEN = "open", _("Unresolved")
    RESOLVED = "resolved", _("Resolved")


class RequirementConflict(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="requirement_conflicts")
    first = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="conflicts_as_first",
                              verbose_name=_("requirement"))
    second = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="conflicts_as_second",
                               verbose_name=_("conflicts with"))
    note = models.TextField(_("note"))
    status = models.CharField(_("status"), max_length=10, choices=ConflictStatus.choices,
                              default=ConflictStatus.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["status", "-created_at", "-id"]
        verbose_name = _("requirement conflict")
        verbose_name_plural = _("requirement conflicts")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="requirement_conflict_pair"),
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="requirement_conflict_ordered"),
        ]

    def __str__(self):
        return f"{self.first_id} ↔ {self.second_id}"
