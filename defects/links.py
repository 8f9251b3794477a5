"""The small adapter to the requirements app. DESIGN: apps never import each other's models, so
everything here goes through the app registry and string lookups."""

from django.apps import apps

APPROVED = "approved"


def requirement_model():
    try:
        return apps.get_model("requirements", "Requirement")
    except LookupError:  # requirements app not installed or not built yet
        return None


def requirements_of(project):
    model = requirement_model()
    if model is None:
        return None
    return model.objects.filter(project=project).order_by("code")


def approved_requirements(project):
    qs = requirements_of(project)
    return qs.filter(status=APPROVED) if qs is not None else None


def requirement_in_project(project, pk):
    """The requirement `pk` of `project`, or None when it is not one of the project's."""
    qs = requirements_of(project)
    if qs is None or pk in (None, ""):
        return None
    try:
        return qs.filter(pk=int(getattr(pk, "pk", pk))).first()
    except (TypeError, ValueError):
        return None
