"""The defect page says who acts next and why; the likely next state is pre-selected, a backward
move (reject, reopen) never is and is confirmed first."""

import re

import pytest
from django.urls import reverse

from defects import services
from defects.models import Status
from projects.people import display_name
from tests.defects.factories import defect_in, managers_triage

pytestmark = pytest.mark.django_db


def _selected(page):
    select = page.split('name="to"', 1)[1].split("</select>", 1)[0]
    found = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return found.group(1) if found else None


@pytest.mark.parametrize("status, fragment", [
    (Status.NEW, "a tester or a project manager triages it"), (Status.FIXED, "a tester re-tests the fix"),
    (Status.VERIFIED, "a tester closes it"), (Status.CLOSED, "Nothing more to do")])
def test_next_step_line(project, users, status, fragment):
    defect = defect_in(project, status, reporter=users["tester"])
    text, done = services.next_step(defect)
    assert fragment in text and done is (status == Status.CLOSED)


def test_next_step_names_the_assignee(project, users):
    defect = defect_in(project, Status.OPEN, reporter=users["tester"], assignee=users["developer"])
    assert display_name(users["developer"]) in services.next_step(defect)[0]
    unassigned = defect_in(project, Status.OPEN, reporter=users["tester"])
    assert "assigns it to a developer" in services.next_step(unassigned)[0]


def test_next_step_follows_the_triage_setting(project, users):
    new = defect_in(project, Status.NEW, reporter=users["tester"])
    assert "a tester or a project manager triages it" in services.next_step(new)[0]
    managers_triage(project)
    new = defect_in(project, Status.NEW, reporter=users["tester"])
    text = services.next_step(new)[0]
    assert "a project manager triages it" in text and "tester" not in text


def test_the_page_preselects_the_forward_move_and_never_a_backward_one(client, project, users):
    new = defect_in(project, Status.NEW, reporter=users["tester"])
    client.force_login(users["manager"])
    page = client.get(reverse("defects:detail", args=[project.pk, new.pk])).content.decode()
    assert _selected(page) == "open" and "a tester or a project manager triages it" in page
    assert "hx-confirm" not in page
    # Testers triage by default: the tester sees "open" pre-selected too.
    client.force_login(users["tester"])
    page = client.get(reverse("defects:detail", args=[project.pk, new.pk])).content.decode()
    assert _selected(page) == "open"
    # Where only managers triage, a tester on a new defect may only reject it: nothing is pre-selected and
    # the move is confirmed.
    managers_triage(project)
    page = client.get(reverse("defects:detail", args=[project.pk, new.pk])).content.decode()
    assert not _selected(page) and 'value=""' in page and "hx-confirm" in page
    closed = defect_in(project, Status.CLOSED, reporter=users["tester"])
    page = client.get(reverse("defects:detail", args=[project.pk, closed.pk])).content.decode()
    assert not _selected(page) and "hx-confirm" in page and "Nothing more to do" in page
    fixed = defect_in(project, Status.FIXED, reporter=users["tester"])
    page = client.get(reverse("defects:detail", args=[project.pk, fixed.pk])).content.decode()
    assert _selected(page) == "verified"


def test_choosing_nothing_moves_nothing(client, project, users):
    closed = defect_in(project, Status.CLOSED, reporter=users["tester"])
    client.force_login(users["tester"])
    response = client.post(reverse("defects:transition", args=[project.pk, closed.pk]), {"to": ""})
    closed.refresh_from_db()
    assert response.status_code == 400 and closed.status == Status.CLOSED
