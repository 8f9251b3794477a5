"""The readiness score gives partial credit per criterion; values and targets share one unit;
the stored snapshots were rescored with the same formula (migration 0006)."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from readiness import registry as readiness
from readiness import selectors
from readiness.models import ReadinessSnapshot
from readiness.registry import Result
from tests.readiness.helpers import empty_registry, fixed, threshold
from tests.utils import api_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    return empty_registry(monkeypatch)


def test_a_criterion_at_80_percent_of_its_target_earns_80_percent_of_its_weight(registry, project):
    threshold("trained", value=76, default_target=95)  # 76 of 95: 0.8
    fixed("clean", value=0, passed=True)
    result = readiness.evaluate(project)
    by_key = {e.key: e for e in result["criteria"]}
    assert by_key["trained"].credit == pytest.approx(0.8) and by_key["clean"].credit == 1
    assert result["score"] == 90 and not result["ready"]


def test_credit_is_capped_and_counts_to_stay_under_earn_nothing_until_they_do(registry, project):
    @readiness.criterion(key="over", label="over", default_target=90)
    def over(project, target):  # a share over its target that still fails (e.g. no data behind it)
        return Result(value=120, passed=False)

    fixed("defects", value=3, passed=False)  # at most 0: three open earn nothing
    result = readiness.evaluate(project)
    by_key = {e.key: e for e in result["criteria"]}
    assert by_key["over"].credit == 1 and by_key["defects"].credit == 0
    assert result["score"] == 50


def test_a_criterion_may_give_its_own_partial_credit_and_the_score_stays_below_100_while_one_fails(
        registry, project):
    @readiness.criterion(key="checks", label="checks", default_target=0)
    def checks(project, target):
        return Result(value=1, passed=False, credit=0.999, display="1")

    result = readiness.evaluate(project)
    assert result["criteria"][0].credit == pytest.approx(0.999) and result["score"] == 99


def test_mandatory_blockers_still_block_ready_however_high_the_score(registry, project):
    for i in range(9):
        fixed(f"ok{i}", value=1, passed=True)
    threshold("must", value=94, default_target=95)
    result = readiness.evaluate(project)
    assert result["score"] == 99 and not result["ready"] and [e.key for e in result["blockers"]] == ["must"]


def test_value_and_target_are_written_in_the_same_unit(registry, project):
    threshold("share", value=50, default_target=100)
    fixed("count", value=0, passed=True, display="0")
    fixed("one", value=0, passed=False, default_target=1, display="0")
    rows = {e.key: e for e in readiness.evaluate(project)["criteria"]}
    assert (rows["share"].result.display, rows["share"].target_display) == ("50%", "≥ 100%")
    assert (rows["count"].result.display, rows["count"].target_display) == ("0", "≤ 0")
    assert rows["one"].target_display == "≥ 1"
    assert readiness.format_target(readiness.YES_NO, 1) == "yes"


def test_the_real_cutover_criteria_use_the_units_of_their_targets(project, users):
    """reconciliation_clean used to say "clean" against a target of 0, rehearsals "1/2" against 1."""
    rows = {e.key: e for e in readiness.evaluate(project)["criteria"]}
    assert rows["contingency_approved"].unit == readiness.YES_NO
    assert str(rows["contingency_approved"].result.display) == "no" and rows["contingency_approved"].target_display == "yes"
    assert rows["rehearsals_in_window"].result.display == "0" and rows["rehearsals_in_window"].target_display == "≥ 1"
    assert rows["prep_items_done"].result.display.endswith("%")
    assert rows["prep_items_done"].target_display == "≥ 100%"


def test_scorecard_page_and_api_show_units_and_credit(client, registry, project, users):
    threshold("trained", value=76, default_target=95)
    client.force_login(users["staff"])
    body = client.get(reverse("readiness:scorecard", args=[project.pk])).content.decode()
    assert "76%" in body and "≥ 95%" in body and "× 0.80" in body
    data = api_as(users["staff"]).get(f"/api/v1/projects/{project.pk}/readiness/").json()
    assert data["score"] == 80 and not data["ready"]
    (row,) = data["criteria"]
    assert row["unit"] == "percent" and row["credit"] == pytest.approx(0.8) and row["target"] == 95


def test_frozen_evidence_shows_the_target_in_the_values_unit(client, registry, project, users):
    from readiness import services

    threshold("trained", value=76, default_target=95)
    meeting = services.gonogo_open(actor=users["manager"], project=project, title="G", required_roles=["manager"])
    rows = selectors.evidence_rows(meeting)
    assert rows[0]["target_display"] == "≥ 95%"
    # Evidence frozen before units were stored: the unit comes from the registered criterion.
    old = {k: v for k, v in meeting.evidence["criteria"][0].items() if k not in ("unit", "credit")}
    assert readiness.target_text(old) == "≥ 95%"
    client.force_login(users["staff"])
    body = client.get(reverse("readiness:gonogo_report", args=[project.pk, meeting.pk])).content.decode()
    assert "≥ 95%" in body


def test_the_migration_rescores_stored_snapshots_with_partial_credit(project):
    from datetime import date

    snap = ReadinessSnapshot.objects.create(project=project, date=date(2026, 5, 1), score=50, ready=False, criteria=[
        {"key": "prep_items_done", "value": 80, "target": 100, "passed": False, "weight": 1},
        {"key": "open_critical_defects", "value": 0, "target": 0, "passed": True, "weight": 1},
        {"key": "contingency_approved", "value": 0, "target": 1, "passed": False, "weight": 2},
    ])
    migration = importlib.import_module("readiness.migrations.0006_gonogo_override_reason")
    migration.rescore(django_apps, None)
    snap.refresh_from_db()
    assert snap.score == round((0.8 + 1 + 0) * 100 / 4)  # 45
