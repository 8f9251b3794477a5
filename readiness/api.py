"""API of readiness: the scorecard (/api/v1/projects/{id}/readiness/) and the go/no-go records
(/api/v1/gonogo-decisions/, read-only: sign on the page, with the password as e-signature). Thin."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import api_view
from rest_framework.response import Response

from projects.api_base import ProjectFilterMixin
from projects.selectors import project_get_for_user

from . import registry, selectors
from .serializers import GoNoGoDecisionSerializer, ReadinessSerializer


@extend_schema(responses=ReadinessSerializer, operation_id="projects_readiness_retrieve")
@api_view(["GET"])
def project_readiness(request, pk):
    """The project's scorecard now: {score, ready, criteria: [...], blockers: [keys]}."""
    project = project_get_for_user(user=request.user, pk=pk)
    return Response(registry.freeze(selectors.scorecard(project)))


class GoNoGoDecisionViewSet(ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Go/no-go meetings with their frozen evidence and sign-offs (read-only: sign on the page)."""

    serializer_class = GoNoGoDecisionSerializer
    filterset_fields = ["project", "status", "final_verdict"]
    ordering_fields = ["meeting_at"]

    def get_queryset(self):
        return selectors.decision_list_for_user(user=self.request.user)
