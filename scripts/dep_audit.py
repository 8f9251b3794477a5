"""Dependency audit: `pip-audit` over requirements.txt, saying plainly what it could and could not check.

pip-audit prints "No known vulnerabilities found" and exits 0 even when the advisory database
answered for none of the packages (a mirror without the JSON API, no network): that is not a pass.
This script reads pip-audit's JSON and reports one of:

- FAILED: a package has a known vulnerability (exit 1);
- NOT DONE: the advisory database could not be reached, or could not say anything about some
  packages; the packages not checked are listed (exit 0, or 2 with AUDIT_STRICT=1, so an offline
  CI still builds but never shows this as a clean audit);
- PASSED: every pinned package was checked and none has a known vulnerability.

AUDIT_SERVICE=osv|pypi chooses the database (pypi by default).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main() -> int:
    service = os.environ.get("AUDIT_SERVICE", "pypi")
    strict = os.environ.get("AUDIT_STRICT") == "1"
    cmd = [str(BIN / "pip-audit"), "-r", str(ROOT / "requirements.txt"), "--no-deps", "--disable-pip",
           "--progress-spinner", "off", "-f", "json", "-s", service, "--timeout", "20"]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"DEPENDENCY AUDIT NOT DONE: pip-audit did not run ({exc}).")
        return 2 if strict else 0
    try:
        report = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        report = {}
    deps = report.get("dependencies", [])
    if not deps:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"DEPENDENCY AUDIT NOT DONE: the advisory database ({service}) could not be reached: {last}")
        return 2 if strict else 0
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if "skip_reason" in d]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"VULNERABLE {dep['name']} {dep.get('version', '')}: {vuln['id']} (fixed in {fixed})")
    if vulnerable:
        print(f"DEPENDENCY AUDIT FAILED: {len(vulnerable)} package(s) with known vulnerabilities.")
        return 1
    if skipped:
        names = ", ".join(d["name"] for d in skipped)
        print(f"DEPENDENCY AUDIT NOT DONE for {len(skipped)} of {len(deps)} packages: the advisory database "
              f"({service}) had no answer for them ({skipped[0]['skip_reason']}). Not checked: {names}")
        return 2 if strict else 0
    print(f"DEPENDENCY AUDIT PASSED: {len(deps)} packages checked against {service}, no known vulnerabilities.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
