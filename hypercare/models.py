"""Hypercare: staff feedback and its triage, the daily report subscription, lessons learned.

Incidents are not a model of their own: they are defects found in hypercare (`defects.Defect`
with `found_in = hypercare`), read through the defects app's selectors.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from projects.models import Project


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


# ---------------------------------------------------------------- staff feedback


class FeedbackCategory(models.TextChoices):
    BUG = "bug", _("Bug")
    USABILITY = "usability", _("Usability")
    FEATURE = "feature", _("Missing feature")
    TRAINING = "training", _("Training need")


class FeedbackStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("feedback status", "New")
    TRIAGED = "triaged", _("Triaged")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", pgettext_lazy("feedback status", "Closed")


class TriageOutcome(models.TextChoices):
    DEFECT = "defect", _("Defect")
    REQUIREMENT = "requirement", _("Requirement")
    TRAINING = "training", _("Training need")
    CLOSED = "closed", _("Closed with an answer")


def feedback_screenshot_path(instance, filename):
    return f"feedback/{uuid.uuid4().hex}{Path(filename).suffix.lower()[:10]}"


class Feedback(models.Model):
    """What a member (branch staff included) tells the project after go-live; a manager triages it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="feedback")
    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback",
                                  verbose_name=_("submitted by"))
    category = models.CharField(_("category"), max_length=20, choices=FeedbackCategory.choices)
    text = models.TextField(_("feedback"))
    page_url = models.CharField(_("page"), max_length=500, blank=True)
    screenshot = models.FileField(_("screenshot"), upload_to=feedback_screenshot_path, max_length=200, blank=True)
    screenshot_name = models.CharField(_("screenshot name"), max_length=255, blank=True)
    screenshot_type = models.CharField(_("screenshot type"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW)
    outcome = models.CharField(_("triage outcome"), max_length=20, choices=TriageOutcome.choices, blank=True)
    triage_note = models.TextField(_("triage note"), blank=True)
    defect = models.ForeignKey("defects.Defect", on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback",
                               verbose_name=_("defect"))
    triaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("triaged by"))
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    answer = models.TextField(pgettext_lazy("feedback reply", "answer"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("answered by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        indexes = [models.Index(fields=["project", "status"], name="feedback_project_status")]

    def __str__(self):
        return f"F-{self.pk} {self.text[:40]}"

    @property
    def key(self):
        return f"F-{self.pk}"


class HypercareReportSubscription(models.Model):
    """A member who wants the daily hypercare report (in the inbox, and by e-mail per their preferences)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="hypercare_subscriptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("daily hypercare report subscription")
        verbose_name_plural = _("daily hypercare report subscriptions")
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="hypercare_subscription_unique")]

    def __str__(self):
        return f"{self.project_id} · {self.user}"


# ---------------------------------------------------------------- customer complaints


class ComplaintChannel(models.TextChoices):
    BRANCH = "branch", _("Branch counter")
    PHONE = "phone", _("Phone (call centre)")
    ONLINE = "online", _("Online banking")
    APP = "app", _("Mobile app")
    OTHER = "other", _("Other")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("complaint status", "Open")
    INVESTIGATING = "investigating", _("Investigating")
    RESOLVED = "resolved", pgettext_lazy("complaint status", "Resolved")


# Which status may follow which (a resolved complaint may be reopened for more investigation).
COMPLAINT_TRANSITIONS = {
    ComplaintStatus.OPEN: {ComplaintStatus.INVESTIGATING},
    ComplaintStatus.INVESTIGATING: {ComplaintStatus.RESOLVED},
    ComplaintStatus.RESOLVED: {ComplaintStatus.INVESTIGATING},
}


class Complaint(models.Model):
    """A customer complaint (客户投诉) after go-live, with the defect or incident behind it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="complaints")
    channel = models.CharField(_("channel"), max_length=10, choices=ComplaintChannel.choices)
    category = models.CharField(_("category"), max_length=100,
                                help_text=_("What it is about, e.g. “transfer failed”, “long queue”."))
    description = models.TextField(_("description"))
    customers_affected = models.PositiveIntegerField(_("customers affected"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.OPEN)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("owner"))
    defect = models.ForeignKey("defects.Defect", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="complaints", verbose_name=_("defect or incident"))
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+", verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [models.Index(fields=["project", "status"], name="complaint_project_status")]

    def __str__(self):
        return f"C-{self.pk} {self.category}"

    @property
    def key(self):
        return f"C-{self.pk}"
