"""Input shape only; the rules live in services."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from projects.models import Department, Role
from projects.pickers import MemberField

from .models import Completion, Course, ImpactLevel, Mode, ModuleKind

User = get_user_model()

DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CourseForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Description"))
    duration_minutes = forms.IntegerField(min_value=1, initial=60, label=_("Duration (minutes)"))
    completion = forms.ChoiceField(choices=Completion.choices, initial=Completion.OFFLINE, label=_("Completed by"),
                                   required=False,
                                   help_text=_("Online: every online module done (quizzes passed)."))
    required_roles = forms.MultipleChoiceField(choices=Role.choices, required=False,
                                               widget=forms.CheckboxSelectMultiple, label=_("Required for roles"))
    required_departments = forms.ModelMultipleChoiceField(
        queryset=Department.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label=_("Required for departments"),
        help_text=_("A person must take the course when their role and their department match; leave a list "
                    "empty to match everyone. Leave both empty for an optional course."))

    def clean_completion(self):
        return self.cleaned_data.get("completion") or Completion.OFFLINE

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


class ModuleForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    kind = forms.ChoiceField(choices=ModuleKind.choices, label=_("Kind"))
    url = forms.CharField(max_length=500, required=False, label=_("Link"),
                          help_text=_("A hosted video or page (https://… or /media/…), or upload a file instead."))
    file = forms.FileField(required=False, label=_("File (MP4 video, PDF or Office manual)"))
    minutes = forms.IntegerField(min_value=1, max_value=10000, initial=10, label=_("Minutes"))
    pass_mark = forms.IntegerField(required=False, min_value=0, max_value=100, label=_("Quiz pass mark (%)"),
                                   help_text=_("Empty: the quiz (if any) is practice and does not block completion."))


class QuestionForm(forms.Form):
    text = forms.CharField(max_length=500, label=_("Question"))
    choices = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("Choices (one per line)"))
    correct = forms.IntegerField(min_value=1, max_value=10, label=_("Number of the correct choice"),
                                 help_text=_("1 for the first line, 2 for the second…"))

    def clean(self):
        data = super().clean()
        if "choices" in data:
            data["choices"] = [line.strip() for line in data["choices"].splitlines() if line.strip()]
        if data.get("correct") is not None:
            data["correct"] -= 1  # people count from 1, the quiz from 0
        return data


class ChangeImpactForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False, label=_("Department"))
    role = forms.ChoiceField(choices=[("", _("Any role"))] + list(Role.choices), required=False, label=_("Role"))
    area = forms.CharField(max_length=200, label=_("Area"),
                           help_text=_("What changes, e.g. “cash deposit at the counter”."))
    change = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("How it changes"))
    impact = forms.ChoiceField(choices=ImpactLevel.choices, label=_("Impact"))
    actions = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Actions"),
                              help_text=_("Training, manuals, extra staff at the counter…"))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(project=project).order_by("name")
