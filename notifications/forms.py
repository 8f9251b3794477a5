"""Input shape only; the rules live in services."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from projects.pickers import MemberField

from .models import AlertSeverity, ChannelKind, EmailMode

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


class ChannelForm(forms.Form):
    name = forms.CharField(max_length=120, label=pgettext_lazy("thing", "Name"), help_text=_("e.g. “Cutover war room”"))
    kind = forms.ChoiceField(choices=ChannelKind.choices, label=_("Platform"))
    url = forms.CharField(max_length=500, label=_("Webhook address"),
                          widget=forms.URLInput(attrs={"placeholder": "https://…"}))
    secret = forms.CharField(max_length=200, required=False, label=_("Signing secret"),
                             widget=forms.PasswordInput(render_value=False),
                             help_text=_("DingTalk 加签 / Feishu 签名校验 / webhook secret. Never shown again; leave "
                                         "empty to keep the current one."))
    language = forms.ChoiceField(choices=settings.LANGUAGES, label=_("Language of the messages"))
    events = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, label=_("Events"),
                                       help_text=_("None ticked: every kind."))
    active = forms.BooleanField(required=False, initial=True, label=_("Active"))

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = kinds


class AlertForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("What is wrong"))
    severity = forms.ChoiceField(choices=AlertSeverity.choices, initial=AlertSeverity.WARNING, label=_("Severity"))
    source = forms.CharField(max_length=120, required=False, label=_("Source"),
                             help_text=_("The monitoring tool or person that saw it."))
    policy = forms.ChoiceField(required=False, label=_("Escalation policy"))

    def __init__(self, *args, policies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = [("", _("The project's first policy"))] + [(p.pk, p.name) for p in policies]


POLICY_ROWS = 5


PERSON = "user"  # the "a named person" choice: the person comes from the member box of the row


class PolicyForm(forms.Form):
    """A name and up to five steps (whom to call, minutes to wait before the next step). A step that
    calls a named person picks them in a member box (a bank has thousands of members)."""

    name = forms.CharField(max_length=120, label=pgettext_lazy("thing", "Name"))

    def __init__(self, *args, targets, project, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + list(targets) + [(PERSON, _("A named person…"))]
        for i in range(1, POLICY_ROWS + 1):
            self.fields[f"target_{i}"] = forms.ChoiceField(choices=choices, required=False,
                                                           label=_("Step %(n)d: call") % {"n": i})
            self.fields[f"person_{i}"] = MemberField(required=False, label=_("named person")).bind(project)
            self.fields[f"wait_{i}"] = forms.IntegerField(min_value=0, max_value=24 * 60, required=False,
                                                          label=_("then wait (minutes)"))

    def rows(self):
        return [(self[f"target_{i}"], self[f"person_{i}"], self[f"wait_{i}"]) for i in range(1, POLICY_ROWS + 1)]

    def clean(self):
        data = super().clean()
        for i in range(1, POLICY_ROWS + 1):
            if data.get(f"target_{i}") == PERSON and not data.get(f"person_{i}"):
                self.add_error(f"person_{i}", _("Name the person this step calls."))
        return data

    def steps(self):
        out = []
        for i in range(1, POLICY_ROWS + 1):
            target = self.cleaned_data.get(f"target_{i}")
            if target == PERSON:
                target = f"user:{self.cleaned_data[f'person_{i}'].pk}"
            if target:
                out.append({"wait_minutes": self.cleaned_data.get(f"wait_{i}") or 0, "target": target})
        return out

    @staticmethod
    def initial_for(policy):
        initial = {"name": policy.name}
        for i, step in enumerate(policy.steps, start=1):
            target = step["target"]
            if target.startswith("user:"):
                initial[f"target_{i}"], initial[f"person_{i}"] = PERSON, target.split(":", 1)[1]
            else:
                initial[f"target_{i}"] = target
            initial[f"wait_{i}"] = step["wait_minutes"]
        return initial
