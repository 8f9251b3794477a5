"""The member box (projects.pickers): typed with suggestions, never a drop-down of every member."""

import pytest
from django import forms
from django.urls import reverse

from projects.pickers import MemberField, member_label, search_members
from tests.projects.factories import UserFactory, member
from tests.utils import count_queries, htmx

pytestmark = pytest.mark.django_db


class OwnerForm(forms.Form):
    owner = MemberField(required=False)

    def __init__(self, *args, project, roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].bind(project, roles=roles)


def test_accepts_the_suggestion_the_login_and_the_id(project, users):
    ops = users["ops"]
    for typed in (member_label(ops), ops.username, str(ops.pk), f"  {ops.username} "):
        form = OwnerForm({"owner": typed}, project=project)
        assert form.is_valid(), (typed, form.errors)
        assert form.cleaned_data["owner"] == ops
    assert OwnerForm({"owner": ""}, project=project).is_valid()


def test_refuses_outsiders_unknown_names_and_the_wrong_role(project, users, outsider):
    for typed in (outsider.username, str(outsider.pk), "nobody-at-all", member_label(outsider)):
        form = OwnerForm({"owner": typed}, project=project)
        assert not form.is_valid()
        assert "is not a member of this project" in form.errors["owner"][0]
    form = OwnerForm({"owner": users["staff"].username}, project=project, roles=["developer", "ops"])
    assert not form.is_valid()
    assert OwnerForm({"owner": users["developer"].username}, project=project,
                     roles=["developer", "ops"]).is_valid()


def test_renders_a_text_box_with_suggestions_not_a_select(project, users):
    html = str(OwnerForm(initial={"owner": users["ops"]}, project=project)["owner"])
    assert "<select" not in html and 'list="id_owner-suggestions"' in html and "<datalist" in html
    assert reverse("projects:people_lookup", args=[project.pk]) in html
    assert member_label(users["ops"]) in html


def test_search_matches_login_names_and_a_chinese_name_written_together(project):
    wang = member(project, "ops", user=UserFactory(username="wjg", first_name="建国", last_name="王"))
    member(project, "staff", user=UserFactory(username="other", first_name="Ann", last_name="Lee"))
    assert search_members(project, "王建国") == [wang]
    assert search_members(project, "wj") == [wang]
    assert search_members(project, "王建国 (wjg)") == [wang]
    assert search_members(project, "") == []


def test_lookup_page_permissions_and_content(client, project, users, outsider):
    url = reverse("projects:people_lookup", args=[project.pk])
    assert client.get(url + "?q=a").status_code == 302  # anonymous → login
    client.force_login(outsider)
    assert client.get(url + "?q=a").status_code == 404
    client.force_login(users["staff"])
    response = htmx(client, url + f"?field=owner&owner={users['ops'].username}")
    body = response.content.decode()
    assert response.status_code == 200 and f'value="{member_label(users["ops"])}"' in body
    assert "Ops engineer" in body  # the role says who it is
    assert "phone" not in body.lower()
    only_devs = htmx(client, url + f"?roles=developer&q={users['ops'].username}").content.decode()
    assert users["ops"].username not in only_devs


def test_lookup_returns_at_most_15_in_constant_queries(client, project, users):
    client.force_login(users["manager"])
    url = reverse("projects:people_lookup", args=[project.pk]) + "?q=bulk"
    member(project, "staff", user=UserFactory(username="bulk-0"))
    _, few = count_queries(lambda: client.get(url))
    for i in range(1, 50):
        member(project, "staff", user=UserFactory(username=f"bulk-{i}"))
    response, many = count_queries(lambda: client.get(url))
    assert response.content.decode().count("<option") == 15 and few == many
