"""The dashboard registry: what other apps show on the project manager's home page.

`projects` never imports another app. Apps register, in their AppConfig.ready() (e.g. from
their `readiness_criteria.py`):

    from projects.dashboard import Gauge, Overdue, gauges, overdue

    @gauges(key="defects", label=_("Defects"), area="testing", order=20)
    def defect_gauges(project):          # constant number of queries, whatever the size
        return [Gauge(label=_("Tests passed"), value=412, total=500, url=...),
                Gauge(label=_("Open critical"), value=2, tone="bad", url=...)]

    @overdue(key="defects", label=_("Defects"))
    def defects_overdue(project, today):  # the late items, at most `limit`, with the total
        return OverdueList(items=[Overdue(title=..., due=date, url=..., owner=user)], total=7)

A gauge with a `total` is drawn as a progress bar; without one it is a number (tone good/warn/bad).
Providers that crash are logged and skipped: another app's bug must not take the page down.
"""

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

log = logging.getLogger(__name__)

# How the areas of the readiness criteria and gauges are named on the dashboard.
AREA_ORDER = ["schedule", "requirements", "testing", "training", "cutover", "team", "hypercare"]


@dataclass(frozen=True)
class Gauge:
    label: Any
    value: float
    total: float | None = None
    url: str | None = None
    tone: str = ""
    display: str | None = None


@dataclass(frozen=True)
class Overdue:
    title: str
    due: date | None
    url: str | None = None
    owner: Any = None
    what: Any = ""  # e.g. "Work item", "Defect"


@dataclass
class OverdueList:
    items: list = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True)
class Provider:
    key: str
    label: Any
    func: Any
    area: str = ""
    order: int = 100


_gauges: dict[str, Provider] = {}
_overdue: dict[str, Provider] = {}


def gauges(*, key, label, area, order=100):
    def decorate(func):
        _gauges[key] = Provider(key=key, label=label, func=func, area=area, order=order)
        return func

    return decorate


def overdue(*, key, label, order=100):
    def decorate(func):
        _overdue[key] = Provider(key=key, label=label, func=func, order=order)
        return func

    return decorate


def _call(provider, *args):
    try:
        return provider.func(*args)
    except Exception:  # noqa: BLE001 - see module docstring
        log.exception("Dashboard provider %s failed", provider.key)
        return None


def collect_gauges(project) -> dict:
    """{area: [Gauge]} from every registered provider, in order."""
    result = {}
    for provider in sorted(_gauges.values(), key=lambda p: (p.order, p.key)):
        found = _call(provider, project)
        if found:
            result.setdefault(provider.area, []).extend(found)
    return result


def collect_overdue(project, today, limit=8) -> list:
    """[{key, label, items, total}] for every provider that has something late."""
    result = []
    for provider in sorted(_overdue.values(), key=lambda p: (p.order, p.key)):
        found = _call(provider, project, today)
        if found is None:
            continue
        if isinstance(found, list):
            found = OverdueList(items=found, total=len(found))
        if found.total or found.items:
            result.append({"key": provider.key, "label": provider.label, "items": found.items[:limit],
                           "total": max(found.total, len(found.items))})
    return result
