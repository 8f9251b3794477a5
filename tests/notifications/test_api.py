import pytest

from notifications.models import Notification
from tests.notifications.factories import many, notification
from tests.projects.factories import ProjectFactory, member
from tests.utils import api_as, count_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/"


def test_anonymous_gets_401():
    assert api_as(None).get(URL).status_code == 401
    assert api_as(None).post(f"{URL}1/read/").status_code == 401


def test_list_is_only_the_callers_own_unread_first(project, users):
    me = users["tester"]
    read = notification(me, project=project, message="read one")
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    unread = notification(me, project=project, message="unread one")
    notification(users["developer"], project=project)
    response = api_as(me).get(URL)
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2 and set(data) >= {"count", "next", "previous", "results"}
    first = data["results"][0]
    assert first["id"] == unread.pk and first["unread"] is True and first["project"] == project.pk
    assert set(first) >= {"id", "project", "kind", "message", "url", "due_at", "created_at", "read_at"}


def test_filters_unread_kind_and_project(project, other_project, users):
    me = users["ops"]
    member(other_project, "staff", user=me)
    notification(me, project=project, kind="a")
    b = notification(me, project=other_project, kind="b")
    Notification.objects.filter(pk=b.pk).update(read_at=b.created_at)
    client = api_as(me)
    assert client.get(URL, {"unread": "true"}).json()["count"] == 1
    assert client.get(URL, {"kind": "b"}).json()["results"][0]["id"] == b.pk
    assert client.get(URL, {"project": other_project.pk}).json()["count"] == 1


def test_project_filter_for_a_project_i_am_not_in_is_404(users):
    assert api_as(users["staff"]).get(URL, {"project": ProjectFactory().pk}).status_code == 404


def test_read_marks_my_notification(users):
    n = notification(users["staff"])
    response = api_as(users["staff"]).post(f"{URL}{n.pk}/read/")
    assert response.status_code == 200 and response.json()["unread"] is False
    n.refresh_from_db()
    assert n.read_at is not None


def test_someone_elses_notification_is_404(users):
    theirs = notification(users["developer"])
    client = api_as(users["staff"])
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    response = client.post(f"{URL}{theirs.pk}/read/")
    assert response.status_code == 404 and response.json()["detail"]
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_and_bad_project(project, users):
    me = users["staff"]
    many(me, 3, project=project)
    client = api_as(me)
    response = client.post(f"{URL}read-all/", {"project": "abc"}, format="json")
    assert response.status_code == 400 and "project" in response.json()
    assert Notification.objects.filter(read_at__isnull=True).count() == 3
    assert client.post(f"{URL}read-all/", {"project": ProjectFactory().pk}, format="json").status_code == 404
    assert client.post(f"{URL}read-all/", {}, format="json").json() == {"marked": 3}


def test_notifications_cannot_be_created_or_deleted_through_the_api(users):
    n = notification(users["staff"])
    client = api_as(users["staff"])
    assert client.post(URL, {"message": "x"}, format="json").status_code == 405
    assert client.delete(f"{URL}{n.pk}/").status_code == 405


def test_list_query_count_is_the_same_for_1_and_50(project, users):
    me = users["staff"]
    notification(me, project=project)
    client = api_as(me)
    _, few = count_queries(lambda: client.get(URL))
    for i in range(49):
        notification(me, project=ProjectFactory() if i % 2 else project)
    response, lots = count_queries(lambda: client.get(URL, {"page_size": 100}))
    assert response.status_code == 200 and response.json()["count"] == 50 and few == lots
