"""The project home shows each person their own work first; the dashboard is a tab away (or below it
for managers); every project page's top bar counts the work, cheaply."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from defects.models import Defect, Status
from projects import mywork
from tests.defects.factories import defect_in, file_defect
from tests.training.factories import make_course
from tests.utils import count_queries, htmx

pytestmark = pytest.mark.django_db

DASHBOARD = "Not ready to go live"  # the readiness panel's verdict (an empty project is not ready)


def _home(project, query=""):
    return reverse("projects:home", args=[project.pk]) + query


def _assigned(project, users, n=1, overdue=False):
    out = []
    for i in range(n):
        d = defect_in(project, Status.OPEN, reporter=users["tester"], assignee=users["developer"], title=f"Bug {i}")
        due = timezone.now() + (timedelta(hours=-3) if overdue else timedelta(hours=5))
        Defect.objects.filter(pk=d.pk).update(fix_due_at=due)
        out.append(d)
    return out


def test_anonymous_goes_to_login_and_outsiders_get_404(client, project, outsider):
    response = client.get(_home(project))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(outsider)
    assert client.get(_home(project)).status_code == 404
    assert client.get(_home(project, "?tab=work"), headers={"HX-Request": "true"}).status_code == 404


@pytest.mark.parametrize("role", ["developer", "tester", "business", "ops", "trainer", "staff"])
def test_people_land_on_their_work_not_the_dashboard(client, project, users, role):
    client.force_login(users[role])
    body = client.get(_home(project)).content.decode()
    assert 'id="my-work"' in body and DASHBOARD not in body
    assert 'href="?tab=dashboard"' in body  # one click away
    assert body.index('id="my-work"') < body.index('id="milestones"')


def test_the_dashboard_tab_shows_the_dashboard_to_every_member(client, project, users):
    client.force_login(users["staff"])
    body = client.get(_home(project, "?tab=dashboard")).content.decode()
    assert DASHBOARD in body and 'id="my-work"' not in body
    assert 'href="?tab=dashboard" class="active" aria-current="page"' in body


def test_managers_see_their_work_first_and_the_dashboard_below(client, project, users):
    file_defect(project, users["tester"], title="Login fails")
    client.force_login(users["manager"])
    body = client.get(_home(project)).content.decode()
    assert "Defect to triage" in body and "Login fails" in body
    assert body.index('id="my-work"') < body.index(DASHBOARD)


def test_work_is_listed_with_links_kind_badges_and_overdue_in_red(client, project, users):
    late, = _assigned(project, users, overdue=True)
    client.force_login(users["developer"])
    body = client.get(_home(project)).content.decode()
    assert f'href="{reverse("defects:detail", args=[project.pk, late.pk])}"' in body
    assert 'class="pill kind-defect_to_fix">Defect to fix</span>' in body
    assert '<time datetime="' in body and 'class="overdue"' in body and ">overdue</span>" in body
    assert "1 open item, most urgent first" in body


def test_htmx_asks_for_the_list_alone_and_may_filter_it_by_kind(client, project, users):
    _assigned(project, users)
    course = make_course(project, users["trainer"], title="Deposits", required_roles=("developer",))
    client.force_login(users["developer"])
    response = htmx(client, _home(project, "?tab=work"))
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<section class="card mywork" id="my-work"')
    assert "<html" not in body and "Bug 0" in body and "Deposits" in body
    body = htmx(client, _home(project, "?tab=work&kind=course_to_take")).content.decode()
    assert "Deposits" in body and "Bug 0" not in body and f"/courses/{course.pk}/" in body
    body = htmx(client, _home(project, "?tab=work&kind=nonsense")).content.decode()
    assert "Deposits" in body and "Bug 0" in body  # an unknown kind shows everything


def test_empty_state_says_what_to_do_next(client, project, users):
    client.force_login(users["staff"])
    body = client.get(_home(project)).content.decode()
    assert "Nothing is waiting for you in this project right now." in body
    assert f'href="{reverse("training:catalogue", args=[project.pk])}"' in body
    assert "File a defect" not in body  # only for testers
    client.force_login(users["tester"])
    assert "File a defect found in testing" in client.get(_home(project)).content.decode()


def test_home_query_count_is_the_same_for_1_item_and_50(client, project, users):
    client.force_login(users["developer"])
    _assigned(project, users)
    _, few = count_queries(lambda: client.get(_home(project)))
    _assigned(project, users, n=49)
    response, many = count_queries(lambda: client.get(_home(project)))
    page = response.content.decode()
    # The twelve most urgent on the home, the rest a click away.
    assert response.status_code == 200 and page.count('class="mywork-item') == 12 and "Show 38 more" in page
    assert few == many
    everything = htmx(client, _home(project, "?tab=work&all=1")).content.decode()
    assert everything.count('class="mywork-item') == 50 and "Show" not in everything.split("mywork-list")[1]


def test_top_bar_counts_my_work_and_refreshes_after_a_change(client, project, users):
    client.force_login(users["developer"])
    roster = reverse("projects:roster", args=[project.pk])
    assert 'class="mywork-link"' in client.get(roster).content.decode()
    assert 'mywork-count' not in client.get(roster).content.decode()  # nothing open: no number
    _assigned(project, users, n=3)  # audited changes: the cached count is stale
    assert '<span class="badge mywork-count">3</span>' in client.get(roster).content.decode()


def test_top_bar_count_costs_no_query_once_cached_and_no_more_with_50_items(client, project, users, monkeypatch):
    client.force_login(users["developer"])
    roster = reverse("projects:roster", args=[project.pk])
    _assigned(project, users)
    _, with_badge = count_queries(lambda: client.get(roster))  # warmed up: the count comes from the cache
    with monkeypatch.context() as m:
        m.setattr(mywork, "open_count", lambda user, project: 0)  # a badge that costs nothing
        _, free_badge = count_queries(lambda: client.get(roster))
    assert with_badge == free_badge
    _assigned(project, users, n=49)
    response, many = count_queries(lambda: client.get(roster))
    assert '<span class="badge mywork-count">50</span>' in response.content.decode() and many == with_badge
