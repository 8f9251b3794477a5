"""Demo data of the readiness dashboard and the go/no-go decision.

Called by `manage.py seed_demo` after every other app's demo data, so that today's scorecard
sees it all. Idempotent: does nothing when the project already has a go/no-go meeting.

The 30 days of snapshots are SYNTHESIZED from today's scorecard (a plausible ramp towards
today's values): a fresh demo database has no history to snapshot, and the trend charts need one.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from projects.demo import DEMO_PASSWORD, bilingual, by_username

from . import registry, services
from .models import GoNoGoDecision, GoNoGoSignOff, MeetingKind, ReadinessSnapshot, RiskStatus, Verdict

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
    decision = services.gonogo_open(actor=pm, project=project, title=bilingual("Go/no-go 1 · 第一次上线决策会"),
                                  meeting_at=meeting_at, required_roles=["manager", "business", "ops", "tester"])
    signs = [
        (business, "business", Verdict.GO_WITH_CONDITIONS,
         "Retail products are ready; the credit-card module must be switched off at go-live. 零售产品可上线，信用卡模块暂缓。"),
        (tester, "tester", Verdict.NO_GO, ("SIT is not complete and two critical defects are still open. "
                                     "系统集成测试未完成，仍有两个严重缺陷未关闭。")),
        (ops, "ops", Verdict.NO_GO, ("Rehearsal 2 has not run within the window; reconciliation not clean. "
                                 "第二次演练未在窗口内完成，对账不平。")),
        (pm, "manager", Verdict.NO_GO, ("Not ready: re-meet after rehearsal 2 and the SIT exit report. "
                                       "尚未就绪：第二次演练及SIT退出报告完成后再开会。")),
    ]
    for i, (user, role, verdict, comment) in enumerate(signs):
        services.gonogo_sign(decision=decision, actor=user, role=role, verdict=verdict, comment=bilingual(comment),
                           password=DEMO_PASSWORD)
        GoNoGoSignOff.objects.filter(decision=decision, role=role).update(
            signed_at=meeting_at + timedelta(minutes=20 + 5 * i))
    services.gonogo_finalize(decision=decision, actor=pm, verdict=Verdict.NO_GO, password=DEMO_PASSWORD,
                           conditions=bilingual("No-go. Fix the open critical defects, finish SIT, run rehearsal 2 "
                                                "inside the window, then hold go/no-go 2. 暂不上线：关闭严重缺陷、完成"
                                                "SIT、在窗口内完成第二次演练后，召开第二次上线决策会。"))
    GoNoGoDecision.objects.filter(pk=decision.pk).update(decided_at=meeting_at + timedelta(minutes=55))
    if stdout:
        stdout.write("Go/no-go: one earlier meeting, decided no-go.")


# The seed's second section (what can go wrong), as the register of the demo launch:
# (title, category, likelihood, impact, owner, mitigation, trigger, status, review in days)
RISKS = [
    ("Core system fails during or after the switch · 系统故障：切换中或切换后核心系统宕机", "technical", 4, 5, "ops",
     "Hot standby database and application nodes; rollback runbook rehearsed; vendor engineers on site for the "
     "cutover night. 双机热备、回退手册已演练、厂商工程师现场支持。",
     "Core transactions fail above 1% for 5 minutes · 核心交易失败率5分钟内超过1%", "mitigating", 3),
    ("Migrated data is wrong or incomplete · 数据错误：迁移数据不准确或不完整", "data", 3, 5, "ops",
     "Three migration rehearsals with reconciliation of balances, GL and record counts; cleansing rules signed off "
     "by the business. 三次迁移演练并核对余额、总账和记录数；清洗规则经业务确认。",
     "Any balance or GL difference beyond tolerance · 余额或总账差异超出容差", "mitigating", 2),
    ("Branch network outage on go-live day · 网络故障：上线当天网点网络中断", "network", 2, 4, "ops",
     "Dual carrier links to every branch; 4G backup routers in the 12 largest branches. 双运营商线路；大网点配备4G备份。",
     "More than 3 branches offline · 3个以上网点断网", "mitigating", 5),
    ("Changed business processes confuse branch staff · 业务流程变化：员工不熟悉新流程", "business", 4, 3, "trainer",
     "Mandatory training per role, quick-reference cards at every counter, floor walkers in the first week. "
     "按岗位强制培训、柜面速查卡、首周现场辅导。", "Queue times above 20 minutes · 排队超过20分钟", "mitigating", 7),
    ("Customer complaints spike after go-live · 客户投诉：上线后投诉激增", "business", 3, 3, "business",
     "Customer notice 2 weeks ahead, scripts for the call centre, daily complaint review in hypercare. "
     "提前两周公告、客服话术、运维保障期每日复盘投诉。", "More than 50 complaints a day · 每日投诉超过50件", "open", 10),
    ("Customer data leaks through test copies or exports · 数据泄露：测试数据或导出文件泄露客户信息", "security", 2, 5,
     "tester",
     "Masked data in every test environment; exports logged; DLP on the office network. "
     "测试环境数据脱敏、导出留痕、办公网数据防泄漏。", "", "open", -2),
    ("DDoS attack on the online channels during the switch · 网络攻击：切换期间遭受DDoS攻击", "security", 2, 4, "ops",
     "Carrier scrubbing service contracted; WAF rules reviewed; switch-over runbook for the CDN. "
     "运营商流量清洗、WAF规则复核。", "Inbound traffic 5× normal · 流量超过平时5倍", "open", 14),
    ("Insider misconduct with privileged accounts · 内部人员违规：特权账号滥用", "people", 1, 5, "pm",
     "Four-eyes on privileged changes during cutover; session recording; accounts revoked after go-live. "
     "切换期间特权操作双人复核、会话录像、上线后回收账号。", "", "open", 6),
    ("Vendor key engineer unavailable on the cutover night · 供应商：关键工程师上线当晚无法到场", "vendor", 2, 3, "pm",
     "A named deputy with the same access; the vendor's escalation line in the rota. 指定具备同等权限的备岗人员。",
     "", "closed", None),
]


def _risks(project, people, stdout):
    pm = by_username(people, "pm")
    if pm is None or project.risks.exists():
        return
    today = timezone.localdate()
    for title, category, likelihood, impact, owner, mitigation, trigger, status, review in RISKS:
        who = by_username(people, owner) or pm
        risk = services.risk_create(actor=pm, project=project, title=bilingual(title), category=category,
                                    likelihood=likelihood, impact=impact, owner=who,
                                    mitigation=bilingual(mitigation), trigger=bilingual(trigger),
                                    due=project.go_live_at.date() - timedelta(days=3) if project.go_live_at else None,
                                    review_on=today + timedelta(days=review) if review is not None else None)
        if status in (RiskStatus.MITIGATING, RiskStatus.CLOSED):
            services.risk_transition(actor=pm, risk=risk, to=status,
                                     comment=bilingual("Deputy named and briefed · 已指定备岗") if status == "closed" else "")
    if stdout:
        stdout.write(f"Risks: {len(RISKS)} in the register (the seed's second section).")


def _meetings(project, people, stdout):
    """Yesterday's and today's stand-ups with actions, and last week's project review."""
    pm = by_username(people, "pm")
    if pm is None or project.meetings.exists():
        return
    team = [u for u in (by_username(people, n) for n in ("pm", "pm2", "dev", "tester", "ops", "business", "trainer"))
            if u is not None]
    who = {u.username: u for u in team}
    now = timezone.now()
    today = timezone.localdate()
    review = services.meeting_create(
        actor=pm, project=project, kind=MeetingKind.REVIEW, title=bilingual("Weekly project review · 项目周例会"),
        held_at=now - timedelta(days=6, hours=3), attendees=team,
        notes=bilingual("Readiness 61%. SIT behind by three days; rehearsal 2 planned for Saturday night.\n"
                        "准备度61%，系统集成测试落后三天；第二次演练定于周六晚。"))
    services.meeting_decide(actor=pm, meeting=review, text=bilingual(
        "Rehearsal 2 goes ahead on Saturday 22:00 with the full migration. 第二次演练周六22:00进行，执行完整迁移。"))
    services.meeting_decide(actor=pm, meeting=review, text=bilingual(
        "The credit-card module is out of scope for go-live. 信用卡模块不纳入本次上线。"))
    for text, owner, days in [
        ("Send the SIT recovery plan to the sponsors · 向发起人发送SIT追赶计划", "tester", -3),
        ("Confirm the vendor engineers for the cutover night · 确认上线当晚厂商工程师", "ops", 2),
    ]:
        services.action_create(actor=pm, meeting=review, text=bilingual(text), owner=who.get(owner, pm),
                               due=today + timedelta(days=days))
    yesterday = services.meeting_create(
        actor=pm, project=project, kind=MeetingKind.STANDUP, title=_("Daily stand-up %(day)s") % {"day": today - timedelta(days=1)},
        held_at=now - timedelta(days=1), attendees=team,
        notes=bilingual("Two critical defects open (interest calculation, GL posting). Ops: backup restore test "
                        "tonight.\n两个严重缺陷未关闭（利息计算、总账过账）。运维：今晚进行备份恢复测试。"))
    services.action_create(actor=pm, meeting=yesterday, text=bilingual("Fix the GL posting defect and hand it to testing · "
                                                                 "修复总账过账缺陷并移交测试"), owner=who.get("dev", pm), due=today)
    done = services.action_create(actor=pm, meeting=yesterday, text=bilingual("Restore last night's backup on the DR site · "
                                                                        "在灾备环境恢复昨晚备份"), owner=who.get("ops", pm), due=today - timedelta(days=1))
    services.action_set_status(actor=pm, action=done, status="done")
    standup, _created = services.standup_start(actor=pm, project=project)
    services.action_create(actor=pm, meeting=standup, text=bilingual("Re-run the interest calculation cases after the fix · "
                                                                "修复后重跑利息计算用例"), owner=who.get("tester", pm), due=today + timedelta(days=1))
    if stdout:
        stdout.write("Meetings: a project review and two stand-ups with decisions and actions.")


def _status_reports(project, people, stdout):
    """Last week's report as sent, the business lead as sponsor, and this week's summary drafted."""
    pm, sponsor = by_username(people, "pm"), by_username(people, "business")
    if pm is None or project.status_reports.exists():
        return
    if sponsor is not None:
        services.report_sponsors_set(actor=pm, project=project, users=[sponsor])
    last_week = timezone.now() - timedelta(days=7)
    services.status_report_send(actor=pm, project=project, now=last_week)
    services.status_report_summary_set(
        actor=pm, project=project,
        summary=bilingual("SIT is three days behind; two critical defects remain open. Rehearsal 2 ran over the window by "
                "40 minutes. Go/no-go 2 is planned after the SIT exit report.\n"
                "系统集成测试落后三天，仍有两个严重缺陷未关闭；第二次演练超出窗口40分钟。SIT退出报告后召开第二次上线决策会。"))
    if stdout:
        stdout.write("Status report: last week's sent, this week's summary drafted.")


def seed(*, project, people, stdout=None):
    _risks(project, people, stdout)
    _meetings(project, people, stdout)
    _status_reports(project, people, stdout)
    if project.gonogo_decisions.exists():
        return
    _snapshots(project, timezone.localdate())
    _gonogo(project, people, stdout)
