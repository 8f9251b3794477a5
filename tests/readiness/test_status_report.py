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


# --------------------------------------------------------------------------- the reader's language (issue 17)

@pytest.fixture
def worded(monkeypatch, project):
    """Criteria that explain themselves with registered sentences and a gauge with a translatable label."""
    from django.utils.translation import gettext_lazy

    from defects.readiness_criteria import CRITICAL_OPEN
    from readiness import registry as readiness
    from readiness.registry import Gauge, Result
    from tasks.models import EnvCategory
    from tasks.readiness_criteria import CLEAN

    empty_registry(monkeypatch)
    monkeypatch.setattr(readiness, "_gauges", {})

    @readiness.criterion(key="open_critical_defects", label=gettext_lazy("No open critical defects"), area="testing")
    def critical(project, target):
        return Result(value=2, passed=False, explanation=CRITICAL_OPEN(n=2), display="2")

    @readiness.criterion(key="reconciliation_clean", label=gettext_lazy("Latest rehearsal reconciled clean"),
                         area="cutover")
    def clean(project, target):
        return Result(value=0, passed=True, display=CLEAN())

    @readiness.gauges(key="env", label=gettext_lazy("Environment checklists"), area="cutover")
    def env(project):
        return [Gauge(label=EnvCategory.NETWORK.label, value=3, total=4)]


def _sent_in_english(project, users):
    from django.utils import translation

    with translation.override("en"):
        return services.status_report_send(actor=users["manager"], project=project)


def test_a_sent_report_stores_values_with_the_keys_of_its_sentences(worded, project, users):
    report = _sent_in_english(project, users)
    data = report.data
    assert data["language"] == "en"
    critical = data["defects"]["criteria"][0]
    assert (critical["value"], critical["label"], critical["explanation"]) == (
        2, "No open critical defects", "2 critical defects still open")
    assert critical["texts"]["explanation"] == {"key": "readiness:defects.critical_open", "params": {"n": 2}}
    clean = data["cutover"]["criteria"][0]
    assert clean["display"] == "clean" and clean["texts"]["display"]["key"] == "readiness:tasks.clean"
    gauge = data["cutover"]["gauges"][0]
    assert (gauge["label"], gauge["value"], gauge["total"]) == ("Network", 3, 4)
    assert gauge["texts"]["label"] == {"msgid": "Network"}


@pytest.mark.parametrize("language, said, not_said", [
    ("zh-hans", ["无未关闭的致命缺陷", "仍有 2 个致命缺陷未关闭", "网络", "一致"],
     ["No open critical defects", "2 critical defects still open", ">Network<", ">clean<"]),
    ("en", ["No open critical defects", "2 critical defects still open", ">Network<", ">clean<"],
     ["无未关闭的致命缺陷", "仍有 2 个致命缺陷未关闭", "网络"]),
])
def test_the_sent_report_page_reads_in_the_request_language_with_the_same_values(
        worded, client, project, users, language, said, not_said):
    report = _sent_in_english(project, users)
    client.force_login(users["manager"])
    url = reverse("readiness:status_report_sent", args=[project.pk, report.pk])
    body = client.get(url, headers={"accept-language": language}).content.decode()
    for text in said:
        assert text in body, text
    for text in not_said:
        assert text not in body, text
    assert ">2<" in body and "3 / 4" in body  # the values as frozen
    assert "(recorded in" not in body and "（以英文记录）" not in body  # every sentence followed the reader


def test_the_sent_report_pdf_reads_in_the_request_language(worded, client, project, users):
    report = _sent_in_english(project, users)
    client.force_login(users["manager"])
    url = reverse("readiness:status_report_sent_pdf", args=[project.pk, report.pk])
    text = text_of(client.get(url, headers={"accept-language": "zh-hans"}).content)
    assert "仍有2个致命缺陷未关闭" in text and "无未关闭的致命缺陷" in text and "网络" in text
    assert "criticaldefectsstillopen" not in text
    text = text_of(client.get(url, headers={"accept-language": "en"}).content)
    assert "2criticaldefectsstillopen" in text and "仍有" not in text


def test_a_report_sent_before_keys_still_renders_its_sentences_as_stored(worded, client, project, users):
    report = _sent_in_english(project, users)
    old = report.data
    old.pop("language")
    for section in ("defects", "cutover"):
        for row in old[section]["criteria"] + old[section]["gauges"]:
            row.pop("texts", None)
            row.pop("unit", None)
    for row in old["readiness"]["blockers"]:
        row.pop("texts", None)
    retired = {"key": "retired_criterion", "label": "A criterion since retired", "value": 1, "target": 0,
               "passed": False, "mandatory": True, "explanation": "Something old", "display": "1",
               "target_display": "≤ 0"}
    old["defects"]["criteria"].append(retired)
    old["readiness"]["blockers"].append(retired)
    StatusReport.objects.filter(pk=report.pk).update(data=old)
    client.force_login(users["manager"])
    for name in ("readiness:status_report_sent", "readiness:status_report_sent_pdf"):
        response = client.get(reverse(name, args=[project.pk, report.pk]), headers={"accept-language": "zh-hans"})
        assert response.status_code == 200, name
    body = client.get(reverse("readiness:status_report_sent", args=[project.pk, report.pk]),
                      headers={"accept-language": "zh-hans"}).content.decode()
    assert "2 critical defects still open" in body  # the sentence as it was sent
    assert "无未关闭的致命缺陷" in body  # a label is found by its criterion's key
    assert "A criterion since retired" in body and "Something old" in body
    assert ">Network<" in body and ">clean<" in body


def test_a_sentence_frozen_in_chinese_says_so_when_it_cannot_follow_an_english_reader(worded, client, project, users):
    from django.utils import translation

    with translation.override("zh-hans"):
        report = services.status_report_send(actor=users["manager"], project=project)
    data = report.data
    for row in data["defects"]["criteria"]:
        row.pop("texts", None)  # as if its explanation were a plain sentence
    StatusReport.objects.filter(pk=report.pk).update(data=data)
    report.refresh_from_db()
    with translation.override("en"):
        assert selectors.report_recorded_in(report.data) == "(recorded in Chinese)"
        shown = selectors.report_display(report.data)
    assert shown["defects"]["criteria"][0]["explanation"] == "仍有 2 个致命缺陷未关闭"
    assert shown["defects"]["criteria"][0]["label"] == "No open critical defects"
    assert shown["cutover"]["gauges"][0]["label"] == "Network"  # from its msgid
    with translation.override("zh-hans"):
        assert selectors.report_recorded_in(report.data) == ""


def test_the_status_report_api_keeps_its_shape(worded, project, users):
    data = api_as(users["manager"]).get(f"/api/v1/projects/{project.pk}/status-report/",
                                        headers={"accept-language": "zh-hans"}).json()
    rows = data["readiness"]["blockers"] + data["defects"]["criteria"] + data["cutover"]["gauges"]
    assert rows and all("texts" not in row for row in rows)
    assert data["defects"]["criteria"][0]["explanation"] == "仍有 2 个致命缺陷未关闭"
