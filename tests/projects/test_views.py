import pytest
from django.urls import reverse

from projects.models import Membership, OnCallShift, Responsibility
from tests.projects.factories import DepartmentFactory, MilestoneFactory, ShiftFactory, UserFactory, member
from tests.utils import count_queries, htmx

pytestmark = pytest.mark.django_db

PAGES = ["projects:home", "projects:roster", "projects:raci", "projects:rota", "readiness:scorecard"]


def _login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", PAGES)
def test_pages_permission_matrix(client, project, users, outsider, name):
    url = reverse(name, args=[project.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for role, user in users.items():
        assert _login(client, user).get(url).status_code == 200, role
    assert _login(client, outsider).get(url).status_code == 404


def test_manager_only_pages(client, project, users):
    url = reverse("projects:edit", args=[project.pk])
    for role, user in users.items():
        expected = 200 if role == "manager" else 403
        assert _login(client, user).get(url).status_code == expected, role


def test_project_list_shows_only_my_projects(client, project, other_project, users):
    response = _login(client, users["staff"]).get("/")
    assert project.name in response.content.decode()
    assert other_project.name not in response.content.decode()


def test_roster_full_page_and_htmx_partial(client, project, users):
    _login(client, users["manager"])
    url = reverse("projects:roster", args=[project.pk])
    full = client.get(url)
    assert b"<html" in full.content and b'id="roster-table"' in full.content
    partial = htmx(client, url, data={"role": "tester"})
    body = partial.content.decode()
    assert "<html" not in body and 'id="roster-table"' in body
    assert users["tester"].username in body and users["staff"].username not in body


def test_back_to_a_filtered_url_never_shows_a_bare_fragment(client, project, users):
    """The same URL answers htmx with a fragment and the browser with the page: say so in Vary,
    and give htmx's history restore (Back) the whole page."""
    _login(client, users["manager"])
    url = reverse("projects:roster", args=[project.pk]) + "?role=tester"
    for response in (client.get(url), htmx(client, url)):
        assert "HX-Request" in response["Vary"]
    restored = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert b"<html" in restored.content and b'id="roster-table"' in restored.content


def test_roster_search_filters(client, project, users):
    _login(client, users["manager"])
    url = reverse("projects:roster", args=[project.pk])
    body = htmx(client, url, data={"q": users["ops"].username}).content.decode()
    assert users["ops"].username in body and users["trainer"].username not in body


def test_roster_query_count_constant(client, project, users):
    _login(client, users["manager"])
    url = reverse("projects:roster", args=[project.pk])
    _, few = count_queries(lambda: client.get(url))
    dept = DepartmentFactory(project=project)
    for _ in range(50):
        member(project, "staff", department=dept)
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200
    assert few == many


def test_project_list_query_count_constant(client, users, project):
    from tests.projects.factories import ProjectFactory

    user = users["staff"]
    _login(client, user)
    _, few = count_queries(lambda: client.get("/"))
    for _ in range(50):
        member(ProjectFactory(), "staff", user=user)
    response, many = count_queries(lambda: client.get("/"))
    assert response.status_code == 200 and few == many


def test_manager_adds_member_from_page(client, project, users):
    _login(client, users["manager"])
    newcomer = UserFactory()
    response = client.post(reverse("projects:member_add", args=[project.pk]), {"user": newcomer.username, "role": "ops"})
    assert response.status_code == 302
    assert Membership.objects.filter(project=project, user=newcomer, role="ops").exists()


def test_duplicate_member_from_page_shows_error_and_saves_nothing(client, project, users):
    _login(client, users["manager"])
    before = Membership.objects.count()
    response = client.post(reverse("projects:member_add", args=[project.pk]),
                           {"user": users["tester"].username, "role": "tester"})
    assert response.status_code == 400
    assert "already has the role" in response.content.decode()
    assert Membership.objects.count() == before


def test_non_manager_cannot_add_member(client, project, users):
    _login(client, users["tester"])
    response = client.post(reverse("projects:member_add", args=[project.pk]),
                           {"user": UserFactory().username, "role": "ops"})
    assert response.status_code == 403


def test_member_inline_edit_htmx(client, project, users):
    _login(client, users["manager"])
    membership = Membership.objects.get(project=project, user=users["tester"])
    url = reverse("projects:member", args=[project.pk, membership.pk])
    edit = htmx(client, url + "?edit=1")
    assert b"<form" in edit.content and b"<html" not in edit.content
    response = client.post(url, {"role": "tester", "job_title": "Test Lead", "phone": "123"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "roster-changed" in response["HX-Trigger"]
    membership.refresh_from_db()
    assert membership.job_title == "Test Lead"


def test_member_page_shows_history(client, project, users):
    _login(client, users["manager"])
    membership = Membership.objects.get(project=project, user=users["tester"])
    body = client.get(reverse("projects:member", args=[project.pk, membership.pk])).content.decode()
    assert "History" in body and "created" in body


def test_raci_set_cell_htmx_and_violation_flag(client, project, users):
    _login(client, users["manager"])
    url = reverse("projects:raci_set", args=[project.pk])
    response = client.post(url, {"area": "Data migration", "user": users["ops"].pk, "raci": "R"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Data migration" in body and "<html" not in body
    assert "do not have exactly one Accountable" in body or "does not have exactly one Accountable" in body
    client.post(url, {"area": "Data migration", "user": users["manager"].pk, "raci": "A"})
    body = client.get(reverse("projects:raci", args=[project.pk])).content.decode()
    assert "exactly one Accountable" not in body
    assert Responsibility.objects.filter(project=project).count() == 2


def test_raci_bad_letter_is_400(client, project, users):
    _login(client, users["manager"])
    response = client.post(reverse("projects:raci_set", args=[project.pk]),
                           {"area": "X", "user": users["ops"].pk, "raci": "Z"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert not Responsibility.objects.exists()


def test_rota_ops_adds_shift_and_gaps_shown(client, project, users):
    _login(client, users["ops"])
    url = reverse("projects:rota", args=[project.pk])
    start = project.window_start
    body = client.get(url).content.decode()
    assert "gap" in body.lower()
    response = client.post(url, {"user": users["ops"].pk, "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                                 "ends_at": (start.replace(hour=(start.hour + 2) % 24)).strftime("%Y-%m-%dT%H:%M")
                                 if start.hour < 22 else start.strftime("%Y-%m-%dT23:59"), "note": "primary"})
    assert response.status_code == 302
    assert OnCallShift.objects.filter(project=project).count() == 1


def test_rota_bad_shift_is_400_and_nothing_saved(client, project, users):
    _login(client, users["ops"])
    url = reverse("projects:rota", args=[project.pk])
    start = project.window_start.strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"user": users["ops"].pk, "starts_at": start, "ends_at": start})
    assert response.status_code == 400
    assert "must end after it starts" in response.content.decode()
    assert not OnCallShift.objects.exists()


def test_rota_staff_cannot_add_shift(client, project, users):
    _login(client, users["staff"])
    start = project.window_start.strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("projects:rota", args=[project.pk]),
                           {"user": users["staff"].pk, "starts_at": start, "ends_at": start})
    assert response.status_code == 403


def test_rota_week_partial(client, project, users):
    _login(client, users["staff"])
    response = htmx(client, reverse("projects:rota", args=[project.pk]), data={"week": "2030-01-07"})
    assert response.status_code == 200 and b'id="rota-week"' in response.content and b"<html" not in response.content


def test_home_shows_milestones_and_slips(client, project, users):
    from datetime import timedelta

    from django.utils import timezone

    MilestoneFactory(project=project, name="SIT complete", planned_date=timezone.localdate() - timedelta(days=3))
    body = _login(client, users["staff"]).get(reverse("projects:home", args=[project.pk])).content.decode()
    assert "SIT complete" in body and "3 days" in body


def test_create_project_page_staff_only(client, users):
    assert _login(client, users["manager"]).get(reverse("projects:create")).status_code == 403
    staff = UserFactory(is_staff=True)
    assert _login(client, staff).get(reverse("projects:create")).status_code == 200


def test_language_switch_renders_chinese(client, project, users):
    _login(client, users["staff"])
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    body = client.get("/", headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "我的项目" in body


def test_roster_is_paginated(client, project, users):
    for _ in range(60):
        member(project, "staff")
    _login(client, users["manager"])
    url = reverse("projects:roster", args=[project.pk])
    first = htmx(client, url).content.decode()
    assert "67 role assignments" in first and "Page 1 of 2" in first
    second = htmx(client, url, data={"page": 2}).content.decode()
    assert second.count('<tr id="m-') == 17


def test_unknown_username_is_a_clear_form_error(client, project, users):
    _login(client, users["manager"])
    before = Membership.objects.count()
    response = client.post(reverse("projects:member_add", args=[project.pk]), {"user": "nobody-here", "role": "ops"})
    assert response.status_code == 400
    assert "No active user with this username." in response.content.decode()
    assert Membership.objects.count() == before


def test_raci_cell_editor_loads_on_click(client, project, users):
    _login(client, users["manager"])
    client.post(reverse("projects:raci_set", args=[project.pk]), {"area": "Cutover", "user": users["ops"].pk,
                                                                 "raci": "R"})
    url = reverse("projects:raci_cell", args=[project.pk])
    response = htmx(client, url, data={"area": "Cutover", "user": users["ops"].pk})
    body = response.content.decode()
    assert response.status_code == 200 and "<select" in body and 'value="R" selected' in body
    assert htmx(client, url, data={"area": "Cutover", "user": 999999}).status_code == 400
    assert _login(client, users["staff"]).get(url, {"area": "Cutover", "user": users["ops"].pk}).status_code == 403


def test_raci_grid_query_count_constant(client, project, users):
    _login(client, users["manager"])
    url = reverse("projects:raci", args=[project.pk])
    client.post(reverse("projects:raci_set", args=[project.pk]), {"area": "A0", "user": users["ops"].pk, "raci": "A"})
    _, few = count_queries(lambda: client.get(url))
    from projects import services

    for i in range(50):
        services.responsibility_set(actor=users["manager"], project=project, area=f"A{i % 10}",
                                    user=member(project, "staff"), raci="R")
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and few == many


def test_project_nav_links_every_area_and_feedback(client, project, users):
    body = _login(client, users["staff"]).get(reverse("projects:home", args=[project.pk])).content.decode()
    for name in ["requirements:list", "training:catalogue", "tasks:runbooks", "hypercare:dashboard",
                 "projects:roster", "readiness:scorecard"]:
        assert f'href="{reverse(name, args=[project.pk])}"' in body, name
    assert reverse("hypercare:feedback_new", args=[project.pk]) in body
    # The testing area is not branch staff's (issue 17): no "Testing" for a staff-only member, but for the others.
    testing = f'href="{reverse("defects:list", args=[project.pk])}"'
    assert testing not in body
    assert testing in _login(client, users["business"]).get(reverse("projects:home", args=[project.pk])) \
        .content.decode()


def test_project_nav_has_lessons_learned_highlighted_on_its_page(client, project, users):
    _login(client, users["staff"])
    lessons = reverse("hypercare:lessons", args=[project.pk])
    assert f'href="{lessons}"' in client.get(reverse("projects:home", args=[project.pk])).content.decode()
    body = client.get(lessons).content.decode()
    assert f'<a href="{lessons}" class="active" aria-current="page">' in body
    assert body.count('class="active" aria-current="page"') == 1


def test_reminder_settings_highlights_home_not_team(client, project, users):
    body = _login(client, users["manager"]).get(
        reverse("notifications:reminder_settings", args=[project.pk])).content.decode()
    assert f'<a href="{reverse("projects:home", args=[project.pk])}" class="active"' in body
    assert f'<a href="{reverse("projects:roster", args=[project.pk])}" class="active"' not in body


def test_raci_and_rota_history_name_the_assigned_person_in_constant_queries(client, project, users):
    from projects import services

    _login(client, users["manager"])
    raci, rota = reverse("projects:raci", args=[project.pk]), reverse("projects:rota", args=[project.pk])
    assignee = member(project, "staff", user=UserFactory(first_name="Grace", last_name="Hopper"))
    services.responsibility_set(actor=users["manager"], project=project, area="Hypercare support",
                                user=assignee, raci="C")
    ShiftFactory(project=project, user=assignee, starts_at=project.window_start, ends_at=project.window_end)
    _, raci_few = count_queries(lambda: client.get(raci))
    _, rota_few = count_queries(lambda: client.get(rota))
    assert "Grace Hopper set to C for Hypercare support" in client.get(raci).content.decode()
    assert "Grace Hopper · " in client.get(rota).content.decode().split("Recent changes")[1]
    for i in range(20):
        services.responsibility_set(actor=users["manager"], project=project, area=f"Area {i}",
                                    user=member(project, "staff"), raci="I")
        ShiftFactory(project=project, user=member(project, "ops"), starts_at=project.window_start,
                     ends_at=project.window_end)
    assert count_queries(lambda: client.get(raci))[1] == raci_few
    assert count_queries(lambda: client.get(rota))[1] == rota_few


def test_rota_label_sits_on_its_bar():
    from projects.templatetags.liftoff import rota_bar

    early = str(rota_bar(25, 10, "GAP 06:00–08:24", "gap"))
    assert '<rect x="25.00%"' in early and '<text x="25.00%" dx="4" y="14" text-anchor="start">GAP' in early
    late = str(rota_bar(90, 20, "Ann · 21:36–24:00", "shift"))  # clipped to the day, label just before it
    assert '<rect x="90.00%" y="1" width="10.00%"' in late and '<text x="90.00%" dx="-4" y="14" text-anchor="end">' in late
    assert "viewBox" not in early and "preserveAspectRatio" not in early


def test_raci_grid_pages_people_and_finds_them_while_flags_count_everyone(client, project, users):
    from projects.selectors import RACI_PEOPLE_PER_PAGE

    people = [member(project, "staff", user=UserFactory(username=f"raci-{i:02d}", last_name=f"Zz{i:02d}"))
              for i in range(RACI_PEOPLE_PER_PAGE + 5)]
    cells = [Responsibility(project=project, area="Branch readiness", user=u, raci="I") for u in people]
    cells += [Responsibility(project=project, area="Data migration", user=people[-1], raci="A"),
              Responsibility(project=project, area="Data migration", user=people[-2], raci="A")]
    Responsibility.objects.bulk_create(cells)
    client.force_login(users["manager"])
    url = reverse("projects:raci", args=[project.pk])
    first = client.get(url).content.decode()
    assert first.count('class="vert"') == RACI_PEOPLE_PER_PAGE and "Page 1 of 2" in first
    assert "Data migration</strong> (2 × A)" in first and "Branch readiness</strong> (0 × A)" in first
    second = htmx(client, url, data={"page": 2}).content.decode()
    assert second.count('class="vert"') == 5 and "<html" not in second and "raci-00" not in second
    found = htmx(client, url, data={"q": "raci-07"}).content.decode()
    assert found.count('class="vert"') == 1 and "Page 1 of" not in found
    assert '<select name="user"' not in first and 'list="id_user-suggestions"' in first
