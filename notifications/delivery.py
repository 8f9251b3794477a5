"""E-mail delivery from the outbox.

Order of work for every e-mail: lock the row(s) (`SELECT … FOR UPDATE SKIP LOCKED`), check they
are still pending and unsent, send, mark sent, commit. So:
- two workers never send the same row (the second skips the locked row, then sees it sent);
- a send that fails leaves the row pending with a back-off; it is never marked sent;
- a worker killed mid-way rolls back the row it was working on, which stays pending and is
  picked up by the next sweep. (The only window for a duplicate is a kill between the mail
  server accepting the message and the commit, a few milliseconds: SMTP has no way to make
  that atomic, and losing a reminder is worse than a rare second copy.)

Quiet hours, the daily digest and opt-outs are applied here, per person, from their preferences.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from projects.people import display_name

from .models import EmailMode, EmailStatus, Notification
from .selectors import kind_label, preferences_for

log = logging.getLogger(__name__)

BACKOFF_SECONDS = 60  # first retry after a minute, then 2, 4, 8 … minutes
BACKOFF_MAX_SECONDS = 1800  # stays below the broker's visibility timeout (3600 s)
MAX_ATTEMPTS = 8
BATCH_LIMIT = 500


class DeliveryFailed(Exception):
    """The mail server refused or could not be reached; the row(s) stay pending."""

    def __init__(self, message, *, retry_in):
        super().__init__(message)
        self.retry_in = retry_in


def backoff(attempts) -> timedelta:
    return timedelta(seconds=min(BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


@dataclass
class DeliveryReport:
    sent: int = 0
    emails: int = 0
    skipped: int = 0
    deferred: int = 0
    failed: int = 0
    more: bool = False
    errors: list = field(default_factory=list)

    def __str__(self):
        return (f"{self.emails} e-mail(s) for {self.sent} notification(s), {self.skipped} not e-mailed, "
                f"{self.deferred} deferred, {self.failed} failed")


def _due(now):
    return Q(email_status=EmailStatus.PENDING, email_sent_at__isnull=True) & (
        Q(email_next_attempt_at__isnull=True) | Q(email_next_attempt_at__lte=now))


def _lock(ids, now):
    return list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(_due(now), pk__in=ids).select_related("recipient", "project").order_by("id")
    )


def _skip_reason(notification, pref):
    if not pref.email_enabled:
        return _("E-mail switched off by the recipient.")
    if not notification.recipient.email:
        return _("The recipient has no e-mail address.")
    if notification.kind in (pref.muted_kinds or []):
        return _("The recipient does not want e-mail for this kind.")
    return ""


class _LazyConnection:
    """One mail connection per batch, opened only when something is actually sent."""

    def __init__(self):
        self.connection = None

    def get(self):
        if self.connection is None:
            self.connection = mail.get_connection()
            self.connection.open()
        return self.connection

    def close(self):
        if self.connection is not None:
            try:
                self.connection.close()
            except OSError:
                pass


def site_url(path=""):
    base = getattr(settings, "SITE_URL", "") or "http://127.0.0.1:8000"
    return urljoin(base.rstrip("/") + "/", path.lstrip("/")) if path else base


def build_email(notifications, *, language, connection=None):
    """The e-mail (plain text + HTML) for one or several notifications, in `language`."""
    recipient = notifications[0].recipient
    with translation.override(language):
        # n.text renders each message now, in the recipient's preferred language (not the writer's).
        items = [{"n": n, "label": kind_label(n.kind), "text": n.text, "link": site_url(n.url) if n.url else ""}
                 for n in notifications]
        if len(notifications) == 1:
            first_line = (notifications[0].text.splitlines() or [""])[0]
            subject = _("[Liftoff] %(kind)s: %(message)s") % {
                "kind": items[0]["label"], "message": Truncator(first_line).chars(90)}
        else:
            subject = ngettext("[Liftoff] Your digest: %(n)d notification", "[Liftoff] Your digest: %(n)d notifications",
                               len(notifications)) % {"n": len(notifications)}
        context = {"recipient": recipient, "name": display_name(recipient), "items": items, "digest": len(notifications) > 1,
                   "inbox_url": site_url(reverse("notifications:inbox")),
                   "preferences_url": site_url(reverse("notifications:preferences")), "language": language}
        text = render_to_string("notifications/email/message.txt", context)
        html = render_to_string("notifications/email/message.html", context)
    message = mail.EmailMultiAlternatives(subject=subject.replace("\n", " "), body=text, to=[recipient.email],
                                          connection=connection)
    message.attach_alternative(html, "text/html")
    return message


def _plan(ids, pref, now, report):
    """Skip what must not be e-mailed and defer what must wait; return the ids to send now."""
    with transaction.atomic():
        rows = _lock(ids, now)
        send, skip, defer = [], defaultdict(list), defaultdict(list)
        for n in rows:
            reason = _skip_reason(n, pref)
            if reason:
                skip[reason].append(n.pk)
                continue
            if n.email_next_attempt_at is None:
                when = pref.email_allowed_at(now)  # first look: digest hour, quiet hours
            else:
                when = pref.email_allowed_at(now) if pref.in_quiet_hours(now) else now  # its time came
            if when > now:
                defer[when].append(n.pk)
            else:
                send.append(n.pk)
        for reason, pks in skip.items():
            report.skipped += Notification.objects.filter(pk__in=pks).update(
                email_status=EmailStatus.SKIPPED, email_error=reason[:300])
        for when, pks in defer.items():
            report.deferred += Notification.objects.filter(pk__in=pks).update(email_next_attempt_at=when)
    return send


def _send(ids, pref, now, connection, report):
    """Lock, send one e-mail for these rows, mark them sent, commit. Raises DeliveryFailed."""
    with transaction.atomic():
        rows = _lock(ids, now)
        if not rows:
            return  # another worker has them, or they were sent meanwhile
        try:
            build_email(rows, language=pref.language, connection=connection.get()).send()
        except Exception as exc:  # noqa: BLE001 - SMTP/socket errors (OSError), or one bad row: recorded, backed off
            # A row that cannot be rendered must not block the outbox for everybody behind it.
            attempts = max(n.email_attempts for n in rows) + 1
            retry_in = backoff(attempts)
            status = EmailStatus.FAILED if attempts >= MAX_ATTEMPTS else EmailStatus.PENDING
            Notification.objects.filter(pk__in=[n.pk for n in rows]).update(
                email_attempts=attempts, email_error=f"{type(exc).__name__}: {exc}"[:300],
                email_next_attempt_at=now + retry_in, email_status=status)
            report.failed += len(rows)
            report.errors.append(str(exc))
            log.warning("E-mail to user %s failed (attempt %s): %s", rows[0].recipient_id, attempts, exc,
                        exc_info=not isinstance(exc, OSError))
            failure = DeliveryFailed(str(exc), retry_in=retry_in)
        else:
            failure = None
            report.sent += Notification.objects.filter(pk__in=[n.pk for n in rows],
                                                       email_status=EmailStatus.PENDING).update(
                email_status=EmailStatus.SENT, email_sent_at=timezone.now(), email_next_attempt_at=None, email_error="")
            report.emails += 1
    if failure is not None:  # raised after the commit, so the attempt and its back-off are kept
        raise failure


def _deliver_person(ids, pref, now, connection, report):
    send = _plan(ids, pref, now, report)
    if not send:
        return
    if pref.email_mode == EmailMode.DIGEST:
        _send(send, pref, now, connection, report)  # one e-mail for everything that is due
    else:
        for pk in send:  # one e-mail, one transaction per notification: a kill loses at most one
            _send([pk], pref, now, connection, report)


def deliver_outbox(*, now=None, limit=BATCH_LIMIT) -> DeliveryReport:
    """Send up to `limit` due notifications, grouped per person, over one mail connection."""
    now = now or timezone.now()
    report = DeliveryReport()
    rows = list(Notification.objects.filter(_due(now)).order_by("id").values_list("id", "recipient_id")[:limit + 1])
    report.more = len(rows) > limit
    by_person = defaultdict(list)
    for pk, recipient_id in rows[:limit]:
        by_person[recipient_id].append(pk)
    prefs = preferences_for(user_ids=list(by_person))
    connection = _LazyConnection()
    try:
        for recipient_id, ids in by_person.items():
            try:
                _deliver_person(ids, prefs[recipient_id], now, connection, report)
            except DeliveryFailed:
                continue  # this person's rows wait for their back-off; the others go on
    finally:
        connection.close()
    log.info("Outbox: %s", report)
    return report


def deliver_email(*, notification_id, now=None):
    """Send one notification's e-mail now if its recipient's preferences allow it.

    True when it was sent. Raises DeliveryFailed (with the back-off) when the mail server
    refused, so the Celery task retries; the row is never marked sent unless it was sent.
    """
    now = now or timezone.now()
    recipient_id = Notification.objects.filter(pk=notification_id).values_list("recipient_id", flat=True).first()
    if recipient_id is None:
        return False
    pref = preferences_for(user_ids=[recipient_id])[recipient_id]
    report = DeliveryReport()
    connection = _LazyConnection()
    try:
        _deliver_person([notification_id], pref, now, connection, report)
    finally:
        connection.close()
    return report.sent > 0
