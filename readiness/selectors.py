"""Reads of readiness: the project manager's dashboard (shown on the project home), the scorecard
with its trends, the sign-off roles, and the go/no-go meetings with their frozen evidence.

Every number from another app comes through the registry (readiness.registry); this module never
imports another app. A fixed number of queries: each criterion and provider is constant, and
the snapshots are read in one query.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext_lazy as _

from projects import freshness
from projects.access import roles_of
from projects.models import Membership, Milestone, Role
from projects.people import display_name
from projects.selectors import project_list_for_user

from . import registry
from .charts import line_chart
from .models import (
    LEVEL_BOUNDS,
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
    StatusReport,
    level_of,
)
from .registry import AREA_ORDER, collect_gauges, collect_overdue
from .rules import RISK_ROLES

DEFAULT_SIGNOFF_ROLES = [Role.MANAGER, Role.BUSINESS, Role.OPS, Role.TESTER]
SIGNOFF_ROLES_KEY = "_signoff_roles"  # readiness_targets holds criterion keys; this one is not a criterion

TREND_DAYS = 30

AREA_LABELS = {
    "requirements": _("Requirements"),
    "testing": _("Testing"),
    "training": _("Training"),
    "cutover": _("Cutover"),
    "team": _("Team"),
    "hypercare": _("Hypercare"),
    "risks": _("Risks"),
    "schedule": _("Schedule"),
}


def area_label(area):
    return AREA_LABELS.get(area) or str(area).replace("_", " ").title()


def _is_percent(e):
    return e.result.total is None and str(e.result.display or "").strip().endswith("%")


def progress_of(e):
    """(value, total) when a criterion's value is a share that a bar can show, else None."""
    if e.result.total:
        return e.result.value, e.result.total
    if _is_percent(e):
        return e.result.value, 100
    return None


def areas(result, gauges_by_area):
    """[{key, label, criteria:[{e, progress}], gauges, passed, total}] in the usual order of a launch."""
    grouped = {}
    for e in result["criteria"]:
        grouped.setdefault(e.area, []).append(e)
    keys = [a for a in AREA_ORDER if a in grouped or a in gauges_by_area]
    keys += sorted(a for a in set(grouped) | set(gauges_by_area) if a not in AREA_ORDER)
    rows = []
    for key in keys:
        criteria = grouped.get(key, [])
        rows.append({
            "key": key, "label": area_label(key), "gauges": gauges_by_area.get(key, []),
            "criteria": [{"e": e, "progress": progress_of(e)} for e in criteria],
            "passed": sum(1 for e in criteria if e.passed), "total": len(criteria),
        })
    return rows


def trends(*, project, result, today, days=TREND_DAYS):
    """The score and every criterion over the last `days` days: stored snapshots plus today's live value."""
    snapshots = list(ReadinessSnapshot.objects.filter(project=project, date__gte=today - timedelta(days=days),
                                                      date__lt=today).order_by("date"))
    dates = [s.date for s in snapshots] + [today]
    by_day = [{c["key"]: c for c in s.criteria} for s in snapshots]
    score_points = [(s.date, s.score) for s in snapshots] + [(today, result["score"])]
    ready_marks = ["good" if s.ready else "bad" for s in snapshots] + ["good" if result["ready"] else "bad"]
    charts = []
    for e in result["criteria"]:
        values = [day.get(e.key, {}).get("value") for day in by_day] + [e.result.value]
        marks = [("good" if day[e.key]["passed"] else "bad") if e.key in day else "" for day in by_day]
        marks.append("good" if e.passed else "bad")
        charts.append({
            "key": e.key, "area": area_label(e.area),
            "svg": line_chart(list(zip(dates, values, strict=True)), target=e.target, percent=_is_percent(e),
                              title=str(e.label), marks=marks, width=300, height=80),
            "days": sum(1 for v in values if v is not None),
        })
    return {
        "score_svg": line_chart(score_points, target=None, percent=True, title=str(_("Readiness score")),
                                marks=ready_marks, width=640, height=130, css="wide"),
        "criteria": charts, "days": len(snapshots),
    }


def _shared_dashboard(project, result, today):
    """What the dashboard shows the same to every reader of the project: gauges, overdue lists,
    trends and the latest go/no-go (plain data, so it can be cached with the scorecard)."""
    latest = (GoNoGoDecision.objects.filter(project=project).select_related("decided_by")
              .order_by("-meeting_at", "-id").first())
    return {"gauges": collect_gauges(project), "overdue": _with_lateness(collect_overdue(project, today), today),
            "trends": trends(project=project, result=result, today=today), "latest_decision": latest}


def _with_lateness(groups, today):
    for group in groups:
        group["items"] = [{"item": i, "late": max(0, (today - i.due).days) if i.due else None} for i in group["items"]]
    return groups


def scorecard(project) -> dict:
    """The project's evaluated scorecard, as `registry.evaluate` returns it, from the cache when
    nothing changed in the project since (projects.freshness). Decisions that are signed (the
    go/no-go evidence, the daily snapshot) evaluate afresh instead."""
    frozen = freshness.cached(project.pk, f"scorecard:{get_language()}", lambda: registry.freeze(registry.evaluate(project)))
    return registry.thaw(frozen)


def area_evaluation(project, area):
    """One area's evaluated criteria (`registry.area_results`): from the cached scorecard when it is
    there, else only that area's criteria, evaluated and cached the same way."""
    frozen = freshness.peek(project.pk, f"scorecard:{get_language()}")
    if frozen is None:
        frozen = freshness.cached(project.pk, f"scorecard:{get_language()}:{area}",
                                  lambda: registry.freeze(registry.evaluate(project, area=area)))
    return [e for e in registry.thaw(frozen)["criteria"] if e.area == area]


def dashboard(*, project, user, today=None):
    """The project manager's dashboard. Cached with the scorecard (projects.freshness): a page
    view costs a handful of queries however many criteria, gauges and overdue lists there are."""
    today = today or timezone.localdate()
    result = scorecard(project)
    shared = freshness.cached(project.pk, f"dashboard:{get_language()}:{today.isoformat()}",
                              lambda: _shared_dashboard(project, result, today))
    by_key = {e.key: e for e in result["criteria"]}
    trend = dict(shared["trends"])
    trend["criteria"] = [{**t, "e": by_key[t["key"]]} for t in trend["criteria"] if t["key"] in by_key]
    mandatory_blockers = [e for e in result["blockers"] if e.mandatory]
    return {
        "result": result,
        "mandatory_blockers": mandatory_blockers,
        "other_blockers": [e for e in result["blockers"] if not e.mandatory],
        "areas": areas(result, shared["gauges"]),
        "trends": trend,
        "overdue": shared["overdue"],
        "latest_decision": shared["latest_decision"],
        "today": today,
    }


def _role_label(role):
    return str(Role(role).label)


def signoff_roles(project) -> list[str]:
    """The roles whose sign-off a go/no-go meeting of this project asks for by default."""
    return list((project.readiness_targets or {}).get(SIGNOFF_ROLES_KEY) or DEFAULT_SIGNOFF_ROLES)


def criteria_settings(project):
    """[(criterion, {target, weight, mandatory})] of every registered criterion in this project."""
    return [(c, registry.criterion_settings(project, c.key, c)) for c in registry.criteria()]


# ----- go/no-go meetings ----------------------------------------------------------------------


def decisions(*, project):
    return (GoNoGoDecision.objects.filter(project=project)
            .select_related("decided_by", "opened_by")
            .prefetch_related(Prefetch("signoffs", queryset=GoNoGoSignOff.objects.select_related("user")))
            .order_by("-meeting_at", "-id"))


def decision_get(*, project, pk) -> GoNoGoDecision:
    decision = decisions(project=project).filter(pk=pk).first()
    if decision is None:
        raise Http404
    return decision


def signoff_rows(decision):
    """One row per required role: the sign-off given, or None while it is awaited."""
    given = {s.role: s for s in decision.signoffs.all()}
    return [{"role": role, "label": _role_label(role), "signoff": given.get(role)} for role in decision.required_roles]


def roles_user_may_sign(decision, user) -> list[str]:
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
    label when the criterion no longer exists), and its explanation and display rendered in the
    reader's language from their stored keys and parameters (as stored for older evidence). No queries."""
    current = registry.criterion_for(stored.get("key"))
    return {**stored, "display_label": str(current.label) if current else stored.get("label", ""),
            "target_display": registry.target_text(stored),
            "explanation": registry.rendered(stored, "explanation") or "",
            "display": registry.rendered(stored, "display")}


def evidence_rows(decision) -> list[dict]:
    """Every frozen criterion of the meeting, ready to show (see `_display_row`)."""
    return [_display_row(c) for c in decision.evidence.get("criteria", [])]


def evidence_blockers(decision) -> list[dict]:
    keys = set(decision.evidence.get("blockers", []))
    return [_display_row(c) for c in decision.evidence.get("criteria", []) if c["key"] in keys]


def evidence_mandatory_blockers(decision) -> list[dict]:
    """The mandatory criteria that failed in the meeting's frozen evidence: what a go overrides."""
    return [_display_row(c) for c in decision.evidence.get("criteria", [])
            if not c.get("passed") and c.get("mandatory", True)]


def evidence_recorded_in(decision) -> str:
    """A short note "(recorded in English)" when the evidence's sentences were frozen in another
    language than the reader's; "" when the same, or unknown (meetings opened before it was stored)."""
    recorded = decision.evidence.get("language")
    if not recorded or recorded == get_language():
        return ""
    criteria = decision.evidence.get("criteria", [])
    if all(c.get("texts", {}).get("explanation") or not c.get("explanation") for c in criteria):
        return ""  # every sentence is rendered in the reader's language: nothing was "recorded in" another
    return str(RECORDED_IN.get(recorded, gettext_lazy("(recorded in another language)")))




def decision_list_for_user(*, user):
    """Every meeting in the user's projects (API), with its sign-offs in signing order."""
    return (GoNoGoDecision.objects.filter(project__in=project_list_for_user(user=user).values("pk"))
            .prefetch_related(Prefetch("signoffs", queryset=GoNoGoSignOff.objects.order_by("signed_at", "id")))
            .order_by("-meeting_at", "-id"))


# ----- risk register ---------------------------------------------------------------------------

def _risk_rows():
    return Risk.objects.select_related("owner", "project")


def risk_list_for_user(*, user):
    """Risks the user may read (API): every risk of a project where they are manager or hold a
    risk-owning role, and the risks they own themselves."""
    if not user.is_authenticated:
        return Risk.objects.none()
    viewer_of = Membership.objects.filter(user=user, role__in=[Role.MANAGER, *RISK_ROLES]).values("project_id")
    member_of = Membership.objects.filter(user=user).values("project_id")
    return _risk_rows().filter(
        Q(project__in=viewer_of) | Q(owner=user, project__in=member_of)).order_by("-score", "status", "id")


def risk_get_for_user(*, user, pk):
    """A risk of one of the user's projects (a miss, also for outsiders, is a 404)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    risk = _risk_rows().filter(pk=pk, project__in=project_list_for_user(user=user).values("pk")).first()
    if risk is None:
        raise Http404
    return risk


RISK_FILTERS = ("status", "category", "level", "owner", "likelihood", "impact", "active")


def risk_register(*, project, filters=None):
    """The register of a project as the page lists it, filtered by {status, category, level, owner,
    likelihood, impact, active (open or mitigating)}; unknown values are ignored."""
    filters = filters or {}
    qs = _risk_rows().filter(project=project)
    if filters.get("status") in RiskStatus.values:
        qs = qs.filter(status=filters["status"])
    elif filters.get("active"):
        qs = qs.filter(status__in=[RiskStatus.OPEN, RiskStatus.MITIGATING])
    if filters.get("category") in RiskCategory.values:
        qs = qs.filter(category=filters["category"])
    for level, low, high in LEVEL_BOUNDS:
        if filters.get("level") == level:
            qs = qs.filter(score__gte=low, score__lte=high)
    for key in ("owner", "likelihood", "impact"):
        value = str(filters.get(key) or "")
        if value.isdigit():
            qs = qs.filter(**{f"{key}_id" if key == "owner" else key: int(value)})
    return qs.order_by("-score", "status", "id")


def risk_heat_map(*, project):
    """{(likelihood, impact): number of active risks} for the 5×5 heat map, in one query."""
    rows = (Risk.objects.filter(project=project, status__in=[RiskStatus.OPEN, RiskStatus.MITIGATING])
            .values("likelihood", "impact").annotate(n=Count("pk")))
    return {(r["likelihood"], r["impact"]): r["n"] for r in rows}


def risks_critical_unmitigated(*, project):
    """Critical risks (score 20–25) without mitigation under way: still open, occurred and not
    closed, or 'mitigating' without a written mitigation."""
    return Risk.objects.filter(project=project, score__gte=20).filter(
        Q(status__in=[RiskStatus.OPEN, RiskStatus.OCCURRED]) | Q(status=RiskStatus.MITIGATING, mitigation=""))


# ----- meetings and actions ----------------------------------------------------------------------

def _open_actions_count():
    return Count("actions", filter=Q(actions__status=ActionStatus.OPEN), distinct=True)


def meetings_for_project(*, project, kind=""):
    """The project's meetings newest first, with attendees and the count of open actions."""
    qs = (Meeting.objects.filter(project=project).select_related("created_by")
          .prefetch_related("attendees").annotate(open_actions=_open_actions_count()))
    if kind in MeetingKind.values:
        qs = qs.filter(kind=kind)
    return qs.order_by("-held_at", "-id")


def meeting_get(*, project, pk) -> Meeting:
    meeting = (Meeting.objects.filter(project=project, pk=pk).select_related("created_by", "project")
               .prefetch_related("attendees",
                                 Prefetch("decisions", queryset=MeetingDecision.objects.select_related("recorded_by")),
                                 Prefetch("actions", queryset=MeetingAction.objects.select_related("owner")
                                          .order_by("status", "due", "id")))
               .first())
    if meeting is None:
        raise Http404
    return meeting


def actions_for_project(*, project, owner=None, status=ActionStatus.OPEN):
    qs = MeetingAction.objects.filter(project=project).select_related("owner", "meeting")
    if status in ActionStatus.values:
        qs = qs.filter(status=status)
    if owner is not None:
        qs = qs.filter(owner=owner)
    return qs.order_by("due", "id")


def meeting_list_for_user(*, user):
    """Meetings of the user's projects (API), with attendees, decisions and action ids."""
    return (Meeting.objects.filter(project__in=project_list_for_user(user=user).values("pk"))
            .prefetch_related("attendees", "decisions").order_by("-held_at", "-id"))


def meeting_get_for_user(*, user, pk) -> Meeting:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    meeting = meeting_list_for_user(user=user).select_related("project").filter(pk=pk).first()
    if meeting is None:
        raise Http404
    return meeting


def action_list_for_user(*, user):
    return (MeetingAction.objects.filter(project__in=project_list_for_user(user=user).values("pk"))
            .select_related("project", "owner").order_by("status", "due", "id"))


def action_get_for_user(*, user, pk) -> MeetingAction:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    action = action_list_for_user(user=user).filter(pk=pk).first()
    if action is None:
        raise Http404
    return action


def my_governance_work(*, user, project):
    """The caller's open governance work for "my work": actions due (kind `action_due`), active
    risks they own whose review date has come or is within a week (`risk_to_review`) and the open
    go/no-go meeting's sign-offs that only they can give (`signoff_to_give`: a required role they
    hold that nobody signed yet), most urgent first. Four queries whatever the size."""
    from projects.hooks import WORK_LIMIT, work
    from projects.queries import first_with_total

    items = []
    actions, action_total = first_with_total(actions_for_project(project=project, owner=user).select_related(None).only(
        "pk", "text", "due", "meeting_id", "project_id"), WORK_LIMIT)
    for a in actions:
        items.append({"kind": "action_due", "id": a.pk, "title": a.text, "due_at": timezone.make_aware(
            datetime.combine(a.due, time(18))), "url": reverse("readiness:meeting", args=[project.pk, a.meeting_id])
            + f"#action-{a.pk}"})
    horizon = timezone.localdate() + timedelta(days=7)
    risks, risk_total = first_with_total(
        Risk.objects.filter(project=project, owner=user, status__in=[RiskStatus.OPEN, RiskStatus.MITIGATING],
                            review_on__lte=horizon).only("pk", "title", "review_on").order_by("review_on", "pk"),
        WORK_LIMIT)
    for r in risks:
        items.append({"kind": "risk_to_review", "id": r.pk, "title": r.title, "due_at": timezone.make_aware(
            datetime.combine(r.review_on, time(9))), "url": reverse("readiness:risk", args=[project.pk, r.pk])})
    signoffs = 0
    held = roles_of(user, project)
    for decision in GoNoGoDecision.objects.filter(project=project, status=DecisionStatus.OPEN).only(
            "pk", "title", "meeting_at", "required_roles").prefetch_related(
            Prefetch("signoffs", queryset=GoNoGoSignOff.objects.only("pk", "decision_id", "role"))):
        signed = {s.role for s in decision.signoffs.all()}
        if held.intersection(set(decision.required_roles or []) - signed):
            signoffs += 1
            items.append({"kind": "signoff_to_give", "id": decision.pk, "title": decision.title,
                          "due_at": decision.meeting_at, "url": reverse("readiness:gonogo", args=[project.pk, decision.pk])})
    items.sort(key=lambda i: (i["due_at"], i["kind"], i["id"]))
    return work(items, {"action_due": action_total, "risk_to_review": risk_total, "signoff_to_give": signoffs})


# ----- weekly status report --------------------------------------------------------------------

# The report's sections by readiness area (the criteria and gauges other apps register there).
REPORT_AREAS = {"requirements": "requirements", "defects": "testing", "training": "training", "cutover": "cutover"}


def week_start(day):
    return day - timedelta(days=day.weekday())


def _gauge(g):
    row = {"label": str(g.label), "value": g.value, "total": g.total,
           "display": str(g.display) if g.display is not None else None, "tone": g.tone}
    # what the label and a worded display *are*, so a frozen report says them in its reader's language
    texts = {name: stored for name, stored in (("label", registry.stored_label(g.label)),
                                               ("display", registry.stored_label(g.display))) if stored}
    if texts:
        row["texts"] = texts
    return row


def _criterion(e):
    d = e.as_dict() if hasattr(e, "as_dict") else dict(e)
    row = {"key": d["key"], "label": str(d["label"]), "value": d["value"], "target": d["target"],
           "passed": d["passed"], "mandatory": d.get("mandatory", True), "explanation": str(d.get("explanation") or ""),
           "display": d.get("display"), "target_display": registry.target_text(d)}
    if d.get("unit"):
        row["unit"] = d["unit"]
    if d.get("texts"):
        row["texts"] = d["texts"]  # the keys and parameters the explanation and display render from
    return row


def _milestones(project, today):
    rows = []
    for m in Milestone.objects.filter(project=project).order_by("planned_date", "id"):
        expected = m.actual_date or m.forecast_date or (today if m.planned_date < today else m.planned_date)
        slip = (expected - m.planned_date).days
        status = "reached" if m.actual_date else "late" if m.planned_date < today else "slipping" if slip > 0 \
            else "on_track"
        rows.append({"name": m.name, "planned": m.planned_date.isoformat(),
                     "forecast": m.forecast_date.isoformat() if m.forecast_date else None,
                     "actual": m.actual_date.isoformat() if m.actual_date else None,
                     "slip_days": max(0, slip), "status": status})
    return rows


def _risk_section(project):
    active = Risk.objects.filter(project=project, status__in=[RiskStatus.OPEN, RiskStatus.MITIGATING])
    by_level = {level: 0 for level, _low, _high in LEVEL_BOUNDS}
    for score, n in active.values_list("score").annotate(n=Count("pk")).order_by():
        by_level[level_of(score)] += n
    top = [{"id": r.pk, "title": r.title, "score": r.score, "level": r.level, "status": r.status,
            "owner": display_name(r.owner), "mitigation": r.mitigation}
           for r in active.select_related("owner").order_by("-score", "id")[:10]]
    occurred = Risk.objects.filter(project=project, status=RiskStatus.OCCURRED).count()
    return {"active": sum(by_level.values()), "by_level": by_level, "occurred": occurred,
            "critical_unmitigated": risks_critical_unmitigated(project=project).count(), "top": top}


def status_report(*, project, today=None) -> dict:
    """The weekly status report from the evidence, as plain JSON (what is frozen when it is sent):
    readiness and its trend over the week, schedule and slips, then defects, requirements,
    training and cutover (the criteria and gauges their apps register), risks and meeting actions."""
    today = today or timezone.localdate()
    result = scorecard(project)
    criteria = [_criterion(e) for e in result["criteria"]]
    gauges = collect_gauges(project)
    start = week_start(today)
    snaps = list(ReadinessSnapshot.objects.filter(project=project, date__gte=start - timedelta(days=7),
                                                  date__lte=today).order_by("date").values_list("date", "score"))
    week_ago = next((score for day, score in reversed(snaps) if day <= today - timedelta(days=7)), None)
    report = {
        "project": {"id": project.pk, "name": project.name, "code": project.code},
        "week_start": start.isoformat(), "generated_on": today.isoformat(),
        "readiness": {"score": result["score"], "ready": result["ready"], "score_a_week_ago": week_ago,
                      "trend": [{"date": d.isoformat(), "score": s} for d, s in snaps],
                      "blockers": [c for c in criteria if not c["passed"]]},
        "schedule": {"go_live_at": f"{timezone.localtime(project.go_live_at):%Y-%m-%d %H:%M}" if project.go_live_at
                     else None,
                     "days_to_go_live": (timezone.localdate(project.go_live_at) - today).days
                     if project.go_live_at else None,
                     "phase": project.phase, "milestones": _milestones(project, today)},
    }
    areas = {e.key: e.area for e in result["criteria"]}
    for section, area in REPORT_AREAS.items():
        report[section] = {"criteria": [c for c in criteria if areas.get(c["key"]) == area],
                           "gauges": [_gauge(g) for g in gauges.get(area, [])]}
    report["risks"] = _risk_section(project)
    open_actions = MeetingAction.objects.filter(project=project, status=ActionStatus.OPEN)
    report["actions"] = {"open": open_actions.count(), "overdue": open_actions.filter(due__lt=today).count()}
    return report


def report_recipients(project):
    """Managers and sponsors of the project who are still members, once each."""
    managers = Membership.objects.filter(project=project, role=Role.MANAGER).values("user_id")
    members = Membership.objects.filter(project=project).values("user_id")
    sponsors = ReportSponsor.objects.filter(project=project, user__in=members).values("user_id")
    return get_user_model().objects.filter(Q(pk__in=managers) | Q(pk__in=sponsors), is_active=True).order_by("pk")


def report_sponsors(project):
    return [s.user for s in ReportSponsor.objects.filter(project=project).select_related("user").order_by("user__username")]


def reports_sent(*, project):
    return StatusReport.objects.filter(project=project, status=ReportStatus.SENT).select_related("sent_by")


def report_get(*, project, pk) -> StatusReport:
    report = StatusReport.objects.filter(project=project, pk=pk, status=ReportStatus.SENT).first()
    if report is None:
        raise Http404
    return report


REPORT_SECTION_TITLES = {"defects": _("Defects and testing"), "requirements": _("Requirements"),
                         "training": _("Training"), "cutover": _("Cutover and rehearsals")}


def _report_criterion(stored: dict) -> dict:
    """A frozen criterion of a report in the reader's language (see `_display_row`); `label` is the reader's."""
    row = _display_row(stored)
    row["label"] = row["display_label"]
    return row


def _report_gauge(stored: dict) -> dict:
    return {**stored, "label": registry.rendered(stored, "label") or "", "display": registry.rendered(stored, "display")}


def report_display(data: dict) -> dict:
    """A report's data (frozen when it was sent, or this week's) ready to read: every value as it is, the
    criteria's labels, explanations, displays and targets and the gauges' labels in the active language
    (from their keys, parameters or msgids; a report sent before they were stored shows its sentences as they
    were, the labels by criterion key). No queries; the stored data is not changed."""
    out = dict(data)
    readiness = dict(out.get("readiness") or {})
    readiness["blockers"] = [_report_criterion(c) for c in readiness.get("blockers", [])]
    out["readiness"] = readiness
    for key in REPORT_SECTION_TITLES:
        section = dict(out.get(key) or {})
        section["criteria"] = [_report_criterion(c) for c in section.get("criteria", [])]
        section["gauges"] = [_report_gauge(g) for g in section.get("gauges", [])]
        out[key] = section
    return out


def report_recorded_in(data: dict) -> str:
    """"(recorded in English)" when some sentence of a sent report could only be shown as it was stored, in
    another language than the reader's; "" otherwise, or when the report does not say (sent before it did)."""
    recorded = data.get("language")
    if not recorded or recorded == get_language():
        return ""
    rows = [c for key in REPORT_SECTION_TITLES for c in (data.get(key) or {}).get("criteria", [])]
    rows += (data.get("readiness") or {}).get("blockers", [])
    stuck = any(c.get("explanation") and not (c.get("texts") or {}).get("explanation") for c in rows)
    stuck = stuck or any(not (g.get("texts") or {}).get("label")
                         for key in REPORT_SECTION_TITLES for g in (data.get(key) or {}).get("gauges", []))
    return str(RECORDED_IN.get(recorded, gettext_lazy("(recorded in another language)"))) if stuck else ""


def report_sections(r):
    """[(key, title, section)] of a report's per-area sections, in the order the report reads."""
    return [(key, title, r.get(key) or {}) for key, title in REPORT_SECTION_TITLES.items()]


# ----- the portfolio (projects.hooks.project_scores) --------------------------------------------

PORTFOLIO_LIVE_SCORECARDS = 10  # scorecards evaluated afresh per portfolio request, at most


def portfolio_scores(projects, live_limit=None) -> dict:
    """{project id: {score, ready, blockers, as_of}} for the portfolio.

    A scorecard costs a few dozen queries, so the portfolio must not evaluate one per project on every
    view: each project's scorecard comes from the cache the dashboards share (projects.freshness: 0
    queries), else it is evaluated (and cached) for at most `live_limit` projects per request; the
    rest show their latest daily snapshot (one query for all of them; `as_of` says the day), or
    nothing until a dashboard or the daily job has computed them. `blockers` counts the criteria that
    are the mandatory criteria that do not pass (the dashboard's blockers)."""
    live_limit = PORTFOLIO_LIVE_SCORECARDS if live_limit is None else live_limit
    out, missing = {}, []
    for project in projects:
        frozen = freshness.peek(project.pk, f"scorecard:{get_language()}")
        if frozen is None:
            missing.append(project)
        else:
            out[project.pk] = _portfolio_row(frozen)
    for project in missing[:live_limit]:
        out[project.pk] = _portfolio_row(registry.freeze(scorecard(project)))
    rest = missing[live_limit:]
    if rest:
        newest = (ReadinessSnapshot.objects.filter(project_id=OuterRef("project_id")).order_by("-date")
                  .values("date")[:1])
        latest = (ReadinessSnapshot.objects.filter(project_id__in=[p.pk for p in rest], date=Subquery(newest))
                  .values_list("project_id", "date", "score", "ready", "criteria"))
        for project_id, day, score, ready, criteria in latest:
            if project_id not in out:
                out[project_id] = {"score": score, "ready": ready, "as_of": day, "blockers": _blockers(criteria)}
    return out


def _blockers(criteria):
    """Mandatory criteria that do not pass (the glossary's blockers: 阻碍项)."""
    return sum(1 for c in criteria or [] if not c.get("passed") and c.get("mandatory", True))


def _portfolio_row(frozen):
    return {"score": frozen["score"], "ready": frozen["ready"], "blockers": _blockers(frozen["criteria"]),
            "as_of": None}
