"""The per-project, per-app versions that every cache of project data keys on (projects.freshness)."""

import pytest

from projects import freshness
from tests.defects.factories import file_defect

pytestmark = pytest.mark.django_db


def test_an_audited_change_bumps_its_apps_version_only(project, users):
    defects, training, everything = (freshness.version(project.pk, ("defects",)),
                                     freshness.version(project.pk, ("training",)), freshness.version(project.pk))
    file_defect(project, users["tester"])
    assert freshness.version(project.pk, ("defects",)) != defects
    assert freshness.version(project.pk, ("training",)) == training
    assert freshness.version(project.pk) != everything  # what sums up the project depends on every app


def test_cached_values_follow_their_areas(project):
    calls = []

    def compute(name):
        calls.append(name)
        return name

    def read():
        return freshness.cached_parts(project.pk, [("a", ("defects",), lambda: compute("a")),
                                                   ("b", ("training", "projects"), lambda: compute("b"))])

    assert read() == ["a", "b"] and calls == ["a", "b"]
    assert read() == ["a", "b"] and calls == ["a", "b"]  # both from the cache
    freshness.bump(project.pk, "training")
    assert read() == ["a", "b"] and calls == ["a", "b", "b"]
    assert freshness.cached(project.pk, "c", lambda: compute("c"), areas=("defects",)) == "c"
    assert freshness.peek(project.pk, "c", areas=("defects",)) == "c"
    freshness.bump(project.pk)  # everything
    assert freshness.peek(project.pk, "c", areas=("defects",)) is None
    read()
    assert calls[-2:] == ["a", "b"]


def test_a_cache_outage_means_computing(project, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "get_many", down)
    assert freshness.version(project.pk) == ""
    assert freshness.cached_parts(project.pk, [("a", None, lambda: 1)]) == [1]
    assert freshness.cached(project.pk, "x", lambda: 2) == 2
