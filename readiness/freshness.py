"""How fresh the cached scorecard is.

Evaluating every criterion costs a few dozen queries, and every reader of a project sees the same
scorecard, so `selectors.scorecard` keeps it in the cache for a short while (`TTL`), per project
and language. Any audited change in a project (simple-history writes a historical row for every
tracked model) bumps the project's version, so the next reader gets a fresh evaluation; writes
that bypass history (bulk updates) are picked up within the TTL. The cache is an optimisation:
when it is unreachable the scorecard is simply computed.
"""

import logging

from django.core.cache import cache

log = logging.getLogger(__name__)

TTL = 60  # seconds a cached scorecard may be served after an unaudited change


def _version_key(project_id):
    return f"readiness:v:{project_id}"


def version(project_id) -> int:
    try:
        return cache.get_or_set(_version_key(project_id), 1, timeout=None) or 1
    except Exception:  # noqa: BLE001 - cache down: never serve anything cached
        log.warning("Cache unavailable: the scorecard is computed without it", exc_info=True)
        return 0


def bump(project_id) -> None:
    key = _version_key(project_id)
    try:
        try:
            cache.incr(key)
        except ValueError:  # not there yet (or evicted): any new value makes old entries unreachable
            cache.set(key, 2, timeout=None)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the write that triggered this
        log.warning("Cache unavailable: could not mark the scorecard of project %s stale", project_id, exc_info=True)


def project_id_of(instance):
    """The project a tracked object belongs to (the audit log's rule, one place)."""
    from projects.audit import project_id_of as of

    return of(instance)


def project_changed(sender, instance, **kwargs):
    """simple-history's post_create_historical_record: something in a project changed."""
    project_id = project_id_of(instance)
    if project_id is not None:
        bump(project_id)


def cached(project_id, variant, compute):
    """compute() or its cached value for this project's current version and `variant` (the language,
    and what else the value depends on)."""
    current = version(project_id)
    if not current:
        return compute()
    key = f"readiness:s:{project_id}:{current}:{variant}"
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001
        value = None
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout=TTL)
        except Exception:  # noqa: BLE001
            log.warning("Cache unavailable: the scorecard was not kept", exc_info=True)
    return value


def peek(project_id, variant):
    """The cached value for this project's current version and `variant`, or None (never computes)."""
    current = version(project_id)
    if not current:
        return None
    try:
        return cache.get(f"readiness:s:{project_id}:{current}:{variant}")
    except Exception:  # noqa: BLE001
        return None
