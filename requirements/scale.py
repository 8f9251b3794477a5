"""Requirements of the SCALE benchmark launch (`manage.py seed_scale`): 10,127 requirements in every
status, their first versions, reviews of the decided ones and 150 open conflicts. Bulk, idempotent."""

from django.utils import timezone

from projects.scale import n

from .models import (
    ConflictStatus,
    Decision,
    Priority,
    Requirement,
    RequirementConflict,
    RequirementReview,
    RequirementSequence,
    RequirementStatus,
    RequirementVersion,
)

BATCH = 2000
AREAS = ["Deposits 存款", "Loans 贷款", "General ledger 总账", "Counter 柜面", "Cards 银行卡", "Payments 支付",
         "Regulatory reporting 监管报送", "Customer 客户信息", "Collateral 押品", "Treasury 资金"]
# status: share per 20 requirements
MIX = ([RequirementStatus.APPROVED] * 11 + [RequirementStatus.SUBMITTED] * 4 + [RequirementStatus.DRAFT] * 3
       + [RequirementStatus.CHANGES_REQUESTED, RequirementStatus.REJECTED])
PRIORITIES = [Priority.MUST, Priority.MUST, Priority.SHOULD, Priority.SHOULD, Priority.COULD, Priority.WONT]


def seed(*, project, people, size=1.0, stdout=None):
    if Requirement.objects.filter(project=project).exists():
        return
    count = n(10127, size)
    departments = list(project.departments.order_by("pk"))
    business = people.get("business") or people["manager"]
    now = timezone.now()
    rows = []
    for i in range(1, count + 1):
        area = AREAS[i % len(AREAS)]
        status = MIX[i % len(MIX)]
        rows.append(Requirement(
            project=project, number=i, code=f"REQ-{i:05d}", title=f"{area}: rule {i} · 业务规则 {i}",
            description=f"The new system must handle case {i} of {area} as the old one did.",
            acceptance_criteria="Given the old system's output, the new one matches it.",
            department=departments[i % len(departments)], priority=PRIORITIES[i % len(PRIORITIES)], status=status,
            author=business[i % len(business)], submitted_at=None if status == RequirementStatus.DRAFT else now))
    Requirement.objects.bulk_create(rows, batch_size=BATCH)
    RequirementSequence.objects.update_or_create(project=project, defaults={"last_number": count})
    requirements = list(Requirement.objects.filter(project=project).order_by("number")
                        .values_list("pk", "status", "title", "author_id"))
    RequirementVersion.objects.bulk_create(
        [RequirementVersion(requirement_id=pk, number=1, title=title, priority=Priority.SHOULD, created_by_id=author)
         for pk, _status, title, author in requirements], batch_size=BATCH)
    decisions = {RequirementStatus.APPROVED: Decision.APPROVED, RequirementStatus.REJECTED: Decision.REJECTED,
                 RequirementStatus.CHANGES_REQUESTED: Decision.CHANGES_REQUESTED}
    RequirementReview.objects.bulk_create(
        [RequirementReview(requirement_id=pk, version=1, reviewer=business[(k + 1) % len(business)],
                           decision=decisions[status], comment="Reviewed with the department.")
         for k, (pk, status, _t, _a) in enumerate(requirements) if status in decisions], batch_size=BATCH)
    pairs = [(requirements[k][0], requirements[k + 7][0]) for k in range(0, min(len(requirements) - 7, n(150, size) * 50), 50)]
    RequirementConflict.objects.bulk_create(
        [RequirementConflict(project=project, first_id=min(a, b), second_id=max(a, b), status=ConflictStatus.OPEN,
                             note="Two departments ask for different cut-off times.", created_by=business[0])
         for a, b in pairs], batch_size=BATCH)
    if stdout:
        stdout.write(f"Requirements: {count}, conflicts: {len(pairs)}.")
