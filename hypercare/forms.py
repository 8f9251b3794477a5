"""Input shape of feedback, triage and the retrospective; the rules live in services."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from defects.models import Defect, Severity
from projects.forms import DATE_WIDGET
from projects.pickers import MemberField

from .models import ComplaintChannel, ComplaintStatus, FeedbackCategory, FeedbackStatus, LessonKind, TriageOutcome

User = get_user_model()


class FeedbackForm(forms.Form):
    category = forms.ChoiceField(choices=FeedbackCategory.choices, label=_("What is it about?"),
                                 widget=forms.RadioSelect)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), label=_("Your feedback"), max_length=5000,
                           help_text=_("What you did, what happened, which branch or screen."))
    screenshot = forms.FileField(required=False, label=_("Screenshot (optional)"),
                                 help_text=_("PNG, JPEG or GIF."))
    page_url = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)


class TriageForm(forms.Form):
    outcome = forms.ChoiceField(choices=TriageOutcome.choices, label=_("Becomes"), widget=forms.RadioSelect)
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.MINOR, required=False,
                                 label=_("Severity (for a defect)"))
    title = forms.CharField(max_length=200, required=False, label=_("Defect title"),
                            help_text=_("Empty: the first line of the feedback."))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Note"),
                           help_text=_("For a requirement: what should be written; for a defect: the expected "
                                       "result."))
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                             label=_("Answer to the submitter"))


class AnswerForm(forms.Form):
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Answer to the submitter"))
    close = forms.BooleanField(required=False, label=_("Close the feedback"))


class FeedbackFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", _("Any status"))] + FeedbackStatus.choices, required=False,
                               label=_("Status"))
    category = forms.ChoiceField(choices=[("", _("Any category"))] + FeedbackCategory.choices, required=False,
                                 label=_("Category"))
    mine = forms.BooleanField(required=False, label=_("Only mine"))


class LessonForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=LessonKind.choices)
    text = forms.CharField(label=_("What happened, or what to try"), widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=2000)


class LessonActionForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=300)
    owner = MemberField(label=_("Owner"))
    due_date = forms.DateField(label=_("Due date"), widget=DATE_WIDGET)
    lesson = forms.ModelChoiceField(label=_("From item"), queryset=None, required=False)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].bind(project)
        self.fields["lesson"].queryset = project.lessons.order_by("kind", "-created_at")
        self.fields["lesson"].label_from_instance = lambda lesson: lesson.text[:60]


DT_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ComplaintForm(forms.Form):
    channel = forms.ChoiceField(choices=ComplaintChannel.choices, label=_("Channel"))
    category = forms.CharField(max_length=100, label=_("Category"),
                               help_text=_("What it is about, e.g. “transfer failed”, “long queue”."))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000,
                                  label=_("What the customer says"))
    customers_affected = forms.IntegerField(required=False, min_value=0, max_value=100_000_000,
                                            label=_("Customers affected"))
    received_at = forms.DateTimeField(widget=DT_WIDGET, required=False, label=_("Received at"),
                                      help_text=_("Empty: now."))
    owner = MemberField(required=False, label=_("Owner"))
    defect_number = forms.IntegerField(required=False, min_value=1, label=_("Defect or incident number"),
                                       help_text=_("The D-number of the defect or incident behind it, if known."))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["owner"].bind(project)

    def clean_defect_number(self):
        number = self.cleaned_data.get("defect_number")
        if number is None:
            return None
        defect = Defect.objects.filter(project=self.project, number=number).first()
        if defect is None:
            raise forms.ValidationError(_("No defect D-%(n)d in this project.") % {"n": number})
        return defect


class ComplaintTransitionForm(forms.Form):
    to = forms.ChoiceField(choices=ComplaintStatus.choices, label=_("Move to"))
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000,
                              label=_("Comment"), help_text=_("Needed when resolving: what was done for the customer."))


class ComplaintFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", _("Any status"))] + list(ComplaintStatus.choices), required=False)
    channel = forms.ChoiceField(choices=[("", _("Any channel"))] + list(ComplaintChannel.choices), required=False)
    q = forms.CharField(required=False, max_length=100)
