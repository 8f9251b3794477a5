"""Hypercare pages and feedback pages: permissions, htmx partials, bad input, query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from defects.models import Defect
from hypercare import services as fs
from hypercare.models import Feedback, HypercareReportSubscription
from tests.defects.factories import PNG, file_defect, upload
from tests.projects.factories import member
from tests.utils import count_queries, htmx

pytestmark = pytest.mark.django_db

ROLES = ["manager", "developer", "tester", "business", "ops", "trainer", "staff"]


def feedback(project, user, text="Slow search", category="usability"):
    return fs.feedback_submit(actor=user, project=project, category=category, text=text)


def pages(project):
    pk = project.pk
    return [reverse("hypercare:dashboard", args=[pk]), reverse("hypercare:report", args=[pk]),
            reverse("hypercare:feedback_list", args=[pk]), reverse("hypercare:feedback_new", args=[pk])]


def test_pages_permission_matrix(client, project, users, outsider):
    for url in pages(project):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        for role in ROLES:
            client.force_login(users[role])
            assert client.get(url).status_code == 200, (url, role)
        client.force_login(outsider)
        assert client.get(url).status_code == 404, url
        client.logout()


def test_dashboard_full_page_and_htmx_partial(client, project, users):
    file_defect(project, users["tester"], found_in="hypercare", severity="critical", title="Batch stopped")
    client.force_login(users["manager"])
    url = reverse("hypercare:dashboard", args=[project.pk])
    page = client.get(url).content.decode()
    assert "<html" in page and "hc-figures" in page and "<svg" in page and "Open critical" in page
    partial = htmx(client, url).content.decode()
    assert "<html" not in partial and 'id="hc-figures"' in partial


def _rows(project, users, n):
    for i in range(n):
        d = file_defect(project, users["tester"], found_in="hypercare", title=f"Incident {i}")
        Defect.objects.filter(pk=d.pk).update(created_at=timezone.now() - timedelta(days=i % 10))
        feedback(project, users["staff"], text=f"Feedback {i}", category=["bug", "feature"][i % 2])


def test_dashboard_and_report_query_counts_do_not_grow(client, project, users, other_project):
    client.force_login(users["manager"])
    urls = [reverse("hypercare:dashboard", args=[project.pk]), reverse("hypercare:report", args=[project.pk]),
            reverse("hypercare:feedback_list", args=[project.pk])]
    _rows(project, users, 1)
    counts = [count_queries(lambda u=u: client.get(u))[1] for u in urls]
    _rows(project, users, 49)
    assert [count_queries(lambda u=u: client.get(u))[1] for u in urls] == counts


def test_report_bad_date_is_400_with_a_message(client, project, users):
    client.force_login(users["staff"])
    url = reverse("hypercare:report", args=[project.pk])
    response = client.get(url, {"date": "2026-13-45"})
    assert response.status_code == 400 and "is not a date" in response.content.decode()
    day = timezone.localdate()
    response = client.get(url, {"date": day.isoformat()})
    assert response.status_code == 200 and "Daily hypercare report" in response.content.decode()


def test_report_lists_incidents_and_feedback(client, project, users):
    d = file_defect(project, users["tester"], found_in="hypercare", title="Batch stopped at GL-07")
    f = feedback(project, users["staff"], text="Passbook stops after 20 lines")
    yesterday = timezone.now() - timedelta(days=1)
    Defect.objects.filter(pk=d.pk).update(created_at=yesterday)
    Feedback.objects.filter(pk=f.pk).update(created_at=yesterday)
    client.force_login(users["manager"])
    page = client.get(reverse("hypercare:report", args=[project.pk])).content.decode()
    assert "Batch stopped at GL-07" in page and "Passbook stops after 20 lines" in page


def test_subscribe_from_the_dashboard(client, project, users):
    client.force_login(users["staff"])
    url = reverse("hypercare:subscribe", args=[project.pk])
    assert client.post(url, {"subscribe": "1"}).status_code == 302
    assert HypercareReportSubscription.objects.filter(user=users["staff"], project=project).exists()
    assert "Stop the daily report" in client.get(reverse("hypercare:dashboard", args=[project.pk])).content.decode()
    client.post(url, {"subscribe": "0"})
    assert not HypercareReportSubscription.objects.exists()
    assert client.get(url).status_code == 405


def test_submit_feedback_from_a_page(client, project, users):
    client.force_login(users["staff"])
    url = reverse("hypercare:feedback_new", args=[project.pk])
    back = f"/projects/{project.pk}/training/"
    assert back in client.get(url, {"next": back}).content.decode()
    response = client.post(url, {"category": "bug", "text": "Printer prints 0100", "page_url": back,
                                 "screenshot": upload("s.png", PNG)})
    f = Feedback.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/feedback/{f.pk}/")
    assert f.page_url == back and f.screenshot_type == "image/png"
    shot = client.get(reverse("hypercare:feedback_screenshot", args=[project.pk, f.pk]))
    assert shot.status_code == 200 and shot["X-Content-Type-Options"] == "nosniff"


def test_submit_feedback_bad_input(client, project, users):
    client.force_login(users["staff"])
    url = reverse("hypercare:feedback_new", args=[project.pk])
    response = client.post(url, {"category": "bug", "text": "  "})
    assert response.status_code == 400
    response = client.post(url, {"category": "bug", "text": "x", "screenshot": upload("s.png", b"not an image")})
    assert response.status_code == 400 and "content is not image/png" in response.content.decode()
    assert client.post(url, {"category": "nonsense", "text": "x"}).status_code == 400
    assert not Feedback.objects.exists()


def test_staff_see_only_their_own_feedback(client, project, users):
    mine = feedback(project, users["staff"], text="Mine")
    colleague = member(project, "staff")
    theirs = feedback(project, colleague, text="Theirs")
    client.force_login(users["staff"])
    page = client.get(reverse("hypercare:feedback_list", args=[project.pk])).content.decode()
    assert "Mine" in page and "Theirs" not in page and "My feedback" in page
    assert client.get(reverse("hypercare:feedback_detail", args=[project.pk, mine.pk])).status_code == 200
    assert client.get(reverse("hypercare:feedback_detail", args=[project.pk, theirs.pk])).status_code == 404
    assert client.get(reverse("hypercare:feedback_screenshot", args=[project.pk, theirs.pk])).status_code == 404
    client.force_login(users["manager"])
    page = client.get(reverse("hypercare:feedback_list", args=[project.pk])).content.decode()
    assert "Mine" in page and "Theirs" in page
    partial = htmx(client, reverse("hypercare:feedback_list", args=[project.pk]), data={"status": "new"}).content.decode()
    assert "<html" not in partial and 'id="feedback-table"' in partial


def test_manager_triages_from_the_page_and_submitter_sees_the_answer(client, project, users):
    f = feedback(project, users["staff"], category="training", text="How do I reverse a deposit?")
    triage = reverse("hypercare:feedback_triage", args=[project.pk, f.pk])
    client.force_login(users["staff"])
    assert client.post(triage, {"outcome": "closed", "answer": "x"}).status_code == 403
    client.force_login(users["manager"])
    detail = client.get(reverse("hypercare:feedback_detail", args=[project.pk, f.pk])).content.decode()
    assert "Triage" in detail and 'name="outcome"' in detail
    bad = client.post(triage, {"outcome": "training", "answer": ""})
    assert bad.status_code == 400 and "Write the answer" in bad.content.decode()
    assert client.post(triage, {"outcome": "training", "answer": "Refresher on Friday"}).status_code == 302
    client.force_login(users["staff"])
    page = client.get(reverse("hypercare:feedback_detail", args=[project.pk, f.pk])).content.decode()
    assert "Refresher on Friday" in page and "Training need" in page and 'name="outcome"' not in page


def test_triage_into_defect_and_requirement_from_the_page(client, project, users):
    a = feedback(project, users["staff"], category="bug", text="Receipt shows old code")
    b = feedback(project, users["business"], category="feature", text="Dormant accounts report")
    client.force_login(users["manager"])
    client.post(reverse("hypercare:feedback_triage", args=[project.pk, a.pk]), {"outcome": "defect",
                                                                              "severity": "major"})
    a.refresh_from_db()
    assert a.defect.found_in == "hypercare" and a.defect.severity == "major"
    client.post(reverse("hypercare:feedback_triage", args=[project.pk, b.pk]),
                {"outcome": "requirement", "note": "Monthly dormant report"})
    page = client.get(reverse("hypercare:feedback_detail", args=[project.pk, b.pk])).content.decode()
    assert "Monthly dormant report" in page
    answer = reverse("hypercare:feedback_answer", args=[project.pk, b.pk])
    assert client.post(answer, {"answer": ""}).status_code == 400
    assert client.post(answer, {"answer": "Planned for release 2", "close": "on"}).status_code == 302
    b.refresh_from_db()
    assert b.status == "closed" and b.answer == "Planned for release 2"


def test_report_an_incident_prefills_hypercare(client, project, users):
    client.force_login(users["staff"])
    page = client.get(reverse("defects:file", args=[project.pk]), {"found_in": "hypercare"}).content.decode()
    assert 'value="hypercare" selected' in page
