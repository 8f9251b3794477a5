"""The risk export: the register's rule (other roles 403), its filters, neutralised cells, constant queries."""

import pytest
from django.urls import reverse

from readiness import services
from tests.export_helpers import column, export, export_queries, export_url
from tests.utils import api_as

pytestmark = pytest.mark.django_db


def make(project, users, **kw):
    fields = {"title": "Core database fails", "category": "technical", "likelihood": 3, "impact": 4,
              "owner": users["ops"], "mitigation": "", "trigger": ""} | kw
    return services.risk_create(actor=users["manager"], project=project, **fields)


def test_risk_export_permission_matrix(project, users, outsider):
    make(project, users)
    assert api_as().get(export_url(project, "risks")).status_code == 401
    assert api_as(outsider).get(export_url(project, "risks")).status_code == 404
    for role in ("trainer", "staff"):
        response = api_as(users[role]).get(export_url(project, "risks", "xlsx"))
        assert response.status_code == 403 and response.json()["detail"]
    for role in ("manager", "ops", "tester", "business", "developer"):
        assert api_as(users[role]).get(export_url(project, "risks", "xlsx")).status_code == 200


def test_risk_export_filters_and_neutralises(project, users):
    make(project, users, title="=Vendor late", category="vendor", likelihood=5, impact=5)
    make(project, users, title="Network down", category="network", likelihood=1, impact=2)
    for fmt in ("csv", "xlsx"):
        rows = export(users["manager"], project, "risks", fmt)[1]
        assert column(rows, "Title") == ["'=Vendor late", "Network down"]
    rows = export(users["manager"], project, "risks", params={"level": "critical"})[1]
    assert column(rows, "Title") == ["'=Vendor late"]


def test_risk_query_count_is_the_same_for_1_and_50(project, users):
    make(project, users, title="R0")
    one = export_queries(users["manager"], project, "risks")
    for i in range(1, 50):
        make(project, users, title=f"R{i}")
    assert export_queries(users["manager"], project, "risks") == one


def test_risks_page_has_the_export_menu_with_its_filters(client, project, users):
    client.force_login(users["manager"])
    html = client.get(reverse("readiness:risks", args=[project.pk]), {"category": "vendor"}).content.decode()
    assert reverse("projects:export_xlsx", args=[project.pk, "risks"]) + "?category=vendor" in html
