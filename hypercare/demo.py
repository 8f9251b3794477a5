"""Demo hypercare data: incidents from the pilot branches, staff feedback of the last 12 days, and
the retrospective (lessons learned with votes and actions).

The demo project goes live in the future, so these "hypercare" incidents are the ones the pilot
branches reported while running the new system in parallel; the dashboard says so and shows the
last 14 days until go-live. Built through the services, then back-dated. Idempotent: does nothing
if the project has feedback (or, for the retrospective, lessons).
"""

from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from defects import services as defect_services
from defects.demo import backdate
from projects import services as project_services
from projects.demo import bilingual, by_username, first_with_role

from . import services
from .models import Feedback, LessonKind

INCIDENTS = [
    # (days ago, hour, title, severity, category, customers, branches, hours to fix or None, status)
    (11, 9, gettext_noop("Pilot branch 0101: end-of-day batch stopped at step GL-07"), "critical", "functional", 0, 3, 5, "closed"),
    (10, 10, gettext_noop("Counter withdrawal receipt shows the old branch code"), "minor", "functional", 40, 2, 30, "closed"),
    (9, 14, gettext_noop("Transfer screen slow (8 s) between 10:00 and 11:00"), "major", "performance", 120, 5, 20, "verified"),
    (8, 9, gettext_noop("Chinese names truncated on the passbook print"), "major", "data", 15, 1, 44, "closed"),
    (6, 11, gettext_noop("Loan repayment schedule off by one day for February"), "major", "functional", 8, 1, 26, "fixed"),
    (5, 8, gettext_noop("Card issuance: PIN mailer queue not released"), "critical", "functional", 60, 4, 3, "closed"),
    (4, 16, gettext_noop("Fee calculation rounds 0.005 down"), "minor", "data", 230, 6, None, "in_progress"),
    (3, 10, gettext_noop("Statement printing: page 2 header missing"), "trivial", "usability", 0, 2, None, "open"),
    (2, 9, gettext_noop("Teller cash box will not balance after a reversal"), "major", "functional", 0, 1, None, "in_progress"),
    (1, 15, gettext_noop("Regulatory export missing branch 0107"), "critical", "data", 0, 1, None, "new"),
    (0, 8, gettext_noop("Interest rate maintenance screen freezes on save"), "minor", "usability", 0, 1, None, "new"),
]

FEEDBACK = [
    # (days ago, hour, submitter role, category, text, outcome, answer)
    (10, 11, "staff", "usability", gettext_noop("The customer search needs three clicks before I can see the account "
                                                "list; the old system opened it directly."), "closed",
     gettext_noop("Press F3 on the search screen to jump straight to the accounts; it is in the quick guide, page 4.")),
    (9, 15, "staff", "bug", gettext_noop("The receipt printer prints the old branch code 0100 instead of 0101."),
     "defect", ""),
    (8, 10, "business", "feature", gettext_noop("We need a report of dormant accounts per branch, like the old monthly "
                                                "list."),
     "requirement", gettext_noop("Thank you: it goes into the next release's backlog.")),
    (7, 9, "staff", "training", gettext_noop("I do not know how to reverse a cash deposit made to the wrong account."),
     "training", gettext_noop("A 30-minute refresher on reversals is planned for Friday; you are on the list.")),
    (5, 14, "staff", "usability", gettext_noop("Tab order on the transfer form jumps from amount to the remarks field."),
     None, ""),
    (4, 10, "staff", "bug", gettext_noop("Passbook printing stops after 20 lines and waits."), None, ""),
    (3, 16, "business", "feature", gettext_noop("Allow supervisors to approve from the counter PC instead of their "
                                                "own."), None, ""),
    (2, 11, "staff", "training", gettext_noop("Where do I find the new end-of-day checklist?"), "closed",
     gettext_noop("It is under Help → Branch operations → End of day; printed copies went to every branch on "
                  "Monday.")),
    (1, 9, "staff", "usability", gettext_noop("Amounts above one million are hard to read without thousand "
                                              "separators."), None, ""),
    (0, 9, "staff", "bug", gettext_noop("The queue number display shows yesterday's numbers after restart."), None, ""),
]


COMPLAINTS = [
    # (days ago, hour, channel, category, description, customers, incident index or None, status, resolution)
    (10, 10, "branch", "回单错误 · Wrong receipt", "客户投诉回单上网点号错误，担心交易无效。The receipt shows the wrong "
     "branch code; the customer fears the withdrawal did not count.", 1, 1, "resolved",
     "已解释交易有效并重打回单。Explained the transaction is valid and reprinted the receipt."),
    (9, 11, "phone", "转账慢 · Slow transfer", "转账页面一直转圈，客户排队等了二十分钟。The transfer screen kept "
     "spinning; the customer queued 20 minutes.", 12, 2, "resolved",
     "性能问题已修复，已致电客户道歉。Performance fixed; we called the customer to apologise."),
    (8, 15, "branch", "存折打印 · Passbook print", "存折上客户姓名被截断。The customer's name is cut off on the "
     "passbook.", 3, 3, "investigating", ""),
    (5, 9, "app", "卡片未寄出 · Card not sent", "新卡的密码函迟迟未收到。The PIN letter of the new card never "
     "arrived.", 25, 5, "resolved", "密码函已补寄。PIN letters re-sent."),
    (4, 14, "online", "手续费 · Fee", "手续费比公告多了一分钱。The fee was one fen more than announced.", 40, 6,
     "investigating", ""),
    (2, 10, "phone", "排队时间长 · Long queue", "网点排队超过一小时。Over an hour's wait at branch 0103.", None, None,
     "open", ""),
    (1, 16, "branch", "对账单 · Statement", "对账单第二页缺少抬头。Page 2 of the statement has no header.", 1, 7,
     "open", ""),
    (0, 9, "other", "叫号屏 · Queue display", "叫号屏显示昨天的号码，客户以为被跳过。The queue display showed "
     "yesterday's numbers; customers thought they were skipped.", 6, None, "open", ""),
]


def _at(today, days_ago, hour):
    """`hour` o'clock `days_ago` days before today, but never in the future (seeded just after
    midnight, today's 09:00 has not happened yet: it becomes an hour ago)."""
    at = timezone.make_aware(datetime.combine(today - timedelta(days=days_ago), time(hour, 0)))
    return min(at, timezone.now() - timedelta(hours=1))


def seed(*, project, people, stdout=None):
    if not Feedback.objects.filter(project=project).exists():
        _hypercare(project, people, stdout)
    if not project.lessons.exists():
        _retrospective(project, people, stdout, timezone.localdate())


def _hypercare(project, people, stdout):
    same = {u.pk: u for role_users in people.values() for u in role_users}
    pm = same[next((u for u in people["manager"] if u.username == "pm"), people["manager"][0]).pk]
    staff = [same[u.pk] for u in people.get("staff", [])] or [pm]
    business = [same[u.pk] for u in people.get("business", [])] or staff
    fixers = [same[u.pk] for u in people.get("ops", []) + people.get("developer", [])] or [pm]
    today = timezone.localdate()
    defects = []
    for n, (ago, hour, title, severity, category, customers, branches, fix_hours, status) in enumerate(INCIDENTS):
        started = _at(today, ago, hour)
        reporter = staff[n % len(staff)] if n % 3 else fixers[n % len(fixers)]
        defect = defect_services.defect_file(
            actor=reporter, project=project, title=_(title), severity=severity, category=category,
            found_in="hypercare", environment=_("Production · pilot branches"),
            steps=_("Reported by the pilot branch during parallel run."),
            expected_result=_("Works as in the old system."), actual_result=_(title), customers_affected=customers,
            branches_affected=branches, incident_started_at=started - timedelta(minutes=20))
        assignee = fixers[n % len(fixers)]
        steps = {"new": [], "open": ["open"], "in_progress": ["open", "in_progress"],
                 "fixed": ["open", "in_progress", "fixed"], "verified": ["open", "in_progress", "fixed", "verified"],
                 "closed": ["open", "in_progress", "fixed", "verified", "closed"]}[status]
        if steps:
            defect_services.defect_assign(actor=pm, defect=defect, assignee=assignee)
        for to in steps:
            defect_services.defect_transition(actor=pm, defect=defect, to=to, comment="")
        fields = {"created_at": started}
        if fix_hours:
            fields["resolved_at"] = fields["fixed_at"] = started + timedelta(hours=fix_hours)
            if status == "closed":
                fields["closed_at"] = started + timedelta(hours=fix_hours + 4)
        backdate(defect.pk, **fields)
        defects.append(defect)
    for n, (ago, hour, role, category, text, outcome, answer) in enumerate(FEEDBACK):
        who = (business if role == "business" else staff)[n % len(business if role == "business" else staff)]
        feedback = services.feedback_submit(actor=who, project=project, category=category, text=_(text))
        submitted = _at(today, ago, hour)
        Feedback.objects.filter(pk=feedback.pk).update(created_at=submitted)
        if outcome:
            feedback.created_at = submitted
            feedback = services.feedback_triage(
                actor=pm, feedback=feedback, outcome=outcome, answer=_(answer) if answer else "", severity="minor",
                note=_("Dormant accounts report per branch, monthly (as in the old system).")
                if outcome == "requirement" else "")
            replied = submitted + timedelta(hours=3)
            Feedback.objects.filter(pk=feedback.pk).update(
                triaged_at=replied, answered_at=replied if feedback.answered_at else None)
            if feedback.defect_id:
                backdate(feedback.defect_id, created_at=replied)
    handler = fixers[0]
    for ago, hour, channel, category, text, customers, incident, status, resolution in COMPLAINTS:
        complaint = services.complaint_record(
            actor=staff[ago % len(staff)], project=project, channel=channel, category=bilingual(category), description=bilingual(text),
            customers_affected=customers, received_at=min(_at(today, ago, hour), timezone.now()),  # before 09:00 too
            defect=defects[incident] if incident is not None else None)
        if status in ("investigating", "resolved"):
            services.complaint_transition(actor=handler, complaint=complaint, to="investigating")
        if status == "resolved":
            services.complaint_transition(actor=handler, complaint=complaint, to="resolved", comment=bilingual(resolution),
                                          now=_at(today, ago, hour) + timedelta(hours=6))
    services.report_subscribe(actor=pm, project=project, subscribe=True)
    _duty(project, pm, fixers, today)
    if stdout:
        stdout.write(f"Hypercare demo: {len(INCIDENTS)} pilot incidents, {len(FEEDBACK)} feedback, "
                     f"{len(COMPLAINTS)} complaints.")


def _duty(project, pm, fixers, today):
    """Pilot support on duty today and tomorrow (the rota proper starts at the cutover window)."""
    start = timezone.make_aware(datetime.combine(today, time(8, 0)))
    if project.shifts.filter(starts_at__lt=start + timedelta(days=2), ends_at__gt=start).exists():
        return
    for i in range(4):
        project_services.shift_create(actor=pm, project=project, user=fixers[i % len(fixers)],
                                      starts_at=start + timedelta(hours=12 * i),
                                      ends_at=start + timedelta(hours=12 * (i + 1)), note=_("pilot support"))


ITEMS = [
    (LessonKind.WENT_WELL, "Daily 15-minute stand-up with business and IT kept defects moving. 每日站会效果好。", 6),
    (LessonKind.WENT_WELL, "Rehearsal 1 runbook had an owner for every step; nobody waited for instructions. "
                           "第一次演练的切换手册每一步都有负责人，无人等待指令。", 4),
    (LessonKind.WENT_WELL, "Branch staff signed up for training early thanks to the reminders. "
                           "得益于提醒，网点员工提早报名参加培训。", 2),
    (LessonKind.WENT_WRONG, "Data migration took 3 h longer than planned: the customer table was not pre-cleansed. "
                            "数据迁移超时三小时，客户表未提前清洗。", 9),
    (LessonKind.WENT_WRONG, "Requirements for the credit module were approved late; testing started on drafts. "
                            "信贷模块需求审批滞后，测试基于草稿开展。", 5),
    (LessonKind.WENT_WRONG, "Nobody was accountable for the contingency plan until week 6. "
                            "直到第6周应急预案才有负责人。", 3),
    (LessonKind.IDEA, "Run a reconciliation dry-run on production-size data two weeks before each rehearsal. "
                      "每次演练前两周，用生产规模数据进行对账预演。", 7),
    (LessonKind.IDEA, "Freeze requirements one sprint before SIT starts. 需求冻结提前一个迭代。", 4),
]


def _retrospective(project, people, stdout, today):
    voters = [u for role in ("developer", "tester", "business", "ops", "staff", "manager") for u in people.get(role, [])]
    pm = by_username(people, "pm") or first_with_role(people, "manager")
    created = []
    for i, (kind, text, votes) in enumerate(ITEMS):
        author = voters[(i * 5) % len(voters)] if voters else pm
        lesson = services.lesson_create(actor=author, project=project, kind=kind, text=bilingual(text))
        for voter in voters[i: i + votes]:
            services.lesson_vote(actor=voter, lesson=lesson, vote=True)
        created.append(lesson)
    ops = by_username(people, "ops") or pm
    tester = by_username(people, "tester") or pm
    business = by_username(people, "business") or pm
    actions = [
        (gettext_noop("Pre-cleanse the customer table and re-time the migration step"), ops, 5, created[3]),
        (gettext_noop("Reconciliation dry-run on a production-size copy before rehearsal 2"), ops, 9, created[6]),
        (gettext_noop("Write the requirement-freeze rule into the project plan"), business, 12, created[7]),
        (gettext_noop("Name one Accountable for the contingency plan and get it approved"), pm, 3, created[5]),
        (gettext_noop("Share the stand-up format with the next project"), tester, 20, created[0]),
    ]
    made = [services.lesson_action_create(actor=pm, project=project, title=_(title), owner=owner,
                                          due_date=today + timedelta(days=days), lesson=lesson)
            for title, owner, days, lesson in actions]
    # one action already late and one done, so the dashboard and the report show both states
    late = made[3]
    services.lesson_action_update(actor=pm, action=late, due_date=today - timedelta(days=2))
    done = made[4]
    services.lesson_action_complete(actor=tester, action=done)
    if stdout:
        stdout.write(f"Lessons learned: {len(created)} items, {len(actions)} actions.")
