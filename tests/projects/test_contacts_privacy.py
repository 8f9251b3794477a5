"""Phone numbers and e-mail addresses: managers and ops see them (they call people on the night);
everyone else sees only their own, on the roster, the member page, its history and the API."""

import pytest
from django.urls import reverse

from projects.models import Membership
from tests.utils import api_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def phones(users):
    Membership.objects.filter(user=users["developer"]).update(phone="13800000001")
    Membership.objects.filter(user=users["staff"]).update(phone="13800000002")
    return users


@pytest.mark.parametrize("role, sees", [("manager", True), ("ops", True), ("staff", False), ("tester", False),
                                        ("developer", False), ("business", False), ("trainer", False)])
def test_roster_shows_phones_to_managers_and_ops_only(client, project, phones, role, sees):
    client.force_login(phones[role])
    page = client.get(reverse("projects:roster", args=[project.pk])).content.decode()
    assert ("13800000001" in page) is sees and ("13800000002" in page) is sees  # one's own is on one's member page
    # Searching by a number finds nobody for those who may not see numbers (no oracle).
    found = client.get(reverse("projects:roster", args=[project.pk]), {"q": "13800000002"}).content.decode()
    assert ("Nobody matches" in found) is (not sees)


def test_member_page_shows_contacts_and_history_to_the_person_themselves(client, project, phones):
    staff = Membership.objects.get(project=project, user=phones["staff"])
    url = reverse("projects:member", args=[project.pk, staff.pk])
    client.force_login(phones["tester"])
    page = client.get(url).content.decode()
    assert "13800000002" not in page and phones["staff"].email not in page
    client.force_login(phones["staff"])
    assert "13800000002" in client.get(url).content.decode()
    client.force_login(phones["ops"])
    assert "13800000002" in client.get(url).content.decode()


@pytest.mark.parametrize("role, sees", [("manager", True), ("ops", True), ("staff", False), ("tester", False)])
def test_members_api_blanks_phones_for_others(project, phones, role, sees):
    body = api_as(phones[role]).get(f"/api/v1/projects/{project.pk}/members/").json()
    phone_of = {m["username"]: m["phone"] for m in body["results"]}
    assert (phone_of[phones["staff"].username] == "13800000002") is (sees or role == "staff")
    one = Membership.objects.get(project=project, user=phones["staff"])
    detail = api_as(phones[role]).get(f"/api/v1/projects/{project.pk}/members/{one.pk}/").json()
    assert (detail["phone"] == "13800000002") is (sees or role == "staff")
