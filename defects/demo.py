"""Demo testing data: test cases linked to requirements, five cycles with results, ~85 defects in
every state and severity with their history, a few security ones and some past their SLA.

Built through the services (so history and transitions are real), then back-dated so the
metrics show a month of arrivals and closures. Idempotent: does nothing if the project has cycles.
"""

import random
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from . import links, services
from .models import (
    Category,
    CycleKind,
    CycleStatus,
    Defect,
    DefectTransition,
    ResultStatus,
    Severity,
    Status,
    TestCycle,
    TestResult,
)

# Seed strings are translated where they are written (seed_demo --language activates the language).
AREAS = [
    gettext_noop("Deposit account opening"),
    gettext_noop("Time deposit interest"),
    gettext_noop("Loan disbursement"),
    gettext_noop("Loan repayment schedule"),
    gettext_noop("GL posting"),
    gettext_noop("End-of-day batch"),
    gettext_noop("Counter cash withdrawal"),
    gettext_noop("Transfer between accounts"),
    gettext_noop("Card issuance"),
    gettext_noop("Customer information update"),
    gettext_noop("Interest rate maintenance"),
    gettext_noop("Statement printing"),
    gettext_noop("Teller cash box balancing"),
    gettext_noop("Fee calculation"),
    gettext_noop("Regulatory report export"),
]
TAGS = {CycleKind.FUNCTIONAL: "functional", CycleKind.PERFORMANCE: "performance", CycleKind.SECURITY: "security",
        CycleKind.REGRESSION: "regression"}
CASE_VERBS = [gettext_noop("happy path"), gettext_noop("boundary amount"), gettext_noop("invalid input"),
              gettext_noop("concurrent users"), gettext_noop("after end-of-day"), gettext_noop("with authorisation"),
              gettext_noop("reversal")]
DEFECT_TITLES = [
    gettext_noop("Interest rounded to 3 decimals instead of 2 on {a}"),
    gettext_noop("{a}: screen freezes after pressing F8 twice"),
    gettext_noop("{a} returns error E1042 for accounts migrated from the old system"),
    gettext_noop("{a}: Chinese name truncated to 6 characters"),
    gettext_noop("{a} response time above 3 s at 500 concurrent users"),
    gettext_noop("{a}: authorisation request not sent to supervisor"),
    gettext_noop("{a}: amount field accepts negative values"),
    gettext_noop("{a} posts to the wrong GL account for foreign currency"),
    gettext_noop("{a}: batch job does not restart after failure"),
    gettext_noop("{a}: receipt shows the old branch code"),
]
SECURITY_TITLES = [
    gettext_noop("SQL injection in customer search on {a}"),
    gettext_noop("Session not invalidated after logout ({a})"),
    gettext_noop("Stored XSS in remarks field of {a}"),
    gettext_noop("Teller can approve own transaction in {a}"),
]
ENVIRONMENTS = ["SIT · build 2.3.{n} · Chrome 120", "SIT · build 2.4.{n} · counter PC Win10",
                "UAT · build 2.5.{n} · branch 0101", "PERF · 8 app nodes · build 2.4.{n}"]

# Target status mix for the defects (weights).
STATUS_MIX = ([Status.CLOSED] * 30 + [Status.VERIFIED] * 8 + [Status.FIXED] * 10 + [Status.IN_PROGRESS] * 12
              + [Status.OPEN] * 12 + [Status.NEW] * 10 + [Status.REOPENED] * 8 + [Status.REJECTED] * 10)
SEVERITY_MIX = [Severity.CRITICAL] * 8 + [Severity.MAJOR] * 25 + [Severity.MINOR] * 45 + [Severity.TRIVIAL] * 22
PATHS = {
    Status.NEW: [],
    Status.OPEN: [Status.OPEN],
    Status.IN_PROGRESS: [Status.OPEN, Status.IN_PROGRESS],
    Status.FIXED: [Status.OPEN, Status.IN_PROGRESS, Status.FIXED],
    Status.VERIFIED: [Status.OPEN, Status.IN_PROGRESS, Status.FIXED, Status.VERIFIED],
    Status.CLOSED: [Status.OPEN, Status.IN_PROGRESS, Status.FIXED, Status.VERIFIED, Status.CLOSED],
    Status.REOPENED: [Status.OPEN, Status.IN_PROGRESS, Status.FIXED, Status.VERIFIED, Status.CLOSED,
                      Status.REOPENED],
    Status.REJECTED: [Status.REJECTED],
}


def backdate(defect_id, **fields):
    """Move a demo defect's timestamps into the past (the services stamp "now"); used by hypercare's demo."""
    Defect.objects.filter(pk=defect_id).update(**fields)


def seed(*, project, people, stdout=None):
    if TestCycle.objects.filter(project=project).exists():
        return
    rng = random.Random(2027)
    pm = next((u for u in people.get("manager", []) if u.username == "pm"), people["manager"][0])
    testers = people.get("tester", [])
    devs = people.get("developer", [])
    tester = next((u for u in testers if u.username == "tester"), testers[0])
    # One object per person so the per-request role cache is shared across service calls.
    same = {u.pk: u for role_users in people.values() for u in role_users}
    pm, tester = same[pm.pk], same[tester.pk]
    testers = [same[u.pk] for u in testers]
    devs = [same[u.pk] for u in devs]
    now = timezone.now()
    today = timezone.localdate()

    cases, retired = _cases(project, tester, rng)
    cycles = _cycles(project, tester, testers, cases, today, rng)
    for case in retired:
        services.case_update(actor=tester, case=case, active=False)
    defects = _defects(project, pm, tester, testers, devs, cycles, now, rng)
    from .demo_evidence import seed_evidence

    evidence = seed_evidence(project=project, pm=pm, tester=tester, devs=devs, cycles=cycles, rng=rng)
    if stdout:
        stdout.write(f"Defects demo: {len(cases)} test cases, {len(cycles)} cycles, {defects} defects; {evidence}.")


def _cases(project, tester, rng):
    approved = links.approved_requirements(project)
    approved = list(approved) if approved is not None else []
    others = links.requirements_of(project)
    others = list(others.exclude(status="approved")[:10]) if others is not None else []
    cases = []
    kinds = [CycleKind.FUNCTIONAL] * 6 + [CycleKind.PERFORMANCE, CycleKind.SECURITY, CycleKind.REGRESSION]
    for i in range(150):
        english = AREAS[i % len(AREAS)]
        area = _(english)
        verb_key = CASE_VERBS[(i // len(AREAS)) % len(CASE_VERBS)]
        verb = _(verb_key)
        kind = kinds[i % len(kinds)]
        # Most approved requirements get a case; a few are left uncovered on purpose.
        reqs = [approved[i]] if i < len(approved) - 4 else ([others[i % len(others)]] if others and i % 7 == 0 else [])
        tags = [TAGS[kind]] + (["smoke", "冒烟"] if verb_key == "happy path" else []) + (
            ["柜面"] if "Counter" in english or "Teller" in english else [])
        cases.append(services.case_create(
            actor=tester, project=project, title=f"{area} — {verb}", kind=kind, requirements=reqs, tags=tags,
            steps=_("1. Log in as teller at branch 0101\n2. Open %(area)s\n3. Run the %(verb)s scenario with test data "
                    "set #%(n)s\n4. Confirm and check the journal") % {"area": area, "verb": verb, "n": i + 1},
            expected_result=_("%(area)s completes, the journal and GL show the right amounts, no error message")
            % {"area": area},
        ))
    # Two cases were superseded by better ones: retired (they stay in the cycles that ran them).
    retired = [c for c in cases if c.kind == CycleKind.FUNCTIONAL][-2:]
    return cases, retired


def _cycles(project, tester, testers, cases, today, rng):
    plan = [
        (gettext_noop("SIT round 1"), CycleKind.FUNCTIONAL, -42, -29, 0.70, CycleStatus.DONE),
        (gettext_noop("Performance test"), CycleKind.PERFORMANCE, -30, -24, 0.82, CycleStatus.DONE),
        (gettext_noop("SIT round 2"), CycleKind.FUNCTIONAL, -24, -12, 0.86, CycleStatus.DONE),
        (gettext_noop("Security test"), CycleKind.SECURITY, -14, -8, 0.88, CycleStatus.DONE),
        (gettext_noop("Regression before UAT"), CycleKind.REGRESSION, -6, 4, 0.91, CycleStatus.RUNNING),
    ]
    cycles = []
    for name, kind, start, end, rate, final_status in plan:
        # The performance and security cycles run their own kind of case only (a scoped cycle).
        scope = [c for c in cases if c.kind == kind] if kind in (CycleKind.PERFORMANCE, CycleKind.SECURITY) else None
        cycle = services.cycle_create(actor=tester, project=project, name=_(name), kind=kind, cases=scope,
                                      planned_start=today + timedelta(days=start),
                                      planned_end=today + timedelta(days=end))
        results = list(TestResult.objects.filter(cycle=cycle).select_related("case", "cycle__project"))
        running = final_status == CycleStatus.RUNNING
        day = today + timedelta(days=start)
        executed_at = timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 10))
        for i, result in enumerate(results):
            if running and i % 9 == 8:
                continue  # not run yet
            roll = rng.random()
            if roll < rate:
                status, note = ResultStatus.PASSED, ""
            elif roll < rate + (1 - rate) * 0.75:
                status, note = ResultStatus.FAILED, _("Journal shows a different amount than the screen")
            else:
                status, note = ResultStatus.BLOCKED, _("Test data not migrated yet")
            if running:  # the cycle under way is recorded through the service, with its history
                services.result_record(actor=testers[i % len(testers)], result=result, status=status, note=note)
            else:  # finished cycles: the outcome only (keeps seeding fast)
                result.status, result.note = status, note
                result.executed_by, result.executed_at = testers[i % len(testers)], executed_at
        if not running:
            TestResult.objects.bulk_update(results, ["status", "note", "executed_by", "executed_at"])
            services.cycle_update(actor=tester, cycle=cycle, status=CycleStatus.DONE)
        else:
            TestResult.objects.filter(cycle=cycle).exclude(executed_at=None).update(executed_at=executed_at)
        cycles.append(cycle)
    return cycles


def _defects(project, pm, tester, testers, devs, cycles, now, rng):
    failed = list(TestResult.objects.filter(cycle__project=project, status=ResultStatus.FAILED)
                  .select_related("case", "cycle"))
    total = 300
    made = 0
    for i in range(total):
        area = _(AREAS[i % len(AREAS)])
        security = i % 23 == 5
        target = STATUS_MIX[(i * 7) % len(STATUS_MIX)]
        severity = SEVERITY_MIX[(i * 11) % len(SEVERITY_MIX)]
        title = _(SECURITY_TITLES[i % len(SECURITY_TITLES)] if security
                  else DEFECT_TITLES[i % len(DEFECT_TITLES)]).format(a=area)
        category = Category.SECURITY if security else [Category.FUNCTIONAL, Category.FUNCTIONAL, Category.DATA,
                                                        Category.PERFORMANCE, Category.USABILITY][i % 5]
        reporter = testers[i % len(testers)]
        result = failed[i] if i < len(failed) and i % 2 == 0 else None
        cycle = result.cycle if result else cycles[min(i * len(cycles) // total, len(cycles) - 1)]
        defect = services.defect_file(
            actor=reporter, project=project, title=title, severity=severity, category=category,
            priority=["urgent", "high", "medium", "low"][[Severity.CRITICAL, Severity.MAJOR, Severity.MINOR,
                                                         Severity.TRIVIAL].index(severity)],
            environment=ENVIRONMENTS[i % len(ENVIRONMENTS)].format(n=i % 9),
            steps=_("1. Log in as teller at branch 0101\n2. Open %(area)s\n3. Enter account 6222 0201 %(n)s and "
                    "amount 1,234.56\n4. Press Confirm") % {"area": area, "n": 1000 + i},
            expected_result=_("The transaction is posted and the receipt printed; balance decreases by 1,234.56"),
            actual_result=[_("Error E1042: account status unknown"), _("Balance decreased by 1,234.57"),
                           _("Screen froze for 40 s, then timed out"), _("Receipt printed twice")][i % 4],
            cycle=cycle, test_result=result,
        )
        dev = devs[i % len(devs)]
        for step in PATHS[target]:
            if step == Status.OPEN:
                services.defect_assign(actor=pm, defect=defect, assignee=dev)
                services.defect_transition(actor=pm, defect=defect, to=step, comment=_("Triaged in the daily defect meeting"))
            elif step in (Status.IN_PROGRESS, Status.FIXED):
                services.defect_transition(actor=dev, defect=defect, to=step,
                                           comment=_("Fixed in build 2.5") if step == Status.FIXED else "")
            elif step == Status.REJECTED:
                reason = ["not_a_defect", "cannot_reproduce", "duplicate"][i % 3]
                original = Defect.objects.filter(project=project).exclude(pk=defect.pk).order_by("id").first()
                services.defect_transition(actor=tester, defect=defect, to=step, reject_reason=reason,
                                           duplicate_of=original if reason == "duplicate" else None,
                                           comment=_("Works as specified in BRD 4.2") if reason == "not_a_defect"
                                           else _("See the original report"))
            elif step == Status.REOPENED:
                services.defect_transition(actor=tester, defect=defect, to=step,
                                           comment=_("Still fails with accounts migrated from the old system"))
            else:
                services.defect_transition(actor=tester, defect=defect, to=step, comment=_("Re-tested in SIT"))
        if i % 6 == 0:
            services.defect_comment_add(actor=dev, defect=defect, text=_("Looking at it; the journal entry comes from the batch interface."))
        if i % 15 == 0:
            log = ContentFile(b"2027-01-10 10:14:03 ERROR E1042 account status unknown\n" * 5,
                              name="counter-app.log")
            services.attachment_add(actor=reporter, defect=defect, upload=log)
        _backdate(defect, target, i, now, rng)
        made += 1
    return made


def _backdate(defect, target, i, now, rng):
    """Spread the defect over the last month; a few open ones are left past their SLA."""
    defect = Defect.objects.select_related("project").get(pk=defect.pk)
    age_hours = rng.randint(2, 30 * 24)
    if target in (Status.NEW,) and i % 3 == 0:
        age_hours = rng.randint(1, 3)  # fresh arrivals, still within triage time
    created = now - timedelta(hours=age_hours)
    transitions = list(DefectTransition.objects.filter(defect=defect).order_by("id"))
    span = min((now - created) * 0.9, timedelta(hours=rng.randint(6, 8 * 24)))
    stamps = [created + span * (k / max(len(transitions) - 1, 1)) for k in range(len(transitions))]
    for t, at in zip(transitions, stamps, strict=True):
        DefectTransition.objects.filter(pk=t.pk).update(at=at)
    triage, fix = services.sla_hours(defect.project, defect.severity)
    last = stamps[-1] if stamps else created
    fields = {"created_at": created,
              "triage_due_at": created + timedelta(hours=triage) if triage else None,
              "fix_due_at": created + timedelta(hours=fix) if fix else None}
    if target in (Status.CLOSED, Status.REJECTED):
        fields["closed_at"] = last
    if defect.triaged_at:
        fields["triaged_at"] = stamps[1] if len(stamps) > 1 else created
    if defect.fixed_at:
        fields["fixed_at"] = last
        fields["resolved_at"] = last
    if target == Status.REOPENED:
        fields["fix_due_at"] = last + timedelta(hours=fix) if fix else None
    # A handful of open defects stay within their SLA so the overdue list is short and meaningful.
    if target in (Status.OPEN, Status.IN_PROGRESS, Status.REOPENED) and fix and i % 4 != 0:
        fields["fix_due_at"] = now + timedelta(hours=rng.randint(2, fix))
    Defect.objects.filter(pk=defect.pk).update(**fields)
