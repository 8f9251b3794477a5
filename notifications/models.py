from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from projects.texts import render as render_text


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not e-mailed")
    FAILED = "failed", pgettext_lazy("e-mail status", "Failed")


class Notification(models.Model):
    """One message to one person. The database is the outbox: Celery only carries the work.

    In-app it is visible as soon as the row exists. The e-mail channel has its own state:
    `email_status` moves pending → sent (only after the mail server accepted it), skipped
    (the person opted out, has no address, or muted the kind) or failed (gave up after
    retries). `email_next_attempt_at` defers it (quiet hours, daily digest, retry back-off).
    """

    # Few indexes on purpose: the sweep inserts in bulk and every index costs on each row.
    # recipient and subject are covered by the composite indexes below.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  db_index=False)
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="notifications")
    kind = models.CharField(_("kind"), max_length=60)
    # What the message is (a registered template's key) and what fills it in: rendered when it is
    # read, in the reader's language. `message` is that text rendered once, in the recipient's
    # language, when the row was written: the fallback for rows older than keys, and the log.
    message_key = models.CharField(_("message template"), max_length=80, blank=True)
    params = models.JSONField(_("message parameters"), default=dict, blank=True)
    message = models.TextField(_("message"))
    url = models.CharField(_("link"), max_length=500, blank=True)
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                     db_index=False)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    # Unique through a constraint rather than unique=True, which on PostgreSQL adds a second,
    # LIKE-pattern index that every bulk insert would pay for (the demo's one prefix lookup is
    # narrowed by project first).
    dedupe_key = models.CharField(_("dedupe key"), max_length=255)
    # A default rather than auto_now_add: a sweep stamps its whole batch with one time instead
    # of asking the clock once per row.
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    email_status = models.CharField(_("e-mail status"), max_length=10, choices=EmailStatus.choices,
                                    default=EmailStatus.PENDING)
    email_sent_at = models.DateTimeField(_("e-mail sent at"), null=True, blank=True)
    email_next_attempt_at = models.DateTimeField(_("next e-mail attempt"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    email_error = models.CharField(_("last e-mail error"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_unread"),
            models.Index(fields=["subject_type", "subject_id"], name="notif_subject"),
            models.Index(fields=["email_next_attempt_at", "id"], name="notif_outbox",
                         condition=Q(email_status="pending")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="notif_dedupe_key",
                                    violation_error_message=_("This notification was sent already.")),
            models.CheckConstraint(
                condition=~Q(email_status="sent") | Q(email_sent_at__isnull=False), name="notif_sent_has_time",
                violation_error_message=_("A notification marked sent needs the time it was sent."),
            )
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient}: {self.message[:40]}"

    @property
    def unread(self):
        return self.read_at is None

    @property
    def text(self) -> str:
        """The message in the active language (the reader's now; the recipient's preference in e-mail)."""
        return render_text(self.message_key, self.params, fallback=self.message)


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", _("At once")
    DIGEST = "digest", _("Daily digest")


def _default_language():
    return settings.LANGUAGE_CODE


class NotificationPreference(models.Model):
    """How one person wants to be told. A person without a row gets the defaults."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default=_default_language)
    email_enabled = models.BooleanField(_("send e-mail"), default=True)
    email_mode = models.CharField(_("e-mail timing"), max_length=10, choices=EmailMode.choices,
                                  default=EmailMode.IMMEDIATE)
    digest_hour = models.PositiveSmallIntegerField(_("digest hour"), default=8,
                                                   validators=[MinValueValidator(0), MaxValueValidator(23)],
                                                   help_text=_("Local hour (0–23) when the daily digest goes out."))
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    muted_kinds = models.JSONField(_("kinds not e-mailed"), default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(condition=Q(digest_hour__gte=0, digest_hour__lte=23), name="pref_digest_hour",
                                   violation_error_message=_("The digest hour must be between 0 and 23.")),
        ]

    def __str__(self):
        return f"{self.user} · {self.language}"

    # --- when may an e-mail go out -------------------------------------------------------
    def in_quiet_hours(self, moment) -> bool:
        if self.quiet_start is None or self.quiet_end is None or self.quiet_start == self.quiet_end:
            return False
        local = timezone.localtime(moment).time()
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end  # wraps midnight, e.g. 22:00–07:00

    def _next_local(self, moment, at: time):
        local = timezone.localtime(moment)
        candidate = timezone.make_aware(datetime.combine(local.date(), at), local.tzinfo)
        if candidate < moment:
            candidate = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), at), local.tzinfo)
        return candidate

    def email_allowed_at(self, moment):
        """The first moment at or after `moment` when an e-mail may go out to this person."""
        when = moment
        if self.email_mode == EmailMode.DIGEST:
            when = self._next_local(moment, time(self.digest_hour))
        if self.in_quiet_hours(when):
            when = self._next_local(when, self.quiet_end)
        return when


class ReminderSetting(models.Model):
    """A project's choice for one reminder kind: on or off, and its lead time."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="reminder_settings")
    kind = models.CharField(_("kind"), max_length=60)
    enabled = models.BooleanField(_("enabled"), default=True)
    lead_hours = models.PositiveIntegerField(
        _("lead time (hours)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 90)],
        help_text=_("How long before the due time people are reminded. Empty: the default."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["project_id", "kind"]
        verbose_name = _("reminder setting")
        verbose_name_plural = _("reminder settings")
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="reminder_setting_unique_kind",
                                    violation_error_message=_("This project already has a setting for that kind.")),
            models.CheckConstraint(condition=Q(lead_hours__isnull=True) | Q(lead_hours__gte=1),
                                   name="reminder_setting_lead_positive",
                                   violation_error_message=_("The lead time must be at least one hour.")),
        ]

    def __str__(self):
        return f"{self.project_id} · {self.kind}"

    @property
    def lead(self):
        return timedelta(hours=self.lead_hours) if self.lead_hours else None


# --- chat-robot channels -------------------------------------------------------------------

class ChannelKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk custom robot")
    FEISHU = "feishu", _("Feishu / Lark bot")
    WEBHOOK = "webhook", _("Signed webhook")


class Channel(models.Model):
    """A team's group chat (or any HTTP endpoint) that hears about a project's events.

    The secret signs each request as the platform requires and is never shown back; it is left
    out of the audit history for the same reason (a change of secret is still recorded, as
    `secret_changed_at`)."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="channels")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("platform"), max_length=20, choices=ChannelKind.choices)
    url = models.CharField(_("webhook address"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    secret_changed_at = models.DateTimeField(_("secret changed at"), null=True, blank=True)
    events = models.JSONField(_("events"), default=list, blank=True,
                              help_text=_("Notification kinds sent to this channel; empty: every kind."))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default=_default_language)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["project_id", "name", "id"]
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="channel_unique_name",
                                               violation_error_message=_("This project has a channel of that name."))]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def wants(self, kind) -> bool:
        return not self.events or kind in self.events


class ChannelMessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not sent")
    FAILED = "failed", pgettext_lazy("chat message status", "Failed")


class ChannelSend(models.Model):
    """One HTTP request to a channel: what the platform's rate limit counts. A digest is one send."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="sends")
    at = models.DateTimeField(_("at"), default=timezone.now)
    messages = models.PositiveIntegerField(_("messages"), default=1)
    digest = models.BooleanField(_("digest"), default=False)
    ok = models.BooleanField(_("accepted"), default=False)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response = models.CharField(_("response"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("channel send")
        verbose_name_plural = _("channel sends")
        indexes = [models.Index(fields=["channel", "at"], name="channel_send_window")]

    def __str__(self):
        return f"{self.channel_id} {self.at:%Y-%m-%d %H:%M:%S} {'ok' if self.ok else 'failed'}"


class ChannelMessage(models.Model):
    """One message for one channel: the outbox row, with the same guarantees as e-mail.

    Written once per event and channel (unique `dedupe_key`), rendered in the channel's language;
    sent alone, or folded into a digest when the platform's rate limit would be exceeded."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=60)
    # As on Notification: the template key and parameters, rendered in the channel's language when
    # sent; `text` is the rendering at write time (the fallback and what the outbox page shows).
    message_key = models.CharField(_("message template"), max_length=80, blank=True)
    params = models.JSONField(_("message parameters"), default=dict, blank=True)
    text = models.TextField(_("text"))
    url = models.CharField(_("link"), max_length=500, blank=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=255)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=ChannelMessageStatus.choices,
                              default=ChannelMessageStatus.PENDING)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    send = models.ForeignKey(ChannelSend, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("sent in"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("channel message")
        verbose_name_plural = _("channel messages")
        indexes = [models.Index(fields=["channel", "id"], name="channel_outbox",
                                condition=Q(status="pending"))]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="channel_message_dedupe_key",
                                    violation_error_message=_("This message was sent to the channel already.")),
            models.CheckConstraint(condition=~Q(status="sent") | Q(sent_at__isnull=False),
                                   name="channel_message_sent_has_time"),
        ]

    def __str__(self):
        return f"{self.channel_id}: {self.text[:40]}"

    def rendered(self, language) -> str:
        """The message in `language` (the channel's), from its key; the stored text for old rows."""
        with translation.override(language):
            return render_text(self.message_key, self.params, fallback=self.text)


# --- alerts and escalation -------------------------------------------------------------------

class EscalationPolicy(models.Model):
    """Who is called, in order, until somebody acknowledges an alert.

    `steps` is a list of {wait_minutes, target}: step 1 is notified when the alert comes in; when
    nobody has acknowledged `wait_minutes` after a step was notified, the next step is. Targets:
    `on_call_primary`, `on_call_backup` (the rota at that moment), `role:<role>`, `user:<id>`."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="escalation_policies")
    name = models.CharField(_("name"), max_length=120)
    steps = models.JSONField(_("steps"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project_id", "name", "id"]
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="escalation_policy_unique_name",
                                               violation_error_message=_("This project has a policy of that name."))]

    def __str__(self):
        return self.name


class AlertSeverity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    WARNING = "warning", _("Warning")
    INFO = "info", _("Info")


class AlertStatus(models.TextChoices):
    TRIGGERED = "triggered", _("Triggered")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class Alert(models.Model):
    """A problem reported by monitoring (or a person), escalated until somebody acknowledges it.

    The policy's steps are copied when the alert comes in (`steps`), so editing a policy never
    changes an alert under way. `level` counts the steps notified so far; `next_escalation_at` is
    when the next one is due (None: acknowledged, resolved, or no step left)."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="alerts")
    title = models.CharField(_("title"), max_length=200)
    severity = models.CharField(_("severity"), max_length=10, choices=AlertSeverity.choices,
                                default=AlertSeverity.WARNING)
    source = models.CharField(_("source"), max_length=120, blank=True,
                              help_text=_("The monitoring tool or person that raised it."))
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="alerts", verbose_name=_("escalation policy"))
    steps = models.JSONField(_("escalation steps"), default=list)
    status = models.CharField(_("status"), max_length=15, choices=AlertStatus.choices, default=AlertStatus.TRIGGERED)
    triggered_at = models.DateTimeField(_("triggered at"), default=timezone.now)
    triggered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("reported by"))
    level = models.PositiveSmallIntegerField(_("steps notified"), default=0)
    next_escalation_at = models.DateTimeField(_("next escalation at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+", verbose_name=_("acknowledged by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("resolved by"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-triggered_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["next_escalation_at"], name="alert_escalation_due",
                                condition=Q(status="triggered"))]
        constraints = [
            models.CheckConstraint(condition=~Q(status="acknowledged") | Q(acknowledged_at__isnull=False),
                                   name="alert_ack_has_time"),
            models.CheckConstraint(condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                                   name="alert_resolved_has_time"),
        ]

    def __str__(self):
        return self.title

    @property
    def exhausted(self):
        return self.status == AlertStatus.TRIGGERED and self.next_escalation_at is None


class AlertEventKind(models.TextChoices):
    TRIGGERED = "triggered", _("Triggered")
    NOTIFIED = "notified", _("Notified")
    NOBODY = "nobody", _("Nobody to notify")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class AlertEvent(models.Model):
    """What happened to an alert, in order: who was told at which step, who acknowledged."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"), default=timezone.now)
    kind = models.CharField(_("what"), max_length=15, choices=AlertEventKind.choices)
    step = models.PositiveSmallIntegerField(_("step"), null=True, blank=True)
    target = models.CharField(_("target"), max_length=40, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("person"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")

    def __str__(self):
        return f"{self.alert_id} {self.kind} {self.at:%H:%M}"
