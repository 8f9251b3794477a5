"""Demo notifications for `manage.py seed_demo` (idempotent); preferences are in demo_preferences."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from projects.demo import bilingual

from . import services
from .models import EmailStatus, Notification
from .registry import message
from .reminders import SLIPPING


def seed(*, project, people, stdout=None):
    seed_command_centre(project=project, people=people, stdout=stdout)
    if Notification.objects.filter(project=project, dedupe_key__startswith="demo:").exists():
        return
    users = {u.username: u for us in people.values() for u in us}
    now = timezone.now()
    home = reverse("projects:home", args=[project.pk])
    rota = reverse("projects:rota", args=[project.pk])
    window = f"{timezone.localtime(project.window_start):%Y-%m-%d %H:%M}"
    window_end = f"{timezone.localtime(project.window_end):%Y-%m-%d %H:%M}"
    tomorrow = f"{timezone.localtime(now + timedelta(days=1)):%Y-%m-%d} 09:30"
    # Real templates with their parameters, as the services write them: each reader sees them in
    # the language they read (switch the language and the inbox follows).
    rows = [
        # (username, kind, message, url, hours ago, read)
        ("ops", "oncall_shift_starting", message("oncall_shift_starting", code=project.code, start=window,
                                                 end=window_end), rota, 1, False),
        ("tester", "defect_assigned", message("defect_assigned", key="D-0012", severity="major",
                                              title=bilingual("Interest accrual off by one day on leap years · 闰年计息差一天")),
         home, 5, False),
        ("dev", "defect_assigned", message("defect_assigned", key="D-0007", severity="critical",
                                           title=bilingual("Batch job EOD-07 times out after migration · 迁移后日终批处理超时")),
         home, 3, False),
        ("business", "requirement_review_waiting", message("requirement_review_waiting", code="REQ-0009", days=3,
                                                           title=bilingual("Joint account signatories · 联名账户签字人")),
         home, 20, False),
        ("trainer", "training_session_soon", message("training_session_soon.trainer", when=tomorrow, n=18, cap=20,
                                                     course=bilingual("Teller counter basics · 柜面基础操作"),
                                                     where=bilingual("Training Room 2 · 第二培训室")), home, 4, False),
        ("staff", "training_session_soon", message("training_session_soon", when=tomorrow,
                                                   course=bilingual("Teller counter basics · 柜面基础操作"),
                                                   where=bilingual("Training Room 2 · 第二培训室")), home, 4, False),
        ("staff", "training_promoted", message("training_promoted", course=bilingual("New loan workflow · 新贷款流程"),
                                               start=tomorrow), home, 72, True),
    ]
    made = []
    for username, kind, text, url, hours, read in rows:
        user = users.get(username)
        if user is None:
            continue
        n = services.notify(recipient=user, kind=kind, message=text, url=url, project=project,
                            dedupe_key=f"demo:{project.pk}:{username}:{kind}:{hours}")
        if n is None:
            continue
        made.append(n.pk)
        when = now - timedelta(hours=hours)
        # Demo history: these were delivered long ago, so no e-mail goes out for them now.
        Notification.objects.filter(pk=n.pk).update(created_at=when, email_status=EmailStatus.SENT,
                                                    email_sent_at=when, read_at=when + timedelta(minutes=20)
                                                    if read else None)
    report = services.sweep(kinds=[SLIPPING], enqueue=False)  # the real rule: slipping milestones → managers
    if stdout:
        stdout.write(f"Notifications: {len(made)} demo notifications, {report.inserted} from the reminder sweep.")


# --- the command centre: escalation policies, chat channels, alerts ---------------------------------

def seed_command_centre(*, project, people, stdout=None):
    """Policies, chat channels (switched off: the demo has no real robot to post to) and alerts of
    the rehearsal nights and of tonight, escalated through the real services."""
    if project.escalation_policies.exists():
        return
    users = {u.username: u for us in people.values() for u in us}
    pm, ops = users["pm"], users["ops"]
    services.policy_create(actor=ops, project=project, name=bilingual("Core systems on call · 核心系统值班"), steps=[
        {"wait_minutes": 10, "target": "on_call_primary"}, {"wait_minutes": 10, "target": "on_call_backup"},
        {"wait_minutes": 15, "target": "role:manager"}])
    services.policy_create(actor=ops, project=project, name=bilingual("Business hours · 工作时间"), steps=[
        {"wait_minutes": 30, "target": "role:ops"}, {"wait_minutes": 0, "target": f"user:{pm.pk}"}])
    services.channel_create(
        actor=pm, project=project, name=bilingual("Cutover war room (WeCom) · 切换指挥群（企业微信）"), kind="wecom",
        language="zh-hans",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=REPLACE-WITH-THE-GROUP-ROBOT-KEY", active=False,
        events=["cutover_issue", "cutover_update", "runstep_failed", "alert"])
    services.channel_create(
        actor=pm, project=project, name=bilingual("Ops on call (DingTalk) · 运维值班群（钉钉）"), kind="dingtalk",
        language="zh-hans",
        url="https://oapi.dingtalk.com/robot/send?access_token=REPLACE-WITH-THE-ROBOT-TOKEN", secret="SECdemo",
        events=["alert", "runstep_failed"], active=False)
    services.channel_create(
        actor=pm, project=project, name=bilingual("Vendor bridge (Feishu) · 厂商协调群（飞书）"), kind="feishu", language="en",
        url="https://open.feishu.cn/open-apis/bot/v2/hook/REPLACE-WITH-THE-HOOK", secret="demo-secret",
        events=["cutover_update"], active=False)

    evening = timezone.localtime(project.window_start)
    day = timezone.localdate() - timedelta(days=21)
    night = evening.replace(year=day.year, month=day.month, day=day.day)  # rehearsal 1, as tasks.demo dates it
    # xgettext:no-python-format
    cpu_title = _("CPU 95% on core-db-01 for 10 minutes")
    cpu, _created = services.alert_trigger(actor=ops, project=project, title=cpu_title,
                                           severity="critical", source="Zabbix", now=night + timedelta(hours=4, minutes=5))
    services.alert_acknowledge(actor=ops, alert=cpu, now=night + timedelta(hours=4, minutes=8))
    services.alert_resolve(actor=ops, alert=cpu,
                           note=bilingual("Runaway index rebuild stopped · 停止误启动的索引重建"),
                           now=night + timedelta(hours=4, minutes=35))
    # xgettext:no-python-format
    logins_title = _("Mobile banking login failures above 5%")
    logins, _created = services.alert_trigger(actor=ops, project=project, title=logins_title,
                                              severity="critical", source="ELK", now=night + timedelta(hours=9, minutes=40))
    services.alerts_escalate(now=night + timedelta(hours=9, minutes=50))  # the primary missed it: the backup is called
    services.alert_acknowledge(actor=users.get("dev", ops), alert=logins, now=night + timedelta(hours=9, minutes=53))
    services.alert_resolve(actor=ops, alert=logins,
                           note=bilingual("DB connection pool raised to 800 · 数据库连接池调整为800"),
                           now=night + timedelta(hours=10, minutes=5))
    now = timezone.now()
    # xgettext:no-python-format
    disk_title = _("Disk 91% full on backup-nas-02")
    disk, _created = services.alert_trigger(actor=ops, project=project, title=disk_title,
                                            severity="warning", source="Zabbix", now=now - timedelta(minutes=12))
    services.alerts_escalate(now=now - timedelta(minutes=2))  # nobody acknowledged: the backup was called
    # Demo history: the calls of the past were delivered then, so no e-mail goes out for them now.
    Notification.objects.filter(project=project, kind__in=["alert", "cutover_issue", "cutover_issue_assigned"]) \
        .exclude(subject_id=disk.pk).update(email_status=EmailStatus.SENT, email_sent_at=now, read_at=now)
    if stdout:
        stdout.write("Command centre: 2 escalation policies, 3 chat channels (off until their robot keys are "
                     "entered), 3 alerts (one escalating now).")
