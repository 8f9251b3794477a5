from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone
from freezegun import freeze_time

from defects import selectors, services
from defects.models import Defect
from tests.defects.factories import case, cycle, defect_in, file_defect
from tests.projects.factories import member
from tests.utils import count_queries

pytestmark = pytest.mark.django_db

SEES_SECURITY = {"manager", "tester", "developer", "ops"}


@pytest.mark.parametrize("role", ["manager", "developer", "tester", "business", "ops", "trainer", "staff"])
def test_security_defects_only_for_security_roles(project, users, role):
    sec = file_defect(project, users["tester"], category="security", title="SQL injection", severity="critical")
    file_defect(project, users["tester"])
    user = users[role]
    visible = set(selectors.defect_list_for_user(user=user, project=project).values_list("pk", flat=True))
    counts = selectors.defect_counts(user=user, project=project)
    metrics = selectors.metrics(user=user, project=project)
    if role in SEES_SECURITY:
        assert sec.pk in visible and counts["critical"] == 1 and metrics["total"] == 2
        assert selectors.defect_get_for_user(user=user, pk=sec.pk) == sec
    else:
        # Branch staff who hold no other role see no defects at all; the others all but the security ones.
        seen = 0 if role == "staff" else 1
        assert sec.pk not in visible and counts["critical"] == 0 and counts["total"] == seen
        assert metrics["total"] == seen
        with pytest.raises(Http404):
            selectors.defect_get_for_user(user=user, pk=sec.pk)
        assert all(d.category != "security" for col in selectors.board(user=user, project=project)
                   for d in col["defects"])


def test_outsider_sees_nothing(project, users, outsider):
    d = file_defect(project, users["tester"])
    assert not selectors.defect_list_for_user(user=outsider).exists()
    with pytest.raises(Http404):
        selectors.defect_get_for_user(user=outsider, pk=d.pk)


def test_filters_search_sort_and_mine(project, users):
    cy = cycle(project, users["tester"])
    a = file_defect(project, users["tester"], title="Interest wrong", severity="critical", cycle=cy)
    b = file_defect(project, users["tester"], title="Slow search", severity="minor", category="performance",
                    assignee=users["developer"])
    c = defect_in(project, "closed", reporter=users["manager"], title="Old one")

    def pks(**f):
        return [d.pk for d in selectors.defect_list_for_user(user=users["developer"], project=project, filters=f)]

    assert pks(severity="critical") == [a.pk]
    assert pks(category="performance") == [b.pk]
    assert pks(cycle=cy.pk) == [a.pk]
    assert pks(status="closed") == [c.pk]
    assert set(pks(open=True)) == {a.pk, b.pk}
    assert pks(q="interest wrong") == [a.pk] and pks(q=f"D-{b.number}") == [b.pk]
    assert pks(mine=True) == [b.pk]  # assigned to the developer
    assert pks(assignee=users["developer"].pk) == [b.pk]
    assert pks(sort="severity")[0] == a.pk and pks(sort="-severity")[0] in (b.pk, c.pk)
    assert pks(sort="number") == [a.pk, b.pk, c.pk]


def test_overdue_filter(project, users):
    past = timezone.now() - timedelta(hours=10)
    with freeze_time(past):
        late = file_defect(project, users["tester"], severity="critical")
        file_defect(project, users["tester"], severity="trivial")
    fresh = file_defect(project, users["tester"], severity="critical")
    rows = list(selectors.defect_list_for_user(user=users["manager"], project=project, filters={"overdue": True}))
    assert [d.pk for d in rows] == [late.pk] and rows[0].overdue
    assert not next(d for d in selectors.defect_list_for_user(user=users["manager"], project=project)
                    if d.pk == fresh.pk).overdue
    assert selectors.defect_counts(user=users["manager"], project=project)["overdue"] == 1


def test_metrics_arrivals_closures_ageing_reopen(project, users):
    now = timezone.now()
    with freeze_time(now - timedelta(days=10)):
        old = file_defect(project, users["tester"], severity="major")
    file_defect(project, users["tester"], severity="critical")
    done = defect_in(project, "verified", reporter=users["tester"])
    services.defect_transition(actor=users["tester"], defect=done, to="reopened", comment="fails again")
    closed = defect_in(project, "verified", reporter=users["tester"])
    services.defect_transition(actor=users["tester"], defect=closed, to="closed")
    m = selectors.metrics(user=users["manager"], project=project)
    today = m["days"][-1]
    assert today["arrivals"] == 3 and today["closures"] == 1
    assert sum(d["arrivals"] for d in m["days"]) == 4
    assert {r["severity"].value: r["count"] for r in m["open_by_severity"]} == {
        "critical": 1, "major": 2, "minor": 0, "trivial": 0}
    assert {r["label"]: r["count"] for r in m["ageing"]}["8–14 d"] == 1
    assert m["reopen"]["reopened"] == 1 and m["reopen"]["fixed"] == 2
    assert old.pk


def test_cycles_annotated_counts(project, users):
    c1, c2 = case(project, users["tester"]), case(project, users["tester"], title="two")
    cy = cycle(project, users["tester"])
    services.result_record(actor=users["tester"], result=cy.results.get(case=c1), status="passed")
    services.result_record(actor=users["tester"], result=cy.results.get(case=c2), status="blocked", note="no data")
    row = selectors.cycles(user=users["staff"], project=project).get()
    assert (row.total, row.passed, row.blocked, row.not_run, row.executed) == (2, 1, 1, 0, 2)


def test_list_query_count_constant(project, users):
    file_defect(project, users["tester"], assignee=users["developer"])

    def run():
        return list(selectors.defect_list_for_user(user=users["manager"], project=project))

    _, few = count_queries(run)
    dev2 = member(project, "developer")
    for i in range(50):
        file_defect(project, users["tester"], assignee=dev2 if i % 2 else users["developer"])
    rows, many = count_queries(run)
    assert len(rows) == 51 and few == many
    assert Defect.objects.count() == 51
