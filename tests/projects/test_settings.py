"""Production settings: refuse to start without a secret, and `check --deploy` is clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    base = {k: v for k, v in os.environ.items()
            if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_refuses_to_start_without_secret_key_when_debug_off():
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_deploy_check_is_clean():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="0",
                     SECRET_KEY="a-long-random-production-secret-" + "k" * 40, ALLOWED_HOSTS="liftoff.bank.example")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_security_headers_on_pages(client, project, users):
    client.force_login(users["staff"])
    response = client.get(reverse("projects:home", args=[project.pk]))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_no_inline_script_or_style_in_pages(client, project, users):
    import re

    client.force_login(users["manager"])
    for name in ["projects:home", "projects:roster", "projects:raci", "projects:rota", "readiness:scorecard"]:
        html = client.get(reverse(name, args=[project.pk])).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), name
        assert " style=" not in html and "<style" not in html, name
        assert not re.search(r"\son[a-z]+=", html), name
        # Nothing from another host (a CDN): every src and href is on this site (a random CSRF token
        # may well contain the letters "cdn", so look at the addresses, not the text).
        assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", html), name
