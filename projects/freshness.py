"""A version per project that every audited change bumps: what caches of project data key on.

Many pages show the same thing to every reader of a project (the scorecard, the dashboard, the
training coverage, the defect metrics, the top bar's work count per person). Computing them costs
many queries or much Python at a bank's scale, so they are cached with `cached(project_id, variant,
compute, areas=…)`, under the project's current version of the areas (apps) the value depends on.
Any audited change in a project (simple-history writes a historical row for every tracked model;
`projects.apps` connects `project_changed`) bumps the version of the app whose model changed, so the
next reader of anything depending on it gets a fresh value, and a defect filed on the cutover night
does not throw away the runbook's or the training coverage's; writes that bypass history (bulk
updates, time passing) are picked up within the TTL. The cache is an optimisation: when it is unreachable the
value is simply computed, and nothing cached is served.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

TTL = 60  # seconds a cached value may be served after an unaudited change


def _areas(areas):
    """The areas a value depends on: app labels (an audited change in a project bumps the version of
    the app whose model changed). None: every app, for what sums up the whole project."""
    return tuple(sorted(set(areas))) if areas else tuple(settings.LIFTOFF_APPS)


def _version_key(project_id, area):
    return f"project:v:{project_id}:{area}"


def _versions(project_id, areas) -> dict:
    """{area: version} of the project, in one cache round trip (raises when the cache is down)."""
    keys = {area: _version_key(project_id, area) for area in areas}
    found = cache.get_many(list(keys.values()))
    for key in keys.values():
        if key not in found:  # first use (or evicted): `add` never overwrites a concurrent bump
            cache.add(key, 1, timeout=None)
            found[key] = cache.get(key) or 1
    return {area: found[key] for area, key in keys.items()}


def _joined(versions, areas):
    return ".".join(str(versions[area]) for area in _areas(areas))


def version(project_id, areas=None) -> str:
    """The project's version for `areas` ("" when the cache is down: then nothing cached is served).
    One cache round trip, whatever the number of areas."""
    try:
        return _joined(_versions(project_id, _areas(areas)), areas)
    except Exception:  # noqa: BLE001 - cache down: never serve anything cached
        log.warning("Cache unavailable: project data is computed without it", exc_info=True)
        return ""


def bump(project_id, area=None) -> None:
    """Something in `area` of the project changed (None: treat everything as changed)."""
    for key in (_version_key(project_id, a) for a in _areas([area] if area else None)):
        try:
            try:
                cache.incr(key)
            except ValueError:  # not there (evicted): a number no earlier version of it can have had
                cache.set(key, int(time.time() * 1000), timeout=None)
        except Exception:  # noqa: BLE001 - a cache outage must not fail the write that triggered this
            log.warning("Cache unavailable: could not mark the cached data of project %s stale", project_id,
                        exc_info=True)
            return


def project_changed(sender, instance, **kwargs):
    """simple-history's post_create_historical_record: something in a project changed, in the app
    the tracked model belongs to."""
    from .audit import project_id_of

    project_id = project_id_of(instance)
    if project_id is not None:
        bump(project_id, instance._meta.app_label)


def cached(project_id, variant, compute, ttl=TTL, areas=None):
    """compute() or its cached value for this project's current version of `areas` (None: all) and
    `variant` (what else the value depends on: its name, the language, the reader's roles...)."""
    return cached_parts(project_id, [(variant, areas, compute)], ttl=ttl)[0]


def cached_parts(project_id, parts, ttl=TTL) -> list:
    """[compute() or its cached value] for parts [(variant, areas, compute)], each under the project's
    version of its areas, in three cache round trips for all of them (the versions, the values, the new
    values)."""
    try:
        versions = _versions(project_id, {area for _v, areas, _c in parts for area in _areas(areas)})
        known_keys = [f"project:s:{project_id}:{_joined(versions, areas)}:{variant}" for variant, areas, _c in parts]
        known = cache.get_many(known_keys)
    except Exception:  # noqa: BLE001 - cache down: compute everything
        log.warning("Cache unavailable: project data is computed without it", exc_info=True)
        return [compute() for _v, _a, compute in parts]
    values, new = [], {}
    for key, (_variant, _areas_of, compute) in zip(known_keys, parts, strict=True):
        value = known.get(key)
        if value is None:
            value = new[key] = compute()
        values.append(value)
    if new:
        try:
            cache.set_many(new, timeout=ttl)
        except Exception:  # noqa: BLE001
            log.warning("Cache unavailable: computed values were not kept", exc_info=True)
    return values


def peek(project_id, variant, areas=None):
    """The cached value for this project's current version of `areas` and `variant`, or None (never computes)."""
    current = version(project_id, areas)
    if not current:
        return None
    try:
        return cache.get(f"project:s:{project_id}:{current}:{variant}")
    except Exception:  # noqa: BLE001
        return None
