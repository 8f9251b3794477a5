"""Issue 17, a defect flow that moves: the project decides who triages; attachments on the filing form
(all or nothing); incident fields only where they apply; the testing area is not branch staff's (they may
still report a hypercare incident)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from defects import services
from defects.models import Defect, DefectAttachment, DefectSettings, DefectTransition, Status, TriageBy
from projects.errors import DomainError
from tests.defects.factories import PNG, REPORT, defect_in, file_defect, managers_triage
from tests.projects.factories import member
from tests.utils import api_as, htmx

pytestmark = pytest.mark.django_db

ROLES = ["manager", "developer", "tester", "business", "ops", "trainer", "staff"]


# ------------------------------------------------------------------ who triages: the project decides

def test_default_lets_testers_triage_and_the_setting_takes_it_back(project, users):
    assert not DefectSettings.objects.exists()
    d = file_defect(project, users["tester"])
    assert users["tester"].has_perm("defects.triage", project)
    d = services.defect_transition(actor=users["tester"], defect=d, to=Status.OPEN)
    assert d.status == Status.OPEN and d.triaged_at is not None

    services.defect_settings_set(actor=users["manager"], project=project, triage_by=TriageBy.MANAGERS)
    tester = type(users["tester"]).objects.get(pk=users["tester"].pk)  # a new request: nothing cached
    fresh = type(project).objects.get(pk=project.pk)
    assert not tester.has_perm("defects.triage", fresh)
    e = file_defect(fresh, tester)
    with pytest.raises(DomainError) as exc:
        services.defect_transition(actor=tester, defect=e, to=Status.OPEN)
    assert exc.value.code == "permission" and "project manager" in str(exc.value.message)
    e.refresh_from_db()
    assert e.status == Status.NEW and not DefectTransition.objects.filter(defect=e, to_status="open").exists()
    # Rejecting is a tester's right either way; developers never triage.
    assert services.allowed_next_for(e, tester) == [Status.REJECTED]
    assert not users["developer"].has_perm("defects.triage", fresh)


def test_only_managers_change_the_setting_and_bad_values_are_refused(project, users):
    with pytest.raises(DomainError) as exc:
        services.defect_settings_set(actor=users["tester"], project=project, triage_by=TriageBy.MANAGERS)
    assert exc.value.code == "permission"
    with pytest.raises(DomainError) as exc:
        services.defect_settings_set(actor=users["manager"], project=project, triage_by="everyone")
    assert exc.value.field == "triage_by"
    assert not DefectSettings.objects.exists()


def test_the_setting_keeps_history(project, users):
    row = services.defect_settings_set(actor=users["manager"], project=project, triage_by=TriageBy.MANAGERS)
    services.defect_settings_set(actor=users["manager"], project=project, triage_by=TriageBy.MANAGERS)  # no change
    services.defect_settings_set(actor=users["manager"], project=project, triage_by=TriageBy.MANAGERS_TESTERS)
    records = list(row.history.order_by("history_date").values_list("triage_by", "history_user"))
    assert records == [("managers", users["manager"].pk), ("managers_testers", users["manager"].pk)]


def test_api_transition_follows_the_setting(project, users):
    d = file_defect(project, users["tester"])
    response = api_as(users["tester"]).post(f"/api/v1/defects/{d.pk}/transition/", {"to": "open"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "open"
    managers_triage(project)
    e = file_defect(project, users["tester"])
    response = api_as(users["tester"]).post(f"/api/v1/defects/{e.pk}/transition/", {"to": "open"}, format="json")
    assert response.status_code == 403 and "project manager" in str(response.data)
    e.refresh_from_db()
    assert e.status == "new"


@pytest.mark.parametrize("role", ROLES)
def test_settings_page_permission_matrix(client, project, users, role):
    url = reverse("defects:sla", args=[project.pk])
    client.force_login(users[role])
    response = client.get(url)
    assert response.status_code == (200 if role == "manager" else 403)
    response = client.post(url, {"form": "triage", "triage_by": "managers"})
    assert response.status_code == (302 if role == "manager" else 403)
    assert DefectSettings.objects.filter(triage_by="managers").exists() is (role == "manager")


def test_settings_page_anonymous_and_other_project(client, project, outsider):
    url = reverse("defects:sla", args=[project.pk])
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"form": "triage", "triage_by": "managers"}).status_code == 404
    assert not DefectSettings.objects.exists()


def test_settings_page_shows_the_choice_and_its_history_and_refuses_bad_input(client, project, users):
    client.force_login(users["manager"])
    url = reverse("defects:sla", args=[project.pk])
    page = client.get(url).content.decode()
    assert 'name="triage_by" value="managers_testers"' in page and "checked" in page.split('value="managers_testers"')[1][:40]
    bad = client.post(url, {"form": "triage", "triage_by": "everyone"})
    assert bad.status_code == 400 and not DefectSettings.objects.exists()
    assert client.post(url, {"form": "triage", "triage_by": "managers"}).status_code == 302
    page = client.get(url).content.decode()
    assert "Project managers only" in page and "Who may triage new defects" in page
    assert "checked" in page.split('value="managers"')[1][:40]
    # The SLA form on the same page still works and leaves the triage setting alone.
    assert client.post(url, {"severity": "major", "triage_hours": 8, "fix_hours": 48}).status_code == 302
    assert DefectSettings.objects.get().triage_by == "managers"


def test_detail_page_tells_who_triages(client, project, users):
    d = defect_in(project, Status.NEW, reporter=users["tester"])
    client.force_login(users["developer"])
    page = client.get(reverse("defects:detail", args=[project.pk, d.pk])).content.decode()
    assert "a tester or a project manager triages it" in page
    managers_triage(project)
    page = client.get(reverse("defects:detail", args=[project.pk, d.pk])).content.decode()
    assert "Next: a project manager triages it" in page


# ------------------------------------------------------------------ attachments when filing

def _png(name="shot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def test_file_with_attachments_in_one_post(client, project, users):
    client.force_login(users["tester"])
    url = reverse("defects:file", args=[project.pk])
    log = SimpleUploadedFile("teller.log", "2026-12-01 ERR 余额不符\n".encode(), content_type="text/plain")
    response = client.post(url, {**REPORT, "priority": "medium", "found_in": "testing",
                                 "attachments": [_png(), log]})
    d = Defect.objects.get()
    assert response.status_code == 302
    names = sorted(DefectAttachment.objects.filter(defect=d).values_list("original_name", "content_type"))
    assert names == [("shot.png", "image/png"), ("teller.log", "text/plain")]
    assert set(DefectAttachment.objects.values_list("uploaded_by", flat=True)) == {users["tester"].pk}


def test_a_bad_file_files_nothing(client, project, users, settings):
    client.force_login(users["tester"])
    url = reverse("defects:file", args=[project.pk])
    fake = SimpleUploadedFile("invoice.pdf", b"<html>not a pdf</html>")
    response = client.post(url, {**REPORT, "priority": "medium", "found_in": "testing", "title": "Keep me",
                                 "attachments": [_png(), fake]})
    body = response.content.decode()
    assert response.status_code == 400 and "invoice.pdf" in body and 'value="Keep me"' in body
    assert not Defect.objects.exists() and not DefectAttachment.objects.exists()
    assert not list((settings.MEDIA_ROOT / "defects").glob("**/*")) if (settings.MEDIA_ROOT / "defects").exists() \
        else True
    settings.UPLOAD_MAX_BYTES = 20
    big = client.post(url, {**REPORT, "priority": "medium", "found_in": "testing",
                            "attachments": [SimpleUploadedFile("big.log", b"x" * 21)]})
    assert big.status_code == 400 and "big.log" in big.content.decode() and not Defect.objects.exists()


def test_service_refuses_too_many_files_before_saving(project, users):
    with pytest.raises(DomainError) as exc:
        file_defect(project, users["tester"], attachments=[_png(f"{i}.png") for i in range(11)])
    assert exc.value.field == "attachments" and not Defect.objects.exists()


def test_api_files_with_attachments_and_refuses_a_bad_one(project, users):
    client = api_as(users["tester"])
    body = {"project": project.pk, **REPORT, "attachments": [_png()]}
    response = client.post("/api/v1/defects/", body, format="multipart")
    assert response.status_code == 201, response.data
    assert DefectAttachment.objects.filter(defect_id=response.data["id"]).count() == 1
    assert "attachments" not in response.data  # write-only
    bad = client.post("/api/v1/defects/", {"project": project.pk, **REPORT, "title": "second",
                                           "attachments": [SimpleUploadedFile("x.png", b"<script>")]},
                      format="multipart")
    assert bad.status_code == 400 and "attachments" in bad.data
    assert Defect.objects.count() == 1 and DefectAttachment.objects.count() == 1


# ------------------------------------------------------------------ fields shown where they apply

def test_incident_fields_sit_in_a_hypercare_only_fieldset(client, project, users):
    client.force_login(users["tester"])
    page = client.get(reverse("defects:file", args=[project.pk])).content.decode()
    fieldset = page.split('data-show-when="found_in=hypercare"', 1)[1].split("</fieldset>", 1)[0]
    assert 'name="customers_affected"' in fieldset and 'name="incident_started_at"' in fieldset
    before = page.split('data-show-when="found_in=hypercare"', 1)[0]
    assert 'name="customers_affected"' not in before and 'name="steps"' in before
    assert 'data-show-when="category=security"' in page and 'enctype="multipart/form-data"' in page


def test_testing_defect_stores_no_incident_fields_and_its_page_shows_none(client, project, users):
    client.force_login(users["tester"])
    client.post(reverse("defects:file", args=[project.pk]),
                {**REPORT, "priority": "medium", "found_in": "testing", "customers_affected": 12})
    d = Defect.objects.get()
    assert d.customers_affected is None
    page = client.get(reverse("defects:detail", args=[project.pk, d.pk])).content.decode()
    assert "Incident impact" not in page and "Customers affected" not in page
    response = client.post(reverse("defects:edit", args=[project.pk, d.pk]),
                           {**REPORT, "priority": "medium", "found_in": "testing", "customers_affected": 5})
    d.refresh_from_db()
    assert response.status_code == 302 and d.customers_affected is None


def test_hypercare_defect_keeps_its_impact(client, project, users):
    client.force_login(users["tester"])
    client.post(reverse("defects:file", args=[project.pk]),
                {**REPORT, "priority": "medium", "found_in": "hypercare", "customers_affected": 12})
    d = Defect.objects.get()
    assert d.customers_affected == 12
    assert "Incident impact" in client.get(reverse("defects:detail", args=[project.pk, d.pk])).content.decode()


# ------------------------------------------------------------------ people by name

def test_attachments_and_refusals_name_people_not_logins(client, project, users):
    users["developer"].first_name, users["developer"].last_name = "伟", "张"
    users["developer"].save()
    d = defect_in(project, Status.OPEN, reporter=users["tester"], assignee=users["developer"])
    other = member(project, "developer")
    with pytest.raises(DomainError) as exc:
        services.defect_transition(actor=other, defect=d, to=Status.IN_PROGRESS)
    assert "张伟" in str(exc.value.message) and users["developer"].username not in str(exc.value.message)
    users["tester"].first_name, users["tester"].last_name = "洋", "刘"
    users["tester"].save()
    services.attachment_add(actor=users["tester"], defect=d, upload=_png())
    client.force_login(users["manager"])
    page = client.get(reverse("defects:detail", args=[project.pk, d.pk])).content.decode()
    attachments = page.split('id="attachments"', 1)[1].split("</section>", 1)[0]
    assert "刘洋" in attachments and users["tester"].username not in attachments


# ------------------------------------------------------------------ confirmations

def test_backward_moves_among_forward_ones_are_confirmed(client, project, users):
    d = defect_in(project, Status.FIXED, reporter=users["tester"], assignee=users["developer"])
    client.force_login(users["tester"])
    page = client.get(reverse("defects:detail", args=[project.pk, d.pk])).content.decode()
    form = page.split('action="' + reverse("defects:transition", args=[project.pk, d.pk]), 1)[1].split(">", 1)[0]
    assert 'data-confirm-field="to"' in form and 'data-confirm-values="rejected reopened"' in form
    assert "data-confirm=" in form


# ------------------------------------------------------------------ the testing area is not branch staff's

TESTING_PAGES = ["defects:list", "defects:board", "defects:metrics", "defects:cycles", "defects:cases",
                 "defects:traceability", "defects:performance"]


@pytest.mark.parametrize("name", TESTING_PAGES)
def test_staff_only_members_get_403_on_testing_pages(client, project, users, name):
    url = reverse(name, args=[project.pk])
    client.force_login(users["staff"])
    assert client.get(url).status_code == 403
    client.force_login(users["business"])
    assert client.get(url).status_code == 200
    client.force_login(users["trainer"])
    assert client.get(url).status_code == 200
    assert client.get(reverse("defects:file", args=[project.pk])).status_code == 200


def test_staff_may_still_open_the_filing_page_for_a_hypercare_incident(client, project, users):
    client.force_login(users["staff"])
    page = client.get(reverse("defects:file", args=[project.pk])).content.decode()
    assert 'value="hypercare"' in page and 'value="testing"' not in page


def test_staff_cannot_open_a_defect_and_the_api_shows_none(client, project, users):
    d = file_defect(project, users["tester"], found_in="hypercare")
    client.force_login(users["staff"])
    assert client.get(reverse("defects:detail", args=[project.pk, d.pk])).status_code == 403
    # They may still report a hypercare incident, and are sent home rather than to a page they cannot open.
    response = client.post(reverse("defects:file", args=[project.pk]),
                           {**REPORT, "priority": "medium", "found_in": "hypercare"})
    assert response.status_code == 302 and response["Location"] == reverse("projects:home", args=[project.pk])
    assert Defect.objects.count() == 2
    api = api_as(users["staff"])
    assert api.get(f"/api/v1/defects/?project={project.pk}").data["count"] == 0
    assert api.get(f"/api/v1/defects/{d.pk}/").status_code == 404
    # A defect found in testing is the testers' to file.
    assert api.post("/api/v1/defects/", {"project": project.pk, **REPORT, "found_in": "testing"},
                    format="json").status_code == 403


def test_staff_who_also_hold_a_team_role_keep_the_testing_area(client, project, users):
    from projects.models import Membership

    Membership.objects.create(project=project, user=users["staff"], role="business")
    client.force_login(users["staff"])
    assert client.get(reverse("defects:list", args=[project.pk])).status_code == 200


def test_navigation_and_buttons_hide_the_testing_area_from_staff(client, project, users):
    client.force_login(users["staff"])
    listing = reverse("defects:list", args=[project.pk])
    testing, incidents = f'href="{listing}"', f'href="{listing}?found_in=hypercare"'

    home = client.get(reverse("projects:home", args=[project.pk])).content.decode()
    assert testing not in home
    hypercare = client.get(reverse("hypercare:dashboard", args=[project.pk])).content.decode()
    assert incidents not in hypercare  # the "Incidents" tab
    assert reverse("defects:file", args=[project.pk]) in hypercare  # "Report an incident" stays
    client.force_login(users["tester"])
    home = client.get(reverse("projects:home", args=[project.pk])).content.decode()
    assert testing in home
    hypercare = client.get(reverse("hypercare:dashboard", args=[project.pk])).content.decode()
    assert incidents in hypercare


def test_settings_page_htmx_request_gets_the_page(client, project, users):
    client.force_login(users["manager"])
    response = htmx(client, reverse("defects:sla", args=[project.pk]))
    assert response.status_code == 200 and "triage_by" in response.content.decode()
