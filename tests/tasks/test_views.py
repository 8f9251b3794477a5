from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tasks import services
from tasks.models import RunStepStatus
from tests.tasks.factories import chain, run, run_step, runbook, step
from tests.tasks.test_services import _xlsx
from tests.utils import count_queries, htmx

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(project, users):
    rb = runbook(project, users["ops"])
    steps = chain(rb, users["ops"], 3, owner=users["developer"])
    r = run(rb, users["ops"])
    check = services.check_create(actor=users["ops"], run=r, entity="customers", source_count=1, target_count=1)
    item = services.workitem_create(actor=users["ops"], project=project, title="UPS test", owner=users["developer"])
    services.plan_save(actor=users["ops"], project=project, rollback_criteria="Balances differ")
    return {"rb": rb, "steps": steps, "run": r, "check": check, "item": item}


def _pages(project, s):
    p = project.pk
    return [
        reverse("tasks:runbooks", args=[p]),
        reverse("tasks:workitems", args=[p]),
        reverse("tasks:contingency", args=[p]),
        reverse("tasks:runbook", args=[p, s["rb"].pk]),
        reverse("tasks:compare", args=[p, s["rb"].pk]),
        reverse("tasks:runbook_export", args=[p, s["rb"].pk]),
        reverse("tasks:run", args=[p, s["run"].pk]),
        reverse("tasks:run_step", args=[p, s["run"].pk, s["steps"][0].pk]),
        reverse("tasks:checks", args=[p, s["run"].pk]),
    ]


def test_pages_permission_matrix(client, project, users, outsider, setup):
    for url in _pages(project, setup):
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        for role, user in users.items():
            client.force_login(user)
            assert client.get(url).status_code == 200, (url, role)
        client.force_login(outsider)
        assert client.get(url).status_code == 404, url


def test_edit_pages_ops_and_manager_only(client, project, users, outsider, setup):
    url = reverse("tasks:step_edit", args=[project.pk, setup["rb"].pk, setup["steps"][0].pk])
    for role, user in users.items():
        client.force_login(user)
        assert client.get(url).status_code == (200 if role in ("ops", "manager") else 403), role
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_write_posts_refused_without_role(client, project, users, setup):
    client.force_login(users["tester"])
    p = project.pk
    assert client.post(reverse("tasks:runbooks", args=[p]), {"name": "X", "kind": "cutover"}).status_code == 403
    assert client.post(reverse("tasks:runbook", args=[p, setup["rb"].pk]),
                       {"title": "X", "category": "deployment", "planned_minutes": 5}).status_code == 403
    assert client.post(reverse("tasks:run_create", args=[p]), {"runbook": setup["rb"].pk,
                                                                "kind": "rehearsal"}).status_code == 403
    assert client.post(reverse("tasks:checks", args=[p, setup["run"].pk]), {}).status_code == 403
    assert client.post(reverse("tasks:contingency", args=[p]), {"rollback_criteria": "x"}).status_code == 403
    assert client.post(reverse("tasks:contingency_approve", args=[p]), {"as_role": "manager"}).status_code == 403
    assert setup["rb"].steps.count() == 3 and project.runbooks.count() == 1


def test_board_full_page_and_polling_partial(client, project, users, setup):
    client.force_login(users["developer"])
    url = reverse("tasks:run", args=[project.pk, setup["run"].pk])
    full = client.get(url).content.decode()
    assert "<html" in full and 'hx-trigger="every 5s"' in full and "My next steps" in full
    partial = htmx(client, url).content.decode()
    assert "<html" not in partial and 'id="board"' in partial and 'hx-trigger="every 5s"' in partial
    assert "Step 1" in partial and "<svg" in partial


def test_board_query_count_constant(client, project, users):
    rb1 = runbook(project, users["ops"], name="Small")
    chain(rb1, users["ops"], 1, owner=users["developer"])
    small = run(rb1, users["ops"])
    rb2 = runbook(project, users["ops"], name="Big")
    chain(rb2, users["ops"], 50, owner=users["developer"])
    big = run(rb2, users["ops"])
    client.force_login(users["ops"])
    _, few = count_queries(lambda: htmx(client, reverse("tasks:run", args=[project.pk, small.pk])))
    response, many = count_queries(lambda: htmx(client, reverse("tasks:run", args=[project.pk, big.pk])))
    assert response.status_code == 200 and few == many
    _, few_full = count_queries(lambda: client.get(reverse("tasks:run", args=[project.pk, small.pk])))
    _, many_full = count_queries(lambda: client.get(reverse("tasks:run", args=[project.pk, big.pk])))
    assert few_full == many_full


def test_list_pages_query_count_constant(client, project, users):
    rb = runbook(project, users["ops"])
    chain(rb, users["ops"], 2)
    client.force_login(users["manager"])
    pages = [reverse("tasks:runbooks", args=[project.pk]), reverse("tasks:workitems", args=[project.pk]),
             reverse("tasks:runbook", args=[project.pk, rb.pk])]
    before = {}
    run(rb, users["ops"])
    services.workitem_create(actor=users["ops"], project=project, title="Item", owner=users["ops"])
    for url in pages:
        before[url] = count_queries(lambda url=url: client.get(url))[1]
    for i in range(50):
        services.workitem_create(actor=users["ops"], project=project, title=f"Item {i}", owner=users["ops"],
                                 phase=["preparation", "testing"][i % 2])
        step(rb, users["ops"], f"Extra {i}")
    for _i in range(5):
        run(rb, users["ops"])
    for url in pages:
        response, n = count_queries(lambda url=url: client.get(url))
        assert response.status_code == 200 and n == before[url], url


def test_start_and_complete_from_the_board(client, project, users, setup):
    client.force_login(users["developer"])
    r, first = setup["run"], setup["steps"][0]
    url = reverse("tasks:run_step_action", args=[project.pk, r.pk, first.pk, "start"])
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="board"' in response.content.decode()
    assert run_step(r, first).status == RunStepStatus.RUNNING
    client.post(reverse("tasks:run_step_action", args=[project.pk, r.pk, first.pk, "complete"]))
    assert run_step(r, setup["steps"][1]).status == RunStepStatus.READY


def test_board_action_errors_are_shown_and_nothing_changes(client, project, users, setup):
    client.force_login(users["ops"])
    r, last = setup["run"], setup["steps"][2]
    response = client.post(reverse("tasks:run_step_action", args=[project.pk, r.pk, last.pk, "start"]),
                           headers={"HX-Request": "true"})
    assert "waits for" in response.content.decode()
    assert run_step(r, last).status == RunStepStatus.PENDING
    response = client.post(reverse("tasks:run_step_action", args=[project.pk, r.pk, last.pk, "fail"]), follow=True)
    assert "needs a note" in response.content.decode() or "Only a running" in response.content.decode()
    assert client.post(reverse("tasks:run_step_action", args=[project.pk, r.pk, last.pk, "dance"])).status_code == 404


def test_step_action_by_non_owner_is_403(client, project, users, setup):
    client.force_login(users["tester"])
    url = reverse("tasks:run_step_action", args=[project.pk, setup["run"].pk, setup["steps"][0].pk, "start"])
    assert client.post(url).status_code == 403


def test_add_step_inline_and_cycle_error_on_edit(client, project, users, setup):
    client.force_login(users["ops"])
    rb = setup["rb"]
    url = reverse("tasks:runbook", args=[project.pk, rb.pk])
    response = client.post(url, {"title": "Verify", "category": "verification", "planned_minutes": 15},
                           headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and "Verify" in body
    a, _b, c = setup["steps"]
    edit = reverse("tasks:step_edit", args=[project.pk, rb.pk, a.pk])
    partial = htmx(client, edit).content.decode()
    assert "<html" not in partial and f'id="step-{a.pk}"' in partial
    response = client.post(edit, {"title": a.title, "category": "deployment", "planned_minutes": 10,
                                  "depends_on": [c.pk]}, headers={"HX-Request": "true"})
    assert "cycle" in response.content.decode()
    assert list(a.depends_on.all()) == []
    response = client.post(edit, {"title": "Renamed", "category": "deployment", "planned_minutes": 12},
                           headers={"HX-Request": "true"})
    assert response["HX-Retarget"] == "#steps" and "Renamed" in response.content.decode()


def test_import_with_errors_shows_rows_and_saves_nothing(client, project, users, setup):
    client.force_login(users["ops"])
    rb = setup["rb"]
    data = _xlsx([("New step", "deployment", "", 5, ""), ("Bad", "nope", "", "x", "")]).getvalue()
    upload = SimpleUploadedFile("steps.xlsx", data)
    response = client.post(reverse("tasks:runbook_import", args=[project.pk, rb.pk]), {"file": upload})
    body = response.content.decode()
    assert response.status_code == 400 and "Row 3" in body and "Nothing was imported" in body
    assert rb.steps.count() == 3
    good = SimpleUploadedFile("steps.xlsx", _xlsx([("New step", "deployment", "", 5, "Step 3")]).getvalue())
    response = client.post(reverse("tasks:runbook_import", args=[project.pk, rb.pk]), {"file": good})
    assert response.status_code == 302 and rb.steps.count() == 4


def test_export_is_xlsx(client, project, users, setup):
    from openpyxl import load_workbook

    client.force_login(users["staff"])
    response = client.get(reverse("tasks:runbook_export", args=[project.pk, setup["rb"].pk]))
    ws = load_workbook(BytesIO(response.content)).active
    assert [c.value for c in ws[1]] == ["title", "category", "owner", "minutes", "depends on"]
    assert ws.max_row == 4


def test_workitems_mine_filter_and_status_change(client, project, users, setup):
    client.force_login(users["developer"])
    url = reverse("tasks:workitems", args=[project.pk])
    assert "UPS test" in htmx(client, url, data={"mine": "1"}).content.decode()
    client.force_login(users["tester"])
    assert "UPS test" not in htmx(client, url, data={"mine": "1"}).content.decode()
    status_url = reverse("tasks:workitem_status", args=[project.pk, setup["item"].pk])
    assert client.post(status_url, {"status": "done"}).status_code == 403
    client.force_login(users["developer"])
    client.post(status_url, {"status": "done"})
    setup["item"].refresh_from_db()
    assert setup["item"].status == "done"


def test_contingency_approval_flow(client, project, users, setup):
    url = reverse("tasks:contingency_approve", args=[project.pk])
    client.force_login(users["manager"])
    client.post(url, {"as_role": "manager"})
    client.force_login(users["business"])
    client.post(url, {"as_role": "business"})
    body = client.get(reverse("tasks:contingency", args=[project.pk])).content.decode()
    assert "Approved and frozen" in body


def test_run_create_page(client, project, users, setup):
    client.force_login(users["ops"])
    response = client.post(reverse("tasks:run_create", args=[project.pk]),
                           {"runbook": setup["rb"].pk, "kind": "rehearsal"})
    assert response.status_code == 302 and project.runs.count() == 2


def test_checks_page_records_check(client, project, users, setup):
    client.force_login(users["ops"])
    url = reverse("tasks:checks", args=[project.pk, setup["run"].pk])
    response = client.post(url, {"entity": "balances", "source_count": 5, "target_count": 5, "source_total": "10",
                                 "target_total": "11", "tolerance": "0"})
    assert response.status_code == 302
    body = client.get(url).content.decode()
    assert "Mismatch" in body and "1 mismatch" in body


@pytest.mark.parametrize("name,partial_id", [("tasks:runbooks", 'id="runs"'), ("tasks:checks", 'id="checks"'),
                                             ("tasks:workitems", 'id="items"'), ("tasks:runbook", 'id="steps"')])
def test_full_page_and_htmx_partial(client, project, users, setup, name, partial_id):
    args = {"tasks:runbooks": [project.pk], "tasks:workitems": [project.pk],
            "tasks:checks": [project.pk, setup["run"].pk], "tasks:runbook": [project.pk, setup["rb"].pk]}[name]
    client.force_login(users["manager"])
    url = reverse(name, args=args)
    full = client.get(url).content.decode()
    assert "<html" in full and partial_id in full
    partial = htmx(client, url).content.decode()
    assert "<html" not in partial and partial_id in partial
