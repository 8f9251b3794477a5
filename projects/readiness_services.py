"""Writes for the readiness scorecard: per-project targets and the daily snapshots."""

import logging
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import readiness
from .audit import stamp
from .errors import DomainError
from .models import Phase, Project, ReadinessSnapshot, Role

log = logging.getLogger(__name__)

DEFAULT_SIGNOFF_ROLES = [Role.MANAGER, Role.BUSINESS, Role.OPS, Role.TESTER]
SIGNOFF_ROLES_KEY = "_signoff_roles"  # readiness_targets holds criterion keys; this one is not a criterion


def signoff_roles(project) -> list[str]:
    """The roles whose sign-off a go/no-go meeting of this project asks for by default."""
    return list((project.readiness_targets or {}).get(SIGNOFF_ROLES_KEY) or DEFAULT_SIGNOFF_ROLES)


def _number(value, *, label, field):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DomainError(_("The target of “%(c)s” must be a number.") % {"c": label}, field=field) from None
    if number < 0:
        raise DomainError(_("The target of “%(c)s” cannot be negative.") % {"c": label}, field=field)
    return int(number) if number.is_integer() else number


@transaction.atomic
def readiness_settings_set(*, actor, project, settings: dict, required_signoffs=None) -> Project:
    """Store per-criterion {target, weight, mandatory} overrides (and the default sign-off roles).

    `settings` maps criterion keys to dicts; keys nobody registered are refused, so a typo
    cannot silently leave a default in force."""
    known = {c.key: c for c in readiness.criteria()}
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise DomainError(_("Unknown readiness criterion: %(k)s") % {"k": ", ".join(unknown)}, field="settings")
    project = Project.objects.select_for_update().get(pk=project.pk)
    stored = dict(project.readiness_targets or {})
    for key, conf in settings.items():
        c = known[key]
        label = str(c.label)
        entry = {}
        if "target" in conf:
            entry["target"] = _number(conf["target"], label=label, field=f"{key}-target")
        if "weight" in conf:
            try:
                weight = int(conf["weight"])
            except (TypeError, ValueError):
                weight = -1
            if not 0 <= weight <= 10:
                raise DomainError(_("The weight of “%(c)s” must be a whole number from 0 to 10.") % {"c": label},
                                  field=f"{key}-weight")
            entry["weight"] = weight
        if "mandatory" in conf:
            entry["mandatory"] = bool(conf["mandatory"])
        defaults = {"target": c.default_target, "weight": c.weight, "mandatory": c.mandatory}
        entry = {k: v for k, v in entry.items() if v != defaults[k]}  # store only what differs
        if entry:
            stored[key] = entry
        else:
            stored.pop(key, None)
    if required_signoffs is not None:
        roles = [r for r in required_signoffs if r]
        bad = [r for r in roles if r not in Role.values]
        if bad or not roles:
            raise DomainError(_("Choose at least one role whose sign-off the go/no-go meeting needs."),
                              field="required_signoffs")
        stored[SIGNOFF_ROLES_KEY] = sorted(set(roles), key=Role.values.index)
    project.readiness_targets = stored
    stamp(project, actor).save(update_fields=["readiness_targets"])
    return project


def readiness_snapshot_take(*, project, day: date | None = None) -> ReadinessSnapshot:
    """Evaluate the scorecard now and keep it as the project's snapshot for `day` (one per day)."""
    day = day or timezone.localdate()
    frozen = readiness.freeze(readiness.evaluate(project))
    snapshot, _created = ReadinessSnapshot.objects.update_or_create(
        project=project, date=day,
        defaults={"score": frozen["score"], "ready": frozen["ready"], "criteria": frozen["criteria"]},
    )
    return snapshot


def readiness_snapshot_all(*, day: date | None = None) -> int:
    """Snapshot every project that is not closed; one project failing does not stop the others."""
    count = 0
    for project in Project.objects.exclude(phase=Phase.CLOSED).order_by("pk"):
        try:
            with transaction.atomic():
                readiness_snapshot_take(project=project, day=day)
        except Exception:  # noqa: BLE001 - logged; the other projects still get their snapshot
            log.exception("Readiness snapshot failed for project %s", project.pk)
            continue
        count += 1
    return count
