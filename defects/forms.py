"""Input shape only; the workflow and its rules live in services."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from projects.pickers import MemberField, RecordField

from . import links, selectors
from .models import (
    Category,
    CycleKind,
    Defect,
    FindingSeverity,
    FindingSource,
    FindingStatus,
    FoundIn,
    PerfTool,
    Priority,
    RejectReason,
    ResultStatus,
    Severity,
    Status,
    TestCase,
    TestCycle,
    TriageBy,
)
from .selectors import ASSIGNABLE_ROLES

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = {"rows": 4}


def _requirement_field(project, *, multiple=False, **kwargs):
    """A project's requirement(s): a list while there are few, codes with suggestions when thousands."""
    qs = links.requirements_of(project)
    if qs is None:
        return None
    field = RecordField(multiple=multiple, label=_("Requirements") if multiple else _("Requirement"), **kwargs)
    return field.bind(qs, lookup_url=reverse("requirements:lookup", args=[project.pk]),
                      unknown=_("No requirement with the code “%(value)s” in this project."))


INCIDENT_FIELDS = ("customers_affected", "branches_affected", "incident_started_at", "resolved_at")


class ReportFieldsMixin:
    """Splits a defect form for `defects/_report_fields.html`: the incident impact applies to hypercare only."""

    @property
    def report_fields(self):
        return [f for f in self.visible_fields() if f.name not in INCIDENT_FIELDS]

    @property
    def incident_fields(self):
        return [f for f in self.visible_fields() if f.name in INCIDENT_FIELDS]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """0..n files in one field (Django's documented recipe); each is vetted by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class DefectForm(ReportFieldsMixin, forms.Form):
    title = forms.CharField(max_length=300, label=_("Title"))
    severity = forms.ChoiceField(choices=[("", "---------")] + Severity.choices, label=_("Severity"))
    priority = forms.ChoiceField(choices=Priority.choices, label=_("Priority"), initial=Priority.MEDIUM)
    category = forms.ChoiceField(choices=[("", "---------")] + Category.choices, label=_("Category"))
    found_in = forms.ChoiceField(choices=FoundIn.choices, label=_("Found in"))
    cycle = forms.ModelChoiceField(queryset=TestCycle.objects.none(), required=False, label=_("Test cycle"))
    environment = forms.CharField(max_length=300, required=False, label=_("Environment"),
                                  help_text=_("e.g. SIT, build 2.3.1, branch counter PC, Chrome 120"))
    steps = forms.CharField(widget=forms.Textarea(attrs=TEXT), label=_("Steps to reproduce"))
    expected_result = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Expected result"))
    actual_result = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Actual result"))
    assignee = MemberField(required=False, label=_("Assignee"))
    customers_affected = forms.IntegerField(min_value=0, required=False, label=_("Customers affected"))
    branches_affected = forms.IntegerField(min_value=0, required=False, label=_("Branches affected"))
    incident_started_at = forms.DateTimeField(required=False, widget=DT_WIDGET, label=_("Incident started at"))
    resolved_at = forms.DateTimeField(required=False, widget=DT_WIDGET, label=_("Resolved at"))
    test_result = forms.IntegerField(required=False, widget=forms.HiddenInput)
    attachments = MultipleFileField(required=False, label=_("Attachments"),
                                    help_text=_("Screenshots or logs (PNG, JPEG, GIF, PDF, ZIP or text); "
                                                "several at once. One file refused and nothing is filed."))

    INCIDENT_FIELDS = INCIDENT_FIELDS

    def __init__(self, *args, project, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = TestCycle.objects.filter(project=project)
        self.fields["assignee"].bind(project, roles=ASSIGNABLE_ROLES)
        requirement = _requirement_field(project)
        if requirement is not None:
            self.fields["requirement"] = requirement
            self.order_fields(["title", "severity", "priority", "category", "found_in", "cycle", "requirement"])
        if not user.has_perm("defects.file_testing", project):
            self.fields["found_in"].choices = [(FoundIn.HYPERCARE, FoundIn.HYPERCARE.label)]
            self.fields["found_in"].initial = FoundIn.HYPERCARE
        if not (user.has_perm("defects.triage", project) or user.has_perm("defects.file_testing", project)):
            del self.fields["assignee"]
        if not self.initial.get("found_in"):
            self.initial["found_in"] = FoundIn.HYPERCARE if project.phase in ("hypercare", "closed") \
                else self.fields["found_in"].initial or FoundIn.TESTING


class DefectEditForm(ReportFieldsMixin, forms.ModelForm):
    class Meta:
        model = Defect
        fields = ["title", "severity", "priority", "category", "found_in", "cycle", "environment", "steps",
                  "expected_result", "actual_result", "customers_affected", "branches_affected",
                  "incident_started_at", "resolved_at"]
        widgets = {"steps": forms.Textarea(attrs=TEXT), "expected_result": forms.Textarea(attrs={"rows": 2}),
                   "actual_result": forms.Textarea(attrs={"rows": 2}), "incident_started_at": DT_WIDGET,
                   "resolved_at": DT_WIDGET}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = TestCycle.objects.filter(project=project)
        requirement = _requirement_field(project, initial=self.instance.requirement_id if self.instance else None)
        if requirement is not None:
            self.fields["requirement"] = requirement
            self.order_fields(["title", "severity", "priority", "category", "found_in", "cycle", "requirement"])


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Status.choices, label=_("Move to"))
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Comment"))
    reject_reason = forms.ChoiceField(choices=[("", "—")] + list(RejectReason.choices), required=False,
                                      label=_("Reason (when rejecting)"))
    duplicate_of = forms.IntegerField(required=False, min_value=1, label=_("Duplicate of (defect number)"))


class AssignForm(forms.Form):
    assignee = MemberField(label=_("Assignee"))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].bind(project, roles=ASSIGNABLE_ROLES)


class BulkTriageForm(forms.Form):
    defects = forms.ModelMultipleChoiceField(queryset=Defect.objects.none(), label=_("Defects"))
    assignee = MemberField(required=False, label=_("Assign to"))
    priority = forms.ChoiceField(choices=[("", "—")] + list(Priority.choices), required=False, label=_("Priority"))
    open_new = forms.BooleanField(required=False, initial=True, label=_("Open the new ones"))

    def __init__(self, *args, project, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["defects"].queryset = selectors.defects_visible_to(user, project)
        self.fields["assignee"].bind(project, roles=ASSIGNABLE_ROLES)


class CommentForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Comment"))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("Screenshot or log: PNG, JPEG, GIF, PDF, ZIP or text."))


class DefectFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    severity = forms.ChoiceField(choices=[("", _("All severities"))] + list(Severity.choices), required=False)
    status = forms.ChoiceField(choices=[("", _("All statuses"))] + list(Status.choices), required=False)
    category = forms.ChoiceField(choices=[("", _("All categories"))] + list(Category.choices), required=False)
    found_in = forms.ChoiceField(choices=[("", _("Any phase"))] + list(FoundIn.choices), required=False)
    assignee = MemberField(required=False)
    cycle = forms.ModelChoiceField(queryset=TestCycle.objects.none(), required=False, empty_label=_("Any cycle"))
    overdue = forms.BooleanField(required=False, label=_("Overdue"))
    open = forms.BooleanField(required=False, label=_("Open only"))
    mine = forms.BooleanField(required=False, label=_("My defects"))
    sort = forms.CharField(required=False)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = TestCycle.objects.filter(project=project)
        self.fields["assignee"].bind(project, roles=ASSIGNABLE_ROLES)
        self.fields["assignee"].widget.attrs.update({"placeholder": _("Assignee: anyone"),
                                                     "aria-label": _("Assignee")})
        labels = {"severity": _("Severity"), "status": _("Status"), "category": _("Category"),
                  "found_in": _("Found in"), "assignee": _("Assignee"), "cycle": _("Test cycle")}
        for name, label in labels.items():
            self.fields[name].widget.attrs["aria-label"] = label


class SlaForm(forms.Form):
    severity = forms.ChoiceField(choices=Severity.choices, label=_("Severity"))
    triage_hours = forms.IntegerField(min_value=1, required=False, label=_("Hours to triage"))
    fix_hours = forms.IntegerField(min_value=1, required=False, label=_("Hours to fix"))


class DefectSettingsForm(forms.Form):
    triage_by = forms.ChoiceField(choices=TriageBy.choices, label=_("Who may triage new defects"),
                                  widget=forms.RadioSelect,
                                  help_text=_("Triage opens a new defect for work and assigns it."))


class CycleForm(forms.ModelForm):
    class Meta:
        model = TestCycle
        fields = ["name", "kind", "planned_start", "planned_end", "status"]
        widgets = {"planned_start": DATE_WIDGET, "planned_end": DATE_WIDGET}


class CyclePlanForm(CycleForm):
    """Planning a cycle: its dates and, optionally, its scope. Nothing chosen = every active case."""

    departments = forms.ModelMultipleChoiceField(queryset=TestCase.objects.none(), required=False,
                                                 label=_("Cases of these departments' requirements"))
    tags = forms.MultipleChoiceField(choices=[], required=False, label=_("Cases with these tags"))
    cases = RecordField(multiple=True, label=_("These cases (by hand)"))

    def __init__(self, *args, project, **kwargs):
        from projects.models import Department

        super().__init__(*args, **kwargs)
        requirements = _requirement_field(project, multiple=True)
        if requirements is not None:
            requirements.label = _("Cases of these requirements")
            self.fields["requirements"] = requirements
        self.fields["departments"].queryset = Department.objects.filter(project=project).order_by("name")
        self.fields["tags"].choices = [(t, t) for t in selectors.case_tags(project)]
        self.fields["cases"].bind(TestCase.objects.filter(project=project, active=True).order_by("code"),
                                  unknown=_("No active case with the code “%(value)s” in this project."))
        self.order_fields(["name", "kind", "planned_start", "planned_end", "status",
                           "requirements", "departments", "tags", "cases"])
        for name in ("departments", "tags"):
            self.fields[name].widget.attrs["size"] = 6


class CaseForm(forms.Form):
    code = forms.CharField(max_length=30, required=False, label=_("Code"), help_text=_("Empty: next TC-nnn."))
    title = forms.CharField(max_length=300, label=_("Title"))
    kind = forms.ChoiceField(choices=CycleKind.choices, label=_("Kind"))
    steps = forms.CharField(widget=forms.Textarea(attrs=TEXT), label=_("Steps"))
    expected_result = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Expected result"))
    tags = forms.CharField(max_length=400, required=False, label=_("Tags"),
                           help_text=_("Words separated by spaces or commas, e.g. smoke 柜面 regression."))
    automation_key = forms.CharField(max_length=500, required=False, label=_("Automated test"),
                                     help_text=_("classname.name as the CI's JUnit report names it (optional)."))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        requirements = _requirement_field(project, multiple=True)
        if requirements is not None:
            self.fields["requirements"] = requirements
            self.order_fields(["code", "title", "kind", "requirements"])


class CaseEditForm(CaseForm):
    """The case page's form: the code stays (results and reports refer to it)."""

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, project=project, **kwargs)
        del self.fields["code"]


class CaseFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    state = forms.ChoiceField(choices=[("active", _("Active")), ("retired", _("Retired")), ("all", _("All"))],
                              required=False, label=_("Cases"))
    tag = forms.CharField(required=False, label=_("Tag"))


class ResultForm(forms.Form):
    status = forms.ChoiceField(choices=ResultStatus.choices, label=_("Result"))
    note = forms.CharField(required=False, max_length=2000, label=_("Note"))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))


# ---------------------------------------------------------------- performance

class PerfTargetForm(forms.Form):
    transaction = forms.CharField(max_length=200, label=_("Transaction"),
                                  help_text=_("The JMeter label, Locust name or k6 tag value; ALL for the whole run."))
    p95_ms = forms.IntegerField(min_value=1, max_value=3_600_000, label=_("95th percentile at most (ms)"))
    min_tps = forms.FloatField(min_value=0.001, max_value=1_000_000, required=False,
                               label=_("Throughput at least (per s)"))
    max_error_rate = forms.FloatField(min_value=0, max_value=100, initial=1.0, label=_("Error rate at most (%)"))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        requirement = _requirement_field(project)
        if requirement is not None:
            self.fields["requirement"] = requirement


class PerfRunForm(forms.Form):
    name = forms.CharField(max_length=200, label=pgettext_lazy("thing", "Name"), help_text=_("e.g. Peak hour, 500 users, build 2.5.1"))
    tool = forms.ChoiceField(choices=PerfTool.choices, label=_("Tool"))
    cycle = forms.ModelChoiceField(queryset=TestCycle.objects.none(), required=False, label=_("Test cycle"))
    file = forms.FileField(required=False, label=_("Results file"),
                           help_text=_("JMeter CSV JTL, k6 summary JSON or Locust _stats.csv (you may add it later)."))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = TestCycle.objects.filter(project=project)


# ---------------------------------------------------------------- security findings

class FindingForm(forms.Form):
    title = forms.CharField(max_length=300, label=_("Title"))
    severity = forms.ChoiceField(choices=FindingSeverity.choices, label=_("Severity"))
    cwe = forms.IntegerField(min_value=1, max_value=99_999, required=False, label=_("CWE"),
                             help_text=_("e.g. 89 SQL injection, 79 cross-site scripting"))
    cvss_vector = forms.CharField(max_length=200, required=False, label=_("CVSS vector"),
                                  help_text="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    component = forms.CharField(max_length=300, required=False, label=_("Component"))
    location = forms.CharField(max_length=500, required=False, label=_("Where"))
    description = forms.CharField(widget=forms.Textarea(attrs=TEXT), label=_("Description"))
    solution = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Solution"))


class FindingImportForm(forms.Form):
    tool = forms.ChoiceField(choices=[("zap", "OWASP ZAP (JSON)"), ("bandit", "bandit (JSON)")], label=_("Tool"))
    file = forms.FileField(label=_("Report"))


class FindingFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    severity = forms.ChoiceField(choices=[("", _("All severities"))] + list(FindingSeverity.choices), required=False)
    status = forms.ChoiceField(choices=[("", _("All statuses"))] + list(FindingStatus.choices), required=False)
    source = forms.ChoiceField(choices=[("", _("Any source"))] + list(FindingSource.choices), required=False)
    open = forms.BooleanField(required=False, label=_("Still open"))
    pending = forms.BooleanField(required=False, label=_("Acceptance to approve"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in (("severity", _("Severity")), ("status", _("Status")), ("source", _("Source"))):
            self.fields[name].widget.attrs["aria-label"] = label


class FindingTransitionForm(forms.Form):
    to = forms.ChoiceField(choices=FindingStatus.choices, label=_("Move to"))
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000,
                              label=_("Why"))


class AcceptanceForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
                             label=_("Why the risk can be accepted"))
    expires_on = forms.DateField(widget=DATE_WIDGET, label=_("Accepted until"))
