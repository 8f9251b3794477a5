"""Demo cutover for `manage.py seed_demo`: preparation checklist, the go-live runbook with its
dependencies, two finished rehearsals (the first over the window with a failed-and-retried step,
the second within it), a production run not started, reconciliation results and the contingency plan;
the night's problem log and war-room updates of each rehearsal (the seed's examples: CPU too high →
fixed; customers could not log in → database connection repaired), the on-call support of the
rehearsal nights, contingency scenarios with their drills and a clean rehearsal of the rollback.

Idempotent: does nothing when the project has runbooks already. Built through the services."""

import re
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from projects import services as project_services
from projects.demo import bilingual as in_language
from projects.models import ShiftTier

from . import services
from .checklists import STANDARD_CHECKS
from .models import (
    Category,
    DrillOutcome,
    EnvCategory,
    EnvCheckStatus,
    IssueSeverity,
    IssueStatus,
    RunbookKind,
    RunKind,
    WorkItemStatus,
)

C = Category
# (key, title, category, owner key, minutes, depends on keys, flags)
STEPS = [
    ("notify", gettext_noop("Announce cutover start to all branches and call centre"), C.COMMUNICATION, "pm", 5, [], ""),
    ("war_room", gettext_noop("Confirm the cutover team is in the war room and on the bridge call"), C.COMMUNICATION, "pm", 5,
     ["notify"], ""),
    ("notify_reg", gettext_noop("Notify the regulator and the card scheme that the window has started"), C.COMMUNICATION, "pm", 5,
     ["notify"], ""),
    ("stop_batch", gettext_noop("Stop batch jobs and the ATM/POS switch feed"), C.DEPLOYMENT, "ops", 20, ["notify"], ""),
    ("stop_online", gettext_noop("Close online and mobile banking (maintenance page)"), C.DEPLOYMENT, "ops2", 10, ["notify"], ""),
    ("stop_bureau", gettext_noop("Disable scheduled interfaces to the credit bureau"), C.CONFIGURATION, "dev3", 10,
     ["stop_batch"], ""),
    ("stop_payments", gettext_noop("Stop the SWIFT and CNAPS payment gateways"), C.DEPLOYMENT, "ops3", 10, ["stop_batch"], ""),
    ("eod", gettext_noop("Run final end-of-day on the legacy core"), C.DATA_MIGRATION, "dev", 60, ["stop_batch", "stop_online"], ""),
    ("backup", gettext_noop("Full backup of the legacy core database"), C.DATA_MIGRATION, "ops", 45, ["eod"], "rb"),
    ("export_queue", gettext_noop("Export the pending payment queue"), C.DATA_MIGRATION, "dev3", 15, ["eod"], ""),
    ("snapshot_vm", gettext_noop("Snapshot the legacy virtual machines"), C.DATA_MIGRATION, "ops2", 20, ["eod"], ""),
    ("backup_check", gettext_noop("Verify the backup checksum and copy it off-site"), C.VERIFICATION, "ops2", 15, ["backup"], ""),
    ("freeze", gettext_noop("Freeze the legacy system (read-only)"), C.CONFIGURATION, "ops", 10, ["backup"], ""),
    ("go1", gettext_noop("Checkpoint: legacy frozen and backed up"), C.VERIFICATION, "pm", 5, ["freeze"], "cp"),
    ("extract", gettext_noop("Extract data from legacy core"), C.DATA_MIGRATION, "dev2", 40, ["go1"], ""),
    ("mig_cust", gettext_noop("Migrate customers"), C.DATA_MIGRATION, "dev", 45, ["extract"], ""),
    ("mig_acct", gettext_noop("Migrate accounts"), C.DATA_MIGRATION, "dev2", 50, ["mig_cust"], ""),
    ("mig_bal", gettext_noop("Migrate balances"), C.DATA_MIGRATION, "dev", 40, ["mig_acct"], ""),
    ("mig_loan", gettext_noop("Migrate loans and repayment schedules"), C.DATA_MIGRATION, "dev3", 55, ["mig_cust"], ""),
    ("mig_gl", gettext_noop("Migrate general ledger opening balances"), C.DATA_MIGRATION, "dev3", 30, ["mig_bal"], ""),
    ("mig_txn", gettext_noop("Migrate 13 months of transaction history"), C.DATA_MIGRATION, "dev2", 60, ["mig_acct"], ""),
    ("mig_cards", gettext_noop("Migrate cards and card limits"), C.DATA_MIGRATION, "dev3", 30, ["mig_acct"], ""),
    ("mig_orders", gettext_noop("Migrate standing orders and direct debits"), C.DATA_MIGRATION, "dev2", 25, ["mig_acct"], ""),
    ("mig_collateral", gettext_noop("Migrate collateral and guarantees"), C.DATA_MIGRATION, "dev3", 20, ["mig_loan"], ""),
    ("mig_signatures", gettext_noop("Migrate customer signature images"), C.DATA_MIGRATION, "dev", 35, ["mig_cust"], ""),
    ("mig_accruals", gettext_noop("Migrate interest accrual positions"), C.DATA_MIGRATION, "dev", 20, ["mig_bal"], ""),
    ("reindex", gettext_noop("Rebuild search indexes on the new core"), C.CONFIGURATION, "ops3", 20, ["mig_txn"], ""),
    ("deploy_core", gettext_noop("Deploy new core banking services"), C.DEPLOYMENT, "ops", 30, ["go1"], "rb"),
    ("deploy_channels", gettext_noop("Deploy channel gateway and teller front end"), C.DEPLOYMENT, "ops2", 25, ["deploy_core"], ""),
    ("deploy_reports", gettext_noop("Deploy regulatory reporting jobs"), C.DEPLOYMENT, "ops3", 15, ["deploy_core"], ""),
    ("deploy_fraud", gettext_noop("Deploy fraud monitoring rules"), C.DEPLOYMENT, "ops3", 15, ["deploy_core"], ""),
    ("deploy_aml", gettext_noop("Deploy anti-money-laundering screening"), C.DEPLOYMENT, "ops3", 15, ["deploy_core"], ""),
    ("cfg_params", gettext_noop("Load product and interest-rate parameters"), C.CONFIGURATION, "dev", 20, ["deploy_core"], ""),
    ("cfg_users", gettext_noop("Create teller accounts and role permissions"), C.CONFIGURATION, "ops3", 25, ["deploy_channels"], ""),
    ("cfg_interfaces", gettext_noop("Configure interfaces: payment, card, credit bureau"), C.CONFIGURATION, "dev3", 30,
     ["deploy_channels"], ""),
    ("cfg_calendar", gettext_noop("Configure the holiday calendar and cut-off times"), C.CONFIGURATION, "dev", 10,
     ["cfg_params"], ""),
    ("cfg_limits", gettext_noop("Load branch and teller cash limits"), C.CONFIGURATION, "ops3", 15, ["cfg_users"], ""),
    ("cfg_certs", gettext_noop("Install TLS certificates on the channel gateway"), C.CONFIGURATION, "ops2", 10,
     ["deploy_channels"], ""),
    ("cfg_sms", gettext_noop("Configure the SMS notification gateway"), C.CONFIGURATION, "dev3", 10, ["cfg_interfaces"], ""),
    ("recon_counts", gettext_noop("Reconcile record counts source vs target"), C.VERIFICATION, "tester", 25,
     ["mig_loan", "mig_gl", "mig_txn"], ""),
    ("recon_totals", gettext_noop("Reconcile control totals (balances, GL)"), C.VERIFICATION, "tester", 30, ["recon_counts"], ""),
    ("recon_sample", gettext_noop("Sample-check 100 customer balances against the legacy system"), C.VERIFICATION, "tester", 20,
     ["recon_totals"], ""),
    ("go2", gettext_noop("Checkpoint: reconciliation signed off"), C.VERIFICATION, "pm", 10, ["recon_totals"], "cp"),
    ("switch_network", gettext_noop("Switch network routes to the new core"), C.CONFIGURATION, "ops", 20,
     ["go2", "cfg_interfaces", "cfg_users", "cfg_params"], "ponr"),
    ("smoke_teller", gettext_noop("Smoke test: teller deposit, withdrawal, transfer"), C.VERIFICATION, "tester", 25,
     ["switch_network"], ""),
    ("smoke_loans", gettext_noop("Smoke test: loan disbursement and repayment"), C.VERIFICATION, "tester2", 20,
     ["switch_network"], ""),
    ("smoke_channels", gettext_noop("Smoke test: mobile, online, ATM"), C.VERIFICATION, "tester2", 20,
     ["switch_network", "deploy_reports"], ""),
    ("smoke_gl", gettext_noop("Smoke test: GL posting and an end-of-day trial run"), C.VERIFICATION, "tester", 25,
     ["switch_network"], ""),
    ("smoke_reports", gettext_noop("Smoke test: regulatory report generation"), C.VERIFICATION, "tester2", 15,
     ["switch_network", "deploy_reports"], ""),
    ("smoke_cards", gettext_noop("Smoke test: card authorisation through the switch"), C.VERIFICATION, "tester2", 15,
     ["switch_network", "mig_cards"], ""),
    ("pilot_branches", gettext_noop("Confirm network and printers at 5 pilot branches"), C.VERIFICATION, "ops", 10,
     ["switch_network"], ""),
    ("batch_on", gettext_noop("Restart batch jobs on the new core"), C.DEPLOYMENT, "ops2", 15, ["smoke_teller"], ""),
    ("monitor", gettext_noop("Switch monitoring and alerting to the new core"), C.CONFIGURATION, "ops3", 15, ["switch_network"], ""),
    ("alerts", gettext_noop("Verify fraud and AML alerts reach the monitoring desk"), C.VERIFICATION, "tester", 10,
     ["monitor", "deploy_fraud", "deploy_aml"], ""),
    ("go3", gettext_noop("Checkpoint: open for business"), C.VERIFICATION, "pm", 10,
     ["smoke_teller", "smoke_loans", "smoke_channels", "batch_on", "monitor", "smoke_gl", "smoke_reports",
      "smoke_cards", "pilot_branches", "alerts", "recon_sample"], "cp"),
    ("open_channels", gettext_noop("Reopen online and mobile banking"), C.DEPLOYMENT, "ops2", 10, ["go3"], ""),
    ("bureau_on", gettext_noop("Re-enable the credit bureau interfaces"), C.CONFIGURATION, "dev3", 10, ["go3"], ""),
    ("announce", gettext_noop("Announce go-live to branches; open branches"), C.COMMUNICATION, "pm", 5, ["open_channels"], ""),
    ("hypercare_on", gettext_noop("Start hypercare: war room staffed, on-call rota active"), C.COMMUNICATION, "pm", 5,
     ["announce"], ""),
    ("archive_log", gettext_noop("Archive the cutover log and step timings"), C.COMMUNICATION, "pm", 5, ["announce"], ""),
]

ROLLBACK = [
    (gettext_noop("Stop new core services and channels"), C.ROLLBACK, "ops", 15),
    (gettext_noop("Restore routes to the legacy core"), C.ROLLBACK, "ops", 20),
    (gettext_noop("Unfreeze the legacy system"), C.ROLLBACK, "ops2", 10),
    (gettext_noop("Replay transactions taken on the new core"), C.ROLLBACK, "dev", 60),
    (gettext_noop("Verify legacy balances against the backup"), C.ROLLBACK, "tester", 30),
    (gettext_noop("Announce return to the legacy system"), C.ROLLBACK, "pm", 5),
]

WORK_ITEMS = [
    (gettext_noop("Network links to all 86 branches tested"), "preparation", "ops", -20, WorkItemStatus.DONE, ""),
    (gettext_noop("Backup power (UPS and generator) tested in the data centre"), "preparation", "ops2", -14, WorkItemStatus.DONE, ""),
    (gettext_noop("New teller PCs and printers installed"), "preparation", "ops3", -7, WorkItemStatus.DONE, ""),
    (gettext_noop("Teller user accounts created in the new core"), "preparation", "ops3", -2, WorkItemStatus.DOING, ""),
    (gettext_noop("Printed quick-reference manuals delivered to branches"), "preparation", "trainer", 5, WorkItemStatus.TODO, ""),
    (gettext_noop("Legacy data cleansing: duplicate customers merged"), "preparation", "dev", -10, WorkItemStatus.DONE, ""),
    (gettext_noop("Regulator notified of the cutover date"), "preparation", "pm", 1, WorkItemStatus.TODO, ""),
    (gettext_noop("Performance test environment sized like production"), "testing", "ops", -5, WorkItemStatus.DONE, ""),
    (gettext_noop("Security scan of the internet banking front end"), "testing", "tester", 3, WorkItemStatus.BLOCKED,
     gettext_noop("Waiting for the vendor's patched release")),
    (gettext_noop("Card switch certification with the card scheme"), "testing", "dev2", 8, WorkItemStatus.DOING, ""),
    (gettext_noop("Rehearsal environment refreshed from production"), "rehearsal", "ops2", -15, WorkItemStatus.DONE, ""),
    (gettext_noop("Rehearsal timing report shared with the steering committee"), "rehearsal", "pm", 2, WorkItemStatus.TODO, ""),
    (gettext_noop("War room booked with screens and phone bridge"), "cutover", "pm2", 20, WorkItemStatus.TODO, ""),
    (gettext_noop("Hypercare support desk staffed 7x24"), "hypercare", "ops", 30, WorkItemStatus.TODO, ""),
]

# The data-migration plan (数据迁移规划): entity, source, target, cleansing, transformation, de-duplication,
# written in both languages and stored in the seed's (projects.demo.bilingual).
MIGRATION_PLAN = [
    ("customers", "旧核心客户信息 (CUSTMAST) · Legacy CIF (CUSTMAST)", "新核心：参与方 / 客户 · New core: party / customer",
     "Trim names, normalise ID card numbers (18 digits), drop test customers. 去除测试客户，身份证号统一为18位。",
     "Map customer types to the new party model; split address lines. 客户类型映射到新参与方模型。",
     "Same ID card number + name = one customer; keep the most recently active record. 同证件号同姓名视为同一客户。"),
    ("accounts", "旧核心活期 / 定期存款文件 · Legacy DDA / TDA files", "新核心：存款账户 · New core: deposit accounts",
     "Close dormant accounts with zero balance older than 10 years. 清理十年以上零余额睡眠户。",
     "Account numbers re-formatted to the new 19-digit scheme. 账号转换为19位新格式。", ""),
    ("balances", "旧核心总账与账户余额（日终） · Legacy GL and account balances (EOD)", "新核心：余额与总账 · New core: balances and GL",
     "", "Currency and product codes mapped; interest accrued to the cut-off. 币种、产品代码映射，计息至切换时点。", ""),
    ("loans", "旧信贷系统 (LNS) · Legacy loan system (LNS)", "新核心：贷款合同与还款计划 · New core: loan contracts and schedules",
     "Repayment schedules rebuilt where the legacy schedule is missing. 缺失的还款计划重建。",
     "Rates and terms mapped to the new product catalogue. 利率期限映射至新产品目录。",
     "One contract per legacy contract number. 按原合同号去重。"),
    ("transactions", "旧核心交易历史（36 个月） · Legacy transaction history (36 months)", "新核心：交易归档 · New core: transaction archive",
     "Reject rows with unknown account or currency. 账户或币种无法识别的记录拒绝入库。", "", ""),
]
ENTITY_NAMES = {"customers": "客户 · Customers", "accounts": "存款账户 · Deposit accounts",
                "balances": "余额与总账 · Balances and GL", "loans": "贷款 · Loans",
                "transactions": "交易历史 · Transaction history"}
DEDUP = {"customers": (3_412, 128), "accounts": (0, 41), "loans": (17, 0), "transactions": (0, 2_260)}

CHECKS = [  # entity, source count, source total, rehearsal-1 target adjustments
    ("customers", 1_284_311, Decimal("0"), 0, Decimal("0")),
    ("accounts", 2_903_877, Decimal("0"), 0, Decimal("0")),
    ("balances", 2_903_877, Decimal("48213377902.17"), 0, Decimal("-1250.00")),
    ("loans", 184_220, Decimal("9321774410.55"), 0, Decimal("0")),
    ("transactions", 96_551_032, Decimal("771230944812.40"), -12, Decimal("0")),
]


def _who(people):
    def pick(role, i=0):
        users = people.get(role) or people.get("manager")
        return users[min(i, len(users) - 1)]

    return {"pm": pick("manager"), "ops": pick("ops"), "ops2": pick("ops", 1), "ops3": pick("ops", 2),
            "dev": pick("developer"), "dev2": pick("developer", 1), "dev3": pick("developer", 2),
            "tester": pick("tester"), "tester2": pick("tester", 1), "trainer": pick("trainer"),
            "pm2": pick("manager", 1), "business": pick("business")}


def _rehearse(*, run, actor, who, factor, fail_key=None, keys):
    """Play a rehearsal through the services: each step starts when its dependencies are done."""
    steps = {s.source_step_id: s for s in run.steps.all()}
    finish = {}
    for key in keys:
        step = next(s for s in steps.values() if s.source_step_id == keys[key])
        start = max([run.planned_start] + [finish[d] for d in step.depends_on])
        minutes = max(1, round(step.planned_minutes * factor.get(key, factor["*"])))
        owner = who["pm"] if step.checkpoint else (step.owner or actor)
        services.runstep_start(actor=owner, run_step=step, now=start)
        if key == fail_key:
            services.runstep_fail(actor=owner, run_step=step, now=start + timedelta(minutes=minutes),
                                  note=_(TABLESPACE_FULL))
            start = start + timedelta(minutes=minutes + 25)
            services.runstep_start(actor=owner, run_step=step, now=start)
        end = start + timedelta(minutes=minutes)
        services.runstep_complete(actor=owner, run_step=step, now=end, decision="go" if step.checkpoint else "",
                                  note=_("Go: all criteria met.") if step.checkpoint else "", notify_owners=False)
        finish[step.source_step_id] = end


def seed(*, project, people, stdout=None):
    if project.runbooks.exists():
        return
    who = _who(people)
    pm = who["pm"]
    now = timezone.now().replace(second=0, microsecond=0)

    for title, phase, owner, days, status, reason in WORK_ITEMS:
        item = services.workitem_create(actor=pm, project=project, title=_(title), phase=phase, owner=who[owner],
                                        due_at=(now + timedelta(days=days)).replace(hour=10, minute=0))
        if status != WorkItemStatus.TODO:
            services.workitem_set_status(actor=who[owner], item=item, status=status,
                                         reason=_(reason) if reason else "")
    seed_env_checks(project=project, who=who, now=now)

    runbook = services.runbook_create(
        actor=pm, project=project, name=_("Core banking go-live cutover"),
        description=_("Deploy → migrate → configure → verify."))
    created = {}
    for key, title, category, owner, minutes, deps, flags in STEPS:
        created[key] = services.step_create(
            actor=pm, runbook=runbook, title=_(title), category=category, owner=who[owner], planned_minutes=minutes,
            depends_on=[created[d] for d in deps], checkpoint="cp" in flags, point_of_no_return="ponr" in flags,
            rollback_instructions=(_("Restore the legacy database from the backup taken in step 5 and unfreeze it.")
                                   if "rb" in flags or "ponr" in flags else ""))
    keys = {key: step.pk for key, step in created.items()}

    # Rehearsal 1, three weeks ago: slow migrations, one failure and a retry — over the window.
    window = project.window_end - project.window_start
    # Rehearsals are dated back from today (at the window's hour), so they are over when the demo opens.
    evening = timezone.localtime(project.window_start)

    def days_ago(days):
        day = timezone.localdate() - timedelta(days=days)
        return evening.replace(year=day.year, month=day.month, day=day.day)

    # The rehearsal nights (and the rollback rehearsal) had on-call support, and so does tonight's pilot.
    rehearsal_support(project=project, who=who, nights=[days_ago(21), days_ago(14), days_ago(12)])
    rehearsal_support(project=project, who=who, nights=[now - timedelta(hours=2)], note="试点值班 · pilot support")
    r1_start = days_ago(21)
    run1 = services.run_create(actor=pm, runbook=runbook, kind=RunKind.REHEARSAL, planned_start=r1_start)
    _rehearse(run=run1, actor=who["ops"], who=who, keys=keys, fail_key="mig_bal",
              factor={"*": 1.15, "mig_acct": 1.8, "mig_txn": 2.1, "mig_bal": 1.5, "recon_totals": 1.6,
                      "eod": 1.4, "extract": 1.6})
    # Rehearsal 2, two weeks ago: tuned migration jobs — inside the window.
    run2 = services.run_create(actor=pm, runbook=runbook, kind=RunKind.REHEARSAL,
                               planned_start=days_ago(14))
    _rehearse(run=run2, actor=who["ops"], who=who, keys=keys,
              factor={"*": 0.95, "mig_acct": 1.2, "mig_txn": 1.3, "eod": 1.1})
    run1.refresh_from_db()
    run2.refresh_from_db()
    # The real cutover, not started.
    services.run_create(actor=pm, runbook=runbook, kind=RunKind.PRODUCTION)

    for order, (name, source, target, cleansing, transformation, dedup) in enumerate(MIGRATION_PLAN):
        services.entity_create(actor=who["ops"], project=project, name=in_language(ENTITY_NAMES[name]),
                               source=in_language(source),
                               target=in_language(target), cleansing=in_language(cleansing),
                               transformation=in_language(transformation), deduplication=in_language(dedup),
                               owner=who["ops"], order=order)
    for run, mismatch in ((run1, True), (run2, False)):
        for entity, count, total, count_adj, total_adj in CHECKS:
            dups, rejected = DEDUP.get(entity, (0, 0))
            check = services.check_create(
                actor=who["tester"], run=run, entity=in_language(ENTITY_NAMES[entity]), source_count=count,
                target_count=count + (count_adj if mismatch else 0), source_total=total,
                target_total=total + (total_adj if mismatch else 0), tolerance=Decimal("0.00"),
                duplicates_removed=dups * (2 if mismatch else 1), rejected_rows=rejected * (3 if mismatch else 1))
            if not mismatch:
                services.check_confirm_backup(actor=who["ops"], check=check, now=run.finished_at)
                if entity != "transactions":  # the transaction history's restore test is still to do
                    services.check_confirm_restore(actor=who["ops"], check=check,
                                                   now=run.finished_at + timedelta(hours=6))

    rollback = services.runbook_create(actor=pm, project=project, name=_("Rollback to the legacy core"),
                                       kind=RunbookKind.ROLLBACK,
                                       description=_("Switch back to the legacy core banking system."))
    previous = None
    for title, category, owner, minutes in ROLLBACK:
        previous = services.step_create(actor=pm, runbook=rollback, title=_(title), category=category,
                                        owner=who[owner], planned_minutes=minutes,
                                        depends_on=[previous] if previous else [])
    plan = services.plan_save(
        actor=pm, project=project, decision_owner=pm, rollback_runbook=rollback,
        point_of_no_return_at=project.window_start + window / 2,
        rollback_criteria=in_language("Roll back when any of: reconciliation of balances or GL differs beyond tolerance; "
                           "a smoke test of teller deposits/withdrawals fails and cannot be fixed within 30 minutes; "
                           "the forecast finish passes 07:00. 出现以下任一情况即回退：余额或总账核对不一致；"
                           "柜面存取款冒烟测试失败且30分钟内无法修复；预计完成时间晚于07:00。"))
    services.plan_approve(actor=pm, plan=plan, as_role="manager")
    issues = _night_log(project=project, who=who, runs=(run1, run2), keys=keys)
    drills = _contingency(project=project, who=who, rollback=rollback, rehearsed=days_ago(12))
    if stdout:
        stdout.write(f"Cutover night: {issues} issues and their war-room timelines, {drills} drills (the rollback "
                     "rehearsed clean).")
    if stdout:
        stdout.write(f"Cutover: {len(STEPS)} runbook steps, 2 rehearsals ({run1.label}: "
                     f"{'over' if run1.finished_at > run1.window_end else 'within'} the window), 1 production run.")


# ---------------------------------------------------------------- the cutover night and contingency

TABLESPACE_FULL = gettext_noop("Migration job aborted: tablespace full on the target database.")


def _seed_text(text):
    """A seed string in the active language: "English. 中文。" and "English · 中文" pick one side; English-only
    strings are marked with gettext_noop and translated."""
    if not text:
        return text
    if re.search(r"[\u4e00-\u9fff]", text):
        return in_language(text)
    return _(text)


# Status updates posted to the war room, bilingual as the teams write them: (step key, minutes after its start, text).
UPDATES = {
    1: [
        ("notify", 2, "Rehearsal 1 started: branches and call centre informed. 演练一开始，已通知各网点和客服中心。"),
        ("go1", 3, "Legacy core frozen and backed up; data migration starts now. 旧系统已冻结并完成备份，开始数据迁移。"),
        ("mig_bal", 30, "Balances migration aborted (tablespace full); DBA extending it, retry in 25 min. "
                        "余额迁移因表空间满中断，DBA正在扩容，25分钟后重试。"),
        ("switch_network", 5, "Network switched to the new core: point of no return passed. "
                              "网络已切换至新核心，已过不可回退点。"),
        ("go3", 5, "Open for business after the window closed; the overruns go to the rehearsal review. "
                   "系统开业，已超出窗口，超时问题纳入演练复盘。"),
    ],
    2: [
        ("notify", 2, "Rehearsal 2 started with the tuned migration jobs. 演练二开始，迁移作业已优化。"),
        ("go2", 4, "Reconciliation clean: counts and control totals match. 数据核对一致：笔数和控制总额全部相符。"),
        ("go3", 5, "Open for business inside the window. 系统在窗口内开业。"),
    ],
}

# (rehearsal, step key, minutes after the step started, title, severity, reporter, owner, description,
#  [(status, minutes after the report, who, comment)])
ISSUES = [
    (1, "mig_acct", 20, "CPU too high on the core database server (95%) · 核心数据库服务器CPU过高", IssueSeverity.SEV2,
     "ops", "ops2", "Zabbix alert: CPU 95% for 10 minutes on core-db-01 while accounts migrate; migration slowed "
     "to half speed. 监控发现core-db-01 CPU持续95%，账户迁移速度下降一半。",
     [(IssueStatus.MITIGATING, 6, "ops2", gettext_noop("Paused the reporting replica and the nightly statistics job.")),
      (IssueStatus.RESOLVED, 24, "ops2", "Stopped a runaway index rebuild started by the DBA job scheduler; CPU "
       "back to 40%. 停止了误启动的索引重建作业，CPU降至40%。"),
      (IssueStatus.CLOSED, 60, "pm", gettext_noop("Index jobs disabled in the cutover window from now on."))]),
    (1, "mig_bal", 10, "Balances migration aborted: tablespace full · 余额迁移中断：表空间已满", IssueSeverity.SEV2,
     "dev", "dev", TABLESPACE_FULL,
     [(IssueStatus.RESOLVED, 22, "dev", "Tablespace extended by 200 GB and the job restarted from its checkpoint. "
       "表空间扩容200GB后作业从断点重启。"),
      (IssueStatus.CLOSED, 90, "pm", gettext_noop("Sizing fixed in the runbook for rehearsal 2."))]),
    (1, "smoke_channels", 8, "Some customers could not log in to mobile banking · 部分客户无法登录手机银行",
     IssueSeverity.SEV1, "tester2", "ops", "About 30% of test logins fail with a timeout after the network switch. "
     "网络切换后约30%的测试登录超时失败。",
     [(IssueStatus.MITIGATING, 4, "ops", gettext_noop("Channel gateway restarted; failures continue, looking at the "
                                                      "database.")),
      (IssueStatus.RESOLVED, 19, "ops", "Database connection repaired: the customer DB's connection pool was capped "
       "at 200; raised to 800 and the gateway reconnected. 修复数据库连接：连接池上限由200调整为800。"),
      (IssueStatus.CLOSED, 45, "pm", gettext_noop("Pool size added to the configuration checklist."))]),
    (2, "cfg_certs", 5, "Teller front end shows the old bank logo · 柜面前端显示旧行徽", IssueSeverity.SEV4,
     "tester", "ops2", gettext_noop("Cosmetic: the login screen still shows the old logo."),
     [(IssueStatus.RESOLVED, 12, "ops2", gettext_noop("Static assets cache purged."))]),
    (2, "smoke_loans", 6, "Loan repayment schedule rounding differs by 0.01 · 贷款还款计划尾差0.01",
     IssueSeverity.SEV3, "tester2", "dev3",
     gettext_noop("Three of 20 sampled loans differ by 0.01 in the last instalment."),
     [(IssueStatus.MITIGATING, 10, "dev3", gettext_noop("Confirmed with the business: legacy rounds half-up, new core "
                                                        "banker's.")),
      (IssueStatus.RESOLVED, 35, "dev3", gettext_noop("Rounding mode set to half-up in the product parameters."))]),
]


def _night_log(*, project, who, runs, keys):
    """The problem log and the war-room updates of each rehearsal, at the times things happened."""
    count = 0
    for number, run in enumerate(runs, start=1):
        steps = {s.source_step_id: s for s in run.steps.all()}

        def at(key, minutes, steps=steps, run=run):
            step = steps[keys[key]]
            return (step.actual_start or run.planned_start) + timedelta(minutes=minutes)

        for key, minutes, text in UPDATES[number]:
            services.run_post_update(actor=who["pm"] if key.startswith("go") else who["ops"], run=run,
                                     text=_seed_text(text), now=at(key, minutes))
        for rehearsal, key, minutes, title, severity, reporter, owner, description, moves in ISSUES:
            if rehearsal != number:
                continue
            opened = at(key, minutes)
            issue = services.issue_file(actor=who[reporter], run=run, step=steps[keys[key]],
                                        title=_seed_text(title),
                                        severity=severity, owner=who[owner], description=_seed_text(description),
                                        now=opened)
            for status, after, person, comment in moves:
                issue = services.issue_transition(actor=who[person], issue=issue, to=status,
                                                  comment=_seed_text(comment),
                                                  now=opened + timedelta(minutes=after))
            count += 1
    return count


SCENARIOS = [
    ("balances", "Balances or GL do not reconcile beyond tolerance after migration · 迁移后余额或总账核对超出容差",
     "Stop before the network switch; the decision owner decides within 30 minutes; roll back with the rollback "
     "runbook. 在网络切换前停止；决策人30分钟内决定；按回退手册回退。", "pm", True),
    ("db_down", "Core database unreachable for more than 5 minutes · 核心数据库5分钟以上无法访问",
     "Fail over to the standby database (target 10 minutes); if the failover fails, roll back. "
     "切换至备库（目标10分钟）；切换失败则回退。", "ops", True),
    ("logins", "Customers cannot log in after the switch (login failures above 5%) · 切换后客户无法登录（失败率超过5%）",
     "Check the channel gateway and the database connection pool; fix within 30 minutes or route the channels back "
     "to the legacy core. 检查渠道网关和数据库连接池；30分钟内无法修复则将渠道切回旧核心。", "ops2", False),
    ("network", "Network switch to the new core fails · 网络切换至新核心失败",
     "Restore the routes to the legacy core (10 minutes) and reschedule the cutover. 恢复至旧核心的路由（10分钟），"
     "改期上线。", "ops3", False),
]

DRILLS = [  # scenario key, days ago, outcome, notes
    ("db_down", 10, DrillOutcome.PASSED, "Standby took over in 7 minutes; applications reconnected by themselves. "
     "备库7分钟接管，应用自动重连。"),
    ("logins", 9, DrillOutcome.PARTIAL, "Pool raised in 12 minutes, but the channel gateway needed a manual restart "
     "— added to the runbook. 连接池12分钟内调整完成，但渠道网关需人工重启，已写入手册。"),
    ("network", 8, DrillOutcome.FAILED, "The backup route was not configured on the second core switch; fixed the "
     "next day, to be drilled again. 第二台核心交换机未配置备用路由，次日已修复，需再次演练。"),
]


def _contingency(*, project, who, rollback, rehearsed):
    """Scenarios, tabletop drills, and a rehearsal of the rollback runbook (a drill by itself)."""
    scenarios = {}
    for key, trigger, response, owner, rolls_back in SCENARIOS:
        scenarios[key] = services.scenario_create(actor=who["ops"], project=project,
                                                  trigger=_seed_text(trigger), response=_seed_text(response),
                                                  owner=who[owner],
                                                  rollback_runbook=rollback if rolls_back else None)
    now = timezone.now()
    for key, days, outcome, notes in DRILLS:
        services.drill_record(actor=who["ops"], project=project, scenario=scenarios[key], outcome=outcome,
                              notes=_seed_text(notes), held_at=now - timedelta(days=days))
    run = services.run_create(actor=who["pm"], runbook=rollback, kind=RunKind.REHEARSAL, planned_start=rehearsed)
    t = rehearsed
    for step in run.steps.order_by("order"):
        step.refresh_from_db()
        owner = step.owner or who["ops"]
        services.runstep_start(actor=owner, run_step=step, now=t)
        t += timedelta(minutes=max(1, round(step.planned_minutes * 0.9)))
        services.runstep_complete(actor=owner, run_step=step, now=t, notify_owners=False)
    return run.drills.count() + len(DRILLS)


def rehearsal_support(*, project, who, nights, note="演练值班 · rehearsal support"):
    """On-call support for the rehearsal nights (演练值班): primary and backup, as on the real night."""
    for start in nights:
        for person, tier in ((who["ops"], ShiftTier.PRIMARY), (who["dev"], ShiftTier.BACKUP)):
            project_services.shift_create(actor=who["pm"], project=project, user=person, starts_at=start,
                                          ends_at=start + timedelta(hours=12), tier=tier,
                                          note=in_language(note))


def bilingual(text):
    """“中文 / English” of a translatable string (the demo is read in both languages)."""
    with translation.override("en"):
        en = str(text)
    with translation.override("zh-hans"):
        zh = str(text)
    return en if zh == en else f"{zh} / {en}"


E = EnvCategory
# Who owns each checklist in the demo.
ENV_OWNERS = {E.ENVIRONMENT: "ops", E.HARDWARE: "ops2", E.NETWORK: "ops", E.SOFTWARE: "dev", E.OFFICE: "trainer",
              E.EMERGENCY: "ops2", E.SECURITY: "tester"}
# Standard items (by their English title) that are not ready in the demo: (status, days from now, reason).
ENV_NOT_READY = {
    "Backup line of a second carrier tested with a failover": (
        EnvCheckStatus.BLOCKED, 3, "第二运营商线路交付推迟到下周 / The second carrier delivers the line next week"),
    "Branch UPS units checked and batteries replaced where due": (
        EnvCheckStatus.FAILED, -2, "3 家网点 UPS 电池放电测试不合格，已订购更换 / 3 branch UPS batteries failed the "
                                   "discharge test; replacements ordered"),
    "Licences and TLS certificates valid beyond the hypercare period": (EnvCheckStatus.OPEN, -1, ""),
    "Printed quick-reference manuals delivered to the branches": (EnvCheckStatus.OPEN, 5, ""),
    "War room ready: screens, phone bridge, seats": (EnvCheckStatus.OPEN, 12, ""),
    "Security scan of the production front end passed": (EnvCheckStatus.OPEN, 1, ""),
}
# Evidence of the ready items: (file name, content) per checklist; a link for the monitoring item.
ENV_EVIDENCE = {
    E.ENVIRONMENT: ("server-baseline-check.txt", "core-db-01 OK\ncore-db-02 OK\napp-01..08 OK\n基线检查全部通过\n"),
    E.HARDWARE: ("asset-inventory.csv", "asset,rack,power,warranty\ncore-db-01,A01,dual,2029-06\n"),
    E.NETWORK: ("firewall-rules-export.conf", "# exported 2026-11-20\nallow tcp 10.8.0.0/16 -> 10.20.1.10:1521\n"),
    E.SOFTWARE: ("release-manifest.yaml", "release: 3.4.2\nbuild: 20261118.1\nchecksum: sha256:5f2a...\n"),
    E.OFFICE: ("branch-delivery-list.txt", "86 branches: counters and manuals checked\n"),
    E.EMERGENCY: ("ups-battery-test.log", "UPS-A on battery 30 min: load 42 %, voltage stable\n备用电源切换正常\n"),
    E.SECURITY: ("admin-account-review.txt", "12 admin accounts reviewed; 3 removed; defaults changed\n"),
}
# Per-branch items (the issue's per-branch readiness): site, owner key.
ENV_BRANCHES = [("浦东支行 / Pudong branch", "ops3"), ("静安支行 / Jing'an branch", "ops3")]


def _evening(now, days):
    return timezone.localtime(now + timedelta(days=days)).replace(hour=18, minute=0)


def seed_env_checks(*, project, who, now):
    """The standard checklists in both languages, most items ready with evidence, one blocked, one
    failed (branch UPS batteries), some open (one overdue), and per-branch counter and UPS checks."""
    pm = who["pm"]
    for index, (category, title) in enumerate(STANDARD_CHECKS):
        with translation.override("en"):
            english = str(title)
        owner = who[ENV_OWNERS[category]]
        status, days, reason = ENV_NOT_READY.get(english, (EnvCheckStatus.READY, -30 + index, ""))
        item = services.envcheck_create(actor=pm, project=project, category=category, title=bilingual(title),
                                        owner=owner, due_at=_evening(now, days))
        if status == EnvCheckStatus.READY:
            if english.startswith("Monitoring"):
                services.envcheck_add_evidence(actor=owner, item=item, url="https://monitor.bank.example/d/core-prod",
                                               note="监控大盘 / monitoring dashboard")
            else:
                name, content = ENV_EVIDENCE[category]
                services.envcheck_add_evidence(actor=owner, item=item, upload=ContentFile(content.encode(), name=name))
            services.envcheck_transition(actor=owner, item=item, to=EnvCheckStatus.READY,
                                         now=now - timedelta(days=max(1, 20 - index)))
        elif status != EnvCheckStatus.OPEN:
            services.envcheck_transition(actor=owner, item=item, to=status, reason=reason)
    for site, owner_key in ENV_BRANCHES:
        owner = who[owner_key]
        for category, title, ready in (
                (E.HARDWARE, "柜面终端、打印机、读卡器 / Counter terminals, printers, card readers", True),
                (E.EMERGENCY, "网点 UPS 放电测试 / Branch UPS discharge test", site.startswith("浦东"))):
            item = services.envcheck_create(actor=pm, project=project, category=category, title=title, location=site,
                                            owner=owner, due_at=_evening(now, 4))
            if ready:
                services.envcheck_add_evidence(actor=owner, item=item, upload=ContentFile(
                    f"{site}: OK\n".encode(), name="branch-check.txt"))
                services.envcheck_transition(actor=owner, item=item, to=EnvCheckStatus.READY)
