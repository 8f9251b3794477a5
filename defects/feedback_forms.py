"""Input shape of feedback, triage and the daily report; the rules live in feedback_services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FeedbackCategory, FeedbackStatus, Severity, TriageOutcome


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
