"""The file readers on real files in each tool's documented format (tests/defects/files/)."""

from pathlib import Path

import pytest

from defects import imports
from defects.imports import ImportRefused

FILES = Path(__file__).parent / "files"


def read(name):
    return (FILES / name).read_bytes()


# ---------------------------------------------------------------- JUnit

def test_pytest_junit_testsuites_with_every_outcome():
    rows = {r.key: r for r in imports.parse_junit(read("junit_pytest.xml"))}
    assert len(rows) == 5
    ok = rows["tests.test_deposit.TestOpenAccount.test_open_personal_account"]
    assert (ok.status, ok.requirement_codes, ok.note) == ("passed", ["REQ-001"], "")
    failed = rows["tests.test_deposit.TestOpenAccount.test_open_account_rejects_duplicate_id"]
    assert failed.status == "failed" and failed.requirement_codes == ["REQ-001", "REQ-002"]
    assert "assert 200 == 409" in failed.note and "tests/test_deposit.py:41" in failed.note
    assert rows["tests.test_interest.test_interest_after_end_of_day"].status == "error"
    skipped = rows["tests.test_statement.test_statement_pdf_in_chinese"]
    assert skipped.status == "skipped" and "print server" in skipped.note  # skipped is never a pass


def test_surefire_single_testsuite_root():
    rows = imports.parse_junit(read("junit_surefire.xml"))
    assert [r.status for r in rows] == ["passed", "failed", "passed"]
    assert rows[1].key == "com.bank.loan.RepaymentScheduleTest.firstInstalmentIncludesBrokenPeriodInterest"
    assert "expected: <1234.56> but was: <1234.57>" in rows[1].note


def test_billion_laughs_is_refused_without_expanding():
    with pytest.raises(ImportRefused, match="DTD"):
        imports.parse_junit(read("junit_billion_laughs.xml"))


def test_external_entity_is_refused():
    xxe = b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><testsuite><testcase ' \
          b'classname="a" name="&x;"/></testsuite>'
    with pytest.raises(ImportRefused, match="DTD"):
        imports.parse_junit(xxe)


def test_malformed_xml_and_wrong_root_say_what_is_wrong():
    with pytest.raises(ImportRefused, match="not well-formed XML"):
        imports.parse_junit(read("junit_malformed.xml"))
    with pytest.raises(ImportRefused, match="<html>"):
        imports.parse_junit(b"<html><body>not a report</body></html>")
    with pytest.raises(ImportRefused, match="no <testcase>"):
        imports.parse_junit(b"<testsuites><testsuite name='empty'/></testsuites>")
    with pytest.raises(ImportRefused, match="number 2 has no name"):
        imports.parse_junit(b"<testsuite><testcase classname='a' name='x'/><testcase classname='a'/></testsuite>")


def test_too_many_cases_is_refused_with_the_limit():
    body = "".join(f'<testcase classname="load.Suite" name="t{i}"/>' for i in range(50_000))
    with pytest.raises(ImportRefused, match="50,000 test cases; import at most 10,000"):
        imports.parse_junit(f"<testsuite>{body}</testsuite>".encode())


def test_rerun_keeps_the_worse_outcome():
    rows = imports.parse_junit(b'<testsuites><testsuite><testcase classname="a" name="t"/></testsuite><testsuite>'
                               b'<testcase classname="a" name="t"><failure message="boom"/></testcase></testsuite>'
                               b'</testsuites>')
    assert [(r.key, r.status) for r in rows] == [("a.t", "failed")]


# ---------------------------------------------------------------- load tests

def test_jmeter_jtl_per_label_and_all():
    rows = {r.transaction: r for r in imports.parse_jmeter(read("jmeter.jtl"))}
    assert set(rows) == {"Login", "Transfer", "查询余额", "ALL"}
    login = rows["Login"]
    assert (login.samples, login.p95_ms, login.error_rate) == (4, 450.0, 25.0)  # nearest rank of 180,190,210,450
    # 4 samples from the first start (…3120) to the last end (…3501 + 450): 0.831 s
    assert login.tps == round(4 / 0.831, 3)
    assert rows["Transfer"].error_rate == 0 and rows["Transfer"].p95_ms == 810.0
    assert rows["ALL"].samples == 10


def test_jmeter_missing_column_names_it():
    with pytest.raises(ImportRefused, match="no column “success”"):
        imports.parse_jmeter(read("jmeter_missing_column.jtl"))


def test_jmeter_bad_number_names_the_line():
    data = b"timeStamp,elapsed,label,success\n1768702443120,180,Login,true\n2027/01/18 10:14:03,abc,Login,true\n"
    with pytest.raises(ImportRefused, match="Line 3") as exc:
        imports.parse_jmeter(data)
    assert exc.value.row == 3


def test_k6_summary_export_with_submetrics():
    rows = {r.transaction: r for r in imports.parse_k6(read("k6_summary_export.json"))}
    assert set(rows) == {"ALL", "login", "transfer"}  # {expected_response:true} is not a transaction
    assert (rows["ALL"].samples, rows["ALL"].p95_ms, rows["ALL"].tps) == (1200, 688.9, 19.996)
    assert rows["ALL"].error_rate == round(0.008333333333333333 * 100, 3)
    assert (rows["transfer"].p95_ms, rows["transfer"].error_rate) == (1010.3, 1.667)


def test_k6_handle_summary_with_group():
    rows = {r.transaction: r for r in imports.parse_k6(read("k6_handle_summary.json"))}
    assert rows["开户"].p95_ms == 301.0 and rows["开户"].samples == 300  # passes + fails of the Rate metric
    assert rows["开户"].tps == 10.0 and rows["开户"].error_rate == 2.0  # 300 over the 30 s run


def test_k6_wrong_shape():
    with pytest.raises(ImportRefused, match="not a k6 summary"):
        imports.parse_k6(b'{"data": []}')
    with pytest.raises(ImportRefused, match="not valid JSON"):
        imports.parse_k6(b"{metrics:")


def test_locust_stats_csv():
    rows = {r.transaction: r for r in imports.parse_locust(read("locust_stats.csv"))}
    assert set(rows) == {"/api/balance", "/api/login", "/api/transfer", "ALL"}  # the 0-request row is left out
    transfer = rows["/api/transfer"]
    assert (transfer.samples, transfer.p95_ms, transfer.tps) == (1190, 1100.0, 19.83)
    assert transfer.error_rate == round(31 * 100 / 1190, 3)
    assert rows["ALL"].samples == 6600


def test_locust_missing_column():
    with pytest.raises(ImportRefused, match="“95%”"):
        imports.parse_locust(b"Type,Name,Request Count,Failure Count,Requests/s\nGET,/x,1,0,1\n")


# ---------------------------------------------------------------- security scans

def test_zap_json_one_finding_per_alert():
    rows = imports.parse_zap(read("zap_report.json"))
    by_title = {r.title: r for r in rows}
    assert len(rows) == 4
    sqli = by_title["SQL Injection"]
    assert (sqli.severity, sqli.cwe, sqli.component) == ("high", 89, "https://sit.bank.local")
    assert sqli.description == "SQL injection may be possible." and "prepared statements" in sqli.solution
    xss = by_title["Cross Site Scripting (Reflected)"]
    assert xss.location.endswith("(+1 more)")
    assert by_title["Timestamp Disclosure - Unix"].severity == "info"
    assert len({r.fingerprint for r in rows}) == 4
    assert [r.fingerprint for r in imports.parse_zap(read("zap_report.json"))] == [r.fingerprint for r in rows]


def test_zap_wrong_shape():
    with pytest.raises(ImportRefused, match="no “site” list"):
        imports.parse_zap(read("zap_wrong_shape.json"))
    with pytest.raises(ImportRefused, match="riskcode"):
        imports.parse_zap(b'{"site": [{"@name": "x", "alerts": [{"alert": "A", "riskcode": "9"}]}]}')


def test_bandit_json():
    rows = imports.parse_bandit(read("bandit_report.json"))
    assert [(r.severity, r.cwe, r.location) for r in rows] == [("medium", 89, "counter/db.py:42"),
                                                               ("high", 78, "counter/reports.py:18")]
    assert rows[0].title.startswith("B608 hardcoded_sql_expressions: Possible SQL injection")


def test_bandit_fingerprint_ignores_line_shifts():
    import json

    doc = json.loads(read("bandit_report.json"))
    first = imports.parse_bandit(json.dumps(doc).encode())
    for r in doc["results"]:
        r["line_number"] += 10
        r["code"] = "\n".join(f"{int(line.split()[0]) + 10} {line.split(' ', 1)[1]}" for line in
                              r["code"].strip("\n").splitlines())
    assert [r.fingerprint for r in imports.parse_bandit(json.dumps(doc).encode())] == [r.fingerprint for r in first]


def test_bandit_wrong_shape():
    with pytest.raises(ImportRefused, match="no “results” list"):
        imports.parse_bandit(read("zap_report.json"))


def test_gb18030_csv_is_read():
    data = "timeStamp,elapsed,label,success\n1768702443120,180,查询余额,true\n".encode("gb18030")
    assert imports.parse_jmeter(data)[0].transaction == "查询余额"
