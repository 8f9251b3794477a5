"""Issue 17: notifications are stored as a template key and parameters and rendered for the reader.

In-app (inbox, API) in the language of the request, e-mail and chat in the recipient's (the
channel's) stored preference at the time they are sent; translatable parameters (severities,
run kinds) are stored as keys; rows from before keys keep their stored text; the sweep still
inserts in bulk with the same number of queries for 1 and 50 reminders.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from notifications import delivery, services
from notifications import robots as robot_delivery
from notifications.models import ChannelMessage, Notification, NotificationPreference
from notifications.registry import message, render_message
from notifications.reminders import SHIFT, SHIFT_MESSAGE, SLIPPING
from projects.models import Milestone, OnCallShift
from projects.texts import template
from tests.notifications.factories import notification
from tests.projects.factories import UserFactory
from tests.utils import api_as, count_queries

pytestmark = pytest.mark.django_db

INBOX = reverse("notifications:inbox")
SHIFT_EN = "You are on call for CBS from 2027-03-10 08:00 to 2027-03-10 20:00."
SHIFT_ZH = "您将于 2027-03-10 08:00 至 2027-03-10 20:00 在 CBS 项目值班。"


def _shift(user, project=None):
    return notification(user, project=project, kind=SHIFT,
                        message=SHIFT_MESSAGE(code="CBS", start="2027-03-10 08:00", end="2027-03-10 20:00"))


def _inbox(client, user, language, *, cookie=False):
    client.force_login(user)
    if cookie:  # what /i18n/setlang/ leaves behind
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client.get(INBOX).content.decode()
    return client.get(INBOX, headers={"accept-language": language}).content.decode()


# --- what is stored ---------------------------------------------------------------------------

def test_notify_stores_the_key_and_parameters_and_the_fallback_in_the_recipients_language():
    user = UserFactory()
    NotificationPreference.objects.create(user=user, language="zh-hans")
    n = _shift(user)
    assert n.message_key == SHIFT and n.params == {"code": "CBS", "start": "2027-03-10 08:00",
                                                   "end": "2027-03-10 20:00"}
    assert n.message == SHIFT_ZH  # the e-mail log / old-reader fallback, rendered for the recipient
    with translation.override("en"):
        assert n.text == SHIFT_EN
    with translation.override("zh-hans"):
        assert n.text == SHIFT_ZH


def test_translatable_parameters_are_stored_as_keys_and_translated_when_read(project, users):
    from defects.reminders import ASSIGNED_MESSAGE

    n = notification(users["developer"], kind="defect_assigned",
                     message=ASSIGNED_MESSAGE(key="D-7", title="Interest off by one", severity="major"))
    assert n.params["severity"] == "major"
    with translation.override("en"):
        assert n.text == "D-7 “Interest off by one” (Major) was assigned to you."
    with translation.override("zh-hans"):
        assert n.text == "D-7“Interest off by one”（严重）已指派给您。"


def test_a_nested_text_is_stored_nested_and_rendered_in_the_same_language():
    from tasks.reminders import ISSUE_SEV1, RUN_LABEL

    text = ISSUE_SEV1(run=RUN_LABEL(kind="rehearsal", number=2), title="DB down", n=3, where="Stop batch jobs")
    stored = text.as_json()
    assert stored["params"]["run"] == {"$text": "tasks.run_label", "params": {"kind": "rehearsal", "number": 2}}
    with translation.override("en"):
        assert render_message(stored["key"], stored["params"]) == (
            "Sev 1 in Rehearsal #2: “DB down” (#3). Step: Stop batch jobs.")
    with translation.override("zh-hans"):
        rendered = render_message(stored["key"], stored["params"])
    assert rendered.startswith("演练 #2 出现一级问题：“DB down”（#3）。") and "Stop batch jobs" in rendered


def test_unknown_key_or_parameters_that_no_longer_fit_fall_back_to_the_stored_text():
    assert render_message("no.such.template", {"a": 1}, fallback="as stored") == "as stored"
    assert render_message(SHIFT, {"code": "CBS"}, fallback="as stored") == "as stored"  # start/end missing
    assert render_message("", {}, fallback="old row") == "old row"


def test_a_demo_template_is_found_by_key_and_an_unknown_one_is_an_error():
    assert message("training_promoted", course="C", start="S").key == "training_promoted"
    with pytest.raises(LookupError):
        message("no.such.template")


# --- in-app: the reader's language now ----------------------------------------------------------

@pytest.mark.parametrize("cookie", [False, True], ids=["accept-language", "language-cookie"])
def test_the_same_row_reads_in_english_and_in_chinese_by_request(client, project, users, cookie):
    me = users["ops"]
    NotificationPreference.objects.create(user=me, language="zh-hans")  # e-mail in Chinese; the screen decides
    _shift(me, project)
    english = _inbox(client, me, "en", cookie=cookie)
    assert SHIFT_EN in english and SHIFT_ZH not in english
    chinese = _inbox(client, me, "zh-hans", cookie=cookie)
    assert SHIFT_ZH in chinese and SHIFT_EN not in chinese


def test_setlang_switches_the_inbox_language(client, project, users):
    me = users["staff"]
    _shift(me, project)
    client.force_login(me)
    assert SHIFT_EN in client.get(INBOX).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": INBOX})
    assert SHIFT_ZH in client.get(INBOX).content.decode()


def test_the_htmx_partial_follows_the_request_language_too(client, project, users):
    me = users["tester"]
    _shift(me, project)
    client.force_login(me)
    body = client.get(INBOX, headers={"HX-Request": "true", "accept-language": "zh-hans"}).content.decode()
    assert "<html" not in body and SHIFT_ZH in body


def test_api_message_follows_the_request_language(project, users):
    me = users["manager"]
    NotificationPreference.objects.create(user=me, language="en")
    _shift(me, project)
    api = api_as(me)
    assert api.get("/api/v1/notifications/", headers={"accept-language": "en"}).json()["results"][0][
        "message"] == SHIFT_EN
    zh = api.get("/api/v1/notifications/", headers={"accept-language": "zh-hans"}).json()["results"][0]
    assert zh["message"] == SHIFT_ZH
    detail = api.get(f"/api/v1/notifications/{zh['id']}/", headers={"accept-language": "zh-hans"}).json()
    assert detail["message"] == SHIFT_ZH


def test_old_rows_with_only_a_message_still_show_as_they_were(client, project, users):
    me = users["business"]
    old = notification(me, project=project, message="Written before keys existed")
    assert old.message_key == "" and old.params == {}
    assert "Written before keys existed" in _inbox(client, me, "zh-hans")
    assert api_as(me).get("/api/v1/notifications/", headers={"accept-language": "zh-hans"}).json()["results"][0][
        "message"] == "Written before keys existed"


def test_inbox_and_api_query_counts_do_not_grow_with_keyed_rows(client, project, users):
    me = users["developer"]
    _shift(me, project)
    client.force_login(me)
    _, one = count_queries(lambda: client.get(INBOX, headers={"accept-language": "zh-hans"}))
    _, one_api = count_queries(lambda: api_as(me).get("/api/v1/notifications/"))
    for _ in range(49):
        _shift(me, project)
    _, fifty = count_queries(lambda: client.get(INBOX, headers={"accept-language": "zh-hans"}))
    _, fifty_api = count_queries(lambda: api_as(me).get("/api/v1/notifications/"))
    assert (one, one_api) == (fifty, fifty_api)


# --- e-mail: the recipient's stored preference when it is sent ----------------------------------

def test_email_is_rendered_in_the_preference_at_sending_time(mailoutbox):
    user = UserFactory()
    pref = NotificationPreference.objects.create(user=user, language="en")
    n = _shift(user)
    assert n.message == SHIFT_EN
    pref.language = "zh-hans"  # changed their mind before the e-mail went out
    pref.save()
    with translation.override("en"):  # the worker's own language does not matter
        delivery.deliver_outbox()
    sent = mailoutbox[0]
    assert SHIFT_ZH in sent.body and SHIFT_ZH in sent.alternatives[0][0] and SHIFT_EN not in sent.body
    assert SHIFT_ZH[:20] in sent.subject


def test_email_in_english_for_an_english_preference_whoever_wrote_it(mailoutbox):
    user = UserFactory()
    NotificationPreference.objects.create(user=user, language="en")
    with translation.override("zh-hans"):  # written while the writer reads Chinese
        _shift(user)
    delivery.deliver_outbox()
    assert SHIFT_EN in mailoutbox[0].body


# --- chat: the channel's language when it is sent ------------------------------------------------

def _channel(project, actor, robots, language):
    return services.channel_create(actor=actor, project=project, name=f"room {language}", kind="wecom",
                                   url=robots.wecom_url, language=language)


def test_chat_message_is_stored_with_key_and_sent_in_the_channels_language(project, users, robots):
    zh = _channel(project, users["manager"], robots, "zh-hans")
    services.broadcast(project=project, kind=SHIFT, dedupe_key="evt",
                       message=SHIFT_MESSAGE(code="CBS", start="2027-03-10 08:00", end="2027-03-10 20:00"))
    stored = ChannelMessage.objects.get(channel=zh)
    assert stored.message_key == SHIFT and stored.text == SHIFT_ZH
    zh.language = "en"  # the team switched the robot to English before it went out
    zh.save(update_fields=["language"])
    robot_delivery.deliver_channel(channel_id=zh.pk)
    assert [SHIFT_EN in t for t in robots.texts()] == [True]


def test_alert_to_a_chinese_chat_translates_the_severity(project, users, robots):
    _channel(project, users["manager"], robots, "zh-hans")
    alert, _created = services.alert_trigger(actor=users["ops"], project=project, title="CPU 95%",
                                             severity="critical", source="Zabbix")
    stored = ChannelMessage.objects.get(dedupe_key__startswith=f"alert:{alert.pk}:triggered")
    assert stored.params["severity"] == "critical"
    with translation.override("en"):
        assert render_message(stored.message_key, stored.params) == "Critical alert: CPU 95% (from Zabbix)."
    assert "Critical" not in stored.rendered("zh-hans") and "CPU 95%" in stored.rendered("zh-hans")


def test_old_chat_rows_without_a_key_are_sent_as_stored(project, users, robots):
    channel = _channel(project, users["manager"], robots, "zh-hans")
    services.broadcast(project=project, kind="cutover_update", message="Plain old text", dedupe_key="old")
    robot_delivery.deliver_channel(channel_id=channel.pk)
    assert any("Plain old text" in t for t in robots.texts())


# --- the sweep stays bulk ------------------------------------------------------------------------

def _shifts(project, user, n, now):
    OnCallShift.objects.bulk_create([
        OnCallShift(project=project, user=user, starts_at=now + timedelta(hours=2, minutes=10 * k),
                    ends_at=now + timedelta(hours=2, minutes=10 * k + 10)) for k in range(n)])


def test_swept_reminders_store_keys_with_the_same_queries_for_1_and_50(project, users):
    now = timezone.now()
    services.sweep(now=now, enqueue=False, kinds=[SHIFT])  # warm the per-process caches (content types)
    _shifts(project, users["ops"], 1, now)
    _, one = count_queries(lambda: services.sweep(now=now, enqueue=False, kinds=[SHIFT]), warm_up=False)
    OnCallShift.objects.all().delete()
    Notification.objects.all().delete()
    _shifts(project, users["ops"], 50, now)
    report, fifty = count_queries(lambda: services.sweep(now=now, enqueue=False, kinds=[SHIFT]), warm_up=False)
    assert report.inserted == 50 and one == fifty
    row = Notification.objects.filter(kind=SHIFT).first()
    assert row.message_key == SHIFT and set(row.params) == {"code", "start", "end"}


def test_milestone_slipping_renders_for_a_chinese_reading_manager(client, project, users):
    manager = users["manager"]
    today = timezone.localdate()
    Milestone.objects.create(project=project, name="UAT sign-off", planned_date=today - timedelta(days=10),
                             forecast_date=today + timedelta(days=4))
    services.sweep(enqueue=False, kinds=[SLIPPING])
    n = Notification.objects.get(recipient=manager, kind=SLIPPING)
    assert n.message_key == SLIPPING and n.params["days"] == 14
    body = _inbox(client, manager, "zh-hans")
    assert "里程碑“UAT sign-off”出现延误" in body and "is slipping" not in body


def test_every_registered_template_is_a_translatable_or_a_layout_string():
    """A template is a msgid (lazy), or pure layout: placeholders and punctuation, no word to translate."""
    import re

    from django.utils.functional import Promise

    from notifications.registry import autodiscover
    from projects import texts

    autodiscover()
    for key, found in texts._templates.items():
        if not isinstance(found.text, Promise):
            assert not re.search(r"[^\W\d_]", re.sub(r"\{\w+\}", "", found.text)), key


def test_layout_template_renders_nested_texts():
    inner = template("test.inner", "({x})")
    outer = template("test.outer", "{a}{b}")
    assert str(outer(a=inner(x=1), b="!")) == "(1)!"


# --- the call sites of the other apps ------------------------------------------------------------

def test_waitlist_promotion_reads_in_chinese_for_a_staff_member_on_the_chinese_ui(client, project, users):
    """The issue's case: staff using the Chinese UI got “A seat opened in … you are now enrolled.”"""
    from tests.training.factories import make_course, make_session
    from training import services as training

    session = make_session(make_course(project, users["trainer"], title="Counter basics"), users["trainer"], capacity=1)
    first, waiting = users["staff"], UserFactory()
    from tests.projects.factories import member

    member(project, "staff", user=waiting)
    training.enrolment_enrol(actor=first, session=session)
    training.enrolment_enrol(actor=waiting, session=session)
    training.enrolment_cancel(actor=first, session=session)
    note = Notification.objects.get(recipient=waiting, kind="training_promoted")
    assert note.message_key == "training_promoted" and note.params["course"] == "Counter basics"
    body = _inbox(client, waiting, "zh-hans")
    assert "有名额空出" in body and "you are now enrolled" not in body
    assert "you are now enrolled" in _inbox(client, waiting, "en")


def test_daily_hypercare_report_joins_two_translated_sentences_and_says_nobody_in_the_readers_language(project):
    from datetime import date

    from hypercare import services as hypercare

    summary = {"day": date(2027, 3, 10), "new_count": 2, "resolved_count": 1, "open_count": 3, "open_critical": 1,
               "feedback_count": 4, "on_duty_today": [], "on_duty_tomorrow": [], "complaint_count": 5,
               "complaint_unresolved": 2}
    text = hypercare.report_message(project, summary)
    stored = text.as_json()
    assert stored["key"] == "hypercare_report" and stored["params"]["incidents"]["$text"] == "hypercare_report.incidents"
    with translation.override("en"):
        english = render_message(stored["key"], stored["params"])
    with translation.override("zh-hans"):
        chinese = render_message(stored["key"], stored["params"])
    assert "On duty today: nobody" in english and "Customer complaints: 5 received, 2 unresolved." in english
    assert "nobody" not in chinese and "Customer complaints" not in chinese and project.code in chinese
