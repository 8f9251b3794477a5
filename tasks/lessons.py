"""The cutover's part of the lessons learned (经验教训总结): the issues of every run, on the lessons page
(a `projects.hooks.page_panel`), so the retrospective starts from what actually went wrong."""

from projects import hooks

from .models import CutoverIssue, IssueSeverity


def lessons_issues(request, project):
    issues = list(CutoverIssue.objects.filter(project=project)
                  .select_related("run", "run__runbook", "step").order_by("run__planned_start", "run_id", "number"))
    if not issues:
        return None
    serious = [i for i in issues if i.severity in (IssueSeverity.SEV1, IssueSeverity.SEV2)]
    return {"issues": serious or issues, "total": len(issues), "serious": len(serious)}


hooks.page_panel(page="lessons", key="cutover_issues", template="tasks/_lessons_issues.html", func=lessons_issues,
                 order=20, css="css/tasks.css")
