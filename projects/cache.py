"""A Redis cache that degrades to a miss instead of failing a request.

The cache is an optimisation everywhere in Liftoff (DRF throttles, the cached scorecard): with Redis
down or hanging, a request must behave as if the cache were empty, not wait seconds and answer 500.
`FaultTolerantRedisCache` wraps Django's own `RedisCache` with short socket timeouts (settings) and:

- catches every Redis/socket error and returns what a miss returns (`get` → default, `add` → False,
  `incr` → ValueError as for a missing key, writes → nothing);
- logs the outage once (one line, no traceback), and once more when Redis answers again;
- then skips Redis for `RETRY_SECONDS` (a small circuit breaker), so a hanging Redis costs one socket
  timeout per process every few seconds, not one per call.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0


class CacheUnavailable(Exception):
    """Raised inside the wrapper only: the circuit is open, Redis is not asked."""


def _redis_errors():
    import redis

    return (redis.exceptions.RedisError, OSError, CacheUnavailable)


class FaultTolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._errors = _redis_errors()
        self._lock = threading.Lock()
        self._down_since = None  # monotonic time of the last failure, None while healthy
        self.retry_seconds = RETRY_SECONDS

    # --- the breaker ---------------------------------------------------------------------------
    @property
    def is_down(self) -> bool:
        return self._down_since is not None

    def _call(self, method, miss, *args, **kwargs):
        down_since = self._down_since
        if down_since is not None and time.monotonic() - down_since < self.retry_seconds:
            return miss()
        try:
            result = method(*args, **kwargs)
        except self._errors as exc:
            with self._lock:
                first = self._down_since is None
                self._down_since = time.monotonic()
            if first:
                log.warning("Cache unavailable (%s: %s); serving without it (misses) until it answers again",
                            type(exc).__name__, str(exc)[:200])
            return miss()
        if down_since is not None:
            with self._lock:
                if self._down_since is not None:
                    self._down_since = None
                    log.warning("Cache reachable again")
        return result

    # --- Django's cache API, each with what a miss means -------------------------------------------
    def get(self, key, default=None, version=None):
        return self._call(super().get, lambda: default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, dict, keys, version)

    def has_key(self, key, version=None):
        return self._call(super().has_key, lambda: False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().add, lambda: False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set, lambda: None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set_many, lambda: list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().touch, lambda: False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(super().delete, lambda: False, key, version)

    def delete_many(self, keys, version=None):
        return self._call(super().delete_many, lambda: None, keys, version)

    def clear(self):
        return self._call(super().clear, lambda: False)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found (cache unavailable)")

        return self._call(super().incr, missing, key, delta, version)

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        # get() then add(), as the base class does; both already degrade, so a miss computes the default.
        value = self.get(key, version=version)
        if value is None:
            value = default() if callable(default) else default
            if value is not None:
                self.add(key, value, timeout, version=version)
        return value
