"""Demo test evidence: a CI run's JUnit XML in the regression cycle, performance targets with three load-test
runs (JMeter and k6 files, generated in each tool's format), and security findings imported from a ZAP and
a bandit report, one of them risk-accepted by a second person. Everything goes through the services and the
same file readers a tester uses, so the demo shows what an import really produces."""

import json
import random
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from projects.demo import bilingual

from . import links, services
from .models import PerfRun, SecurityFinding

CI_TESTS = [
    ("tests.deposit.test_open_account", "test_open_personal_account"),
    ("tests.deposit.test_open_account", "test_open_corporate_account_needs_licence"),
    ("tests.deposit.test_open_account", "test_duplicate_id_number_refused"),
    ("tests.deposit.test_interest", "test_time_deposit_interest_rounds_to_cents"),
    ("tests.deposit.test_interest", "test_interest_after_end_of_day"),
    ("tests.loan.test_schedule", "test_equal_instalments_12_months"),
    ("tests.loan.test_schedule", "test_broken_period_interest"),
    ("tests.loan.test_schedule", "test_holiday_moves_to_next_business_day"),
    ("tests.gl.test_posting", "test_fx_posting_uses_the_fx_gl_account"),
    ("tests.gl.test_posting", "test_reversal_posts_the_opposite_entry"),
    ("tests.batch.test_eod", "test_eod_restarts_after_failure"),
    ("tests.batch.test_eod", "test_eod_report_in_chinese"),
    ("tests.counter.test_withdrawal", "test_withdrawal_over_limit_needs_supervisor"),
    ("tests.counter.test_withdrawal", "test_receipt_shows_branch_code"),
    ("tests.counter.test_cash_box", "test_cash_box_balances_at_close"),
    ("tests.card.test_issuance", "test_card_issued_with_pin_mailer"),
    ("tests.api.test_customer", "test_chinese_name_kept_in_full"),
    ("tests.api.test_customer", "test_search_parameter_is_escaped"),
    ("tests.report.test_regulatory", "test_pboc_report_columns"),
    ("tests.report.test_regulatory", "test_report_export_runs_under_a_minute"),
]
FAILS = {"test_broken_period_interest": "AssertionError: expected 1234.56 but was 1234.57",
         "test_receipt_shows_branch_code": "AssertionError: '0100' != '0101'"}
ERRORS = {"test_eod_restarts_after_failure": "ConnectionRefusedError: [Errno 111] batch scheduler not reachable"}
SKIPS = {"test_eod_report_in_chinese": "needs the print server"}

# (JMeter label / k6 name, target p95 ms, min TPS, max error %, median ms per run, errors per 1000 per run)
TRANSACTIONS = [
    ("登录 · Login", 500, 20, 1.0, (210, 380, 190), (2, 12, 1)),
    ("转账 · Transfer", 1000, 15, 0.5, (640, 1150, 520), (3, 9, 2)),
    ("余额查询 · Balance enquiry", 300, 40, 1.0, (110, 190, 95), (0, 2, 0)),
    ("对账单 · Statement", 1500, None, 1.0, (900, 1700, 1250), (1, 4, 2)),
]
RUNS = [("Baseline, 200 users · 基线 200 并发", "jmeter", 200, 24),
        ("Peak hour, 500 users · 高峰 500 并发", "jmeter", 500, 17),
        ("After tuning, 500 users · 调优后 500 并发", "k6", 500, 4)]


def _upload(name, content: str):
    return ContentFile(content.encode("utf-8"), name=name)


def _junit():
    cases = []
    for i, (classname, name) in enumerate(CI_TESTS):
        body = ""
        if name in FAILS:
            body = f'<failure message="{FAILS[name]}">{FAILS[name]}\n  at {classname}.{name}</failure>'
        elif name in ERRORS:
            body = f'<error message="{ERRORS[name]}">{ERRORS[name]}</error>'
        elif name in SKIPS:
            body = f'<skipped message="{SKIPS[name]}"/>'
        prop = '<properties><property name="requirement" value="{req}"/></properties>' if i < 12 else ""
        cases.append((classname, name, prop, body))
    return cases


def _junit_xml(codes):
    parts = []
    for i, (classname, name, prop, body) in enumerate(_junit()):
        prop = prop.format(req=codes[i % len(codes)]) if prop and codes else ""
        parts.append(f'<testcase classname="{classname}" name="{name}" time="0.{i + 10}">{prop}{body}</testcase>')
    return ('<?xml version="1.0" encoding="utf-8"?><testsuites name="ci"><testsuite name="pytest" '
            f'tests="{len(parts)}">' + "".join(parts) + "</testsuite></testsuites>")


def _jtl(run_index, users, rng, start_ms):
    rows = ["timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,"
            "sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect"]
    t = start_ms
    for n in range(1800):
        label, _p95, _tps, _err, medians, errors = TRANSACTIONS[n % len(TRANSACTIONS)]
        label = bilingual(label)
        elapsed = int(medians[run_index] * rng.lognormvariate(0, 0.35))
        ok = rng.random() * 1000 >= errors[run_index]
        t += rng.randint(3, 7)
        rows.append(f"{t},{elapsed},{label},{200 if ok else 500},{'OK' if ok else 'Internal Server Error'},"
                    f"Counter 1-{n % users + 1},text,{'true' if ok else 'false'},,1520,612,{users},{users},"
                    f"http://sit.bank.local/api,{elapsed - 4},0,8")
    return "\n".join(rows) + "\n"


def _k6(run_index, rng):
    metrics, total, failed_all = {}, 0, 0
    for label, _p95, tps, _err, medians, errors in TRANSACTIONS:
        label = bilingual(label)
        median = medians[run_index]
        count = int(max(3000, (tps or 0) * 600 * 1.3))  # a 10-minute run comfortably above the throughput target
        failed = errors[run_index] * count // 1000
        total += count
        failed_all += failed
        metrics[f"http_req_duration{{name:{label}}}"] = {
            "avg": median * 1.08, "min": median * 0.4, "med": median, "max": median * 3.1,
            "p(90)": median * 1.45, "p(95)": round(median * 1.62 + rng.random(), 2)}
        metrics[f"http_reqs{{name:{label}}}"] = {"count": count, "rate": count / 600}
        metrics[f"http_req_failed{{name:{label}}}"] = {"passes": failed, "fails": count - failed,
                                                       "value": failed / count}
    metrics["http_req_duration"] = {"avg": 520.0, "min": 40.0, "med": 480.0, "max": 4100.0, "p(90)": 1100.0,
                                    "p(95)": 1320.5}
    metrics["http_reqs"] = {"count": total, "rate": total / 600}
    metrics["http_req_failed"] = {"passes": failed_all, "fails": total - failed_all, "value": failed_all / total}
    return json.dumps({"root_group": {"name": "", "path": "", "groups": [], "checks": []},
                       "options": {"summaryTrendStats": ["avg", "min", "med", "max", "p(90)", "p(95)"]},
                       "state": {"testRunDurationMs": 600000}, "metrics": metrics}, ensure_ascii=False)


ZAP_ALERTS = [
    ("40018", "SQL Injection", "3", "89", "/customer/search?name=%27", gettext_noop("SQL injection may be possible.")),
    ("40012", "Cross Site Scripting (Reflected)", "3", "79", "/remarks?text=%3Cscript%3E",
     gettext_noop("Attacker-supplied code is echoed into the user's browser.")),
    ("10038-1", "Content Security Policy (CSP) Header Not Set", "2", "693", "/",
     gettext_noop("No Content-Security-Policy header.")),
    ("10020-1", "Missing Anti-clickjacking Header", "2", "1021", "/login", gettext_noop("X-Frame-Options is not set.")),
    ("10096", "Timestamp Disclosure - Unix", "0", "200", "/static/app.js", gettext_noop("A timestamp was disclosed.")),
]


def _zap():
    alerts = [{"pluginid": ref.split("-")[0], "alertRef": ref, "alert": name, "name": name, "riskcode": risk,
               "confidence": "2", "desc": f"<p>{_(desc)}</p>", "cweid": cwe, "wascid": "0", "count": "1",
               "instances": [{"uri": f"https://sit.bank.local{path}", "method": "GET"}],
               "solution": "<p>" + _("See the OWASP cheat sheet for this weakness.") + "</p>"}
              for ref, name, risk, cwe, path, desc in ZAP_ALERTS]
    return json.dumps({"@programName": "ZAP", "@version": "2.14.0", "site": [
        {"@name": "https://sit.bank.local", "@host": "sit.bank.local", "@port": "443", "alerts": alerts}]})


def _bandit():
    return json.dumps({"errors": [], "generated_at": "2027-01-18T02:40:12Z", "metrics": {}, "results": [
        {"code": "42         sql = \"SELECT * FROM customer WHERE name = '%s'\" % name\n", "filename": "counter/db.py",
         "issue_confidence": "MEDIUM", "issue_cwe": {"id": 89}, "issue_severity": "MEDIUM", "line_number": 42,
         "issue_text": "Possible SQL injection vector through string-based query construction.",
         "more_info": "https://bandit.readthedocs.io/en/latest/plugins/b608_hardcoded_sql_expressions.html",
         "test_id": "B608", "test_name": "hardcoded_sql_expressions"},
        {"code": "18         return subprocess.call(cmd, shell=True)\n", "filename": "counter/reports.py",
         "issue_confidence": "HIGH", "issue_cwe": {"id": 78}, "issue_severity": "HIGH", "line_number": 18,
         "issue_text": "subprocess call with shell=True identified, security issue.",
         "more_info": "https://bandit.readthedocs.io/en/latest/plugins/b602_subprocess_popen_with_shell_equals_true.html",
         "test_id": "B602", "test_name": "subprocess_popen_with_shell_equals_true"},
        {"code": "7     PASSWORD = 'changeme'\n", "filename": "counter/settings.py", "issue_confidence": "MEDIUM",
         "issue_cwe": {"id": 259}, "issue_severity": "LOW", "line_number": 7,
         "issue_text": "Possible hardcoded password: 'changeme'", "more_info": "", "test_id": "B105",
         "test_name": "hardcoded_password_string"},
    ]})


def seed_evidence(*, project, pm, tester, devs, cycles, rng=None):
    rng = rng or random.Random(2027)
    now = timezone.now()
    regression, performance = cycles[-1], cycles[1]
    approved = links.approved_requirements(project)
    codes = list(approved.values_list("code", flat=True)[:12]) if approved is not None else []
    junit = services.junit_import(actor=tester, cycle=regression, upload=_upload("ci-regression.xml", _junit_xml(codes)))

    requirement = approved.first() if approved is not None else None
    for label, p95, tps, err, _medians, _errors in TRANSACTIONS:
        services.perf_target_create(actor=tester, project=project, transaction_name=bilingual(label), p95_ms=p95,
                                    min_tps=tps, max_error_rate=err,
                                    requirement=requirement if label.endswith("Transfer") else None)
    services.perf_target_create(actor=tester, project=project, transaction_name="ALL", p95_ms=1600,
                                max_error_rate=1.0)
    for index, (name, tool, users, days_ago) in enumerate(RUNS):
        run = services.perf_run_create(actor=tester, project=project, name=bilingual(name), tool=tool,
                                       cycle=performance)
        start = int((now - timedelta(days=days_ago)).timestamp() * 1000)
        content = _jtl(index, users, rng, start) if tool == "jmeter" else _k6(index, rng)
        services.perf_run_import(actor=tester, run=run, upload=_upload(
            f"run-{index + 1}.{'jtl' if tool == 'jmeter' else 'json'}", content))
        PerfRun.objects.filter(pk=run.pk).update(imported_at=now - timedelta(days=days_ago, hours=-2))

    zap = services.findings_import(actor=tester, project=project, tool="zap", upload=_upload("zap.json", _zap()))
    bandit = services.findings_import(actor=tester, project=project, tool="bandit",
                                      upload=_upload("bandit.json", _bandit()))
    manual = services.finding_create(
        actor=tester, project=project, title=bilingual("Teller can approve own transaction · 柜员可自行授权本人交易"),
        severity="high", cwe=284, cvss_vector="CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N",
        component=bilingual("柜面授权 · Counter authorisation"), location=bilingual("柜面应用 → 授权 · Counter app → Authorise"),
        description=bilingual("A teller logged in at branch 0101 can approve a withdrawal they entered themselves when "
                              "the supervisor's session is open on the same PC. 主管会话未退出时，在0101网点登录的柜员"
                              "可在同一台终端上授权本人录入的取款交易。"),
        solution=_("Check the approver is not the maker on the server, not only in the screen."))
    findings = {f.title: f for f in SecurityFinding.objects.filter(project=project)}
    dev = devs[0]
    shell = next(f for t, f in findings.items() if t.startswith("B602"))
    services.finding_transition(actor=dev, finding=shell, to="fixed", comment=_("Replaced with a list of arguments"))
    services.finding_transition(actor=tester, finding=shell, to="verified", comment=_("Re-scanned: gone"))
    manual = services.finding_transition(actor=dev, finding=manual, to="fixed", comment=_("Maker-checker on the server"))
    services.finding_to_defect(actor=tester, finding=findings["Cross Site Scripting (Reflected)"], assignee=dev)
    csp = findings["Content Security Policy (CSP) Header Not Set"]
    services.finding_request_acceptance(
        actor=tester, finding=csp, expires_on=timezone.localdate() + timedelta(days=60),
        reason=bilingual("Intranet only, behind the bank's proxy which sets CSP; fixed in release 2.6. "
                         "仅限内网访问，行内代理已设置CSP；将在2.6版本修复。"))
    services.finding_approve_acceptance(actor=pm, finding=csp)
    clickjacking = findings["Missing Anti-clickjacking Header"]
    services.finding_request_acceptance(actor=tester, finding=clickjacking,
                                        expires_on=timezone.localdate() + timedelta(days=30),
                                        reason=_("The counter app runs full screen in the bank's kiosk browser."))
    services.finding_transition(actor=tester, finding=findings["Timestamp Disclosure - Unix"], to="false_positive",
                                comment=_("A build number, not a server time."))
    return (f"CI run {junit['passed']} passed / {junit['failed']} failed / {junit['error']} errors, "
            f"{len(RUNS)} load-test runs, {zap['total'] + bandit['total'] + 1} security findings")
