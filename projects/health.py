from django.conf import settings


def broker_ok(timeout=1.0):
    """(True, "") when the Celery broker (Redis) answers a PING, else (False, reason)."""
    import redis

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=timeout, socket_timeout=timeout)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - the reason is what the caller reports
        return False, f"{type(exc).__name__}: {exc}"[:200]
    return True, ""
