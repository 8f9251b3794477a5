"""Records named by code (projects.pickers.RecordField): a list while few, codes when thousands;
the requirement suggestions behind the box are for members only."""

import pytest
from django.urls import reverse

from defects.forms import CyclePlanForm, DefectEditForm
from projects import pickers
from tests.defects.factories import case, file_defect, requirement

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(project, users, monkeypatch):
    monkeypatch.setattr(pickers, "SELECT_LIMIT", 3)  # "thousands", without making thousands
    return [requirement(project, users["business"], n=n) for n in range(1, 6)]


def test_few_records_are_a_list_of_ids(project, users):
    reqs = [requirement(project, users["business"], n=n) for n in range(1, 3)]
    form = CyclePlanForm({"name": "SIT", "kind": "functional", "planned_start": "2026-12-01", "planned_end": "2026-12-09",
                          "status": "planned", "requirements": [reqs[1].pk]}, project=project)
    assert "<select" in str(form["requirements"]) and "REQ-001 Requirement 1" in str(form["requirements"])
    assert form.is_valid(), form.errors
    assert form.cleaned_data["requirements"] == [reqs[1]]


def test_many_records_are_codes_with_suggestions(project, users, many):
    form = CyclePlanForm({"name": "SIT", "kind": "functional", "planned_start": "2026-12-01", "planned_end": "2026-12-09",
                          "status": "planned", "requirements": "REQ-002, REQ-004 REQ-002"}, project=project)
    assert "<select" not in str(form["requirements"])
    assert form.is_valid(), form.errors
    assert form.cleaned_data["requirements"] == [many[1], many[3]]  # each once, in the order given
    bad = CyclePlanForm({"name": "SIT", "kind": "functional", "planned_start": "2026-12-01", "planned_end": "2026-12-09",
                         "status": "planned", "requirements": "REQ-002, REQ-999"}, project=project)
    assert not bad.is_valid() and "No requirement with the code “REQ-999”" in str(bad.errors["requirements"])


def test_a_single_requirement_takes_a_suggestion_and_shows_the_code(project, users, many):
    defect = file_defect(project, users["tester"], requirement=many[2])
    form = DefectEditForm(instance=defect, project=project)
    html = str(form["requirement"])
    assert 'value="REQ-003"' in html and 'list="id_requirement-suggestions"' in html
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update({"requirement": "REQ-005 · Requirement 5"})
    bound = DefectEditForm(data, instance=defect, project=project)
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["requirement"] == many[4]


def test_another_projects_code_is_unknown(project, other_project, users, many):
    requirement(other_project, users["business"], n=77)
    form = CyclePlanForm({"name": "SIT", "kind": "functional", "planned_start": "2026-12-01", "planned_end": "2026-12-09",
                          "status": "planned", "requirements": "REQ-077"}, project=project)
    assert not form.is_valid()


def test_cases_by_hand_by_code(project, users, monkeypatch):
    monkeypatch.setattr(pickers, "SELECT_LIMIT", 1)
    a, b = case(project, users["tester"], title="Open"), case(project, users["tester"], title="Close")
    form = CyclePlanForm({"name": "SIT", "kind": "functional", "planned_start": "2026-12-01", "planned_end": "2026-12-09",
                          "status": "planned", "cases": f"{b.code}"}, project=project)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["cases"] == [b] and a not in form.cleaned_data["cases"]


def test_requirement_lookup_suggests_by_code_or_title_for_members_only(client, project, users, outsider, many):
    url = reverse("requirements:lookup", args=[project.pk])
    client.force_login(users["tester"])
    body = client.get(url, {"q": "REQ-00"}).content.decode()
    assert body.count("<option") == 5 and 'value="REQ-001 · Requirement 1"' in body
    assert client.get(url, {"q": "Requirement 4"}).content.decode().count("<option") == 1
    assert client.get(url, {"q": ""}).content.decode() == ""
    client.force_login(outsider)
    assert client.get(url, {"q": "REQ"}).status_code == 404
