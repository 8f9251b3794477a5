"""The work-item export: the checklist with the page's filters, re-importable, constant queries."""

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tasks.models import WorkItem
from tasks.services import workitem_create
from tests.export_helpers import column, export, export_queries, export_url, reimport
from tests.projects.factories import ProjectFactory, member
from tests.utils import api_as

pytestmark = pytest.mark.django_db


def _due(day, hour=18):
    return timezone.make_aware(datetime(2026, 11, day, hour, 0))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_work_items_round_trip(project, users, fmt):
    workitem_create(actor=users["ops"], project=project, title="Order backup power", owner=users["ops"],
                    due_at=_due(3, 9), phase="preparation")
    workitem_create(actor=users["ops"], project=project, title="+Open firewall ports", phase="cutover")
    raw, rows = export(users["staff"], project, "work-items", fmt)
    assert rows[0][:4] == ["title", "owner", "due", "category"]
    assert column(rows, "title") == ["Order backup power", "'+Open firewall ports"]
    assert column(rows, "owner")[0] == users["ops"].username
    assert column(rows, "category") == ["Preparation", "Cutover"]
    assert reimport(users["ops"], project, "work-items", raw, fmt)["unchanged"] == 2

    target = ProjectFactory()
    member(target, "manager", user=users["manager"])
    member(target, "ops", user=users["ops"])
    assert reimport(users["manager"], target, "work-items", raw, fmt)["created"] == 2
    fields = ("title", "owner__username", "due_at", "phase")
    assert list(WorkItem.objects.filter(project=target).order_by("title").values_list(*fields)) == list(
        WorkItem.objects.filter(project=project).order_by("title").values_list(*fields))


def test_work_items_filters_as_on_the_page(project, users):
    workitem_create(actor=users["ops"], project=project, title="Mine", owner=users["ops"], due_at=_due(1))
    workitem_create(actor=users["ops"], project=project, title="Testing thing", phase="testing")
    assert column(export(users["ops"], project, "work-items", params={"mine": "1"})[1], "title") == ["Mine"]
    assert column(export(users["ops"], project, "work-items", params={"phase": "testing"})[1], "title") == [
        "Testing thing"]
    assert column(export(users["ops"], project, "work-items", params={"status": "done"})[1], "title") == []
    response = api_as(users["ops"]).get(export_url(project, "work-items"), {"phase": "someday"})
    assert response.status_code == 400 and "phase" in response.json()


def test_work_items_permissions(project, users, outsider):
    assert api_as().get(export_url(project, "work-items")).status_code == 401
    assert api_as(outsider).get(export_url(project, "work-items")).status_code == 404
    assert api_as(users["trainer"]).get(export_url(project, "work-items")).status_code == 200


def test_work_items_query_count_is_the_same_for_1_and_50(project, users):
    workitem_create(actor=users["ops"], project=project, title="W0", owner=users["ops"], due_at=_due(1))
    one = export_queries(users["ops"], project, "work-items")
    for i in range(1, 50):
        workitem_create(actor=users["ops"], project=project, title=f"W{i}", owner=users["ops"], due_at=_due(2))
    assert export_queries(users["ops"], project, "work-items") == one


def test_work_items_page_has_the_export_menu(client, project, users):
    client.force_login(users["staff"])
    html = client.get(reverse("tasks:workitems", args=[project.pk]), {"status": "todo"}).content.decode()
    assert reverse("projects:export_xlsx", args=[project.pk, "work-items"]) + "?status=todo" in html
