"""Schemathesis against the running app: `make api-fuzz` (and `make test`, so CI).

Builds a throw-away database (PostgreSQL `<DATABASE_URL name>_fuzz` when DATABASE_URL points at
PostgreSQL, else a temporary SQLite file), migrates it, loads the demo data, issues API tokens for
two roles (the project manager `pm` and the branch staff member `staff`), serves the app with
gunicorn on 127.0.0.1:$FUZZ_PORT and runs `schemathesis run` once per role, bounded
(FUZZ_EXAMPLES examples per operation for the manager, 25 by default; FUZZ_EXAMPLES_STAFF, 10,
for staff). The build fails on any server error, any
status code, content type, header or body that the OpenAPI schema does not document, and any
method the API answers that it does not declare.

Token rotation and revocation are left out of the run (the fuzzer would revoke its own token);
tests/security/test_tokens.py covers them.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PORT = int(os.environ.get("FUZZ_PORT", "8765"))
# Examples per operation: the manager reaches every write; branch staff mostly meets 403/404.
EXAMPLES = {"pm": os.environ.get("FUZZ_EXAMPLES", "25"), "staff": os.environ.get("FUZZ_EXAMPLES_STAFF", "10")}
# The coverage phase (every boundary of every field) is thorough and slow (~3 minutes a role):
# `FUZZ_PHASES=examples,coverage,fuzzing make api-fuzz` runs it; CI runs examples and fuzzing.
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing")
ROLES = ["pm", "staff"]
CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
    "response_schema_conformance", "unsupported_method", "missing_required_header", "ignored_auth",
])
EXCLUDED = r"^/api/v1/auth/token/(rotate|revoke)/$"


def database_url(tmp):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp}/fuzz.sqlite3"
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_fuzz"
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name))


def _echo_and_collect_failures(stream, limit=120):
    """Print schemathesis's output as it comes and keep its FAILURES section (up to `limit` lines)."""
    kept, inside = [], False
    for line in stream:
        print(line, end="", flush=True)
        if line.startswith("====="):
            inside = " FAILURES " in line or " ERRORS " in line
        if inside and len(kept) < limit:
            kept.append(line.rstrip("\n"))
    return kept


def _stop(signum, frame):
    raise SystemExit(128 + signum)  # run the `finally` below: never leave the server behind


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    tmp = tempfile.mkdtemp(prefix="liftoff-fuzz-")
    env = {**os.environ, "LOG_LEVEL": "ERROR", "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1", "LOCMEM_CACHE": "1",
           "DATABASE_URL": database_url(tmp), "MEDIA_ROOT": f"{tmp}/media", "CONN_MAX_AGE": "0",
           # The fuzzer fails log-ins on purpose; lock-out is tested elsewhere.
           "AXES_ENABLED": "0", "LOGIN_IP_FAILURE_LIMIT": "1000000"}
    python = str(BIN / "python")
    manage = [python, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "seed_demo", "--if-empty"], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    script = ("from django.contrib.auth import get_user_model; from projects.services import api_token_issue; "
              f"print('TOKENS', *(api_token_issue(user=get_user_model().objects.get(username=u))[1] for u in {ROLES!r}))")
    out = subprocess.run([*manage, "shell", "-c", script], env=env, check=True, cwd=ROOT,
                         capture_output=True, text=True).stdout
    tokens = next(line.split()[1:] for line in out.splitlines() if line.startswith("TOKENS "))
    schema = f"{tmp}/openapi.json"
    subprocess.run([*manage, "spectacular", "--format", "openapi-json", "--file", schema], env=env, check=True,
                   cwd=ROOT)
    sqlite = env["DATABASE_URL"].startswith("sqlite")
    # No request-line limit in gunicorn: its own HTML 400 is not the app's answer (a proxy sits in
    # front in production). SQLite takes one writer at a time: one worker there.
    server = subprocess.Popen([str(BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{PORT}",
                               "-w", "1" if sqlite else "2", "--threads", "1" if sqlite else "4",
                               "--limit-request-line", "0", "--limit-request-field_size", "0",
                               "--log-level", "warning", "--timeout", "60"],
                              env=env, cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{PORT}"
    failed = False
    failures = {}
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310 - http to our own local server  # nosec B310
                break
            except OSError:
                time.sleep(0.5)
        for role, token in zip(ROLES, tokens, strict=True):
            print(f"\n=== schemathesis as {role} ({EXAMPLES[role]} examples per operation) ===", flush=True)
            result = subprocess.Popen([
                str(BIN / "schemathesis"), "run", schema, "--url", base,
                "-H", f"Authorization: Token {token}", "--checks", CHECKS, "--max-examples", EXAMPLES[role],
                "--phases", PHASES, "--workers", "1" if sqlite else "4", "--seed", "16",
                "--exclude-path-regex", EXCLUDED, "--request-timeout", "30", "--no-color",
                "--suppress-health-check", "all", "--generation-database", "none",
                "--report", "junit", "--report-dir", f"{tmp}/report-{role}",
            ], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            failures[role] = _echo_and_collect_failures(result.stdout)
            failed = result.wait() != 0 or failed
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)
    for role, lines in failures.items():
        if lines:  # again at the very end: CI logs are often read from the bottom
            print(f"\n--- failures as {role} (first {len(lines)} lines) ---", *lines, sep="\n")
    print("\nschemathesis: " + ("FAILED (see above)" if failed else "no server errors, no schema violations"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
