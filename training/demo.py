"""Demo training plan: 6 courses, 20 sessions (past ones with attendance, upcoming ones partly
full, one full with a waitlist), about 70 % of the people with required courses fully trained.

Built through the services; idempotent (does nothing once the project has courses)."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from . import selectors, services
from .models import Course, Enrolment, EnrolmentStatus, Mode

# (title, description, minutes, required roles, required departments)
COURSES = [
    ("新核心系统入门 · Core banking basics", "Navigation, customer search, accounts and the new screens. 新系统基本操作。",
     120, ["staff"], []),
    ("柜面业务操作 · Counter operations", "Deposits, withdrawals, transfers and cash at the new counter system.",
     180, ["staff"], ["Retail Banking", "Operations"]),
    ("贷款与授信流程 · Loans and credit workflow", "Loan origination, approval routing and repayment schedules.",
     150, ["staff"], ["Credit", "Corporate Banking"]),
    ("总账与日终 · General ledger and end of day", "GL postings, end-of-day batch and reconciliation reports.",
     120, ["staff"], ["Treasury", "Operations", "Risk & Compliance"]),
    ("上线切换与应急演练 · Cutover and contingency drill", "Runbook, roll-back criteria and who calls whom.",
     90, ["developer", "ops"], []),
    ("系统安全与操作规范 · Security awareness", "Passwords, phishing, four-eyes checks. Online video, optional.",
     45, [], []),
]


def _at(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def seed(*, project, people, stdout=None):
    if Course.objects.filter(project=project).exists():
        return
    pm = people["manager"][0]
    trainers = people.get("trainer", [])[:3] or [pm]
    departments = {d.name: d for d in project.departments.all()}
    courses = [
        services.course_create(actor=trainers[0], project=project, title=title, description=desc,
                               duration_minutes=minutes, required_roles=roles,
                               required_departments=[departments[n] for n in depts if n in departments])
        for title, desc, minutes, roles, depts in COURSES
    ]
    for index, course in enumerate(courses):  # slides and a recording on the bank's intranet
        services.material_add(actor=trainers[0], course=course, title="课件 · Slides (PDF)",
                              link=f"https://intranet.bank.example/training/cbs/course-{index + 1}/slides.pdf")
        if index % 2 == 0:
            services.material_add(actor=trainers[0], course=course, title="录像 · Recording of the pilot class",
                                  link=f"https://video.bank.example/cbs/course-{index + 1}")
    today = timezone.localdate()
    report = selectors.coverage_report(project=project)
    selectors.with_people(report["people"])
    required = {c.pk: [] for c in courses}
    missing = {}  # user id → the course that person has not completed
    for index, person in enumerate(report["people"]):
        if index % 10 in (1, 4, 8):  # about 30 % stay untrained
            missing[person["user"].pk] = person["required"][index % len(person["required"])].pk
        if person["user"].username == "staff" and len(person["required"]) > 1:
            missing[person["user"].pk] = person["required"][1].pk  # the demo "staff" login has work to do
        for course in person["required"]:
            required[course.pk].append(person["user"])

    # Past sessions: two per course, on distinct mornings, with attendance marked.
    day = today - timedelta(days=30)
    for ci, course in enumerate(courses):
        learners = required[course.pk] or people.get("staff", [])[:10]
        halves = [learners[0::2], learners[1::2]]
        for half in halves:
            day += timedelta(days=2)
            start = _at(day, 9, 30)
            trainer = trainers[(ci + len(halves)) % len(trainers)]
            session = services.session_create(
                actor=trainer, course=course, trainer=trainer, starts_at=start,
                ends_at=start + timedelta(minutes=course.duration_minutes),
                capacity=max(len(half) + 2, 6), mode=Mode.OFFLINE if ci % 3 else Mode.ONLINE,
                location="总行培训中心 302 教室 · HQ training room 302" if ci % 3 else "https://meet.bank.example/train",
                signup_deadline=start - timedelta(days=1))
            marks = {}
            for pi, user in enumerate(half):
                skipped = missing.get(user.pk) == course.pk
                if skipped and pi % 3:
                    continue  # never signed up
                services.enrolment_enrol(actor=user, session=session, now=start - timedelta(days=3))
                marks[user.pk] = "absent" if skipped else "attended"
            if marks:
                services.attendance_record(actor=trainer, session=session, marks=marks, now=session.ends_at)

    # Upcoming sessions: one or two per course; the untrained book them, one session is full with a waitlist.
    untrained_by_course = {}
    for user_id, course_id in missing.items():
        untrained_by_course.setdefault(course_id, []).append(user_id)
    users = {u.pk: u for group in people.values() for u in group}
    upcoming = []
    day = today
    plan = [(0, 20), (0, 12), (1, 10), (1, 8), (2, 12), (3, 10), (4, 16), (5, 8)]
    for index, (ci, capacity) in enumerate(plan):
        day += timedelta(days=2)
        course = courses[ci]
        start = _at(day, 14 if index % 2 else 9, 30 if index % 2 else 0)
        trainer = trainers[index % len(trainers)]
        online = course.pk == courses[5].pk or index % 4 == 3
        upcoming.append(services.session_create(
            actor=trainer, course=course, trainer=trainer, starts_at=start,
            ends_at=start + timedelta(minutes=course.duration_minutes), capacity=capacity,
            mode=Mode.ONLINE if online else Mode.OFFLINE,
            location="https://meet.bank.example/liftoff-training" if online else f"分行培训室 {index + 1} · Branch room {index + 1}",
            signup_deadline=start - timedelta(days=1)))
    now = timezone.now()
    # Who completed what: nobody is booked into a later session of a course they already completed.
    done = set(Enrolment.objects.filter(session__project=project, status=EnrolmentStatus.ATTENDED)
               .values_list("user_id", "session__course_id"))

    def still_needs(user, session):
        return (user.pk, session.course_id) not in done

    for session in upcoming:
        waiting = [users[u] for u in untrained_by_course.pop(session.course_id, []) if u in users]
        for user in waiting:
            services.enrolment_enrol(actor=user, session=session, now=now)
    # The optional security class is popular: full, with people waiting (all of them still need it).
    full = upcoming[-1]
    for user in [u for u in people.get("staff", []) if still_needs(u, full)][: full.capacity + 3]:
        services.enrolment_enrol(actor=user, session=full, now=now)
    # A few early birds elsewhere (who have not taken the course yet), so the upcoming classes are partly full.
    early = people.get("business", [])[:5] + people.get("tester", [])[:6]
    for index, session in enumerate(upcoming[:-1]):
        for user in [u for u in early[index % 3::3] if still_needs(u, session)][: max(1, session.capacity // 3)]:
            services.enrolment_enrol(actor=user, session=session, now=now)
    services.calendar_token_for(user=people.get("staff", [pm])[0])
    if stdout:
        report = selectors.coverage_report(project=project)
        stdout.write(f"Training: {len(courses)} courses, {len(upcoming) + 2 * len(courses)} sessions, "
                     f"{report['pct']:g}% of required people trained.")
