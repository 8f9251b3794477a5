"""The public face of `readiness`: the registries other apps plug into.

- Criteria of the scorecard: `@criterion(key=..., label=...)` returning a `Result`; the
  scorecard, the dashboard, snapshots and the go/no-go evidence ask `evaluate(project)`.
- Gauges and overdue lists of the project manager's dashboard: `@gauges(...)`, `@overdue(...)`.

Apps register from their `readiness_criteria.py`, imported by their AppConfig.ready(), e.g.::

    from readiness.registry import Gauge, Overdue, OverdueList, Result, criterion, gauges, overdue

    @criterion(key="open_critical_defects", label=_("No open critical defects"), area="testing")
    def open_critical(project, target):      # a constant number of queries, whatever the size
        n = ...
        return Result(value=n, passed=n <= target, display=str(n), url=...)

    @gauges(key="defects", label=_("Defects"), area="testing", order=20)
    def defect_gauges(project):
        return [Gauge(label=_("Tests passed"), value=412, total=500, url=...),
                Gauge(label=_("Open critical"), value=2, tone="bad", url=...)]

    @overdue(key="defects", label=_("Defects"))
    def defects_overdue(project, today):      # the late items, at most `limit`, with the total
        return OverdueList(items=[Overdue(title=..., due=date, url=..., owner=user)], total=7)

Explanations (and displays that are words, like "clean") are registered sentences, so frozen
evidence keeps its values but says them in the reader's language::

    CRITICAL_OPEN = explanation("defects.critical_open",
                                ngettext_lazy("%(n)d critical defect still open", "%(n)d critical defects still open", "n"))
    ...
    return Result(value=n, passed=n == 0, explanation=CRITICAL_OPEN(n=n))

A plain string still works (rendered once, in the language of the moment it is computed).

A criterion's `Result` with a `total` (or a display ending in `%`) is drawn as a progress bar;
a gauge with a `total` is a bar, without one a number (tone good/warn/bad). A criterion or
provider that crashes is logged and shown as failed or skipped: another app's bug must not take
the dashboard down. This module imports no other app and no model.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from projects.texts import Template, Text, from_json
from projects.texts import render as render_text
from projects.texts import template as _register_text

log = logging.getLogger(__name__)


def explanation(key, text, *, labels=None) -> Template:
    """Register a sentence a criterion explains itself with (or a word it displays its value with):
    `text` a gettext_lazy / ngettext_lazy(…, …, "n") msgid with named placeholders; call the result
    with the parameters. Stored frozen as key + parameters, rendered in the reader's language."""
    return _register_text(f"readiness:{key}", text, labels=labels)


def _stored_text(value):
    return value.as_json() if isinstance(value, Text) else None


def stored_label(value) -> dict | None:
    """What a label *is*, to say it again in another language: a registered sentence's key and parameters,
    or the msgid (and context) of a plain `gettext_lazy` / `pgettext_lazy` label such as a gauge's
    `_("Tests passed")`; None for anything else (a formatted string is kept as it was rendered)."""
    if isinstance(value, Text):
        return value.as_json()
    if not isinstance(value, Promise):
        return None
    try:
        func, args = value.__reduce__()[1][:2]
    except (AttributeError, TypeError, IndexError, ValueError):
        return None
    if func is gettext and len(args) == 1 and isinstance(args[0], str):
        return {"msgid": args[0]}
    if func is pgettext and len(args) == 2 and all(isinstance(a, str) for a in args):
        return {"msgid": args[1], "context": args[0]}
    return None


def _render_stored(text: dict, fallback: str) -> str:
    if "msgid" not in text:
        return render_text(text.get("key"), text.get("params"), fallback=fallback)
    msgid = text["msgid"]
    said = pgettext(text["context"], msgid) if text.get("context") else gettext(msgid)
    # The source language says the msgid itself; elsewhere an untranslated msgid (retired since) is worse
    # than the text as it was stored.
    if said == msgid and not (get_language() or "en").startswith("en"):
        return fallback or msgid
    return said


def rendered(stored: dict, name: str) -> Any:
    """A frozen criterion's (or gauge's) `explanation`, `display` or `label` in the active language: rendered
    from its stored key and parameters (or msgid), else (frozen before keys, or a retired sentence) as stored."""
    text = (stored.get("texts") or {}).get(name)
    if text:
        return _render_stored(text, stored.get(name) or "")
    return stored.get(name)


@dataclass(frozen=True)
class Result:
    value: float
    passed: bool
    explanation: str = ""
    url: str | None = None  # where the blocking items are listed
    display: str | None = None  # how to show the value, in the criterion's unit ("87%", "3"); "—" for no data
    total: float | None = None  # when the value counts items out of a total (drawn as a progress bar)
    credit: float | None = None  # partial credit 0–1 when the criterion can say better than value/target


# How a criterion's value compares with its target (and how both are written, in the same unit).
PERCENT, AT_MOST, AT_LEAST, YES_NO = "percent", "at_most", "at_least", "yes_no"


def unit_for(default_target) -> str:
    """The unit of a criterion that names none: a target of 0 counts what is left (at most), 1 asks for
    at least one, anything else is a share in percent."""
    if default_target == 0:
        return AT_MOST
    if default_target == 1:
        return AT_LEAST
    return PERCENT


def format_target(unit, target) -> str:
    """A target written in the same unit as the criterion's value ("≥ 95%", "≤ 0", "≥ 1", "yes")."""
    if target is None:
        return ""
    number = f"{float(target):g}"
    if unit == PERCENT:
        return f"≥ {number}%"
    if unit == AT_MOST:
        return f"≤ {number}"
    if unit == YES_NO:
        return _("yes")
    return f"≥ {number}"


def credit_of(*, unit, value, target, passed, credit=None) -> float:
    """How much of its weight a criterion earns: all of it when it passes; otherwise the criterion's own
    partial credit, or value/target for shares and minimum counts (80% of a 100% target earns 0.8),
    capped to 0–1; a count that must stay at most its target earns nothing until it does."""
    if passed:
        return 1.0
    if credit is None:
        try:
            value, target = float(value or 0), float(target or 0)
        except (TypeError, ValueError):
            return 0.0
        credit = value / target if unit in (PERCENT, AT_LEAST) and target > 0 else 0.0
    return max(0.0, min(1.0, float(credit)))


def score_of(rows) -> int:
    """The readiness score 0–100 from (weight, credit, passed) rows: the weighted partial credit,
    below 100 while any criterion fails."""
    rows = list(rows)
    total = sum(w for w, _c, _p in rows)
    if not total:
        return 0
    score = round(sum(w * c for w, c, _p in rows) * 100 / total)
    return min(score, 99) if not all(p for _w, _c, p in rows) else score


@dataclass(frozen=True)
class Criterion:
    key: str
    label: object  # lazy translation
    compute: Callable  # (project, target) -> Result
    default_target: float = 0
    weight: int = 1
    mandatory: bool = True
    area: str = "team"
    order: int = 100
    unit: str = ""  # PERCENT, AT_MOST, AT_LEAST or YES_NO; "" means unit_for(default_target)

    @property
    def value_unit(self):
        return self.unit or unit_for(self.default_target)


@dataclass
class Evaluated:
    criterion: Criterion
    target: float
    result: Result
    mandatory: bool = True
    extra: dict = field(default_factory=dict)
    weight: int | None = None  # the project's override; None means the criterion's own weight

    def __post_init__(self):
        if self.weight is None:
            self.weight = self.criterion.weight

    @property
    def key(self):
        return self.criterion.key

    @property
    def label(self):
        return self.criterion.label

    @property
    def area(self):
        return self.criterion.area

    @property
    def passed(self):
        return self.result.passed

    @property
    def unit(self):
        return self.criterion.value_unit

    @property
    def credit(self):
        r = self.result
        return credit_of(unit=self.unit, value=r.value, target=self.target, passed=r.passed, credit=r.credit)

    @property
    def target_display(self):
        return format_target(self.unit, self.target)

    def as_dict(self):
        row = {
            "key": self.criterion.key,
            "label": str(self.criterion.label),
            "value": self.result.value,
            "target": self.target,
            "passed": self.result.passed,
            "weight": self.weight,
            "mandatory": self.mandatory,
            "area": self.criterion.area,
            "explanation": str(self.result.explanation),
            "url": self.result.url,
            "display": str(self.result.display) if self.result.display is not None else None,
            "total": self.result.total,
            "unit": self.unit,
            "credit": round(self.credit, 3),
        }
        # what the explanation and display *are*, to say them again in another language later
        texts = {name: stored for name, stored in (("explanation", _stored_text(self.result.explanation)),
                                                   ("display", _stored_text(self.result.display))) if stored}
        if texts:
            row["texts"] = texts
        return row


_registry: dict[str, Criterion] = {}


def register(criterion: Criterion) -> Criterion:
    _registry[criterion.key] = criterion
    return criterion


def criterion(*, key, label, default_target=0, weight=1, mandatory=True, area="team", order=100, unit=""):
    """Decorator form: @criterion(key=..., label=...) def compute(project, target) -> Result."""

    def decorate(func):
        register(Criterion(key=key, label=label, compute=func, default_target=default_target, weight=weight,
                           mandatory=mandatory, area=area, order=order, unit=unit))
        return func

    return decorate


def target_text(row: dict) -> str:
    """The target of a frozen criterion (snapshot, evidence, report) in its value's unit: the stored unit,
    else the registered criterion's, else the one its target suggests."""
    unit = row.get("unit")
    if not unit:
        current = _registry.get(row.get("key"))
        unit = current.value_unit if current else unit_for(row.get("target"))
    return format_target(unit, row.get("target"))


def criterion_for(key) -> Criterion | None:
    """The registered criterion with this key, or None (it may have been retired since)."""
    return _registry.get(key)


def criteria():
    return sorted(_registry.values(), key=lambda c: (c.order, c.key))


def criterion_settings(project, key, criterion_=None) -> dict:
    """{target, mandatory, weight} of one criterion in a project: its override, else the default."""
    c = criterion_ or _registry.get(key)
    conf = (project.readiness_targets or {}).get(key) or {}
    default_target, mandatory, weight = (c.default_target, c.mandatory, c.weight) if c else (0, True, 1)
    return {"target": conf.get("target", default_target), "mandatory": conf.get("mandatory", mandatory),
            "weight": conf.get("weight", weight)}


_FAILED = explanation("failed", gettext_lazy("This criterion could not be computed; see the server log."))


def _compute(c, project, target) -> Result:
    """One criterion's result. A criterion that crashes fails (visibly) instead of hiding the scorecard."""
    try:
        return c.compute(project, target)
    except Exception:  # noqa: BLE001 - another app's bug must not take the dashboard down
        log.exception("Readiness criterion %s failed for project %s", c.key, project.pk)
        return Result(value=0, passed=False, explanation=_FAILED())


def evaluate(project, area=None) -> dict:
    """{score 0–100, ready, criteria:[Evaluated], blockers:[Evaluated]}.

    `score` is the weighted partial credit of the criteria (`credit_of`: a criterion at 80% of its
    target earns 0.8 of its weight; below 100 while any fails); `ready` only when every mandatory
    criterion passes. Targets, weights and the mandatory flag may be overridden per project in
    `Project.readiness_targets` ({key: {"target": x, "weight": n, "mandatory": bool}})."""
    evaluated = []
    for c in criteria():
        if area is not None and c.area != area:
            continue
        conf = criterion_settings(project, c.key, c)
        evaluated.append(Evaluated(criterion=c, target=conf["target"], result=_compute(c, project, conf["target"]),
                                   mandatory=conf["mandatory"], weight=conf["weight"]))
    score = score_of((e.weight, e.credit, e.passed) for e in evaluated)
    ready = bool(evaluated) and all(e.passed for e in evaluated if e.mandatory)
    return {"score": score, "ready": ready, "criteria": evaluated,
            "blockers": [e for e in evaluated if not e.passed]}


# How an app's own page shows its area of the scorecard (the cutover page its cutover criteria):
# through the cached evaluation that readiness.apps installs here (`func(project, area)` → the area's
# evaluated criteria), so the page shows the same figures, against the project's own targets, as the
# scorecard, for a cache lookup; when the scorecard is not cached (something changed since) only the
# area's own criteria are evaluated: a page about the cutover does not count the training of 5,000
# people. Without it (readiness not ready yet) the area is evaluated afresh.
_cached_evaluation: Callable | None = None


def use_cached_evaluation(func: Callable) -> None:
    global _cached_evaluation  # noqa: PLW0603 - installed once, from readiness.apps
    _cached_evaluation = func


def area_results(project, area) -> list[Evaluated]:
    """The evaluated criteria of one area, in the scorecard's order."""
    if _cached_evaluation is not None:
        return _cached_evaluation(project, area)
    return evaluate(project, area=area)["criteria"]


def thaw(frozen) -> dict:
    """An evaluation back from its frozen form (the cached scorecard), for the criteria still
    registered: the same shape `evaluate` returns."""
    evaluated = []
    for row in frozen["criteria"]:
        c = _registry.get(row["key"])
        if c is None:
            continue
        texts = row.get("texts") or {}
        result = Result(value=row["value"], passed=row["passed"],
                        explanation=from_json(texts.get("explanation")) or row.get("explanation", ""),
                        url=row.get("url"), display=from_json(texts.get("display")) or row.get("display"),
                        total=row.get("total"), credit=row.get("credit"))
        evaluated.append(Evaluated(criterion=c, target=row["target"], result=result,
                                   mandatory=row.get("mandatory", True), weight=row.get("weight")))
    return {"score": frozen["score"], "ready": frozen["ready"], "criteria": evaluated,
            "blockers": [e for e in evaluated if not e.passed]}


def freeze(result) -> dict:
    """An evaluation as plain JSON (for snapshots and the go/no-go evidence): it never changes later."""
    return {"score": result["score"], "ready": result["ready"],
            "criteria": [e.as_dict() for e in result["criteria"]],
            "blockers": [e.key for e in result["blockers"]]}


# ----- the dashboard's gauges and overdue lists ------------------------------------------------

# How the areas of the readiness criteria and gauges are named on the dashboard.
AREA_ORDER = ["schedule", "requirements", "testing", "training", "cutover", "risks", "team", "hypercare"]


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
