"""Chat-robot channels: how each platform wants a message signed and sent, and the delivery of
the channel outbox within each platform's rate limit.

Platforms (the group robots a bank's teams use):
- **WeCom** (企业微信群机器人): the key is in the URL; no signature; 20 messages a minute.
- **DingTalk** (钉钉自定义机器人, 加签): `sign = base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" +
  secret))` with a millisecond timestamp, both added to the URL (`&timestamp=…&sign=…`); 20 a minute.
- **Feishu / Lark** (飞书自定义机器人, 签名校验): `sign = base64(HMAC-SHA256(key=timestamp + "\\n" +
  secret, msg=""))` with a timestamp in seconds, both in the JSON body; 100 a minute, 5 a second.
- **Signed webhook** (anything else: an ops portal, a ticket system): JSON body, headers
  `X-Liftoff-Timestamp` (seconds) and `X-Liftoff-Signature: sha256=<hex HMAC-SHA256(secret,
  timestamp + "." + body)>`; 60 a minute (our own limit, to be a good neighbour).

Delivery (`deliver_channel`) has the e-mail outbox's guarantees: every message is a
`ChannelMessage` row with a unique dedupe key; the channel's row is locked (`SELECT … FOR UPDATE`)
while one request is made and its rows are marked, so two workers never send the same row and
never together exceed the rate limit; a failed request leaves the rows pending with a back-off.
The only duplicate window is a worker killed between the platform's "ok" and the commit.
When more messages wait than the rate limit allows this minute, the last request the limit
allows carries all of them as one digest; when none is allowed, delivery waits (`wait_until`).
"""

import base64
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .delivery import backoff, site_url
from .models import Channel, ChannelKind, ChannelMessage, ChannelMessageStatus, ChannelSend

log = logging.getLogger(__name__)

# (per minute, per second or None)
LIMITS = {
    ChannelKind.WECOM: (20, None),
    ChannelKind.DINGTALK: (20, None),
    ChannelKind.FEISHU: (100, 5),
    ChannelKind.WEBHOOK: (60, None),
}
MAX_ATTEMPTS = 8
DIGEST_MAX = 50  # messages folded into one digest; more wait for the next window
TIMEOUT_SECONDS = 5
ROUNDS = 200  # requests one delivery run makes at most (a run holds the channel lock only per request)

# How much text each platform takes (WeCom counts UTF-8 bytes: 2,048; the others are looser).
_WECOM_BYTES = 2000
_TEXT_CHARS = {ChannelKind.DINGTALK: 4000, ChannelKind.FEISHU: 4000, ChannelKind.WEBHOOK: 16000}


# --- signatures ----------------------------------------------------------------------------

def _b64_hmac(key: str, message: str) -> str:
    return base64.b64encode(hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()).decode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    return _b64_hmac(secret, f"{timestamp_ms}\n{secret}")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    return _b64_hmac(f"{timestamp_s}\n{secret}", "")


def webhook_sign(secret: str, timestamp_s: int, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_s}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


# --- requests ------------------------------------------------------------------------------

@dataclass
class Request:
    url: str
    body: bytes
    headers: dict


def _truncate(kind, text):
    if kind == ChannelKind.WECOM:
        data = text.encode("utf-8")
        if len(data) <= _WECOM_BYTES:
            return text
        return data[:_WECOM_BYTES - 3].decode("utf-8", "ignore") + "…"
    limit = _TEXT_CHARS[kind]
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _with_query(url, **params):
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.urlencode(params)
    return urllib.parse.urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))


def build_request(channel, *, text, messages, now) -> Request:
    """The HTTP request that posts `text` to `channel`, signed as its platform requires."""
    text = _truncate(channel.kind, text)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Liftoff"}
    seconds = int(now.timestamp())
    if channel.kind == ChannelKind.WECOM:
        body = {"msgtype": "text", "text": {"content": text}}
        return Request(channel.url, _json(body), headers)
    if channel.kind == ChannelKind.DINGTALK:
        body = {"msgtype": "text", "text": {"content": text}}
        url = channel.url
        if channel.secret:
            millis = int(now.timestamp() * 1000)
            url = _with_query(url, timestamp=millis, sign=dingtalk_sign(channel.secret, millis))
        return Request(url, _json(body), headers)
    if channel.kind == ChannelKind.FEISHU:
        body = {"msg_type": "text", "content": {"text": text}}
        if channel.secret:
            body = {"timestamp": str(seconds), "sign": feishu_sign(channel.secret, seconds), **body}
        return Request(channel.url, _json(body), headers)
    payload = _json({
        "project": channel.project.code, "project_id": channel.project_id, "text": text,
        "digest": len(messages) > 1, "sent_at": now.isoformat(),
        "messages": [{"id": m.pk, "kind": m.kind, "text": m.rendered(channel.language), "url": site_url(m.url) if m.url else "",
                      "created_at": m.created_at.isoformat()} for m in messages],
    })
    headers["X-Liftoff-Timestamp"] = str(seconds)
    headers["X-Liftoff-Signature"] = webhook_sign(channel.secret, seconds, payload)
    return Request(channel.url, payload, headers)


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_response(kind, status, body) -> str:
    """'' when the platform accepted the message, else what it said (robots answer HTTP 200 with
    an error code in the body: WeCom/DingTalk `errcode`, Feishu `code` or `StatusCode`)."""
    if status is None or not 200 <= status < 300:
        return _("HTTP %(status)s: %(body)s") % {"status": status, "body": (body or "")[:200]}
    if kind == ChannelKind.WEBHOOK:
        return ""
    try:
        data = json.loads(body or "{}")
    except ValueError:
        return _("The platform answered something that is not JSON: %(body)s") % {"body": (body or "")[:200]}
    if not isinstance(data, dict):
        return ""
    code = data.get("errcode", data.get("code", data.get("StatusCode", 0)))
    if code not in (0, "0", None):
        return _("The platform refused the message (%(code)s): %(msg)s") % {
            "code": code, "msg": data.get("errmsg") or data.get("msg") or data.get("StatusMessage") or ""}
    return ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A robot answers where it was asked; a redirect could carry the signed request elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(request: Request, timeout=TIMEOUT_SECONDS):
    """POST the request; (status, body text). Network failures raise OSError; a URL that is not
    http(s) (say, edited in by hand) raises ValueError before anything is opened."""
    if urllib.parse.urlsplit(request.url).scheme not in ("http", "https"):
        raise ValueError(_("The channel's address is not an http(s) URL."))
    http_request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        request.url, data=request.body, headers=request.headers, method="POST")
    try:
        with _opener.open(http_request, timeout=timeout) as response:
            return response.status, response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(4096).decode("utf-8", "replace")


# --- texts ---------------------------------------------------------------------------------

def _line(channel, message):
    """One message in the channel's language, rendered now from its key (a channel that switched
    language since the event says it in the new one)."""
    text = message.rendered(channel.language)
    return f"{text}\n{site_url(message.url)}" if message.url else text


def message_text(channel, message):
    return f"[Liftoff · {channel.project.code}] {_line(channel, message)}"


def digest_text(channel, messages, more=0):
    with translation.override(channel.language):
        head = ngettext("%(n)d update, sent together because the chat's rate limit was reached:",
                        "%(n)d updates, sent together because the chat's rate limit was reached:",
                        len(messages) + more) % {"n": len(messages) + more}
        lines = [f"[Liftoff · {channel.project.code}] {head}"]
        lines += [f"{i}. {_line(channel, m)}" for i, m in enumerate(messages, start=1)]
        if more:
            lines.append(_("… and %(n)d more in Liftoff.") % {"n": more})
    return "\n".join(lines)


# --- delivery ------------------------------------------------------------------------------

@dataclass
class ChannelReport:
    sends: int = 0
    sent: int = 0
    digests: int = 0
    failed: int = 0
    skipped: int = 0
    wait_until: object = None
    errors: list = field(default_factory=list)

    def __str__(self):
        text = (f"{self.sends} request(s), {self.sent} message(s) sent ({self.digests} digest(s)), "
                f"{self.failed} failed, {self.skipped} skipped")
        if self.wait_until:
            text += f"; rate limit: waits until {self.wait_until:%H:%M:%S}"
        return text


def _due(moment):
    return Q(status=ChannelMessageStatus.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment))


def budget(channel, moment):
    """(requests still allowed this minute, this second, when the next one is allowed if none is)."""
    per_minute, per_second = LIMITS[channel.kind]
    recent = list(ChannelSend.objects.filter(channel=channel, at__gt=moment - timedelta(minutes=1), at__lte=moment)
                  .order_by("at").values_list("at", flat=True))
    minute_left = per_minute - len(recent)
    free_at = recent[0] + timedelta(minutes=1) if minute_left <= 0 and recent else None
    second_left = per_minute
    if per_second:
        last_second = [t for t in recent if t > moment - timedelta(seconds=1)]
        second_left = per_second - len(last_second)
        if second_left <= 0 and free_at is None:
            free_at = last_second[0] + timedelta(seconds=1)
    return minute_left, second_left, free_at


_STOP, _SENT, _FAILED = "stop", "sent", "failed"


def _round(channel_id, moment, report):
    """Under the channel's row lock: pick what is due, make one request, record it, commit."""
    with transaction.atomic():
        channel = Channel.objects.select_for_update(of=("self",)).select_related("project").filter(pk=channel_id).first()
        if channel is None:
            return _STOP
        due = list(ChannelMessage.objects.select_for_update().filter(_due(moment), channel=channel)
                   .order_by("id")[:DIGEST_MAX + 1])
        if not due:
            return _STOP
        if not channel.active:
            report.skipped += ChannelMessage.objects.filter(_due(moment), channel=channel).update(
                status=ChannelMessageStatus.SKIPPED, error=_("The channel was switched off."))
            return _STOP
        minute_left, second_left, free_at = budget(channel, moment)
        if minute_left <= 0 or second_left <= 0:
            report.wait_until = free_at
            return _STOP
        waiting = len(due) if len(due) <= DIGEST_MAX else ChannelMessage.objects.filter(
            _due(moment), channel=channel).count()
        if waiting > minute_left and minute_left == 1 and waiting > 1:
            batch = due[:DIGEST_MAX]
            text = digest_text(channel, batch, more=waiting - len(batch))
        else:
            batch = due[:1]
            text = message_text(channel, batch[0])
        request = build_request(channel, text=text, messages=batch, now=moment)
        status, body = None, ""
        try:
            status, body = post(request)
            error = parse_response(channel.kind, status, body)
        except (OSError, ValueError) as exc:  # refused, unreachable, timed out, a bad address
            error = f"{type(exc).__name__}: {exc}"
        send = ChannelSend.objects.create(channel=channel, at=moment, messages=len(batch), digest=len(batch) > 1,
                                          ok=not error, status_code=status, response=(error or body)[:300])
        report.sends += 1
        ids = [m.pk for m in batch]
        if not error:
            report.sent += ChannelMessage.objects.filter(pk__in=ids, status=ChannelMessageStatus.PENDING).update(
                status=ChannelMessageStatus.SENT, sent_at=moment, send=send, error="", next_attempt_at=None)
            report.digests += len(batch) > 1
            return _SENT
        attempts = max(m.attempts for m in batch) + 1
        ChannelMessage.objects.filter(pk__in=ids).update(
            attempts=attempts, error=error[:300], next_attempt_at=moment + backoff(attempts),
            status=ChannelMessageStatus.FAILED if attempts >= MAX_ATTEMPTS else ChannelMessageStatus.PENDING)
        report.failed += len(batch)
        report.errors.append(error)
        log.warning("Channel %s: request failed (attempt %s): %s", channel_id, attempts, error)
        return _FAILED


def deliver_channel(*, channel_id, now=None) -> ChannelReport:
    """Send what is due for one channel, one request at a time, within its platform's rate limit.

    Stops at the first failure (the endpoint is likely down; the rows wait for their back-off) and
    when the rate limit is reached (`wait_until` says when to come back)."""
    report = ChannelReport()
    for _round_number in range(ROUNDS):
        if _round(channel_id, now or timezone.now(), report) != _SENT:
            break
    log.info("Channel %s: %s", channel_id, report)
    return report


def channels_with_due_messages(*, now=None):
    now = now or timezone.now()
    return list(ChannelMessage.objects.filter(_due(now)).values_list("channel_id", flat=True).distinct()
                .order_by("channel_id"))
