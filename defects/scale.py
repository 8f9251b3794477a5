"""Testing data of the SCALE benchmark launch (`manage.py seed_scale`): 3,000 test cases linked to
requirements, five cycles with their results, and 50,312 defects across the whole workflow. Bulk,
idempotent."""

from datetime import timedelta

from django.utils import timezone

from projects.scale import n

from .models import (
    DEFAULT_SLA,
    Category,
    CycleKind,
    CycleStatus,
    Defect,
    FoundIn,
    RejectReason,
    ResultStatus,
    Severity,
    Status,
    TestCase,
    TestCycle,
    TestResult,
)

BATCH = 2000
# Out of every 40 defects: most are long closed, as in a real SIT/UAT.
STATUS_MIX = ([Status.CLOSED] * 24 + [Status.VERIFIED] * 2 + [Status.FIXED] * 3 + [Status.IN_PROGRESS] * 3
              + [Status.OPEN] * 3 + [Status.NEW] * 2 + [Status.REOPENED] + [Status.REJECTED] * 2)
SEVERITY_MIX = [Severity.CRITICAL] + [Severity.MAJOR] * 5 + [Severity.MINOR] * 10 + [Severity.TRIVIAL] * 4
CATEGORY_MIX = [Category.FUNCTIONAL] * 12 + [Category.DATA] * 3 + [Category.PERFORMANCE] * 2 + [Category.USABILITY] * 2 + [Category.SECURITY]
RESULT_MIX = [ResultStatus.PASSED] * 16 + [ResultStatus.FAILED] * 2 + [ResultStatus.BLOCKED] + [ResultStatus.NOT_RUN]


def seed(*, project, people, size=1.0, stdout=None):
    if Defect.objects.filter(project=project).exists():
        return
    testers = people.get("tester") or people["manager"]
    fixers = (people.get("developer") or []) + (people.get("ops") or []) or people["manager"]
    now = timezone.now()
    today = timezone.localdate()
    requirement_ids = list(project.requirements.order_by("number").values_list("pk", flat=True))
    cases = TestCase.objects.bulk_create(
        [TestCase(project=project, code=f"TC-{i:05d}", title=f"Test case {i} · 测试用例 {i}",
                  steps="1. Open the screen\n2. Enter the sample data\n3. Submit", expected_result="As the old system")
         for i in range(1, n(3000, size) + 1)], batch_size=BATCH)
    cases = list(TestCase.objects.filter(project=project).order_by("code"))
    Link = TestCase.requirements.through
    Link.objects.bulk_create(
        [Link(testcase_id=c.pk, requirement_id=requirement_ids[(k * 3) % len(requirement_ids)])
         for k, c in enumerate(cases) if requirement_ids], batch_size=BATCH)
    cycles = []
    for k, (name, kind) in enumerate([("SIT 1", CycleKind.FUNCTIONAL), ("SIT 2", CycleKind.FUNCTIONAL),
                                      ("Regression", CycleKind.REGRESSION), ("Performance", CycleKind.PERFORMANCE),
                                      ("UAT 1", CycleKind.UAT)]):
        start = today - timedelta(days=70 - 14 * k)
        cycles.append(TestCycle(project=project, name=name, kind=kind, planned_start=start,
                                planned_end=start + timedelta(days=12),
                                status=CycleStatus.RUNNING if k == 4 else CycleStatus.DONE))
    TestCycle.objects.bulk_create(cycles)
    cycles = list(TestCycle.objects.filter(project=project).order_by("planned_start"))
    results = []
    for ci, cycle in enumerate(cycles):
        for k, case in enumerate(cases):
            status = RESULT_MIX[(k + ci) % len(RESULT_MIX)] if ci < 4 or k % 3 else ResultStatus.NOT_RUN
            results.append(TestResult(cycle=cycle, case=case, status=status,
                                      executed_by=None if status == ResultStatus.NOT_RUN else testers[k % len(testers)],
                                      executed_at=None if status == ResultStatus.NOT_RUN else now - timedelta(days=1)))
    TestResult.objects.bulk_create(results, batch_size=BATCH)
    count = n(50312, size)
    defects = []
    for i in range(1, count + 1):
        status = STATUS_MIX[i % len(STATUS_MIX)]
        severity = SEVERITY_MIX[(i * 7) % len(SEVERITY_MIX)]
        created = now - timedelta(minutes=int((count - i) * 80 / max(size, 0.01)) % (90 * 24 * 60))
        triage_h, fix_h = DEFAULT_SLA[severity]
        hypercare = i % 97 == 0
        defects.append(Defect(
            project=project, number=i, title=f"Defect {i}: amount differs after posting · 记账后金额不一致 {i}",
            severity=severity, category=CATEGORY_MIX[i % len(CATEGORY_MIX)],
            environment="SIT · 测试环境", steps="1. Post a transfer\n2. Open the ledger", expected_result="Balances match",
            actual_result="The ledger is off by 0.01", status=status,
            found_in=FoundIn.HYPERCARE if hypercare else FoundIn.TESTING, cycle=cycles[i % len(cycles)],
            requirement_id=requirement_ids[i % len(requirement_ids)] if requirement_ids else None,
            assignee=None if status == Status.NEW else fixers[i % len(fixers)], reporter=testers[i % len(testers)],
            reject_reason=RejectReason.DUPLICATE if status == Status.REJECTED else "",
            triage_due_at=created + timedelta(hours=triage_h) if triage_h else None,
            fix_due_at=created + timedelta(hours=fix_h) if fix_h else None,
            created_at=created, triaged_at=None if status == Status.NEW else created + timedelta(hours=2),
            fixed_at=created + timedelta(days=2) if status in (Status.FIXED, Status.VERIFIED, Status.CLOSED) else None,
            closed_at=created + timedelta(days=3) if status == Status.CLOSED else None,
            resolved_at=created + timedelta(hours=5) if hypercare and status == Status.CLOSED else None,
            customers_affected=(i % 50) if hypercare else None, branches_affected=(i % 5) if hypercare else None))
    Defect.objects.bulk_create(defects, batch_size=BATCH)
    _backdate(project, defects)  # auto_now_add stamped "now" on every row
    if stdout:
        stdout.write(f"Testing: {len(cases)} cases, {len(cycles)} cycles, {len(results)} results, {count} defects.")


def _backdate(project, defects):
    """bulk_create stamps auto_now_add fields with "now"; give each defect its report time back."""
    from django.db.models import Case, DateTimeField, Value, When

    by_number = {d.number: d.created_at for d in defects}
    numbers = sorted(by_number)
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        Defect.objects.filter(project=project, number__in=chunk).update(created_at=Case(
            *[When(number=num, then=Value(by_number[num])) for num in chunk], output_field=DateTimeField()))
