"""The history panel (projects.audit.history_for) reads like a sentence, at a fixed query cost."""

from itertools import cycle

import pytest
from django.urls import reverse

from projects import services
from projects.audit import history_for
from projects.models import Membership
from tests.projects.factories import DepartmentFactory, MilestoneFactory, UserFactory, member
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(users):
    return users["manager"]


@pytest.fixture
def milestone(project):
    return MilestoneFactory(project=project, owner=None)


def _latest_changes(obj):
    return dict((field, (old, new)) for field, old, new in history_for(obj)[0]["changes"])


def test_user_change_shows_the_persons_name(client, project, manager, milestone):
    wang = member(project, "ops", user=UserFactory(first_name="建国", last_name="王"))
    smith = member(project, "tester", user=UserFactory(first_name="Anna", last_name="Smith"))
    services.milestone_update(actor=manager, milestone=milestone, owner=wang)
    assert _latest_changes(milestone)["owner"] == (None, "王建国")
    services.milestone_update(actor=manager, milestone=milestone, owner=smith)
    assert _latest_changes(milestone)["owner"] == ("王建国", "Anna Smith")

    client.force_login(manager)
    body = client.get(reverse("projects:milestone", args=[project.pk, milestone.pk])).content.decode()
    assert "<del>王建国</del> → <ins>Anna Smith</ins>" in body
    assert f"<ins>{wang.pk}</ins>" not in body and f"<ins>{smith.pk}</ins>" not in body


def test_other_model_change_shows_its_name(client, project, manager):
    membership = Membership.objects.get(project=project, user=manager)
    payments = DepartmentFactory(project=project, name="Payments")
    services.membership_update(actor=manager, membership=membership, department=payments, job_title="Lead")
    changes = _latest_changes(membership)
    assert changes["department"] == (None, "Payments") and changes["job title"] == ("", "Lead")


def test_deleted_target_is_named_by_its_id(project, manager, milestone):
    membership = Membership.objects.get(project=project, user=manager)
    gone = DepartmentFactory(project=project, name="Treasury")
    services.membership_update(actor=manager, membership=membership, department=gone)
    leaver = member(project, "ops")
    services.milestone_update(actor=manager, milestone=milestone, owner=leaver)
    gone_id, leaver_id = gone.pk, leaver.pk
    gone.delete()
    leaver.delete()
    assert _latest_changes(membership)["department"] == (None, f"#{gone_id} (deleted)")
    assert _latest_changes(milestone)["owner"] == (None, f"#{leaver_id} (deleted)")


def test_save_that_changes_nothing_shown_is_left_out(project, manager, milestone):
    services.milestone_update(actor=manager, milestone=milestone, name="Dress rehearsal")
    before = history_for(milestone)
    services.milestone_update(actor=manager, milestone=milestone)  # saves, writes a record, changes nothing
    assert milestone.history.count() == 3
    after = history_for(milestone)
    assert [e["action"] for e in after] == [e["action"] for e in before] == ["changed", "created"]
    assert after[0]["changes"] == [("name", before[0]["changes"][0][1], "Dress rehearsal")]


def test_query_count_does_not_grow_with_foreign_key_changes(project, users, manager):
    one = MilestoneFactory(project=project, owner=None)
    services.milestone_update(actor=manager, milestone=one, owner=users["ops"])
    many = MilestoneFactory(project=project, owner=None)
    owners = cycle(users.values())
    for _ in range(30):
        services.milestone_update(actor=manager, milestone=many, owner=next(owners))

    entries, small = count_queries(lambda: history_for(one))
    assert len(entries) == 2
    entries, large = count_queries(lambda: history_for(many))
    assert len(entries) == 31 and len({new for e in entries[:-1] for _f, _old, new in e["changes"]}) == len(users)
    assert small == large == 2  # the records (with their authors), then the users they name


def test_milestone_page_query_count_does_not_grow_with_history(client, project, users, manager):
    one = MilestoneFactory(project=project, owner=None)
    services.milestone_update(actor=manager, milestone=one, owner=users["ops"])
    many = MilestoneFactory(project=project, owner=None)
    owners = cycle(users.values())
    for _ in range(30):
        services.milestone_update(actor=manager, milestone=many, owner=next(owners))
    client.force_login(manager)

    def page(milestone):
        return lambda: client.get(reverse("projects:milestone", args=[project.pk, milestone.pk]))

    response, small = count_queries(page(one))
    assert response.status_code == 200
    response, large = count_queries(page(many))
    assert response.status_code == 200 and small == large
