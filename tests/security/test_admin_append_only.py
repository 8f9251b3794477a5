"""Issue 16, point 1: approvals, transitions, sign-offs and history cannot be altered in the admin."""

import pytest
from django.contrib import admin
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from defects.models import DefectTransition
from defects.services import defect_transition
from projects.admin_base import AppendOnlyMixin, HistoryAdmin
from requirements.models import Requirement, RequirementReview
from tests.defects.factories import file_defect
from tests.projects.factories import UserFactory
from tests.requirements.factories import approved

pytestmark = pytest.mark.django_db

APPEND_ONLY = ["defects.DefectTransition", "requirements.RequirementReview", "requirements.RequirementVersion",
               "readiness.GoNoGoDecision", "readiness.GoNoGoSignOff", "readiness.SignatureFailure",
               "tasks.TimelineEvent"]


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_no_admin_can_revert_history():
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, SimpleHistoryAdmin):
            assert isinstance(model_admin, HistoryAdmin), model


@pytest.mark.parametrize("label", APPEND_ONLY)
def test_records_of_decisions_are_view_only(rf, label):
    from django.apps import apps

    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True)
    assert isinstance(model_admin, AppendOnlyMixin)
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_history_revert_form_refuses_a_post(superuser_client, project, users):
    requirement = approved(project, author=users["business"])
    before = Requirement.objects.get(pk=requirement.pk)
    version = requirement.history.order_by("history_id").first()
    url = reverse("admin:requirements_requirement_simple_history", args=[requirement.pk, version.history_id])
    assert superuser_client.get(url).status_code == 200  # looking at an old version is fine
    response = superuser_client.post(url, {"title": "Rewritten", "description": "x", "priority": "must",
                                           "acceptance_criteria": "x", "project": project.pk})
    assert response.status_code == 403
    requirement.refresh_from_db()
    assert (requirement.title, requirement.status, requirement.version) == (before.title, before.status,
                                                                            before.version)
    assert b"Revert" not in superuser_client.get(reverse("admin:requirements_requirement_history",
                                                         args=[requirement.pk])).content


def test_defect_transitions_cannot_be_added_edited_or_deleted(superuser_client, project, users):
    defect = file_defect(project, users["tester"])
    defect_transition(actor=users["manager"], defect=defect, to="open", comment="seen")
    transition = DefectTransition.objects.filter(defect=defect).last()
    before = DefectTransition.objects.count()
    add = reverse("admin:defects_defecttransition_add")
    assert superuser_client.post(add, {"defect": defect.pk, "to_status": "closed"}).status_code == 403
    change = reverse("admin:defects_defecttransition_change", args=[transition.pk])
    assert superuser_client.get(change).status_code == 200  # view only
    superuser_client.post(change, {"defect": defect.pk, "to_status": "closed", "comment": "forged"})
    delete = reverse("admin:defects_defecttransition_delete", args=[transition.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    transition.refresh_from_db()
    assert (transition.to_status, transition.comment) == ("open", "seen")
    assert DefectTransition.objects.count() == before
    history = reverse("admin:defects_defecttransition_simple_history",
                      args=[transition.pk, transition.history.first().history_id])
    assert superuser_client.post(history, {"comment": "forged"}).status_code == 403


def test_a_review_cannot_be_deleted_in_bulk(superuser_client, project, users):
    approved(project, author=users["business"])
    changelist = reverse("admin:requirements_requirementreview_changelist")
    pk = RequirementReview.objects.get().pk
    superuser_client.post(changelist, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
    assert RequirementReview.objects.count() == 1


def test_defect_status_is_not_editable_in_the_admin(rf, project, users):
    from defects.models import Defect

    defect = file_defect(project, users["tester"])
    request = rf.get("/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True)
    assert "status" in admin.site._registry[Defect].get_readonly_fields(request, defect)


def test_api_tokens_are_revoked_in_the_admin_never_edited(superuser_client):
    from projects.models import ApiToken
    from projects.services import api_token_issue

    token, _key = api_token_issue(user=UserFactory())
    changelist = reverse("admin:projects_apitoken_changelist")
    assert superuser_client.get(changelist).status_code == 200
    assert superuser_client.post(reverse("admin:projects_apitoken_add"), {}).status_code == 403
    superuser_client.post(changelist, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None and ApiToken.objects.count() == 1
