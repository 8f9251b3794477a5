"""The core of the SCALE benchmark launch (`manage.py seed_scale`): people, departments, roles,
milestones, RACI and the on-call rota, at a real bank's size. Bulk inserts, idempotent."""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from .models import Department, Membership, Milestone, OnCallShift, Project, Raci, Responsibility, Role

User = get_user_model()

CODE = "SCALE-2027"
MANAGER = "scale-pm"
PASSWORD = "liftoff-scale-2026"
BATCH = 2000

SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭"
GIVEN = ["志强", "秀英", "军", "芳", "勇", "娜", "涛", "艳", "明", "霞", "超", "婷", "斌", "雪", "鹏", "琳", "浩", "倩", "杰", "欣"]
# (role, how many at size 1, job title); staff make up the rest of the 5,061 role assignments.
ROLES = [("manager", 3, "Project Manager"), ("developer", 300, "Developer"), ("tester", 250, "Test Engineer"),
         ("business", 200, "Business Expert"), ("ops", 120, "Ops Engineer"), ("trainer", 40, "Trainer"),
         ("staff", 4148, "Branch Staff")]
RACI_AREAS = 40
RACI_PEOPLE = 800  # people named in the RACI (a grid of 40 areas × 800 people = 32,000 cells)


def n(count, size):
    return max(1, round(count * size))


def _local(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def people_of(project):
    people = {}
    for role, user in (Membership.objects.filter(project=project).order_by("user_id")
                       .values_list("role", "user").iterator()):
        people.setdefault(role, []).append(user)
    users = {u.pk: u for u in User.objects.filter(memberships__project=project).distinct()}
    return {role: [users[pk] for pk in pks] for role, pks in people.items()}


def seed(*, size=1.0, stdout=None):
    """Create (or find) the scale project; return (project, people) with people = {role: [users]}."""
    existing = Project.objects.filter(code=CODE).first()
    if existing:
        return existing, people_of(existing)
    today = timezone.localdate()
    saturday = today + timedelta(days=35 + (5 - today.weekday()) % 7)
    project = Project.objects.create(
        name="全行核心系统替换 · Core Banking Replacement (scale benchmark)", code=CODE, phase="testing",
        description="A nationwide bank's core replacement, grown to benchmark size.",
        go_live_at=_local(saturday + timedelta(days=1), 6), window_start=_local(saturday, 20),
        window_end=_local(saturday + timedelta(days=1), 8), hypercare_days=28)
    departments = Department.objects.bulk_create(
        [Department(project=project, name=f"Branch region {i + 1:02d} · 分行{i + 1:02d}") for i in range(38)]
        + [Department(project=project, name=name) for name in ("IT", "Operations")])
    password = make_password(PASSWORD)
    counts = [(role, n(count, size), title) for role, count, title in ROLES]
    users, memberships, i = [], [], 0
    for role, count, _title in counts:
        for k in range(count):
            username = MANAGER if (role == "manager" and k == 0) else f"s{i:05d}"
            users.append(User(username=username, first_name=GIVEN[(i * 7) % len(GIVEN)],
                              last_name=SURNAMES[i % len(SURNAMES)], email=f"{username}@scale.bank.example",
                              password=password, is_staff=username == MANAGER))
            i += 1
    User.objects.bulk_create(users, batch_size=BATCH)
    users = {u.username: u for u in User.objects.filter(email__endswith="@scale.bank.example")}
    i = 0
    people = {}
    for role, count, title in counts:
        for k in range(count):
            user = users[MANAGER if (role == "manager" and k == 0) else f"s{i:05d}"]
            it = role in ("developer", "tester", "ops")
            memberships.append(Membership(project=project, user=user, role=role, job_title=title,
                                          department=departments[-2 if it else i % 38],
                                          phone=f"13{i % 10}-{i:04d}-{(i * 37) % 10000:04d}"))
            people.setdefault(role, []).append(user)
            i += 1
    Membership.objects.bulk_create(memberships, batch_size=BATCH)
    pm = users[MANAGER]
    Milestone.objects.bulk_create([
        Milestone(project=project, name=f"Milestone {k + 1} · 里程碑{k + 1}", planned_date=today + timedelta(days=7 * k - 60),
                  actual_date=(today + timedelta(days=7 * k - 59)) if 7 * k - 60 < 0 else None, owner=pm)
        for k in range(30)])
    named = [u for role in ("developer", "tester", "business", "ops", "manager", "trainer") for u in people.get(role, [])]
    named = (named + people.get("staff", []))[:n(RACI_PEOPLE, size)]
    letters = [Raci.RESPONSIBLE, Raci.CONSULTED, Raci.INFORMED, Raci.INFORMED]
    cells = []
    for a in range(n(RACI_AREAS, size)):
        for k, user in enumerate(named):
            cells.append(Responsibility(project=project, area=f"Work area {a + 1:02d}", user=user,
                                        raci=Raci.ACCOUNTABLE if k == a else letters[(a + k) % 4]))
    Responsibility.objects.bulk_create(cells, batch_size=BATCH)
    on_call = people.get("ops", []) + people.get("developer", [])
    shifts, cursor, k = [], project.window_start - timedelta(days=14), 0
    while cursor < project.hypercare_end:
        for slot in range(2):  # primary and backup
            shifts.append(OnCallShift(project=project, user=on_call[(2 * k + slot) % len(on_call)], starts_at=cursor,
                                      ends_at=cursor + timedelta(hours=8), note="primary" if slot == 0 else "backup"))
        cursor, k = cursor + timedelta(hours=8), k + 1
    OnCallShift.objects.bulk_create(shifts, batch_size=BATCH)
    if stdout:
        stdout.write(f"Scale project {CODE}: {len(memberships)} role assignments, {len(cells)} RACI cells, "
                     f"{len(shifts)} shifts.")
    return project, people


__all__ = ["CODE", "MANAGER", "PASSWORD", "Role", "n", "seed"]
