"""The go/no-go decision (上线决策): open a meeting, collect e-signed sign-offs, record the decision.

The readiness evidence is frozen when the meeting opens. A sign-off and the final decision are
e-signatures: the person re-enters their password, which is checked and never stored; wrong
passwords are counted and lock the signer out for a while. A final decision never changes:
the bank holds a new meeting instead.
"""

import logging
from datetime import timedelta
from io import BytesIO

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from projects.people import display_name

from . import readiness
from .audit import stamp
from .errors import DomainError, check_fields
from .models import DecisionStatus, GoNoGoDecision, GoNoGoSignOff, Membership, Role, SignatureFailure, Verdict
from .readiness_services import signoff_roles

log = logging.getLogger(__name__)

MAX_SIGNATURE_FAILURES = 5
SIGNATURE_LOCK = timedelta(minutes=15)


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
    result = readiness.evaluate(project)
    evidence = readiness.freeze(result)
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


def gonogo_finalize(*, decision, actor, verdict, conditions="", password) -> GoNoGoDecision:
    """The manager records the final decision (also e-signed). Every required role must have signed;
    a go is refused while anyone signed no-go."""
    check_signature(decision=decision, user=actor, password=password)
    return _finalize(decision=decision, actor=actor, verdict=verdict, conditions=(conditions or "").strip())


@transaction.atomic
def _finalize(*, decision, actor, verdict, conditions):
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
    decision.final_verdict = verdict
    decision.conditions = conditions
    decision.decided_by = actor
    decision.decided_at = timezone.now()
    decision.status = DecisionStatus.FINAL
    stamp(decision, actor).save(update_fields=["final_verdict", "conditions", "decided_by", "decided_at", "status"])
    return decision


# ----- reads ---------------------------------------------------------------------------------


def decisions(*, project):
    return (GoNoGoDecision.objects.filter(project=project)
            .select_related("decided_by", "opened_by")
            .prefetch_related(Prefetch("signoffs", queryset=GoNoGoSignOff.objects.select_related("user")))
            .order_by("-meeting_at", "-id"))


def decision_get(*, project, pk) -> GoNoGoDecision:
    from django.http import Http404

    decision = decisions(project=project).filter(pk=pk).first()
    if decision is None:
        raise Http404
    return decision


def signoff_rows(decision):
    """One row per required role: the sign-off given, or None while it is awaited."""
    given = {s.role: s for s in decision.signoffs.all()}
    return [{"role": role, "label": _role_label(role), "signoff": given.get(role)} for role in decision.required_roles]


def roles_user_may_sign(decision, user) -> list[str]:
    from .access import roles_of

    if decision.is_final:
        return []
    given = {s.role for s in decision.signoffs.all()}
    held = roles_of(user, decision.project)
    return [r for r in decision.required_roles if r in held and r not in given]


# Shown next to frozen explanations and values when the reader's language is not the one they
# were recorded in (the text itself stays as the meeting saw it).
RECORDED_IN = {
    "en": gettext_lazy("(recorded in English)"),
    "zh-hans": gettext_lazy("(recorded in Chinese)"),
}


def _display_row(stored: dict) -> dict:
    """A frozen criterion for display: the stored values untouched, plus `display_label`, the
    criterion's label in the reader's language (looked up by key in the registry; the stored
    label when the criterion no longer exists). No queries."""
    current = readiness.criterion_for(stored.get("key"))
    return {**stored, "display_label": str(current.label) if current else stored.get("label", "")}


def evidence_rows(decision) -> list[dict]:
    """Every frozen criterion of the meeting, ready to show (see `_display_row`)."""
    return [_display_row(c) for c in decision.evidence.get("criteria", [])]


def evidence_blockers(decision) -> list[dict]:
    keys = set(decision.evidence.get("blockers", []))
    return [_display_row(c) for c in decision.evidence.get("criteria", []) if c["key"] in keys]


def evidence_recorded_in(decision) -> str:
    """A short note "(recorded in English)" when the evidence's sentences were frozen in another
    language than the reader's; "" when the same, or unknown (meetings opened before it was stored)."""
    recorded = decision.evidence.get("language")
    if not recorded or recorded == get_language():
        return ""
    return str(RECORDED_IN.get(recorded, gettext_lazy("(recorded in another language)")))


def blockers_xlsx(decision, *, request=None) -> bytes:
    """The frozen blockers of a meeting as an Excel workbook (the bank files it with the minutes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("Blockers")[:31]
    bold = Font(bold=True)
    ws.append([decision.project.name])
    ws.append([decision.title, decision.meeting_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M")])
    ws.append([_("Score"), decision.score, _("Ready"), _("Yes") if decision.ready else _("No")])
    ws.append([])
    header = [_("Criterion"), _("Area"), _("Value"), _("Target"), _("Mandatory"), _("Weight"), _("Why"), _("Link")]
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = bold
    ws["A1"].font = Font(bold=True, size=14)
    for c in evidence_blockers(decision):
        url = c.get("url") or ""
        if url and request is not None:
            url = request.build_absolute_uri(url)
        ws.append([c["display_label"], c.get("area", ""), c.get("display") or c["value"], c["target"],
                   _("Yes") if c.get("mandatory") else _("No"), c.get("weight", 1), c.get("explanation", ""), url])
    for column, width in zip("ABCDEFGH", [44, 14, 12, 10, 11, 8, 60, 50], strict=True):
        ws.column_dimensions[column].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
