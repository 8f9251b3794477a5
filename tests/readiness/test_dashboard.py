"""The project manager's dashboard (project home): verdict, blockers, areas, trends, overdue, speed."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from hypercare import services as lessons
from readiness import registry as dashboard
from readiness import services as readiness_services
from readiness.charts import line_chart
from readiness.models import ReadinessSnapshot
from readiness.registry import Gauge, Overdue
from readiness.selectors import areas
from readiness.selectors import dashboard as dashboard_data
from tests.projects.factories import MilestoneFactory, member
from tests.readiness.helpers import empty_registry, fixed
from tests.utils import count_queries, htmx

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    return empty_registry(monkeypatch)


def _home(project):
    return reverse("projects:home", args=[project.pk])


def test_dashboard_says_not_ready_and_links_the_blocking_criteria(client, registry, project, users):
    fixed("critical_defects", value=2, passed=False, url="/defects/?severity=critical", display="2 open",
          area="testing")
    fixed("nice_to_have", value=0, passed=False, mandatory=False, area="training")
    fixed("trained", value=97, passed=True, display="97%", area="training")
    client.force_login(users["staff"])
    assert "Not ready to go live" not in client.get(_home(project)).content.decode()  # staff land on their work
    body = client.get(_home(project) + "?tab=dashboard").content.decode()  # the dashboard is one click away
    assert "Not ready to go live" in body
    assert 'href="/defects/?severity=critical"' in body and "critical_defects explained" in body
    assert "1 mandatory criterion blocks go-live" in body
    assert "Also not met (not mandatory)" in body
    assert "Progress by area" in body and "Testing" in body and "Training" in body
    assert 'class="chart' in body  # trend charts are server-side SVG
    assert "<script" not in body.split("</head>")[1] and 'style="' not in body


def test_dashboard_ready(client, registry, project, users):
    fixed("all_good", value=0, passed=True)
    client.force_login(users["manager"])
    body = client.get(_home(project)).content.decode()
    assert "Ready to go live" in body and "Every mandatory criterion passes." in body


def test_dashboard_days_to_go_and_milestone_slips(client, registry, project, users):
    MilestoneFactory(project=project, name="SIT complete", planned_date=timezone.localdate() - timedelta(days=4))
    client.force_login(users["manager"])
    body = client.get(_home(project)).content.decode()
    assert "Days to go-live" in body and "SIT complete" in body
    assert "4 days late" in body  # the overdue list
    assert "Milestones reached" in body and "0 / 1" in body  # the schedule gauge
    assert "4 days" in body  # the slip column of the milestone schedule


def test_milestones_htmx_partial_still_works(client, project, users):
    client.force_login(users["manager"])
    partial = htmx(client, _home(project)).content.decode()
    assert "<html" not in partial and 'id="milestones"' in partial
    response = client.post(reverse("projects:milestone_add", args=[project.pk]),
                           {"name": "UAT", "phase": "testing", "planned_date": "2026-12-01"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "UAT" in response.content.decode()


def test_other_apps_plug_gauges_and_overdue_items_in(client, registry, project, users, monkeypatch):
    monkeypatch.setattr(dashboard, "_gauges", {})
    monkeypatch.setattr(dashboard, "_overdue", {})

    @dashboard.gauges(key="t", label="Tests", area="testing")
    def test_gauges(project):
        return [Gauge(label="Tests executed", value=40, total=50, url="/runs/"), Gauge(label="Open major", value=3,
                                                                                     tone="bad")]

    @dashboard.overdue(key="w", label="Work items")
    def late(project, today):
        return [Overdue(title="Back up the ledger", due=today - timedelta(days=1), url="/w/1/")]

    @dashboard.gauges(key="broken", label="Broken", area="testing")
    def broken(project):
        raise RuntimeError("bug elsewhere")

    client.force_login(users["manager"])
    body = client.get(_home(project)).content.decode()
    assert "Tests executed" in body and "40 / 50" in body and "Open major" in body
    assert "Back up the ledger" in body and 'href="/w/1/"' in body and "1 day late" in body


def test_areas_draw_bars_for_shares_only(registry, project):
    fixed("pct", value=80, passed=False, display="80%", area="training")
    fixed("count", value=3, passed=False, area="testing")
    fixed("done_of", value=4, passed=False, total=10, area="cutover")
    rows = {a["key"]: a for a in dashboard_data(project=project, user=None)["areas"]}
    assert rows["training"]["criteria"][0]["progress"] == (80, 100)
    assert rows["testing"]["criteria"][0]["progress"] is None
    assert rows["cutover"]["criteria"][0]["progress"] == (4, 10)
    assert [a["key"] for a in areas({"criteria": []}, {"custom_area": []})] == ["custom_area"]


@freeze_time("2026-11-20 10:00")
def test_trends_use_snapshots_plus_today(registry, project):
    fixed("a", value=5, passed=False)
    for ago in (3, 2, 1):
        day = date(2026, 11, 20) - timedelta(days=ago)
        ReadinessSnapshot.objects.create(project=project, date=day, score=10 * ago, ready=False,
                                         criteria=[{"key": "a", "value": ago, "passed": False}])
    ReadinessSnapshot.objects.create(project=project, date=date(2026, 9, 1), score=1, ready=False, criteria=[])
    trends = dashboard_data(project=project, user=None)["trends"]
    assert trends["days"] == 3
    svg = str(trends["criteria"][0]["svg"])
    for label in ("2026-11-17: 3", "2026-11-19: 1", "2026-11-20: 5"):
        assert label in svg
    assert "2026-09-01" not in str(trends["score_svg"])


def test_line_chart_escapes_and_handles_gaps():
    svg = str(line_chart([(date(2026, 1, 1), 1), (date(2026, 1, 2), None), (date(2026, 1, 3), 3)],
                         target=2, title="<b>x</b>"))
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert 'class="target"' in svg and svg.count("<circle") == 2
    assert str(line_chart([], title="empty")).startswith("<svg")


def test_dashboard_query_count_constant(client, project, users):
    """Every registered criterion (all apps) plus snapshots, milestones, overdue actions: 1 row vs 50."""
    client.force_login(users["manager"])
    owner = users["ops"]
    today = timezone.localdate()

    def add(n, offset):
        for i in range(n):
            MilestoneFactory(project=project, planned_date=today - timedelta(days=i + 1), owner=owner)
            action = lessons.lesson_action_create(actor=None, project=project, title=f"Action {offset + i}",
                                                  owner=owner, due_date=today)
            lessons.lesson_action_update(actor=None, action=action, due_date=today - timedelta(days=1))
            readiness_services.readiness_snapshot_take(project=project, day=today - timedelta(days=offset + i + 1))

    add(1, 0)
    _, few = count_queries(lambda: client.get(_home(project)))
    add(49, 1)
    member(project, "staff")
    response, many = count_queries(lambda: client.get(_home(project)))
    assert response.status_code == 200 and few == many


def test_demo_seeds_snapshots_and_a_no_go_once():
    from projects import demo
    from readiness import demo as readiness_demo
    from readiness.models import GoNoGoDecision

    project, people = demo.seed()
    readiness_demo.seed(project=project, people=people)
    assert ReadinessSnapshot.objects.filter(project=project).count() == readiness_demo.DAYS + 1
    decision = GoNoGoDecision.objects.get(project=project)
    assert decision.is_final and decision.final_verdict == "no_go" and decision.signoffs.count() == 4
    readiness_demo.seed(project=project, people=people)  # idempotent
    assert GoNoGoDecision.objects.filter(project=project).count() == 1
    assert GoNoGoDecision.objects.filter(project=project).count() == 1
