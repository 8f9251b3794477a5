"""Shared set-up for the readiness, dashboard, go/no-go and lessons tests."""

from readiness import registry as readiness
from readiness.registry import Result


def empty_registry(monkeypatch):
    """An empty criterion registry for one test (the real apps' criteria are put back afterwards).

    Each test module wraps it in its own `registry` fixture."""
    monkeypatch.setattr(readiness, "_registry", {})
    return readiness._registry


def fixed(key, *, value, passed, weight=1, mandatory=True, area="testing", default_target=0, url=None, display=None,
          total=None):
    """Register a criterion that always returns the given result."""

    @readiness.criterion(key=key, label=key.replace("_", " "), default_target=default_target, weight=weight,
                         mandatory=mandatory, area=area)
    def compute(project, target):
        return Result(value=value, passed=passed, explanation=f"{key} explained", url=url, display=display,
                      total=total)

    return compute


def threshold(key, *, value, area="testing", default_target=90):
    """A percentage criterion (value >= target passes), so that per-project targets change the outcome."""

    @readiness.criterion(key=key, label=key, default_target=default_target, area=area)
    def compute(project, target):
        return Result(value=value, passed=value >= target, display=f"{value}%")

    return compute
