"""Input shape of the cutover pages; the rules live in services."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from projects.models import Phase
from projects.pickers import MemberField

from .models import (
    Category,
    ContingencyScenario,
    Decision,
    DrillOutcome,
    IssueSeverity,
    IssueStatus,
    Runbook,
    RunbookKind,
    RunKind,
    RunStep,
    Step,
    WorkItemStatus,
)

User = get_user_model()


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class RunbookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=RunbookKind.choices, initial=RunbookKind.CUTOVER)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class StepForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    owner = MemberField(label=_("Owner"), required=False)
    planned_minutes = forms.IntegerField(label=_("Planned minutes"), min_value=0, max_value=7 * 24 * 60, initial=10)
    depends_on = forms.ModelMultipleChoiceField(label=_("Depends on"), queryset=Step.objects.none(), required=False,
                                                widget=forms.SelectMultiple(attrs={"size": 4}))
    checkpoint = forms.BooleanField(label=_("Go/no-go checkpoint"), required=False)
    point_of_no_return = forms.BooleanField(label=_("Point of no return"), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    rollback_instructions = forms.CharField(label=_("Rollback instructions"), required=False,
                                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, runbook, step=None, **kwargs):
        if step is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": step.title, "category": step.category, "owner": step.owner_id,
                "planned_minutes": step.planned_minutes, "depends_on": [d.pk for d in step.depends_on.all()],
                "checkpoint": step.checkpoint, "point_of_no_return": step.point_of_no_return,
                "description": step.description, "rollback_instructions": step.rollback_instructions,
            }
        super().__init__(*args, **kwargs)
        self.fields["owner"].bind(runbook.project)
        steps = runbook.steps.order_by("order", "id")
        if step is not None:
            steps = steps.exclude(pk=step.pk)
        self.fields["depends_on"].queryset = steps


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))


class RunForm(forms.Form):
    runbook = forms.ModelChoiceField(label=_("Runbook"), queryset=Runbook.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=RunKind.choices, initial=RunKind.REHEARSAL)
    planned_start = forms.DateTimeField(label=_("Planned start"), required=False, widget=DateTimeInput(),
                                        help_text=_("Empty: now for a rehearsal, the window start for production."))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["runbook"].queryset = project.runbooks.order_by("kind", "name")


class StepActionForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    decision = forms.ChoiceField(label=_("Decision"), choices=[("", "—")] + Decision.choices, required=False)


class WorkItemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    phase = forms.ChoiceField(label=_("Phase"), choices=Phase.choices, initial=Phase.PREPARATION)
    owner = MemberField(label=_("Owner"), required=False)
    due_at = forms.DateTimeField(label=_("Due"), required=False, widget=DateTimeInput())

    def __init__(self, *args, project, item=None, **kwargs):
        if item is not None and "initial" not in kwargs:
            kwargs["initial"] = {"title": item.title, "phase": item.phase, "owner": item.owner, "due_at": item.due_at}
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["owner"].bind(project, keep=item.owner_id if item is not None else None)

    def clean_due_at(self):
        # The input shows minutes only: an untouched due time keeps its seconds, so the reminders
        # keyed on it (tasks/reminders.py) do not fire again for an edit of the title.
        due_at = self.cleaned_data["due_at"]
        old = self.item.due_at if self.item is not None else None
        if due_at is not None and old is not None and due_at == old.replace(second=0, microsecond=0):
            return old
        return due_at

    def changes(self):
        """The fields the person changed; the others are not rewritten, so the history shows only real edits."""
        if self.item is None:
            return dict(self.cleaned_data)
        return {name: value for name, value in self.cleaned_data.items() if value != self.initial.get(name)}


class WorkItemStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=WorkItemStatus.choices)
    reason = forms.CharField(label=_("Blocked because"), required=False, max_length=300)


class CheckForm(forms.Form):
    entity = forms.CharField(label=_("Entity"), max_length=120)
    source_count = forms.IntegerField(label=_("Source count"), min_value=0)
    target_count = forms.IntegerField(label=_("Target count"), min_value=0)
    source_total = forms.DecimalField(label=_("Source control total"), max_digits=22, decimal_places=2, initial=0)
    target_total = forms.DecimalField(label=_("Target control total"), max_digits=22, decimal_places=2, initial=0)
    tolerance = forms.DecimalField(label=_("Tolerance"), max_digits=22, decimal_places=2, initial=0, min_value=0)


class PlanForm(forms.Form):
    rollback_criteria = forms.CharField(label=_("Rollback criteria"), widget=forms.Textarea(attrs={"rows": 5}),
                                        help_text=_("When does the team switch back to the old system?"))
    decision_owner = MemberField(label=_("Decision owner"), required=False)
    rollback_runbook = forms.ModelChoiceField(label=_("Rollback runbook"), queryset=Runbook.objects.none(),
                                              required=False)
    point_of_no_return_at = forms.DateTimeField(label=_("Point of no return"), required=False,
                                                widget=DateTimeInput())

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision_owner"].bind(project)
        self.fields["rollback_runbook"].queryset = project.runbooks.filter(kind=RunbookKind.ROLLBACK)


# ---------------------------------------------------------------- the cutover night

class RunStepChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.title


class IssueForm(forms.Form):
    """Filing an issue: the step (when filed from one) and a title are all it takes; the rest can wait."""

    title = forms.CharField(label=_("What is wrong"), max_length=200)
    severity = forms.ChoiceField(label=_("Severity"), choices=IssueSeverity.choices, initial=IssueSeverity.SEV2)
    step = RunStepChoiceField(label=_("Step"), queryset=RunStep.objects.none(), required=False)
    owner = MemberField(label=_("Owner"), required=False)
    description = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, run, keep_owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].queryset = run.steps.order_by("order", "id")
        self.fields["owner"].bind(run.project, keep=keep_owner)


class IssueEditForm(IssueForm):
    def __init__(self, *args, issue, **kwargs):
        kwargs.setdefault("initial", {"title": issue.title, "severity": issue.severity, "step": issue.step_id,
                                      "owner": issue.owner_id, "description": issue.description})
        super().__init__(*args, run=issue.run, keep_owner=issue.owner_id, **kwargs)

    def changes(self):
        return {name: value for name, value in self.cleaned_data.items()
                if (getattr(value, "pk", value) or "") != (self.initial.get(name) or "")}


class IssueTransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("Move to"), choices=IssueStatus.choices)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class UpdateForm(forms.Form):
    text = forms.CharField(label=_("Status update"), max_length=2000, widget=forms.Textarea(attrs={
        "rows": 2, "placeholder": _("What is happening, what comes next…")}))


class ScenarioForm(forms.Form):
    trigger = forms.CharField(label=_("Trigger"), max_length=300,
                              help_text=_("What tells the team it is happening, e.g. “core database unreachable "
                                          "for 5 minutes”."))
    response = forms.CharField(label=_("Response"), widget=forms.Textarea(attrs={"rows": 3}))
    owner = MemberField(label=_("Owner"), required=False)
    rollback_runbook = forms.ModelChoiceField(label=_("Rollback runbook"), queryset=Runbook.objects.none(),
                                              required=False)

    def __init__(self, *args, project, keep_owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].bind(project, keep=keep_owner)
        self.fields["rollback_runbook"].queryset = project.runbooks.filter(kind=RunbookKind.ROLLBACK)


class DrillForm(forms.Form):
    scenario = forms.ModelChoiceField(label=_("Scenario"), queryset=ContingencyScenario.objects.none())
    held_at = forms.DateTimeField(label=_("Held at"), widget=DateTimeInput())
    outcome = forms.ChoiceField(label=_("Outcome"), choices=DrillOutcome.choices)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].queryset = project.contingency_scenarios.order_by("id")


class MigrationEntityForm(forms.Form):
    """An entity of the data-migration plan: source, target and the cleansing/transformation/de-dup rules."""

    name = forms.CharField(label=_("Entity"), max_length=120)
    source = forms.CharField(label=_("Source"), max_length=300)
    target = forms.CharField(label=_("Target"), max_length=300)
    cleansing = forms.CharField(label=_("Cleansing rules"), required=False, max_length=10000,
                                widget=forms.Textarea(attrs={"rows": 2}))
    transformation = forms.CharField(label=_("Transformation rules"), required=False, max_length=10000,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    deduplication = forms.CharField(label=_("De-duplication rules"), required=False, max_length=10000,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    owner = MemberField(label=_("Owner"), required=False)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].bind(project)
