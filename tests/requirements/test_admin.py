import pytest
from django.contrib import admin
from django.urls import reverse

from requirements.models import RequirementReview
from tests.projects.factories import UserFactory

from .factories import approved, questionnaire

pytestmark = pytest.mark.django_db


def test_every_model_is_registered_and_decisions_are_read_only(client, project):
    from django.apps import apps

    models = [m for m in apps.get_app_config("requirements").get_models() if not m.__name__.startswith("Historical")]
    assert all(admin.site.is_registered(m) for m in models)
    approved(project)
    questionnaire(project)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for model in models:
        url = reverse(f"admin:requirements_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, model
    review = RequirementReview.objects.get()
    url = reverse("admin:requirements_requirementreview_change", args=[review.pk])
    response = client.post(url, {"comment": "edited later", "decision": "rejected"})
    review.refresh_from_db()
    assert review.comment == "" and review.decision == "approved"
    assert response.status_code == 403
    delete = reverse("admin:requirements_requirementreview_delete", args=[review.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert RequirementReview.objects.count() == 1
