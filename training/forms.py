"""Input shape only; the rules live in services."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from projects.models import Department, Role
from projects.pickers import MemberField

from .models import Course, Mode

User = get_user_model()

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CourseForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Description"))
    duration_minutes = forms.IntegerField(min_value=1, initial=60, label=_("Duration (minutes)"))
    required_roles = forms.MultipleChoiceField(choices=Role.choices, required=False,
                                               widget=forms.CheckboxSelectMultiple, label=_("Required for roles"))
    required_departments = forms.ModelMultipleChoiceField(
        queryset=Department.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label=_("Required for departments"),
        help_text=_("A person must take the course when their role and their department match; leave a list "
                    "empty to match everyone. Leave both empty for an optional course."))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["required_departments"].queryset = Department.objects.filter(project=project).order_by("name")


class MaterialForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    file = forms.FileField(required=False, label=_("Manual (file)"))
    link = forms.CharField(max_length=500, required=False, label=_("or link (e.g. /media/videos/intro.mp4)"))


class SessionForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.none(), label=_("Course"))
    trainer = MemberField(required=False, label=_("Trainer"), help_text=_("Empty: you run it."))
    mode = forms.ChoiceField(choices=Mode.choices, label=_("Mode"))
    location = forms.CharField(max_length=300, required=False, label=_("Location or meeting link"))
    starts_at = forms.DateTimeField(widget=DT_WIDGET, label=_("Starts at"))
    ends_at = forms.DateTimeField(widget=DT_WIDGET, label=_("Ends at"))
    capacity = forms.IntegerField(label=_("Seats"))
    signup_deadline = forms.DateTimeField(widget=DT_WIDGET, required=False, label=_("Sign-up deadline"),
                                          help_text=_("Empty: until the session starts."))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(project=project).order_by("title")
        self.fields["trainer"].bind(project, roles=[Role.TRAINER, Role.MANAGER])


class CatalogueFilterForm(forms.Form):
    course = forms.IntegerField(required=False)
    mode = forms.ChoiceField(choices=[("", "")] + list(Mode.choices), required=False)
    date_from = forms.DateField(required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(required=False, widget=DATE_WIDGET)
    past = forms.BooleanField(required=False)


class EnrolOtherForm(forms.Form):
    user = MemberField(label=_("Person"))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].bind(project)
