"""Shared fixtures. Tests run on SQLite unless DATABASE_URL is set (CI uses PostgreSQL)."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LOCMEM_CACHE", "1")
os.environ.setdefault("AXES_ENABLED", "1")

import pytest  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from tests.projects.factories import ProjectFactory, member  # noqa: E402

ROLES = ["manager", "developer", "tester", "business", "ops", "trainer", "staff"]


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.LANGUAGE_CODE = "en"
    settings.AXES_ENABLED = False
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
