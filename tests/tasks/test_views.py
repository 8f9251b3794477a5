from datetime import timedelta
from io import BytesIO
from urllib.parse import quote, urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from projects.audit import history_for
from projects.errors import DomainError
from projects.models import Membership
from projects.people import display_name
from projects.services import membership_remove
from tasks import services
from tasks.models import RunStepStatus
from tests.tasks.factories import chain, play, run, run_step, runbook, step
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
    assert "<html" in full and 'hx-trigger="every 5s, cutover-changed from:body"' in full and "My next steps" in full
    partial = htmx(client, url).content.decode()
    assert "<html" not in partial and 'id="board"' in partial and 'hx-trigger="every 5s, cutover-changed from:body"' in partial
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


def test_a_long_run_board_has_focus_and_all_steps_pages(client, project, users):
    from tasks.selectors import BOARD_ALL_STEPS, BOARD_PAGE
    rb = runbook(project, users["ops"])
    chain(rb, users["ops"], BOARD_ALL_STEPS + BOARD_PAGE, minutes=5)
    r = run(rb, users["ops"])
    client.force_login(users["ops"])
    url = reverse("tasks:run", args=[project.pk, r.pk])
    focus = client.get(url).content.decode()
    assert "All steps" in focus and "Step 1<" in focus and f"Step {BOARD_ALL_STEPS + BOARD_PAGE}<" not in focus
    second = htmx(client, url + "?steps=all&page=2")
    body = second.content.decode()
    assert "<html" not in body and f"Step {BOARD_PAGE + 1}<" in body and "Step 1<" in body  # Step 1 is ready: listed above
    # The polling board keeps the page it shows.
    assert f'hx-get="{url}?steps=all&amp;page=2"' in body
    _, one = count_queries(lambda: htmx(client, url + "?steps=all&page=1"))
    _, two = count_queries(lambda: htmx(client, url + "?steps=all&page=2"))
    assert one == two


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


# ---------------------------------------------------------------- inline edit of work items

def _edit_url(project, item, **query):
    url = reverse("tasks:workitem_edit", args=[project.pk, item.pk])
    return url + ("?" + urlencode(query) if query else "")


def _item_data(item, **changes):
    data = {"title": item.title, "phase": item.phase, "owner": item.owner_id or "",
            "due_at": timezone.localtime(item.due_at).strftime("%Y-%m-%dT%H:%M") if item.due_at else ""}
    data.update(changes)
    return data


def test_workitem_edit_permission_matrix(client, project, users, outsider, other_project, setup):
    url = _edit_url(project, setup["item"])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(url, _item_data(setup["item"], title="Anonymous")).status_code == 302
    for role, user in users.items():
        client.force_login(user)
        assert client.get(url).status_code == (200 if role in ("ops", "manager") else 403), role
    client.force_login(users["developer"])  # the item's owner may set its status, not edit it
    assert client.post(url, _item_data(setup["item"], title="Owner's edit")).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, _item_data(setup["item"], title="Outsider's edit")).status_code == 404
    foreign = services.workitem_create(actor=outsider, project=other_project, title="Their item")
    client.force_login(users["manager"])
    assert client.get(_edit_url(project, foreign)).status_code == 404  # another project's item via ours
    setup["item"].refresh_from_db()
    assert setup["item"].title == "UPS test"


def test_workitem_edit_full_page_and_htmx_partial(client, project, users, setup):
    item = setup["item"]
    client.force_login(users["ops"])
    full = client.get(_edit_url(project, item)).content.decode()
    assert "<html" in full and f'id="wi-{item.pk}"' in full and 'value="UPS test"' in full
    assert "History" in full
    partial = htmx(client, _edit_url(project, item)).content.decode()
    assert "<html" not in partial and partial.lstrip().startswith(f'<tr id="wi-{item.pk}"')
    assert f'hx-post="{reverse("tasks:workitem_edit", args=[project.pk, item.pk])}"' in partial


def test_workitems_page_links_edit_for_editors_only(client, project, users, setup):
    url = reverse("tasks:workitems", args=[project.pk])
    edit = reverse("tasks:workitem_edit", args=[project.pk, setup["item"].pk])
    client.force_login(users["manager"])
    body = client.get(url, {"status": "todo"}).content.decode()
    link = f"{edit}?next={quote(url + '?status=todo', safe='/')}"
    assert f'href="{link}"' in body and f'hx-get="{link}"' in body
    client.force_login(users["developer"])  # owner: sets the status, has no Edit link
    body = client.get(url).content.decode()
    assert "UPS test" in body and edit not in body


def test_workitem_edit_saves_and_writes_history(client, project, users, setup):
    item = setup["item"]
    assert history_for(item)[0]["action"] == "created"
    client.force_login(users["ops"])
    list_url = reverse("tasks:workitems", args=[project.pk]) + "?status=todo"
    due = timezone.localtime().replace(second=0, microsecond=0) + timedelta(days=2)
    response = client.post(_edit_url(project, item), _item_data(
        item, title="UPS load test", phase="rehearsal", owner=users["ops"].pk, due_at=due.strftime("%Y-%m-%dT%H:%M"),
        next=list_url), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and response["HX-Retarget"] == "#items"
    assert "<html" not in body and 'id="items"' in body and "UPS load test" in body
    assert f'name="next" value="{list_url}"' in body  # status forms in the new list keep the filter
    item.refresh_from_db()
    assert (item.title, item.phase, item.owner, item.due_at) == ("UPS load test", "rehearsal", users["ops"], due)
    latest = history_for(item)[0]
    assert latest["who"] == users["ops"] and latest["action"] == "changed"
    assert ("title", "UPS test", "UPS load test") in latest["changes"]
    assert {change[0] for change in latest["changes"]} == {"title", "phase", "owner", "due"}
    # without htmx: back to the list the person came from
    response = client.post(_edit_url(project, item), _item_data(item, title="UPS test", next=list_url))
    assert response.status_code == 302 and response["Location"] == list_url
    item.refresh_from_db()
    assert item.title == "UPS test" and len(history_for(item)) == 3


def test_workitem_edit_bad_input_saves_nothing(client, project, users, outsider, setup):
    item = setup["item"]
    before = item.history.count()
    client.force_login(users["manager"])
    url = _edit_url(project, item)
    response = client.post(url, _item_data(item, title="   ", phase="rehearsal"))
    body = response.content.decode()
    assert response.status_code == 400 and "<html" in body and "This field is required." in body
    response = client.post(url, _item_data(item, title="Renamed", owner=outsider.pk), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and f'id="wi-{item.pk}"' in body
    assert "is not a member of this project" in body and 'value="Renamed"' in body
    assert client.post(url, _item_data(item, due_at="next tuesday")).status_code == 400
    assert client.post(url, _item_data(item, phase="party")).status_code == 400
    item.refresh_from_db()
    assert (item.title, item.phase, item.owner) == ("UPS test", "preparation", users["developer"])
    assert item.history.count() == before


def test_workitem_edit_changes_only_what_was_changed(client, project, users, setup):
    """The input shows minutes: an untouched due time keeps its seconds (reminders are keyed on it)."""
    due = timezone.now().replace(microsecond=0, second=37) + timedelta(days=3)
    item = services.workitem_update(actor=users["ops"], item=setup["item"], due_at=due)
    before = item.history.count()
    client.force_login(users["ops"])
    response = client.post(_edit_url(project, item), _item_data(item))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.due_at == due and item.history.count() == before  # nothing changed, nothing written
    client.post(_edit_url(project, item), _item_data(item, title="UPS drill"))
    item.refresh_from_db()
    assert item.due_at == due and item.title == "UPS drill"
    assert [c[0] for c in history_for(item)[0]["changes"]] == ["title"]


def test_workitem_edit_keeps_an_owner_who_left_the_project(client, project, users, setup):
    item = setup["item"]
    membership = Membership.objects.get(project=project, user=users["developer"])
    membership_remove(actor=users["manager"], membership=membership)
    client.force_login(users["ops"])
    client.post(_edit_url(project, item), _item_data(item, title="UPS drill"))
    item.refresh_from_db()
    assert item.title == "UPS drill" and item.owner == users["developer"]


def test_workitem_edit_next_stays_on_this_site(client, project, users, setup):
    client.force_login(users["ops"])
    item = setup["item"]
    for bad in ("//evil.example/", "https://evil.example/x", reverse("tasks:runbooks", args=[project.pk])):
        response = client.post(_edit_url(project, item), _item_data(item, title=f"Moved {bad}", next=bad))
        assert response["Location"] == reverse("tasks:workitems", args=[project.pk])
    body = client.get(_edit_url(project, item, next="https://evil.example/")).content.decode()
    list_url = reverse("tasks:workitems", args=[project.pk])
    assert f'name="next" value="{list_url}"' in body and f'href="{list_url}"' in body
    assert 'value="https://evil' not in body and 'href="https://evil' not in body


def test_workitem_edit_shows_a_service_refusal_on_the_form(client, project, users, setup, monkeypatch):
    """A rule only the service knows (the owner left between the form check and the save, say)."""
    item = setup["item"]

    def refuse(**kwargs):
        raise DomainError("Ask the manager to add this person to the project first.", field="owner")

    monkeypatch.setattr(services, "workitem_update", refuse)
    client.force_login(users["ops"])
    response = client.post(_edit_url(project, item), _item_data(item, title="Renamed"),
                           headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and f'id="wi-{item.pk}"' in body and "add this person" in body
    assert client.post(_edit_url(project, item), _item_data(item, title="Renamed")).status_code == 400
    item.refresh_from_db()
    assert item.title == "UPS test"


def test_step_page_in_chinese_says_notes_and_minutes(client, project, users, setup):
    r, first = setup["run"], setup["steps"][0]
    play(r, users["ops"], minutes_by_title={first.title: first.planned_minutes + 1})
    client.force_login(users["ops"])
    url = reverse("tasks:run_step", args=[project.pk, r.pk, first.pk])
    body = client.get(url, headers={"Accept-Language": "zh-hans"}).content.decode()
    assert f"({first.planned_minutes + 1} 分钟, +1)" in body
    assert "<dt>备注</dt>" in body and "访谈记录" not in body


# ---------------------------------------------------------------- the production run on the board

@pytest.fixture
def production(project, users):
    rb = runbook(project, users["ops"], name="Go-live")
    first, second = chain(rb, users["ops"], 2)
    r = services.run_create(actor=users["ops"], runbook=rb, kind="production")
    return {"run": r, "first": first, "second": second}


def _start_url(project, r, source):
    return reverse("tasks:run_step_action", args=[project.pk, r.pk, source.pk, "start"])


def test_production_start_before_the_window_is_refused_with_a_clear_message(client, project, users, production):
    r, first = production["run"], production["first"]
    client.force_login(users["manager"])
    board = client.get(reverse("tasks:run", args=[project.pk, r.pk])).content.decode()
    # The board says when the window opens, does not offer a live Start yet, and would ask first.
    assert 'id="window-note"' in board and "window opens on" in board
    assert 'disabled aria-describedby="window-note"' in board and "hx-confirm=" in board
    step_page = client.get(reverse("tasks:run_step", args=[project.pk, r.pk, first.pk])).content.decode()
    assert 'disabled aria-describedby="window-note"' in step_page and "window opens on" in step_page

    response = client.post(_start_url(project, r, first), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in body and "window opens on" in body
    response = client.post(_start_url(project, r, first), follow=True)  # without JavaScript
    assert response.redirect_chain == [(reverse("tasks:run", args=[project.pk, r.pk]), 302)]
    assert "window opens on" in response.content.decode()
    r.refresh_from_db()
    assert r.status == "planned" and r.started_at is None
    assert run_step(r, first).status == RunStepStatus.READY and run_step(r, first).attempts == 0


def test_production_first_start_in_the_window_runs_the_run_and_the_board_agrees(client, project, users,
                                                                                 production):
    r, first = production["run"], production["first"]
    now = timezone.now().replace(second=0, microsecond=0)
    type(project).objects.filter(pk=project.pk).update(window_start=now - timedelta(minutes=5),
                                                         window_end=now + timedelta(hours=12))
    client.force_login(users["manager"])
    board = htmx(client, reverse("tasks:run", args=[project.pk, r.pk])).content.decode()
    assert "hx-confirm=" in board and "window-note" not in board  # the first start is the go-live: confirm it

    response = client.post(_start_url(project, r, first), headers={"HX-Request": "true"})
    body = response.content.decode()
    r.refresh_from_db()
    assert response.status_code == 200 and r.status == "running" and 'role="alert"' not in body
    # The page-head badge is refreshed out of band with the board.
    assert '<span id="run-status" class="pill run-running" hx-swap-oob="true">Running</span>' in body
    assert "hx-confirm=" not in body  # later starts need no confirmation
    assert "started " in body and "–<em>running</em>" in body and "…" not in body
    assert '<h3>Running <span class="badge">1</span></h3>' in body
    assert 'Ready now <span class="badge">0</span>' in body
    full = client.get(reverse("tasks:run", args=[project.pk, r.pk])).content.decode()
    assert full.count('id="run-status"') == 1 and "hx-swap-oob" not in full


def test_my_next_steps_minutes_are_translated(client, project, users, production):
    r = production["run"]
    r.steps.update(owner=users["ops"])
    client.force_login(users["ops"])
    body = client.get(reverse("tasks:run", args=[project.pk, r.pk]), headers={"Accept-Language": "zh-hans"})
    assert '<span class="muted">10 分钟</span>' in body.content.decode()


# ---------------------------------------------------------------- preparation row status control

def _row(body, item):
    start = body.index(f'id="wi-{item.pk}"')
    return body[start:body.index("</tr>", start)]


def test_workitem_row_status_control_is_one_compact_form(client, project, users, setup):
    item = setup["item"]
    blocked = services.workitem_create(actor=users["ops"], project=project, title="Switch cert", owner=users["ops"])
    services.workitem_set_status(actor=users["ops"], item=blocked, status="blocked", reason="Vendor patch")
    client.force_login(users["ops"])
    body = client.get(reverse("tasks:workitems", args=[project.pk])).content.decode()

    row = _row(body, item)
    # One wrapper holds "Edit" and the status form; the reason box is tagged for the CSS that shows it only
    # while "Blocked" is chosen, and its placeholder is short enough to read.
    assert 'class="wi-actions"' in row and 'class="wi-status"' in row
    assert 'class="wi-reason"' in row and 'placeholder="What blocks it?"' in row and 'value=""' in row
    assert "reason if blocked" not in body
    blocked_row = _row(body, blocked)
    assert '<option value="blocked" selected>' in blocked_row and 'value="Vendor patch"' in blocked_row


def test_workitem_row_status_blocked_needs_a_reason_and_saves_it(client, project, users, setup):
    item = setup["item"]
    client.force_login(users["ops"])
    list_url = reverse("tasks:workitems", args=[project.pk])
    status_url = reverse("tasks:workitem_status", args=[project.pk, item.pk])

    response = client.post(status_url, {"status": "blocked", "reason": " ", "next": list_url}, follow=True)
    assert "Say what blocks this item" in response.content.decode()
    item.refresh_from_db()
    assert (item.status, item.blocked_reason) == ("todo", "")

    client.post(status_url, {"status": "blocked", "reason": "No rack space", "next": list_url})
    item.refresh_from_db()
    assert (item.status, item.blocked_reason) == ("blocked", "No rack space")
    body = client.get(list_url).content.decode()
    assert 'value="No rack space"' in _row(body, item)

    client.post(status_url, {"status": "doing", "reason": "No rack space", "next": list_url})
    item.refresh_from_db()
    assert (item.status, item.blocked_reason) == ("doing", "")


# ---------------------------------------------------------------- run step: the "Act on this step" card

def _act_card(body):
    start = body.index("Act on this step")
    return body[start:body.index("</section>", start)]


def test_run_step_card_says_what_a_pending_step_waits_for(client, project, users, setup):
    r, (first, second, third) = setup["run"], setup["steps"]
    client.force_login(users["ops"])

    def step_url(source):
        return reverse("tasks:run_step", args=[project.pk, r.pk, source.pk])

    card = _act_card(client.get(step_url(third)).content.decode())
    assert "Waits for:" in card and step_url(second) in card and "Step 2" in card
    assert step_url(first) not in card  # only the direct, unfinished dependencies
    assert "<form" not in card

    card = _act_card(client.get(step_url(first)).content.decode())  # ready: the Start button, no waiting line
    assert "Waits for:" not in card and ">Start<" in card

    services.runstep_start(actor=users["ops"], run_step=run_step(r, first))
    services.runstep_complete(actor=users["ops"], run_step=run_step(r, first))
    services.runstep_start(actor=users["ops"], run_step=run_step(r, second))
    card = _act_card(client.get(step_url(third)).content.decode())
    assert "Waits for:" in card and "Step 2" in card and "st-running" in card


def test_run_step_card_says_when_and_by_whom_a_step_finished(client, project, users, setup):
    r, (first, second, _third) = setup["run"], setup["steps"]
    ops = users["ops"]
    services.runstep_start(actor=ops, run_step=run_step(r, first))
    services.runstep_complete(actor=ops, run_step=run_step(r, first))
    done = run_step(r, first)
    services.runstep_skip(actor=users["manager"], run_step=run_step(r, second), reason="Not needed")
    skipped = run_step(r, second)
    client.force_login(ops)

    card = _act_card(client.get(reverse("tasks:run_step", args=[project.pk, r.pk, first.pk])).content.decode())
    when = timezone.localtime(done.actual_end).strftime("%Y-%m-%d %H:%M")
    assert f"Done at {when} by {display_name(ops)}." in card and "<form" not in card

    card = _act_card(client.get(reverse("tasks:run_step", args=[project.pk, r.pk, second.pk])).content.decode())
    when = timezone.localtime(skipped.actual_end).strftime("%Y-%m-%d %H:%M")
    assert f"Skipped at {when} by {display_name(users['manager'])}." in card


def test_a_long_runbook_is_paged_and_takes_dependencies_by_number(client, project, users):
    from tasks.forms import STEP_SELECT_LIMIT
    from tasks.views import RUNBOOK_PAGE
    rb = runbook(project, users["ops"])
    steps = chain(rb, users["ops"], max(STEP_SELECT_LIMIT, RUNBOOK_PAGE) + 5, minutes=1)
    client.force_login(users["ops"])
    url = reverse("tasks:runbook", args=[project.pk, rb.pk])
    first = client.get(url).content.decode()
    assert f"{len(steps)} steps" in first and "Page 1 of 2" in first
    assert "<select" not in first.split('id="id_depends_on"')[0][-200:] and 'placeholder="12, 40-42"' in first
    # The plan covers all steps, not the page: the duration shown is the critical path of the whole chain
    # (its planned minutes, a figure of the plan, not a measured time).
    from projects.templatetags.liftoff import minutes
    from tasks.selectors import runbook_plan

    planned = runbook_plan(runbook=rb)["minutes"]
    assert planned == sum(s.planned_minutes for s in steps)  # a chain: every step is on the critical path
    assert f'class="runbook-duration">{minutes(planned)}<' in first
    last = htmx(client, url + "?page=2").content.decode()
    assert f"Step {len(steps)}" in last and "<html" not in last
    # A new step after steps 3 and 5–6, by number.
    response = client.post(url, {"title": "Verify", "category": "verification", "planned_minutes": 5,
                                 "depends_on": "3, 5-6", "page": "99"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Verify" in response.content.decode()  # the last page shows it
    new = rb.steps.get(title="Verify")
    assert [d.title for d in new.depends_on.order_by("order")] == ["Step 3", "Step 5", "Step 6"]
    # A number past the end is refused and nothing is saved.
    response = client.post(url, {"title": "Bad", "category": "verification", "planned_minutes": 5,
                                 "depends_on": f"2, {len(steps) + 9}"}, headers={"HX-Request": "true"})
    assert "There is no step" in response.content.decode() and not rb.steps.filter(title="Bad").exists()
    response = client.post(url, {"title": "Bad", "category": "verification", "planned_minutes": 5,
                                 "depends_on": "two"}, headers={"HX-Request": "true"})
    assert "Give step numbers" in response.content.decode() and not rb.steps.filter(title="Bad").exists()


def test_a_long_checklist_shows_each_phases_first_items_and_pages_a_phase(client, project, users):
    from tasks.selectors import WORKITEMS_PAGE, WORKITEMS_PER_PHASE
    now = timezone.now()
    for i in range(WORKITEMS_PAGE + 5):
        services.workitem_create(actor=users["ops"], project=project, title=f"Check {i:03d}", owner=users["ops"],
                                 due_at=now + timedelta(hours=i))
    services.workitem_create(actor=users["ops"], project=project, title="Run the drill", phase="testing")
    client.force_login(users["manager"])
    url = reverse("tasks:workitems", args=[project.pk])
    page = client.get(url).content.decode()
    assert f"Check {WORKITEMS_PER_PHASE - 1:03d}" in page and f"Check {WORKITEMS_PER_PHASE:03d}" not in page
    assert "Run the drill" in page and f"All {WORKITEMS_PAGE + 5} items of Preparation" in page
    assert f"0/{WORKITEMS_PAGE + 5}" in page  # the counts are of every item, not the ones shown
    second = htmx(client, url + "?phase=preparation&page=2").content.decode()
    assert "<html" not in second and f"Check {WORKITEMS_PAGE:03d}" in second and "Check 000" not in second
    assert "Run the drill" not in second and "All phases" in second and "Page 2 of 2" in second


def test_rehearsal_comparison_pages_filters_over_plan_and_adopts_one_step(client, project, users):
    from tasks.selectors import COMPARISON_PAGE
    ops = users["ops"]
    rb = runbook(project, ops)
    steps = chain(rb, ops, COMPARISON_PAGE + 3, minutes=10)
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=2)
    play(run(rb, ops, planned_start=start), ops, {"Step 2": 25, f"Step {COMPARISON_PAGE + 2}": 30})
    client.force_login(ops)
    url = reverse("tasks:compare", args=[project.pk, rb.pk])
    full = client.get(url).content.decode()
    assert f"All steps ({COMPARISON_PAGE + 3})" in full and "Over plan in a rehearsal (2)" in full
    assert "Page 1 of 2" in full and full.count('name="csrfmiddlewaretoken"') < 10  # one form for the table, not one a row
    over = htmx(client, url + "?over=1").content.decode()
    assert "<html" not in over and "<td>Step 2 " in over and f"<td>Step {COMPARISON_PAGE + 2} " in over
    assert "<td>Step 1<" not in over
    _, few = count_queries(lambda: htmx(client, url + "?over=1"))
    _, many = count_queries(lambda: htmx(client, url))
    assert few == many
    response = client.post(url, {"step": steps[1].pk, "next": url + "?over=1"})
    assert response.status_code == 302 and response["Location"] == url + "?over=1"
    steps[1].refresh_from_db()
    steps[0].refresh_from_db()
    assert steps[1].planned_minutes == 25 and steps[0].planned_minutes == 10


def test_runbook_page_shows_the_critical_path_as_duration_and_the_sum_only_as_effort(client, project, users):
    from projects.templatetags.liftoff import minutes

    rb = runbook(project, users["ops"])
    a = step(rb, users["ops"], "Freeze", 60)
    step(rb, users["ops"], "Migrate A", 120, deps=[a])
    step(rb, users["ops"], "Migrate B", 300, deps=[a])
    client.force_login(users["ops"])
    body = client.get(reverse("tasks:runbook", args=[project.pk, rb.pk])).content.decode()
    # Parallel migrations: 6 h on the critical path, 8 h of work.
    assert f'Duration <strong class="runbook-duration">{minutes(360)}</strong>' in body
    assert f"Effort {minutes(480)}" in body
    listing = client.get(reverse("tasks:runbooks", args=[project.pk])).content.decode()
    assert minutes(360) in listing and minutes(480) in listing
