import pytest
from django.urls import reverse

from defects import services
from defects.models import Defect, DefectAttachment, DefectComment, TestCycle
from tests.defects.factories import PNG, REPORT, case, cycle, defect_in, file_defect, managers_triage
from tests.projects.factories import member
from tests.utils import count_queries, htmx

pytestmark = pytest.mark.django_db

ROLES = ["manager", "developer", "tester", "business", "ops", "trainer", "staff"]


@pytest.fixture
def data(project, users):
    d = file_defect(project, users["tester"], assignee=users["developer"])
    c = case(project, users["tester"])
    cy = cycle(project, users["tester"])
    return {"defect": d, "case": c, "cycle": cy}


def _pages(project, data):
    pk = project.pk
    return [
        reverse("defects:list", args=[pk]), reverse("defects:board", args=[pk]), reverse("defects:file", args=[pk]),
        reverse("defects:detail", args=[pk, data["defect"].pk]), reverse("defects:metrics", args=[pk]),
        reverse("defects:cycles", args=[pk]), reverse("defects:cycle", args=[pk, data["cycle"].pk]),
        reverse("defects:cases", args=[pk]),
    ]


def test_pages_permission_matrix(client, project, users, outsider, data):
    for url in _pages(project, data):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        for role in ROLES:
            client.force_login(users[role])
            # Branch staff who hold no other role: only the filing page (to report a hypercare incident).
            expected = 403 if role == "staff" and "/new/" not in url else 200
            assert client.get(url).status_code == expected, (url, role)
        client.force_login(outsider)
        assert client.get(url).status_code == 404, url
        client.logout()


def test_sla_page_is_for_managers(client, project, users, outsider):
    url = reverse("defects:sla", args=[project.pk])
    for role in ROLES:
        client.force_login(users[role])
        assert client.get(url).status_code == (200 if role == "manager" else 403), role
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_manager_changes_sla_from_page(client, project, users):
    client.force_login(users["manager"])
    url = reverse("defects:sla", args=[project.pk])
    assert client.post(url, {"severity": "major", "triage_hours": 8, "fix_hours": 48}).status_code == 302
    bad = client.post(url, {"severity": "major", "triage_hours": 8, "fix_hours": 4})
    assert bad.status_code == 400 and "cannot be shorter" in bad.content.decode()


def test_security_defect_page_hidden_from_other_roles(client, project, users):
    sec = file_defect(project, users["tester"], category="security", title="XSS in remarks")
    url = reverse("defects:detail", args=[project.pk, sec.pk])
    for role in ROLES:
        client.force_login(users[role])
        expected = 200 if role in ("manager", "tester", "developer", "ops") else 403 if role == "staff" else 404
        assert client.get(url).status_code == expected, role
        if role == "staff":
            continue  # the testing area is closed to them as a whole
        listed = "XSS in remarks" in client.get(reverse("defects:list", args=[project.pk])).content.decode()
        assert listed == (expected == 200), role


def test_list_full_page_and_htmx_partial_with_filters(client, project, users):
    file_defect(project, users["tester"], title="Critical one", severity="critical")
    file_defect(project, users["tester"], title="Minor one", severity="minor")
    client.force_login(users["manager"])
    url = reverse("defects:list", args=[project.pk])
    full = client.get(url)
    assert b"<html" in full.content and b'id="defect-table"' in full.content and b"bulk-form" in full.content
    part = htmx(client, url, data={"severity": "critical"}).content.decode()
    assert "<html" not in part and 'id="defect-table"' in part
    assert "Critical one" in part and "Minor one" not in part


def test_html_in_titles_is_escaped(client, project, users):
    d = file_defect(project, users["tester"], title="<script>alert(1)</script>", steps="<img src=x onerror=y>")
    client.force_login(users["tester"])
    for url in (reverse("defects:list", args=[project.pk]), reverse("defects:detail", args=[project.pk, d.pk]),
                reverse("defects:board", args=[project.pk])):
        body = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url
    assert Defect.objects.get(pk=d.pk).title == "<script>alert(1)</script>"


def test_filing_form_keeps_input_on_error(client, project, users):
    client.force_login(users["tester"])
    url = reverse("defects:file", args=[project.pk])
    data = {**REPORT, "actual_result": "", "priority": "high", "found_in": "testing", "title": "Keep me please"}
    response = client.post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="Keep me please"' in body and "This field is required" in body
    assert not Defect.objects.exists()
    ok = client.post(url, {**data, "actual_result": "3 decimals"})
    d = Defect.objects.get()
    assert ok.status_code == 302 and ok["Location"] == reverse("defects:detail", args=[project.pk, d.pk])
    assert d.reporter == users["tester"] and d.status == "new"


def test_staff_files_hypercare_incident_from_page(client, project, users):
    client.force_login(users["staff"])
    url = reverse("defects:file", args=[project.pk])
    form = client.get(url).content.decode()
    assert 'value="testing"' not in form  # only hypercare is offered to staff
    response = client.post(url, {**REPORT, "priority": "medium", "found_in": "hypercare", "customers_affected": 40,
                                 "branches_affected": 3})
    assert response.status_code == 302
    assert Defect.objects.get().customers_affected == 40
    bad = client.post(url, {**REPORT, "priority": "medium", "found_in": "testing"})
    assert bad.status_code == 400 and Defect.objects.count() == 1
    sec = client.post(url, {**REPORT, "category": "security", "priority": "medium", "found_in": "hypercare"})
    # Staff do not follow defects (the testing area is not theirs): after filing they go back home.
    assert sec.status_code == 302 and sec["Location"] == reverse("projects:home", args=[project.pk])
    assert Defect.objects.filter(category="security", reporter=users["staff"]).exists()


def test_file_from_failed_result_is_prefilled(client, project, users, data):
    r = data["cycle"].results.get(case=data["case"])
    services.result_record(actor=users["tester"], result=r, status="failed", note="balance off by 0.01")
    client.force_login(users["tester"])
    url = reverse("defects:file", args=[project.pk]) + f"?result={data['cycle'].pk}-{r.pk}"
    body = client.get(url).content.decode()
    assert "balance off by 0.01" in body and data["case"].code in body
    cycle_page = client.get(reverse("defects:cycle", args=[project.pk, data["cycle"].pk])).content.decode()
    assert f"?result={data['cycle'].pk}-{r.pk}" in cycle_page


def test_transition_from_detail_page_and_illegal_message(client, project, users, data):
    d = data["defect"]
    url = reverse("defects:transition", args=[project.pk, d.pk])
    client.force_login(users["manager"])
    assert client.post(url, {"to": "open", "comment": "triaged"}).status_code == 302
    bad = client.post(url, {"to": "closed", "comment": "x"})
    assert bad.status_code == 400
    d.refresh_from_db()
    assert d.status == "open"
    client.force_login(users["tester"])
    assert client.post(url, {"to": "in_progress"}).status_code == 403
    client.force_login(users["developer"])
    assert client.post(url, {"to": "in_progress"}).status_code == 302
    d.refresh_from_db()
    assert d.status == "in_progress"


def test_board_htmx_transition_returns_board(client, project, users, data):
    d = data["defect"]
    client.force_login(users["manager"])
    board = client.get(reverse("defects:board", args=[project.pk])).content.decode()
    assert f'id="card-{d.pk}"' in board and "→ Open" in board
    response = client.post(reverse("defects:transition", args=[project.pk, d.pk]), {"to": "open", "from": "board"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="board"' in response.content.decode()
    assert "<html" not in response.content.decode() and "defects-changed" in response["HX-Trigger"]
    d.refresh_from_db()
    assert d.status == "open"
    part = htmx(client, reverse("defects:board", args=[project.pk])).content.decode()
    assert "<html" not in part and 'id="board"' in part


def test_comment_and_assign_and_bulk(client, project, users, data):
    d = data["defect"]
    client.force_login(users["business"])
    assert client.post(reverse("defects:comment", args=[project.pk, d.pk]), {"text": "Seen at branch 12"}) \
        .status_code == 302
    assert DefectComment.objects.get().author == users["business"]
    assert client.post(reverse("defects:comment", args=[project.pk, d.pk]), {"text": ""}).status_code == 400
    assert client.post(reverse("defects:assign", args=[project.pk, d.pk]),
                       {"assignee": users["developer"].pk}).status_code == 403
    client.force_login(users["manager"])
    other = member(project, "developer")
    assert client.post(reverse("defects:assign", args=[project.pk, d.pk]), {"assignee": other.pk}).status_code == 302
    d.refresh_from_db()
    assert d.assignee == other
    e = file_defect(project, users["tester"], title="second")
    response = client.post(reverse("defects:bulk", args=[project.pk]),
                           {"defects": [d.pk, e.pk], "assignee": users["developer"].pk, "open_new": "on"})
    assert response.status_code == 302
    assert set(Defect.objects.values_list("status", flat=True)) == {"open"}
    client.force_login(users["developer"])
    assert client.post(reverse("defects:bulk", args=[project.pk]), {"defects": [d.pk]}).status_code == 403
    managers_triage(project)
    client.force_login(users["tester"])
    assert client.post(reverse("defects:bulk", args=[project.pk]), {"defects": [d.pk]}).status_code == 403


def test_attachment_upload_and_download_access(client, project, users, outsider, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    d = data_defect = file_defect(project, users["tester"])
    client.force_login(users["business"])
    url = reverse("defects:attach", args=[project.pk, d.pk])
    assert client.post(url, {"file": SimpleUploadedFile("x.png", b"<html>")}).status_code == 400
    assert not DefectAttachment.objects.exists()
    assert client.post(url, {"file": SimpleUploadedFile("shot.png", PNG)}).status_code == 302
    a = DefectAttachment.objects.get()
    download = reverse("defects:attachment", args=[project.pk, data_defect.pk, a.pk])
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment") and "shot.png" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PNG
    client.force_login(outsider)
    assert client.get(download).status_code == 404
    client.logout()
    assert client.get(download).status_code == 302
    settings.UPLOAD_MAX_BYTES = 10
    client.force_login(users["tester"])
    big = client.post(url, {"file": SimpleUploadedFile("big.log", b"x" * 11)})
    assert big.status_code == 400 and "at most" in big.content.decode()


def test_security_attachment_hidden_from_staff(client, project, users):
    sec = file_defect(project, users["tester"], category="security")
    from django.core.files.uploadedfile import SimpleUploadedFile

    a = services.attachment_add(actor=users["tester"], defect=sec, upload=SimpleUploadedFile("s.png", PNG))
    client.force_login(users["business"])
    assert client.get(reverse("defects:attachment", args=[project.pk, sec.pk, a.pk])).status_code == 404
    client.force_login(users["staff"])  # no testing area at all for staff-only members
    assert client.get(reverse("defects:attachment", args=[project.pk, sec.pk, a.pk])).status_code == 403


def test_cycle_page_records_result_with_htmx(client, project, users, data):
    cy, c = data["cycle"], data["case"]
    r = cy.results.get(case=c)
    url = reverse("defects:result", args=[project.pk, cy.pk, r.pk])
    client.force_login(users["developer"])
    assert client.post(url, {"status": "passed"}).status_code == 403
    client.force_login(users["tester"])
    response = client.post(url, {"status": "passed"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and f'id="result-{r.pk}"' in body and "<html" not in body
    bad = client.post(url, {"status": "failed", "note": ""}, headers={"HX-Request": "true"})
    assert bad.status_code == 400 and "Say what failed" in bad.content.decode()
    r.refresh_from_db()
    assert r.status == "passed"
    part = htmx(client, reverse("defects:cycle", args=[project.pk, cy.pk]), data={"status": "passed"})
    assert "<html" not in part.content.decode() and c.code in part.content.decode()


def test_plan_cycle_and_add_case_from_pages(client, project, users):
    client.force_login(users["tester"])
    response = client.post(reverse("defects:cycles", args=[project.pk]),
                           {"name": "UAT", "kind": "uat", "planned_start": "2027-01-10", "planned_end": "2027-01-05",
                            "status": "planned"})
    assert response.status_code == 400 and not TestCycle.objects.exists()
    assert client.post(reverse("defects:cases", args=[project.pk]),
                       {"title": "Open account", "kind": "functional", "steps": "1.", "expected_result": "ok"}) \
        .status_code == 302
    client.force_login(users["staff"])
    assert client.post(reverse("defects:cases", args=[project.pk]), {"title": "x"}).status_code == 403


def _grow(project, users, n=50):
    dev2 = member(project, "developer")
    cy = TestCycle.objects.filter(project=project).first()
    for i in range(n):
        d = file_defect(project, users["tester"], assignee=dev2 if i % 2 else users["developer"], cycle=cy,
                        severity=["critical", "major", "minor"][i % 3])
        if i % 5 == 0:
            defect_in(project, "closed", reporter=users["tester"], assignee=dev2)
        assert d.pk


@pytest.mark.parametrize("name", ["defects:list", "defects:board", "defects:metrics", "defects:cycles",
                                  "defects:cases"])
def test_page_query_count_constant(client, project, users, data, name):
    client.force_login(users["manager"])
    url = reverse(name, args=[project.pk])
    _, few = count_queries(lambda: client.get(url))
    _grow(project, users)
    for i in range(50):
        case(project, users["tester"], title=f"case {i}")
        cycle(project, users["tester"], name=f"cycle {i}") if i % 10 == 0 else None
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and few == many, (few, many)


def test_cycle_page_query_count_constant(client, project, users, data):
    client.force_login(users["tester"])
    cy = data["cycle"]
    url = reverse("defects:cycle", args=[project.pk, cy.pk])
    _, few = count_queries(lambda: client.get(url))
    for i in range(50):
        case(project, users["tester"], title=f"case {i}")
    for r in cy.results.all()[:20]:
        services.result_record(actor=users["tester"], result=r, status="failed", note="x")
        file_defect(project, users["tester"], test_result=r)
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and few == many, (few, many)


def test_cycle_page_paginates_results_and_names_the_executor(client, project, users, data):
    tester = users["tester"]
    tester.first_name, tester.last_name = "Mei", "Lin"
    tester.save(update_fields=["first_name", "last_name"])
    cy = data["cycle"]
    for i in range(59):
        case(project, tester, title=f"case {i}")
    assert cy.results.count() == 60
    for r in cy.results.order_by("case__code")[:55]:
        services.result_record(actor=tester, result=r, status="passed", note="")
    client.force_login(tester)
    url = reverse("defects:cycle", args=[project.pk, cy.pk])
    first = client.get(url).content.decode()
    assert first.count('<tr id="result-') == 50 and "Page 1 of 2" in first
    assert "Mei Lin" in first and f">{tester.username}<" not in first
    second = htmx(client, url, data={"page": 2}).content.decode()
    assert "<html" not in second and second.count('<tr id="result-') == 10 and "Page 2 of 2" in second
    # The status filter narrows before paging and the pager keeps it.
    passed = htmx(client, url, data={"status": "passed"}).content.decode()
    assert passed.count('<tr id="result-') == 50 and "status=passed&amp;page=2" in passed
    last = htmx(client, url, data={"status": "passed", "page": 2}).content.decode()
    assert last.count('<tr id="result-') == 5 and 'class="res-passed"' in last and "res-not_run" not in last


def test_board_folds_closed_and_rejected_columns(client, project, users, data):
    closed = defect_in(project, "closed", reporter=users["tester"], assignee=users["developer"])
    rejected = defect_in(project, "rejected", reporter=users["tester"], assignee=users["developer"])
    client.force_login(users["manager"])
    url = reverse("defects:board", args=[project.pk])
    body = client.get(url).content.decode()
    assert body.count('<details class="board-fold">') == 2
    fold = body.index('<details class="board-fold">')
    assert body.index(f'id="card-{closed.pk}"') > fold and body.index(f'id="card-{data["defect"].pk}"') < fold
    assert f'id="card-{rejected.pk}"' in body and "?status=closed" in body and "?status=rejected" in body
    # The htmx filter still answers with the board, folded, and the list links keep the filter.
    part = htmx(client, url, data={"severity": closed.severity}).content.decode()
    assert "<html" not in part and 'id="board"' in part and "board-fold" in part
    assert f"severity={closed.severity}&amp;status=closed" in part


def test_metrics_legend_matches_pass_rate_bar_tones(client, project, users, data):
    cy = data["cycle"]
    for i in range(3):
        case(project, users["tester"], title=f"case {i}")
    for r in cy.results.order_by("case__code")[:3]:  # 3 of 4 passed: 75 %
        services.result_record(actor=users["tester"], result=r, status="passed", note="")
    client.force_login(users["tester"])
    body = client.get(reverse("defects:metrics", args=[project.pk])).content.decode()
    assert 'class="passed warn"' in body and 'class="passed good"' not in body
    for tone in ("good", "warn", "bad"):
        assert f'<span class="dot pass {tone}"></span>' in body
    assert "passed, 60–94%" in body


def test_detail_page_shows_report_history_and_transitions(client, project, users, data):
    d = defect_in(project, "fixed", reporter=users["tester"], assignee=users["developer"])
    client.force_login(users["tester"])
    body = client.get(reverse("defects:detail", args=[project.pk, d.pk])).content.decode()
    for text in (REPORT["steps"].split("\n")[0], REPORT["expected_result"], "Verified", "Reopened", "History",
                 "Transitions"):
        assert text in body, text


def test_edit_page_permissions_and_save(client, project, users):
    d = file_defect(project, users["tester"])
    url = reverse("defects:edit", args=[project.pk, d.pk])
    for role in ROLES:
        client.force_login(users[role])
        assert client.get(url).status_code == (200 if role in ("manager", "tester") else 403), role
    client.force_login(users["tester"])
    data = {**REPORT, "priority": "high", "found_in": "hypercare", "customers_affected": 3, "title": "Re-titled"}
    assert client.post(url, data).status_code == 302
    d.refresh_from_db()
    assert (d.title, d.found_in, d.customers_affected) == ("Re-titled", "hypercare", 3)
    bad = client.post(url, {**data, "steps": ""})
    assert bad.status_code == 400
    d.refresh_from_db()
    assert d.steps == REPORT["steps"]
    from tests.defects.factories import requirement

    req = requirement(project, users["business"])
    assert client.post(url, {**data, "requirement": req.pk}).status_code == 302
    d.refresh_from_db()
    assert d.requirement == req


def test_board_shows_the_first_cards_of_each_column_and_brings_more_in_place(client, project, users, data):
    from defects.selectors import BOARD_CARDS

    for i in range(BOARD_CARDS + 4):
        defect_in(project, "open", reporter=users["tester"], assignee=users["developer"], title=f"open {i}")
    client.force_login(users["manager"])
    url = reverse("defects:board", args=[project.pk])
    body = client.get(url).content.decode()
    opened = body[body.index("st-col-open"):body.index("st-col-in_progress")]
    assert opened.count('class="board-card') == BOARD_CARDS and ">Show 4 more…<" in opened
    assert f"{BOARD_CARDS + 4}</span>" in opened  # the count is every open defect, not the cards shown
    more = htmx(client, url, data={"column": "open", "offset": BOARD_CARDS}).content.decode()
    assert "<html" not in more and 'id="board"' not in more
    assert more.count('class="board-card') == 4 and "Show" not in more
    # filters carry over: a search that matches two of the open ones
    part = htmx(client, url, data={"column": "open", "offset": 0, "q": "open 1"}).content.decode()
    assert part.count('class="board-card') == len([i for i in range(BOARD_CARDS + 4) if str(i).startswith("1")])
