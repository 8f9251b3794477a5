"""The risk register: services (rating, owner, workflow, review), selectors (filters, heat map), the
criterion `critical_risks_mitigated`, the review reminder, pages (full and htmx partial), exports,
the API (permission matrix, bad input, constant query counts)."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from openpyxl import load_workbook

from projects.errors import DomainError
from readiness import charts, exports, selectors, services
from readiness.models import Risk, RiskStatus, level_of
from readiness.readiness_criteria import critical_risks_mitigated
from readiness.reminders import risk_reviews_due
from tests.utils import api_as, count_queries, htmx

pytestmark = pytest.mark.django_db


def make(project, actor, owner, **kw):
    fields = {"title": "Core database fails", "category": "technical", "likelihood": 3, "impact": 4,
              "owner": owner, "mitigation": "", "trigger": ""} | kw
    return services.risk_create(actor=actor, project=project, **fields)


@pytest.fixture
def risk(project, users):
    return make(project, users["manager"], users["ops"], mitigation="Hot standby")


# ----- services --------------------------------------------------------------------------------

@pytest.mark.parametrize(("likelihood", "impact", "level"), [
    (1, 1, "low"), (2, 2, "low"), (1, 5, "medium"), (3, 3, "medium"), (2, 5, "high"), (4, 4, "high"),
    (4, 5, "critical"), (5, 5, "critical")])
def test_score_and_level_follow_the_rating(project, users, likelihood, impact, level):
    r = make(project, users["manager"], users["ops"], likelihood=likelihood, impact=impact)
    assert (r.score, r.level) == (likelihood * impact, level)
    assert Risk.objects.get(pk=r.pk).score == likelihood * impact


def test_every_product_of_two_ratings_has_a_level():
    assert {level_of(a * b) for a in range(1, 6) for b in range(1, 6)} == {"low", "medium", "high", "critical"}


@pytest.mark.parametrize(("field", "value"), [("likelihood", 0), ("likelihood", 6), ("impact", 0), ("impact", 6),
                                              ("impact", True), ("category", "weather"), ("title", "  ")])
def test_bad_rating_or_category_is_refused_and_nothing_saved(project, users, field, value):
    with pytest.raises(DomainError) as exc:
        make(project, users["manager"], users["ops"], **{field: value})
    assert exc.value.field == field
    assert not Risk.objects.exists()


def test_owner_must_be_a_member(project, users, outsider):
    with pytest.raises(DomainError) as exc:
        make(project, users["manager"], outsider)
    assert exc.value.field == "owner" and not Risk.objects.exists()


def test_only_the_manager_enters_risks(project, users):
    with pytest.raises(DomainError) as exc:
        make(project, users["ops"], users["ops"])
    assert exc.value.code == "permission" and not Risk.objects.exists()


def test_update_recomputes_the_score_and_records_history(risk, users):
    services.risk_update(actor=users["ops"], risk=risk, likelihood=5, impact=5, mitigation="Standby + drills")
    risk.refresh_from_db()
    assert (risk.score, risk.level, risk.mitigation) == (25, "critical", "Standby + drills")
    last = risk.history.first()
    assert last.history_user == users["ops"] and last.score == 25


def test_owner_may_not_hand_over_or_rename(risk, users):
    with pytest.raises(DomainError) as exc:
        services.risk_update(actor=users["ops"], risk=risk, owner=users["tester"])
    assert exc.value.code == "permission"
    with pytest.raises(DomainError):
        services.risk_update(actor=users["tester"], risk=risk, mitigation="not mine")
    risk.refresh_from_db()
    assert risk.owner == users["ops"] and risk.mitigation == "Hot standby"


def test_update_refuses_unknown_fields_and_bad_values(risk, users):
    with pytest.raises(DomainError):
        services.risk_update(actor=users["manager"], risk=risk, score=1)
    with pytest.raises(DomainError):
        services.risk_update(actor=users["manager"], risk=risk, impact=9)
    risk.refresh_from_db()
    assert risk.score == 12


def test_workflow(risk, users):
    services.risk_transition(actor=users["ops"], risk=risk, to="mitigating")
    services.risk_transition(actor=users["ops"], risk=risk, to="closed", comment="done")
    risk.refresh_from_db()
    assert risk.status == RiskStatus.CLOSED and risk.status_note == "done"
    with pytest.raises(DomainError):  # closed → mitigating is not a move; reopen first
        services.risk_transition(actor=users["ops"], risk=risk, to="mitigating")
    services.risk_transition(actor=users["manager"], risk=risk, to="open")
    assert Risk.objects.get(pk=risk.pk).status == "open"


def test_mitigating_needs_a_written_mitigation(project, users):
    r = make(project, users["manager"], users["ops"])
    with pytest.raises(DomainError) as exc:
        services.risk_transition(actor=users["ops"], risk=r, to="mitigating")
    assert exc.value.field == "to" and Risk.objects.get(pk=r.pk).status == "open"


def test_occurred_needs_what_happened_or_a_link(risk, users, project):
    with pytest.raises(DomainError) as exc:
        services.risk_transition(actor=users["ops"], risk=risk, to="occurred")
    assert exc.value.field == "comment"
    with pytest.raises(DomainError) as exc:
        services.risk_transition(actor=users["ops"], risk=risk, to="occurred", incident_url="javascript:alert(1)")
    assert exc.value.field == "incident_url"
    assert Risk.objects.get(pk=risk.pk).status == "open"
    link = f"/projects/{project.pk}/cutover/issues/1/"
    services.risk_transition(actor=users["ops"], risk=risk, to="occurred", incident_url=link)
    risk.refresh_from_db()
    assert (risk.status, risk.incident_url) == ("occurred", link)


def test_review_sets_the_next_date_and_may_rerate(risk, users):
    now = timezone.now()
    with pytest.raises(DomainError) as exc:
        services.risk_review(actor=users["ops"], risk=risk, next_review_on=timezone.localdate())
    assert exc.value.field == "next_review_on"
    services.risk_review(actor=users["ops"], risk=risk, next_review_on=timezone.localdate() + timedelta(days=7),
                         likelihood=1, now=now)
    risk.refresh_from_db()
    assert risk.reviewed_at == now and risk.score == 4 and risk.review_on == timezone.localdate() + timedelta(days=7)


# ----- selectors, heat map, criterion, reminder -----------------------------------------------

def test_register_filters(project, users):
    a = make(project, users["manager"], users["ops"], likelihood=5, impact=5, category="data")
    b = make(project, users["manager"], users["tester"], likelihood=1, impact=2)
    c = make(project, users["manager"], users["ops"], likelihood=2, impact=5, mitigation="x")
    services.risk_transition(actor=users["manager"], risk=c, to="closed")
    ids = lambda **f: [r.pk for r in selectors.risk_register(project=project, filters=f)]  # noqa: E731
    assert ids() == [a.pk, c.pk, b.pk]
    assert ids(level="critical") == [a.pk]
    assert ids(category="data") == [a.pk]
    assert ids(owner=str(users["tester"].pk)) == [b.pk]
    assert ids(active="1") == [a.pk, b.pk]
    assert ids(likelihood="1", impact="2") == [b.pk]
    assert ids(level="bogus", owner="x") == [a.pk, c.pk, b.pk]
    assert selectors.risk_heat_map(project=project) == {(5, 5): 1, (1, 2): 1}


def test_heat_map_svg_has_25_cells_with_links_and_counts(project):
    svg = charts.heat_map({(5, 5): 3}, link=lambda li, im: f"/r/?likelihood={li}&impact={im}", title="Heat",
                          selected=(5, 5))
    assert svg.count("<rect") == 25
    assert 'class="heat heat-critical selected"' in svg and ">3</text>" in svg
    assert 'href="/r/?likelihood=1&amp;impact=1"' in svg and "hx-get=" in svg
    # An image may not hold links (axe: nested-interactive): the map is a labelled group of labelled links.
    assert 'role="group" aria-label="Heat"' in svg and 'role="img"' not in svg
    assert 'aria-label="5 × 5 = 25: 3"' in svg


def test_critical_risks_mitigated(project, users):
    assert critical_risks_mitigated(project, 0).passed
    r = make(project, users["manager"], users["ops"], likelihood=4, impact=5)
    make(project, users["manager"], users["ops"], likelihood=4, impact=4)  # high, not critical
    result = critical_risks_mitigated(project, 0)
    assert (result.value, result.passed) == (1, False)
    services.risk_update(actor=users["manager"], risk=r, mitigation="Failover tested")
    services.risk_transition(actor=users["manager"], risk=r, to="mitigating")
    assert critical_risks_mitigated(project, 0).passed
    services.risk_transition(actor=users["manager"], risk=r, to="occurred", comment="It happened")
    assert not critical_risks_mitigated(project, 0).passed


def test_review_reminder_goes_to_the_owner_once_per_date(project, users):
    with freeze_time("2026-12-01 08:00"):
        today = timezone.localdate()
        due = make(project, users["manager"], users["ops"], review_on=today + timedelta(days=1))
        make(project, users["manager"], users["ops"], review_on=today + timedelta(days=5))
        late = make(project, users["manager"], users["tester"], review_on=today - timedelta(days=2))
        closed = make(project, users["manager"], users["ops"], review_on=today, mitigation="x")
        services.risk_transition(actor=users["manager"], risk=closed, to="closed")
        found = {r.subject.pk: r for r in risk_reviews_due(now=timezone.now())}
    assert set(found) == {due.pk, late.pk}
    assert found[late.pk].recipient == users["tester"] and "was due" in str(found[late.pk].message)
    assert found[due.pk].dedupe_key == f"risk_review_due:{due.pk}:{due.review_on:%Y%m%d}"


def test_sweep_writes_one_notification_per_review(project, users):
    from notifications.models import Notification
    from notifications.services import sweep

    make(project, users["manager"], users["ops"], review_on=timezone.localdate())
    sweep(enqueue=False, kinds=["risk_review_due"])
    sweep(enqueue=False, kinds=["risk_review_due"])
    assert Notification.objects.filter(kind="risk_review_due", recipient=users["ops"]).count() == 1


# ----- pages -------------------------------------------------------------------------------------

def test_page_permission_matrix(client, project, users, outsider, risk):
    url = reverse("readiness:risks", args=[project.pk])
    detail = reverse("readiness:risk", args=[project.pk, risk.pk])
    assert client.get(url).status_code == 302  # anonymous → login
    for role, code in {"manager": 200, "ops": 200, "developer": 200, "tester": 200, "business": 200,
                       "trainer": 403, "staff": 403}.items():
        client.force_login(users[role])
        assert client.get(url).status_code == code, role
        assert client.get(detail).status_code == code, role
    client.force_login(outsider)
    assert client.get(url).status_code == 404 and client.get(detail).status_code == 404


def test_a_trainer_who_owns_a_risk_sees_the_register(client, project, users):
    make(project, users["manager"], users["trainer"], title="Staff not trained")
    client.force_login(users["trainer"])
    assert client.get(reverse("readiness:risks", args=[project.pk])).status_code == 200


def test_page_full_and_partial(client, project, users, risk):
    client.force_login(users["manager"])
    url = reverse("readiness:risks", args=[project.pk])
    full = client.get(url).content.decode()
    assert "<svg" in full and "Core database fails" in full and "<html" in full and 'name="likelihood"' in full
    part = htmx(client, url + "?likelihood=3&impact=4").content.decode()
    assert "<html" not in part and 'id="risk-table"' in part and "Core database fails" in part
    assert "Core database fails" not in htmx(client, url + "?level=low").content.decode()


def test_manager_enters_a_risk_on_the_page_and_bad_input_is_400(client, project, users):
    client.force_login(users["manager"])
    url = reverse("readiness:risks", args=[project.pk])
    bad = client.post(url, {"title": "Link down", "category": "network", "likelihood": "6", "impact": "3",
                            "owner": users["ops"].username})
    assert bad.status_code == 400 and not Risk.objects.exists()
    ok = client.post(url, {"title": "Link down", "category": "network", "likelihood": "2", "impact": "3",
                           "owner": users["ops"].username})
    risk = Risk.objects.get()
    assert ok.status_code == 302 and ok.url == reverse("readiness:risk", args=[project.pk, risk.pk])
    assert (risk.score, risk.owner, risk.created_by) == (6, users["ops"], users["manager"])
    client.force_login(users["ops"])
    assert client.post(url, {"title": "x", "category": "network", "likelihood": "2", "impact": "3",
                             "owner": users["ops"].username}).status_code == 403


def test_owner_works_the_risk_on_its_page(client, project, users, risk):
    client.force_login(users["ops"])
    base = reverse("readiness:risk", args=[project.pk, risk.pk])
    assert client.post(base + "transition/", {"to": "occurred"}).status_code == 400
    assert client.post(base + "transition/", {"to": "mitigating"}).status_code == 302
    nxt = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert client.post(base + "review/", {"next_review_on": nxt, "likelihood": "2", "impact": "4"}).status_code == 302
    risk.refresh_from_db()
    assert (risk.status, risk.score) == ("mitigating", 8)
    page = client.get(base).content.decode()
    assert "History" in page and 'name="title"' not in page  # the owner does not rename
    client.force_login(users["tester"])
    assert client.post(base + "transition/", {"to": "closed"}).status_code == 403


def test_page_query_count_is_constant(client, project, users):
    client.force_login(users["manager"])
    url = reverse("readiness:risks", args=[project.pk])
    make(project, users["manager"], users["ops"])
    _, one = count_queries(lambda: client.get(url))
    for i in range(49):
        make(project, users["manager"], users["tester" if i % 2 else "ops"], likelihood=1 + i % 5,
             impact=1 + (i // 5) % 5)
    _, fifty = count_queries(lambda: client.get(url))
    assert one == fifty


def test_exports_neutralise_formulas_and_keep_chinese(client, project, users):
    make(project, users["manager"], users["ops"], title="=HYPERLINK(\"x\") 数据泄露", mitigation="+1 加密")
    client.force_login(users["manager"])
    body = client.get(reverse("readiness:risks_csv", args=[project.pk])).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][1] == "Title" and rows[1][1].startswith("'=HYPERLINK") and rows[1][9] == "'+1 加密"
    xlsx = client.get(reverse("readiness:risks_xlsx", args=[project.pk]))
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert ws["B2"].value.startswith("'=") and ws["B2"].data_type == "s" and ws["F2"].value == 12
    client.force_login(users["staff"])
    assert client.get(reverse("readiness:risks_csv", args=[project.pk])).status_code == 403


def test_safe_cell():
    assert [exports.safe_cell(v) for v in ["=1", "-2", "@a", "\tx", "\rx", "ok", 5]] == [
        "'=1", "'-2", "'@a", "'\tx", "'\rx", "ok", 5]


# ----- API ---------------------------------------------------------------------------------------

def body(project, owner, **kw):
    return {"project": project.pk, "title": "Network outage", "category": "network", "likelihood": 2, "impact": 4,
            "owner": owner.pk, "mitigation": "Dual links", "trigger": "3 branches down"} | kw


def test_api_create_and_read(project, users):
    r = api_as(users["manager"]).post("/api/v1/risks/", body(project, users["ops"]), format="json")
    assert r.status_code == 201, r.json()
    data = r.json()
    assert (data["score"], data["level"], data["status"], data["owner"]) == (8, "medium", "open", users["ops"].pk)
    listed = api_as(users["ops"]).get(f"/api/v1/risks/?project={project.pk}&level=medium").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == data["id"]


def test_api_permission_matrix(project, users, outsider, risk):
    assert api_as().get("/api/v1/risks/").status_code in (401, 403)
    for role, code in {"manager": 201, "ops": 403, "tester": 403, "staff": 403}.items():
        r = api_as(users[role]).post("/api/v1/risks/", body(project, users["ops"]), format="json")
        assert r.status_code == code, (role, r.json())
    assert api_as(outsider).post("/api/v1/risks/", body(project, users["ops"]), format="json").status_code == 404
    assert api_as(outsider).get(f"/api/v1/risks/{risk.pk}/").status_code == 404
    assert api_as(outsider).get(f"/api/v1/risks/?project={project.pk}").status_code == 404
    assert api_as(users["staff"]).get(f"/api/v1/risks/{risk.pk}/").status_code == 403
    assert api_as(users["staff"]).get(f"/api/v1/risks/?project={project.pk}").json()["count"] == 0
    assert api_as(users["tester"]).patch(f"/api/v1/risks/{risk.pk}/", {"mitigation": "x"},
                                         format="json").status_code == 403
    assert api_as(users["ops"]).patch(f"/api/v1/risks/{risk.pk}/", {"impact": 5}, format="json").json()["score"] == 15
    assert api_as(users["manager"]).delete(f"/api/v1/risks/{risk.pk}/").status_code == 405


@pytest.mark.parametrize(("change", "field"), [
    ({"likelihood": 0}, "likelihood"), ({"likelihood": 6}, "likelihood"), ({"impact": "x"}, "impact"),
    ({"category": "weather"}, "category"), ({"owner": "abc"}, "owner"), ({"owner": 999999}, "owner"),
    ({"title": "x" * 201}, "title"), ({"project": "abc"}, "project"), ({"due": "soon"}, "due")])
def test_api_bad_input_is_400_naming_the_field(project, users, change, field):
    r = api_as(users["manager"]).post("/api/v1/risks/", body(project, users["ops"]) | change, format="json")
    assert r.status_code == 400 and field in r.json(), r.json()
    assert not Risk.objects.exists()


def test_api_owner_not_a_member_is_400(project, users, outsider):
    r = api_as(users["manager"]).post("/api/v1/risks/", body(project, outsider), format="json")
    assert r.status_code == 400 and "owner" in r.json() and not Risk.objects.exists()


def test_api_transition_and_review(project, users, risk):
    client = api_as(users["ops"])
    r = client.post(f"/api/v1/risks/{risk.pk}/transition/", {"to": "occurred"}, format="json")
    assert r.status_code == 400 and "comment" in r.json()
    r = client.post(f"/api/v1/risks/{risk.pk}/transition/", {"to": "occurred", "comment": "DB down 10 min"},
                    format="json")
    assert r.status_code == 200 and r.json()["status"] == "occurred"
    nxt = (timezone.localdate() + timedelta(days=2)).isoformat()
    r = client.post(f"/api/v1/risks/{risk.pk}/review/", {"next_review_on": nxt, "impact": 2}, format="json")
    assert r.status_code == 200 and r.json()["review_on"] == nxt and r.json()["score"] == 6
    assert client.post(f"/api/v1/risks/{risk.pk}/review/", {"next_review_on": nxt, "impact": 7},
                       format="json").status_code == 400


def test_api_list_query_count_is_constant(project, users):
    client = api_as(users["manager"])
    make(project, users["manager"], users["ops"])
    _, one = count_queries(lambda: client.get(f"/api/v1/risks/?project={project.pk}"))
    for _i in range(49):
        make(project, users["manager"], users["ops"])
    _, fifty = count_queries(lambda: client.get(f"/api/v1/risks/?project={project.pk}&page_size=100"))
    assert one == fifty
