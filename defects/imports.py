"""Reading the files that test tools write: JUnit XML (CI), JMeter CSV JTL, k6 summary JSON, Locust
`_stats.csv` (load tests), OWASP ZAP JSON and bandit JSON (security scans).

Each reader takes the file's bytes and returns plain rows, or raises ImportRefused with a message a
person can act on. Nothing here touches the database: the services save the rows, all or nothing.
XML is parsed with defusedxml (no DTD, so no entity expansion: a "billion laughs" file is refused).
"""

import csv
import hashlib
import io
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from junitparser import JUnitXml, JUnitXmlError
from junitparser import TestCase as JUnitCase

from .models import ALL_TRANSACTIONS, FindingSeverity, ResultStatus

# A CI run that reports more than this is split by suite: an import is one transaction.
MAX_JUNIT_CASES = 10_000
NOTE_LENGTH = 2000


class ImportRefused(Exception):  # noqa: N818 - a refusal with a message for a person, like DomainError
    def __init__(self, message, *, row=None):
        super().__init__(str(message))
        self.message = message
        self.row = row


def text_of(data: bytes) -> str:
    """CSV and JSON exports are UTF-8 (maybe with a BOM); Chinese Windows tools write GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(_("The file is not text in UTF-8 or GB18030; export it again as UTF-8."))


# ---------------------------------------------------------------- JUnit XML

@dataclass
class JUnitRow:
    key: str  # classname.name
    name: str
    classname: str
    status: str
    note: str = ""
    requirement_codes: list = field(default_factory=list)


# When one file reports the same test twice (re-runs), the worse outcome stands.
_WORST = [ResultStatus.ERROR, ResultStatus.FAILED, ResultStatus.SKIPPED, ResultStatus.PASSED]


def _parse_xml(data: bytes):
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ImportRefused(_("The XML file declares a DTD or entities (%(what)s); JUnit reports never need "
                              "them, so the file is refused.") % {"what": type(exc).__name__}) from exc
    except SafeET.ParseError as exc:
        raise ImportRefused(_("The file is not well-formed XML (%(error)s).") % {"error": exc}) from exc


def _outcome(case: JUnitCase):
    results = case.result
    kinds = {type(r).__name__ for r in results}
    status = (ResultStatus.ERROR if "Error" in kinds else ResultStatus.FAILED if "Failure" in kinds
              else ResultStatus.SKIPPED if "Skipped" in kinds else ResultStatus.PASSED)
    parts = []
    for r in results:
        for piece in (r.message, r.text):
            piece = (piece or "").strip()
            if piece and piece not in parts:
                parts.append(piece)
    return status, "\n".join(parts)[:NOTE_LENGTH]


def parse_junit(data: bytes) -> list[JUnitRow]:
    """Test cases of a JUnit XML report (`<testsuites>` or a single `<testsuite>`, nested suites too)."""
    root = _parse_xml(data)
    try:
        report = JUnitXml.fromroot(root)
    except JUnitXmlError as exc:
        raise ImportRefused(_("This is not a JUnit XML report: the root element is <%(tag)s>, not <testsuites> "
                              "or <testsuite>.") % {"tag": root.tag}) from exc
    elements = list(report._elem.iter("testcase"))
    if len(elements) > MAX_JUNIT_CASES:
        raise ImportRefused(_("The report has %(n)s test cases; import at most %(max)s at a time (one file per "
                              "suite or job).") % {"n": f"{len(elements):,}", "max": f"{MAX_JUNIT_CASES:,}"})
    if not elements:
        raise ImportRefused(_("The report contains no <testcase> elements."))
    rows: dict[str, JUnitRow] = {}
    for index, elem in enumerate(elements, start=1):
        case = JUnitCase.fromelem(elem)
        name = (case.name or "").strip()
        classname = (case.classname or "").strip()
        if not name:
            raise ImportRefused(_("Test case number %(n)s has no name attribute.") % {"n": index}, row=index)
        key = f"{classname}.{name}" if classname else name
        if len(key) > 500:
            raise ImportRefused(_("Test case number %(n)s has a name longer than 500 characters.") % {"n": index},
                                row=index)
        status, note = _outcome(case)
        codes = []
        for prop in elem.iterfind("properties/property"):
            if (prop.get("name") or "").strip().lower() in ("requirement", "requirements"):
                codes += [c.strip() for c in re.split(r"[,\s]+", prop.get("value") or prop.text or "") if c.strip()]
        row = JUnitRow(key=key, name=name, classname=classname, status=status, note=note, requirement_codes=codes)
        earlier = rows.get(key)
        if earlier is not None:
            row.requirement_codes = sorted(set(earlier.requirement_codes) | set(codes))
            if _WORST.index(earlier.status) < _WORST.index(status):
                earlier.requirement_codes = row.requirement_codes
                continue
        rows[key] = row
    return list(rows.values())


# ---------------------------------------------------------------- load tests

@dataclass
class PerfRow:
    transaction: str
    samples: int
    p95_ms: float
    tps: float | None
    error_rate: float  # percent


def _nearest_rank(sorted_values, pct):
    """The percentile as JMeter's aggregate report shows it (nearest rank)."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return float(sorted_values[rank - 1])


def _csv_rows(data: bytes, required, tool):
    reader = csv.DictReader(io.StringIO(text_of(data)))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportRefused(_("The %(tool)s file has no column %(cols)s (found: %(found)s). Save it as CSV with "
                              "a header row.") % {"tool": tool, "cols": ", ".join(f"“{c}”" for c in missing),
                                                  "found": ", ".join(header[:12]) or "—"})
    return reader


def parse_jmeter(data: bytes) -> list[PerfRow]:
    """A JMeter results file saved as CSV (JTL): one row per sample."""
    reader = _csv_rows(data, ("timeStamp", "elapsed", "label", "success"), "JMeter")
    samples = defaultdict(lambda: {"elapsed": [], "errors": 0, "start": None, "end": None})
    for line, row in enumerate(reader, start=2):
        try:
            start = int(row["timeStamp"])
            elapsed = int(row["elapsed"])
        except (TypeError, ValueError):
            raise ImportRefused(_("Line %(n)s: timeStamp and elapsed must be whole milliseconds (save the JTL with "
                                  "jmeter.save.saveservice.timestamp_format=ms).") % {"n": line}, row=line) from None
        label = (row["label"] or "").strip()
        if not label:
            raise ImportRefused(_("Line %(n)s has no label.") % {"n": line}, row=line)
        ok = (row["success"] or "").strip().lower() == "true"
        for name in (label, ALL_TRANSACTIONS):
            s = samples[name]
            s["elapsed"].append(elapsed)
            s["errors"] += 0 if ok else 1
            s["start"] = start if s["start"] is None else min(s["start"], start)
            s["end"] = start + elapsed if s["end"] is None else max(s["end"], start + elapsed)
    if not samples:
        raise ImportRefused(_("The JMeter file has a header but no samples."))
    rows = []
    for name, s in samples.items():
        n = len(s["elapsed"])
        seconds = (s["end"] - s["start"]) / 1000
        rows.append(PerfRow(transaction=name[:200], samples=n, p95_ms=_nearest_rank(sorted(s["elapsed"]), 95),
                            tps=round(n / seconds, 3) if seconds > 0 else None,
                            error_rate=round(s["errors"] * 100 / n, 3)))
    return rows


_K6_SUB = re.compile(r"^http_req_duration\{\s*([^:}]+?)\s*:\s*(.+?)\s*\}$")


def _k6_values(metrics, key):
    metric = metrics.get(key)
    if not isinstance(metric, dict):
        return None
    values = metric.get("values", metric)  # handleSummary() data nests them; --summary-export does not
    return values if isinstance(values, dict) else None


def _k6_row(metrics, suffix, name, duration_s):
    duration = _k6_values(metrics, f"http_req_duration{suffix}")
    if duration is None:
        return None
    p95 = duration.get("p(95)")
    if not isinstance(p95, (int, float)):
        raise ImportRefused(_("The k6 summary has no p(95) for http_req_duration; keep p(95) in "
                              "--summary-trend-stats."))
    reqs = _k6_values(metrics, f"http_reqs{suffix}") or {}
    failed = _k6_values(metrics, f"http_req_failed{suffix}") or {}
    count = reqs.get("count")
    if count is None and failed:  # a Rate metric counts every request: true (failed) + false
        count = (failed.get("passes") or 0) + (failed.get("fails") or 0)
    rate = reqs.get("rate")
    if rate is None and count is not None and duration_s:
        rate = count / duration_s
    error = failed.get("rate", failed.get("value", 0)) or 0
    return PerfRow(transaction=name[:200], samples=int(count or 0), p95_ms=round(float(p95), 3),
                   tps=round(float(rate), 3) if rate is not None else None, error_rate=round(float(error) * 100, 3))


def parse_k6(data: bytes) -> list[PerfRow]:
    """k6's end-of-test summary as JSON (`--summary-export` or handleSummary's data). Transactions are the
    tagged sub-metrics (`http_req_duration{name:login}`, `{group:::Login}`…), plus the run as a whole."""
    try:
        doc = json.loads(text_of(data))
    except json.JSONDecodeError as exc:
        raise ImportRefused(_("The k6 file is not valid JSON (%(error)s).") % {"error": exc}) from exc
    metrics = doc.get("metrics") if isinstance(doc, dict) else None
    if not isinstance(metrics, dict) or "http_req_duration" not in metrics:
        raise ImportRefused(_("This is not a k6 summary: it has no metrics.http_req_duration. Export it with "
                              "k6 run --summary-export=summary.json."))
    state = doc.get("state") if isinstance(doc.get("state"), dict) else {}
    duration_s = (state.get("testRunDurationMs") or 0) / 1000
    rows = [_k6_row(metrics, "", ALL_TRANSACTIONS, duration_s)]
    for key in sorted(metrics):
        match = _K6_SUB.match(key)
        if not match or match.group(1) == "expected_response":
            continue
        name = match.group(2).removeprefix("::") if match.group(1) == "group" else match.group(2)
        row = _k6_row(metrics, key[len("http_req_duration"):], name, duration_s)
        if row is not None:
            rows.append(row)
    return rows


def _number(value, line, column):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ImportRefused(_("Line %(n)s: “%(col)s” is not a number (%(v)s).")
                            % {"n": line, "col": column, "v": value}, row=line) from None


def parse_locust(data: bytes) -> list[PerfRow]:
    """Locust's `<prefix>_stats.csv` (`--csv`): one row per request name, then "Aggregated"."""
    reader = _csv_rows(data, ("Name", "Request Count", "Failure Count", "Requests/s", "95%"), "Locust")
    raw = []
    for line, row in enumerate(reader, start=2):
        count = int(_number(row["Request Count"], line, "Request Count"))
        if count == 0:
            continue  # nothing measured: Locust writes N/A percentiles
        raw.append((line, (row.get("Type") or "").strip(), (row["Name"] or "").strip(), count, row))
    if not raw:
        raise ImportRefused(_("The Locust file has no rows with requests."))
    names = defaultdict(int)
    for _line, _type, name, _count, _row in raw:
        names[name] += 1
    rows = []
    for line, method, name, count, row in raw:
        if name == "Aggregated" and not method:
            name = ALL_TRANSACTIONS
        elif names[name] > 1 and method:
            name = f"{method} {name}"  # the same path with two methods: keep them apart
        failures = _number(row["Failure Count"], line, "Failure Count")
        rows.append(PerfRow(transaction=name[:200], samples=count, p95_ms=_number(row["95%"], line, "95%"),
                            tps=round(_number(row["Requests/s"], line, "Requests/s"), 3),
                            error_rate=round(failures * 100 / count, 3)))
    return rows


PERF_PARSERS = {"jmeter": parse_jmeter, "k6": parse_k6, "locust": parse_locust}


# ---------------------------------------------------------------- security scans

@dataclass
class FindingRow:
    fingerprint: str
    title: str
    severity: str
    description: str
    cwe: int | None = None
    component: str = ""
    location: str = ""
    solution: str = ""
    false_positive: bool = False


def _fingerprint(*parts) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _cwe(value):
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if n > 0 else None


def _json(data, tool, hint):
    try:
        return json.loads(text_of(data))
    except json.JSONDecodeError as exc:
        raise ImportRefused(_("The %(tool)s file is not valid JSON (%(error)s). %(hint)s")
                            % {"tool": tool, "error": exc, "hint": hint}) from exc


ZAP_RISK = {"0": FindingSeverity.INFO, "1": FindingSeverity.LOW, "2": FindingSeverity.MEDIUM, "3": FindingSeverity.HIGH}
ZAP_HINT = _("Export it from ZAP as the “Traditional JSON Report”.")


def parse_zap(data: bytes) -> list[FindingRow]:
    """An OWASP ZAP JSON report: sites, each with alerts and their instances. One finding per alert and site."""
    doc = _json(data, "ZAP", ZAP_HINT)
    sites = doc.get("site") if isinstance(doc, dict) else None
    if isinstance(sites, dict):
        sites = [sites]
    if not isinstance(sites, list):
        raise ImportRefused(_("This is not an OWASP ZAP JSON report: it has no “site” list. %(hint)s")
                            % {"hint": ZAP_HINT})
    rows = []
    for s_index, site in enumerate(sites, start=1):
        if not isinstance(site, dict) or not isinstance(site.get("alerts", []), list):
            raise ImportRefused(_("Site %(n)s of the ZAP report has no “alerts” list. %(hint)s")
                                % {"n": s_index, "hint": ZAP_HINT})
        site_name = str(site.get("@name") or site.get("@host") or "")
        for a_index, alert in enumerate(site.get("alerts", []), start=1):
            if not isinstance(alert, dict) or not (alert.get("alert") or alert.get("name")):
                raise ImportRefused(_("Alert %(a)s of site %(s)s has no name. %(hint)s")
                                    % {"a": a_index, "s": s_index, "hint": ZAP_HINT})
            risk = str(alert.get("riskcode", ""))
            if risk not in ZAP_RISK:
                raise ImportRefused(_("Alert “%(name)s” has riskcode “%(risk)s”; ZAP uses 0–3.")
                                    % {"name": alert.get("alert") or alert.get("name"), "risk": risk})
            instances = [i for i in alert.get("instances") or [] if isinstance(i, dict)]
            uris = [str(i.get("uri", "")) for i in instances if i.get("uri")]
            location = uris[0] if uris else site_name
            if len(uris) > 1:
                location = _("%(first)s (+%(n)s more)") % {"first": uris[0], "n": len(uris) - 1}
            plugin = alert.get("alertRef") or alert.get("pluginid") or alert.get("alert")
            rows.append(FindingRow(
                fingerprint=_fingerprint("zap", site_name, plugin),
                title=str(alert.get("alert") or alert.get("name"))[:300],
                severity=ZAP_RISK[risk], description=strip_tags(str(alert.get("desc") or "")).strip() or "—",
                cwe=_cwe(alert.get("cweid")), component=site_name[:300], location=location[:500],
                solution=strip_tags(str(alert.get("solution") or "")).strip(),
                false_positive=str(alert.get("confidence", "")) == "0",
            ))
    return rows


BANDIT_SEVERITY = {"HIGH": FindingSeverity.HIGH, "MEDIUM": FindingSeverity.MEDIUM, "LOW": FindingSeverity.LOW,
                   "UNDEFINED": FindingSeverity.INFO}
BANDIT_HINT = _("Run bandit with -f json -o report.json.")


def parse_bandit(data: bytes) -> list[FindingRow]:
    """bandit's JSON report (`-f json`): `results`, each an issue at a file and line."""
    doc = _json(data, "bandit", BANDIT_HINT)
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, list):
        raise ImportRefused(_("This is not a bandit JSON report: it has no “results” list. %(hint)s")
                            % {"hint": BANDIT_HINT})
    rows, seen = [], defaultdict(int)
    for index, issue in enumerate(results, start=1):
        if not isinstance(issue, dict) or not all(issue.get(k) for k in ("test_id", "filename", "issue_text")):
            raise ImportRefused(_("Result %(n)s of the bandit report lacks test_id, filename or issue_text.")
                                % {"n": index}, row=index)
        severity = BANDIT_SEVERITY.get(str(issue.get("issue_severity", "")).upper())
        if severity is None:
            raise ImportRefused(_("Result %(n)s has severity “%(s)s”; bandit uses LOW, MEDIUM and HIGH.")
                                % {"n": index, "s": issue.get("issue_severity")}, row=index)
        code = " ".join(re.sub(r"^\s*\d+\s?", "", line) for line in str(issue.get("code") or "").splitlines()).strip()
        # The code, not the line number, identifies it: an edit above the line must not make it new.
        base = (issue["test_id"], issue["filename"], " ".join(code.split()))
        seen[base] += 1
        cwe = issue.get("issue_cwe")
        rows.append(FindingRow(
            fingerprint=_fingerprint("bandit", *base, seen[base]),
            title=f"{issue['test_id']} {issue.get('test_name', '')}: {issue['issue_text']}"[:300],
            severity=severity, description=str(issue["issue_text"]) + (f"\n\n{code}" if code else ""),
            cwe=_cwe(cwe.get("id") if isinstance(cwe, dict) else cwe), component=str(issue["filename"])[:300],
            location=f"{issue['filename']}:{issue.get('line_number', '')}"[:500],
            solution=str(issue.get("more_info") or ""),
        ))
    return rows


FINDING_PARSERS = {"zap": parse_zap, "bandit": parse_bandit}
