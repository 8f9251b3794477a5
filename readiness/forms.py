"""Forms of the scorecard settings and the go/no-go pages (input shape only; rules live in services)."""

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.forms import DATE_WIDGET, DT_WIDGET
from projects.models import Role
from projects.pickers import MemberField, members

from .models import MeetingKind, RiskCategory, RiskStatus, Verdict
from .selectors import area_label, criteria_settings, signoff_roles


class ReadinessSettingsForm(forms.Form):
    """One row per registered criterion: target, weight, mandatory; plus the default sign-off roles."""

    required_signoffs = forms.MultipleChoiceField(
        label=_("Go/no-go sign-offs required by default"), choices=Role.choices, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        settings = criteria_settings(project)
        self.criteria = [c for c, _conf in settings]
        self.fields["required_signoffs"].initial = signoff_roles(project)
        for c, conf in settings:
            self.fields[f"{c.key}-target"] = forms.FloatField(label=_("Target"), initial=conf["target"], min_value=0)
            self.fields[f"{c.key}-weight"] = forms.IntegerField(label=_("Weight"), initial=conf["weight"], min_value=0,
                                                                max_value=10)
            self.fields[f"{c.key}-mandatory"] = forms.BooleanField(label=_("Mandatory"), initial=conf["mandatory"],
                                                                   required=False)

    def rows(self):
        for c in self.criteria:
            yield {"criterion": c, "area": area_label(c.area), "target": self[f"{c.key}-target"], "weight": self[f"{c.key}-weight"],
                   "mandatory": self[f"{c.key}-mandatory"]}

    def settings(self):
        data = self.cleaned_data
        return {c.key: {"target": data[f"{c.key}-target"], "weight": data[f"{c.key}-weight"],
                        "mandatory": data[f"{c.key}-mandatory"]} for c in self.criteria}


class GoNoGoOpenForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    meeting_at = forms.DateTimeField(label=_("Meeting at"), widget=DT_WIDGET)
    required_roles = forms.MultipleChoiceField(label=_("Sign-offs required"), choices=Role.choices,
                                               widget=forms.CheckboxSelectMultiple)


class SignOffForm(forms.Form):
    role = forms.ChoiceField(label=_("Signing as"))
    verdict = forms.ChoiceField(label=_("Decision"), choices=Verdict.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment / conditions"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    password = forms.CharField(label=_("Your password (e-signature)"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, Role(r).label) for r in roles]


class FinalizeForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Final decision"), choices=Verdict.choices, widget=forms.RadioSelect)
    conditions = forms.CharField(label=_("Conditions / reasons"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    override_reason = forms.CharField(
        label=_("Reason for going live against the open mandatory blockers"), required=False, max_length=4000,
        help_text=_("Needed for a go while mandatory criteria are not met; recorded on the decision and its report."),
        widget=forms.Textarea(attrs={"rows": 3}))
    password = forms.CharField(label=_("Your password (e-signature)"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, blockers=0, **kwargs):
        super().__init__(*args, **kwargs)
        if not blockers:  # nothing to override: the field would only confuse
            del self.fields["override_reason"]


SCALE = [(n, str(n)) for n in range(1, 6)]


class RiskForm(forms.Form):
    """A risk of the register. Likelihood and impact are 1–5; the score and level follow."""

    title = forms.CharField(label=_("What could go wrong"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=RiskCategory.choices)
    likelihood = forms.TypedChoiceField(label=_("Likelihood (1–5)"), choices=SCALE, coerce=int, initial=3)
    impact = forms.TypedChoiceField(label=_("Impact (1–5)"), choices=SCALE, coerce=int, initial=3)
    owner = MemberField(label=_("Owner"))
    mitigation = forms.CharField(label=_("Mitigation"), required=False, max_length=10000,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    trigger = forms.CharField(label=_("Trigger (early warning)"), required=False, max_length=500)
    due = forms.DateField(label=_("Mitigation due"), required=False, widget=DATE_WIDGET)
    review_on = forms.DateField(label=_("Next review"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, project, risk=None, owner_only=False, **kwargs):
        if risk is not None:
            kwargs.setdefault("initial", {f: getattr(risk, f) for f in (
                "title", "category", "likelihood", "impact", "mitigation", "trigger", "due", "review_on")}
                | {"owner": risk.owner})
        super().__init__(*args, **kwargs)
        self.fields["owner"].bind(project, keep=risk.owner_id if risk else None)
        if owner_only:  # the owner edits the mitigation, rating and dates; the manager the rest
            for name in ("title", "category", "owner"):
                del self.fields[name]


class RiskTransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("New status"), choices=RiskStatus.choices)
    comment = forms.CharField(label=_("Note"), required=False, max_length=10000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    incident_url = forms.CharField(label=_("Incident or issue link"), required=False, max_length=500)


class RiskReviewForm(forms.Form):
    next_review_on = forms.DateField(label=_("Next review"), widget=DATE_WIDGET)
    likelihood = forms.TypedChoiceField(label=_("Likelihood (1–5)"), choices=SCALE, coerce=int)
    impact = forms.TypedChoiceField(label=_("Impact (1–5)"), choices=SCALE, coerce=int)


class AttendeesField(forms.CharField):
    """Who attended, typed as logins separated by commas, spaces or new lines (a team of hundreds
    never becomes a list of check boxes). Every login must be a member of the project."""

    widget = forms.Textarea(attrs={"rows": 2})

    def __init__(self, *, project=None, **kwargs):
        self.project = project
        kwargs.setdefault("help_text", _("Logins, separated by commas or new lines."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(u.get_username() if hasattr(u, "get_username") else str(u) for u in value)
        return value

    def clean(self, value):
        text = super().clean(value) or ""
        logins = list(dict.fromkeys(w for w in re.split(r"[\s,，、;；]+", text) if w))
        found = {u.get_username(): u for u in members(self.project).filter(username__in=logins)}
        unknown = [w for w in logins if w not in found]
        if unknown:
            raise forms.ValidationError(_("Not members of this project: %(logins)s") % {
                "logins": ", ".join(unknown[:10])})
        return [found[w] for w in logins]


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MeetingKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    held_at = forms.DateTimeField(label=_("Held at"), widget=DT_WIDGET)
    attendees = AttendeesField(label=_("Attendees"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=50000,
                            widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, project, meeting=None, **kwargs):
        if meeting is not None:
            kwargs.setdefault("initial", {"kind": meeting.kind, "title": meeting.title,
                                          "held_at": timezone.localtime(meeting.held_at), "notes": meeting.notes,
                                          "attendees": list(meeting.attendees.all())})
        super().__init__(*args, **kwargs)
        self.fields["attendees"].project = project


class MeetingDecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class MeetingActionForm(forms.Form):
    text = forms.CharField(label=_("Action"), max_length=500)
    owner = MemberField(label=_("Owner"))
    due = forms.DateField(label=_("Due"), widget=DATE_WIDGET)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].bind(project)


class StatusSummaryForm(forms.Form):
    summary = forms.CharField(label=_("Summary of the week"), required=False, max_length=20000,
                              widget=forms.Textarea(attrs={"rows": 5}))


class SponsorsForm(forms.Form):
    sponsors = AttendeesField(label=_("Sponsors (besides the managers)"), required=False)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sponsors"].project = project
