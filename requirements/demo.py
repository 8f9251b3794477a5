"""Demo data: three surveys and ~120 requirements in every status, with conflicts and versions.

Built through the services (codes, versions and decisions are real); only timestamps are moved
into the past afterwards so the review queue shows realistic ages. Idempotent.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from projects.demo import bilingual, department_key, departments_by_key

from . import services
from .models import Answer, QuestionKind, Requirement, Survey, SurveyMethod

# Department → needs (title, acceptance criteria). Titles are what the department asked for.
NEEDS = {
    "Retail Banking": [
        ("Real-time balance enquiry at the counter · 柜面实时余额查询", gettext_noop("Balance shown within 1 s after the card is read.")),
        ("Open a savings account in under 10 minutes · 十分钟内开立储蓄账户", gettext_noop("A trained teller completes it in < 10 min.")),
        ("Print passbook entries in the new format · 存折新格式打印", gettext_noop("All 12 passbook printer models print correctly.")),
        ("Daily cash limit per teller · 柜员日现金限额", gettext_noop("A withdrawal above the limit asks for a supervisor.")),
        ("Customer risk rating shown before large withdrawals · 大额取款前显示客户风险等级", gettext_noop("Rating visible on screen.")),
        ("Fee waiver for senior citizens · 老年客户手续费减免", gettext_noop("Customers aged 60+ pay no transfer fee.")),
        ("Batch card issuance for payroll customers · 代发工资批量开卡", gettext_noop("1,000 cards issued from one file.")),
        ("Dormant account reactivation · 久悬账户激活", gettext_noop("Reactivation requires ID check and supervisor approval.")),
        ("Foreign currency cash exchange at branch · 网点外币兑换", gettext_noop("Rates refresh from Treasury every 5 minutes.")),
        ("Queue number linked to the customer record · 排队号关联客户信息", gettext_noop("Teller sees the customer's name on call.")),
    ],
    "Corporate Banking": [
        ("Corporate account opening with e-KYC · 对公开户电子尽调", gettext_noop("Documents uploaded and checked online.")),
        ("Multi-level payment authorisation · 对公支付多级授权", gettext_noop("Payments above 1M need two authorisers.")),
        ("Cash pooling for group customers · 集团客户资金池", gettext_noop("Sweeps run at 17:00 and are reconciled.")),
        ("Bulk salary payment file upload · 批量代发文件上传", gettext_noop("A 20,000-line file validates in 30 s.")),
        ("Corporate statement in MT940 format · MT940格式对账单", gettext_noop("Statements accepted by three major ERPs.")),
        ("Letter of guarantee issuance · 保函开立", gettext_noop("Guarantee text from approved templates only.")),
        ("Customer-level pricing agreements · 客户级定价协议", gettext_noop("Agreed fees override the standard tariff.")),
        # xgettext:no-python-format
        ("Overdraft limit monitoring · 透支额度监控", gettext_noop("Alert at 90% of the limit.")),
        ("Account signatory changes with approval · 预留印鉴变更审批", gettext_noop("Changes effective only after approval.")),
        ("Interest calculation for negotiated deposits · 协议存款计息", gettext_noop("Interest matches the old system to 0.01.")),
    ],
    "Credit": [
        ("Loan application workflow with credit scoring · 贷款申请审批流与评分", gettext_noop("Score returned in < 5 s.")),
        ("Collateral register linked to loans · 押品登记与贷款关联", gettext_noop("Every secured loan has a collateral record.")),
        ("Repayment schedule with equal principal · 等额本金还款计划", gettext_noop("Schedule matches the calculator.")),
        ("Early repayment with penalty calculation · 提前还款违约金计算", gettext_noop("Penalty per the contract terms.")),
        ("Five-category loan classification · 贷款五级分类", gettext_noop("Classification runs at month end.")),
        ("Overdue loan reminders by SMS · 逾期贷款短信提醒", gettext_noop("SMS sent on day 1, 7 and 30 overdue.")),
        ("Loan migration with full repayment history · 贷款迁移含完整还款历史", gettext_noop("History reconciles for all loans.")),
        ("Credit limit for group customers · 集团客户授信额度", gettext_noop("Group exposure shown on approval.")),
        ("Loan restructuring · 贷款重组", gettext_noop("Restructured loans keep the original contract link.")),
        ("Mortgage rate repricing on LPR change · LPR调整后按揭利率重定价", gettext_noop("Repricing runs on 1 January.")),
    ],
    "Treasury": [
        ("Intraday liquidity position · 日间流动性头寸", gettext_noop("Position refreshed every 15 minutes.")),
        ("FX rate feed from the trading system · 交易系统汇率推送", gettext_noop("Rates published to channels within 1 min.")),
        ("Interbank placement booking · 同业拆放记账", gettext_noop("Bookings post to GL the same day.")),
        ("Bond holding valuation at month end · 月末债券估值", gettext_noop("Valuation within 1 bp of the vendor price.")),
        ("Large-value payment queue management · 大额支付排队管理", gettext_noop("Priority payments bypass the queue.")),
        ("Treasury limits per counterparty · 交易对手限额", gettext_noop("Booking blocked above the limit.")),
        ("Nostro account reconciliation · 存放同业对账", gettext_noop("Unmatched items listed daily.")),
        ("Cash forecast from branches · 网点现金预测", gettext_noop("Forecast submitted by 10:00 daily.")),
        ("Interest rate risk report · 利率风险报表", gettext_noop("Report generated by T+1 09:00.")),
        ("Central bank reserve calculation · 存款准备金计算", gettext_noop("Matches the regulator's formula.")),
    ],
    "Operations": [
        ("End-of-day batch finishes before 02:00 · 日终批处理02:00前完成", gettext_noop("Batch ends by 02:00 with 20M accounts.")),
        ("Centralised back-office authorisation · 后台集中授权", gettext_noop("Branch requests answered in < 2 min.")),
        ("Electronic vouchers instead of paper · 电子凭证替代纸质凭证", gettext_noop("No paper voucher at the counter.")),
        ("Branch cash box handover · 网点尾箱交接", gettext_noop("Handover needs both tellers' confirmation.")),
        ("Exception transaction review · 异常交易复核", gettext_noop("Every reversal is reviewed the next day.")),
        ("Seal verification with image comparison · 印鉴影像核验", gettext_noop("Seal image shown next to the cheque.")),
        ("Account freeze on court order · 司法冻结", gettext_noop("Freeze applies within 1 hour of receipt.")),
        ("Counter transaction journal search · 柜面流水查询", gettext_noop("Search by amount, account or teller.")),
        ("Holiday calendar maintenance · 节假日日历维护", gettext_noop("Calendar for next year loaded by December.")),
        ("Reversal of erroneous postings · 错账冲正", gettext_noop("Reversal keeps the link to the original.")),
    ],
    "Risk & Compliance": [
        ("Anti-money-laundering screening of new customers · 新客户反洗钱筛查", gettext_noop("Screening before the account opens.")),
        ("Large and suspicious transaction reports · 大额及可疑交易报告", gettext_noop("Report file accepted by the regulator.")),
        ("Audit trail of every parameter change · 参数变更审计留痕", gettext_noop("Who, when, old and new value kept.")),
        ("Four-eyes check on customer data changes · 客户信息变更双人复核", gettext_noop("Second person confirms each change.")),
        ("Sanctions list update daily · 制裁名单每日更新", gettext_noop("List refreshed before 08:00.")),
        ("Data masking in test environments · 测试环境数据脱敏", gettext_noop("No real ID numbers outside production.")),
        ("Operational risk event register · 操作风险事件登记", gettext_noop("Events registered within 24 h.")),
        ("Customer consent for marketing · 营销授权管理", gettext_noop("Marketing only to consenting customers.")),
        ("Access review every quarter · 季度权限复核", gettext_noop("Report of all user rights per quarter.")),
        ("Regulatory reporting data mart · 监管报送数据集市", gettext_noop("EAST reports reconcile to GL.")),
    ],
    "IT": [
        ("Single sign-on for branch staff · 网点员工单点登录", gettext_noop("One login for counter and back office.")),
        ("Disaster recovery switch in 30 minutes · 30分钟内灾备切换", gettext_noop("RTO 30 min proven in a drill.")),
        ("Monitoring dashboards for the core system · 核心系统监控大屏", gettext_noop("Alerts reach the on-call engineer.")),
        ("Interface to the payment gateway · 支付网关接口", gettext_noop("All message types tested end to end.")),
        ("Archive of closed accounts after 5 years · 销户五年后归档", gettext_noop("Archived data still searchable.")),
    ],
}
CHANNELS = ["", "手机银行 · mobile banking", "网银 · internet banking", "批量 · batch"]

# Status mix for ~120 requirements (index mod 20).
STATUS_PLAN = (["approved"] * 9 + ["submitted"] * 3 + ["draft"] * 3 + ["changes_requested"] * 2 + ["rejected"]
               + ["resubmitted"] + ["approved_v2"])
PRIORITY_PLAN = ["must", "must", "should", "must", "could", "should", "must", "wont", "should", "must"]


def seed(*, project, people, stdout=None):
    if Requirement.objects.filter(project=project).exists() or Survey.objects.filter(project=project).exists():
        return
    departments = departments_by_key(project)
    memberships = list(project.memberships.select_related("user", "department"))
    by_role_dept = {}
    for m in memberships:
        by_role_dept.setdefault((m.role, department_key(m.department)), []).append(m.user)
    # One user object per person, so the per-request role cache is shared across services.
    users = {}
    for role_users in people.values():
        for u in role_users:
            users.setdefault(u.pk, u)

    def same(u):
        return users.get(u.pk, u)

    managers = [same(u) for u in people.get("manager", [])]
    business = [same(u) for u in people.get("business", [])]
    pm = next(u for u in managers if u.username == "pm") if any(u.username == "pm" for u in managers) else managers[0]
    reviewers = [u for u in business if u.username in ("business", "pm2")] or business[:2]

    def business_of(dept_name):
        found = [same(u) for u in by_role_dept.get(("business", dept_name), [])]
        return found or business

    now = timezone.now()
    today = timezone.localdate()
    answers_for_requirements, interviews = _surveys(project, pm, departments, by_role_dept, same, business, today)

    created = []
    index = 0
    for channel in CHANNELS:
        for dept_name, needs in NEEDS.items():
            if channel and dept_name == "IT":
                continue
            for title, acceptance in needs:
                if len(created) >= 120:
                    break
                department = departments.get(dept_name)
                authors = business_of(dept_name)
                author = authors[index % len(authors)]
                priority = PRIORITY_PLAN[index % len(PRIORITY_PLAN)]
                where = bilingual(channel)
                requirement = services.requirement_create(
                    actor=author, project=project, title=(bilingual(title) + (f" — {where}" if where else ""))[:200],
                    description=_description(dept_name, title, where), acceptance_criteria=_(acceptance),
                    priority=priority, department=department,
                )
                created.append((requirement, author, STATUS_PLAN[index % len(STATUS_PLAN)]))
                index += 1

    # Requirements drafted in one step from survey answers and interviews.
    for answer in answers_for_requirements:
        author = business_of(department_key(answer.response.department))[0]
        r = services.requirement_from_answer(actor=author, answer=answer)
        created.append((r, author, "submitted"))
    for interview in interviews[:3]:
        author = business_of(department_key(interview.department))[0]
        r = services.requirement_from_interview(actor=author, interview=interview)
        created.append((r, author, "draft"))

    ages = {}
    for i, (r, author, plan) in enumerate(created):
        reviewer = next((u for u in reviewers if u.pk != author.pk), pm)
        if plan == "draft":
            continue
        services.requirement_submit(actor=author, requirement=r)
        if plan == "submitted":
            ages[r.pk] = (i * 5) % 9  # 0–8 days waiting: some are overdue
            continue
        if plan == "approved":
            services.requirement_approve(actor=reviewer, requirement=r, comment="")
        elif plan == "rejected":
            services.requirement_reject(actor=reviewer, requirement=r,
                                        comment=_("Out of scope for this release; raise it again for phase 2."))
        elif plan == "changes_requested":
            services.requirement_request_changes(
                actor=reviewer, requirement=r, comment=_("Acceptance criteria are not measurable; add numbers."))
        elif plan == "resubmitted":
            services.requirement_request_changes(actor=reviewer, requirement=r,
                                                 comment=_("Which channels are in scope? Say so in the description."))
            services.requirement_update(actor=author, requirement=r,
                                        description=r.description + "\n\n" + _("Channels: branch counter and mobile."),
                                        acceptance_criteria=r.acceptance_criteria + "\n" + _("Tested in both channels."))
            services.requirement_submit(actor=author, requirement=r)
            ages[r.pk] = 3
        elif plan == "approved_v2":
            services.requirement_approve(actor=reviewer, requirement=r)
            services.requirement_update(actor=author, requirement=r, priority="must",
                                        title=_("{title} (revised)").format(title=r.title)[:200])
            services.requirement_submit(actor=author, requirement=r)
            services.requirement_approve(actor=reviewer, requirement=r, comment=_("Revised scope agreed."))

    for pk, days in ages.items():
        Requirement.objects.filter(pk=pk).update(submitted_at=now - timedelta(days=days, hours=3))

    _conflicts(project, pm, created)
    if stdout:
        stdout.write(f"Requirements: {Requirement.objects.filter(project=project).count()} requirements, "
                     f"{Survey.objects.filter(project=project).count()} surveys.")


def _description(dept_name, title, where):
    need = bilingual(title)
    if not (get_language() or "").lower().startswith("zh"):
        need = need.lower()
    return _("{department} needs: {need} ({where}).\nToday this is done manually or in the old system with "
             "workarounds; the new core system must support it from go-live.").format(
        department=_(dept_name), need=need, where=where or _("all channels"))


QUESTIONS = [
    ("Which daily tasks take the most time in the current system? 现有系统中哪些日常操作最耗时？", QuestionKind.TEXT,
     [], True),
    ("Which channel do your customers use most? 客户最常用哪个渠道？", QuestionKind.SINGLE,
     ["柜面 · Branch counter", "手机银行 · Mobile banking", "网银 · Internet banking", "电话 · Phone"], True),
    ("Which reports do you need on day one? 上线首日需要哪些报表？", QuestionKind.MULTIPLE,
     ["日现金头寸 · Daily cash position", "柜员流水 · Teller journal", "逾期贷款 · Overdue loans",
      "客户投诉 · Customer complaints"], False),
    ("How satisfied are you with the current system? 对现有系统的满意度", QuestionKind.SCALE, [], True),
    ("What must not go wrong on go-live weekend? 上线周末绝不能出什么问题？", QuestionKind.TEXT, [], False),
]
PAIN_POINTS = [
    gettext_noop("Month-end interest runs take all night and we wait for them."),
    gettext_noop("Opening an account needs three screens and retyping the ID number."),
    gettext_noop("Passbook printing fails on old printers and customers queue."),
    gettext_noop("Loan repayment schedules are calculated in Excel outside the system."),
    gettext_noop("We cannot see a customer's loans and deposits on one screen."),
    gettext_noop("Reversals need a paper form and a supervisor's signature."),
    gettext_noop("FX rates are typed in by hand every morning."),
    gettext_noop("Batch salary files are rejected without saying which line is wrong."),
]
SATISFACTION = [2, 3, 2, 4, 1, 3, 2, 3, 5, 2, 3, 1]
WORRIES = [gettext_noop("Customers' balances must be right on Monday morning."), gettext_noop("ATMs must work all weekend."),
           gettext_noop("Salary payments due on Monday must not be delayed."), ""]
INTERVIEWS = [
    ("Retail Banking", "零售部总经理及两位网点负责人 · Head of Retail Banking, two branch managers",
     gettext_noop("Tellers need the customer's full picture on one screen. Account opening must drop below 10 minutes. "
                  "Passbooks remain popular with older customers and must keep working.")),
    ("Credit", "授信审批委员会秘书 · Credit Approval Committee secretary",
     gettext_noop("Loan approval should follow the committee's delegation matrix automatically. Collateral must be "
                  "linked to each loan; today it is kept in a separate spreadsheet.")),
    ("Treasury", "资金交易员（3人） · Treasury dealers (3)",
     gettext_noop("The intraday liquidity position is the most important screen. FX rates must flow to all channels "
                  "within a minute of a change on the trading desk.")),
    ("Operations", "运营中心主管 · Operations centre supervisors",
     gettext_noop("End-of-day batch must finish by 02:00 so that the branches open on time. Electronic vouchers "
                  "would remove most paper handling.")),
    ("Risk & Compliance", "合规总监 · Chief Compliance Officer",
     gettext_noop("Every change to customer data needs a second person. Regulatory reports must reconcile to the "
                  "general ledger, or we cannot sign them.")),
]


def _surveys(project, pm, departments, by_role_dept, same, business, today):
    """Two questionnaires (one closed, one open) with answers and one interview round."""
    d = departments

    def members_of(names):
        seen, out = set(), []
        for (role, dept), users in by_role_dept.items():
            if dept in names and role in ("staff", "business"):
                for u in users:
                    if u.pk not in seen:
                        seen.add(u.pk)
                        out.append(same(u))
        return out

    owner = next((u for u in business if u.username == "business"), business[0])
    plans = [
        ("Counter and retail business survey · 零售及柜面业务需求调研", ["Retail Banking", "Operations", "Credit"],
         today - timedelta(days=40), True, 0.85),
        ("Corporate, treasury and compliance survey · 公司、资金与合规业务需求调研",
         ["Corporate Banking", "Treasury", "Risk & Compliance"], today + timedelta(days=5), False, 0.55),
    ]
    for_requirements = []
    for n, (title, dept_names, due, close, share) in enumerate(plans):
        survey = services.survey_create(
            actor=owner, project=project, title=bilingual(title), method=SurveyMethod.QUESTIONNAIRE, due_date=due,
            description=bilingual("Tell us what the new core banking system must do for your department. "
                                  "请告诉我们新核心系统必须为贵部门做到什么。"),
            departments=[d[name] for name in dept_names if name in d],
        )
        questions = [services.question_add(actor=owner, survey=survey, text=bilingual(t), kind=k,
                                           choices=[bilingual(x) for x in c], required=r)
                     for t, k, c, r in QUESTIONS]
        services.survey_open(actor=owner, survey=survey)
        respondents = members_of(dept_names)
        for i, user in enumerate(respondents[: max(1, int(len(respondents) * share))]):
            answers = {
                questions[0].pk: _(PAIN_POINTS[(i + n * 3) % len(PAIN_POINTS)]),
                questions[1].pk: questions[1].choices[[0, 0, 1, 0, 2, 1, 0, 3][(i + n) % 8]],
                questions[2].pk: [c for j, c in enumerate(questions[2].choices) if (i * 7 + j * 3 + n) % (j + 2) == 0
                                  or j == 0],
                questions[3].pk: SATISFACTION[(i + n * 2) % len(SATISFACTION)],
                questions[4].pk: _(WORRIES[i % len(WORRIES)]) if WORRIES[i % len(WORRIES)] else "",
            }
            services.survey_answer(actor=user, survey=survey, answers=answers)
        if close:
            services.survey_close(actor=owner, survey=survey)
        for_requirements += list(Answer.objects.filter(response__survey=survey, question=questions[0])
                                 .select_related("response__department", "response__survey", "question")[:2])
    interview_round = services.survey_create(
        actor=owner, project=project, title=bilingual("Department head interviews · 部门负责人面对面访谈"),
        method=SurveyMethod.INTERVIEW, due_date=today - timedelta(days=20),
        departments=[d[name] for name, _w, _n in INTERVIEWS if name in d],
    )
    services.survey_open(actor=owner, survey=interview_round)
    interviews = []
    for i, (dept_name, who, notes) in enumerate(INTERVIEWS):
        interviews.append(services.interview_record(
            actor=owner, survey=interview_round, interviewees=bilingual(who), held_on=today - timedelta(days=35 - i * 3),
            notes=_(notes), department=d.get(dept_name), interviewer=pm if i % 2 else owner))
    return for_requirements, interviews


def _conflicts(project, pm, created):
    by_title = {}
    for r, _author, _plan in created:
        by_title.setdefault(department_key(r.department) or "", []).append(r)
    pairs = [
        ("Retail Banking", 3, "Operations", 1,
         gettext_noop("Retail wants tellers to decide up to their limit; Operations wants every large withdrawal "
                      "authorised centrally."), None),
        ("Corporate Banking", 1, "Risk & Compliance", 3,
         gettext_noop("Corporate wants two authorisers above 1M; Compliance wants two authorisers above 500k."), None),
        ("Treasury", 1, "Retail Banking", 8,
         gettext_noop("Treasury refreshes FX rates every minute; Retail wants the rate fixed for 5 minutes at the "
                      "counter."), None),
        ("Operations", 0, "Treasury", 4,
         gettext_noop("The end-of-day batch window clashes with the large-value payment system's late session."),
         gettext_noop("Batch starts after the late session closes at 20:30; agreed by both heads of department.")),
        ("Credit", 6, "IT", 4, gettext_noop("Credit wants full repayment history migrated; IT proposes 5 years only."),
         None),
    ]
    for a_dept, a_i, b_dept, b_i, note, resolution in pairs:
        try:
            a, b = by_title[a_dept][a_i], by_title[b_dept][b_i]
        except (KeyError, IndexError):
            continue
        conflict = services.conflict_create(actor=pm, first=a, second=b, note=_(note))
        if resolution:
            services.conflict_resolve(actor=pm, conflict=conflict, resolution=_(resolution))
