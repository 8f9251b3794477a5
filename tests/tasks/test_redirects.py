import pytest
from django.urls import reverse

from tasks import services

pytestmark = pytest.mark.django_db


def test_work_item_status_never_redirects_off_site(client, project, users):
    item = services.workitem_create(actor=users["manager"], project=project, title="Backup power test")
    client.force_login(users["manager"])
    url = reverse("tasks:workitem_status", args=[project.pk, item.pk])
    response = client.post(url, {"status": "doing", "next": "https://evil.example/phish"})
    assert response.status_code == 302 and response["Location"] == reverse("tasks:workitems", args=[project.pk])
    response = client.post(url, {"status": "done", "next": f"/projects/{project.pk}/cutover/"})
    assert response["Location"] == f"/projects/{project.pk}/cutover/"
