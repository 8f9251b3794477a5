"""Customer complaints in hypercare: recording, the workflow, links to defects, dashboard, report, reminders."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hypercare import selectors, services
from hypercare.models import Complaint, ComplaintStatus
from hypercare.reminders import complaints_waiting
from projects.errors import DomainError
from tests.defects.factories import file_defect
from tests.utils import api_as, count_queries, htmx

pytestmark = pytest.mark.django_db

API = "/api/v1/complaints/"


def _record(project, actor, **kw):
    data = {"channel": "branch", "category": "Transfer failed", "description": "Customer's transfer bounced twice.",
            "customers_affected": 3, **kw}
    return services.complaint_record(actor=actor, project=project, **data)


# ------------------------------------------------------------------ services

def test_workflow_open_investigating_resolved(project, users):
    complaint = _record(project, users["staff"])
    assert complaint.status == ComplaintStatus.OPEN and complaint.owner is None
    services.complaint_transition(actor=users["ops"], complaint=complaint, to="investigating")
    complaint.refresh_from_db()
    assert complaint.status == "investigating" and complaint.owner == users["ops"]
    with pytest.raises(DomainError, match="how the complaint was resolved"):
        services.complaint_transition(actor=users["ops"], complaint=complaint, to="resolved")
    services.complaint_transition(actor=users["ops"], complaint=complaint, to="resolved", comment="Refunded fee.")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.resolution) == ("resolved", "Refunded fee.") and complaint.resolved_at
    services.complaint_transition(actor=users["manager"], complaint=complaint, to="investigating")
    complaint.refresh_from_db()
    assert complaint.resolved_at is None
    assert complaint.history.count() == 4


def test_transitions_refused(project, users):
    complaint = _record(project, users["staff"])
    with pytest.raises(DomainError, match="cannot become"):
        services.complaint_transition(actor=users["ops"], complaint=complaint, to="resolved", comment="x")
    with pytest.raises(DomainError):
        services.complaint_transition(actor=users["ops"], complaint=complaint, to="closed")
    with pytest.raises(DomainError) as exc:
        services.complaint_transition(actor=users["staff"], complaint=complaint, to="investigating")
    assert exc.value.code == "permission"
    complaint.refresh_from_db()
    assert complaint.status == "open"


def test_bad_input_saves_nothing(project, users):
    cases = [({"channel": "fax"}, "channel"), ({"category": " "}, "category"), ({"description": ""}, "description"),
             ({"customers_affected": -1}, "customers_affected"),
             ({"received_at": timezone.now() + timedelta(days=1)}, "received_at")]
    for override, field in cases:
        with pytest.raises(DomainError) as exc:
            _record(project, users["staff"], **override)
        assert exc.value.field == field
    assert not Complaint.objects.exists()


def test_link_to_defect_of_same_project_only(project, other_project, users, outsider):
    from tests.projects.factories import member

    defect = file_defect(project, users["tester"])
    complaint = _record(project, users["staff"], defect=defect)
    assert complaint.defect == defect
    foreign = file_defect(other_project, member(other_project, "tester"))
    with pytest.raises(DomainError, match="another project"):
        services.complaint_update(actor=users["ops"], complaint=complaint, defect=foreign)
    complaint.refresh_from_db()
    assert complaint.defect == defect


# ------------------------------------------------------------------ dashboard, report, reminder

def test_dashboard_and_report_count_complaints(client, project, users):
    now = timezone.now()
    _record(project, users["staff"], received_at=now - timedelta(days=1))
    # Today in local time, whenever the test runs (an hour ago is yesterday just after midnight).
    today_start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    c2 = _record(project, users["staff"], channel="phone", customers_affected=10,
                 received_at=max(today_start, now - timedelta(hours=1)))
    services.complaint_transition(actor=users["ops"], complaint=c2, to="investigating")
    data = selectors.dashboard(user=users["staff"], project=project)
    figures = data["complaints"]
    assert figures["total"] == 2 and figures["unresolved"] == 2 and figures["customers_affected"] == 13
    assert sum(d["count"] for d in figures["trend"]) == 2
    client.force_login(users["staff"])
    page = client.get(reverse("hypercare:dashboard", args=[project.pk])).content.decode()
    assert "Customer complaints per day" in page and "hc-complaint" in page
    tomorrow = timezone.localdate() + timedelta(days=1)
    report = client.get(reverse("hypercare:report", args=[project.pk]), {"date": tomorrow.isoformat()})
    assert f"C-{c2.pk}" in report.content.decode()
    summary = selectors.report_summary(project=project, day=tomorrow)
    assert summary["complaint_unresolved"] == 2
    assert "Customer complaints:" in str(services.report_message(project, summary))


def test_reminder_after_a_day(project, users):
    now = timezone.now()
    fresh = _record(project, users["staff"], received_at=now - timedelta(hours=2))
    old = _record(project, users["staff"], received_at=now - timedelta(hours=30))
    owned = _record(project, users["staff"], received_at=now - timedelta(hours=30), owner=users["ops"])
    reminders = list(complaints_waiting(now=now))
    assert {(r.subject.pk, r.recipient.pk) for r in reminders} == {(old.pk, users["manager"].pk),
                                                                    (owned.pk, users["ops"].pk)}
    assert fresh.pk not in {r.subject.pk for r in reminders}
    services.complaint_transition(actor=users["ops"], complaint=old, to="investigating")
    assert {r.subject.pk for r in complaints_waiting(now=now)} == {owned.pk}


# ------------------------------------------------------------------ API

def test_api_matrix(project, users, outsider):
    complaint = _record(project, users["staff"])
    assert api_as().get(API).status_code == 401
    for role, user in users.items():
        assert api_as(user).get(API, {"project": project.pk}).status_code == 200
        response = api_as(user).post(API, {"project": project.pk, "channel": "app", "category": "Login",
                                           "description": "Cannot log in.", "received_at": timezone.now().isoformat()},
                                     format="json")
        assert response.status_code == 201, (role, response.json())
        response = api_as(user).post(f"{API}{complaint.pk}/transition/", {"to": "investigating"}, format="json")
        expected = 200 if role in ("manager", "ops", "business") else 403
        assert response.status_code == expected, role
        if expected == 200:
            api_as(user).post(f"{API}{complaint.pk}/transition/", {"to": "resolved", "comment": "ok"}, format="json")
            api_as(user).post(f"{API}{complaint.pk}/transition/", {"to": "investigating"}, format="json")
            complaint.refresh_from_db()
            assert complaint.status == "investigating"
            complaint.status = "open"
            complaint.save(update_fields=["status"])
    assert api_as(outsider).get(API, {"project": project.pk}).status_code == 404
    assert api_as(outsider).get(f"{API}{complaint.pk}/").status_code == 404
    assert api_as(outsider).post(API, {"project": project.pk, "channel": "app", "category": "x",
                                       "description": "y"}, format="json").status_code == 404


def test_api_bad_input(project, users):
    client = api_as(users["staff"])
    base = {"project": project.pk, "channel": "app", "category": "Login", "description": "Cannot log in."}
    for override, field in [({"channel": "fax"}, "channel"), ({"customers_affected": -5}, "customers_affected"),
                            ({"customers_affected": 10 ** 12}, "customers_affected"), ({"defect": "x"}, "defect"),
                            ({"category": "x" * 101}, "category"), ({"received_at": "yesterday"}, "received_at")]:
        response = client.post(API, {**base, **override}, format="json")
        assert response.status_code == 400 and field in response.json(), (override, response.json())
    assert not Complaint.objects.exists()
    complaint = _record(project, users["staff"])
    response = api_as(users["ops"]).post(f"{API}{complaint.pk}/transition/", {"to": "resolved", "comment": "x"},
                                         format="json")
    assert response.status_code == 400 and "cannot become" in response.json()["detail"]


def test_api_link_defect_and_patch(project, users):
    defect = file_defect(project, users["tester"])
    complaint = _record(project, users["staff"])
    response = api_as(users["ops"]).patch(f"{API}{complaint.pk}/", {"defect": defect.pk, "owner": users["ops"].pk},
                                          format="json")
    assert response.status_code == 200 and response.json()["defect_key"] == defect.key
    assert api_as(users["staff"]).patch(f"{API}{complaint.pk}/", {"category": "x"}, format="json").status_code == 403


def test_api_list_query_count_constant(project, users):
    client = api_as(users["manager"])
    _record(project, users["staff"])
    _, few = count_queries(lambda: client.get(API, {"project": project.pk}))
    for k in range(49):
        _record(project, users["staff"], owner=users["ops"], defect=file_defect(project, users["tester"]))
    response, many = count_queries(lambda: client.get(API, {"project": project.pk, "page_size": 100}))
    assert response.json()["count"] == 50 and few == many


# ------------------------------------------------------------------ pages

def test_pages_matrix_and_partials(client, project, users, outsider):
    complaint = _record(project, users["staff"])
    list_url = reverse("hypercare:complaints", args=[project.pk])
    detail_url = reverse("hypercare:complaint", args=[project.pk, complaint.pk])
    assert client.get(list_url).status_code == 302
    for role, user in users.items():
        client.force_login(user)
        assert client.get(list_url).status_code == 200 and client.get(detail_url).status_code == 200
        expected = 302 if role in ("manager", "ops", "business") else 403
        response = client.post(detail_url, {"action": "move", "to": "investigating"})
        assert response.status_code in ((expected, 400) if expected == 302 else (403,)), role
    client.force_login(outsider)
    assert client.get(list_url).status_code == 404 and client.get(detail_url).status_code == 404
    client.force_login(users["staff"])
    partial = htmx(client, list_url, data={"status": "investigating"})
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert complaint.key in partial.content.decode()


def test_record_and_resolve_through_pages(client, project, users):
    defect = file_defect(project, users["tester"])
    client.force_login(users["staff"])
    url = reverse("hypercare:complaints", args=[project.pk])
    response = client.post(url, {"channel": "phone", "category": "Card blocked", "description": "Card blocked at ATM",
                                 "customers_affected": "1", "defect_number": str(defect.number)})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and complaint.defect == defect
    response = client.post(url, {"channel": "phone", "category": "x", "description": "y", "defect_number": "9999"})
    assert response.status_code == 400 and Complaint.objects.count() == 1
    client.force_login(users["ops"])
    detail = reverse("hypercare:complaint", args=[project.pk, complaint.pk])
    client.post(detail, {"action": "move", "to": "investigating"})
    response = client.post(detail, {"action": "move", "to": "resolved"}, headers={"HX-Request": "true"})
    assert response.status_code == 400 and "how the complaint was resolved" in response.content.decode()
    response = client.post(detail, {"action": "move", "to": "resolved", "comment": "Unblocked the card."},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Unblocked the card." in response.content.decode()
    assert "<html" not in response.content.decode()


def test_list_page_query_count_constant(client, project, users):
    client.force_login(users["manager"])
    url = reverse("hypercare:complaints", args=[project.pk])
    _record(project, users["staff"])
    _, few = count_queries(lambda: client.get(url))
    for _k in range(49):
        _record(project, users["staff"], owner=users["ops"], defect=file_defect(project, users["tester"]))
    _, many = count_queries(lambda: client.get(url))
    assert few == many
