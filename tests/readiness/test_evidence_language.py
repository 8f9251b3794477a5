"""Issue 17: frozen go/no-go evidence keeps its values, but its labels, explanations and word
displays are said in the reader's language (rendered from stored keys and parameters)."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from defects.readiness_criteria import CRITICAL_OPEN
from readiness import registry as readiness
from readiness import selectors
from readiness import services as gonogo
from readiness.models import GoNoGoDecision
from readiness.registry import Result
from tasks.readiness_criteria import CLEAN, NO_CHECKS
from tasks.reminders import RUN_LABEL
from tests.readiness.helpers import empty_registry, fixed
from tests.utils import api_as

pytestmark = pytest.mark.django_db

ROLES = ["manager", "business"]


@pytest.fixture
def meeting(monkeypatch, project, users):
    empty_registry(monkeypatch)

    @readiness.criterion(key="open_critical_defects", label=gettext_lazy("No open critical defects"))
    def critical(project, target):
        return Result(value=2, passed=False, explanation=CRITICAL_OPEN(n=2), display="2")

    @readiness.criterion(key="reconciliation_clean", label=gettext_lazy("Latest rehearsal reconciled clean"))
    def clean(project, target):
        return Result(value=0, passed=True, display=CLEAN(),
                      explanation=NO_CHECKS(run=RUN_LABEL(kind="rehearsal", number=3)))

    with translation.override("en"):  # opened by an English-reading manager
        return gonogo.gonogo_open(actor=users["manager"], project=project, title="Go/no-go", required_roles=ROLES)


def test_evidence_stores_values_and_the_sentences_keys(meeting):
    rows = {c["key"]: c for c in meeting.evidence["criteria"]}
    critical = rows["open_critical_defects"]
    assert critical["value"] == 2 and critical["explanation"] == "2 critical defects still open"
    assert critical["texts"]["explanation"] == {"key": "readiness:defects.critical_open", "params": {"n": 2}}
    assert rows["reconciliation_clean"]["texts"]["display"]["key"] == "readiness:tasks.clean"


def test_rows_render_in_the_readers_language(meeting):
    with translation.override("zh-hans"):
        rows = {c["key"]: c for c in selectors.evidence_rows(meeting)}
        assert selectors.evidence_recorded_in(meeting) == ""  # nothing is left in the other language
    assert rows["open_critical_defects"]["explanation"] == "仍有 2 个致命缺陷未关闭"
    assert rows["open_critical_defects"]["display_label"] != "No open critical defects"
    assert rows["open_critical_defects"]["value"] == 2  # the values never change
    assert "演练 #3" in rows["reconciliation_clean"]["explanation"]
    assert rows["reconciliation_clean"]["display"] != "clean"
    with translation.override("en"):
        rows = {c["key"]: c for c in selectors.evidence_rows(meeting)}
    assert rows["reconciliation_clean"]["explanation"] == "Rehearsal #3 has no reconciliation checks"
    assert rows["reconciliation_clean"]["display"] == "clean"


@pytest.mark.parametrize("language, expected, absent", [
    ("en", "2 critical defects still open", "仍有 2 个致命缺陷未关闭"),
    ("zh-hans", "仍有 2 个致命缺陷未关闭", "2 critical defects still open"),
])
def test_the_gonogo_page_and_report_follow_the_request_language(client, meeting, users, language, expected, absent):
    client.force_login(users["business"])
    for name in ("readiness:gonogo", "readiness:gonogo_report"):
        body = client.get(reverse(name, args=[meeting.project_id, meeting.pk]),
                          headers={"accept-language": language}).content.decode()
        assert expected in body and absent not in body, name


def test_evidence_frozen_before_keys_still_shows_its_text_and_says_so(monkeypatch, project, users):
    empty_registry(monkeypatch)
    fixed("critical_defects", value=1, passed=False, display="1 open")  # a plain-string explanation
    with translation.override("en"):
        decision = gonogo.gonogo_open(actor=users["manager"], project=project, title="Old", required_roles=ROLES)
    assert "texts" not in decision.evidence["criteria"][0]
    with translation.override("zh-hans"):
        row = selectors.evidence_rows(decision)[0]
        note = selectors.evidence_recorded_in(decision)
    assert row["explanation"] == "critical_defects explained" and row["display"] == "1 open"
    assert note  # "(recorded in English)": that sentence could not be translated


def test_a_retired_sentence_falls_back_to_the_stored_text(meeting):
    evidence = dict(meeting.evidence)
    evidence["criteria"] = [{**c, "texts": {"explanation": {"key": "readiness:gone", "params": {}}}}
                            for c in evidence["criteria"]]
    GoNoGoDecision.objects.filter(pk=meeting.pk).update(evidence=evidence)
    meeting.refresh_from_db()
    with translation.override("zh-hans"):
        rows = {c["key"]: c for c in selectors.evidence_rows(meeting)}
    assert rows["open_critical_defects"]["explanation"] == "2 critical defects still open"


def test_the_readiness_api_keeps_the_contracts_shape(project, users):
    response = api_as(users["manager"]).get(f"/api/v1/projects/{project.pk}/readiness/",
                                                    headers={"accept-language": "zh-hans"})
    assert response.status_code == 200
    assert all("texts" not in c for c in response.json()["criteria"])


def test_the_gonogo_api_gives_the_evidence_in_the_request_language(meeting, users):
    api = api_as(users["business"])
    url = f"/api/v1/gonogo-decisions/{meeting.pk}/"
    for language, expected in (("en", "2 critical defects still open"), ("zh-hans", "仍有 2 个致命缺陷未关闭")):
        response = api.get(url, headers={"accept-language": language})
        assert response.status_code == 200
        rows = {c["key"]: c for c in response.json()["evidence"]["criteria"]}
        assert rows["open_critical_defects"]["explanation"] == expected
        assert rows["open_critical_defects"]["value"] == 2
