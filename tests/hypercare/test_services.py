"""Hypercare figures, the daily report's content and the morning e-mail to opted-in members."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from defects.models import Defect
from hypercare import selectors as hypercare
from hypercare import services as fs
from hypercare.models import Feedback, HypercareReportSubscription
from hypercare.schedules import SCHEDULES
from hypercare.tasks import send_hypercare_reports
from notifications.models import Notification
from projects import services as project_services
from projects.errors import DomainError
from projects.models import Membership
from tests.defects.factories import file_defect
from tests.projects.factories import member

pytestmark = pytest.mark.django_db


def at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def incident(project, user, *, created, resolved=None, severity="major", status=None, **kw):
    d = file_defect(project, user, found_in="hypercare", severity=severity, **kw)
    fields = {"created_at": created, "resolved_at": resolved}
    if status:
        fields["status"] = status
    elif resolved:
        fields["status"] = "fixed"
    Defect.objects.filter(pk=d.pk).update(**fields)
    d.refresh_from_db()
    return d


@pytest.fixture
def live(project):
    """The project went live five days ago (hypercare 28 days)."""
    project.go_live_at = at(timezone.localdate() - timedelta(days=5), 6)
    project.window_start, project.window_end = project.go_live_at - timedelta(hours=8), project.go_live_at
    project.phase = "hypercare"
    project.save()
    return project


def test_period_and_window(live):
    today = timezone.localdate()
    start, end = hypercare.period(live)
    assert start == today - timedelta(days=5) and end == start + timedelta(days=28)
    days, phase = hypercare.trend_window(live, today)
    assert phase == "during" and days[0] == start and days[-1] == today
    days, phase = hypercare.trend_window(live, start - timedelta(days=3))
    assert phase == "before" and len(days) == hypercare.PRE_GO_LIVE_DAYS
    assert hypercare.trend_window(live, end + timedelta(days=4))[1] == "after"


def test_dashboard_figures(live, users):
    today = timezone.localdate()
    tester = users["tester"]
    incident(live, tester, created=at(today - timedelta(days=2)), resolved=at(today - timedelta(days=2), 14),
             severity="critical", incident_started_at=at(today - timedelta(days=2), 9))  # 5 h
    incident(live, tester, created=at(today - timedelta(days=1)), resolved=at(today, 1), severity="critical")  # 15 h
    incident(live, tester, created=at(today), severity="minor", customers_affected=10, branches_affected=2)
    file_defect(live, tester, found_in="testing")  # not an incident
    fs.feedback_submit(actor=users["staff"], project=live, category="bug", text="a")
    fs.feedback_submit(actor=users["staff"], project=live, category="training", text="b")
    d = hypercare.dashboard(user=users["manager"], project=live, today=today)
    assert d["incident_total"] == 3 and d["open_total"] == 1
    assert {r["severity"].value: r["count"] for r in d["open_by_severity"]}["minor"] == 1
    critical = d["resolve_hours"][0]
    assert critical["resolved"] == 2 and critical["median"] == 10.0 and critical["average"] == 10.0
    trend = {t["day"]: t for t in d["trend"]}
    assert trend[today]["new"] == 1 and trend[today]["resolved"] == 1
    assert trend[today - timedelta(days=2)] == {"day": today - timedelta(days=2), "new": 1, "resolved": 1}
    assert d["customers_affected"] == 10 and d["branches_affected"] == 2
    assert d["feedback_total"] == 2 and d["feedback_new"] == 2
    assert {r["category"].value: r["count"] for r in d["feedback_by_category"]} == {
        "bug": 1, "usability": 0, "feature": 0, "training": 1}
    # Staff see only their own feedback; the figures follow.
    other = member(live, "staff")
    assert hypercare.dashboard(user=other, project=live, today=today)["feedback_total"] == 0


def test_report_content(live, users):
    today = timezone.localdate()
    y = today - timedelta(days=1)
    tester = users["tester"]
    old_open = incident(live, tester, created=at(today - timedelta(days=3)), title="Old open")
    new_open = incident(live, tester, created=at(y, 9), severity="critical", title="New open")
    new_fixed = incident(live, tester, created=at(y, 8), resolved=at(y, 12), title="New fixed")
    old_fixed = incident(live, tester, created=at(today - timedelta(days=3)), resolved=at(y, 20), title="Old fixed")
    incident(live, tester, created=at(today - timedelta(days=4)), resolved=at(today - timedelta(days=3)))
    later = incident(live, tester, created=at(today, 9), title="Today")
    f = fs.feedback_submit(actor=users["staff"], project=live, category="usability", text="slow")
    Feedback.objects.filter(pk=f.pk).update(created_at=at(y, 11))
    fs.feedback_submit(actor=users["staff"], project=live, category="bug", text="today")
    project_services.shift_create(actor=users["manager"], project=live, user=users["ops"], starts_at=at(today, 8),
                                  ends_at=at(today, 20))
    project_services.shift_create(actor=users["manager"], project=live, user=users["developer"],
                                  starts_at=at(today + timedelta(days=1), 8), ends_at=at(today + timedelta(days=1), 20))
    r = hypercare.report(user=users["manager"], project=live, day=today)
    assert [i.pk for i in r["new"]] == [new_fixed.pk, new_open.pk]
    assert {i.pk for i in r["resolved"]} == {new_fixed.pk, old_fixed.pk}
    assert [i.pk for i in r["open"]] == [new_open.pk, old_open.pk]  # critical first
    assert later.pk not in {i.pk for i in r["open"]}
    assert [x.pk for x in r["feedback"]] == [f.pk] and r["in_period"]
    assert r["on_duty_today"]["people"] == [users["ops"]] and r["on_duty_tomorrow"]["people"] == [users["developer"]]
    s = hypercare.report_summary(project=live, day=today)
    assert (s["new_count"], s["resolved_count"], s["open_count"], s["open_critical"], s["feedback_count"]) == \
        (2, 2, 2, 1, 1)


def test_subscribe_and_unsubscribe(live, users, outsider):
    assert fs.report_subscribe(actor=users["staff"], project=live) is True
    fs.report_subscribe(actor=users["staff"], project=live)  # twice is fine
    assert HypercareReportSubscription.objects.filter(user=users["staff"]).count() == 1
    fs.report_subscribe(actor=users["staff"], project=live, subscribe=False)
    assert not HypercareReportSubscription.objects.exists()
    with pytest.raises(DomainError):
        fs.report_subscribe(actor=outsider, project=live)


def test_daily_report_goes_to_opted_in_members_during_hypercare_only(live, users, other_project):
    fs.report_subscribe(actor=users["manager"], project=live)
    fs.report_subscribe(actor=users["staff"], project=live)
    gone = users["trainer"]
    fs.report_subscribe(actor=gone, project=live)
    Membership.objects.filter(user=gone).delete()  # left the project since
    incident(live, users["tester"], created=timezone.now() - timedelta(hours=20), severity="critical")
    now = timezone.now()
    today = timezone.localdate(now)
    assert send_hypercare_reports() == 2
    rows = Notification.objects.filter(kind="hypercare_report").order_by("recipient_id")
    assert {n.recipient for n in rows} == {users["manager"], users["staff"]}
    key = f"hypercare_report:{live.pk}:{today.isoformat()}:{users['staff'].pk}"
    n = rows.get(recipient=users["staff"])
    assert n.dedupe_key == key and n.url.endswith(f"?date={today.isoformat()}")
    assert "open incidents" in n.message and live.code in n.message
    assert fs.send_daily_reports(now=now) == 0  # twice: nobody is told twice
    # Before go-live and after hypercare: nothing.
    with freeze_time(live.go_live_at - timedelta(days=2)):
        assert fs.send_daily_reports() == 0
    with freeze_time(live.hypercare_end + timedelta(days=2)):
        assert fs.send_daily_reports() == 0


def test_report_is_scheduled_every_morning():
    assert ("Daily hypercare report", "hypercare.tasks.send_hypercare_reports",
            {"minute": "30", "hour": "7"}) in SCHEDULES


def test_daily_report_is_written_in_each_members_language(live, users):
    from django.utils import translation

    from notifications.models import NotificationPreference

    with translation.override("zh-hans"):
        if translation.gettext("Daily hypercare report") == "Daily hypercare report":
            pytest.skip("the zh-hans catalogue is not compiled (make messages)")
    NotificationPreference.objects.create(user=users["staff"], language="zh-hans")
    fs.report_subscribe(actor=users["staff"], project=live)
    fs.report_subscribe(actor=users["manager"], project=live)
    fs.send_daily_reports()
    messages = {n.recipient_id: n.message for n in Notification.objects.filter(kind="hypercare_report")}
    assert messages[users["manager"].pk].startswith("Hypercare report")
    assert messages[users["staff"].pk].startswith("上线保障日报")


def test_feedback_history_records_who(live, users):
    f = fs.feedback_submit(actor=users["staff"], project=live, category="bug", text="x")
    fs.feedback_triage(actor=users["manager"], feedback=f, outcome="closed", answer="ok")
    assert [h.history_user for h in f.history.order_by("history_date")] == [users["staff"], users["manager"]]


def test_demo_seeds_pilot_incidents_feedback_and_a_retrospective_once():
    from hypercare import demo
    from hypercare.models import Lesson, LessonAction
    from projects import demo as project_demo

    project, people = project_demo.seed()
    demo.seed(project=project, people=people)
    assert Defect.objects.filter(project=project, found_in="hypercare").count() >= len(demo.INCIDENTS)
    assert Feedback.objects.filter(project=project).count() == len(demo.FEEDBACK)
    assert Lesson.objects.filter(project=project).count() == len(demo.ITEMS)
    assert LessonAction.objects.filter(project=project, status="open", due_date__lt=timezone.localdate()).exists()
    assert LessonAction.objects.filter(project=project, status="done").exists()
    from hypercare.models import Complaint

    complaints = Complaint.objects.filter(project=project)
    assert complaints.count() == len(demo.COMPLAINTS)
    assert {c.status for c in complaints} == {"open", "investigating", "resolved"}
    assert complaints.filter(defect__isnull=False).count() == 6
    counts = (Defect.objects.count(), Feedback.objects.count(), Lesson.objects.count(), LessonAction.objects.count(),
              Complaint.objects.count())
    demo.seed(project=project, people=people)  # idempotent
    assert counts == (Defect.objects.count(), Feedback.objects.count(), Lesson.objects.count(),
                      LessonAction.objects.count(), Complaint.objects.count())


def test_an_upgrade_renames_the_old_schedule_and_drops_jobs_whose_task_moved():
    from io import StringIO

    from django.core.management import call_command
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    cron = CrontabSchedule.objects.create(minute="30", hour="7")
    PeriodicTask.objects.create(name="Daily hypercare report (defects)", task="defects.tasks.send_hypercare_reports",
                                crontab=cron)
    PeriodicTask.objects.create(name="Readiness snapshot (old)", task="projects.tasks.snapshot_readiness", crontab=cron)
    PeriodicTask.objects.create(name="Someone else's job", task="celery.backend_cleanup", crontab=cron)
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert tasks["Daily hypercare report"] == "hypercare.tasks.send_hypercare_reports"
    assert tasks["Readiness snapshot"] == "readiness.tasks.snapshot_readiness"
    assert "Readiness snapshot (old)" not in tasks and "Daily hypercare report (defects)" not in tasks
    assert tasks["Someone else's job"] == "celery.backend_cleanup"  # not one of ours: left alone
    assert "projects.tasks.snapshot_readiness no longer exists" in out.getvalue()
