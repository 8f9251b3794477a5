"""Demo cutover for `manage.py seed_demo`: preparation checklist, the go-live runbook with its
dependencies, two finished rehearsals (the first over the window with a failed-and-retried step,
the second within it), a production run not started, reconciliation results and the contingency plan.

Idempotent: does nothing when the project has runbooks already. Built through the services."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from . import services
from .models import Category, RunbookKind, RunKind, WorkItemStatus

C = Category
# (key, title, category, owner key, minutes, depends on keys, flags)
STEPS = [
    ("notify", "Announce cutover start to all branches and call centre", C.COMMUNICATION, "pm", 5, [], ""),
    ("war_room", "Confirm the cutover team is in the war room and on the bridge call", C.COMMUNICATION, "pm", 5,
     ["notify"], ""),
    ("notify_reg", "Notify the regulator and the card scheme that the window has started", C.COMMUNICATION, "pm", 5,
     ["notify"], ""),
    ("stop_batch", "Stop batch jobs and the ATM/POS switch feed", C.DEPLOYMENT, "ops", 20, ["notify"], ""),
    ("stop_online", "Close online and mobile banking (maintenance page)", C.DEPLOYMENT, "ops2", 10, ["notify"], ""),
    ("stop_bureau", "Disable scheduled interfaces to the credit bureau", C.CONFIGURATION, "dev3", 10,
     ["stop_batch"], ""),
    ("stop_payments", "Stop the SWIFT and CNAPS payment gateways", C.DEPLOYMENT, "ops3", 10, ["stop_batch"], ""),
    ("eod", "Run final end-of-day on the legacy core", C.DATA_MIGRATION, "dev", 60, ["stop_batch", "stop_online"], ""),
    ("backup", "Full backup of the legacy core database", C.DATA_MIGRATION, "ops", 45, ["eod"], "rb"),
    ("export_queue", "Export the pending payment queue", C.DATA_MIGRATION, "dev3", 15, ["eod"], ""),
    ("snapshot_vm", "Snapshot the legacy virtual machines", C.DATA_MIGRATION, "ops2", 20, ["eod"], ""),
    ("backup_check", "Verify the backup checksum and copy it off-site", C.VERIFICATION, "ops2", 15, ["backup"], ""),
    ("freeze", "Freeze the legacy system (read-only)", C.CONFIGURATION, "ops", 10, ["backup"], ""),
    ("go1", "Checkpoint: legacy frozen and backed up", C.VERIFICATION, "pm", 5, ["freeze"], "cp"),
    ("extract", "Extract data from legacy core", C.DATA_MIGRATION, "dev2", 40, ["go1"], ""),
    ("mig_cust", "Migrate customers", C.DATA_MIGRATION, "dev", 45, ["extract"], ""),
    ("mig_acct", "Migrate accounts", C.DATA_MIGRATION, "dev2", 50, ["mig_cust"], ""),
    ("mig_bal", "Migrate balances", C.DATA_MIGRATION, "dev", 40, ["mig_acct"], ""),
    ("mig_loan", "Migrate loans and repayment schedules", C.DATA_MIGRATION, "dev3", 55, ["mig_cust"], ""),
    ("mig_gl", "Migrate general ledger opening balances", C.DATA_MIGRATION, "dev3", 30, ["mig_bal"], ""),
    ("mig_txn", "Migrate 13 months of transaction history", C.DATA_MIGRATION, "dev2", 60, ["mig_acct"], ""),
    ("mig_cards", "Migrate cards and card limits", C.DATA_MIGRATION, "dev3", 30, ["mig_acct"], ""),
    ("mig_orders", "Migrate standing orders and direct debits", C.DATA_MIGRATION, "dev2", 25, ["mig_acct"], ""),
    ("mig_collateral", "Migrate collateral and guarantees", C.DATA_MIGRATION, "dev3", 20, ["mig_loan"], ""),
    ("mig_signatures", "Migrate customer signature images", C.DATA_MIGRATION, "dev", 35, ["mig_cust"], ""),
    ("mig_accruals", "Migrate interest accrual positions", C.DATA_MIGRATION, "dev", 20, ["mig_bal"], ""),
    ("reindex", "Rebuild search indexes on the new core", C.CONFIGURATION, "ops3", 20, ["mig_txn"], ""),
    ("deploy_core", "Deploy new core banking services", C.DEPLOYMENT, "ops", 30, ["go1"], "rb"),
    ("deploy_channels", "Deploy channel gateway and teller front end", C.DEPLOYMENT, "ops2", 25, ["deploy_core"], ""),
    ("deploy_reports", "Deploy regulatory reporting jobs", C.DEPLOYMENT, "ops3", 15, ["deploy_core"], ""),
    ("deploy_fraud", "Deploy fraud monitoring rules", C.DEPLOYMENT, "ops3", 15, ["deploy_core"], ""),
    ("deploy_aml", "Deploy anti-money-laundering screening", C.DEPLOYMENT, "ops3", 15, ["deploy_core"], ""),
    ("cfg_params", "Load product and interest-rate parameters", C.CONFIGURATION, "dev", 20, ["deploy_core"], ""),
    ("cfg_users", "Create teller accounts and role permissions", C.CONFIGURATION, "ops3", 25, ["deploy_channels"], ""),
    ("cfg_interfaces", "Configure interfaces: payment, card, credit bureau", C.CONFIGURATION, "dev3", 30,
     ["deploy_channels"], ""),
    ("cfg_calendar", "Configure the holiday calendar and cut-off times", C.CONFIGURATION, "dev", 10,
     ["cfg_params"], ""),
    ("cfg_limits", "Load branch and teller cash limits", C.CONFIGURATION, "ops3", 15, ["cfg_users"], ""),
    ("cfg_certs", "Install TLS certificates on the channel gateway", C.CONFIGURATION, "ops2", 10,
     ["deploy_channels"], ""),
    ("cfg_sms", "Configure the SMS notification gateway", C.CONFIGURATION, "dev3", 10, ["cfg_interfaces"], ""),
    ("recon_counts", "Reconcile record counts source vs target", C.VERIFICATION, "tester", 25,
     ["mig_loan", "mig_gl", "mig_txn"], ""),
    ("recon_totals", "Reconcile control totals (balances, GL)", C.VERIFICATION, "tester", 30, ["recon_counts"], ""),
    ("recon_sample", "Sample-check 100 customer balances against the legacy system", C.VERIFICATION, "tester", 20,
     ["recon_totals"], ""),
    ("go2", "Checkpoint: reconciliation signed off", C.VERIFICATION, "pm", 10, ["recon_totals"], "cp"),
    ("switch_network", "Switch network routes to the new core", C.CONFIGURATION, "ops", 20,
     ["go2", "cfg_interfaces", "cfg_users", "cfg_params"], "ponr"),
    ("smoke_teller", "Smoke test: teller deposit, withdrawal, transfer", C.VERIFICATION, "tester", 25,
     ["switch_network"], ""),
    ("smoke_loans", "Smoke test: loan disbursement and repayment", C.VERIFICATION, "tester2", 20,
     ["switch_network"], ""),
    ("smoke_channels", "Smoke test: mobile, online, ATM", C.VERIFICATION, "tester2", 20,
     ["switch_network", "deploy_reports"], ""),
    ("smoke_gl", "Smoke test: GL posting and an end-of-day trial run", C.VERIFICATION, "tester", 25,
     ["switch_network"], ""),
    ("smoke_reports", "Smoke test: regulatory report generation", C.VERIFICATION, "tester2", 15,
     ["switch_network", "deploy_reports"], ""),
    ("smoke_cards", "Smoke test: card authorisation through the switch", C.VERIFICATION, "tester2", 15,
     ["switch_network", "mig_cards"], ""),
    ("pilot_branches", "Confirm network and printers at 5 pilot branches", C.VERIFICATION, "ops", 10,
     ["switch_network"], ""),
    ("batch_on", "Restart batch jobs on the new core", C.DEPLOYMENT, "ops2", 15, ["smoke_teller"], ""),
    ("monitor", "Switch monitoring and alerting to the new core", C.CONFIGURATION, "ops3", 15, ["switch_network"], ""),
    ("alerts", "Verify fraud and AML alerts reach the monitoring desk", C.VERIFICATION, "tester", 10,
     ["monitor", "deploy_fraud", "deploy_aml"], ""),
    ("go3", "Checkpoint: open for business", C.VERIFICATION, "pm", 10,
     ["smoke_teller", "smoke_loans", "smoke_channels", "batch_on", "monitor", "smoke_gl", "smoke_reports",
      "smoke_cards", "pilot_branches", "alerts", "recon_sample"], "cp"),
    ("open_channels", "Reopen online and mobile banking", C.DEPLOYMENT, "ops2", 10, ["go3"], ""),
    ("bureau_on", "Re-enable the credit bureau interfaces", C.CONFIGURATION, "dev3", 10, ["go3"], ""),
    ("announce", "Announce go-live to branches; open branches", C.COMMUNICATION, "pm", 5, ["open_channels"], ""),
    ("hypercare_on", "Start hypercare: war room staffed, on-call rota active", C.COMMUNICATION, "pm", 5,
     ["announce"], ""),
    ("archive_log", "Archive the cutover log and step timings", C.COMMUNICATION, "pm", 5, ["announce"], ""),
]

ROLLBACK = [
    ("Stop new core services and channels", C.ROLLBACK, "ops", 15),
    ("Restore routes to the legacy core", C.ROLLBACK, "ops", 20),
    ("Unfreeze the legacy system", C.ROLLBACK, "ops2", 10),
    ("Replay transactions taken on the new core", C.ROLLBACK, "dev", 60),
    ("Verify legacy balances against the backup", C.ROLLBACK, "tester", 30),
    ("Announce return to the legacy system", C.ROLLBACK, "pm", 5),
]

WORK_ITEMS = [
    ("Network links to all 86 branches tested", "preparation", "ops", -20, WorkItemStatus.DONE, ""),
    ("Backup power (UPS and generator) tested in the data centre", "preparation", "ops2", -14, WorkItemStatus.DONE, ""),
    ("New teller PCs and printers installed", "preparation", "ops3", -7, WorkItemStatus.DONE, ""),
    ("Teller user accounts created in the new core", "preparation", "ops3", -2, WorkItemStatus.DOING, ""),
    ("Printed quick-reference manuals delivered to branches", "preparation", "trainer", 5, WorkItemStatus.TODO, ""),
    ("Legacy data cleansing: duplicate customers merged", "preparation", "dev", -10, WorkItemStatus.DONE, ""),
    ("Regulator notified of the cutover date", "preparation", "pm", 1, WorkItemStatus.TODO, ""),
    ("Performance test environment sized like production", "testing", "ops", -5, WorkItemStatus.DONE, ""),
    ("Security scan of the internet banking front end", "testing", "tester", 3, WorkItemStatus.BLOCKED,
     "Waiting for the vendor's patched release"),
    ("Card switch certification with the card scheme", "testing", "dev2", 8, WorkItemStatus.DOING, ""),
    ("Rehearsal environment refreshed from production", "rehearsal", "ops2", -15, WorkItemStatus.DONE, ""),
    ("Rehearsal timing report shared with the steering committee", "rehearsal", "pm", 2, WorkItemStatus.TODO, ""),
    ("War room booked with screens and phone bridge", "cutover", "pm2", 20, WorkItemStatus.TODO, ""),
    ("Hypercare support desk staffed 7x24", "hypercare", "ops", 30, WorkItemStatus.TODO, ""),
]

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
                                  note="Migration job aborted: tablespace full on the target database.")
            start = start + timedelta(minutes=minutes + 25)
            services.runstep_start(actor=owner, run_step=step, now=start)
        end = start + timedelta(minutes=minutes)
        services.runstep_complete(actor=owner, run_step=step, now=end, decision="go" if step.checkpoint else "",
                                  note="Go: all criteria met." if step.checkpoint else "", notify_owners=False)
        finish[step.source_step_id] = end


def seed(*, project, people, stdout=None):
    if project.runbooks.exists():
        return
    who = _who(people)
    pm = who["pm"]
    now = timezone.now().replace(second=0, microsecond=0)

    for title, phase, owner, days, status, reason in WORK_ITEMS:
        item = services.workitem_create(actor=pm, project=project, title=title, phase=phase, owner=who[owner],
                                        due_at=(now + timedelta(days=days)).replace(hour=10, minute=0))
        if status != WorkItemStatus.TODO:
            services.workitem_set_status(actor=who[owner], item=item, status=status, reason=reason)

    runbook = services.runbook_create(
        actor=pm, project=project, name="Core banking go-live cutover",
        description="Deploy → migrate → configure → verify. 上线割接方案：部署、数据迁移、配置调整、验证。")
    created = {}
    for key, title, category, owner, minutes, deps, flags in STEPS:
        created[key] = services.step_create(
            actor=pm, runbook=runbook, title=title, category=category, owner=who[owner], planned_minutes=minutes,
            depends_on=[created[d] for d in deps], checkpoint="cp" in flags, point_of_no_return="ponr" in flags,
            rollback_instructions=("Restore the legacy database from the backup taken in step 5 and unfreeze it."
                                   if "rb" in flags or "ponr" in flags else ""))
    keys = {key: step.pk for key, step in created.items()}

    # Rehearsal 1, three weeks ago: slow migrations, one failure and a retry — over the window.
    window = project.window_end - project.window_start
    # Rehearsals are dated back from today (at the window's hour), so they are over when the demo opens.
    evening = timezone.localtime(project.window_start)

    def days_ago(days):
        day = timezone.localdate() - timedelta(days=days)
        return evening.replace(year=day.year, month=day.month, day=day.day)

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

    for run, mismatch in ((run1, True), (run2, False)):
        for entity, count, total, count_adj, total_adj in CHECKS:
            check = services.check_create(
                actor=who["tester"], run=run, entity=entity, source_count=count,
                target_count=count + (count_adj if mismatch else 0), source_total=total,
                target_total=total + (total_adj if mismatch else 0), tolerance=Decimal("0.00"))
            if not mismatch:
                services.check_confirm_backup(actor=who["ops"], check=check, now=run.finished_at)

    rollback = services.runbook_create(actor=pm, project=project, name="Rollback to the legacy core",
                                       kind=RunbookKind.ROLLBACK,
                                       description="回退方案: switch back to the legacy core banking system.")
    previous = None
    for title, category, owner, minutes in ROLLBACK:
        previous = services.step_create(actor=pm, runbook=rollback, title=title, category=category,
                                        owner=who[owner], planned_minutes=minutes,
                                        depends_on=[previous] if previous else [])
    plan = services.plan_save(
        actor=pm, project=project, decision_owner=pm, rollback_runbook=rollback,
        point_of_no_return_at=project.window_start + window / 2,
        rollback_criteria=("Roll back when any of: reconciliation of balances or GL differs beyond tolerance; "
                           "a smoke test of teller deposits/withdrawals fails and cannot be fixed within 30 minutes; "
                           "the forecast finish passes 07:00. 出现以下任一情况即回退：余额或总账核对不一致；"
                           "柜面存取款冒烟测试失败且30分钟内无法修复；预计完成时间晚于07:00。"))
    services.plan_approve(actor=pm, plan=plan, as_role="manager")
    if stdout:
        stdout.write(f"Cutover: {len(STEPS)} runbook steps, 2 rehearsals ({run1.label}: "
                     f"{'over' if run1.finished_at > run1.window_end else 'within'} the window), 1 production run.")
