"""Input shape only; the rules live in services."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import Department, Milestone, OnCallShift, Phase, Project, Raci, Role, ShiftTier
from .pickers import MemberField

User = get_user_model()

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "code", "description", "phase", "go_live_at", "window_start", "window_end", "hypercare_days"]
        widgets = {"go_live_at": DT_WIDGET, "window_start": DT_WIDGET, "window_end": DT_WIDGET,
                   "description": forms.Textarea(attrs={"rows": 3})}


class ProjectCloneForm(forms.ModelForm):
    """A new project from a template: its own name, code and dates; the rest is copied."""

    class Meta:
        model = Project
        fields = ["name", "code", "go_live_at", "window_start", "window_end"]
        widgets = {"go_live_at": DT_WIDGET, "window_start": DT_WIDGET, "window_end": DT_WIDGET}

    def validate_unique(self):
        pass  # a taken code is the service's message (services.project_clone)


class MembershipForm(forms.Form):
    # A username box, not a drop-down of every account in the bank.
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), to_field_name="username",
                                  widget=forms.TextInput(attrs={"autocomplete": "off"}), label=_("Username"),
                                  error_messages={"invalid_choice": _("No active user with this username.")})
    role = forms.ChoiceField(choices=Role.choices, label=_("Role"))
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False, label=_("Department"))
    job_title = forms.CharField(max_length=120, required=False, label=_("Job title"))
    phone = forms.CharField(max_length=40, required=False, label=_("Phone"))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = project.departments.all()


class MembershipEditForm(MembershipForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["user"]


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name"]


class MilestoneForm(forms.ModelForm):
    owner = MemberField(required=False, label=_("Owner"))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].bind(project, keep=self.instance.owner_id)

    class Meta:
        model = Milestone
        fields = ["name", "phase", "planned_date", "forecast_date", "actual_date", "owner"]
        widgets = {"planned_date": DATE_WIDGET, "forecast_date": DATE_WIDGET, "actual_date": DATE_WIDGET}


class RaciCellForm(forms.Form):
    area = forms.CharField(max_length=120, label=_("Work area"))
    user = forms.IntegerField(widget=forms.HiddenInput)
    raci = forms.ChoiceField(choices=[("", "—")] + list(Raci.choices), required=False, label=_("RACI"))


class RaciAreaForm(forms.Form):
    area = forms.CharField(max_length=120, label=_("Work area"))
    user = MemberField(label=_("Person"))
    raci = forms.ChoiceField(choices=Raci.choices, label=_("RACI"), initial=Raci.ACCOUNTABLE)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].bind(project)


class ShiftForm(forms.ModelForm):
    user = MemberField(label=_("On duty"))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].bind(project)
        self.fields["tier"].required = False  # left out: primary, as every shift was before there were backups

    def clean_tier(self):
        return self.cleaned_data.get("tier") or ShiftTier.PRIMARY

    class Meta:
        model = OnCallShift
        fields = ["user", "tier", "starts_at", "ends_at", "note"]
        widgets = {"starts_at": DT_WIDGET, "ends_at": DT_WIDGET}


class RosterFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    role = forms.ChoiceField(choices=[("", _("All roles"))] + list(Role.choices), required=False, label=_("Role"))
    department = forms.IntegerField(required=False, label=_("Department"))


PHASES = Phase
