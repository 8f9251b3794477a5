"""The test-case import kind (see projects.imports): a row per case, keyed by its title."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import imports
from projects.imports import CREATED, UNCHANGED, UPDATED, Column

from . import links
from .models import TestCase
from .services import case_create, case_update


def _context(*, project):
    requirements = links.requirements_of(project)
    return {"requirements": {r.code.lower(): r for r in requirements} if requirements is not None else {},
            "existing": {c.title.strip().lower(): c for c in TestCase.objects.filter(project=project)
                         .prefetch_related("requirements")}}


def case_row(*, actor, project, values, context):
    title = imports.text(values, "title", max_length=300)
    requirements = []
    # One code, or several separated by commas (as the test-case export writes them).
    for code in imports.text(values, "requirement").replace("，", ",").replace(";", ",").split(","):
        code = code.strip()
        if not code:
            continue
        requirement = context["requirements"].get(code.lower())
        if requirement is None:
            raise imports.DomainError(_("There is no requirement %(code)s in this project.") % {"code": code},
                                      field="requirement")
        if requirement not in requirements:
            requirements.append(requirement)
    steps, expected = imports.text(values, "steps"), imports.text(values, "expected_result")
    existing = context["existing"].get(title.lower())
    if existing is None:
        case = case_create(actor=actor, project=project, title=title, steps=steps, expected_result=expected,
                           requirements=requirements)
        return CREATED, f"{case.code} {title}"
    diff = {k: v for k, v in {"steps": steps, "expected_result": expected}.items() if getattr(existing, k) != v}
    linked = list(existing.requirements.all())
    added = [r for r in requirements if r not in linked]
    if added:
        diff["requirements"] = [*linked, *added]
    if not diff:
        return UNCHANGED, f"{existing.code} {title}"
    case_update(actor=actor, case=existing, **diff)
    return UPDATED, f"{existing.code} {title}"


TEST_CASES = imports.register(imports.ImportKind(
    key="test-cases", label=gettext_lazy("test cases"), row=case_row, prepare=_context,
    columns=[
        Column("title", gettext_lazy("title"), "标题", True),
        Column("steps", gettext_lazy("steps"), "步骤", True),
        Column("expected_result", gettext_lazy("expected result"), "预期结果", True),
        Column("requirement", gettext_lazy("requirement"), "需求", False,
               gettext_lazy("a requirement's code, e.g. REQ-001 (several: REQ-001, REQ-002)")),
    ],
))
