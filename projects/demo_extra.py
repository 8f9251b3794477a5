"""Demo data of the readiness dashboard, the go/no-go decision and lessons learned.

Called by `manage.py seed_demo` after every app's own demo data, so that today's scorecard
sees it all. Idempotent: does nothing when the project already has a go/no-go meeting.

The 30 days of snapshots are SYNTHESIZED from today's scorecard (a plausible ramp towards
today's values): a fresh demo database has no history to snapshot, and the trend charts need one.
"""

from datetime import timedelta

from django.utils import timezone

from . import gonogo, lessons, readiness, readiness_services
from .demo import DEMO_PASSWORD
from .models import GoNoGoDecision, GoNoGoSignOff, LessonKind, ReadinessSnapshot, Verdict

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
    frozen = readiness.freeze(readiness.evaluate(project))
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
    readiness_services.readiness_snapshot_take(project=project, day=today)


def _first(people, role, index=0):
    users = people.get(role) or []
    return users[index] if len(users) > index else None


def _by_username(people, username):
    for users in people.values():
        for u in users:
            if u.username == username:
                return u
    return None


def _gonogo(project, people, stdout):
    pm = _by_username(people, "pm")
    business = _by_username(people, "business")
    ops = _by_username(people, "ops")
    tester = _by_username(people, "tester")
    if not all([pm, business, ops, tester]):
        return
    meeting_at = timezone.now() - timedelta(days=3, hours=2)
    decision = gonogo.gonogo_open(actor=pm, project=project, title="Go/no-go 1 · 第一次上线决策会",
                                  meeting_at=meeting_at, required_roles=["manager", "business", "ops", "tester"])
    signs = [
        (business, "business", Verdict.GO_WITH_CONDITIONS,
         "Retail products are ready; the credit-card module must be switched off at go-live. 零售产品可上线，信用卡模块暂缓。"),
        (tester, "tester", Verdict.NO_GO, "SIT is not complete and two critical defects are still open."),
        (ops, "ops", Verdict.NO_GO, "Rehearsal 2 has not run within the window; reconciliation not clean."),
        (pm, "manager", Verdict.NO_GO, "Not ready: re-meet after rehearsal 2 and the SIT exit report."),
    ]
    for i, (user, role, verdict, comment) in enumerate(signs):
        gonogo.gonogo_sign(decision=decision, actor=user, role=role, verdict=verdict, comment=comment,
                           password=DEMO_PASSWORD)
        GoNoGoSignOff.objects.filter(decision=decision, role=role).update(
            signed_at=meeting_at + timedelta(minutes=20 + 5 * i))
    gonogo.gonogo_finalize(decision=decision, actor=pm, verdict=Verdict.NO_GO, password=DEMO_PASSWORD,
                           conditions="No-go. Fix the open critical defects, finish SIT, run rehearsal 2 inside the "
                                      "window, then hold go/no-go 2. 暂不上线，整改后召开第二次决策会。")
    GoNoGoDecision.objects.filter(pk=decision.pk).update(decided_at=meeting_at + timedelta(minutes=55))
    if stdout:
        stdout.write("Go/no-go: one earlier meeting, decided no-go.")


ITEMS = [
    (LessonKind.WENT_WELL, "Daily 15-minute stand-up with business and IT kept defects moving. 每日站会效果好。", 6),
    (LessonKind.WENT_WELL, "Rehearsal 1 runbook had an owner for every step; nobody waited for instructions.", 4),
    (LessonKind.WENT_WELL, "Branch staff signed up for training early thanks to the reminders.", 2),
    (LessonKind.WENT_WRONG, "Data migration took 3 h longer than planned: the customer table was not pre-cleansed. "
                            "数据迁移超时三小时，客户表未提前清洗。", 9),
    (LessonKind.WENT_WRONG, "Requirements for the credit module were approved late; testing started on drafts.", 5),
    (LessonKind.WENT_WRONG, "Nobody was accountable for the contingency plan until week 6.", 3),
    (LessonKind.IDEA, "Run a reconciliation dry-run on production-size data two weeks before each rehearsal.", 7),
    (LessonKind.IDEA, "Freeze requirements one sprint before SIT starts. 需求冻结提前一个迭代。", 4),
]


def _retrospective(project, people, stdout, today):
    voters = [u for role in ("developer", "tester", "business", "ops", "staff", "manager") for u in people.get(role, [])]
    pm = _by_username(people, "pm") or _first(people, "manager")
    created = []
    for i, (kind, text, votes) in enumerate(ITEMS):
        author = voters[(i * 5) % len(voters)] if voters else pm
        lesson = lessons.lesson_create(actor=author, project=project, kind=kind, text=text)
        for voter in voters[i: i + votes]:
            lessons.lesson_vote(actor=voter, lesson=lesson, vote=True)
        created.append(lesson)
    ops = _by_username(people, "ops") or pm
    tester = _by_username(people, "tester") or pm
    business = _by_username(people, "business") or pm
    actions = [
        ("Pre-cleanse the customer table and re-time the migration step", ops, 5, created[3]),
        ("Reconciliation dry-run on a production-size copy before rehearsal 2", ops, 9, created[6]),
        ("Write the requirement-freeze rule into the project plan", business, 12, created[7]),
        ("Name one Accountable for the contingency plan and get it approved", pm, 3, created[5]),
        ("Share the stand-up format with the next project", tester, 20, created[0]),
    ]
    for title, owner, days, lesson in actions:
        lessons.lesson_action_create(actor=pm, project=project, title=title, owner=owner,
                                     due_date=today + timedelta(days=days), lesson=lesson)
    # one action already late and one done, so the dashboard and the report show both states
    late = project.lesson_actions.get(title__startswith="Name one Accountable")
    lessons.lesson_action_update(actor=pm, action=late, due_date=today - timedelta(days=2))
    done = project.lesson_actions.get(title__startswith="Share the stand-up")
    lessons.lesson_action_complete(actor=tester, action=done)
    if stdout:
        stdout.write(f"Lessons learned: {len(created)} items, {len(actions)} actions.")


def seed(*, project, people, stdout=None):
    if project.gonogo_decisions.exists() or project.lessons.exists():
        return
    today = timezone.localdate()
    _snapshots(project, today)
    _gonogo(project, people, stdout)
    _retrospective(project, people, stdout, today)
