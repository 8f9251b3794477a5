"""Demo data of the readiness dashboard and the go/no-go decision.

Called by `manage.py seed_demo` after every other app's demo data, so that today's scorecard
sees it all. Idempotent: does nothing when the project already has a go/no-go meeting.

The 30 days of snapshots are SYNTHESIZED from today's scorecard (a plausible ramp towards
today's values): a fresh demo database has no history to snapshot, and the trend charts need one.
"""

from datetime import timedelta

from django.utils import timezone

from projects.demo import DEMO_PASSWORD, by_username

from . import registry, services
from .models import GoNoGoDecision, GoNoGoSignOff, ReadinessSnapshot, Verdict

DAYS = 30


def _past_value(c, ago, stagger):
    """A criterion's value `ago` days back. Criteria that pass today started passing `stagger` days
    ago (so the score climbs over the month); before that, shares were lower and open counts higher."""
    value, target = c["value"], c["target"]
    display = str(c.get("display") or "")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value, c["passed"]
    passing = c["passed"] and ago <= stagger
    late = max(0, ago - (stagger if c["passed"] else 0))
    if display.strip().endswith("%"):
        past = round(value * (1 - 0.5 * late / DAYS), 1)
        if passing:
            past = max(past, target)
        return past, past >= target
    if not target:  # "at most target" counts: open defects, gaps, conflicts
        past = value if passing else value + 1 + late // 3
        return past, past <= target
    past = value if passing else max(0, min(value, target) - 1)  # "at least target" counts
    return past, past >= target


def _snapshots(project, today):
    frozen = registry.freeze(registry.evaluate(project))
    rows = []
    for ago in range(DAYS, 0, -1):
        criteria = []
        for i, c in enumerate(frozen["criteria"]):
            value, passed = _past_value(c, ago, stagger=(3 + i * 7) % DAYS)
            display = c.get("display")
            if display and str(display).strip().endswith("%"):
                display = f"{value:g}%"
            elif display is not None and isinstance(value, int | float):
                display = str(value) if str(c.get("display")) == str(c["value"]) else display
            criteria.append({**c, "value": value, "passed": passed, "display": display})
        total = sum(c.get("weight", 1) for c in criteria) or 1
        score = round(sum(c.get("weight", 1) for c in criteria if c["passed"]) * 100 / total)
        ready = bool(criteria) and all(c["passed"] for c in criteria if c.get("mandatory", True))
        rows.append(ReadinessSnapshot(project=project, date=today - timedelta(days=ago), score=score, ready=ready,
                                      criteria=criteria))
    ReadinessSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    services.readiness_snapshot_take(project=project, day=today)


def _gonogo(project, people, stdout):
    pm = by_username(people, "pm")
    business = by_username(people, "business")
    ops = by_username(people, "ops")
    tester = by_username(people, "tester")
    if not all([pm, business, ops, tester]):
        return
    meeting_at = timezone.now() - timedelta(days=3, hours=2)
    decision = services.gonogo_open(actor=pm, project=project, title="Go/no-go 1 · 第一次上线决策会",
                                  meeting_at=meeting_at, required_roles=["manager", "business", "ops", "tester"])
    signs = [
        (business, "business", Verdict.GO_WITH_CONDITIONS,
         "Retail products are ready; the credit-card module must be switched off at go-live. 零售产品可上线，信用卡模块暂缓。"),
        (tester, "tester", Verdict.NO_GO, "SIT is not complete and two critical defects are still open."),
        (ops, "ops", Verdict.NO_GO, "Rehearsal 2 has not run within the window; reconciliation not clean."),
        (pm, "manager", Verdict.NO_GO, "Not ready: re-meet after rehearsal 2 and the SIT exit report."),
    ]
    for i, (user, role, verdict, comment) in enumerate(signs):
        services.gonogo_sign(decision=decision, actor=user, role=role, verdict=verdict, comment=comment,
                           password=DEMO_PASSWORD)
        GoNoGoSignOff.objects.filter(decision=decision, role=role).update(
            signed_at=meeting_at + timedelta(minutes=20 + 5 * i))
    services.gonogo_finalize(decision=decision, actor=pm, verdict=Verdict.NO_GO, password=DEMO_PASSWORD,
                           conditions="No-go. Fix the open critical defects, finish SIT, run rehearsal 2 inside the "
                                      "window, then hold go/no-go 2. 暂不上线，整改后召开第二次决策会。")
    GoNoGoDecision.objects.filter(pk=decision.pk).update(decided_at=meeting_at + timedelta(minutes=55))
    if stdout:
        stdout.write("Go/no-go: one earlier meeting, decided no-go.")


def seed(*, project, people, stdout=None):
    if project.gonogo_decisions.exists():
        return
    _snapshots(project, timezone.localdate())
    _gonogo(project, people, stdout)
