"""Input shape only; the rules live in services."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import EmailMode

TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class InboxFilterForm(forms.Form):
    STATES = [("", _("All")), ("unread", _("Unread")), ("read", _("Read"))]
    state = forms.ChoiceField(choices=STATES, required=False, label=_("Show"))
    project = forms.IntegerField(required=False, label=_("Project"))
    kind = forms.CharField(required=False, max_length=60, label=_("Kind"))


class PreferenceForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES, label=_("Language of notifications and e-mails"))
    email_enabled = forms.BooleanField(required=False, label=_("Send me e-mail"),
                                       help_text=_("In-app notifications always appear in your inbox."))
    email_mode = forms.ChoiceField(choices=EmailMode.choices, widget=forms.RadioSelect, label=_("When"))
    digest_hour = forms.TypedChoiceField(choices=[(h, f"{h:02d}:00") for h in range(24)], coerce=int,
                                         label=_("Daily digest at"))
    quiet_start = forms.TimeField(required=False, widget=TIME_WIDGET, label=_("Quiet hours from"))
    quiet_end = forms.TimeField(required=False, widget=TIME_WIDGET, label=_("Quiet hours until"),
                                help_text=_("No e-mail in this time; it waits until the quiet hours end."))
    email_kinds = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                            label=_("E-mail me about"))

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email_kinds"].choices = kinds


class ReminderSettingForm(forms.Form):
    """One row of the project's reminder settings page."""

    kind = forms.CharField(widget=forms.HiddenInput, max_length=60, required=False)  # rows not posted are kept
    enabled = forms.BooleanField(required=False, label=_("On"))
    lead_hours = forms.IntegerField(required=False, min_value=1, max_value=24 * 90, label=_("Lead time (hours)"))
