"""A version per project that every audited change bumps: what caches of project data key on.

Many pages show the same thing to every reader of a project (the scorecard, the dashboard, the
training coverage, the defect metrics, the top bar's work count per person). Computing them costs
many queries or much Python at a bank's scale, so they are cached with `cached(project_id, variant,
compute)`, under the project's current version. Any audited change in a project (simple-history
writes a historical row for every tracked model; `projects.apps` connects `project_changed`) bumps
the version, so the next reader gets a fresh value; writes that bypass history (bulk updates, time
passing) are picked up within the TTL. The cache is an optimisation: when it is unreachable the
value is simply computed, and nothing cached is served.
"""

import logging

from django.core.cache import cache

log = logging.getLogger(__name__)

TTL = 60  # seconds a cached value may be served after an unaudited change


def _version_key(project_id):
    return f"project:v:{project_id}"


def version(project_id) -> int:
    try:
        return cache.get_or_set(_version_key(project_id), 1, timeout=None) or 1
    except Exception:  # noqa: BLE001 - cache down: never serve anything cached
        log.warning("Cache unavailable: project data is computed without it", exc_info=True)
        return 0


def bump(project_id) -> None:
    key = _version_key(project_id)
    try:
        try:
            cache.incr(key)
        except ValueError:  # not there yet (or evicted): any new value makes old entries unreachable
            cache.set(key, 2, timeout=None)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the write that triggered this
        log.warning("Cache unavailable: could not mark the cached data of project %s stale", project_id, exc_info=True)


def project_changed(sender, instance, **kwargs):
    """simple-history's post_create_historical_record: something in a project changed."""
    from .audit import project_id_of

    project_id = project_id_of(instance)
    if project_id is not None:
        bump(project_id)


def cached(project_id, variant, compute, ttl=TTL):
    """compute() or its cached value for this project's current version and `variant` (what else the
    value depends on: its name, the language, the reader's roles...)."""
    current = version(project_id)
    if not current:
        return compute()
    key = f"project:s:{project_id}:{current}:{variant}"
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001
        value = None
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout=ttl)
        except Exception:  # noqa: BLE001
            log.warning("Cache unavailable: a computed value was not kept", exc_info=True)
    return value
