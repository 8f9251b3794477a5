import pytest
from django.urls import reverse

from projects.safety import external_link_ok, local_path
from tests.utils import api_as

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["https://evil.example/x", "//evil.example/x", "/\\evil.example/x", "javascript:x",
                                   " http://x", ""])
def test_local_path_refuses_anything_off_site(value):
    assert local_path(value, default="/safe/") == "/safe/"


def test_local_path_keeps_site_paths():
    assert local_path("/projects/1/?q=a") == "/projects/1/?q=a"


@pytest.mark.parametrize(("value", "ok"), [("https://video.bank.intra/a.mp4", True), ("/static/m.pdf", True),
                                           ("//evil.example", False), ("javascript:alert(1)", False),
                                           ("http://", False), ("https://x/\\y", False)])
def test_external_link_rule(value, ok):
    assert external_link_ok(value) is ok


def test_raci_cell_with_junk_user_is_400(client, project, users):
    client.force_login(users["manager"])
    response = client.get(reverse("projects:raci_cell", args=[project.pk]), {"area": "x", "user": "abc"})
    assert response.status_code == 400


def test_page_size_zero_falls_back_and_links_say_so(project, users):
    from tests.projects.factories import ProjectFactory, member

    for _ in range(30):
        member(ProjectFactory(), "staff", user=users["staff"])
    body = api_as(users["staff"]).get("/api/v1/projects/?page_size=0").json()
    assert len(body["results"]) == 25 and "page_size=25" in body["next"]
