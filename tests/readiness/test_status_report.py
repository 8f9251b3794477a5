"""The weekly status report: generated from the evidence, the PM's summary, sent (frozen) to managers
and sponsors by the weekly job, page (full and partial), PDF with Chinese, the API, permissions."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from notifications.models import Notification
from projects.errors import DomainError
from projects.models import Milestone
from readiness import selectors, services
from readiness.models import ReadinessSnapshot, StatusReport
from readiness.schedules import SCHEDULES
from tests.projects.test_pdf import text_of
from tests.readiness.helpers import empty_registry, fixed
from tests.utils import api_as, count_queries, htmx

pytestmark = pytest.mark.django_db

NOW = "2026-12-03 02:00"  # Thursday 10:00 in Shanghai


@pytest.fixture
def registry(monkeypatch):
    reg = empty_registry(monkeypatch)
    fixed("open_critical_defects", value=2, passed=False, area="testing", display="2 open")
    fixed("requirements_approved", value=96, passed=True, area="requirements", display="96%")
    fixed("rehearsal_in_window", value=0, passed=False, area="cutover")
    return reg


def test_report_gathers_the_evidence(registry, project, users):
    with freeze_time(NOW):
        today = timezone.localdate()
        ReadinessSnapshot.objects.create(project=project, date=today - timedelta(days=7), score=20, ready=False)
        Milestone.objects.create(project=project, name="SIT exit 系统测试完成", planned_date=today - timedelta(days=2))
        Milestone.objects.create(project=project, name="Rehearsal 2", planned_date=today + timedelta(days=3),
                                 forecast_date=today + timedelta(days=5))
        services.risk_create(actor=users["manager"], project=project, title="DB down", category="technical",
                             likelihood=5, impact=5, owner=users["ops"])
        r = selectors.status_report(project=project)
    assert r["week_start"] == "2026-11-30"
    assert (r["readiness"]["score"], r["readiness"]["score_a_week_ago"]) == (33, 20)
    assert [b["key"] for b in r["readiness"]["blockers"]] == ["open_critical_defects", "rehearsal_in_window"]
    assert [c["key"] for c in r["defects"]["criteria"]] == ["open_critical_defects"]
    assert [c["key"] for c in r["requirements"]["criteria"]] == ["requirements_approved"]
    assert [c["key"] for c in r["cutover"]["criteria"]] == ["rehearsal_in_window"]
    assert r["training"]["criteria"] == []
    slips = {m["name"]: (m["status"], m["slip_days"]) for m in r["schedule"]["milestones"]}
    assert slips == {"SIT exit 系统测试完成": ("late", 2), "Rehearsal 2": ("slipping", 2)}
    assert r["risks"]["by_level"]["critical"] == 1 and r["risks"]["critical_unmitigated"] == 1


def test_send_freezes_and_tells_managers_and_sponsors_once(registry, project, users, django_capture_on_commit_callbacks):
    services.report_sponsors_set(actor=users["manager"], project=project, users=[users["business"]])
    services.status_report_summary_set(actor=users["manager"], project=project, summary="SIT 落后三天")
    with django_capture_on_commit_callbacks():
        report = services.status_report_send(actor=users["manager"], project=project)
    assert report.status == "sent" and report.recipients == 2 and report.data["readiness"]["score"] == 33
    told = set(Notification.objects.filter(kind="status_report").values_list("recipient_id", flat=True))
    assert told == {users["manager"].pk, users["business"].pk}
    again = services.status_report_send(actor=users["manager"], project=project)
    assert again.pk == report.pk and Notification.objects.filter(kind="status_report").count() == 2
    with pytest.raises(DomainError):  # this week's went: the summary belongs to next week's
        services.status_report_summary_set(actor=users["manager"], project=project, summary="late")
    fixed("trained", value=10, passed=False, area="training")
    assert StatusReport.objects.get().data["readiness"]["score"] == 33  # frozen


def test_only_the_manager_sends_and_sponsors_must_be_members(registry, project, users, outsider):
    with pytest.raises(DomainError):
        services.status_report_send(actor=users["ops"], project=project)
    with pytest.raises(DomainError) as exc:
        services.report_sponsors_set(actor=users["manager"], project=project, users=[outsider])
    assert exc.value.field == "sponsors"
    with pytest.raises(DomainError) as exc:
        services.status_report_summary_set(actor=users["manager"], project=project, summary="x" * 20001)
    assert exc.value.field == "summary" and not StatusReport.objects.filter(summary__gt="").exists()


def test_weekly_job_sends_every_open_project_once_a_week(registry, project, users, other_project):
    from readiness.tasks import send_status_reports

    other_project.phase = "closed"
    other_project.save()
    with freeze_time("2026-12-04 08:00"):
        assert send_status_reports() == 1
        assert send_status_reports() == 1  # the same report, nobody told twice
    assert StatusReport.objects.filter(status="sent").count() == 1
    assert Notification.objects.filter(kind="status_report").count() == 1
    with freeze_time("2026-12-11 08:00"):
        send_status_reports()
    assert list(StatusReport.objects.values_list("week_start", flat=True)) == [date(2026, 12, 7), date(2026, 11, 30)]
    assert ("Weekly status report", "readiness.tasks.send_status_reports",
            {"minute": "0", "hour": "16", "day_of_week": "5"}) in SCHEDULES


def test_pages_permission_matrix(registry, client, project, users, outsider):
    url = reverse("readiness:status_report", args=[project.pk])
    assert client.get(url).status_code == 302
    for role, code in {"manager": 200, "ops": 200, "tester": 200, "developer": 200, "business": 200,
                       "trainer": 403, "staff": 403}.items():
        client.force_login(users[role])
        assert client.get(url).status_code == code, role
    services.report_sponsors_set(actor=users["manager"], project=project, users=[users["staff"]])
    client.force_login(users["staff"])
    assert client.get(url).status_code == 200  # a sponsor reads it
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(users["ops"])
    assert client.post(reverse("readiness:status_report_send", args=[project.pk])).status_code == 403


def test_page_full_partial_summary_and_send(registry, client, project, users):
    client.force_login(users["manager"])
    url = reverse("readiness:status_report", args=[project.pk])
    assert client.post(reverse("readiness:status_report_summary", args=[project.pk]),
                       {"summary": "x" * 20001}).status_code == 400
    assert client.post(reverse("readiness:status_report_summary", args=[project.pk]),
                       {"summary": "周报摘要 all good"}).status_code == 302
    full = client.get(url).content.decode()
    assert "<html" in full and "周报摘要 all good" in full and "2 open" in full
    part = htmx(client, url).content.decode()
    assert "<html" not in part and 'id="status-report"' in part
    sent = client.post(reverse("readiness:status_report_send", args=[project.pk]))
    report = StatusReport.objects.get()
    assert sent.url == reverse("readiness:status_report_sent", args=[project.pk, report.pk])
    assert "周报摘要 all good" in client.get(sent.url).content.decode()


def test_pdf_has_the_chinese_text(registry, client, project, users):
    services.risk_create(actor=users["manager"], project=project, title="数据迁移错误", category="data",
                         likelihood=4, impact=5, owner=users["ops"])
    services.status_report_summary_set(actor=users["manager"], project=project, summary="系统测试落后三天")
    client.force_login(users["manager"])
    response = client.get(reverse("readiness:status_report_pdf", args=[project.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    assert "系统测试落后三天" in text and "数据迁移错误" in text
    report = services.status_report_send(actor=users["manager"], project=project)
    frozen = client.get(reverse("readiness:status_report_sent_pdf", args=[project.pk, report.pk]))
    assert frozen.status_code == 200 and frozen.content.startswith(b"%PDF")


def test_api(registry, project, users, outsider):
    r = api_as(users["tester"]).get(f"/api/v1/projects/{project.pk}/status-report/")
    assert r.status_code == 200
    data = r.json()
    assert {"readiness", "schedule", "defects", "requirements", "training", "risks", "cutover"} <= set(data)
    assert api_as(users["staff"]).get(f"/api/v1/projects/{project.pk}/status-report/").status_code == 403
    assert api_as(outsider).get(f"/api/v1/projects/{project.pk}/status-report/").status_code == 404
    assert api_as().get(f"/api/v1/projects/{project.pk}/status-report/").status_code in (401, 403)


def test_page_query_count_is_constant(registry, client, project, users):
    client.force_login(users["manager"])
    url = reverse("readiness:status_report", args=[project.pk])
    services.risk_create(actor=users["manager"], project=project, title="r", category="data", likelihood=1,
                         impact=1, owner=users["ops"])
    Milestone.objects.create(project=project, name="m", planned_date=timezone.localdate())
    _, one = count_queries(lambda: client.get(url))
    for i in range(49):
        services.risk_create(actor=users["manager"], project=project, title=f"r{i}", category="data",
                             likelihood=1 + i % 5, impact=5, owner=users["ops"])
        Milestone.objects.create(project=project, name=f"m{i}", planned_date=timezone.localdate())
    _, fifty = count_queries(lambda: client.get(url))
    assert one == fifty
