"""Input shape of the cutover pages; the rules live in services."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from projects.models import Phase
from projects.pickers import MemberField

from .models import (
    FINISHED_STEP,
    Category,
    ContingencyScenario,
    Decision,
    DrillOutcome,
    EnvCategory,
    EnvCheckStatus,
    IssueSeverity,
    IssueStatus,
    Runbook,
    RunbookKind,
    RunKind,
    RunStep,
    RunStepStatus,
    Step,
    WorkItemStatus,
)

User = get_user_model()


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class RunbookForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("thing", "Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=RunbookKind.choices, initial=RunbookKind.CUTOVER)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


STEP_SELECT_LIMIT = 150  # up to this many steps the dependency box lists them; beyond, it takes numbers
_STEP_NUMBERS = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


class DependsOnField(forms.Field):
    """The steps a step waits for. A short runbook lists them to pick from; a long one (a core
    system's cutover has 2,000 steps) takes their numbers from the # column ("12, 40-42") instead
    of shipping a list of every step with each form. Cleans to a list of steps of the runbook."""

    default_error_messages = {
        "numbers": _("Give step numbers from the # column, separated by commas (for example 12, 40-42)."),
        "unknown": _("There is no step %(value)s in this runbook."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.ids = []

    def bind(self, runbook, *, exclude=None, ids=None):
        """Load the runbook's step ids in order (positions are the # column) and pick the widget;
        `exclude` (the step being edited) is left out of the list. `ids`: the step ids in order when
        the page has them already (a long runbook then needs no query here)."""
        if ids is not None and len(ids) > STEP_SELECT_LIMIT:
            rows = [(pk, "") for pk in ids]
        else:
            rows = list(runbook.steps.order_by("order", "id").values_list("id", "title"))
        self.ids = [pk for pk, _title in rows]
        if len(rows) <= STEP_SELECT_LIMIT:
            self.widget = forms.SelectMultiple(attrs={"size": 4}, choices=[
                (pk, f"{n}. {title}") for n, (pk, title) in enumerate(rows, start=1) if pk != exclude])
            self.numbers = False
        else:
            self.widget = forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "12, 40-42"})
            self.help_text = _("Step numbers from the # column, separated by commas; a range as 40-42.")
            self.numbers = True
        self.widget.is_required = False

    def prepare_value(self, value):
        if not getattr(self, "numbers", False) or isinstance(value, str):
            return value
        position = {pk: n for n, pk in enumerate(self.ids, start=1)}
        return ", ".join(str(position[getattr(v, "pk", v)]) for v in (value or []) if getattr(v, "pk", v) in position)

    def to_python(self, value):
        if self.numbers:
            ids = []
            for part in filter(None, (p.strip() for p in (value or "").replace("，", ",").split(","))):
                match = _STEP_NUMBERS.match(part)
                if not match:
                    raise forms.ValidationError(self.error_messages["numbers"], code="numbers")
                first, last = int(match[1]), int(match[2] or match[1])
                if not 1 <= first <= last <= len(self.ids):
                    raise forms.ValidationError(self.error_messages["unknown"], code="unknown",
                                                params={"value": part})
                ids.extend(self.ids[first - 1:last])
        else:
            try:
                ids = [int(v) for v in (value or [])]
            except (TypeError, ValueError):
                raise forms.ValidationError(self.error_messages["numbers"], code="numbers") from None
            for pk in ids:
                if pk not in self.ids:
                    raise forms.ValidationError(self.error_messages["unknown"], code="unknown", params={"value": pk})
        return list(Step.objects.filter(pk__in=set(ids)).order_by("order", "id"))


class StepForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    owner = MemberField(label=_("Owner"), required=False)
    planned_minutes = forms.IntegerField(label=_("Planned minutes"), min_value=0, max_value=7 * 24 * 60, initial=10)
    depends_on = DependsOnField(label=_("Depends on"))
    checkpoint = forms.BooleanField(label=_("Go/no-go checkpoint"), required=False)
    point_of_no_return = forms.BooleanField(label=_("Point of no return"), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    rollback_instructions = forms.CharField(label=_("Rollback instructions"), required=False,
                                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, runbook, step=None, step_ids=None, **kwargs):
        if step is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": step.title, "category": step.category, "owner": step.owner_id,
                "planned_minutes": step.planned_minutes, "depends_on": [d.pk for d in step.depends_on.all()],
                "checkpoint": step.checkpoint, "point_of_no_return": step.point_of_no_return,
                "description": step.description, "rollback_instructions": step.rollback_instructions,
            }
        super().__init__(*args, **kwargs)
        self.fields["owner"].bind(runbook.project)
        self.fields["depends_on"].bind(runbook, exclude=step.pk if step else None,  # the service refuses a self-dependency
                                       ids=step_ids)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))


class RunForm(forms.Form):
    runbook = forms.ModelChoiceField(label=_("Runbook"), queryset=Runbook.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=RunKind.choices, initial=RunKind.REHEARSAL)
    planned_start = forms.DateTimeField(label=_("Planned start"), required=False, widget=DateTimeInput(),
                                        help_text=_("Empty: now for a rehearsal, the window start for production."))

    def __init__(self, *args, project, runbooks=None, **kwargs):
        """`runbooks`: the page's list of them, already loaded, to offer without asking again."""
        super().__init__(*args, **kwargs)
        self.fields["runbook"].queryset = project.runbooks.order_by("kind", "name")
        if runbooks is not None:
            offer(self.fields["runbook"], sorted(runbooks, key=lambda r: (r.kind, r.name)))


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


def offer(field, objects):
    """Show `objects` (a list the page has loaded already) as the choices of a ModelChoiceField, so
    rendering the form asks nothing more; validation still uses the field's queryset."""
    field.choices = [("", field.empty_label), *((o.pk, field.label_from_instance(o)) for o in objects)]


class PlanForm(forms.Form):
    rollback_criteria = forms.CharField(label=_("Rollback criteria"), widget=forms.Textarea(attrs={"rows": 5}),
                                        help_text=_("When does the team switch back to the old system?"))
    decision_owner = MemberField(label=_("Decision owner"), required=False)
    rollback_runbook = forms.ModelChoiceField(label=_("Rollback runbook"), queryset=Runbook.objects.none(),
                                              required=False)
    point_of_no_return_at = forms.DateTimeField(
        label=_("Latest rollback decision (agreed)"), required=False, widget=DateTimeInput(),
        help_text=_("Optional: on the go-live night the decision is due by the earliest of this time, the start of "
                    "the point-of-no-return step and the last moment a rollback still fits in the window."))

    def __init__(self, *args, project, rollback_runbooks=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision_owner"].bind(project)
        self.fields["rollback_runbook"].queryset = project.runbooks.filter(kind=RunbookKind.ROLLBACK)
        if rollback_runbooks is not None:
            offer(self.fields["rollback_runbook"], rollback_runbooks)


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
        field = self.fields["step"]
        field.queryset = run.steps.order_by("order", "id")  # any step of the run is accepted
        if run.steps.count() > STEP_SELECT_LIMIT:
            # A long run lists the steps an issue is about on the night; any other is named by
            # filing from its page (the chosen one is always listed).
            chosen = self.data.get(self.add_prefix("step")) if self.is_bound else self.initial.get("step")
            chosen = int(chosen) if str(chosen or "").isdigit() else None
            recent = run.steps.filter(status__in=FINISHED_STEP, actual_end__isnull=False).order_by("-actual_end")
            listed = field.queryset.filter(
                Q(status__in=(RunStepStatus.RUNNING, RunStepStatus.FAILED, RunStepStatus.READY)) | Q(pk=chosen)
                | Q(pk__in=recent.values("pk")[:10])).only("id", "title")[:200]
            field.widget.choices = [("", field.empty_label), *((s.pk, s.title) for s in listed)]
            field.help_text = _("Running, failed and ready steps and the last finished; report from a step's page "
                                "to name any other.")
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

    def __init__(self, *args, project, keep_owner=None, rollback_runbooks=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].bind(project, keep=keep_owner)
        self.fields["rollback_runbook"].queryset = project.runbooks.filter(kind=RunbookKind.ROLLBACK)
        if rollback_runbooks is not None:
            offer(self.fields["rollback_runbook"], rollback_runbooks)


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


class EnvCheckForm(forms.Form):
    category = forms.ChoiceField(label=_("Checklist"), choices=EnvCategory.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    location = forms.CharField(label=_("Site or branch"), max_length=120, required=False)
    owner = MemberField(label=_("Owner"), required=False)
    due_at = forms.DateTimeField(label=_("Due"), required=False, widget=DateTimeInput())
    mandatory = forms.BooleanField(label=_("Mandatory"), required=False, initial=True,
                                   help_text=_("Mandatory items must be ready with evidence before go-live."))
    note = forms.CharField(label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, project, item=None, **kwargs):
        if item is not None and "initial" not in kwargs:
            kwargs["initial"] = {f: getattr(item, f) for f in ("category", "title", "location", "owner", "due_at",
                                                               "mandatory", "note")}
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["owner"].bind(project, keep=item.owner_id if item is not None else None)

    def clean_due_at(self):
        # As for work items: an untouched due time keeps its seconds, so its reminders do not fire again.
        due_at = self.cleaned_data["due_at"]
        old = self.item.due_at if self.item is not None else None
        if due_at is not None and old is not None and due_at == old.replace(second=0, microsecond=0):
            return old
        return due_at

    def changes(self):
        if self.item is None:
            return dict(self.cleaned_data)
        return {name: value for name, value in self.cleaned_data.items() if value != self.initial.get(name)}


class EnvCheckStatusForm(forms.Form):
    to = forms.ChoiceField(label=_("Status"), choices=EnvCheckStatus.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"), required=False,
                           help_text=_("Screenshot, PDF, ZIP or configuration export (text)."))
    url = forms.CharField(label=_("or a link"), required=False, max_length=500)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class EnvTemplateForm(forms.Form):
    """Which standard checklists to copy, for the whole project or for one site or branch."""

    categories = forms.MultipleChoiceField(label=_("Checklists"), choices=EnvCategory.choices, required=False,
                                           widget=forms.CheckboxSelectMultiple,
                                           help_text=_("None ticked: every checklist."))
    location = forms.CharField(label=_("Site or branch"), max_length=120, required=False,
                               help_text=_("Empty: the project as a whole; a branch name: that branch's own items."))
