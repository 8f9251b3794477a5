"""Input shape only; the workflow rules live in services."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from projects.models import Department
from projects.pickers import MemberField

from .models import Priority, QuestionKind, Requirement, RequirementStatus, SurveyMethod

User = get_user_model()
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RequirementForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False, label=_("Description"))
    acceptance_criteria = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                          label=_("Acceptance criteria"),
                                          help_text=_("How a tester will know it works, one point per line."))
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.SHOULD, label=_("Priority"))
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False, label=_("Department"))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = project.departments.all()


class RequirementFilterForm(forms.Form):
    q = forms.CharField(required=False)
    status = forms.ChoiceField(choices=[("", "")] + list(RequirementStatus.choices), required=False)
    priority = forms.ChoiceField(choices=[("", "")] + list(Priority.choices), required=False)
    department = forms.CharField(required=False)
    sort = forms.CharField(required=False)


class CommentForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Comment"))


class ConflictForm(forms.Form):
    other = forms.ModelChoiceField(queryset=Requirement.objects.none(), label=_("Conflicts with"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("What do they disagree on?"))

    def __init__(self, *args, requirement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = Requirement.objects.filter(project_id=requirement.project_id).exclude(
            pk=requirement.pk).order_by("number")


class ResolveForm(forms.Form):
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("How was it settled?"))


class SurveyForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    method = forms.ChoiceField(choices=SurveyMethod.choices, label=_("Method"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Description"))
    departments = forms.ModelMultipleChoiceField(queryset=Department.objects.none(), required=False,
                                                 widget=forms.CheckboxSelectMultiple, label=_("Target departments"),
                                                 help_text=_("Leave empty to ask every department."))
    due_date = forms.DateField(required=False, widget=DATE_WIDGET, label=_("Due date"))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = project.departments.all()


class QuestionForm(forms.Form):
    text = forms.CharField(max_length=500, label=_("Question"))
    kind = forms.ChoiceField(choices=QuestionKind.choices, label=_("Kind"))
    choices = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Choices"),
                              help_text=_("For choice questions: one choice per line."))
    required = forms.BooleanField(required=False, label=_("Required"))


class InterviewForm(forms.Form):
    interviewees = forms.CharField(max_length=300, label=_("Interviewees"))
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False, label=_("Department"))
    held_on = forms.DateField(widget=DATE_WIDGET, label=_("Date"))
    interviewer = MemberField(required=False, label=_("Interviewer"))
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("Notes"))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = project.departments.all()
        self.fields["interviewer"].bind(project)


class AnswerForm(forms.Form):
    """One field per question, built from the survey."""

    def __init__(self, *args, questions, response=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        existing = {a.question_id: a for a in response.answers.all()} if response else {}
        for q in questions:
            name = f"q{q.pk}"
            a = existing.get(q.pk)
            if q.kind == QuestionKind.TEXT:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), initial=a.text if a else "")
            elif q.kind == QuestionKind.SINGLE:
                field = forms.ChoiceField(choices=[(c, c) for c in q.choices], widget=forms.RadioSelect,
                                          initial=a.selected[0] if a and a.selected else None)
            elif q.kind == QuestionKind.MULTIPLE:
                field = forms.MultipleChoiceField(choices=[(c, c) for c in q.choices],
                                                  widget=forms.CheckboxSelectMultiple,
                                                  initial=a.selected if a else [])
            else:
                field = forms.TypedChoiceField(choices=[(i, str(i)) for i in range(1, 6)], coerce=int,
                                               widget=forms.RadioSelect, empty_value=None,
                                               initial=a.scale if a else None)
            field.required = False  # the service says which required question is missing
            field.label = q.text
            field.question = q
            self.fields[name] = field

    def answers(self):
        return {q.pk: self.cleaned_data.get(f"q{q.pk}") for q in self.questions}
