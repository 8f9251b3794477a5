"""The go/no-go decision: frozen evidence, e-signed sign-offs, final decision, immutability, report."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from freezegun import freeze_time
from openpyxl import load_workbook

from projects.errors import DomainError
from readiness import exports, selectors
from readiness import services as gonogo
from readiness import services as readiness_services
from readiness.models import DecisionStatus, GoNoGoDecision, GoNoGoSignOff, SignatureFailure, Verdict
from tests.projects.factories import ProjectFactory
from tests.readiness.helpers import empty_registry, fixed
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    return empty_registry(monkeypatch)

PASSWORD = "correct-horse-battery"  # the factories' password
ROLES = ["manager", "business", "ops", "tester"]


@pytest.fixture
def meeting(registry, project, users):
    fixed("critical_defects", value=2, passed=False, url="/defects/", display="2 open")
    fixed("trained", value=97, passed=True, display="97%")
    return gonogo.gonogo_open(actor=users["manager"], project=project, title="Go/no-go 1", required_roles=ROLES)


def sign(decision, user, role, verdict=Verdict.GO, comment="", password=PASSWORD):
    return gonogo.gonogo_sign(decision=decision, actor=user, role=role, verdict=verdict, comment=comment,
                              password=password)


def sign_all(decision, users, verdict=Verdict.GO):
    for role in ROLES:
        sign(decision, users[role], role, verdict, comment="ok")


# ----- services ------------------------------------------------------------------------------


def test_opening_freezes_the_evidence(meeting, project):
    assert meeting.status == DecisionStatus.OPEN and meeting.score == 50 and not meeting.ready
    assert meeting.evidence["blockers"] == ["critical_defects"]
    # later changes to readiness do not change the meeting's evidence
    fixed("critical_defects", value=0, passed=True)
    meeting.refresh_from_db()
    assert meeting.evidence["blockers"] == ["critical_defects"] and meeting.score == 50
    assert selectors.evidence_blockers(meeting)[0]["display"] == "2 open"


def test_default_required_roles_come_from_the_project(registry, project, users):
    readiness_services.readiness_settings_set(actor=None, project=project, settings={},
                                              required_signoffs=["ops", "manager"])
    project.refresh_from_db()
    decision = gonogo.gonogo_open(actor=users["manager"], project=project, title="G")
    assert decision.required_roles == ["manager", "ops"]


def test_one_open_meeting_at_a_time_and_bad_input(meeting, project, users):
    with pytest.raises(DomainError, match="already open"):
        gonogo.gonogo_open(actor=users["manager"], project=project, title="Again")
    other = ProjectFactory()
    with pytest.raises(DomainError) as exc:
        gonogo.gonogo_open(actor=users["manager"], project=other, title="  ")
    assert exc.value.field == "title"
    with pytest.raises(DomainError) as exc:
        gonogo.gonogo_open(actor=users["manager"], project=other, title="X", required_roles=["wizard"])
    assert exc.value.field == "required_roles"
    assert GoNoGoDecision.objects.count() == 1


def test_wrong_password_is_refused_counted_and_nothing_signed(meeting, users):
    with pytest.raises(DomainError) as exc:
        sign(meeting, users["business"], "business", password="guess")
    assert exc.value.field == "password"
    assert not GoNoGoSignOff.objects.exists()
    assert SignatureFailure.objects.filter(user=users["business"], decision=meeting).count() == 1
    # the password is never stored anywhere on the records
    assert "guess" not in str(list(SignatureFailure.objects.values()))


def test_too_many_wrong_passwords_lock_signing(meeting, users):
    for _ in range(gonogo.MAX_SIGNATURE_FAILURES):
        with pytest.raises(DomainError):
            sign(meeting, users["ops"], "ops", password="nope")
    with pytest.raises(DomainError) as exc:
        sign(meeting, users["ops"], "ops")  # even the right password, while locked
    assert exc.value.code == "locked"
    with freeze_time(timezone.now() + gonogo.SIGNATURE_LOCK + timedelta(minutes=1)):
        assert sign(meeting, users["ops"], "ops").verdict == Verdict.GO


def test_only_listed_roles_held_by_the_signer_may_sign(meeting, project, users):
    with pytest.raises(DomainError, match="does not ask"):
        sign(meeting, users["trainer"], "trainer")
    with pytest.raises(DomainError, match="Only a member holding"):
        sign(meeting, users["manager"], "business")  # a manager cannot sign for the business
    sign(meeting, users["business"], "business")
    with pytest.raises(DomainError, match="already signed"):
        sign(meeting, users["business"], "business", Verdict.NO_GO, comment="changed my mind")
    assert GoNoGoSignOff.objects.get().verdict == Verdict.GO


def test_no_go_and_conditions_need_a_comment(meeting, users):
    with pytest.raises(DomainError) as exc:
        sign(meeting, users["tester"], "tester", Verdict.NO_GO)
    assert exc.value.field == "comment"
    with pytest.raises(DomainError):
        sign(meeting, users["tester"], "tester", Verdict.GO_WITH_CONDITIONS)
    with pytest.raises(DomainError) as exc:
        sign(meeting, users["tester"], "tester", "maybe")
    assert exc.value.field == "verdict"
    assert not GoNoGoSignOff.objects.exists()


def test_final_decision_needs_every_sign_off_and_no_go_blocks_a_go(meeting, users):
    manager = users["manager"]
    with pytest.raises(DomainError, match="Waiting for sign-offs"):
        gonogo.gonogo_finalize(decision=meeting, actor=manager, verdict=Verdict.GO, password=PASSWORD)
    for role in ["manager", "business", "ops"]:
        sign(meeting, users[role], role)
    sign(meeting, users["tester"], "tester", Verdict.NO_GO, comment="2 critical defects open")
    with pytest.raises(DomainError, match="signed no-go"):
        gonogo.gonogo_finalize(decision=meeting, actor=manager, verdict=Verdict.GO, password=PASSWORD)
    with pytest.raises(DomainError, match="password"):
        gonogo.gonogo_finalize(decision=meeting, actor=manager, verdict=Verdict.NO_GO, conditions="x",
                               password="wrong")
    decision = gonogo.gonogo_finalize(decision=meeting, actor=manager, verdict=Verdict.NO_GO,
                                      conditions="Fix the defects, then meet again.", password=PASSWORD)
    assert decision.is_final and decision.final_verdict == Verdict.NO_GO and decision.decided_by == manager
    assert decision.history.first().history_user == manager


def test_a_final_decision_can_never_change_and_a_new_meeting_is_a_new_record(meeting, project, users):
    sign_all(meeting, users)
    gonogo.gonogo_finalize(decision=meeting, actor=users["manager"], verdict=Verdict.GO_WITH_CONDITIONS,
                           conditions="Cards module off", override_reason="Defects are in the cards module",
                           password=PASSWORD)
    with pytest.raises(DomainError, match="final") as exc:
        gonogo.gonogo_update(actor=users["manager"], decision=meeting, title="Rewritten")
    assert exc.value.code == "final"
    with pytest.raises(DomainError, match="final"):
        gonogo.gonogo_finalize(decision=meeting, actor=users["manager"], verdict=Verdict.NO_GO, conditions="x",
                               password=PASSWORD)
    with pytest.raises(DomainError, match="final"):
        sign(meeting, users["staff"], "manager")
    meeting.refresh_from_db()
    assert meeting.title == "Go/no-go 1" and meeting.final_verdict == Verdict.GO_WITH_CONDITIONS
    second = gonogo.gonogo_open(actor=users["manager"], project=project, title="Go/no-go 2")
    assert second.pk != meeting.pk and GoNoGoDecision.objects.filter(project=project).count() == 2


def test_open_meeting_can_be_corrected_but_signed_roles_stay(meeting, users):
    sign(meeting, users["ops"], "ops")
    gonogo.gonogo_update(actor=users["manager"], decision=meeting, title="Go/no-go 1 (re-scheduled)")
    with pytest.raises(DomainError, match="already signed"):
        gonogo.gonogo_update(actor=users["manager"], decision=meeting, required_roles=["manager"])
    meeting.refresh_from_db()
    assert meeting.title == "Go/no-go 1 (re-scheduled)" and "ops" in meeting.required_roles


def test_blockers_excel(meeting):
    wb = load_workbook(BytesIO(exports.blockers_xlsx(meeting)))
    rows = [[c for c in row] for row in wb.active.iter_rows(values_only=True)]
    header = rows.index(next(r for r in rows if r and r[0] == "Criterion"))
    assert rows[header + 1][0] == "critical defects" and rows[header + 1][2] == "2 open"
    assert len([r for r in rows[header + 1:] if r and r[0]]) == 1


# ----- pages ---------------------------------------------------------------------------------


def test_pages_permission_matrix(client, meeting, project, users, outsider):
    urls = [reverse("readiness:gonogo_list", args=[project.pk]),
            reverse("readiness:gonogo", args=[project.pk, meeting.pk]),
            reverse("readiness:gonogo_report", args=[project.pk, meeting.pk]),
            reverse("readiness:gonogo_blockers_xlsx", args=[project.pk, meeting.pk])]
    for url in urls:
        client.logout()
        assert client.get(url).status_code == 302
        for role, user in users.items():
            client.force_login(user)
            assert client.get(url).status_code == 200, (url, role)
        client.force_login(outsider)
        assert client.get(url).status_code == 404, url


def test_only_the_manager_opens_a_meeting(client, registry, project, users):
    url = reverse("readiness:gonogo_list", args=[project.pk])
    data = {"title": "G1", "meeting_at": "2026-12-01T18:00", "required_roles": ["manager", "ops"]}
    for role in ["business", "ops", "tester", "staff"]:
        client.force_login(users[role])
        assert client.post(url, data).status_code == 403, role
    client.force_login(users["manager"])
    assert client.post(url, {**data, "required_roles": []}).status_code == 400
    response = client.post(url, data)
    decision = GoNoGoDecision.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/go-no-go/{decision.pk}/")
    assert client.post(url, {**data, "title": "G2"}).status_code == 400  # one already open
    assert GoNoGoDecision.objects.count() == 1


def test_sign_page_flow(client, meeting, project, users):
    url = reverse("readiness:gonogo_sign", args=[project.pk, meeting.pk])
    detail = reverse("readiness:gonogo", args=[project.pk, meeting.pk])
    client.force_login(users["trainer"])
    assert client.post(url, {"role": "ops", "verdict": "go", "password": PASSWORD}).status_code == 403
    client.force_login(users["ops"])
    assert 'name="password"' in client.get(detail).content.decode()
    bad = client.post(url, {"role": "ops", "verdict": "go", "password": "wrong"})
    assert bad.status_code == 400 and "The password is not correct" in bad.content.decode()
    assert not GoNoGoSignOff.objects.exists()
    ok = client.post(url, {"role": "ops", "verdict": "go", "password": PASSWORD})
    assert ok.status_code == 302
    assert GoNoGoSignOff.objects.get().user == users["ops"]
    assert 'name="password"' not in client.get(detail).content.decode()  # nothing left to sign


def test_finalize_and_edit_pages(client, meeting, project, users):
    finalize = reverse("readiness:gonogo_finalize", args=[project.pk, meeting.pk])
    edit = reverse("readiness:gonogo_edit", args=[project.pk, meeting.pk])
    client.force_login(users["business"])
    assert client.post(finalize, {"verdict": "go", "password": PASSWORD}).status_code == 403
    client.force_login(users["manager"])
    early = client.post(finalize, {"verdict": "go", "password": PASSWORD})
    assert early.status_code == 400 and "Waiting for sign-offs" in early.content.decode()
    sign_all(meeting, users)
    assert client.post(finalize, {"verdict": "go", "password": PASSWORD, "override_reason": "Accepted by the board"}
                       ).status_code == 302
    refused = client.post(edit, {"title": "Changed"})
    assert refused.status_code == 400 and "final" in refused.content.decode()
    meeting.refresh_from_db()
    assert meeting.title == "Go/no-go 1" and meeting.final_verdict == "go"


def test_report_and_excel_content(client, meeting, project, users):
    sign_all(meeting, users)
    gonogo.gonogo_finalize(decision=meeting, actor=users["manager"], verdict=Verdict.GO_WITH_CONDITIONS,
                           conditions="Cards module stays off", override_reason="Both defects are in the cards module",
                           password=PASSWORD)
    client.force_login(users["staff"])
    body = client.get(reverse("readiness:gonogo_report", args=[project.pk, meeting.pk])).content.decode()
    assert "Go with conditions" in body and "Cards module stays off" in body and "critical defects" in body
    assert "readiness.css" in body
    xlsx = client.get(reverse("readiness:gonogo_blockers_xlsx", args=[project.pk, meeting.pk]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in xlsx["Content-Disposition"]
    load_workbook(BytesIO(xlsx.content))


def test_print_stylesheet_exists():
    from pathlib import Path

    css = Path("static/css/liftoff.css").read_text()
    assert "@media print" in css and "@page" in css


def test_list_query_count_constant(client, registry, project, users):
    client.force_login(users["manager"])
    url = reverse("readiness:gonogo_list", args=[project.pk])

    def hold(n):
        for i in range(n):
            d = gonogo.gonogo_open(actor=users["manager"], project=project, title=f"M{i}")
            sign_all(d, users)
            gonogo.gonogo_finalize(decision=d, actor=users["manager"], verdict=Verdict.GO, password=PASSWORD)

    hold(1)
    _, few = count_queries(lambda: client.get(url))
    hold(20)
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and few == many


def test_api_lists_decisions_read_only(meeting, project, users, outsider):
    from tests.utils import api_as

    data = api_as(users["staff"]).get(f"/api/v1/gonogo-decisions/?project={project.pk}").json()
    assert data["count"] == 1 and data["results"][0]["evidence"]["blockers"] == ["critical_defects"]
    assert api_as(outsider).get(f"/api/v1/gonogo-decisions/?project={project.pk}").status_code == 404
    assert api_as(outsider).get(f"/api/v1/gonogo-decisions/{meeting.pk}/").status_code == 404
    assert api_as(users["manager"]).patch(f"/api/v1/gonogo-decisions/{meeting.pk}/", {"title": "x"}).status_code == 405


def test_admin_is_view_only_for_decisions_and_sign_offs(client, meeting, users):
    from tests.projects.factories import UserFactory

    admin = UserFactory(is_staff=True, is_superuser=True)
    sign(meeting, users["ops"], "ops")
    client.force_login(admin)
    url = reverse("admin:readiness_gonogodecision_change", args=[meeting.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"title": "Rewritten"}).status_code == 403
    signoff = GoNoGoSignOff.objects.get()
    assert client.post(reverse("admin:readiness_gonogosignoff_change", args=[signoff.pk]),
                       {"verdict": "no_go"}).status_code == 403
    meeting.refresh_from_db()
    assert meeting.title == "Go/no-go 1"


def test_list_page_points_to_the_open_meeting_instead_of_the_form(client, meeting, project, users):
    client.force_login(users["manager"])
    body = client.get(reverse("readiness:gonogo_list", args=[project.pk])).content.decode()
    assert "A meeting is open" in body and 'name="required_roles"' not in body


def test_frozen_labels_show_in_the_readers_language_and_the_evidence_is_unchanged(monkeypatch, client, project,
                                                                                   users):
    from copy import deepcopy
    from dataclasses import replace

    from readiness import registry as readiness
    from readiness.registry import Result

    real = readiness._registry["training_coverage"]  # a real criterion, its label translated in the catalogue
    empty_registry(monkeypatch)
    readiness.register(replace(real, compute=lambda project, target: Result(
        value=80, passed=False, explanation="Only 80% of the required staff are trained.", display="80%")))
    fixed("retired_check", value=1, passed=False)
    with translation.override("en"):
        meeting = gonogo.gonogo_open(actor=users["manager"], project=project, title="Go/no-go 1",
                                     required_roles=ROLES)
    stored = deepcopy(meeting.evidence)
    assert stored["language"] == "en"
    assert [c["label"] for c in stored["criteria"]] == ["Required staff trained", "retired check"]
    readiness._registry.pop("retired_check")  # the criterion no longer exists: its stored label is shown
    with translation.override("zh-hans"):
        chinese_label = str(real.label)
        note = selectors.evidence_recorded_in(meeting)
        xlsx = load_workbook(BytesIO(exports.blockers_xlsx(meeting)))
    assert chinese_label != "Required staff trained" and note
    assert chinese_label in [row[0] for row in xlsx.active.iter_rows(values_only=True)]

    client.force_login(users["staff"])
    for name in ["readiness:gonogo", "readiness:gonogo_report"]:
        url = reverse(name, args=[project.pk, meeting.pk])
        body = client.get(url, headers={"Accept-Language": "zh-hans"}).content.decode()
        assert chinese_label in body and "Required staff trained" not in body, name
        assert "retired check" in body and "Only 80% of the required staff are trained." in body
        assert note in body
        english = client.get(url, headers={"Accept-Language": "en"}).content.decode()
        assert "Required staff trained" in english and "(recorded in" not in english
    meeting.refresh_from_db()
    assert meeting.evidence == stored


# ----- a go against open mandatory blockers needs a recorded reason ----------------------------


def test_go_against_mandatory_blockers_needs_a_reason_which_is_recorded(meeting, users):
    sign_all(meeting, users)
    for verdict in (Verdict.GO, Verdict.GO_WITH_CONDITIONS):
        with pytest.raises(DomainError) as exc:
            gonogo.gonogo_finalize(decision=meeting, actor=users["manager"], verdict=verdict, conditions="c",
                                   override_reason="   ", password=PASSWORD)
        assert exc.value.field == "override_reason" and "1 mandatory criterion" in str(exc.value.message)
    meeting.refresh_from_db()
    assert meeting.status == DecisionStatus.OPEN and meeting.override_reason == "" and not meeting.final_verdict
    decision = gonogo.gonogo_finalize(decision=meeting, actor=users["manager"], verdict=Verdict.GO,
                                      override_reason=" The two defects are cosmetic; fixed in week 1. ",
                                      password=PASSWORD)
    assert decision.final_verdict == Verdict.GO
    assert decision.override_reason == "The two defects are cosmetic; fixed in week 1."
    assert decision.history.first().override_reason == decision.override_reason


def test_no_go_or_a_clean_go_records_no_override(registry, project, users):
    fixed("optional", value=0, passed=False, mandatory=False)
    fixed("fine", value=1, passed=True)
    clean = gonogo.gonogo_open(actor=users["manager"], project=project, title="Clean", required_roles=["manager"])
    sign(clean, users["manager"], "manager")
    decision = gonogo.gonogo_finalize(decision=clean, actor=users["manager"], verdict=Verdict.GO,
                                      override_reason="nothing to override", password=PASSWORD)
    assert decision.final_verdict == Verdict.GO and decision.override_reason == ""


def test_no_go_against_blockers_needs_no_override_reason(meeting, users):
    sign_all(meeting, users)
    decision = gonogo.gonogo_finalize(decision=meeting, actor=users["manager"], verdict=Verdict.NO_GO,
                                      conditions="Fix the defects", override_reason="ignored", password=PASSWORD)
    assert decision.final_verdict == Verdict.NO_GO and decision.override_reason == ""


def test_decision_page_warns_with_the_blocker_count_and_asks_for_the_reason(client, meeting, project, users):
    sign_all(meeting, users)
    url = reverse("readiness:gonogo", args=[project.pk, meeting.pk])
    finalize = reverse("readiness:gonogo_finalize", args=[project.pk, meeting.pk])
    client.force_login(users["manager"])
    body = client.get(url).content.decode()
    assert 'id="override-warning"' in body and "1 mandatory criterion is not met in the evidence." in body
    assert 'name="override_reason"' in body and "critical defects" in body
    refused = client.post(finalize, {"verdict": "go", "password": PASSWORD})
    assert refused.status_code == 400 and "a written reason for the override" in refused.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == DecisionStatus.OPEN
    assert client.post(finalize, {"verdict": "go", "password": PASSWORD,
                                  "override_reason": "Board accepted the risk"}).status_code == 302
    shown = client.get(url).content.decode()
    assert "Go against 1 open mandatory blocker" in shown and "Board accepted the risk" in shown
    report = client.get(reverse("readiness:gonogo_report", args=[project.pk, meeting.pk])).content.decode()
    assert "Go against 1 open mandatory blocker" in report and "Board accepted the risk" in report


def test_decision_page_without_blockers_has_no_warning_nor_reason_field(client, registry, project, users):
    fixed("fine", value=1, passed=True)
    clean = gonogo.gonogo_open(actor=users["manager"], project=project, title="Clean", required_roles=["manager"])
    client.force_login(users["manager"])
    body = client.get(reverse("readiness:gonogo", args=[project.pk, clean.pk])).content.decode()
    assert 'id="override-warning"' not in body and 'name="override_reason"' not in body


def test_pdf_report_carries_the_override_reason(meeting, users):
    from tests.projects.test_pdf import text_of

    sign_all(meeting, users)
    gonogo.gonogo_finalize(decision=meeting, actor=users["manager"], verdict=Verdict.GO,
                           override_reason="Board accepted the risk", password=PASSWORD)
    meeting.refresh_from_db()
    content = exports.gonogo_pdf(meeting, rows=selectors.signoff_rows(meeting),
                                 evidence_rows=selectors.evidence_rows(meeting),
                                 blockers=selectors.evidence_blockers(meeting))
    text = text_of(content)
    assert "Boardacceptedtherisk" in text and "Goagainst1openmandatoryblockers" in text


def test_api_decide_permission_matrix_and_override_reason(meeting, project, users, outsider, api):
    from tests.utils import api_as

    url = f"/api/v1/gonogo-decisions/{meeting.pk}/decide/"
    body = {"verdict": "go", "password": PASSWORD}
    assert api.post(url, body, format="json").status_code == 401
    assert api_as(outsider).post(url, body, format="json").status_code == 404
    assert api_as(users["business"]).post(url, body, format="json").status_code == 403
    sign_all(meeting, users)
    refused = api_as(users["manager"]).post(url, {"decision": "go", "password": PASSWORD}, format="json")
    assert refused.status_code == 400 and "override_reason" in refused.json()
    missing = api_as(users["manager"]).post(url, {"password": PASSWORD}, format="json")
    assert missing.status_code == 400 and "verdict" in missing.json()
    too_long = api_as(users["manager"]).post(url, {**body, "override_reason": "x" * 4001}, format="json")
    assert too_long.status_code == 400 and "override_reason" in too_long.json()
    meeting.refresh_from_db()
    assert meeting.status == DecisionStatus.OPEN
    ok = api_as(users["manager"]).post(url, {**body, "override_reason": "Risk accepted by the board"}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["final_verdict"] == "go" and ok.json()["override_reason"] == "Risk accepted by the board"
    assert "password" not in ok.json()
    again = api_as(users["manager"]).post(url, {**body, "override_reason": "again"}, format="json")
    assert again.status_code == 400
