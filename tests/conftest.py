"""Shared fixtures. Tests run on SQLite unless DATABASE_URL is set (CI uses PostgreSQL)."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LOCMEM_CACHE", "1")
os.environ.setdefault("AXES_ENABLED", "1")
# Playwright's sync API runs an event loop in the test thread; the ORM calls of fixtures are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import shutil  # noqa: E402

import pytest  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from tests.projects.factories import ProjectFactory, member  # noqa: E402

ROLES = ["manager", "developer", "tester", "business", "ops", "trainer", "staff"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Tests share a process (and, on SQLite, may reuse ids): no cached value survives a test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.LANGUAGE_CODE = "en"
    settings.AXES_ENABLED = False
    # Pages are computed in tests: a query-count test must count the work, not a cached copy of it
    # (tests/projects/test_pagecache.py turns the page cache on).
    settings.PAGE_CACHE = False
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def project(db):
    return ProjectFactory()


@pytest.fixture
def other_project(db):
    return ProjectFactory()


@pytest.fixture
def users(project):
    """One member per role in `project`, keyed by role."""
    return {role: member(project, role) for role in ROLES}


@pytest.fixture
def outsider(other_project):
    """A member of another project only."""
    return member(other_project, "manager")


@pytest.fixture
def api():
    return APIClient()


# --- browser tests (Debian's Chromium driven by Playwright; never a downloaded browser) ---

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()
