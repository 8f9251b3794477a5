"""Demo launch for `manage.py seed_demo`: a core-banking go-live with a realistic team.

Idempotent: running it again finds the project by code and changes nothing it already made.
Other apps add their demo data in `<app>/demo.py` with `seed(*, project, people, stdout)`.
"""

import re
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from . import services
from .models import Project, Raci, Role

User = get_user_model()

DEMO_PASSWORD = "liftoff-demo-2026"
PROJECT_CODE = "CBS-2027"

# Seed strings are marked with N_ (gettext_noop) and translated where they are written: `seed_demo --language`
# activates the language, so the demo reads wholly in it. Other apps' demos find departments by `_(english name)`.
DEPARTMENTS = [gettext_noop("Retail Banking"), gettext_noop("Corporate Banking"), gettext_noop("Credit"), gettext_noop("Treasury"), gettext_noop("Operations"),
               gettext_noop("Risk & Compliance"), gettext_noop("IT")]

# (username, family name, given name, roles, department, job title)
PEOPLE = [
    ("pm", "王", "建国", ["manager"], "IT", gettext_noop("Project Manager")),
    ("pm2", "李", "敏", ["manager", "business"], "Operations", gettext_noop("Deputy Project Manager")),
    ("dev", "张", "伟", ["developer"], "IT", gettext_noop("Core Banking Developer")),
    ("tester", "刘", "洋", ["tester"], "IT", gettext_noop("Test Lead")),
    ("business", "陈", "静", ["business"], "Retail Banking", gettext_noop("Retail Product Manager")),
    ("ops", "杨", "帆", ["ops"], "IT", gettext_noop("Ops Lead")),
    ("trainer", "赵", "丽", ["trainer"], "Operations", gettext_noop("Training Lead")),
    ("staff", "黄", "磊", ["staff"], "Retail Banking", gettext_noop("Teller, Main Branch")),
]
SURNAMES = "周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭"
GIVEN = ["志强", "秀英", "军", "芳", "勇", "娜", "涛", "艳", "明", "霞", "超", "婷", "斌", "雪", "鹏", "琳", "浩", "倩", "杰", "欣"]
EXTRA_ROLES = [
    ("developer", "IT", gettext_noop("Developer"), 8),
    ("tester", "IT", gettext_noop("Test Engineer"), 7),
    ("business", None, gettext_noop("Business Expert"), 8),
    ("ops", "IT", gettext_noop("Ops Engineer"), 5),
    ("trainer", "Operations", gettext_noop("Trainer"), 2),
    ("staff", None, gettext_noop("Branch Staff"), 22),
]


_CJK = re.compile(r"[\u4e00-\u9fff]")


def bilingual(text):
    """A seed string written in both languages, in the active one: "中文 · English" or "English · 中文" (one
    side Chinese, the other not), or "中文句子。English sentence." / "English sentence. 中文句子。". Anything
    else is returned as it is (codes, URLs, names). Seed strings written only in English use gettext instead."""
    if not text:
        return text
    chinese = (get_language() or "").lower().startswith("zh")
    parts = text.split(" · ")
    if len(parts) == 2:
        a, b = parts
        if _CJK.search(a) and not _CJK.search(b):
            return a if chinese else b
        if _CJK.search(b) and not _CJK.search(a):
            return b if chinese else a
    found = re.match(r"^(.*[\u4e00-\u9fff）]+[。！？])\s*([A-Za-z].*)$", text, re.S)
    if found and not _CJK.search(found.group(2)):
        return found.group(1) if chinese else found.group(2)
    found = re.match(r"^([A-Za-z][^\u4e00-\u9fff]*[.!?])\s*([\u4e00-\u9fff].*)$", text, re.S)
    if found:
        return found.group(2) if chinese else found.group(1)
    return text


def department_key(department):
    """The English name a demo department was seeded from (its stored name is in the seed's language), so the
    other apps' demos find departments the same way in every language; None for None."""
    if department is None:
        return None
    return next((en for en in DEPARTMENTS if _(en) == department.name), department.name)


def departments_by_key(project):
    return {department_key(d): d for d in project.departments.all()}


def _local(dt_date, hour, minute=0):
    return timezone.make_aware(datetime.combine(dt_date, time(hour, minute)))


_HASH = {}


def _password_hash():
    # Hashing is deliberately slow; hash the shared demo password once, not once per user.
    if "h" not in _HASH:
        _HASH["h"] = make_password(DEMO_PASSWORD)
    return _HASH["h"]


def _user(username, family, given, email_domain="bank.example"):
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": given, "last_name": family, "email": f"{username}@{email_domain}",
                  "password": _password_hash()},
    )
    return user


def seed(stdout=None):
    """Create (or find) the demo project; return (project, people) where people maps role → users."""
    existing = Project.objects.filter(code=PROJECT_CODE).first()
    admin, created = User.objects.get_or_create(
        username="admin",
        defaults={"is_staff": True, "is_superuser": True, "email": "admin@bank.example", "first_name": "Admin"},
    )
    if created:
        admin.password = _password_hash()
        admin.save(update_fields=["password"])

    if existing:
        return existing, _people(existing)

    today = timezone.localdate()
    # Go live on the Sunday morning about five weeks out; cutover Saturday 20:00 → Sunday 08:00.
    saturday = today + timedelta(days=35 + (5 - today.weekday()) % 7)
    pm = _user("pm", "王", "建国")
    pm.is_staff = True
    pm.save(update_fields=["is_staff"])
    project = services.project_create(
        actor=pm, name=_("Core Banking System Go-Live"), code=PROJECT_CODE,
        description=_("Replace the 15-year-old core banking system: deposits, loans, GL and the branch counter."),
        go_live_at=_local(saturday + timedelta(days=1), 6), window_start=_local(saturday, 20),
        window_end=_local(saturday + timedelta(days=1), 8), phase="testing", hypercare_days=28,
    )
    departments = {name: services.department_create(actor=pm, project=project, name=_(name)) for name in DEPARTMENTS}

    users = {}
    for username, family, given, roles, dept, title in PEOPLE:
        user = _user(username, family, given)
        users[username] = user
        for role in roles:
            if username == "pm" and role == "manager":
                services.membership_update(actor=pm, membership=project.memberships.get(user=user, role=role),
                                           department=departments[dept], job_title=_(title), phone="138-0000-0001")
                continue
            services.membership_add(actor=pm, project=project, user=user, role=role, department=departments[dept],
                                    job_title=_(title), phone=f"139-{len(users):04d}-{len(users) * 7 % 10000:04d}")
    n = 0
    business_depts = [d for d in DEPARTMENTS if d != "IT"]
    for role, dept, title, count in EXTRA_ROLES:
        for i in range(count):
            family = SURNAMES[n % len(SURNAMES)]
            given = GIVEN[(n * 7) % len(GIVEN)]
            n += 1
            user = _user(f"{role}{i + 2:02d}", family, given)
            d = dept or business_depts[i % len(business_depts)]
            services.membership_add(actor=pm, project=project, user=user, role=role, department=departments[d],
                                    job_title=_(title), phone=f"137-{n:04d}-{(n * 37) % 10000:04d}")

    _milestones(project, pm, users, today, saturday)
    _raci(project, pm, users)
    _rota(project, pm)
    if stdout:
        stdout.write(f"Created demo project {project.code} with {project.memberships.count()} role assignments.")
    return project, _people(project)


def _milestones(project, pm, users, today, saturday):
    d = timedelta
    rows = [
        (gettext_noop("Team formed and RACI signed"), "preparation", today - d(60), today - d(60), None, "pm"),
        (gettext_noop("Business requirement survey complete"), "preparation", today - d(45), today - d(44), None, "business"),
        (gettext_noop("Requirements signed off"), "preparation", today - d(30), today - d(28), None, "pm2"),
        (gettext_noop("System integration test (SIT) complete"), "testing", today - d(4), None, today + d(6), "tester"),
        (gettext_noop("Performance and security tests passed"), "testing", today + d(10), None, None, "tester"),
        (gettext_noop("User acceptance test (UAT) signed"), "testing", today + d(18), None, None, "business"),
        (gettext_noop("Cutover rehearsal 1"), "rehearsal", saturday - d(21), None, None, "ops"),
        (gettext_noop("Cutover rehearsal 2 within window"), "rehearsal", saturday - d(14), None, None, "ops"),
        (gettext_noop("All staff trained"), "preparation", saturday - d(7), None, None, "trainer"),
        (gettext_noop("Go/no-go meeting"), "cutover", saturday - d(2), None, None, "pm"),
        (gettext_noop("Go-live"), "cutover", saturday + d(1), None, None, "pm"),
        (gettext_noop("Hypercare ends"), "hypercare", saturday + d(29), None, None, "ops"),
    ]
    for name, phase, planned, actual, forecast, owner in rows:
        services.milestone_create(actor=pm, project=project, name=_(name), phase=phase, planned_date=planned,
                                  actual_date=actual, forecast_date=forecast, owner=users[owner])


def _raci(project, pm, users):
    areas = {
        gettext_noop("Requirements sign-off"): {"pm2": "A", "business": "R", "pm": "C", "tester": "I"},
        gettext_noop("Testing and defect triage"): {"tester": "A", "dev": "R", "pm": "C", "business": "C"},
        gettext_noop("Data migration"): {"ops": "A", "dev": "R", "tester": "C", "pm": "I"},
        gettext_noop("Cutover runbook"): {"pm": "A", "ops": "R", "dev": "R", "tester": "C"},
        gettext_noop("Training"): {"trainer": "A", "staff": "I", "pm2": "C"},
        gettext_noop("Contingency plan"): {"ops": "R", "pm": "C", "dev": "C"},  # nobody accountable: flagged
        gettext_noop("Hypercare support"): {"ops": "A", "dev": "R", "pm": "I", "business": "C"},
    }
    for area, cells in areas.items():
        for username, letter in cells.items():
            services.responsibility_set(actor=pm, project=project, area=_(area), user=users[username],
                                        raci=getattr(Raci, {"A": "ACCOUNTABLE", "R": "RESPONSIBLE", "C": "CONSULTED",
                                                            "I": "INFORMED"}[letter]))


def _rota(project, pm):
    ops_people = [m.user for m in project.memberships.filter(role__in=[Role.OPS, Role.DEVELOPER])
                  .select_related("user").order_by("role", "user__username")[:8]]
    start = project.window_start
    end = project.hypercare_end
    cursor, i = start, 0
    while cursor < end:
        shift_end = min(cursor + timedelta(hours=12), end)
        # One night in the second week of hypercare nobody was found: the rota shows the gap.
        if i != 19:
            services.shift_create(actor=pm, project=project, user=ops_people[i % len(ops_people)], starts_at=cursor,
                                  ends_at=shift_end, note=_("primary on-call"))
            # The next person on the list stands behind them: alerts go to the backup when the primary does not answer.
            services.shift_create(actor=pm, project=project, user=ops_people[(i + 1) % len(ops_people)],
                                  starts_at=cursor, ends_at=shift_end, tier="backup", note=_("backup on-call"))
        cursor, i = shift_end, i + 1


def _people(project):
    people = {}
    for m in project.memberships.select_related("user", "department").order_by("user__username"):
        people.setdefault(m.role, []).append(m.user)
    return people


DEMO_LOGINS = [
    ("pm", "project manager (also a Django staff user)"),
    ("pm2", "deputy manager and business reviewer"),
    ("business", "business reviewer"),
    ("tester", "test lead"),
    ("dev", "developer"),
    ("ops", "ops engineer"),
    ("trainer", "trainer"),
    ("staff", "branch staff"),
    ("admin", "Django superuser (admin site only; not a project member)"),
]


def by_username(people, username):
    """The demo person with this login, from the {role: [users]} that seed() returns (None if absent)."""
    for users in people.values():
        for u in users:
            if u.username == username:
                return u
    return None


def first_with_role(people, role, index=0):
    users = people.get(role) or []
    return users[index] if len(users) > index else None
