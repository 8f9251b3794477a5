"""Environment, hardware, network and emergency-supply checklists (issue 21): items with owner, due date,
status and evidence; the standard template; the criterion `environment_ready`, the dashboard gauges, the
reminders, "my work"; the page (full and htmx), the API with its permission matrix, bad input (too big,
wrong type), the evidence download for members only, and query counts that do not grow with the rows."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from notifications.models import Notification
from notifications.services import sweep
from projects import hooks
from projects.errors import DomainError
from readiness import registry as readiness
from tasks import services
from tasks.models import EnvCheck, EnvEvidence
from tasks.readiness_criteria import env_check_gauges, env_checks_overdue, environment_ready
from tests.utils import api_as, count_queries, htmx

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n"


def png(name="ups.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def check(project, actor, title="UPS on battery 30 min", category="emergency", **kw):
    return services.envcheck_create(actor=actor, project=project, category=category, title=title, **kw)


def ready(item, actor):
    services.envcheck_add_evidence(actor=actor, item=item, upload=png())
    return services.envcheck_transition(actor=actor, item=item, to="ready")


# ---------------------------------------------------------------- services

def test_create_update_and_bad_input(project, users, outsider):
    item = check(project, users["ops"], location="DC-1", owner=users["developer"])
    assert (item.status, item.mandatory, item.owner, item.location) == ("open", True, users["developer"], "DC-1")
    for bad in ({"category": "kitchen"}, {"title": " "}, {"title": "x" * 201}, {"owner": outsider},
                {"location": "y" * 121}, {"title": "UPS on battery 30 min", "location": "DC-1"}):
        with pytest.raises(DomainError):
            check(project, users["ops"], **({"title": "Other"} | bad))
    with pytest.raises(PermissionDenied):
        check(project, users["tester"], title="Firewall")
    assert EnvCheck.objects.count() == 1
    services.envcheck_update(actor=users["ops"], item=item, title="UPS A on battery 30 min", mandatory=False)
    item.refresh_from_db()
    assert (item.title, item.mandatory) == ("UPS A on battery 30 min", False)
    with pytest.raises(DomainError):
        services.envcheck_update(actor=users["ops"], item=item, status="ready")  # not through an edit
    with pytest.raises(PermissionDenied):
        services.envcheck_update(actor=users["developer"], item=item, title="Mine")  # owners check, not edit


def test_transitions_need_evidence_and_reasons(project, users):
    owner = users["developer"]
    item = check(project, users["ops"], owner=owner)
    with pytest.raises(DomainError, match="evidence"):
        services.envcheck_transition(actor=owner, item=item, to="ready")
    with pytest.raises(DomainError) as exc:
        services.envcheck_transition(actor=owner, item=item, to="failed")
    assert exc.value.field == "reason"
    with pytest.raises(DomainError):
        services.envcheck_transition(actor=owner, item=item, to="done")
    with pytest.raises(PermissionDenied):  # a tester who neither owns it nor runs ops
        services.envcheck_transition(actor=users["tester"], item=item, to="blocked", reason="x")
    item.refresh_from_db()
    assert (item.status, item.checked_by) == ("open", None)
    with freeze_time("2026-11-20 10:00:00"):
        services.envcheck_transition(actor=owner, item=item, to="failed", reason="Battery drops after 12 min")
    item.refresh_from_db()
    assert (item.status, item.reason, item.checked_by) == ("failed", "Battery drops after 12 min", owner)
    assert item.checked_at.isoformat().startswith("2026-11-20T10:00")
    ready(item, owner)
    item.refresh_from_db()
    assert (item.status, item.reason, item.checked_by) == ("ready", "", owner)
    with pytest.raises(DomainError, match="already"):
        services.envcheck_transition(actor=owner, item=item, to="ready")
    services.envcheck_transition(actor=users["ops"], item=item, to="open")
    item.refresh_from_db()
    assert (item.status, item.checked_by, item.checked_at) == ("open", None, None)
    optional = check(project, users["ops"], title="Spare toner", mandatory=False)
    services.envcheck_transition(actor=users["ops"], item=optional, to="ready")  # optional: no evidence needed
    assert list(item.history.order_by("history_id").values_list("status", flat=True)) == [
        "open", "failed", "ready", "open"]


def test_evidence_files_links_and_bad_uploads(project, users, settings):
    item = check(project, users["ops"])
    ops = users["ops"]
    e = services.envcheck_add_evidence(actor=ops, item=item, upload=png("截图.png"), note="UPS panel")
    assert (e.content_type, e.original_name, e.size, e.uploaded_by) == ("image/png", "截图.png", len(PNG), ops)
    conf = services.envcheck_add_evidence(actor=ops, item=item, upload=SimpleUploadedFile(
        "fw.conf", b"allow tcp 10.0.0.0/8 -> 10.1.1.1:443\n"))
    assert conf.content_type == "text/plain"
    services.envcheck_add_evidence(actor=ops, item=item, upload=SimpleUploadedFile("report.pdf", PDF))
    link = services.envcheck_add_evidence(actor=ops, item=item, url="https://monitor.example/d/ups")
    assert (link.file.name, link.url) == ("", "https://monitor.example/d/ups")
    settings.UPLOAD_MAX_BYTES = 100
    bad = [({"upload": SimpleUploadedFile("big.png", PNG * 3)}, "file", "at most"),
           ({"upload": SimpleUploadedFile("evil.exe", b"MZ\x90\x00\x03" + b"\x00" * 20)}, "file", "not an allowed"),
           ({"upload": SimpleUploadedFile("fake.png", b"just text")}, "file", "not image/png"),
           ({"upload": SimpleUploadedFile("empty.txt", b"")}, "file", "empty"),
           ({"url": "javascript:alert(1)"}, "url", "https"),
           ({}, "file", "Choose a file")]
    for kwargs, field, words in bad:
        with pytest.raises(DomainError, match=words) as exc:
            services.envcheck_add_evidence(actor=ops, item=item, **kwargs)
        assert exc.value.field == field
    with pytest.raises(PermissionDenied):
        services.envcheck_add_evidence(actor=users["tester"], item=item, upload=png())
    assert EnvEvidence.objects.count() == 4
    with pytest.raises(DomainError, match="evidence attached"):  # evidence is kept for the record
        services.envcheck_delete(actor=ops, item=item)


def test_standard_template_is_idempotent(project, users, outsider):
    created = services.envcheck_apply_template(actor=users["manager"], project=project, owner=users["ops"])
    assert len(created) >= 15 and {c.category for c in created} >= {"environment", "hardware", "network",
                                                                        "emergency", "security"}
    assert all(c.owner == users["ops"] and c.status == "open" for c in created)
    assert services.envcheck_apply_template(actor=users["manager"], project=project) == []
    with pytest.raises(DomainError):
        services.envcheck_apply_template(actor=users["manager"], project=project, categories=["kitchen"])
    with pytest.raises(PermissionDenied):
        services.envcheck_apply_template(actor=users["tester"], project=project)
    branch = services.envcheck_apply_template(actor=users["ops"], project=project, categories=["emergency"],
                                              location="Pudong branch")  # per-branch readiness
    assert len(branch) == 3 and {(c.category, c.location) for c in branch} == {("emergency", "Pudong branch")}
    with pytest.raises(DomainError):
        services.envcheck_apply_template(actor=users["ops"], project=project, location="x" * 121)


# ---------------------------------------------------------------- criterion, dashboard, reminders, my work

def test_environment_ready_criterion(project, users):
    result = environment_ready(project, 0)
    assert not result.passed and result.value == 0  # no checklist yet is not "ready"
    a = check(project, users["ops"], title="UPS")
    b = check(project, users["ops"], title="Firewall", category="network")
    optional = check(project, users["ops"], title="Spare toner", mandatory=False)
    # The value and its display in the target's unit: mandatory items not ready with evidence (at most 0).
    assert (environment_ready(project, 0).value, environment_ready(project, 0).display) == (2, "2")
    assert environment_ready(project, 0).credit == 0
    ready(a, users["ops"])
    services.envcheck_transition(actor=users["ops"], item=optional, to="ready")
    assert (environment_ready(project, 0).value, environment_ready(project, 0).credit) == (1, 0.5)  # partial credit
    ready(b, users["ops"])
    result = environment_ready(project, 0)
    assert (result.value, result.passed, result.display) == (0, True, "0")
    keys = {e.key: e for e in readiness.evaluate(project)["criteria"]}
    assert keys["environment_ready"].passed
    gauges = {str(g.label): (g.value, g.total) for g in env_check_gauges(project)}
    assert gauges == {"Network": (1, 1), "Emergency supplies": (2, 2)}


def test_criterion_counts_a_ready_item_without_evidence_as_missing(project, users):
    """Evidence deleted behind the service's back (the admin, a script): the item no longer counts."""
    item = ready(check(project, users["ops"]), users["ops"])
    assert environment_ready(project, 0).passed
    EnvEvidence.objects.filter(item=item).delete()
    assert not environment_ready(project, 0).passed


def test_reminders_due_soon_and_overdue_once(project, users):
    now = timezone.now()
    owner = users["developer"]
    check(project, users["ops"], title="UPS", owner=owner, due_at=now + timedelta(hours=5))
    check(project, users["ops"], title="Generator", owner=owner, due_at=now - timedelta(hours=3))
    check(project, users["ops"], title="Far away", owner=owner, due_at=now + timedelta(days=3))
    done = check(project, users["ops"], title="Done", owner=owner, due_at=now + timedelta(hours=1))
    ready(done, users["ops"])
    for _ in range(2):  # running the sweep twice tells nobody twice
        sweep(now=now, kinds=["envcheck_due", "envcheck_overdue"], enqueue=False)
    due = Notification.objects.filter(recipient=owner, kind="envcheck_due")
    overdue = Notification.objects.filter(recipient=owner, kind="envcheck_overdue")
    local = timezone.localtime(now + timedelta(hours=5))
    assert [n.message for n in due] == [f"Environment check “UPS” is due {local:%Y-%m-%d %H:%M}."]
    assert [n.message[:32] for n in overdue] == ["Environment check “Generator” is"]
    assert "/cutover/environment/" in overdue.get().url


def test_overdue_list_of_the_dashboard(project, users):
    now = timezone.now()
    check(project, users["ops"], title="Late", owner=users["ops"], due_at=now - timedelta(days=2))
    check(project, users["ops"], title="Soon", due_at=now + timedelta(days=2))
    found = env_checks_overdue(project, timezone.localdate())
    assert (found.total, [o.title for o in found.items]) == (1, ["Late"])


def test_my_work_lists_my_open_checks(project, users):
    now = timezone.now()
    me = users["developer"]
    late = check(project, users["ops"], title="Late", owner=me, due_at=now - timedelta(hours=1))
    check(project, users["ops"], title="Undated", owner=me)
    ready(check(project, users["ops"], title="Done", owner=me), users["ops"])
    check(project, users["ops"], title="Someone else's", owner=users["ops"])
    items = [i for i in hooks.my_work(me, project) if i["kind"] == "check_to_do"]
    assert [i["title"] for i in items] == ["Late", "Undated"]
    assert items[0]["id"] == late.pk and items[0]["url"].endswith(f"#env-{late.pk}")


# ---------------------------------------------------------------- page

def test_page_permissions_full_and_partial(client, project, users, outsider):
    item = check(project, users["ops"], owner=users["developer"])
    url = reverse("tasks:env_checks", args=[project.pk])
    assert client.get(url).status_code == 302  # anonymous: the login page
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(users["staff"])
    page = client.get(url).content.decode()
    assert "UPS on battery 30 min" in page and 'name="title"' not in page and 'name="to"' not in page
    assert client.post(url, {"category": "network", "title": "Firewall"}).status_code == 403
    client.force_login(users["developer"])  # the owner may check it
    assert f'action="{reverse("tasks:env_check_status", args=[project.pk, item.pk])}"' in client.get(url).content.decode()
    client.force_login(users["ops"])
    assert client.post(url, {"category": "network", "title": ""}).status_code == 400
    assert client.post(url, {"category": "network", "title": "Firewall", "mandatory": "on"}).status_code == 302
    part = htmx(client, url + "?status=open").content.decode()
    assert "<html" not in part and 'id="env-checklists"' in part and "Firewall" in part
    assert 'id="checklist-network"' in part and 'id="progress-network"' in part


def test_inline_ready_and_evidence_upload(client, project, users, settings):
    item = check(project, users["ops"], owner=users["developer"])
    client.force_login(users["developer"])
    status_url = reverse("tasks:env_check_status", args=[project.pk, item.pk])
    evidence_url = reverse("tasks:env_evidence_add", args=[project.pk, item.pk])
    # htmx: the refusal comes back in the row (htmx swaps only 2xx); nothing changes
    row = client.post(status_url, {"to": "ready"}, headers={"HX-Request": "true"})
    assert row.status_code == 200 and "Attach evidence" in row.content.decode() and "<html" not in row.content.decode()
    assert EnvCheck.objects.get().status == "open"
    settings.UPLOAD_MAX_BYTES = 50
    too_big = client.post(evidence_url, {"file": png()})
    assert too_big.status_code == 400 and "at most" in too_big.content.decode()
    wrong = client.post(evidence_url, {"file": SimpleUploadedFile("x.exe", b"MZ\x90\x00" + b"\x00" * 10)},
                        headers={"HX-Request": "true"})
    assert "not an allowed type" in wrong.content.decode()
    assert EnvEvidence.objects.count() == 0
    settings.UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    row = client.post(evidence_url, {"file": png(), "note": "panel"}, headers={"HX-Request": "true"}).content.decode()
    assert f'id="env-{item.pk}"' in row and "ups.png" in row and 'hx-swap-oob="true"' in row
    row = client.post(status_url, {"to": "ready"}, headers={"HX-Request": "true"}).content.decode()
    assert "Environment ready" in row and 'id="progress-emergency"' in row and "1/1" in row
    assert EnvCheck.objects.get().status == "ready"
    # without JavaScript: a redirect back to the row
    response = client.post(status_url, {"to": "blocked", "reason": "Vendor late"})
    assert response.status_code == 302 and response["Location"].endswith(f"#env-{item.pk}")
    assert client.post(status_url, {"to": "failed"}).status_code == 400  # no reason
    client.force_login(users["tester"])
    assert client.post(status_url, {"to": "open"}).status_code == 403
    assert client.post(evidence_url, {"file": png()}).status_code == 403


def test_evidence_download_members_only(client, project, users, outsider):
    item = check(project, users["ops"])
    e = services.envcheck_add_evidence(actor=users["ops"], item=item, upload=png())
    url = reverse("tasks:env_evidence", args=[project.pk, item.pk, e.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(users["staff"])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["X-Content-Type-Options"] == "nosniff" and "attachment" in response["Content-Disposition"]
    other = reverse("tasks:env_evidence", args=[project.pk, item.pk + 1, e.pk])
    assert client.get(other).status_code == 404


def test_detail_page_history_edit_and_delete(client, project, users):
    item = check(project, users["ops"], note="Check both UPS")
    ready(item, users["ops"])
    url = reverse("tasks:env_check", args=[project.pk, item.pk])
    client.force_login(users["tester"])
    page = client.get(url).content.decode()
    assert "History" in page and "ups.png" in page and 'name="delete"' not in page
    assert client.post(url, {"category": "emergency", "title": "X"}).status_code == 403
    client.force_login(users["ops"])
    assert client.post(url, {"category": "emergency", "title": ""}).status_code == 400
    response = client.post(url, {"category": "emergency", "title": "UPS A and B", "mandatory": "on"})
    assert response.status_code == 302 and EnvCheck.objects.get().title == "UPS A and B"
    assert client.post(url, {"delete": "1"}).status_code == 302 and EnvCheck.objects.exists()  # has evidence
    other = check(project, users["ops"], title="Spare")
    client.post(reverse("tasks:env_check", args=[project.pk, other.pk]), {"delete": "1"})
    assert not EnvCheck.objects.filter(pk=other.pk).exists()


def test_standard_button(client, project, users):
    url = reverse("tasks:env_template", args=[project.pk])
    client.force_login(users["tester"])
    assert client.post(url).status_code == 403
    client.force_login(users["manager"])
    page = client.get(reverse("tasks:env_checks", args=[project.pk])).content.decode()
    assert 'name="categories"' in page and 'name="location"' in page
    assert client.post(url, {"categories": ["kitchen"]}).status_code == 400
    assert not EnvCheck.objects.exists()
    assert client.post(url).status_code == 302
    assert EnvCheck.objects.filter(project=project).count() >= 15
    assert client.post(url, {"categories": ["hardware", "emergency"], "location": "静安支行"}).status_code == 302
    assert set(EnvCheck.objects.filter(location="静安支行").values_list("category", flat=True)) == {
        "hardware", "emergency"}


def _many(project, users, n):
    for i in range(n):
        item = check(project, users["ops"], title=f"Item {i}", category=["network", "hardware", "emergency"][i % 3],
                     owner=users["developer"], due_at=timezone.now() + timedelta(days=i))
        services.envcheck_add_evidence(actor=users["ops"], item=item, upload=png())


def test_page_and_api_queries_do_not_grow(client, project, users):
    url = reverse("tasks:env_checks", args=[project.pk])
    client.force_login(users["ops"])
    api = api_as(users["ops"])
    _many(project, users, 1)
    _, page_one = count_queries(lambda: client.get(url))
    _, api_one = count_queries(lambda: api.get(f"/api/v1/env-checks/?project={project.pk}"))
    _, work_one = count_queries(lambda: hooks.my_work(users["developer"], project))
    more = [check(project, users["ops"], title=f"More {i}", category="security", owner=users["developer"])
                  for i in range(3)]
    for i in range(46):
        services.envcheck_add_evidence(actor=users["ops"], item=more[i % 3], url=f"https://e.example/{i}")
    for i in range(46):
        check(project, users["ops"], title=f"Bulk {i}", category="software", owner=users["developer"])
    assert EnvCheck.objects.count() == 50
    _, page_many = count_queries(lambda: client.get(url))
    _, api_many = count_queries(lambda: api.get(f"/api/v1/env-checks/?project={project.pk}&page_size=100"))
    _, work_many = count_queries(lambda: hooks.my_work(users["developer"], project))
    assert (page_many, api_many) == (page_one, api_one)
    assert work_many == work_one


# ---------------------------------------------------------------- API

API = "/api/v1/env-checks/"


def test_api_permission_matrix(project, users, outsider):
    item = check(project, users["ops"], owner=users["developer"])
    detail, body = f"{API}{item.pk}/", {"project": project.pk, "category": "network", "title": "Firewall"}
    assert api_as().get(API).status_code == 401
    assert api_as(outsider).get(f"{API}?project={project.pk}").status_code == 404
    assert api_as(outsider).get(detail).status_code == 404
    assert api_as(outsider).post(API, body, format="json").status_code == 404
    assert api_as(outsider).post(f"{detail}transition/", {"to": "open"}, format="json").status_code == 404
    staff = api_as(users["staff"])
    listed = staff.get(f"{API}?project={project.pk}").json()
    assert listed["count"] == 1 and listed["results"][0]["evidence_count"] == 0
    assert staff.post(API, body, format="json").status_code == 403
    assert staff.patch(detail, {"title": "x"}, format="json").status_code == 403
    assert staff.post(f"{detail}transition/", {"to": "blocked", "reason": "r"}, format="json").status_code == 403
    assert staff.post(f"{detail}evidence/", {"url": "https://e.example"}).status_code == 403
    ops = api_as(users["ops"])
    created = ops.post(API, body | {"owner": users["tester"].pk, "due_at": "2026-12-20T18:00:00+08:00"},
                       format="json")
    assert created.status_code == 201 and created.json()["status"] == "open"
    assert ops.patch(f"{API}{created.json()['id']}/", {"mandatory": False}, format="json").json()["mandatory"] is False
    owner = api_as(users["developer"])  # the owner checks and adds evidence, but does not edit
    assert owner.patch(detail, {"title": "x"}, format="json").status_code == 403
    upload = owner.post(f"{detail}evidence/", {"file": png(), "note": "UPS panel"}, format="multipart")
    assert upload.status_code == 201 and upload.json()["content_type"] == "image/png"
    assert upload.json()["download"].endswith(f"/evidence/{upload.json()['id']}/")
    moved = owner.post(f"{detail}transition/", {"to": "ready"}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "ready" and moved.json()["evidence_count"] == 1
    assert moved.json()["checked_by"] == users["developer"].pk
    assert len(staff.get(f"{detail}evidence/").json()) == 1
    assert ops.delete(detail).status_code == 400  # kept: it has evidence
    assert ops.delete(f"{API}{created.json()['id']}/").status_code == 204


def test_api_bad_input_saves_nothing(project, users, outsider, settings):
    ops = api_as(users["ops"])
    item = check(project, users["ops"])
    detail = f"{API}{item.pk}/"
    for bad, field in (({"category": "kitchen"}, "category"), ({"title": "x" * 201}, "title"),
                       ({"title": ""}, "title"), ({"owner": outsider.pk}, "owner"),
                       ({"project": "abc"}, "project"), ({"due_at": "tomorrow"}, "due_at")):
        response = ops.post(API, {"project": project.pk, "category": "network", "title": "Firewall"} | bad,
                            format="json")
        assert response.status_code in (400, 404) and response.json()["detail"], bad
        if response.status_code == 400:
            assert field in response.json() or field in response.json()["detail"], (bad, response.json())
    assert EnvCheck.objects.count() == 1
    response = ops.post(f"{detail}transition/", {"to": "ready"}, format="json")
    assert response.status_code == 400 and "evidence" in response.json()
    response = ops.post(f"{detail}transition/", {"to": "failed"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert ops.post(f"{detail}transition/", {"to": "done"}, format="json").status_code == 400
    settings.UPLOAD_MAX_BYTES = 20
    response = ops.post(f"{detail}evidence/", {"file": png()}, format="multipart")
    assert response.status_code == 400 and "at most" in response.json()["file"][0]
    settings.UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    response = ops.post(f"{detail}evidence/", {"file": SimpleUploadedFile("a.png", b"text, not a PNG")},
                        format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    assert ops.post(f"{detail}evidence/", {"url": "ftp://x"}, format="multipart").status_code == 400
    assert ops.post(f"{detail}evidence/", {}, format="multipart").status_code == 400
    assert EnvEvidence.objects.count() == 0
    assert api_as(users["ops"]).get(f"{API}abc/").status_code == 404


def test_api_standard_checklists(project, users, outsider):
    url = f"{API}standard/"
    assert api_as(outsider).post(url, {"project": project.pk}, format="json").status_code == 404
    assert api_as(users["tester"]).post(url, {"project": project.pk}, format="json").status_code == 403
    manager = api_as(users["manager"])
    assert manager.post(url, {"project": project.pk, "categories": ["kitchen"]}, format="json").status_code == 400
    response = manager.post(url, {"project": project.pk, "categories": ["emergency"]}, format="json")
    assert response.status_code == 200 and response.json()["created"] == 3
    branch = manager.post(url, {"project": project.pk, "categories": ["emergency"], "location": "Pudong"},
                          format="json").json()
    assert branch["created"] == 3 and {i["location"] for i in branch["items"]} == {"Pudong"}
    assert manager.post(url, {"project": project.pk, "location": "x" * 121}, format="json").status_code == 400
    assert {i["category"] for i in response.json()["items"]} == {"emergency"}
    assert manager.post(url, {"project": project.pk, "categories": ["emergency"]}, format="json").json()["created"] == 0


def test_demo_checklists_are_bilingual(project, users):
    from tasks import demo

    who = demo._who({role: [user] for role, user in users.items()})
    demo.seed_env_checks(project=project, who=who, now=timezone.now().replace(second=0, microsecond=0))
    items = list(EnvCheck.objects.filter(project=project))
    assert len(items) > 15
    ups = next(i for i in items if "Backup power tested" in i.title)
    assert ups.title == "备用电源测试：数据中心 UPS 电池供电 30 分钟 / Backup power tested: data-centre UPS on battery for 30 minutes"
    statuses = {i.status for i in items}
    assert statuses == {"open", "ready", "failed", "blocked"}
    assert all(i.evidence.exists() for i in items if i.status == "ready")
    assert {i.location for i in items} > {""}  # per-branch items
    assert not environment_ready(project, 0).passed  # the failed branch UPS and the blocked line block it


def test_changes_and_evidence_are_in_the_project_audit_log(project, users):
    from projects.models import AuditEntry

    item = check(project, users["ops"], owner=users["developer"])
    ready(item, users["developer"])
    entries = AuditEntry.objects.filter(project=project, model__in=["tasks.envcheck", "tasks.envevidence"])
    assert {(e.model, e.action) for e in entries} == {("tasks.envcheck", "+"), ("tasks.envcheck", "~"),
                                                      ("tasks.envevidence", "+")}
    change = entries.get(model="tasks.envcheck", action="~")
    assert change.actor == users["developer"] and change.changes["status"] == ["open", "ready"]
