"""The readiness scorecard registry.

Each app registers its criteria in its AppConfig.ready(); the dashboard and the API ask
`evaluate(project)`. `projects` knows nothing of the other apps: they plug in here.
"""

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Result:
    value: float
    passed: bool
    explanation: str = ""
    url: str | None = None  # where the blocking items are listed
    display: str | None = None  # how to show the value ("87%", "3 open")


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


@dataclass
class Evaluated:
    criterion: Criterion
    target: float
    result: Result
    mandatory: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def key(self):
        return self.criterion.key

    @property
    def passed(self):
        return self.result.passed

    def as_dict(self):
        return {
            "key": self.criterion.key,
            "label": str(self.criterion.label),
            "value": self.result.value,
            "target": self.target,
            "passed": self.result.passed,
            "weight": self.criterion.weight,
            "mandatory": self.mandatory,
            "area": self.criterion.area,
            "explanation": str(self.result.explanation),
            "url": self.result.url,
        }


_registry: dict[str, Criterion] = {}


def register(criterion: Criterion) -> Criterion:
    _registry[criterion.key] = criterion
    return criterion


def criterion(*, key, label, default_target=0, weight=1, mandatory=True, area="team", order=100):
    """Decorator form: @criterion(key=..., label=...) def compute(project, target) -> Result."""

    def decorate(func):
        register(Criterion(key=key, label=label, compute=func, default_target=default_target, weight=weight,
                           mandatory=mandatory, area=area, order=order))
        return func

    return decorate


def criteria():
    return sorted(_registry.values(), key=lambda c: (c.order, c.key))


def evaluate(project) -> dict:
    """{score 0–100, ready, criteria:[Evaluated]}; ready only when every mandatory criterion passes."""
    settings_ = project.readiness_targets or {}
    evaluated = []
    for c in criteria():
        conf = settings_.get(c.key, {})
        target = conf.get("target", c.default_target)
        mandatory = conf.get("mandatory", c.mandatory)
        evaluated.append(Evaluated(criterion=c, target=target, result=c.compute(project, target), mandatory=mandatory))
    total = sum(e.criterion.weight for e in evaluated)
    passed = sum(e.criterion.weight for e in evaluated if e.passed)
    score = round(passed * 100 / total) if total else 0
    ready = bool(evaluated) and all(e.passed for e in evaluated if e.mandatory)
    return {"score": score, "ready": ready, "criteria": evaluated,
            "blockers": [e for e in evaluated if not e.passed]}
