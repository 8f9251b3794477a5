"""Every write of readiness: per-project criteria settings, the daily snapshots, the go/no-go
decision (上线决策): open a meeting, collect e-signed sign-offs, record the decision; and the
governance of the launch: the risk register, meetings with their decisions and owned actions, and
the weekly status report to the managers and sponsors.

The readiness evidence is frozen when the meeting opens. A sign-off and the final decision are
e-signatures: the person re-enters their password, which is checked and never stored; wrong
passwords are counted and lock the signer out for a while. A final decision never changes:
the bank holds a new meeting instead.
"""

import logging
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from notifications.services import notify
from projects.audit import stamp
from projects.errors import DomainError, check_fields
from projects.models import Membership, Phase, Project, Role
from projects.people import display_name
from projects.safety import external_link_ok

from . import registry
from .models import (
    ActionStatus,
    DecisionStatus,
    GoNoGoDecision,
    GoNoGoSignOff,
    Meeting,
    MeetingAction,
    MeetingDecision,
    MeetingKind,
    ReadinessSnapshot,
    ReportSponsor,
    ReportStatus,
    Risk,
    RiskCategory,
    RiskStatus,
    SignatureFailure,
    StatusReport,
    Verdict,
)
from .reminders import STATUS_REPORT_MESSAGE
from .selectors import (
    SIGNOFF_ROLES_KEY,
    evidence_mandatory_blockers,
    report_recipients,
    signoff_roles,
    status_report,
    week_start,
)

log = logging.getLogger(__name__)

MAX_SIGNATURE_FAILURES = 5
SIGNATURE_LOCK = timedelta(minutes=15)
OVERRIDE_REASON_MAX = 4000


def _role_label(role):
    return str(Role(role).label)


def _check_roles(required_roles):
    roles = [r for r in (required_roles or []) if r]
    if not roles:
        raise DomainError(_("Choose at least one role whose sign-off the meeting needs."), field="required_roles")
    bad = [r for r in roles if r not in Role.values]
    if bad:
        raise DomainError(_("Unknown role “%(role)s”.") % {"role": bad[0]}, field="required_roles")
    return sorted(set(roles), key=Role.values.index)


@transaction.atomic
def gonogo_open(*, actor, project, title, meeting_at=None, required_roles=None) -> GoNoGoDecision:
    """Open a meeting and freeze the scorecard as its evidence. One open meeting per project."""
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the meeting a title, e.g. “Go/no-go 1”."), field="title")
    roles = _check_roles(signoff_roles(project) if required_roles is None else required_roles)
    if GoNoGoDecision.objects.filter(project=project, status=DecisionStatus.OPEN).exists():
        raise DomainError(_("A go/no-go meeting is already open: record its decision before opening another."),
                          field="title")
    result = registry.evaluate(project)
    evidence = registry.freeze(result)
    evidence["evaluated_at"] = timezone.now().isoformat()
    # Explanations and values are sentences rendered now, in the opener's language; note which.
    evidence["language"] = get_language()
    decision = GoNoGoDecision(project=project, title=title, meeting_at=meeting_at or timezone.now(),
                              required_roles=roles, evidence=evidence, score=evidence["score"],
                              ready=evidence["ready"], opened_by=actor)
    try:
        with transaction.atomic():
            stamp(decision, actor).save()
    except IntegrityError as exc:  # two managers opening at once: the constraint keeps one
        raise DomainError(_("A go/no-go meeting is already open: record its decision before opening another."),
                          field="title") from exc
    return decision


def _locked_for_update(decision):
    decision = GoNoGoDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.is_final:
        raise DomainError(_("This decision is final and can no longer be changed. Open a new meeting instead."),
                          code="final")
    return decision


@transaction.atomic
def gonogo_update(*, actor, decision, **changes) -> GoNoGoDecision:
    """Correct the title, time or required roles of a meeting that is still open."""
    allowed = {"title", "meeting_at", "required_roles"}
    check_fields(changes, allowed=allowed)
    decision = _locked_for_update(decision)
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
        if not changes["title"]:
            raise DomainError(_("Give the meeting a title, e.g. “Go/no-go 1”."), field="title")
    if "required_roles" in changes:
        changes["required_roles"] = _check_roles(changes["required_roles"])
        signed = set(decision.signoffs.values_list("role", flat=True))
        dropped = signed - set(changes["required_roles"])
        if dropped:
            raise DomainError(_("%(role)s has already signed; that role cannot be removed from the meeting.")
                              % {"role": _role_label(sorted(dropped)[0])}, field="required_roles")
    for field, value in changes.items():
        setattr(decision, field, value)
    stamp(decision, actor).save(update_fields=list(changes) or None)
    return decision


def check_signature(*, decision, user, password) -> None:
    """The e-signature: the signer's own password, re-entered. Failures are counted (and kept even
    though the sign-off is refused); after MAX_SIGNATURE_FAILURES the signer must wait."""
    since = timezone.now() - SIGNATURE_LOCK
    failures = SignatureFailure.objects.filter(decision=decision, user=user, attempted_at__gte=since).count()
    if failures >= MAX_SIGNATURE_FAILURES:
        raise DomainError(_("Too many wrong passwords: signing is locked for %(m)d minutes.")
                          % {"m": SIGNATURE_LOCK.seconds // 60}, field="password", code="locked")
    if not password or not user.check_password(password):
        SignatureFailure.objects.create(decision=decision, user=user)
        log.warning("Wrong e-signature password by user %s on go/no-go decision %s", user.pk, decision.pk)
        raise DomainError(_("The password is not correct; nothing was signed."), field="password",
                          code="signature")


def _check_verdict(verdict, comment, *, field="comment"):
    if verdict not in Verdict.values:
        raise DomainError(_("Choose go, no-go or go with conditions."), field="verdict")
    if verdict == Verdict.GO_WITH_CONDITIONS and not comment:
        raise DomainError(_("Write down the conditions of the go."), field=field)
    if verdict == Verdict.NO_GO and not comment:
        raise DomainError(_("Say why it is a no-go, so that the team knows what to fix."), field=field)


def gonogo_sign(*, decision, actor, role, verdict, comment="", password) -> GoNoGoSignOff:
    """One required role signs. The password is checked first, outside the write transaction,
    so that a failure is recorded even though nothing is signed."""
    check_signature(decision=decision, user=actor, password=password)
    return _record_signoff(decision=decision, actor=actor, role=role, verdict=verdict, comment=(comment or "").strip())


@transaction.atomic
def _record_signoff(*, decision, actor, role, verdict, comment):
    decision = _locked_for_update(decision)
    if role not in (decision.required_roles or []):
        raise DomainError(_("This meeting does not ask for a sign-off by that role."), field="role")
    if not Membership.objects.filter(project_id=decision.project_id, user=actor, role=role).exists():
        raise DomainError(_("Only a member holding the role %(role)s may sign for it.") % {"role": _role_label(role)},
                          field="role", code="permission")
    existing = decision.signoffs.filter(role=role).select_related("user").first()
    if existing:
        raise DomainError(_("%(who)s has already signed for %(role)s; a sign-off cannot be changed.")
                          % {"who": display_name(existing.user),
                             "role": _role_label(role)}, field="role")
    _check_verdict(verdict, comment)
    signoff = GoNoGoSignOff(decision=decision, role=role, user=actor, verdict=verdict, comment=comment,
                            signed_at=timezone.now())
    stamp(signoff, actor).save()
    return signoff


def gonogo_finalize(*, decision, actor, verdict, conditions="", override_reason="", password) -> GoNoGoDecision:
    """The manager records the final decision (also e-signed). Every required role must have signed;
    a go is refused while anyone signed no-go, and needs a written `override_reason` while mandatory
    criteria of the frozen evidence fail (the reason is recorded on the decision and in its history)."""
    check_signature(decision=decision, user=actor, password=password)
    return _finalize(decision=decision, actor=actor, verdict=verdict, conditions=(conditions or "").strip(),
                     override_reason=(override_reason or "").strip())


@transaction.atomic
def _finalize(*, decision, actor, verdict, conditions, override_reason=""):
    decision = _locked_for_update(decision)
    signoffs = {s.role: s for s in decision.signoffs.all()}
    missing = [r for r in decision.required_roles if r not in signoffs]
    if missing:
        raise DomainError(_("Waiting for sign-offs from: %(roles)s.") % {"roles": ", ".join(_role_label(r)
                                                                                          for r in missing)},
                          field="verdict")
    _check_verdict(verdict, conditions, field="conditions")
    no_go = [s for s in signoffs.values() if s.verdict == Verdict.NO_GO]
    if verdict != Verdict.NO_GO and no_go:
        raise DomainError(_("%(role)s signed no-go: a go needs every sign-off to be go. Record a no-go, or hold a "
                            "new meeting once the blockers are fixed.") % {"role": _role_label(no_go[0].role)},
                          field="verdict")
    blockers = evidence_mandatory_blockers(decision) if verdict != Verdict.NO_GO else []
    if blockers and not override_reason:
        raise DomainError(ngettext(
            "%(n)d mandatory criterion is not met in the evidence: a go against it needs a written reason for the "
            "override.",
            "%(n)d mandatory criteria are not met in the evidence: a go against them needs a written reason for the "
            "override.", len(blockers)) % {"n": len(blockers)}, field="override_reason")
    if len(override_reason) > OVERRIDE_REASON_MAX:
        raise DomainError(_("Keep the reason under %(n)d characters.") % {"n": OVERRIDE_REASON_MAX},
                          field="override_reason")
    decision.final_verdict = verdict
    decision.conditions = conditions
    # Only a go against blockers records a reason: on a no-go or a clean go there is nothing to override.
    decision.override_reason = override_reason if blockers else ""
    decision.decided_by = actor
    decision.decided_at = timezone.now()
    decision.status = DecisionStatus.FINAL
    stamp(decision, actor).save(update_fields=["final_verdict", "conditions", "override_reason", "decided_by",
                                               "decided_at", "status"])
    return decision


# ----- scorecard settings and snapshots -------------------------------------------------------


def _number(value, *, label, field):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DomainError(_("The target of “%(c)s” must be a number.") % {"c": label}, field=field) from None
    if number < 0:
        raise DomainError(_("The target of “%(c)s” cannot be negative.") % {"c": label}, field=field)
    return int(number) if number.is_integer() else number


@transaction.atomic
def readiness_settings_set(*, actor, project, settings: dict, required_signoffs=None) -> Project:
    """Store per-criterion {target, weight, mandatory} overrides (and the default sign-off roles).

    `settings` maps criterion keys to dicts; keys nobody registered are refused, so a typo
    cannot silently leave a default in force."""
    known = {c.key: c for c in registry.criteria()}
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise DomainError(_("Unknown readiness criterion: %(k)s") % {"k": ", ".join(unknown)}, field="settings")
    project = Project.objects.select_for_update().get(pk=project.pk)
    stored = dict(project.readiness_targets or {})
    for key, conf in settings.items():
        c = known[key]
        label = str(c.label)
        entry = {}
        if "target" in conf:
            entry["target"] = _number(conf["target"], label=label, field=f"{key}-target")
        if "weight" in conf:
            try:
                weight = int(conf["weight"])
            except (TypeError, ValueError):
                weight = -1
            if not 0 <= weight <= 10:
                raise DomainError(_("The weight of “%(c)s” must be a whole number from 0 to 10.") % {"c": label},
                                  field=f"{key}-weight")
            entry["weight"] = weight
        if "mandatory" in conf:
            entry["mandatory"] = bool(conf["mandatory"])
        defaults = {"target": c.default_target, "weight": c.weight, "mandatory": c.mandatory}
        entry = {k: v for k, v in entry.items() if v != defaults[k]}  # store only what differs
        if entry:
            stored[key] = entry
        else:
            stored.pop(key, None)
    if required_signoffs is not None:
        roles = [r for r in required_signoffs if r]
        bad = [r for r in roles if r not in Role.values]
        if bad or not roles:
            raise DomainError(_("Choose at least one role whose sign-off the go/no-go meeting needs."),
                              field="required_signoffs")
        stored[SIGNOFF_ROLES_KEY] = sorted(set(roles), key=Role.values.index)
    project.readiness_targets = stored
    stamp(project, actor).save(update_fields=["readiness_targets"])
    return project


def readiness_snapshot_take(*, project, day: date | None = None) -> ReadinessSnapshot:
    """Evaluate the scorecard now and keep it as the project's snapshot for `day` (one per day)."""
    day = day or timezone.localdate()
    frozen = registry.freeze(registry.evaluate(project))
    snapshot, _created = ReadinessSnapshot.objects.update_or_create(
        project=project, date=day,
        defaults={"score": frozen["score"], "ready": frozen["ready"], "criteria": frozen["criteria"]},
    )
    return snapshot


def readiness_snapshot_all(*, day: date | None = None) -> int:
    """Snapshot every project that is not closed; one project failing does not stop the others."""
    count = 0
    for project in Project.objects.exclude(phase=Phase.CLOSED).order_by("pk"):
        try:
            with transaction.atomic():
                readiness_snapshot_take(project=project, day=day)
        except Exception:  # noqa: BLE001 - logged; the other projects still get their snapshot
            log.exception("Readiness snapshot failed for project %s", project.pk)
            continue
        count += 1
    return count


# ----- risk register ---------------------------------------------------------------------------

RISK_FIELDS = {"title", "category", "likelihood", "impact", "owner", "mitigation", "trigger", "due", "review_on"}
# Who may move a risk where. `occurred` says the risk happened: it needs a note or a link to the incident.
RISK_TRANSITIONS = {
    RiskStatus.OPEN: {RiskStatus.MITIGATING, RiskStatus.CLOSED, RiskStatus.OCCURRED},
    RiskStatus.MITIGATING: {RiskStatus.OPEN, RiskStatus.CLOSED, RiskStatus.OCCURRED},
    RiskStatus.CLOSED: {RiskStatus.OPEN},
    RiskStatus.OCCURRED: {RiskStatus.CLOSED, RiskStatus.MITIGATING},
}


def _require_perm(actor, rule, obj, message):
    if actor is not None and not actor.has_perm(rule, obj):
        raise DomainError(message, code="permission")


def _scale(value, field, label):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise DomainError(_("%(what)s is rated from 1 (lowest) to 5 (highest).") % {"what": label}, field=field)
    return value


def _check_risk(*, project, title, category, likelihood, impact, owner, mitigation, trigger, due, review_on):
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Say what could go wrong, e.g. “core database fails during the migration”."),
                          field="title")
    if len(title) > 200:
        raise DomainError(_("The title can be at most 200 characters."), field="title")
    if category not in RiskCategory.values:
        raise DomainError(_("Category must be one of: %(all)s.") % {"all": ", ".join(RiskCategory.values)},
                          field="category")
    _scale(likelihood, "likelihood", _("Likelihood"))
    _scale(impact, "impact", _("Impact"))
    if owner is None:
        raise DomainError(_("Every risk needs an owner who watches it."), field="owner")
    if not Membership.objects.filter(project=project, user=owner).exists():
        raise DomainError(_("%(user)s is not a member of this project.") % {"user": display_name(owner)},
                          field="owner")
    trigger = (trigger or "").strip()
    if len(trigger) > 500:
        raise DomainError(_("The trigger can be at most 500 characters."), field="trigger")
    return {"title": title, "category": category, "likelihood": likelihood, "impact": impact, "owner": owner,
            "mitigation": (mitigation or "").strip(), "trigger": trigger, "due": due, "review_on": review_on}


@transaction.atomic
def risk_create(*, actor, project, title, category, likelihood, impact, owner, mitigation="", trigger="",
                due=None, review_on=None) -> Risk:
    """Enter a risk in the register (managers). The score and level follow from likelihood × impact."""
    _require_perm(actor, "readiness.risk_manage", project, _("Only the project manager enters risks in the register."))
    fields = _check_risk(project=project, title=title, category=category, likelihood=likelihood, impact=impact,
                         owner=owner, mitigation=mitigation, trigger=trigger, due=due, review_on=review_on)
    risk = Risk(project=project, created_by=actor, score=fields["likelihood"] * fields["impact"], **fields)
    stamp(risk, actor).save()
    return risk


@transaction.atomic
def risk_update(*, actor, risk, **changes) -> Risk:
    """Edit a risk: the manager changes anything; its owner the mitigation, trigger, dates and rating."""
    check_fields(changes, allowed=RISK_FIELDS)
    risk = Risk.objects.select_for_update().select_related("project").get(pk=risk.pk)
    _require_perm(actor, "readiness.risk_work", risk, _("Only the risk's owner and the project manager edit it."))
    if {"owner", "title", "category"} & set(changes) and actor is not None and not actor.has_perm("readiness.risk_manage", risk.project):
        raise DomainError(_("Only the project manager renames, recategorises or hands over a risk."),
                          code="permission")
    merged = {f: changes.get(f, getattr(risk, f)) for f in RISK_FIELDS}
    fields = _check_risk(project=risk.project, **merged)
    for key in changes:
        setattr(risk, key, fields[key])
    risk.score = risk.likelihood * risk.impact
    stamp(risk, actor).save(update_fields=[*changes, "score", "updated_at"])
    return risk


@transaction.atomic
def risk_transition(*, actor, risk, to, comment="", incident_url="") -> Risk:
    """open → mitigating → closed; open or mitigating → occurred (with what happened and where it is
    handled); a closed risk may be reopened."""
    risk = Risk.objects.select_for_update().select_related("project").get(pk=risk.pk)
    _require_perm(actor, "readiness.risk_work", risk, _("Only the risk's owner and the project manager move it."))
    if to not in RiskStatus.values:
        raise DomainError(_("Status must be one of: %(all)s.") % {"all": ", ".join(RiskStatus.values)}, field="to")
    if to not in RISK_TRANSITIONS[RiskStatus(risk.status)]:
        raise DomainError(_("A risk that is %(now)s cannot become %(to)s.") % {
            "now": risk.get_status_display(), "to": RiskStatus(to).label}, field="to")
    comment, incident_url = (comment or "").strip(), (incident_url or "").strip()
    if incident_url:
        if len(incident_url) > 500 or not external_link_ok(incident_url):
            raise DomainError(_("Give the incident as a link (https://… or a page of this site)."),
                              field="incident_url")
    if to == RiskStatus.OCCURRED and not (comment or incident_url):
        raise DomainError(_("Say what happened, or link the incident or cutover issue that handles it."),
                          field="comment")
    if to == RiskStatus.MITIGATING and not risk.mitigation:
        raise DomainError(_("Write the mitigation before marking the risk as being mitigated."), field="to")
    risk.status = to
    risk.status_note = comment
    if to == RiskStatus.OCCURRED:
        risk.incident_url = incident_url
    stamp(risk, actor).save(update_fields=["status", "status_note", "incident_url", "updated_at"])
    return risk


@transaction.atomic
def risk_review(*, actor, risk, next_review_on, likelihood=None, impact=None, now=None) -> Risk:
    """Record that the risk was reviewed (optionally re-rated) and when to look at it next."""
    risk = Risk.objects.select_for_update().select_related("project").get(pk=risk.pk)
    _require_perm(actor, "readiness.risk_work", risk, _("Only the risk's owner and the project manager review it."))
    now = now or timezone.now()
    if next_review_on is None or next_review_on <= timezone.localdate(now):
        raise DomainError(_("The next review must be a date after today."), field="next_review_on")
    if likelihood is not None:
        risk.likelihood = _scale(likelihood, "likelihood", _("Likelihood"))
    if impact is not None:
        risk.impact = _scale(impact, "impact", _("Impact"))
    risk.score = risk.likelihood * risk.impact
    risk.review_on, risk.reviewed_at = next_review_on, now
    stamp(risk, actor).save(update_fields=["likelihood", "impact", "score", "review_on", "reviewed_at", "updated_at"])
    return risk


# ----- meetings, decisions, actions -------------------------------------------------------------

MEETING_FIELDS = {"kind", "title", "held_at", "notes", "attendees"}


def _members_only(project, users, field):
    users = list(users or [])
    ids = {u.pk for u in users}
    found = set(Membership.objects.filter(project=project, user_id__in=ids).values_list("user_id", flat=True))
    missing = [u for u in users if u.pk not in found]
    if missing:
        raise DomainError(_("%(user)s is not a member of this project.") % {"user": display_name(missing[0])},
                          field=field)
    return users


def _check_meeting(*, project, kind, title, held_at, notes, attendees):
    if kind not in MeetingKind.values:
        raise DomainError(_("Kind must be one of: %(all)s.") % {"all": ", ".join(MeetingKind.values)}, field="kind")
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the meeting a title."), field="title")
    if len(title) > 200:
        raise DomainError(_("The title can be at most 200 characters."), field="title")
    if held_at is None:
        raise DomainError(_("Say when the meeting was held."), field="held_at")
    return {"kind": kind, "title": title, "held_at": held_at, "notes": (notes or "").strip(),
            "attendees": _members_only(project, attendees, "attendees")}


def _save_meeting(meeting, fields, actor, *, update_fields=None):
    attendees = fields.pop("attendees", None)
    for key, value in fields.items():
        setattr(meeting, key, value)
    meeting.held_on = timezone.localdate(meeting.held_at)
    if meeting.kind == MeetingKind.STANDUP and Meeting.objects.filter(
            project=meeting.project, kind=MeetingKind.STANDUP, held_on=meeting.held_on).exclude(pk=meeting.pk).exists():
        raise DomainError(_("There is a stand-up on %(day)s already; add to it instead.")
                          % {"day": f"{meeting.held_on:%Y-%m-%d}"}, field="held_at")
    stamp(meeting, actor)
    try:
        with transaction.atomic():
            meeting.save(update_fields=update_fields)
    except IntegrityError:  # the same stand-up started twice at once
        raise DomainError(_("There is a stand-up on %(day)s already; add to it instead.")
                          % {"day": f"{meeting.held_on:%Y-%m-%d}"}, field="held_at") from None
    if attendees is not None:
        meeting.attendees.set(attendees)
    return meeting


@transaction.atomic
def meeting_create(*, actor, project, kind, title, held_at, notes="", attendees=()) -> Meeting:
    """Minute a meeting (managers): kind, time, who was there, the notes."""
    _require_perm(actor, "readiness.meeting_hold", project, _("Only the project manager minutes meetings."))
    fields = _check_meeting(project=project, kind=kind, title=title, held_at=held_at, notes=notes,
                            attendees=attendees)
    return _save_meeting(Meeting(project=project, created_by=actor), fields, actor)


@transaction.atomic
def meeting_update(*, actor, meeting, **changes) -> Meeting:
    check_fields(changes, allowed=MEETING_FIELDS)
    meeting = Meeting.objects.select_for_update().select_related("project").get(pk=meeting.pk)
    _require_perm(actor, "readiness.meeting_hold", meeting.project, _("Only the project manager edits the minutes."))
    merged = {f: changes.get(f, getattr(meeting, f)) for f in MEETING_FIELDS - {"attendees"}}
    merged["attendees"] = changes.get("attendees", list(meeting.attendees.all()))
    fields = _check_meeting(project=meeting.project, **merged)
    if "attendees" not in changes:
        fields.pop("attendees")
    update = [f for f in changes if f != "attendees"]
    return _save_meeting(meeting, {k: v for k, v in fields.items() if k in changes}, actor,
                         update_fields=[*update, "held_on"] if update else ["held_on"])


@transaction.atomic
def standup_start(*, actor, project, now=None) -> tuple[Meeting, bool]:
    """Today's stand-up in one step: created with the attendees of the last one (the team that meets
    every morning), or the existing one when it was started already. Returns (meeting, created)."""
    _require_perm(actor, "readiness.meeting_hold", project, _("Only the project manager minutes meetings."))
    now = now or timezone.now()
    Project.objects.select_for_update().filter(pk=project.pk).first()  # two clicks at once make one stand-up
    today = timezone.localdate(now)
    existing = Meeting.objects.filter(project=project, kind=MeetingKind.STANDUP, held_on=today).first()
    if existing is not None:
        return existing, False
    last = Meeting.objects.filter(project=project, kind=MeetingKind.STANDUP).order_by("-held_on").first()
    attendees = list(last.attendees.filter(pk__in=Membership.objects.filter(project=project).values("user_id"))
                     ) if last else [actor]
    meeting = _save_meeting(Meeting(project=project, created_by=actor), {
        "kind": MeetingKind.STANDUP, "title": _("Daily stand-up %(day)s") % {"day": f"{today:%Y-%m-%d}"},
        "held_at": now, "notes": "", "attendees": attendees}, actor)
    return meeting, True


@transaction.atomic
def meeting_decide(*, actor, meeting, text) -> MeetingDecision:
    """Minute a decision taken in the meeting (never edited afterwards)."""
    _require_perm(actor, "readiness.meeting_hold", meeting.project, _("Only the project manager minutes decisions."))
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write down what was decided."), field="text")
    if len(text) > 5000:
        raise DomainError(_("A decision can be at most 5000 characters."), field="text")
    decision = MeetingDecision(meeting=meeting, text=text, recorded_by=actor)
    stamp(decision, actor).save()
    return decision


def _check_action(*, project, text, owner, due):
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Say what has to be done."), field="text")
    if len(text) > 500:
        raise DomainError(_("An action can be at most 500 characters."), field="text")
    if owner is None:
        raise DomainError(_("Every action needs an owner."), field="owner")
    _members_only(project, [owner], "owner")
    if due is None:
        raise DomainError(_("Give the action a due date."), field="due")
    return text


@transaction.atomic
def action_create(*, actor, meeting, text, owner, due) -> MeetingAction:
    """Give out an action in a meeting: what, who (a member), by when."""
    _require_perm(actor, "readiness.meeting_hold", meeting.project, _("Only the project manager gives out actions."))
    text = _check_action(project=meeting.project, text=text, owner=owner, due=due)
    action = MeetingAction(meeting=meeting, project_id=meeting.project_id, text=text, owner=owner, due=due,
                           created_by=actor)
    stamp(action, actor).save()
    return action


@transaction.atomic
def action_update(*, actor, action, **changes) -> MeetingAction:
    check_fields(changes, allowed={"text", "owner", "due"})
    action = MeetingAction.objects.select_for_update().select_related("project").get(pk=action.pk)
    _require_perm(actor, "readiness.meeting_hold", action.project, _("Only the project manager changes actions."))
    merged = {f: changes.get(f, getattr(action, f)) for f in ("text", "owner", "due")}
    merged["text"] = _check_action(project=action.project, **merged)
    for key in changes:
        setattr(action, key, merged[key])
    stamp(action, actor).save(update_fields=list(changes) or None)
    return action


@transaction.atomic
def action_set_status(*, actor, action, status, now=None) -> MeetingAction:
    """The owner (or the manager) marks an action done, or open again."""
    action = MeetingAction.objects.select_for_update().select_related("project").get(pk=action.pk)
    _require_perm(actor, "readiness.action_work", action, _("Only the action's owner and the project manager do this."))
    if status not in ActionStatus.values:
        raise DomainError(_("Status must be one of: %(all)s.") % {"all": ", ".join(ActionStatus.values)},
                          field="status")
    if status == action.status:
        return action
    action.status = status
    action.done_at = (now or timezone.now()) if status == ActionStatus.DONE else None
    stamp(action, actor).save(update_fields=["status", "done_at"])
    return action


# ----- weekly status report ----------------------------------------------------------------------

MAX_SUMMARY = 20000


def _draft(project, today):
    report, _created = StatusReport.objects.get_or_create(project=project, week_start=week_start(today))
    return report


@transaction.atomic
def status_report_summary_set(*, actor, project, summary, today=None) -> StatusReport:
    """The PM's summary of this week, shown on top of the report before it goes."""
    _require_perm(actor, "readiness.report_send", project, _("Only the project manager writes the summary."))
    summary = (summary or "").strip()
    if len(summary) > MAX_SUMMARY:
        raise DomainError(_("The summary can be at most %(n)d characters.") % {"n": MAX_SUMMARY}, field="summary")
    report = StatusReport.objects.select_for_update().get(pk=_draft(project, today or timezone.localdate()).pk)
    if report.status == ReportStatus.SENT:
        raise DomainError(_("This week's report was sent already; the summary goes into next week's."),
                          field="summary")
    report.summary = summary
    stamp(report, actor).save(update_fields=["summary"])
    return report


@transaction.atomic
def status_report_send(*, actor, project, now=None) -> StatusReport:
    """Freeze this week's report and tell every manager and sponsor (in-app and by e-mail, through the
    outbox; the page and the PDF are linked). Sending twice in a week sends nothing new."""
    _require_perm(actor, "readiness.report_send", project, _("Only the project manager sends the status report."))
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = StatusReport.objects.select_for_update().get(pk=_draft(project, today).pk)
    if report.status == ReportStatus.SENT:
        return report
    report.data = status_report(project=project, today=today)
    # Values are frozen; labels and sentences are stored with their keys too (rendered for each reader:
    # selectors.report_display). The language notes what the stored sentences themselves are written in.
    report.data["language"] = get_language()
    report.status, report.sent_at, report.sent_by = ReportStatus.SENT, now, actor
    people = list(report_recipients(project))
    report.recipients = len(people)
    stamp(report, actor).save(update_fields=["data", "status", "sent_at", "sent_by", "recipients"])
    url = reverse("readiness:status_report_sent", args=[project.pk, report.pk])
    message = STATUS_REPORT_MESSAGE(project=project.name, week=f"{report.week_start:%Y-%m-%d}",
                                    score=report.data["readiness"]["score"])
    for person in people:
        notify(recipient=person, kind="status_report", project=project, subject=report, url=url, message=message,
               dedupe_key=f"status_report:{report.pk}:{person.pk}")
    return report


@transaction.atomic
def report_sponsors_set(*, actor, project, users) -> list:
    """Who besides the managers receives the weekly report (members of the project)."""
    _require_perm(actor, "readiness.report_send", project, _("Only the project manager chooses the sponsors."))
    users = _members_only(project, users, "sponsors")
    keep = {u.pk for u in users}
    for row in ReportSponsor.objects.filter(project=project).exclude(user_id__in=keep):
        stamp(row, actor).delete()
    have = set(ReportSponsor.objects.filter(project=project).values_list("user_id", flat=True))
    for user in users:
        if user.pk not in have:
            stamp(ReportSponsor(project=project, user=user), actor).save()
    return users


def status_reports_send_all(*, now=None) -> int:
    """The weekly job: send this week's report of every project that is not closed (once a week)."""
    count = 0
    for project in Project.objects.exclude(phase=Phase.CLOSED).order_by("pk"):
        try:
            report = status_report_send(actor=None, project=project, now=now)
        except Exception:  # noqa: BLE001 - logged; the other projects still get their report
            log.exception("Status report failed for project %s", project.pk)
            continue
        count += report.recipients > 0
    return count


def readiness_settings_count(source) -> int:
    """Clone part: how many settings a copy takes (criteria overridden, and the sign-off roles if set)."""
    return len(source.readiness_targets or {})


def readiness_settings_copy(source, target, actor) -> int:
    """Clone part (projects.hooks.clone_part): the scorecard's targets, weights and mandatory flags and
    the go/no-go meeting's sign-off roles, as the template has them (they live on the project)."""
    stored = dict(source.readiness_targets or {})
    if not stored:
        return 0
    target.readiness_targets = stored
    stamp(target, actor).save(update_fields=["readiness_targets"])
    return len(stored)
